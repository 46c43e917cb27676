"""Benchmarks: fused step vs the classic loop, time to quality, and timed notebook runs.

Usage (the backend is whatever ``KERAS_BACKEND`` says)::

    python -m gankit.bench --batch-size 64 --steps 50        # images/s: toggling loop vs fused step
    python -m gankit.bench --torch                           # ... plus a PyTorch eager reference
    python -m gankit.bench --time-to-quality --target 0.8    # seconds until the judge is convinced
    python -m gankit.bench notebook solutions/01_mlp_gan/01_mlp_gan.ipynb --profile standard

Throughput counts real images per second (``batch_size`` per step) over ``--steps``
timed steps, after ``--warmup`` untimed steps that compile everything. Both loops
train the same DCGAN (:mod:`gankit.models`) at the same batch size in one process,
and are timed in turns (``--repeats``), keeping the best turn of each: on a shared
machine other work only ever slows a turn down.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import time

import numpy as np

LATENT_DIM = 100


def _adam():
    import keras

    return keras.optimizers.Adam(2e-4, beta_1=0.5)  # the DCGAN paper's settings; beta_1=0.9 hurts GANs


def _fused_gan(size: str, seed: int):
    from gankit import models, trainer
    from gankit.seeding import seed_everything

    seed_everything(seed)
    gan = trainer.GAN(models.dcgan_generator(LATENT_DIM, size), models.dcgan_discriminator(size), LATENT_DIM, seed=seed)
    gan.compile(_adam(), _adam())
    return gan


def _timer_callback(first: int, last: int):
    """A callback that times the steps ``first`` .. ``last`` (0-based, inclusive) of one ``fit``."""
    import keras

    from gankit.callbacks import wait_for_step

    class Timer(keras.callbacks.Callback):
        seconds = None

        def on_train_batch_end(self, batch, logs=None):
            if batch == first - 1:
                wait_for_step(logs)
                self.start = time.perf_counter()
            if batch == last:
                wait_for_step(logs)
                self.seconds = time.perf_counter() - self.start

    return Timer()


class TogglingGAN:
    """The classic Keras recipe, fixed for Keras 3: two compiled models and ``train_on_batch``.

    The reference the fused step of :class:`gankit.trainer.GAN` is timed against.

    The discriminator is compiled on its own, and the generator is trained through a
    compiled stacked model ``Sequential([generator, discriminator])``. Keras 3 fixes
    which weights a model trains when it first builds its train function, so the
    discriminator's ``trainable`` flag is switched on before its own update and off
    before the generator's. One :meth:`step` calls the generator, then
    ``train_on_batch`` twice.
    """

    def __init__(self, generator, discriminator, latent_dim: int, learning_rate: float = 2e-4,
                 beta_1: float = 0.5, from_logits: bool = True, seed: int = 0):
        import keras

        self.generator, self.discriminator, self.latent_dim = generator, discriminator, int(latent_dim)
        bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)
        discriminator.trainable = True
        discriminator.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), loss=bce)
        discriminator.trainable = False
        self.stacked = keras.Sequential([generator, discriminator], name="stacked_gan")
        self.stacked.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), loss=bce)
        self.rng = np.random.default_rng(seed)

    def step(self, real):
        """One update of D (on real and fake images together), then one of G; returns ``(d_loss, g_loss)``."""
        from gankit.trainer import FAKE, REAL

        batch = len(real)
        noise = self.rng.normal(size=(batch, self.latent_dim)).astype("float32")
        fake = self.generator.predict_on_batch(noise)
        images = np.concatenate([real, np.asarray(fake)], axis=0)
        labels = np.concatenate([np.full((batch, 1), REAL), np.full((batch, 1), FAKE)]).astype("float32")
        self.discriminator.trainable = True  # without this, Keras 3 never updates D
        d_loss = self.discriminator.train_on_batch(images, labels)
        self.discriminator.trainable = False
        noise = self.rng.normal(size=(batch, self.latent_dim)).astype("float32")
        g_loss = self.stacked.train_on_batch(noise, np.full_like(labels[:batch], REAL))
        return float(d_loss), float(g_loss)

    def train(self, images, steps: int, batch_size: int = 64):
        """Take ``steps`` steps on random batches of ``images``; returns ``{"d_loss": [...], "g_loss": [...]}``."""
        from gankit.trainer import _as_images

        images = _as_images(images)
        history = {"d_loss": [], "g_loss": []}
        for _ in range(steps):
            real = images[self.rng.integers(0, len(images), batch_size)]
            d_loss, g_loss = self.step(real)
            history["d_loss"].append(d_loss)
            history["g_loss"].append(g_loss)
        return history


def time_fused(gan, images, batch_size: int, steps: int, warmup: int) -> float:
    """Images/s of ``gan.fit`` over ``steps`` steps, after ``warmup`` untimed ones in the same call."""
    timer = _timer_callback(warmup, warmup + steps - 1)
    gan.fit(images[: (warmup + steps) * batch_size], batch_size=batch_size, epochs=1, shuffle=False,
            verbose=0, callbacks=[timer])
    return steps * batch_size / timer.seconds


def time_toggling(classic, images, batch_size: int, steps: int, warmup: int) -> float:
    """Images/s of the classic ``train_on_batch`` loop over ``steps`` steps, after ``warmup`` ones."""
    classic.train(images, warmup, batch_size)
    start = time.perf_counter()
    classic.train(images, steps, batch_size)
    return steps * batch_size / (time.perf_counter() - start)


# -- a PyTorch eager reference with the same architecture -------------------------------------

def _torch_models(size: str):
    """The DCGAN of :mod:`gankit.models` written in plain PyTorch (channels first)."""
    from torch import nn

    from gankit.models import SIZES

    g_widths, d_widths = SIZES[size]

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.project = nn.Sequential(nn.Linear(LATENT_DIM, 7 * 7 * g_widths[0], bias=False),
                                         nn.BatchNorm1d(7 * 7 * g_widths[0], eps=1e-3, momentum=0.01), nn.ReLU())
            blocks, width = [], g_widths[0]
            for w in g_widths[1:-1]:  # stride 1 keeps 7x7
                blocks += [nn.ConvTranspose2d(width, w, 5, 1, 2, bias=False), nn.BatchNorm2d(w, 1e-3, 0.01), nn.ReLU()]
                width = w
            blocks += [nn.ConvTranspose2d(width, g_widths[-1], 5, 2, 2, output_padding=1, bias=False),
                       nn.BatchNorm2d(g_widths[-1], 1e-3, 0.01), nn.ReLU(),
                       nn.ConvTranspose2d(g_widths[-1], 1, 5, 2, 2, output_padding=1), nn.Tanh()]
            self.blocks = nn.Sequential(*blocks)

        def forward(self, noise):
            return self.blocks(self.project(noise).view(-1, 7, 7, g_widths[0]).permute(0, 3, 1, 2))

    layers, width = [], 1
    for w in d_widths:
        layers += [nn.Conv2d(width, w, 5, 2, 2), nn.LeakyReLU(0.2), nn.Dropout(0.3)]
        width = w
    discriminator = nn.Sequential(*layers, nn.Flatten(), nn.Linear(width * 7 * 7, 1))
    return Generator(), discriminator


def time_torch(images, batch_size: int, steps: int, warmup: int, size: str, seed: int, repeats: int,
               threads: int | None = None) -> float:
    """Images/s of an eager PyTorch loop doing the same step as :class:`gankit.trainer.GAN`."""
    import torch

    if threads:
        torch.set_num_threads(threads)  # on a busy machine, fewer OpenMP threads can be much faster
    torch.manual_seed(seed)
    generator, discriminator = _torch_models(size)
    d_opt = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCEWithLogitsLoss()
    data = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    labels = torch.cat([torch.ones(batch_size, 1), torch.zeros(batch_size, 1)])

    def step(i):
        real = data[(i * batch_size) % (len(data) - batch_size):][:batch_size]
        with torch.no_grad():
            fake = generator(torch.randn(batch_size, LATENT_DIM))
        d_opt.zero_grad()
        d_loss = bce(discriminator(torch.cat([real, fake])), labels)
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        g_loss = bce(discriminator(generator(torch.randn(batch_size, LATENT_DIM))), labels[:batch_size])
        g_loss.backward()
        g_opt.step()

    for i in range(warmup):
        step(i)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(steps):
            step(i)
        best = max(best, steps * batch_size / (time.perf_counter() - start))
    return best


def throughput(batch_size: int = 64, steps: int = 50, warmup: int = 5, size: str = "small",
               repeats: int = 2, with_torch: bool = False, seed: int = 0, torch_threads: int | None = None) -> dict:
    """Train the DCGAN both ways on the current backend; print and return images/s and the ratio."""
    import keras

    from gankit import models, report
    from gankit.data import load_mnist
    from gankit.seeding import seed_everything

    backend = keras.backend.backend()
    images, _ = load_mnist("train", limit=(warmup + steps) * batch_size)
    if len(images) < (warmup + steps) * batch_size:
        raise ValueError(f"--steps {steps} at --batch-size {batch_size} needs more than the 60,000 MNIST images.")
    load = os.getloadavg()[0]
    busy = " (above the CPU count: other work is competing and timings are noisy)" if load > (os.cpu_count() or 1) else ""
    print(f"DCGAN '{size}' on MNIST, backend {backend}, batch {batch_size}: {warmup} warm-up + {steps} timed steps, "
          f"best of {repeats} turns. CPUs: {os.cpu_count()}, load average {load:.1f}{busy}.")
    fused = _fused_gan(size, seed)
    seed_everything(seed)
    classic = TogglingGAN(models.dcgan_generator(LATENT_DIM, size), models.dcgan_discriminator(size),
                                  LATENT_DIM, seed=seed)
    results = {"toggling": 0.0, "fused": 0.0}
    for _ in range(repeats):  # take turns, so that a busy moment hits both
        results["toggling"] = max(results["toggling"], time_toggling(classic, images, batch_size, steps, warmup))
        results["fused"] = max(results["fused"], time_fused(fused, images, batch_size, steps, warmup))
    if with_torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("--torch: PyTorch is not installed, so the PyTorch reference is skipped. "
                  "Fix: pip install torch (the CPU build is enough).")
        else:
            import torch

            results["torch eager"] = time_torch(images, batch_size, steps, warmup, size, seed, repeats, torch_threads)
            print(f"  (PyTorch {torch.__version__} with {torch.get_num_threads()} threads)")
    for name, value in results.items():
        print(f"  {name:12s} {value:8.1f} images/s")
    print(f"  (load average after: {os.getloadavg()[0]:.1f})")
    ratio = results["fused"] / results["toggling"]
    print(f"  fused / toggling = {ratio:.2f}x")
    for name, value in results.items():
        report.record(f"bench_{backend}_{name.replace(' ', '_')}_images_per_s", round(value, 1), show=False)
    report.record(f"bench_{backend}_fused_over_toggling", round(ratio, 3), show=False)
    return {**results, "ratio": ratio}


def time_to_quality(target: float = 0.8, min_classes: int = 9, batch_size: int = 64, size: str = "small",
                    check_every: int = 200, samples: int = 500, max_seconds: float = 900.0, seed: int = 0) -> dict:
    """Train the fused DCGAN until the judge recognises ``target`` of its digits with >= ``min_classes`` classes.

    Every ``check_every`` steps the generator draws ``samples`` digits from fixed noise
    and the judge scores them; the clock counts training time only (checks excluded)
    and gives up after ``max_seconds``.
    """
    import keras

    from gankit import report
    from gankit.callbacks import wait_for_step
    from gankit.data import load_mnist
    from gankit.judge import judge_digits, load_judge

    judge = load_judge()
    images, _ = load_mnist("train")
    gan = _fused_gan(size, seed)
    noise = np.random.default_rng(seed).normal(size=(samples, LATENT_DIM)).astype("float32")
    print(f"Time to quality: DCGAN '{size}', backend {keras.backend.backend()}, batch {batch_size}; "
          f"goal {target:.0%} recognised with >= {min_classes} classes; a check of {samples} digits "
          f"every {check_every} steps; cap {max_seconds:.0f} s of training.")

    class Clock(keras.callbacks.Callback):
        step, paused, result = 0, 0.0, None

        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.step % check_every:
                return
            wait_for_step(logs)
            check_start = time.perf_counter()
            trained = check_start - self.start - self.paused
            verdict = judge_digits(self.model.generator.predict(noise, verbose=0), judge)
            self.paused += time.perf_counter() - check_start
            print(f"  step {self.step:6d}  {trained:7.1f} s  {verdict}", flush=True)
            reached = verdict.recognised >= target and verdict.classes_present >= min_classes
            if reached or trained > max_seconds:
                self.result = {"reached": reached, "steps": self.step, "seconds": round(trained, 1),
                               "recognised": verdict.recognised, "classes_present": verdict.classes_present}
                self.model.stop_training = True

    clock = Clock()
    wall = time.perf_counter()
    gan.fit(images, batch_size=batch_size, epochs=1000, verbose=0, callbacks=[clock])
    result = clock.result or {"reached": False, "steps": clock.step}
    result["wall_seconds"] = round(time.perf_counter() - wall, 1)
    if result["reached"]:
        print(f"Reached after {result['steps']} steps: {result['seconds']} s of training "
              f"({result['wall_seconds']} s wall clock with the checks).")
    else:
        print(f"Not reached within the cap: {result}")
    report.record(f"time_to_quality_{keras.backend.backend()}", result, show=False)
    return result


def run_notebook(path, profile: str = "standard", parameters: dict | None = None, kernel: str | None = None,
                 output=None) -> dict:
    """Execute a course notebook under ``profile`` (:func:`gankit.run.run_notebook`); print wall time and records.

    It runs in a scratch folder, so the files a notebook writes (sample grids, GIFs,
    checkpoints) never land next to the source notebook; ``output`` keeps the executed notebook.
    No quality bar is checked here: ``python -m gankit.run`` does that.
    """
    from gankit import run

    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"{path} does not exist. Fix: pass the path of a notebook, "
                         f"e.g. solutions/01_mlp_gan/01_mlp_gan.ipynb.")
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    with tempfile.TemporaryDirectory() as tmp:
        result = run.run_notebook(path.stem, path, tmp, profile=profile, backend=backend, parameters=parameters,
                                  kernel=kernel, bars={path.stem: {}})
        if output is not None:
            shutil.copyfile(pathlib.Path(tmp) / path.stem / result["executed_notebook"], output)
    if result["status"] == "error":
        raise RuntimeError(result["failures"][0])
    wall = result["wall_seconds"]
    print(f"{path} under profile '{profile}' ({backend}): {wall:.1f} s wall clock")
    for name, value in result["records"].items():
        print(f"  {name}: {value}")
    return {"wall_seconds": wall, "records": result["records"]}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fullshape"]:  # each notebook's full settings on this CPU: s/step, peak memory, projections
        from gankit import fullshape

        return fullshape.main(argv[1:])
    if argv[:1] == ["notebook"]:
        from gankit.run import parameter as run_parameter

        parser = argparse.ArgumentParser(prog="python -m gankit.bench notebook",
                                         description="Run a course notebook with papermill and report its records.")
        parser.add_argument("path")
        parser.add_argument("--profile", default="standard", choices=("smoke", "standard", "full"))
        parser.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                            type=run_parameter, help="another notebook parameter, e.g. -p epochs=3")
        parser.add_argument("--kernel", default=None, help="Jupyter kernel name (default: the notebook's own)")
        parser.add_argument("--output", default=None, help="keep the executed notebook here")
        args = parser.parse_args(argv[1:])
        run_notebook(args.path, args.profile, dict(args.parameter), args.kernel, args.output)
        return
    parser = argparse.ArgumentParser(prog="python -m gankit.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50, help="timed steps per turn")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (compilation)")
    parser.add_argument("--repeats", type=int, default=2, help="timed turns per loop; the best one counts")
    parser.add_argument("--size", default="small", choices=("small", "paper"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--torch", action="store_true", help="add a PyTorch eager reference")
    parser.add_argument("--torch-threads", type=int, default=None, help="PyTorch CPU threads (default: its own)")
    parser.add_argument("--time-to-quality", action="store_true", help="time the fused DCGAN to a judge target")
    parser.add_argument("--target", type=float, default=0.8, help="share the judge must recognise")
    parser.add_argument("--min-classes", type=int, default=9)
    parser.add_argument("--check-every", type=int, default=200, help="steps between judge checks")
    parser.add_argument("--samples", type=int, default=500, help="digits per judge check")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="cap on training time")
    args = parser.parse_args(argv)
    if args.time_to_quality:
        time_to_quality(args.target, args.min_classes, args.batch_size, args.size, args.check_every,
                        args.samples, args.max_seconds, args.seed)
    else:
        throughput(args.batch_size, args.steps, args.warmup, args.size, args.repeats, args.torch, args.seed,
                   args.torch_threads)


if __name__ == "__main__":
    main()
