"""Full shapes on a CPU: each notebook's ``full`` settings, built and stepped, timed and weighed.

``python -m gankit.bench fullshape`` (or ``python -m gankit.fullshape``) runs, for notebooks
02, 03, 04, 05 and A, each in its own process: the models at the ``full`` profile's image
size, depth, widths and batch (read from the notebook, :func:`gankit.profiles.notebook_profile`),
what the full run keeps in memory beside them (image pools, the MNIST arrays, and 03's
Snapshots: a frame of a few images translated here, its whole frames counted from their
sizes), and a few training steps on synthetic images of the real
shapes. It reports seconds per step (after the first, which compiles), the process's peak
resident memory, and projects them to the whole full run: steps x seconds, and peak
memory + the training images the run holds in memory (counted from the data's real sizes,
not allocated here). An image array over 1 GiB is memory-mapped from the loader's cache on
disk (:data:`gankit.images.MMAP_BYTES`): its pages are read as batches need them and the
system drops them again when memory is short, so it is counted as disk, not memory. The bar:
the whole run fits in 12 GB of host memory (a Colab runtime).

The step counts and data sizes of the full runs come from the notebooks' own rules
(03: 200 passes of the larger domain; 04: ``epochs`` passes over every pair) and from the
datasets' sizes (:data:`FULL_DATA`).
"""

from __future__ import annotations

import json
import os
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = {"02": "solutions/02_dcgan/02_dcgan.ipynb", "03": "solutions/03_cyclegan/03_cyclegan.ipynb", "04": "solutions/04_pix2pix/04_pix2pix.ipynb",
             "05": "solutions/05_capstone/05_capstone.ipynb", "A": "solutions/A_own_dataset/A_own_dataset.ipynb"}
# the full datasets a learner downloads (sizes from the datasets' archives)
FULL_DATA = {"03": {"monet": 1072, "photos": 6287}, "04": {"pairs": 49825}, "A": {"paintings": 965},
             "05": {"mnist": 60000}}
BAR_GB = 12.0
SNAPSHOT_SAMPLE = 2  # test images Snapshots translates here; the memory of the full run's frames is counted
SNAPSHOT_MEMORY_MB = 512  # Snapshots' default: 8-bit frames past this go to disk


def snapshot_bytes(images: int, size: int, frames: int, sets: int = 3, inputs: int = 2) -> int:
    """The most memory notebook 03's Snapshots holds: its float32 inputs (photos and paintings),
    each watched set's newest frame in float32, and the 8-bit frames up to its memory limit (the
    rest are on disk)."""
    image = size * size * 3
    eight_bit = min(frames * sets * images * image, SNAPSHOT_MEMORY_MB * 10 ** 6)
    return (inputs + sets) * images * image * 4 + eight_bit


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


CPU_TIMES = []  # (wall, processor) seconds per step of each _time_steps call in this process


def _time_steps(model, x, y, steps: int) -> float:
    """Seconds per step over ``steps`` steps after one compiling step, fed as one ``fit`` per step.

    Also notes the processor time per step (all threads) in :data:`CPU_TIMES`: other work on the
    machine stretches the wall time, not the processor time, so :func:`measure` can say what the
    step would take on the same cores idle.
    """
    batch = len(x)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)  # compiles
    began, began_cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        logs = model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False).history
    float(np.asarray(next(iter(logs.values()))[-1]))
    wall = (time.perf_counter() - began) / max(steps, 1)
    CPU_TIMES.append((wall, (time.process_time() - began_cpu) / max(steps, 1)))
    return wall


