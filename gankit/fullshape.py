"""Full shapes on a CPU: each notebook's ``full`` settings, built and stepped, timed and weighed.

``python -m gankit.bench fullshape`` (or ``python -m gankit.fullshape``) runs, for notebooks
03, 04, 05 and A, each in its own process: the models at the ``full`` profile's image
size, depth, widths and batch (read from the notebook, :func:`gankit.profiles.notebook_profile`),
what the full run keeps in memory beside them (image pools, one Snapshots frame of every
watched set, the MNIST arrays), and a few training steps on synthetic images of the real
shapes. It reports seconds per step (after the first, which compiles), the process's peak
resident memory, and projects them to the whole full run: steps x seconds, and peak
memory + the training images the run loads (counted from the data's real sizes, not
allocated here). The bar: the whole run fits in 12 GB of host memory (a Colab runtime).

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
NOTEBOOKS = {"03": "solutions/03_cyclegan/03_cyclegan.ipynb", "04": "solutions/04_pix2pix/04_pix2pix.ipynb",
             "05": "solutions/05_capstone/05_capstone.ipynb", "A": "solutions/A_own_dataset/A_own_dataset.ipynb"}
# the full datasets a learner downloads (sizes from the datasets' archives)
FULL_DATA = {"03": {"monet": 1072, "photos": 6287}, "04": {"pairs": 49825}, "A": {"paintings": 965},
             "05": {"mnist": 60000}}
BAR_GB = 12.0


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _time_steps(model, x, y, steps: int) -> float:
    """Seconds per step over ``steps`` steps after one compiling step, fed as one ``fit`` per step."""
    batch = len(x)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)  # compiles
    began = time.perf_counter()
    for _ in range(steps):
        logs = model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False).history
    float(np.asarray(next(iter(logs.values()))[-1]))
    return (time.perf_counter() - began) / max(steps, 1)


def measure(notebook: str, steps: int = 1, root=ROOT) -> dict:
    """One notebook's full shapes: build, keep what the run keeps, step; a row for the table."""
    import keras

    from gankit.images import jitter_size
    from gankit.profiles import notebook_profile

    full = notebook_profile(pathlib.Path(root) / NOTEBOOKS[notebook], "full")
    rng = np.random.default_rng(0)
    row = {"notebook": notebook}
    if notebook == "03":
        from gankit.cyclegan import CycleGAN, Snapshots, adam, schedule

        size, batch = full["image_size"], full["batch_size"]
        gan = CycleGAN(image_size=size, width=full["width"], blocks=full["blocks"], d_width=full["d_width"],
                       pool_size=full["pool_size"], seed=0)
        gan.compile(adam(10), adam(10), adam(10))
        x = rng.uniform(-1, 1, (2, batch, size, size, 3)).astype("float32")
        seconds = _time_steps(gan, x[0], x[1], steps)
        shown = rng.uniform(-1, 1, (full["test_images"], size, size, 3)).astype("float32")
        snaps = Snapshots({"photo -> Monet": ("g_ba", shown), "Monet -> photo": ("g_ab", shown),
                           "Monet -> Monet": ("g_ba", shown)}, memory_mb=512)
        snaps.set_model(gan)
        snaps.on_train_begin()  # one frame of every watched set, as after every round
        data = FULL_DATA["03"]
        total, _, _ = schedule(max(data.values()) // batch)
        loaded = sum(data.values()) * jitter_size(size) ** 2 * 3 + 2 * 751 * size ** 2 * 3  # uint8 train + test
        row.update(size=size, batch=batch, params=gan.g_ab.count_params() * 2 + gan.d_a.count_params() * 2)
    elif notebook == "04":
        from gankit import pix2pix

        size, batch = full["image_size"], full["batch_size"]
        gan = pix2pix.Pix2Pix(size, levels=full["levels"], width=full["width"], d_width=full["width"],
                              d_layers=full["d_layers"])
        gan.compile(pix2pix.adam(), pix2pix.adam())
        x = rng.uniform(-1, 1, (2, batch, size, size, 3)).astype("float32")
        seconds = _time_steps(gan, x[0], x[1], steps)
        pairs = FULL_DATA["04"]["pairs"]
        total = full["epochs"] * pairs // batch
        loaded = 2 * pairs * jitter_size(size) ** 2 * 3  # both halves of every pair, uint8
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
        loaded = 0  # already in this process
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
        loaded = FULL_DATA["A"]["paintings"] * jitter_size(size) ** 2 * 3
        row.update(size=size, batch=batch, params=generator.count_params() + discriminator.count_params())
    else:
        raise ValueError(f"no full-shape measure for notebook {notebook!r}. Fix: choose one of {', '.join(NOTEBOOKS)}.")
    peak = _peak_rss_mb()
    row.update(seconds_per_step=round(seconds, 3), peak_rss_mb=round(peak), steps=int(total),
               projected_hours=round(total * seconds / 3600, 1), data_mb=round(loaded / 1e6),
               projected_gb=round((peak + loaded / 1e6) / 1000, 2))
    row["fits_12_gb"] = row["projected_gb"] <= BAR_GB
    return row


def measure_in_subprocess(notebook: str, steps: int = 1, timeout: float = 900) -> dict:
    """:func:`measure` in a fresh process, so that its peak memory is this notebook's alone."""
    code = ("import json, sys; from gankit.fullshape import measure; "
            "print('ROW ' + json.dumps(measure(sys.argv[1], int(sys.argv[2]))))")
    run = subprocess.run([sys.executable, "-c", code, notebook, str(steps)], capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, "GANKIT_PROGRESS": "off"})
    rows = [line[4:] for line in run.stdout.splitlines() if line.startswith("ROW ")]
    if run.returncode != 0 or not rows:
        raise RuntimeError(f"the full-shape run of notebook {notebook} failed:\n{run.stderr[-2000:]}")
    return json.loads(rows[-1])


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    head = ("| notebook | size | batch | weights | s/step (CPU) | peak RSS MB | full-run steps | projected CPU hours "
            "| training data MB | projected GB | fits 12 GB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(f"| {r['notebook']} | {r['size']} | {r['batch']} | {r['params']:,} | {r['seconds_per_step']} | "
                     f"{r['peak_rss_mb']} | {r['steps']:,} | {r['projected_hours']:,} | {r['data_mb']:,} | "
                     f"{r['projected_gb']} | {'yes' if r['fits_12_gb'] else 'NO'} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gankit.bench fullshape", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", default=list(NOTEBOOKS), help="which (default: 03 04 05 A)")
    parser.add_argument("--steps", type=int, default=2, help="timed steps after the compiling one")
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    rows, failed = [], []
    for notebook in args.notebooks:
        try:
            rows.append(measure_in_subprocess(notebook, args.steps))
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
