"""Notebook 06's study: the failures and the fixes, trained and measured, and the sentences that read the tables.

* :func:`ring_run` -- train the ring MLPs of :mod:`gankit.ring` with one recipe of
  :data:`gankit.stable.RECIPES`, scoring modes covered and the high-quality share along the way;
* :func:`discriminator_race` -- train a discriminator alone against a fixed generator and
  measure the generator's gradient norm under each generator loss as the discriminator wins;
* :func:`train_for` -- train a game for a wall-clock budget (every recipe gets the same seconds);
* :func:`score_digits` -- the judge's share and classes, Fréchet distance, KID, precision and recall;
* :func:`overfitting_gap` -- how much more "real" the discriminator finds its training images
  than held-out real images;
* :func:`sample_size_bias` -- the Fréchet distance and KID of subsets of growing size;
* ``*_conclusion`` -- the notebook's conclusions, written from the tables' numbers.
"""

from __future__ import annotations

import time

import numpy as np

from gankit import metrics
from gankit.ring import LATENT_DIM, Ring, ring_critic, ring_generator


# -- the ring -----------------------------------------------------------------------------------------

def ring_run(recipe: str, steps: int, eval_every: int, seed: int = 0, batch_size: int = 256,
             samples: int = 2000, ring: Ring = Ring()) -> dict:
    """Train the ring MLPs with ``recipe`` for ``steps`` generator updates; score every ``eval_every`` steps.

    Returns ``{"recipe", "seed", "history": [{"step", "seconds", "modes_covered", "high_quality"}],
    "final" (a RingScore), "points" (the last samples), "seconds"}``. Shows its progress
    (:mod:`gankit.progress`) after every score.
    """
    from gankit import stable
    from gankit.progress import Progress

    start = time.perf_counter()
    spec = stable.RECIPES[recipe]
    gan = stable.make_gan(recipe, ring_generator(seed=seed), ring_critic(spectral_norm=spec.spectral_norm, seed=seed),
                          LATENT_DIM, seed=seed)
    noise = np.random.default_rng([seed, 1]).normal(size=(samples, LATENT_DIM)).astype("float32")
    history, done, chunk = [], 0, 0
    bar = Progress(steps, f"ring, {recipe}")
    while done < steps:
        todo = min(eval_every, steps - done)
        real = ring.sample(todo * spec.n_critic * batch_size, seed=seed * 100_003 + chunk)
        gan.fit(real, batch_size=spec.n_critic * batch_size, epochs=1, shuffle=False, verbose=0)
        done, chunk = done + todo, chunk + 1
        points = np.asarray(gan.generator.predict(noise, batch_size=1000, verbose=0))
        score = ring.score(points)
        history.append({"step": done, "seconds": time.perf_counter() - start,
                        "modes_covered": score.modes_covered, "high_quality": score.high_quality})
        bar.update(done, modes_covered=score.modes_covered, high_quality=score.high_quality)
    bar.close(done)
    return {"recipe": recipe, "seed": seed, "history": history, "final": score, "points": points,
            "seconds": time.perf_counter() - start}


def ring_row(run: dict) -> dict:
    """One row of the ring table: the recipe, modes covered, high-quality share, best along the way, seconds."""
    return {"recipe": run["recipe"], "modes_covered": run["final"].modes_covered,
            "high_quality": round(run["final"].high_quality, 4),
            "best_modes_covered": max(h["modes_covered"] for h in run["history"]),
            "best_high_quality": round(max(h["high_quality"] for h in run["history"]), 4),
            "seconds": round(run["seconds"], 1)}


