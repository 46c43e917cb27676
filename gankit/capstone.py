"""Notebook 05's study: do GAN images help a classifier that has only a few labelled digits?

The pieces, in the order the study uses them:

* :func:`small_labelled_set` -- ``n`` training digits per class, chosen by a seed; the full
  10,000-digit test set is only ever used to score a finished classifier (nothing is tuned on it);
* :func:`augment` -- classic augmentation for digits: small shifts, small rotations, a little
  noise, and never a flip (a mirrored 2 is no digit, a 6 turned upside down is a 9);
* :func:`mix` -- the real set plus ``ratio`` times as many synthetic images, each with its own label;
* :func:`build_classifier` and :func:`train_classifier` -- one small CNN, trained for a fixed
  number of steps whatever the size of its training set, so that every arm gets the same budget
  (:func:`training_stream`: what it is shown, pass after pass, augmented afresh or not);
* :func:`sweep` -- the five arms, (a) real only, (b) real + classic augmentation, (c) real + GAN
  images, (d) real + both, at each ratio of synthetic to real images, and (e) the real digits
  augmented afresh on every pass, over several seeds; returns the table (mean and standard
  deviation of test accuracy per arm and ratio);
* :func:`plot_table` -- accuracy against ratio, with error bars;
* :func:`verdict` and :func:`conclusion` -- what the table says by mean ± std, as numbers and as a sentence;
* :func:`paired_differences`, :func:`format_paired` and :func:`paired_conclusion` -- each arm minus
  real only, seed by seed, with a standard error and a 95% interval, and the sentence the notebook
  concludes with; :func:`fresh_against_pool` and :func:`fresh_sentence` -- augmentation afresh
  against its largest pool, the same way;
* :func:`within_class_spread` and :func:`spread_ratio` -- variety within a class, which
  conditional accuracy cannot see.
"""

from __future__ import annotations

import numpy as np

ARMS = {  # key: what the plot and the sentence call it
    "real": "real only",
    "augmented": "real + classic augmentation",
    "gan": "real + GAN images",
    "both": "real + both",
    "fresh": "augmented afresh each pass",
}
# Arms that store no synthetic images: they train on the real set alone (ratio 0), "fresh" with
# every pass over it augmented anew (see training_stream).
ONE_POINT = ("real", "fresh")
NUM_CLASSES = 10


# -- the data ------------------------------------------------------------------------------------

def small_labelled_set(images, labels, per_class: int, seed: int = 0):
    """``per_class`` images of each class, drawn without replacement by ``seed``; returns ``(images, labels)``.

    The result is sorted by nothing: the order is random too, fixed by ``seed``.
    """
    images, labels = np.asarray(images), np.asarray(labels).reshape(-1)
    rng = np.random.default_rng(seed)
    chosen = []
    for digit in range(NUM_CLASSES):
        where = np.flatnonzero(labels == digit)
        if len(where) < per_class:
            raise ValueError(f"only {len(where)} images of class {digit}, fewer than per_class={per_class}.")
        chosen.append(rng.choice(where, per_class, replace=False))
    order = rng.permutation(np.concatenate(chosen))
    return images[order].astype("float32"), labels[order].astype("int32")


# -- arm (b): classic augmentation ---------------------------------------------------------------

def augment(images, seed: int = 0, shift: float = 0.1, degrees: float = 10.0, noise: float = 0.1):
    """A randomly shifted (up to ``shift`` of the side), rotated (up to ``degrees``) and noisy copy of ``images``.

    Images in [-1, 1], shape (n, 28, 28, 1); the uncovered border is filled with -1, the
    background, and the result is clipped back to [-1, 1]. No flips: for digits a flip
    changes (or destroys) the class.
    """
    import keras
    from keras import layers, ops

    from gankit.utils import to_numpy

    moves = keras.Sequential([
        layers.RandomTranslation(shift, shift, fill_mode="constant", fill_value=-1.0, seed=seed),
        layers.RandomRotation(degrees / 360.0, fill_mode="constant", fill_value=-1.0, seed=seed + 1),
    ])
    moved = moves(ops.convert_to_tensor(np.asarray(images, "float32")), training=True)
    grain = noise * keras.random.normal(ops.shape(moved), seed=keras.random.SeedGenerator(seed + 2))
    return to_numpy(ops.clip(moved + grain, -1.0, 1.0)).astype("float32")


