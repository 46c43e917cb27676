"""Callbacks for GAN training: sample grids, loss history, checkpoints that resume.

Pass them to ``gan.fit(..., callbacks=[...])`` or to :func:`gankit.trainer.train`:

* :class:`SampleGrid`  -- images from the same fixed noise after every epoch (PNGs, a GIF);
* :class:`LossHistory` -- every step's losses, for :func:`gankit.plots.plot_losses`;
* :class:`JudgeScores` -- the judge's verdict on fixed-noise samples after every epoch;
* :class:`Checkpoint`  -- everything needed to resume, every N steps;
* :class:`StopAfter`   -- stop after a total number of steps.

A checkpoint is one ``checkpoint.npz`` file holding the values of every model
variable (weights, batch-norm statistics, the state of every random seed generator
and, for a CycleGAN, its image pools), every optimizer variable (moments and step
counts) and a little bookkeeping. It is written to a temporary file and then
renamed, so a run killed while saving leaves the previous checkpoint intact. It
works for every :class:`gankit.steps.Game` (the DCGAN ``GAN``, the conditional GAN,
pix2pix, CycleGAN) and for a plain compiled Keras model (pix2pix's L1-only generator).
:func:`save_generators` keeps the trained generators as ``.keras`` files, for use
without the training code.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
import time

import keras
import numpy as np

CHECKPOINT_FILE = "checkpoint.npz"


class LossHistory(keras.callbacks.Callback):
    """Every step's losses in ``steps`` and each epoch's means in ``epochs`` (dicts of lists of floats).

    Keras reports running means over the epoch; the value of step n is recovered
    as ``n * mean_n - (n - 1) * mean_(n-1)``.
    """

    def __init__(self):
        super().__init__()
        self.steps, self.epochs = {}, {}
        self._pending = []  # (batch, logs) of this epoch, converted at its end to keep steps fast

    def on_epoch_begin(self, epoch, logs=None):
        self._pending = []

    def on_train_batch_end(self, batch, logs=None):
        self._pending.append((batch, dict(logs or {})))

    def on_epoch_end(self, epoch, logs=None):
        previous = {}
        for batch, step_logs in self._pending:
            for name, value in step_logs.items():
                mean, n = float(np.asarray(value)), batch + 1
                self.steps.setdefault(name, []).append(n * mean - (n - 1) * previous.get(name, 0.0))
                previous[name] = mean
        self._pending = []
        for name, value in (logs or {}).items():
            self.epochs.setdefault(name, []).append(float(np.asarray(value)))


def wait_for_step(logs) -> None:
    """Wait until the step behind ``logs`` has finished (JAX returns before it has), e.g. before timing."""
    float(np.asarray(next(iter(logs.values()))))


def _sampler(gan):
    """The generator to draw from: ``gan.sampler`` (the averaged one, if kept), else ``gan.generator``."""
    return getattr(gan, "sampler", None) or gan.generator


class SampleGrid(keras.callbacks.Callback):
    """Images from the same fixed noise at the start and after every ``every`` epochs.

    They come from ``gan.sampler``: the averaged generator when the GAN keeps one
    (``average_decay``), else the trained generator.

    The frames stay in memory (``frames``, with ``epochs`` saying how many epochs
    each one had seen); with ``directory`` each is also saved as a PNG grid, and with
    ``gif`` the animated GIF of all frames is rewritten after each epoch.
    """

    def __init__(self, latent_dim: int, n: int = 16, seed: int = 0, every: int = 1,
                 directory=None, gif=None):
        super().__init__()
        self.noise = np.random.default_rng(seed).normal(size=(n, latent_dim)).astype("float32")
        self.every, self.directory, self.gif = every, directory, gif
        self.frames, self.epochs = [], []

    def generate(self, model=None):
        """The generator's images for the fixed noise, as a NumPy array."""
        from gankit.utils import to_numpy

        return to_numpy(_sampler(model or self.model)(self.noise, training=False))

    def _snapshot(self, epochs_done: int) -> None:
        from gankit import plots

        self.frames.append(self.generate())
        self.epochs.append(epochs_done)
        if self.directory is not None:
            from PIL import Image

            path = pathlib.Path(self.directory) / f"epoch_{epochs_done:04d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray((plots.grid(self.frames[-1]) * 255).astype("uint8")).save(path)
        if self.gif is not None:
            plots.save_gif(self.frames, self.gif)

    def on_epoch_begin(self, epoch, logs=None):
        if not self.frames:  # the "before" picture (or, after a resume, where it resumed)
            self._snapshot(epoch)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self._snapshot(epoch + 1)

    def show(self, index: int = -1, ax=None):
        """Draw one frame (the latest by default)."""
        from gankit.plots import show_images

        if not self.frames:
            raise ValueError("no frames yet. Fix: train with this callback for at least one epoch.")
        return show_images(self.frames[index], title=f"after {self.epochs[index]} epochs", ax=ax)