def plot_ring(points, ring: Ring = Ring(), ax=None, title: str | None = None):
    """Generated 2-D points over the ring's 8 modes (the circles are 3 std: the high-quality zone)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, color="tab:blue")
    for cx, cy in ring.centres:
        ax.add_patch(plt.Circle((cx, cy), 3 * ring.std, fill=False, color="tab:red", lw=1))
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize="small")
    return ax


def ring_conclusion(rows: list[dict]) -> str:
    """What the ring table shows, in words: whether a fix covered more modes, and whether its points were good.

    A fix "helped" only if it covered more modes than the GAN with at least half the GAN's
    high-quality share: more modes of mostly blurry points is not better coverage.
    """
    base = next(r for r in rows if r["recipe"] == "gan")
    fixes = [r for r in rows if r["recipe"] != "gan"]
    more = sorted((r for r in fixes if r["modes_covered"] > base["modes_covered"]),
                  key=lambda r: (-r["modes_covered"], -r["high_quality"]))
    helped = [r for r in more if r["high_quality"] >= 0.5 * base["high_quality"]]
    sharp = [r for r in rows if r["high_quality"] >= 0.5]
    parts = [f"On the ring the non-saturating GAN ended with {base['modes_covered']}/8 modes covered and "
             f"{base['high_quality']:.1%} of its points of high quality."]
    if helped:
        parts.append("Covering more modes with comparable quality: "
                     + ", ".join(f"{r['recipe']} ({r['modes_covered']}/8, {r['high_quality']:.1%})" for r in helped)
                     + ": at this budget that fix helped.")
    elif more:
        parts.append("More modes were covered by " + ", ".join(
            f"{r['recipe']} ({r['modes_covered']}/8, {r['high_quality']:.1%} high quality)" for r in more)
            + ", but with far fewer good points: their points pass near more modes without landing on them, so "
              "at this budget the fixes did not help.")
    else:
        parts.append("No fix covered more modes than it at this budget: at this scale the fixes did not help.")
    if not sharp:
        parts.append("No recipe put half its points within 3 std of a mode at this budget; a mode counted as "
                     "covered may hold only a few good points.")
    else:
        parts.append("Half or more of the points were of high quality for: "
                     + ", ".join(f"{r['recipe']} ({r['high_quality']:.0%})" for r in sharp) + ".")
    return " ".join(parts)


# -- a discriminator that wins too fast -----------------------------------------------------------------

def discriminator_race(generator, discriminator, images, d_steps: int, measure_every: int, batch_size: int = 64,
                       learning_rate: float = 2e-4, seed: int = 0, losses=("saturating", "non-saturating")) -> list[dict]:
    """Train ``discriminator`` alone against a fixed ``generator``; measure the generator's gradient norm as it wins.

    The discriminator learns with cross-entropy on logits (Adam, ``learning_rate``). Every
    ``measure_every`` steps: its accuracy on a fresh real and fake batch, and
    :func:`gankit.stable.generator_gradient_norm` under each of ``losses`` for fixed noise.
    Returns one row per measurement: ``{"d_step", "d_accuracy", "<loss>": norm, ...}``.
    """
    import keras
    from keras import ops

    from gankit import stable, toy

    latent_dim = generator.input_shape[-1]
    rng = np.random.default_rng(seed)
    noise_fixed = rng.normal(size=(batch_size, latent_dim)).astype("float32")

    def d_loss(real, noise):
        fake = generator(noise, training=False)
        real_scores = discriminator(real, training=True)
        fake_scores = discriminator(fake, training=True)
        return 0.5 * (ops.mean(ops.softplus(-real_scores)) + ops.mean(ops.softplus(fake_scores)))

    update = toy.make_update(d_loss, discriminator, keras.optimizers.Adam(learning_rate, beta_1=0.5), [generator])

    def measure(step):
        real = images[rng.choice(len(images), batch_size, replace=False)]
        fake = np.asarray(generator(noise_fixed, training=False))
        real_scores = np.asarray(discriminator(real, training=False)).ravel()
        fake_scores = np.asarray(discriminator(fake, training=False)).ravel()
        row = {"d_step": step, "d_accuracy": float(np.mean(np.concatenate([real_scores > 0, fake_scores <= 0])))}
        for loss in losses:
            row[loss] = stable.generator_gradient_norm(generator, discriminator, noise_fixed, loss)
        return row

    rows = [measure(0)]
    for step in range(1, d_steps + 1):
        real = images[rng.choice(len(images), batch_size, replace=False)]
        update(real, rng.normal(size=(batch_size, latent_dim)).astype("float32"))
        if step % measure_every == 0 or step == d_steps:
            rows.append(measure(step))
    return rows


def race_conclusion(rows: list[dict]) -> str:
    first, last = rows[0], rows[-1]
    fall = {loss: first[loss] / max(last[loss], 1e-30) for loss in ("saturating", "non-saturating")}
    text = (f"After {last['d_step']} discriminator steps its accuracy went from {first['d_accuracy']:.0%} to "
            f"{last['d_accuracy']:.0%}. The generator's gradient norm under the saturating loss went from "
            f"{first['saturating']:.2g} to {last['saturating']:.2g}")
    text += (f" (a fall by a factor of {fall['saturating']:,.0f})" if fall["saturating"] > 1
             else " (it did not fall)")
    text += (f"; under the non-saturating loss from {first['non-saturating']:.2g} to {last['non-saturating']:.2g}.")
    if fall["saturating"] > 10 and last["non-saturating"] > 10 * last["saturating"]:
        text += (" The winning discriminator silenced the saturating loss; the non-saturating one still "
                 "tells the generator where to go.")
    elif fall["saturating"] <= 10:
        text += (" The discriminator's verdicts on the fakes were not confident enough in this run for the "
                 "saturating gradient to vanish, even at its final accuracy.")
    return text


# -- MNIST: an equal wall-clock budget ------------------------------------------------------------------

def train_for(gan, images, seconds: float, batch_size: int, seed: int = 0, chunk: int = 10,
              max_steps: int | None = None, every=None, title: str = "training") -> dict:
    """Train ``gan`` on ``images`` until ``seconds`` of wall time have passed (compiling included).

    Steps run ``chunk`` at a time on batches in an order fixed by ``seed``; the budget is
    checked between chunks, so a run may overshoot by one chunk. ``every(steps_done)``, if
    given, is called after each chunk (its time is not counted). ``title`` names the progress
    line it shows (:mod:`gankit.progress`). Returns ``{"steps", "seconds"}``.
    """
    from gankit.progress import Progress

    bar = Progress(max_steps if max_steps is not None and seconds == float("inf") else None, title)
    rng = np.random.default_rng(seed)
    order = np.empty(0, dtype=int)
    start, spent, steps = time.perf_counter(), 0.0, 0
    while spent < seconds and (max_steps is None or steps < max_steps):
        while len(order) < chunk * batch_size:
            order = np.concatenate([order, rng.permutation(len(images))])
        picked, order = order[:chunk * batch_size], order[chunk * batch_size:]
        gan.fit(images[picked], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        steps += chunk
        spent = time.perf_counter() - start
        if every is not None:
            every(steps)
            start = time.perf_counter() - spent  # the measurement's time is not training time
        bar.update(steps)
    bar.close(steps)
    return {"steps": steps, "seconds": round(spent, 1)}


def score_digits(images, judge, reference, kid_subsets: int = 50, kid_size: int = 500, seed: int = 0) -> dict:
    """The judge's report, and Fréchet distance, KID, precision and recall against ``reference`` features."""
    from gankit.judge import judge_digits

    report = judge_digits(images, judge)
    features = metrics.judge_features(images, judge)
    kid = metrics.kid(features, reference, subsets=kid_subsets, subset_size=kid_size, seed=seed)
    pr = metrics.precision_recall(reference, features, k=3)
    return {"recognised": round(report.recognised, 4), "classes_present": int(report.classes_present),
            "frechet": round(metrics.frechet_distance(features, reference), 2), "kid": round(kid.mean, 4),
            "kid_std": round(kid.std, 4), "precision": round(pr.precision, 4), "recall": round(pr.recall, 4),
            "n": len(images)}