def measure(notebook: str, steps: int = 1, root=ROOT, profile: str = "full") -> dict:
    """One notebook's shapes under ``profile``: build, keep what the run keeps, step; a row for the table."""
    import keras

    from gankit.images import jitter_size
    from gankit.profiles import notebook_profile

    full = notebook_profile(pathlib.Path(root) / NOTEBOOKS[notebook], profile)
    rng = np.random.default_rng(0)
    row = {"notebook": notebook, "profile": profile, "settings": full}  # the settings, to check they still hold
    held = 0  # bytes the run keeps in memory beyond the measured peak and its training images
    if notebook == "02":
        from gankit import models
        from gankit.data import load_mnist
        from gankit.trainer import GAN

        batch, kind = full["batch_size"], "paper" if full["models"] == "paper" else "small"
        images, _ = load_mnist("train")  # the run keeps MNIST in memory (47 MB), counted in the peak
        generator, discriminator = models.dcgan_generator(100, size=kind), models.dcgan_discriminator(size=kind)
        gan = GAN(generator, discriminator, 100, seed=0, average_decay=full["average_decay"])
        gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
        seconds = _time_steps(gan, np.asarray(images[:batch], "float32"), None, steps)
        total = full["epochs"] * (full["train_size"] // batch)
        arrays = []
        row.update(size=28, batch=batch, params=generator.count_params() + discriminator.count_params())
    elif notebook == "03":
        from gankit.cyclegan import CycleGAN, Snapshots, adam, schedule

        size, batch = full["image_size"], full["batch_size"]
        gan = CycleGAN(image_size=size, width=full["width"], blocks=full["blocks"], d_width=full["d_width"],
                       d_layers=full["d_layers"], pool_size=full["pool_size"], seed=0)
        gan.compile(adam(10), adam(10), adam(10))
        x = rng.uniform(-1, 1, (2, batch, size, size, 3)).astype("float32")
        seconds = _time_steps(gan, x[0], x[1], steps)
        # Snapshots translates its watched sets after every round. Translating all the full run's test
        # images (600 generator passes at 256 px) would take this CPU longer than the steps: translate a
        # few, and count the memory of the whole frames from their sizes (snapshot_bytes).
        watched = min(full["test_images"], SNAPSHOT_SAMPLE)
        shown = rng.uniform(-1, 1, (watched, size, size, 3)).astype("float32")
        snaps = Snapshots({"photo -> Monet": ("g_ba", shown), "Monet -> photo": ("g_ab", shown),
                           "Monet -> Monet": ("g_ba", shown)}, memory_mb=SNAPSHOT_MEMORY_MB)
        snaps.set_model(gan)
        snaps.on_train_begin()  # one frame of every watched set, as after every round
        data = FULL_DATA["03"]
        if full.get("train_images"):  # the profile trains on the first N images of each domain
            data = {domain: min(n, full["train_images"]) for domain, n in data.items()}
        total, per_round, identity = schedule(max(data.values()) // batch, full["steps"], full["steps_per_round"],
                                              full["identity_steps"])
        frames = 2 * (total // per_round + 1)  # a frame at the start and after every round, for both models
        total += identity  # section 9's second model, trained without the identity loss
        arrays = [n * jitter_size(size) ** 2 * 3 for n in data.values()] + [751 * size ** 2 * 3] * 2  # train, test
        held = snapshot_bytes(full["test_images"], size, frames)  # in memory, however large
        row.update(snapshot_images=full["test_images"], snapshots_translated=watched)
        row.update(size=size, batch=batch, params=gan.g_ab.count_params() * 2 + gan.d_a.count_params() * 2)
    elif notebook == "04":
        from gankit import pix2pix

        size, batch = full["image_size"], full["batch_size"]
        gan = pix2pix.Pix2Pix(size, levels=full["levels"], width=full["width"], d_width=full["width"],
                              d_layers=full["d_layers"])
        gan.compile(pix2pix.adam(), pix2pix.adam())
        x = rng.uniform(-1, 1, (2, batch, size, size, 3)).astype("float32")
        seconds = _time_steps(gan, x[0], x[1], steps)
        pairs = min(FULL_DATA["04"]["pairs"], full["train_pairs"] or FULL_DATA["04"]["pairs"])
        total = full["steps"] or full["epochs"] * pairs // batch
        total *= 2  # then the L1-only ablation for as many steps (cheaper ones: no discriminator; an upper bound)
        arrays = [pairs * jitter_size(size) ** 2 * 3] * 2  # both halves of every pair, uint8
        row.update(size=size, batch=batch,
                   params=gan.generator.count_params() + gan.discriminator.count_params())
    elif notebook == "05":
        from gankit import conditional
        from gankit.data import load_mnist

        batch = full["gan_batch"]
        images, labels = load_mnist("train")  # the run keeps MNIST in memory
        gan = conditional.ConditionalGAN(conditional.conditional_generator(64), conditional.conditional_discriminator(),
                                         64, seed=0, average_decay=full["average_decay"])
        gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
        seconds = _time_steps(gan, np.asarray(images[:batch], "float32"), np.asarray(labels[:batch]).reshape(-1),
                              steps)
        total = full["gan_steps"] + full["more_gan_steps"]  # the two cGAN trainings (the sweep's classifiers apart)
        arrays = []  # already in this process
        row.update(size=28, batch=batch, params=gan.generator.count_params() + gan.discriminator.count_params())
    elif notebook == "A":
        from gankit import models
        from gankit.trainer import GAN

        size, batch = full["size"], full["batch_size"]
        generator = models.dcgan_generator_at(size, 3, 100, width=full["width"])
        discriminator = models.dcgan_discriminator_at(size, 3, width=full["width"])
        gan = GAN(generator, discriminator, 100, seed=0, average_decay=full["average_decay"])
        gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
        x = rng.uniform(-1, 1, (batch, size, size, 3)).astype("float32")
        seconds = _time_steps(gan, x, None, steps)
        total = full["train_steps"]
        arrays = [FULL_DATA["A"]["paintings"] * jitter_size(size) ** 2 * 3]
        row.update(size=size, batch=batch, params=generator.count_params() + discriminator.count_params())
    else:
        raise ValueError(f"no full-shape measure for notebook {notebook!r}. Fix: choose one of {', '.join(NOTEBOOKS)}.")
    from gankit.images import MMAP_BYTES
    from gankit.profiles import gpu_minutes

    peak = _peak_rss_mb()
    resident = sum(a for a in arrays if a <= MMAP_BYTES)
    # The step on these cores with nothing else running: its processor time spread over the cores
    # (never more than the wall time measured). The GPU estimate uses it, so a busy machine does not
    # shrink the gpu profile.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    idle = min(seconds, CPU_TIMES[-1][1] / cores) if CPU_TIMES else seconds
    row.update(seconds_per_step=round(seconds, 3), peak_rss_mb=round(peak), steps=int(total),
               idle_seconds_per_step=round(idle, 3), cores=cores,
               projected_hours=round(total * idle / 3600, 1), t4_minutes=round(gpu_minutes(idle, total)),
               data_mb=round(resident / 1e6), snapshots_mb=round(held / 1e6),
               mapped_gb=round((sum(arrays) - resident) / 1e9, 1),
               projected_gb=round((peak + (resident + held) / 1e6) / 1000, 2))
    row["fits_12_gb"] = row["projected_gb"] <= BAR_GB
    return row


def measure_in_subprocess(notebook: str, steps: int = 1, timeout: float = 900, profile: str = "full") -> dict:
    """:func:`measure` in a fresh process, so that its peak memory is this notebook's alone."""
    code = ("import json, sys; from gankit.fullshape import measure; "
            "print('ROW ' + json.dumps(measure(sys.argv[1], int(sys.argv[2]), profile=sys.argv[3])))")
    run = subprocess.run([sys.executable, "-c", code, notebook, str(steps), profile], capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, "GANKIT_PROGRESS": "off"})
    rows = [line[4:] for line in run.stdout.splitlines() if line.startswith("ROW ")]
    if run.returncode != 0 or not rows:
        raise RuntimeError(f"the full-shape run of notebook {notebook} failed:\n{run.stderr[-2000:]}")
    return json.loads(rows[-1])


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    head = ("| notebook | profile | size | batch | weights | s/step (CPU, measured) | s/step (CPU, idle) | peak RSS MB "
            "| steps | projected CPU hours "
            "| estimated T4 minutes "
            "| training data in memory MB | memory-mapped from disk GB | projected GB | fits 12 GB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(f"| {r['notebook']} | {r.get('profile', 'full')} | {r['size']} | {r['batch']} | {r['params']:,} | "
                     f"{r['seconds_per_step']} | {r.get('idle_seconds_per_step', '-')} | {r['peak_rss_mb']} | "
                     f"{r['steps']:,} | {r['projected_hours']:,} | "
                     f"{r.get('t4_minutes', '-'):,} | {r['data_mb']:,} | "
                     f"{r['mapped_gb']} | "
                     f"{r['projected_gb']} | {'yes' if r['fits_12_gb'] else 'NO'} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gankit.bench fullshape", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", default=list(NOTEBOOKS), help="which (default: 02 03 04 05 A)")
    parser.add_argument("--steps", type=int, default=2, help="timed steps after the compiling one")
    parser.add_argument("--profile", default="full", choices=("full", "gpu"), help="whose settings (default: full)")
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    rows, failed = [], []
    for notebook in args.notebooks:
        try:
            rows.append(measure_in_subprocess(notebook, args.steps, profile=args.profile))
        except (RuntimeError, subprocess.TimeoutExpired) as error:  # one failure is a line, not a stopped table
            failed.append(notebook)
            print(f"notebook {notebook}: FAILED: {error}", flush=True)
            continue
        print(f"notebook {notebook}: {rows[-1]}", flush=True)
    print(table(rows))
    if failed:
        print(f"failed: {', '.join(failed)}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