# -- mixing real and synthetic data --------------------------------------------------------------

def mix(real_images, real_labels, fake_images, fake_labels, ratio: float, seed: int = 0):
    """The real set plus ``round(ratio * len(real))`` synthetic images picked at random, labels kept with them.

    ``fake_images`` is the pool to pick from (it must hold enough). Returns ``(images, labels)``,
    real ones first; the classifier shuffles its own batches.
    """
    real_labels, fake_labels = np.asarray(real_labels).reshape(-1), np.asarray(fake_labels).reshape(-1)
    count = int(round(ratio * len(real_images)))
    if count > len(fake_images):
        raise ValueError(f"ratio {ratio} asks for {count} synthetic images, but the pool holds {len(fake_images)}.")
    picked = np.random.default_rng(seed).choice(len(fake_images), count, replace=False)
    images = np.concatenate([np.asarray(real_images, "float32"), np.asarray(fake_images, "float32")[picked]])
    labels = np.concatenate([real_labels, fake_labels[picked]]).astype("int32")
    return images, labels


# -- the classifier: one recipe for every arm ----------------------------------------------------

def build_classifier(seed: int = 0):
    """A small CNN for 28x28 digits: two conv blocks, dropout, 10 logits; its weights drawn from ``seed``."""
    import keras
    from keras import layers

    def init(i):
        return {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed * 10 + i)}

    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu", **init(0)),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu", **init(1)),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.3, seed=seed),
        layers.Dense(10, **init(2)),
    ], name="classifier")