class JudgeScores(keras.callbacks.Callback):
    """The judge's verdict on ``n`` digits from the same fixed noise after every epoch.

    ``scores`` holds one dict per epoch: ``epoch``, ``train_seconds`` (training time
    since the run began, the time spent judging left out), ``recognised`` and
    ``classes_present``. The samples come from ``gan.sampler``, as in
    :class:`SampleGrid`, for the noise of ``gankit.metrics.generate(..., n, seed)``, so the
    last score matches a final measurement with the same ``n`` and ``seed``.
    It shows when a run reaches a quality, not just where it ends.
    Use a new one for each run: its clock starts when the first ``fit`` begins.
    """

    def __init__(self, judge, n: int = 1000, seed: int = 0):
        super().__init__()
        self.judge, self.n, self.seed = judge, n, seed
        self.scores = []
        self._start = None

    def on_train_begin(self, logs=None):
        # gankit.trainer.train calls fit once per epoch: the clock starts with the first call only.
        if self._start is None:
            self._start, self._judging = time.perf_counter(), 0.0

    def on_epoch_end(self, epoch, logs=None):
        from gankit.judge import judge_digits
        from gankit.metrics import generate

        if logs:  # JAX runs ahead of Python: stop the clock only when the step is done
            wait_for_step(logs)
        began = time.perf_counter()
        digits = generate(_sampler(self.model), n=self.n, seed=self.seed)  # the same noise every epoch
        report = judge_digits(digits, self.judge)
        self.scores.append({"epoch": epoch + 1, "train_seconds": round(began - self._start - self._judging, 1),
                            "recognised": report.recognised, "classes_present": report.classes_present})
        self._judging += time.perf_counter() - began

    def at(self, seconds: float) -> dict | None:
        """The latest score reached within ``seconds`` of training, or None if no epoch ended that soon."""
        reached = [score for score in self.scores if score["train_seconds"] <= seconds]
        return reached[-1] if reached else None


def steps_taken(model) -> int:
    """Training steps ``model`` has taken, read from its optimizers (so a restored checkpoint counts).

    A GAN with a ``g_optimizer`` (DCGAN, conditional GAN, pix2pix): its count. Any other
    :class:`gankit.steps.Game` (CycleGAN): the highest count among its players. A plain
    Keras model: its optimizer's.
    """
    optimizer = getattr(model, "g_optimizer", None)
    if optimizer is not None:
        return int(optimizer.iterations)
    if callable(getattr(model, "players", None)) and getattr(model, "optimizer", None) is not None:
        return max(int(player.optimizer.iterations) for player in model.players())
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"{getattr(model, 'name', model)!r} is not compiled, so it has no step count. "
                         f"Fix: compile it before training, restoring or checkpointing.")
    return int(model.optimizer.iterations)


class _StepCounter(keras.callbacks.Callback):
    """Counts training steps, starting from the model's optimizer count (which a resume restores)."""

    def on_train_begin(self, logs=None):
        self.step = steps_taken(self.model)

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1


class StopAfter(_StepCounter):
    """Stop training once ``max_steps`` steps have been taken in total."""

    def __init__(self, max_steps: int):
        super().__init__()
        self.max_steps = int(max_steps)

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step >= self.max_steps:
            self.model.stop_training = True


class Checkpoint(_StepCounter):
    """Save a resumable checkpoint every ``every`` steps and when training stops.

    ``meta`` (e.g. batch size and data seed) is stored with it, so that a resume
    with different settings is refused instead of silently continuing differently.
    Works for every :class:`gankit.steps.Game` and any compiled Keras model.
    """

    def __init__(self, directory, every: int = 500, meta: dict | None = None):
        super().__init__()
        if every < 1:
            raise ValueError(f"every is {every}; it must be a number of steps >= 1.")
        self.directory, self.every, self.meta = pathlib.Path(directory), int(every), dict(meta or {})

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step % self.every == 0:
            save_checkpoint(self.model, self.directory, meta=self.meta)

    def on_train_end(self, logs=None):
        save_checkpoint(self.model, self.directory, meta=self.meta)