def format_rows(rows: list[dict], columns) -> str:
    """A plain-text table of ``rows`` with these ``columns`` (numbers in a short form)."""
    def cell(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    widths = [max(len(c), *(len(cell(r.get(c, ""))) for r in rows)) for c in columns]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(cell(r.get(c, "")).rjust(w) for c, w in zip(columns, widths)) for r in rows]
    return "\n".join(lines)


def mnist_conclusion(rows: list[dict], seconds: float) -> str:
    """Which recipe the judge and the distances favour at an equal budget; honest when the GAN is not beaten."""
    base = next(r for r in rows if r["recipe"] == "gan")
    by_fd = min(rows, key=lambda r: r["frechet"])
    by_kid = min(rows, key=lambda r: r["kid"])
    text = (f"With {seconds:g} s of training each, the non-saturating GAN reached Fréchet distance "
            f"{base['frechet']:.1f}, KID {base['kid']:.3f}, {base['recognised']:.0%} of its digits recognised and "
            f"{base['classes_present']}/10 classes.")
    if by_fd["recipe"] == "gan" and by_kid["recipe"] == "gan":
        text += " No fix beat it on either distance at this budget: they did not help at this scale."
    else:
        text += (f" Lowest Fréchet distance: {by_fd['recipe']} ({by_fd['frechet']:.1f}); lowest KID: "
                 f"{by_kid['recipe']} ({by_kid['kid']:.3f}).")
    slow = [r for r in rows if r["steps"] < 0.5 * base["steps"]]
    if slow:
        text += (" Within the same seconds " + ", ".join(f"{r['recipe']} took {r['steps']} generator steps"
                                                         for r in slow)
                 + f" against the GAN's {base['steps']}: their critics' extra updates cost time.")
    return text