def training_stream(images, labels, steps: int, batch_size: int = 64, seed: int = 0, augment=None):
    """The ``steps * batch_size`` images (and their labels) a classifier is shown, in the order it sees them.

    The set is shown pass after pass, each pass in its own random order (fixed by ``seed``).
    With ``augment`` (a function ``augment(images, seed=...)``), every pass is a new augmented
    copy of the set, drawn with its own seed: no augmented image is shown twice, and the order
    is the same as without ``augment``, so only the augmentation differs. The passes are
    augmented before training starts: that shows the classifier exactly what augmenting each
    batch as it comes would show it, and it is faster.
    """
    from gankit.utils import to_numpy

    images, labels = np.asarray(images, "float32"), np.asarray(labels, "int32").reshape(-1)
    needed = steps * batch_size
    shown, orders = [], []
    for p in range(-(-needed // len(images))):
        rng = np.random.default_rng([seed, p])
        order = rng.permutation(len(images))
        orders.append(order)
        if augment is not None:
            shown.append(to_numpy(augment(images[order], seed=int(rng.integers(1 << 30)))).astype("float32"))
    order = np.concatenate(orders)[:needed]
    return (np.concatenate(shown)[:needed] if augment is not None else images[order]), labels[order]


def train_classifier(images, labels, steps: int, batch_size: int = 64, seed: int = 0, learning_rate: float = 1e-3,
                     augment=None):
    """A fresh :func:`build_classifier` trained for exactly ``steps`` steps on ``(images, labels)``; returns it.

    A fixed number of steps (not epochs) gives every arm the same budget, however many
    synthetic images it adds. Nothing is chosen by looking at the test set: no early
    stopping, no picking the best epoch. ``augment``: augment every pass over the set anew
    (:func:`training_stream`).
    """
    import keras

    shown, shown_labels = training_stream(images, labels, steps, batch_size, seed, augment)
    model = build_classifier(seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(shown, shown_labels, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return model


def accuracy(model, images, labels) -> float:
    """Share of ``images`` the classifier labels right."""
    predicted = np.asarray(model.predict(np.asarray(images, "float32"), batch_size=1000, verbose=0)).argmax(axis=1)
    return float((predicted == np.asarray(labels).reshape(-1)).mean())


# -- the sweep -----------------------------------------------------------------------------------

def arm_data(arm: str, real, augmented, generated, ratio: float, seed: int, mix=mix):
    """The training set of one arm at one ratio: ``real`` plus ``ratio`` x its size of synthetic images.

    ``real``, ``augmented`` and ``generated`` are ``(images, labels)`` pairs; the last two are
    pools at least ``max ratio`` x the real set. Arm "both" takes half its synthetic images
    from each pool, so that every arm at a ratio trains on a set of the same size. Arms "real"
    and "fresh" store no synthetic images: their set is ``real`` (arm "fresh" augments it as it
    trains, :func:`train_classifier`).
    """
    if arm in ONE_POINT or ratio == 0:
        return real
    if arm in ("augmented", "gan"):
        pool = augmented if arm == "augmented" else generated
        return mix(*real, *pool, ratio, seed)
    if arm == "both":
        count = int(round(ratio * len(real[0])))
        half = count // 2
        pool_x = np.concatenate([augmented[0][:half], generated[0][:count - half]])
        pool_y = np.concatenate([np.asarray(augmented[1])[:half], np.asarray(generated[1])[:count - half]])
        return mix(*real, pool_x, pool_y, ratio, seed)
    raise ValueError(f"unknown arm {arm!r}; choose one of {', '.join(ARMS)}.")


def summarise(rows: list[dict]) -> list[dict]:
    """Add ``mean``, ``std`` (across seeds; 0 for one seed) and ``n`` to rows that hold ``accuracies``."""
    for row in rows:
        values = np.asarray(row["accuracies"], "float64")
        row["mean"] = float(values.mean())
        row["std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        row["n"] = int(len(values))
    return rows


def sweep(real, test, make_fakes, ratios, seeds, steps: int, batch_size: int = 64, augment=augment, mix=mix,
          arms=tuple(ARMS), log=print, progress: bool = True) -> list[dict]:
    """Train one classifier per arm, ratio and seed; returns the table, one row per (arm, ratio).

    ``real`` and ``test`` are ``(images, labels)``; ``make_fakes(n, seed)`` returns ``n``
    generated images with the labels they were generated for. For each seed the synthetic
    pools are drawn once (so the arms of one seed share them) and the classifier starts from
    the same weights in every arm: the arms differ only in their data. Arms "real" and "fresh"
    run at ratio 0 only (arm "fresh" passes ``augment`` to :func:`train_classifier`, which
    augments every pass over the real set anew); every other arm at each non-zero ratio.
    ``progress`` shows classifiers trained and time left (each also gets its line from ``log``).
    """
    import time

    from gankit.progress import Progress

    ratios = sorted(float(r) for r in ratios)
    top = max(ratios)
    n = len(real[0])
    results: dict = {}
    per_seed = sum(1 if arm in ONE_POINT else len([r for r in ratios if r > 0]) for arm in arms)
    bar = Progress(per_seed * len(seeds), "sweep", unit="classifiers", mode=None if progress else "off")
    bar.begin()
    for seed in seeds:
        pool = int(round(top * n))
        copies = max(1, int(np.ceil(top)))
        augmented = (np.concatenate([augment(real[0], seed=1000 * seed + k) for k in range(copies)])[:pool],
                     np.tile(np.asarray(real[1]), copies)[:pool])
        generated = make_fakes(pool, seed) if "gan" in arms or "both" in arms else None
        for arm in arms:
            for ratio in ([0.0] if arm in ONE_POINT else [r for r in ratios if r > 0]):
                start = time.time()
                x, y = arm_data(arm, real, augmented, generated, ratio, seed, mix=mix)
                model = train_classifier(x, y, steps, batch_size=batch_size, seed=seed,
                                         augment=augment if arm == "fresh" else None)
                score = accuracy(model, *test)
                results.setdefault((arm, ratio), []).append(score)
                if log:
                    log(f"seed {seed}  {ARMS[arm]:28s} ratio {ratio:g}: {len(x):6d} images"
                        f"{', a new augmented copy each pass' if arm == 'fresh' else ''}, "
                        f"test accuracy {score:.4f} ({time.time() - start:.0f} s)")
                bar.update(sum(len(v) for v in results.values()))
    bar.close()
    rows = [{"arm": arm, "ratio": ratio, "accuracies": values} for (arm, ratio), values in results.items()]
    return summarise(rows)


def format_table(table: list[dict]) -> str:
    """The table as text: one line per arm and ratio, accuracy in % as mean ± std over n seeds."""
    lines = [f"{'arm':32s} {'ratio':>6s} {'accuracy %':>16s} {'seeds':>6s}"]
    for row in sorted(table, key=lambda r: (list(ARMS).index(r["arm"]), r["ratio"])):
        lines.append(f"{ARMS[row['arm']]:32s} {row['ratio']:>5g}x {100 * row['mean']:9.2f} ± {100 * row['std']:4.2f}"
                     f" {row['n']:>6d}")
    return "\n".join(lines)


def plot_table(table: list[dict], ax=None, title: str | None = None):
    """Test accuracy against the ratio of synthetic to real images, one line per arm, error bars of one std."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(7, 4))[1]
    base = _row(table, "real", 0.0)
    for colour, (arm, name) in enumerate(ARMS.items()):
        level = _row(table, arm, 0.0) if arm in ONE_POINT and arm != "real" else None
        if level:  # no ratio: a level line, like real only
            ax.axhspan(100 * (level["mean"] - level["std"]), 100 * (level["mean"] + level["std"]), color=f"C{colour}",
                       alpha=0.15)
            ax.axhline(100 * level["mean"], color=f"C{colour}", linestyle="--", label=f"{name} (± std)")
        rows = sorted((r for r in table if r["arm"] == arm and r["ratio"] > 0), key=lambda r: r["ratio"])
        if arm in ONE_POINT or not rows:
            continue
        rows = ([base] if base else []) + rows
        ax.errorbar([r["ratio"] for r in rows], [100 * r["mean"] for r in rows], yerr=[100 * r["std"] for r in rows],
                    marker="o", capsize=3, label=name)
    if base:
        ax.axhspan(100 * (base["mean"] - base["std"]), 100 * (base["mean"] + base["std"]), color="grey", alpha=0.2)
        ax.axhline(100 * base["mean"], color="grey", linestyle=":", label="real only (± std)")
    ratios = sorted({r["ratio"] for r in table})
    if len(ratios) > 2 and ratios[1] > 0:
        ax.set_xscale("symlog", linthresh=ratios[1])
    ax.set_xticks(ratios)
    ax.set_xticklabels([f"{r:g}x" for r in ratios])
    ax.set_xlabel("synthetic images per real image")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title or f"Mean ± std over {max(r['n'] for r in table)} seed(s)")
    ax.legend(fontsize=8)
    return ax


# -- what the table says -------------------------------------------------------------------------

def _row(table, arm, ratio):
    return next((r for r in table if r["arm"] == arm and r["ratio"] == ratio), None)


def _name(arm: str, ratio: float) -> str:
    """How a sentence names one row: the arm, and its ratio where it has one."""
    return ARMS[arm] if arm in ONE_POINT else f"{ARMS[arm]} at {ratio:g}x"


def verdict(table: list[dict]) -> dict:
    """The table's answer as numbers: the best arm and ratio, its lead over real only, and the spread.

    ``spread`` is the sum of the two standard deviations (best and real only): a lead larger
    than that is one the seeds agree on; a smaller one could be the luck of the draw.
    ``gan_hurts_at``: the smallest ratio at which real + GAN images falls below real only by
    more than their spread (None if it never does). ``gan_peak``: the ratio of GAN images
    with the best mean.
    """
    table = summarise([dict(r) for r in table])
    base = _row(table, "real", 0.0)
    if base is None:
        raise ValueError("the table has no 'real' row at ratio 0: the baseline every arm is compared with.")
    best = max(table, key=lambda r: r["mean"])
    lead, spread = best["mean"] - base["mean"], best["std"] + base["std"]
    gan = sorted((r for r in table if r["arm"] == "gan" and r["ratio"] > 0), key=lambda r: r["ratio"])
    seeds = min(r["n"] for r in table)
    hurts = [r["ratio"] for r in gan if seeds > 1 and base["mean"] - r["mean"] > r["std"] + base["std"]]
    return {
        "best_arm": best["arm"], "best_ratio": best["ratio"], "best_mean": best["mean"], "best_std": best["std"],
        "base_mean": base["mean"], "base_std": base["std"], "lead": lead, "spread": spread,
        "significant": bool(seeds > 1 and best["arm"] != "real" and lead > spread),
        "seeds": seeds,
        "gan_peak": max(gan, key=lambda r: r["mean"])["ratio"] if gan else None,
        "gan_hurts_at": hurts[0] if hurts else None,
        "gan_by_ratio": {r["ratio"]: r["mean"] for r in gan},
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def conclusion(table: list[dict]) -> str:
    """What the table shows, in plain sentences written from its numbers (and nothing else)."""
    v = verdict(table)
    base = f"real only scores {_pct(v['base_mean'])} ± {100 * v['base_std']:.1f}"
    seeds = f"{v['seeds']} seed{'s' if v['seeds'] != 1 else ''}"
    if v["seeds"] < 2:
        return (f"One seed per point: there is no spread to compare a difference with, so this run shows no "
                f"winner. The best mean is {_name(v['best_arm'], v['best_ratio'])}, {_pct(v['best_mean'])}, "
                f"where {base}. Run at least 3 seeds before drawing a conclusion.")
    if v["significant"]:
        first = (f"Best: {_name(v['best_arm'], v['best_ratio'])}, {_pct(v['best_mean'])} ± "
                 f"{100 * v['best_std']:.1f}, where {base}: a lead of {100 * v['lead']:.1f} points, larger than "
                 f"the spread of {100 * v['spread']:.1f} points (the two standard deviations added, {seeds}).")
    elif v["best_arm"] == "real":
        first = (f"No arm beats real only: {base}, and every arm with synthetic images scores lower "
                 f"({seeds}).")
    else:
        first = (f"No clear winner: the best, {_name(v['best_arm'], v['best_ratio'])} with "
                 f"{_pct(v['best_mean'])} ± {100 * v['best_std']:.1f}, leads real only ({base}) by "
                 f"{100 * v['lead']:.1f} points, within the spread of {100 * v['spread']:.1f} points "
                 f"(the two standard deviations added, {seeds}): a tie.")
    gan = v["gan_by_ratio"]
    if not gan:
        return first
    trail = ", ".join(f"{_pct(m)} at {r:g}x" for r, m in sorted(gan.items()))
    if v["gan_hurts_at"] is not None:
        second = (f"GAN images hurt: real + GAN images falls below real only by more than the spread from "
                  f"{v['gan_hurts_at']:g}x on ({trail}).")
    elif len(gan) > 1 and v["gan_peak"] < max(gan):
        second = (f"As the share of GAN images grows, real + GAN images peaks at {v['gan_peak']:g}x and then "
                  f"falls back ({trail}).")
    elif len(gan) > 1:
        second = f"As the share of GAN images grows, real + GAN images keeps its best for the most ({trail})."
    else:
        second = f"Real + GAN images: {trail}."
    return f"{first} {second}"


def claim_holds(table: list[dict], sentence: str) -> bool:
    """Whether ``sentence`` makes the claims the table supports, recomputed from the raw accuracies.

    It names the best arm; it says "larger than the spread" exactly when the best arm beats real
    only by more than the two standard deviations added; and it says "GAN images hurt" exactly
    when the GAN arm falls below real only by more than their spread at some ratio.
    """
    v = verdict(table)  # summarise() recomputes mean and std from each row's accuracies
    named = ARMS[v["best_arm"]] in sentence
    lead_claim = ("larger than the spread" in sentence) == v["significant"]
    hurt_claim = ("GAN images hurt" in sentence) == (v["gan_hurts_at"] is not None)
    return bool(named and lead_claim and hurt_claim)


# -- paired by seed: each arm against real only, seed by seed ------------------------------------

# Two-sided 95% quantiles of Student's t, by degrees of freedom (seeds - 1); 1.96 beyond 30.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
        20: 2.086, 25: 2.060, 30: 2.042}


def t95(df: int) -> float:
    """The two-sided 95% quantile of Student's t with ``df`` degrees of freedom (a table; 1.96 past 30)."""
    if df < 1:
        raise ValueError(f"a t quantile needs at least 1 degree of freedom (2 seeds), got {df}.")
    if df > 30:
        return 1.96
    return _T95.get(df) or _T95[max(k for k in _T95 if k <= df)]


def paired_differences(table: list[dict], base_arm: str = "real", base_ratio: float = 0.0) -> list[dict]:
    """Each arm and ratio minus real only, seed by seed: the differences, their mean, standard error and 95% interval.

    The sweep trains every arm of one seed from the same initial weights (the synthetic arms from
    the same pools), so ``accuracies[i]`` of every row belongs to the same seed. The difference
    ``arm[i] - real[i]`` cancels whatever a seed's luck does to both arms alike, and its
    standard error (sample std / sqrt(n)) says how well n seeds pin the mean difference down:
    unlike the arms' standard deviations, it shrinks as seeds are added. ``low`` and ``high`` bound the 95% interval (mean ± t ×
    SE); ``verdict`` is "higher" or "lower" when that interval excludes 0, else "tie"; with one
    seed there is no standard error (``se``, ``low`` and ``high`` are None, ``verdict`` "one seed").
    Returns one row per arm and ratio other than the base, in the table's order.
    """
    base = next((r for r in table if r["arm"] == base_arm and float(r["ratio"]) == base_ratio), None)
    if base is None:
        raise ValueError(f"the table has no {base_arm!r} row at ratio {base_ratio:g}: the baseline of every pair.")
    base_values = np.asarray(base["accuracies"], "float64")
    rows = []
    for row in table:
        if row is base:
            continue
        values = np.asarray(row["accuracies"], "float64")
        if len(values) != len(base_values):
            raise ValueError(f"{row['arm']} at {float(row['ratio']):g}x has {len(values)} seeds, the baseline "
                             f"{len(base_values)}: pairs need the same seeds in the same order.")
        differences = values - base_values
        n = len(differences)
        mean = float(differences.mean())
        if n > 1:
            se = float(differences.std(ddof=1) / np.sqrt(n))
            low, high = mean - t95(n - 1) * se, mean + t95(n - 1) * se
            verdict = "higher" if low > 0 else "lower" if high < 0 else "tie"
        else:
            se = low = high = None
            verdict = "one seed"
        rows.append({"arm": row["arm"], "ratio": float(row["ratio"]), "differences": differences.tolist(),
                     "mean": mean, "se": se, "low": low, "high": high, "n": n, "verdict": verdict})
    return rows


def format_paired(table: list[dict]) -> str:
    """The paired differences as text: points (of %) above real only, mean ± SE and the 95% interval, per arm and ratio."""
    lines = [f"{'arm minus real only, same seed':32s} {'ratio':>6s} {'mean ± SE (points)':>19s} {'95% interval':>17s}"
             f"  verdict"]
    for row in sorted(paired_differences(table), key=lambda r: (list(ARMS).index(r["arm"]), r["ratio"])):
        if row["se"] is None:
            lines.append(f"{ARMS[row['arm']]:32s} {row['ratio']:>5g}x {100 * row['mean']:+9.2f}{'':10s} {'':>17s}"
                         f"  {row['verdict']}")
            continue
        lines.append(f"{ARMS[row['arm']]:32s} {row['ratio']:>5g}x {100 * row['mean']:+9.2f} ± {100 * row['se']:4.2f}   "
                     f"{100 * row['low']:+6.2f} to {100 * row['high']:+5.2f}  {row['verdict']}")
    return "\n".join(lines)


SCOPE = "one conditional GAN, one labelled set, GAN images drawn once per seed"


def paired_conclusion(table: list[dict]) -> str:
    """What the table shows, compared seed by seed with real only (see :func:`paired_differences`), in sentences.

    It names the arm and ratio with the largest mean gain and says whether its 95% interval
    lies above 0; it says "GAN images hurt" exactly when real + GAN images falls below real only
    at some ratio with its interval below 0, and then says what the result is about (one GAN,
    one labelled set, pools drawn once), not GAN images in general.
    """
    pairs = paired_differences(table)
    if not pairs:
        return "Only real only is in the table: there is nothing to compare it with."
    n = pairs[0]["n"]
    best = max(pairs, key=lambda r: r["mean"])
    name = _name(best["arm"], best["ratio"])
    if n < 2:
        return (f"One seed per point: a difference from real only cannot be told from luck without a standard "
                f"error, so this run shows no winner. The largest difference is {name}, "
                f"{100 * best['mean']:+.1f} points. Run at least 3 seeds before drawing a conclusion.")
    seeds = f"{n} seeds"
    interval = f"95% interval {100 * best['low']:+.2f} to {100 * best['high']:+.2f}"
    if best["verdict"] == "higher":
        first = (f"Best: {name}, {100 * best['mean']:+.2f} points above real only on average over {seeds}, "
                 f"each seed compared with its own real-only classifier (standard error {100 * best['se']:.2f}, "
                 f"{interval}): a gain the seeds agree on.")
    elif best["mean"] <= 0:
        first = f"No arm beats real only: every arm's mean difference from it, seed by seed, is at or below 0 ({seeds})."
    else:
        first = (f"No clear winner: the largest mean gain, {name} with {100 * best['mean']:+.2f} points over {seeds} "
                 f"(standard error {100 * best['se']:.2f}, {interval}), could be luck: its interval includes 0.")
    gan = sorted((r for r in pairs if r["arm"] == "gan"), key=lambda r: r["ratio"])
    if not gan:
        return first
    trail = ", ".join(f"{100 * r['mean']:+.1f} ± {100 * r['se']:.1f} at {r['ratio']:g}x" for r in gan)
    lower = [r["ratio"] for r in gan if r["verdict"] == "lower"]
    higher = [r["ratio"] for r in gan if r["verdict"] == "higher"]
    if lower:
        second = (f"GAN images hurt in this study ({SCOPE}): real + GAN images falls below real only, with its "
                  f"interval below 0, at {', '.join(f'{r:g}x' for r in lower)} (mean ± SE in points: {trail}).")
    elif higher:
        second = (f"Real + GAN images beats real only at {', '.join(f'{r:g}x' for r in higher)} in this study "
                  f"({SCOPE}) (mean ± SE in points: {trail}).")
    else:
        second = f"Real + GAN images is level with real only within its intervals (mean ± SE in points: {trail})."
    return f"{first} {second}"


def paired_claim_holds(table: list[dict], sentence: str) -> bool:
    """Whether ``sentence`` makes the claims the paired differences support, recomputed from the raw accuracies.

    It names the arm with the largest mean gain (or says no arm beats real only); it says "a gain
    the seeds agree on" exactly when that arm's interval lies above 0; and it says "GAN images
    hurt" exactly when real + GAN images has an interval below 0 at some ratio.
    """
    pairs = paired_differences(table)
    best = max(pairs, key=lambda r: r["mean"])
    named = ARMS[best["arm"]] in sentence or "No arm beats real only" in sentence
    gain = ("a gain the seeds agree on" in sentence) == (best["verdict"] == "higher")
    hurt = ("GAN images hurt" in sentence) == any(r["arm"] == "gan" and r["verdict"] == "lower" for r in pairs)
    return bool(named and gain and hurt)


def fresh_against_pool(table: list[dict]) -> dict | None:
    """Arm "fresh" minus classic augmentation at its largest pool, seed by seed (a :func:`paired_differences` row).

    Both arms show the classifier augmented digits; they differ in how many different ones: a
    pool of ``ratio`` copies per digit drawn once, or a new copy on every pass. None when the
    table lacks either arm.
    """
    pooled = [r["ratio"] for r in table if r["arm"] == "augmented"]
    if not pooled or _row(table, "fresh", 0.0) is None:
        return None
    top = max(pooled)
    row = next(r for r in paired_differences(table, "augmented", top) if r["arm"] == "fresh")
    return dict(row, pool=top)


def fresh_sentence(table: list[dict]) -> str:
    """What :func:`fresh_against_pool` says, in one sentence written from its numbers."""
    row = fresh_against_pool(table)
    if row is None:
        return "The table lacks arm (e) or classic augmentation: there is nothing to compare."
    head = (f"{ARMS['fresh'].capitalize()} minus {ARMS['augmented']} at {row['pool']:g}x, seed by seed: "
            f"{100 * row['mean']:+.2f} points")
    if row["se"] is None:
        return f"{head} (one seed: no interval, so no verdict)."
    interval = f"standard error {100 * row['se']:.2f}, 95% interval {100 * row['low']:+.2f} to {100 * row['high']:+.2f}"
    if row["verdict"] == "higher":
        verdict = "augmenting afresh beat the pool, and the seeds agree on it."
    elif row["verdict"] == "lower":
        verdict = "the pool beat augmenting afresh, and the seeds agree on it."
    else:
        verdict = "level: the interval includes 0."
    return f"{head} over {row['n']} seeds ({interval}): {verdict}"


# -- variety within a class ----------------------------------------------------------------------

def within_class_spread(features, labels, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """For each class, the mean Euclidean distance between two different items of that class (nan below 2 items).

    ``features`` has one row per item (judge features, or flattened pixels). A generator that
    draws one good 3 again and again has a spread near 0 for the 3s, however right the judge
    reads them: conditional accuracy cannot see that, this can.
    """
    features = np.asarray(features, "float64").reshape(len(features), -1)
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(features):
        raise ValueError(f"{len(features)} feature rows but {len(labels)} labels: one label per item.")
    spread = np.full(num_classes, np.nan)
    for k in range(num_classes):
        x = features[labels == k]
        if len(x) < 2:
            continue
        squared = (x ** 2).sum(1)[:, None] - 2 * x @ x.T + (x ** 2).sum(1)[None, :]
        distances = np.sqrt(np.maximum(squared, 0.0))
        spread[k] = distances[np.triu_indices(len(x), 1)].mean()
    return spread


def spread_ratio(fake_features, fake_labels, real_features, real_labels, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Per class, the generated digits' :func:`within_class_spread` over the real digits' (1: as varied as real)."""
    return (within_class_spread(fake_features, fake_labels, num_classes)
            / within_class_spread(real_features, real_labels, num_classes))