def _state_variables(gan):
    """The variables a checkpoint holds, by group, in a fixed order.

    ``gan.variables`` holds every layer's weights and non-trainable state (batch-norm
    statistics, image pools, seed generators); ``gan.optimizer.variables`` the state of
    every player's optimizer (a Game hands Keras its players' optimizers as one).
    """
    return {"model": gan.variables, "optimizer": gan.optimizer.variables}


def save_checkpoint(gan, directory, meta: dict | None = None) -> pathlib.Path:
    """Write ``directory/checkpoint.npz`` with the model's full training state; returns its path."""
    if getattr(gan, "optimizer", None) is None:
        raise ValueError("the model is not compiled, so it has no optimizer state to save. Fix: compile it first.")
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for group, variables in _state_variables(gan).items():
        for i, v in enumerate(variables):
            arrays[f"{group}/{i}"] = keras.ops.convert_to_numpy(v.value)
    meta = {**(meta or {}), "step": steps_taken(gan), "backend": keras.backend.backend()}
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    handle, tmp = tempfile.mkstemp(dir=directory, suffix=".npz")
    os.close(handle)
    np.savez(tmp, **arrays)
    path = directory / CHECKPOINT_FILE
    os.replace(tmp, path)
    return path


def checkpoint_meta(directory) -> dict | None:
    """The bookkeeping of the checkpoint in ``directory`` (its ``step`` and settings), or None."""
    path = pathlib.Path(directory) / CHECKPOINT_FILE
    if not path.is_file():
        return None
    with np.load(path) as archive:
        return json.loads(str(archive["meta"]))


def restore_checkpoint(gan, directory, expect: dict | None = None) -> dict | None:
    """Load the checkpoint in ``directory`` into a compiled ``gan``; returns its meta, or None if there is none.

    ``expect`` lists settings (batch size, seed, ...) that must match the saved ones.
    """
    path = pathlib.Path(directory) / CHECKPOINT_FILE
    if not path.is_file():
        return None
    if getattr(gan, "optimizer", None) is None:
        raise ValueError("the model is not compiled. Fix: call its compile(...) before restoring a checkpoint.")
    if not gan.optimizer.built:  # a plain Keras model builds its optimizer on its first step
        gan.optimizer.build(gan.trainable_variables)
    with np.load(path) as archive:
        meta = json.loads(str(archive["meta"]))
        for key, value in (expect or {}).items():
            if key in meta and meta[key] != value:
                raise ValueError(
                    f"{path} was written with {key}={meta[key]}, but this run uses {key}={value}. "
                    f"Fix: use the same settings, another checkpoint_dir, or resume=False to start over."
                )
        for group, variables in _state_variables(gan).items():
            saved = sorted((k for k in archive.files if k.startswith(group + "/")), key=lambda k: int(k.split("/")[1]))
            shapes = [tuple(archive[k].shape) for k in saved]
            wanted = [tuple(v.shape) for v in variables]
            if shapes != wanted:
                raise ValueError(
                    f"{path} holds {len(shapes)} {group} variables that do not match this GAN's {len(wanted)} "
                    f"(a different architecture or optimizer?). Fix: use another checkpoint_dir or resume=False."
                )
            for v, key in zip(variables, saved):
                v.assign(archive[key])
    return meta


def save_generators(model, directory, names=None) -> list[pathlib.Path]:
    """Save ``model``'s generators as ``directory/<name>.keras``; returns the paths.

    ``names`` lists the attributes to save; by default every generator the model has:
    ``generator`` and ``average_generator`` (GAN, conditional GAN, pix2pix) or ``g_ab``
    and ``g_ba`` (CycleGAN); a plain Keras model is saved as itself. Load one with
    ``keras.models.load_model(path)`` (the course's custom layers register themselves
    when :mod:`gankit.blocks` is imported). Each file is written under a temporary name
    and renamed, so an interrupted save keeps the previous file.
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if names is None:
        names = [n for n in ("generator", "average_generator", "g_ab", "g_ba") if getattr(model, n, None) is not None]
    parts = {name: getattr(model, name) for name in names} if names else {model.name: model}
    paths = []
    for name, part in parts.items():
        if part is None:
            raise ValueError(f"the model has no {name!r}. Fix: name one of its generators.")
        path = directory / f"{name}.keras"
        tmp = directory / f".{name}.tmp.keras"
        part.save(tmp)
        os.replace(tmp, path)
        paths.append(path)
    return paths