# -- little data: the discriminator's overfitting gap -------------------------------------------------

def real_probability(discriminator, images, batch_size: int = 500) -> float:
    """The discriminator's mean probability "real" for ``images`` (inference mode, no augmentation)."""
    from keras import ops

    scores = np.concatenate([np.asarray(ops.convert_to_numpy(discriminator(images[i:i + batch_size], training=False)))
                             for i in range(0, len(images), batch_size)]).ravel()
    return float(np.mean(1.0 / (1.0 + np.exp(-scores))))


def overfitting_gap(discriminator, train_images, heldout_images) -> float:
    """How much more "real" the discriminator finds its training images than held-out real images.

    About 0 while it has learned what digits look like; growing as it memorises its
    training set: then its verdicts on fakes teach the generator little.
    """
    return real_probability(discriminator, train_images) - real_probability(discriminator, heldout_images)


def diffaugment_conclusion(rows: list[dict]) -> str:
    plain = next(r for r in rows if not r["diffaugment"])
    aug = next(r for r in rows if r["diffaugment"])
    text = (f"Without DiffAugment the discriminator ended {plain['gap']:.2f} more sure of its training digits than "
            f"of held-out ones; with it, {aug['gap']:.2f}.")
    if plain["gap"] <= 0.01:
        text += " Even without it the discriminator barely told its training digits from new ones at this budget."
    elif aug["gap"] < 0.5 * plain["gap"]:
        text += " DiffAugment kept the discriminator from memorising the 500 digits (less than half the gap)."
    else:
        text += " DiffAugment did not shrink the gap clearly in this run."
    better = aug["frechet"] < plain["frechet"] and aug["kid"] < plain["kid"]
    worse = aug["frechet"] > plain["frechet"] and aug["kid"] > plain["kid"]
    text += (f" Generated digits: Fréchet distance {plain['frechet']:.1f} without, {aug['frechet']:.1f} with; KID "
             f"{plain['kid']:.3f} without, {aug['kid']:.3f} with; recognised {plain['recognised']:.0%} without, "
             f"{aug['recognised']:.0%} with.")
    if better:
        text += " Both distances favour DiffAugment."
    elif worse:
        text += " Both distances favour the GAN without it: at this budget DiffAugment did not help the digits."
    else:
        text += " The two distances disagree, so this run does not say which gives better digits."
    return text


# -- measuring honestly: sample size ----------------------------------------------------------------------

def sample_size_bias(features_a, features_b, sizes, repeats: int = 5, seed: int = 0) -> list[dict]:
    """Fréchet distance and KID between random subsets of ``n`` rows of each set, for each ``n`` in ``sizes``.

    Returns one row per size: the mean and std over ``repeats`` draws of each measure.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        fds, kids = [], []
        for _ in range(repeats):
            a = features_a[rng.choice(len(features_a), n, replace=False)]
            b = features_b[rng.choice(len(features_b), n, replace=False)]
            fds.append(metrics.frechet_distance(a, b))
            kids.append(metrics.polynomial_mmd2(a, b))
        rows.append({"n": int(n), "frechet": round(float(np.mean(fds)), 2), "frechet_std": round(float(np.std(fds)), 2),
                     "kid": round(float(np.mean(kids)), 4), "kid_std": round(float(np.std(kids)), 4)})
    return rows


def bias_conclusion(same: list[dict], generated: list[dict]) -> str:
    small, large = same[0], same[-1]
    text = (f"Two sets of REAL digits: the Fréchet distance is {small['frechet']:.1f} at n = {small['n']} and "
            f"{large['frechet']:.1f} at n = {large['n']}, though the two distributions are the same; their KID is "
            f"{small['kid']:.4f} ± {small['kid_std']:.4f} at n = {small['n']} and {large['kid']:.4f} ± "
            f"{large['kid_std']:.4f} at n = {large['n']}.")
    g_small, g_large = generated[0], generated[-1]
    text += (f" For the generator the Fréchet distance falls from {g_small['frechet']:.1f} to {g_large['frechet']:.1f} "
             f"as n grows; its KID goes from {g_small['kid']:.4f} to {g_large['kid']:.4f}.")
    if g_small["frechet"] > 1.5 * g_large["frechet"]:
        text += " A Fréchet distance means something only beside others at the same n."
    return text
