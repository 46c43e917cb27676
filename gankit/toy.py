"""The 1-D toy GAN of notebook 00: real data, density estimates, pictures, and update plumbing.

What the notebook teaches (the models, the losses, the training step) stays in
the notebook. This module holds what it leans on:

* :class:`Gaussian` and :class:`Mixture` -- real data with an exact density,
  so a plot can compare what the generator makes with the truth;
  :func:`two_peaks` builds the two-peak mixture used to show mode collapse.
* :func:`density_estimate` and :func:`histogram` -- turn generated samples into
  a curve that can sit beside the exact density.
* :func:`peak_shares` -- how the generated samples split between the peaks of a
  mixture, the number that shows mode collapse.
* :class:`Snapshot`, :func:`plot_snapshot` and :func:`plot_snapshots` -- real
  density, generated density and D(x) on one picture, and a row of them over
  training (:func:`evenly_spaced` picks which).
* :func:`make_update` and :func:`gradient` -- backend plumbing: one compiled
  gradient step on one model's weights, on TensorFlow or JAX, and the gradient
  of a function of a tensor. The notebook says *which* loss trains *which*
  model; these helpers do the bookkeeping each backend needs.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

import numpy as np

SQRT_2PI = math.sqrt(2.0 * math.pi)


# ---------------------------------------------------------------------------
# Real data: distributions with an exact density
# ---------------------------------------------------------------------------

def _as_float_array(x, what: str = "x") -> np.ndarray:
    """``x`` (a number, list, array or tensor) as a float64 NumPy array."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    try:
        array = np.asarray(x, dtype="float64")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} should be numbers (a float, list or array), got {type(x).__name__}") from error
    return array


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of samples should be a positive whole number, got {n!r}")
    return int(n)


def _check_std(std, what: str = "std") -> float:
    std = float(std)
    if not np.isfinite(std) or std <= 0:
        raise ValueError(f"{what} should be a positive number, got {std!r}")
    return std


