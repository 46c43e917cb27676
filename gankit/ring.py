"""The ring of 8 Gaussians: the standard 2-D test of mode collapse, and a benchmark of the losses on it.

The data (Metz et al. 2017, arXiv 1611.02163; the WGAN-GP paper's toy figures): 8 modes
evenly spaced on a circle of radius 2, each a round Gaussian with std 0.02, all equally
likely. Two numbers say how well a generator covers it (:meth:`Ring.score`):

* **high-quality share** -- the share of generated points within 3 std (0.06) of the
  nearest mode's centre;
* **modes covered** -- how many modes received at least ``min_count`` of those
  high-quality points (1 by default: a mode with even one good point counts).

A collapsed generator covers 1 or 2 modes with high quality; a blurry one covers many
modes with a low high-quality share.

``python -m gankit.ring`` trains the same small MLPs with each recipe of
:data:`gankit.stable.RECIPES` (the non-saturating GAN, WGAN with clipping, WGAN-GP,
hinge with spectral normalisation) for a fixed number of generator updates, and prints
modes covered and high-quality share per recipe and seed, with the wall time.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import time

import numpy as np

MODES, RADIUS, STD = 8, 2.0, 0.02
QUALITY_STDS = 3.0  # "high quality": within this many std of a mode's centre


@dataclasses.dataclass(frozen=True)
class RingScore:
    """How generated 2-D points cover the ring: modes covered and the share of high-quality points."""

    modes_covered: int
    modes: int
    high_quality: float  # share of all points within 3 std of a mode
    counts: tuple  # high-quality points per mode
    n: int
    min_count: int

    def __str__(self) -> str:
        return (f"{self.modes_covered}/{self.modes} modes covered (>= {self.min_count} high-quality point"
                f"{'s' if self.min_count > 1 else ''} each), {self.high_quality:.1%} of {self.n} points high quality")


@dataclasses.dataclass(frozen=True)
class Ring:
    """``modes`` equal Gaussians of std ``std``, evenly spaced on a circle of ``radius``."""

    modes: int = MODES
    radius: float = RADIUS
    std: float = STD

    def __post_init__(self):
        if self.modes < 1 or not self.radius > 0 or not self.std > 0:
            raise ValueError(f"a Ring needs modes >= 1, radius > 0 and std > 0; got {self.modes}, {self.radius}, "
                             f"{self.std}.")

    @property
    def centres(self) -> np.ndarray:
        """The modes' centres, shape ``(modes, 2)``, the first at angle 0."""
        angles = 2.0 * math.pi * np.arange(self.modes) / self.modes
        return self.radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` points, float32, shape ``(n, 2)``: a mode picked uniformly, then Gaussian noise around it."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"the number of points should be a positive whole number, got {n!r}")
        rng = np.random.default_rng(seed)
        which = rng.integers(self.modes, size=int(n))
        return (self.centres[which] + rng.normal(0.0, self.std, size=(int(n), 2))).astype("float32")

    def score(self, points, min_count: int = 1) -> RingScore:
        """Modes covered and high-quality share of generated ``points`` (shape ``(n, 2)``)."""
        points = np.asarray(points, dtype="float64")
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError(f"ring points should have shape (n, 2); got {points.shape}. Fix: generate 2-D points.")
        if min_count < 1:
            raise ValueError(f"min_count is {min_count}; a covered mode needs at least 1 high-quality point.")
        finite = np.all(np.isfinite(points), axis=1)
        distances = np.linalg.norm(points[:, None, :] - self.centres[None, :, :], axis=2)
        nearest = distances.argmin(axis=1)
        good = finite & (distances.min(axis=1) <= QUALITY_STDS * self.std)  # NaN rows compare False
        counts = np.bincount(nearest[good], minlength=self.modes)
        return RingScore(int((counts >= min_count).sum()), self.modes, float(good.mean()),
                         tuple(int(c) for c in counts), len(points), int(min_count))


# -- the models: the same small MLPs for every loss --------------------------------------------------

LATENT_DIM, WIDTH = 16, 128


def _init(seed: int, i: int) -> dict:
    import keras

    return {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed * 10 + i)}


def ring_generator(latent_dim: int = LATENT_DIM, width: int = WIDTH, seed: int = 0, name: str = "generator"):
    """Noise ``(n, latent_dim)`` -> points ``(n, 2)``: two hidden ReLU layers of ``width``, a linear output.

    Its initial weights come from ``seed``, not from the global random state.
    """
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(width, activation="relu", **_init(seed, 0)),
                             layers.Dense(width, activation="relu", **_init(seed, 1)),
                             layers.Dense(2, **_init(seed, 2))], name=name)


def ring_critic(width: int = WIDTH, spectral_norm: bool = False, seed: int = 0, name: str = "critic"):
    """Points ``(n, 2)`` -> one score each: two hidden LeakyReLU(0.2) layers, no batch norm, no sigmoid.

    ``spectral_norm=True`` wraps every Dense layer in ``keras.layers.SpectralNormalization``
    (whose power-iteration vectors are then set from ``seed`` too).
    """
    import keras
    from keras import layers

    def dense(units, i):
        layer = layers.Dense(units, **_init(seed + 1, i))
        return layers.SpectralNormalization(layer) if spectral_norm else layer

    state = random.getstate()  # Keras's SpectralNormalization seeds its start vectors from Python's random module
    critic = keras.Sequential([keras.Input((2,)), dense(width, 0), layers.LeakyReLU(0.2), dense(width, 1),
                               layers.LeakyReLU(0.2), dense(1, 2)], name=name)
    random.setstate(state)  # ... which the notebook's seeding owns: put it back, and set the vectors from seed
    rng = np.random.default_rng([seed, 2])
    for layer in critic.layers:
        if isinstance(layer, keras.layers.SpectralNormalization):
            layer.vector_u.assign(rng.normal(0.0, 0.02, size=tuple(layer.vector_u.shape)).astype("float32"))
    return critic


# -- the benchmark ---------------------------------------------------------------------------------

def train_on_ring(recipe: str, steps: int, batch_size: int = 256, seed: int = 0, eval_every: int | None = None,
                  samples: int = 2000, ring: Ring = Ring()) -> dict:
    """Train the ring MLPs with ``recipe`` for ``steps`` generator updates; returns the scores along the way.

    Each critic update sees ``batch_size`` fresh real points (so a step with ``n_critic``
    critic updates reads ``n_critic * batch_size``). Every ``eval_every`` steps (and at
    the end) ``samples`` points from fixed noise are scored. Returns a dict with the
    recipe, the seed, ``history`` (one ``{"step", "seconds", "modes_covered",
    "high_quality"}`` per evaluation), ``final`` (the last :class:`RingScore`) and
    ``seconds`` (wall time, building and compiling included). The weights, noise and data
    come from ``seed``; the global random state is left alone.
    """
    from gankit import stable

    start = time.perf_counter()
    spec = stable.RECIPES[recipe]
    gan = stable.make_gan(recipe, ring_generator(seed=seed), ring_critic(spectral_norm=spec.spectral_norm, seed=seed),
                          LATENT_DIM, seed=seed)
    noise = np.random.default_rng([seed, 1]).normal(size=(samples, LATENT_DIM)).astype("float32")
    eval_every = eval_every or steps
    history, done, chunk = [], 0, 0
    while done < steps:
        todo = min(eval_every, steps - done)
        real = ring.sample(todo * spec.n_critic * batch_size, seed=seed * 100_003 + chunk)
        gan.fit(real, batch_size=spec.n_critic * batch_size, epochs=1, shuffle=False, verbose=0)
        done, chunk = done + todo, chunk + 1
        score = ring.score(np.asarray(gan.generator.predict(noise, batch_size=1000, verbose=0)))
        history.append({"step": done, "seconds": time.perf_counter() - start,
                        "modes_covered": score.modes_covered, "high_quality": score.high_quality})
    return {"recipe": recipe, "seed": seed, "history": history, "final": score,
            "seconds": time.perf_counter() - start}


def benchmark(recipes=None, steps: int = 1000, seeds=(0,), batch_size: int = 256, eval_every: int | None = None):
    """:func:`train_on_ring` for each recipe and seed; returns the runs, in order."""
    from gankit import stable

    recipes = list(recipes or stable.RECIPES)
    return [train_on_ring(r, steps, batch_size, seed, eval_every) for r in recipes for seed in seeds]


def format_table(runs) -> str:
    """The benchmark as a plain-text table: one row per recipe and seed, then each recipe's mean."""
    lines = [f"{'recipe':<10} {'seed':>4} {'modes covered':>13} {'high quality':>12} {'seconds':>8}"]
    for run in runs:
        final = run["final"]
        lines.append(f"{run['recipe']:<10} {run['seed']:>4} {final.modes_covered:>11}/{final.modes} "
                     f"{final.high_quality:>12.1%} {run['seconds']:>8.1f}")
    recipes = list(dict.fromkeys(run["recipe"] for run in runs))
    if any(sum(run["recipe"] == r for run in runs) > 1 for r in recipes):
        lines.append("mean over seeds:")
        for recipe in recipes:
            mine = [run for run in runs if run["recipe"] == recipe]
            lines.append(f"{recipe:<10} {'':>4} {np.mean([r['final'].modes_covered for r in mine]):>13.1f} "
                         f"{np.mean([r['final'].high_quality for r in mine]):>12.1%} "
                         f"{np.mean([r['seconds'] for r in mine]):>8.1f}")
    return "\n".join(lines)


def main(argv=None) -> None:
    import keras

    from gankit import stable

    parser = argparse.ArgumentParser(prog="python -m gankit.ring", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="generator updates per run (default 1000)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds (default 0)")
    parser.add_argument("--batch-size", type=int, default=256, help="real points per critic update (default 256)")
    parser.add_argument("--recipes", nargs="+", default=list(stable.RECIPES), choices=list(stable.RECIPES))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    runs = benchmark(args.recipes, args.steps, args.seeds, args.batch_size)
    print(f"Ring of {MODES} Gaussians (radius {RADIUS}, std {STD}); {args.steps} generator updates, "
          f"{args.batch_size} real points per critic update; backend {keras.backend.backend()}; "
          f"high quality = within {QUALITY_STDS:g} std of a mode, covered = >= 1 high-quality point of 2000.")
    for name in args.recipes:
        print(f"  {name}: {stable.RECIPES[name].source}")
    print(format_table(runs))
    print(f"total wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