def gaussian_density(x, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """The normal density N(mean, std**2) at ``x``, in NumPy (float64)."""
    std = _check_std(std)
    z = (_as_float_array(x) - float(mean)) / std
    return np.exp(-0.5 * z * z) / (std * SQRT_2PI)


@dataclasses.dataclass(frozen=True)
class Gaussian:
    """A 1-D normal distribution N(mean, std**2): real data with a known density."""

    mean: float = 0.0
    std: float = 1.0

    def __post_init__(self):
        _check_std(self.std, "Gaussian std")

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples as a float32 array of shape (n, 1), ready for a Keras model."""
        rng = np.random.default_rng(seed)
        return rng.normal(self.mean, self.std, size=(_check_count(n), 1)).astype("float32")

    def density(self, x) -> np.ndarray:
        """The exact density at ``x`` (any shape), in NumPy."""
        return gaussian_density(x, self.mean, self.std)

    @property
    def span(self) -> tuple[float, float]:
        """A plotting range that holds practically all the probability (mean +- 4 std)."""
        return (self.mean - 4 * self.std, self.mean + 4 * self.std)

    @property
    def peaks(self) -> tuple[float, ...]:
        """Where the density peaks: just the mean."""
        return (float(self.mean),)


@dataclasses.dataclass(frozen=True)
class Mixture:
    """A mixture of 1-D normal distributions: several peaks, each with a weight."""

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self):
        means, stds, weights = (tuple(float(v) for v in np.ravel(a)) for a in (self.means, self.stds, self.weights))
        if not (len(means) == len(stds) == len(weights)) or not means:
            raise ValueError(
                f"a Mixture needs as many means, stds and weights, at least one of each; "
                f"got {len(means)} means, {len(stds)} stds and {len(weights)} weights"
            )
        for std in stds:
            _check_std(std, "each Mixture std")
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"Mixture weights should be non-negative and not all zero, got {weights}")
        total = sum(weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "stds", stds)
        object.__setattr__(self, "weights", tuple(w / total for w in weights))

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` samples as a float32 array of shape (n, 1): pick a peak by weight, then sample it."""
        rng = np.random.default_rng(seed)
        n = _check_count(n)
        which = rng.choice(len(self.means), size=n, p=self.weights)
        values = rng.normal(np.asarray(self.means)[which], np.asarray(self.stds)[which])
        return values.reshape(n, 1).astype("float32")

    def density(self, x) -> np.ndarray:
        """The exact density at ``x`` (any shape): the weighted sum of the peaks' densities."""
        x = _as_float_array(x)
        return sum(w * gaussian_density(x, m, s) for m, s, w in zip(self.means, self.stds, self.weights))

    @property
    def span(self) -> tuple[float, float]:
        """A plotting range that holds practically all the probability."""
        return (min(m - 4 * s for m, s in zip(self.means, self.stds)),
                max(m + 4 * s for m, s in zip(self.means, self.stds)))

    @property
    def peaks(self) -> tuple[float, ...]:
        """The centres of the peaks (the means), in the order given."""
        return self.means


def two_peaks(distance: float = 4.0, std: float = 0.5, centre: float = 0.0) -> Mixture:
    """Two equal, equally wide peaks ``distance`` apart, around ``centre``: the mode-collapse target."""
    distance = float(distance)
    if not np.isfinite(distance) or distance <= 0:
        raise ValueError(f"distance between the peaks should be a positive number, got {distance!r}")
    half = distance / 2
    return Mixture(means=(centre - half, centre + half), stds=(std, std), weights=(0.5, 0.5))


# ---------------------------------------------------------------------------
# Generated data: from samples to a curve
# ---------------------------------------------------------------------------

def _samples_1d(samples, what: str = "samples") -> np.ndarray:
    """Samples of shape (n,) or (n, 1) as a flat float64 array, with clear errors."""
    array = _as_float_array(samples, what)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{what} should be 1-D, of shape (n,) or (n, 1); got shape {array.shape}")
    if array.size < 2:
        raise ValueError(f"{what} needs at least 2 values to estimate a density, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contain NaN or infinite values: training has probably diverged")
    return array


def silverman_bandwidth(samples) -> float:
    """Silverman's rule-of-thumb kernel width for a 1-D sample (never zero)."""
    values = _samples_1d(samples)
    spread = np.std(values)
    iqr = np.subtract(*np.percentile(values, [75, 25])) / 1.34
    scale = min(spread, iqr) if iqr > 0 else spread
    return float(max(0.9 * scale * values.size ** (-1 / 5), 1e-3))


def density_estimate(samples, x, bandwidth: float | None = None) -> np.ndarray:
    """A Gaussian kernel density estimate of ``samples`` evaluated at the points ``x``.

    ``bandwidth`` is the kernel's std; by default Silverman's rule picks it.
    The result integrates to 1 over the real line, like a true density.
    """
    values = _samples_1d(samples)
    bandwidth = silverman_bandwidth(values) if bandwidth is None else _check_std(bandwidth, "bandwidth")
    points = _as_float_array(x, "x")
    flat = points.ravel()
    estimate = np.empty(flat.size)
    chunk = max(1, 2_000_000 // values.size)  # points per pass, so memory stays bounded for big samples
    for start in range(0, flat.size, chunk):
        z = (flat[start:start + chunk, None] - values[None, :]) / bandwidth
        estimate[start:start + chunk] = np.exp(-0.5 * z * z).sum(axis=1)
    return (estimate / (values.size * bandwidth * SQRT_2PI)).reshape(points.shape)


def histogram(samples, bins: int = 60, span: tuple[float, float] | None = None):
    """A normalised histogram of ``samples``: returns (bin centres, densities), area 1 inside ``span``."""
    values = _samples_1d(samples)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins should be a positive whole number, got {bins!r}")
    if span is not None and not span[0] < span[1]:
        raise ValueError(f"span should be (low, high) with low < high, got {span!r}")
    counts, edges = np.histogram(values, bins=int(bins), range=span, density=True)
    return (edges[:-1] + edges[1:]) / 2, counts


def peak_shares(samples, target) -> np.ndarray:
    """The share of ``samples`` nearest to each peak of ``target`` (a Mixture or Gaussian).

    A generator that covers both peaks of :func:`two_peaks` gives about
    [0.5, 0.5]; one that has collapsed onto a single peak gives about [1, 0] or [0, 1].
    """
    values = _samples_1d(samples)
    peaks = np.asarray(getattr(target, "peaks", None) or (), dtype="float64")
    if peaks.size == 0:
        raise ValueError(f"target should be a Gaussian or Mixture with peaks, got {type(target).__name__}")
    nearest = np.argmin(np.abs(values[:, None] - peaks[None, :]), axis=1)
    return np.bincount(nearest, minlength=peaks.size) / values.size


# ---------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Snapshot:
    """What the game looks like at one moment of training.

    ``label`` names the moment (e.g. "epoch 10"), ``fake`` holds generated
    samples, ``x`` the points where the critic was asked, and ``critic`` its
    answers D(x) there (probabilities in [0, 1]).
    """

    label: str
    fake: np.ndarray
    x: np.ndarray
    critic: np.ndarray

    def __post_init__(self):
        self.fake = _samples_1d(self.fake, "generated samples")
        self.x = _as_float_array(self.x, "x").ravel()
        self.critic = _as_float_array(self.critic, "critic values").ravel()
        if self.x.shape != self.critic.shape:
            raise ValueError(
                f"x and critic should hold one D(x) per point: got {self.x.size} points and {self.critic.size} values"
            )


def plot_snapshot(snapshot: Snapshot, target, ax=None, legend: bool = True, density_top: float | None = None,
                  axis_labels: tuple[bool, bool] = (True, True), fake_density=None):
    """Draw real density, generated density and D(x) on one picture; returns the axes.

    Densities use the left axis; D(x) uses the right axis, from 0 to 1, with a
    dotted line at 1/2 -- where an optimal critic sits once the generator matches
    the data. ``axis_labels`` says whether to name the (left, right) axes;
    ``fake_density`` may pass in an already computed estimate of the generated density at ``snapshot.x``.
    """
    import matplotlib.pyplot as plt

    if not hasattr(target, "density"):
        raise ValueError(f"target should be a Gaussian or Mixture (something with .density), got {type(target).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    x = snapshot.x
    real = target.density(x)
    fake = density_estimate(snapshot.fake, x) if fake_density is None else np.asarray(fake_density)
    ax.fill_between(x, real, color="tab:blue", alpha=0.25, lw=0)
    ax.plot(x, real, color="tab:blue", lw=2, label="real data (p_data)")
    ax.plot(x, fake, color="tab:orange", lw=2, label="generated (p_g)")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(0, density_top or 1.15 * max(real.max(), min(fake.max(), 3 * real.max())))
    ax.set_xlabel("x")
    ax.set_title(snapshot.label)
    critic_ax = ax.twinx()
    critic_ax.plot(x, snapshot.critic, color="tab:green", lw=1.5, ls="--", label="critic D(x)")
    critic_ax.axhline(0.5, color="gray", lw=0.8, ls=":")
    critic_ax.set_ylim(0, 1)
    if axis_labels[0]:
        ax.set_ylabel("density")
    if axis_labels[1]:
        critic_ax.set_ylabel("D(x)", color="tab:green")
    if legend:
        lines = ax.get_lines() + critic_ax.get_lines()[:1]
        ax.legend(lines, [line.get_label() for line in lines], loc="upper left", fontsize="small", frameon=False)
    return ax


def evenly_spaced(items: Sequence, count: int) -> list:
    """``count`` items picked evenly from first to last (all of them if there are fewer)."""
    items = list(items)
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count should be a positive whole number, got {count!r}")
    if len(items) <= count:
        return items
    picks = np.unique(np.round(np.linspace(0, len(items) - 1, int(count))).astype(int))
    return [items[i] for i in picks]


def plot_snapshots(snapshots: Sequence[Snapshot], target, count: int | None = None,
                   columns: int | None = None, size: float = 3.2):
    """Draw a row (or grid) of snapshots over training, sharing one density scale; returns the figure.

    With ``count``, only that many snapshots are drawn, evenly spaced from the
    first to the last, so a run of any length fits on one row.
    """
    import matplotlib.pyplot as plt

    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError("plot_snapshots needs at least one Snapshot")
    if not all(isinstance(s, Snapshot) for s in snapshots):
        raise ValueError("plot_snapshots takes a list of toy.Snapshot objects")
    if count is not None:
        snapshots = evenly_spaced(snapshots, count)
    columns = columns or len(snapshots)
    rows = math.ceil(len(snapshots) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(size * 1.25 * columns, size * rows), squeeze=False)
    fakes = [density_estimate(s.fake, s.x) for s in snapshots]
    reals = [target.density(s.x) for s in snapshots]
    # One density scale for all panels; a collapsed generator's spike is cut at 3x the real peak.
    top = 1.15 * max(max(r.max() for r in reals), max(min(f.max(), 3 * r.max()) for f, r in zip(fakes, reals)))
    for i, (ax, snapshot) in enumerate(zip(axes.flat, snapshots)):
        column = i % columns
        plot_snapshot(snapshot, target, ax=ax, legend=(i == 0), density_top=top, fake_density=fakes[i],
                      axis_labels=(column == 0, column == columns - 1 or i == len(snapshots) - 1))
    for ax in list(axes.flat)[len(snapshots):]:
        ax.axis("off")
    figure.tight_layout()
    return figure


# ---------------------------------------------------------------------------
# Backend plumbing: gradients and compiled updates on TensorFlow or JAX
# ---------------------------------------------------------------------------

SUPPORTED_BACKENDS = ("tensorflow", "jax")


def _backend() -> str:
    import keras

    name = keras.backend.backend()
    if name not in SUPPORTED_BACKENDS:
        raise ValueError(
            f"the toy GAN helpers support the {' and '.join(SUPPORTED_BACKENDS)} backends, but Keras runs on "
            f"{name!r}. Set the environment variable KERAS_BACKEND=tensorflow before importing keras."
        )
    return name


def gradient(fn: Callable, x):
    """The gradient of ``sum(fn(x))`` with respect to ``x``: for an elementwise ``fn``, each entry's slope."""
    import keras

    x = keras.ops.convert_to_tensor(x, dtype="float32")
    if _backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            total = keras.ops.sum(fn(x))
        return tape.gradient(total, x)
    import jax

    return jax.grad(lambda value: keras.ops.sum(fn(value)))(x)


def make_update(loss_fn: Callable, model, optimizer, others: Sequence = ()) -> Callable:
    """Return a compiled ``update(*inputs)``: one optimizer step on ``model``'s weights; it returns the loss.

    ``loss_fn(*inputs)`` computes a scalar loss by calling ``model`` and any
    models listed in ``others``. Only ``model``'s trainable weights get a
    gradient and move; the others are read, never changed. This is the heart of
    alternating GAN training: the critic's update leaves the generator alone,
    and the other way round.

    It is :func:`gankit.steps.minimize` compiled by :func:`gankit.steps.compile_step`:
    on TensorFlow a ``tf.GradientTape`` step inside a ``tf.function``; on JAX
    ``jax.value_and_grad`` inside ``jax.jit``, with the state the loss writes (batch-norm
    statistics, dropout seeds) kept. Call it with tensors of a fixed shape: a new
    shape compiles it again.
    """
    import keras

    from gankit import steps

    _backend()  # TensorFlow or JAX, with a clear message otherwise
    if not isinstance(model, keras.Model):
        raise ValueError(f"model should be a keras.Model, got {type(model).__name__}")
    others = list(others)
    for other in others:
        if not isinstance(other, keras.Model):
            raise ValueError(f"each of others should be a keras.Model, got {type(other).__name__}")
        if other is model:
            raise ValueError("`others` should list the models that are read but not trained; it contains `model` itself")
    variables = list(model.trainable_variables)
    if not variables:
        raise ValueError(f"model {model.name!r} has no trainable weights: build it (call it once) and check `trainable`")
    optimizer.build(variables)
    state = [v for m in [model] + others for v in m.variables] + list(optimizer.variables)
    return steps.compile_step(lambda *inputs: steps.minimize(lambda: loss_fn(*inputs), variables, optimizer), state)
