"""Visible checks for notebook 06, stable GANs: the critic's loss, clipping, the interpolates, the
gradient penalty, augmentation applied to both players, and the diagnosis of four recorded runs.

Each check tries the learner's function on small made-up inputs (no training), recognises
the mistakes learners really make and raises :class:`gankit.checks.ExerciseError` with a
message that names the mistake and the principle and ends in "Fix: ...". On success it
prints one line. The hidden tests call the same checks with other sizes and seeds.
"""

from __future__ import annotations

import pathlib

import numpy as np

from gankit.checks import (ExerciseError, call_answer, check_run_names, grade_run_names, passed, shipped_file, shape_text, softplus,
                           to_numpy)

RUNS_FILE = pathlib.Path(__file__).with_name("stable_runs.npz")
DIAGNOSES = ("healthy", "mode collapse", "discriminator wins too fast", "discriminator overfits")


def _call(fn, name: str, *args, **kwargs):
    return call_answer(fn, name, *args, **kwargs,
                       fix="follow the exercise's steps, and try your function on the example in the cell above.")


def _number(value, what: str) -> float:
    array = to_numpy(value)
    if np.size(array) != 1:
        raise ExerciseError(f"{what} returns shape {shape_text(np.shape(array))}; it must return one number. "
                            "Fix: average over the batch (ops.mean).")
    return float(np.reshape(array, ()))


def _close(a: float, b: float, tol: float = 1e-4) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


# -- Exercise 1: the critic's loss ------------------------------------------------------------------

def check_critic_loss(critic_loss, n: int = 6, seed: int = 0) -> None:
    """Exercise 1: ``critic_loss(real_scores, fake_scores) = mean(fake_scores) - mean(real_scores)``."""
    from keras import ops

    rng = np.random.default_rng(seed)
    real = rng.normal(1.5, 2.0, size=(n, 1)).astype("float32")
    fake = rng.normal(-0.5, 2.0, size=(n, 1)).astype("float32")
    got = _number(_call(critic_loss, "critic_loss", ops.convert_to_tensor(real), ops.convert_to_tensor(fake)),
                  "critic_loss")
    r, f = real.astype("float64"), fake.astype("float64")
    want = f.mean() - r.mean()
    if _close(got, want):
        passed(f"critic_loss: mean fake score minus mean real score ({got:.3f} on {n} + {n} scores).")
        return
    if _close(got, -want):
        raise ExerciseError(f"critic_loss gives {got:.3f}, the expected value with its sign flipped: lowering this "
                            "loss would push the real scores DOWN and the fake scores UP, so the critic would learn to "
                            "prefer the fakes. The critic minimises its loss while it raises its scores of real "
                            "images. Fix: the fakes' mean score minus the real images' mean score.")
    bce = [0.5 * (softplus(-r).mean() + softplus(f).mean()), softplus(-r).mean() + softplus(f).mean()]
    if any(_close(got, b) for b in bce):
        raise ExerciseError(f"critic_loss gives {got:.3f}: that is the cross-entropy of notebooks 01-02 (scores "
                            "squashed by a sigmoid and compared with labels 1 and 0). A Wasserstein critic's scores "
                            "are raw numbers with no sigmoid and no labels; its loss is a difference of mean scores. "
                            "Fix: use the mean scores themselves, no log, no sigmoid.")
    hinge = np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean()
    if _close(got, hinge):
        raise ExerciseError(f"critic_loss gives {got:.3f}: that is the hinge loss (section 5 uses it with spectral "
                            "normalisation), not the Wasserstein critic's. Fix: no relu and no margin of 1: the "
                            "fakes' mean score minus the real images' mean score.")
    if _close(got, -f.mean()) or _close(got, f.mean()) or _close(got, -r.mean()):
        raise ExerciseError(f"critic_loss gives {got:.3f}, which uses only one of the two sets of scores (that is "
                            "the generator's loss, up to its sign). The critic must see both: it widens the gap "
                            "between real and fake scores. Fix: combine the mean of each.")
    raise ExerciseError(f"critic_loss gives {got:.3f} for these scores; the Wasserstein critic's loss is {want:.3f}. "
                        "Fix: the mean of the fake scores minus the mean of the real scores, each averaged over "
                        "its own batch.")


# -- Exercise 2: weight clipping --------------------------------------------------------------------

def _tiny_game(latent: int = 3, width: int = 5, seed: int = 0):
    import keras
    from keras import layers

    from gankit import stable

    generator = keras.Sequential([keras.Input((latent,)), layers.Dense(width), layers.Dense(2)], name="generator")
    critic = keras.Sequential([keras.Input((2,)), layers.Dense(width), layers.Dense(1)], name="critic")
    rng = np.random.default_rng(seed)
    for model in (generator, critic):
        model.set_weights([rng.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    return stable.CriticGAN(generator, critic, latent, seed=seed)


def check_clip_critic(clip_critic, clip: float = 0.01, seed: int = 0) -> None:
    """Exercise 2: ``clip_critic(gan, clip)`` clips every critic weight to [-clip, clip], in place, and nothing else."""
    gan = _tiny_game(seed=seed)
    g_before = [w.copy() for w in gan.generator.get_weights()]
    d_before = [w.copy() for w in gan.discriminator.get_weights()]
    _call(clip_critic, "clip_critic", gan, clip)
    g_after, d_after = gan.generator.get_weights(), gan.discriminator.get_weights()
    if any(not np.allclose(a, b) for a, b in zip(g_before, g_after)):
        raise ExerciseError("clip_critic changed the GENERATOR's weights. Only the critic must be kept Lipschitz, "
                            "so that its score gap estimates a distance; clipping the generator's weights to "
                            f"±{clip:g} leaves it almost unable to draw anything. gan.trainable_variables holds both "
                            "players' weights. Fix: clip only the weights of gan.discriminator.")
    if all(np.allclose(a, b) for a, b in zip(d_before, d_after)):
        raise ExerciseError(f"clip_critic left the critic's weights unchanged (some were ±0.5, beyond ±{clip:g}). "
                            "Computing a clipped value is not enough: it must be written back into each weight. "
                            "Fix: assign the clipped value to each critic variable.")
    for before, after in zip(d_before, d_after):
        want = np.clip(before, -clip, clip)
        if not np.allclose(after, want, atol=1e-7):
            if np.all(after >= -1e-9) and np.allclose(after, np.clip(before, 0, clip), atol=1e-7):
                raise ExerciseError(f"clip_critic clips to [0, {clip:g}]: every negative weight became 0. Fix: clip "
                                    f"to [-clip, clip].")
            raise ExerciseError(f"after clip_critic the critic's weights are not the old ones clipped to "
                                f"[-{clip:g}, {clip:g}] (e.g. {before.ravel()[0]:.3f} became {after.ravel()[0]:.3f}). "
                                "Fix: clip each critic weight (kernels and biases) to [-clip, clip].")
    passed(f"clip_critic: every critic weight clipped to ±{clip:g}; the generator untouched.")


# -- Exercise 3: the interpolates -------------------------------------------------------------------

def _weights_used(real, fake, out):
    """The weight each value of ``out`` got on the line from real to fake: (out - real) / (fake - real)."""
    return (out - real) / (fake - real)


def check_interpolates(interpolates, shapes=((256, 2), (64, 4, 4, 1)), seed: int = 0) -> None:
    """Exercise 3: ``interpolates(real, fake, seed)``: points on the real-to-fake segments, one uniform weight per example."""
    from keras import ops

    for number, shape in enumerate(shapes):
        rng = np.random.default_rng([seed, number])
        real = rng.normal(size=shape).astype("float32")
        fake = (real + rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)).astype("float32")
        out = to_numpy(_call(interpolates, "interpolates", ops.convert_to_tensor(real), ops.convert_to_tensor(fake),
                             seed=seed + 3)).astype("float64")
        if out.shape != real.shape:
            hint = (" A weight of shape (batch, 1, 1, 1) only fits images; a batch of another rank broadcasts it "
                    "wrongly." if len(shape) != 4 else "")
            raise ExerciseError(f"for real and fake of shape {shape_text(shape)}, interpolates returns shape "
                                f"{shape_text(out.shape)}; it must be the same shape.{hint} Fix: give eps the shape "
                                "(batch,) followed by a 1 for each other axis of real.")
        eps = _weights_used(real.astype("float64"), fake.astype("float64"), out).reshape(shape[0], -1)
        if np.allclose(eps, 0, atol=1e-4) or np.allclose(eps, 1, atol=1e-4):
            which = "real" if np.allclose(eps, 0, atol=1e-4) else "fake"
            raise ExerciseError(f"interpolates returns the {which} examples themselves. The penalty must be "
                                "measured BETWEEN real and fake, where the critic's slope decides what the generator "
                                "learns. Fix: move each real example a random fraction eps of the way towards its fake, eps "
                                "uniform in [0, 1).")
        if eps.min() < -1e-4 or eps.max() > 1 + 1e-4:
            raise ExerciseError(f"some interpolates lie outside the segment between their real and fake example "
                                f"(weights from {eps.min():.2f} to {eps.max():.2f}). Fix: draw eps uniformly in "
                                "[0, 1) (keras.random.uniform) and move each real example that fraction of the way to its fake.")
        within = eps.std(axis=1).max()
        across = eps.mean(axis=1).std()
        if within < 1e-4 and across < 1e-4:
            raise ExerciseError(f"all {shape[0]} interpolates use the SAME weight eps ({eps.mean():.3f}): one "
                                "interpolation weight for the whole batch. Every interpolate then sits at the same "
                                "fraction of the way from real to fake, and the penalty tests the critic's slope on "
                                "one thin slice of the space instead of all along the lines. Fix: draw one weight "
                                "per EXAMPLE, shape (batch, 1, ...), so each example gets its own.")
        if within > 1e-4:
            raise ExerciseError("within one example the values moved by different fractions towards the fake (one "
                                "weight per value, not per example), so the interpolate is not on the straight line "
                                "between its real and its fake example. Fix: draw one weight per example, shape "
                                "(batch, 1, ...), and let it broadcast over the example's values.")
        if shape[0] >= 100 and not (0.2 < across < 0.37 and 0.35 < eps.mean() < 0.65):
            raise ExerciseError(f"the weights have mean {eps.mean():.2f} and spread {across:.2f}; uniform weights in "
                                "[0, 1) have mean 0.5 and spread 0.29. Fix: keras.random.uniform, low 0, high 1.")
    passed("interpolates: one weight per example, each interpolate on the segment between its real and fake example.")


# -- Exercise 4: the gradient penalty ---------------------------------------------------------------

def _linear_critic(w):
    import keras
    from keras import layers

    critic = keras.Sequential([keras.Input((len(w),)), layers.Dense(1)], name="critic")
    critic.set_weights([np.asarray(w, "float32").reshape(-1, 1), np.array([0.3], "float32")])
    return critic


def _half_square_critic(dim: int):
    """A critic 0.5 |x|^2: its input gradient is x itself, so the penalty depends on WHERE it is measured."""
    import keras
    from keras import layers, ops

    return keras.Sequential([keras.Input((dim,)), layers.Lambda(lambda x: 0.5 * ops.sum(x * x, axis=1, keepdims=True))],
                            name="critic")


def check_gradient_penalty(gradient_penalty, interpolates, n: int = 64, dim: int = 4, seed: int = 0) -> None:
    """Exercise 4: ``gradient_penalty(critic, real, fake, seed)``: mean((|grad_x critic(x_hat)| - 1)^2) at the interpolates."""
    from keras import ops

    rng = np.random.default_rng(seed)
    real = rng.normal(size=(n, dim))
    real = (real / np.linalg.norm(real, axis=1, keepdims=True)).astype("float32")  # |real| = 1
    fake = (3.0 * real).astype("float32")  # |fake| = 3, on the same ray
    w = rng.normal(size=dim)
    w /= np.linalg.norm(w)

    def penalty(critic, label):
        value = _call(gradient_penalty, "gradient_penalty", critic, ops.convert_to_tensor(real),
                      ops.convert_to_tensor(fake), seed=seed + 5)
        return _number(value, f"gradient_penalty ({label})")

    got = penalty(_linear_critic(w), "a linear critic")
    if not abs(got) < 1e-3:
        if _close(got, (np.sqrt(n) - 1.0) ** 2, 1e-3):
            raise ExerciseError(f"for a critic whose input gradient has norm 1 at every point, the penalty should be "
                                f"0; yours gives {got:.3f} = (sqrt({n}) - 1)^2: the norm was taken over the whole "
                                "batch at once. The constraint is on each example's gradient. Fix: one norm per "
                                "example (sum the squares over every axis but the first), then the mean over the batch.")
        raise ExerciseError(f"for a linear critic whose input gradient has norm 1 at every point (a 1-Lipschitz critic "
                            f"at its steepest) the penalty should be 0; yours gives {got:.3f}. Most likely the "
                            "gradient was taken with respect to the critic's WEIGHTS: they are what the optimizer "
                            "moves, but the Lipschitz constraint is about how fast the score changes as the IMAGE "
                            "changes. Fix: differentiate the critic's score with respect to its inputs x_hat "
                            "(steps.input_gradients(critic, x_hat)).")
    got = penalty(_linear_critic(3.0 * w), "a steeper linear critic")
    if _close(got, 40.0, 1e-3):
        raise ExerciseError("for a critic with input gradient norm 3 everywhere, the penalty should be (3 - 1)^2 = 4; "
                            "yours gives 40: the weight 10 is already inside. The notebook multiplies by "
                            "penalty_weight where the penalty joins the critic's loss. Fix: return the penalty "
                            "unweighted.")
    if _close(got, 64.0, 1e-3):
        raise ExerciseError("for a critic with input gradient norm 3 everywhere, the penalty should be (3 - 1)^2 = 4; "
                            "yours gives 64 = (9 - 1)^2: it uses the SQUARED norm of the gradient. Fix: take the "
                            "square root of the sum of squares (the norm) before subtracting 1.")
    if not _close(got, 4.0, 1e-3):
        raise ExerciseError(f"for a critic with input gradient norm 3 at every point, the penalty should be "
                            f"(3 - 1)^2 = 4; yours gives {got:.3f}. Fix: per example, the norm of the input "
                            "gradient; then the mean of (norm - 1)^2.")
    got = penalty(_half_square_critic(dim), "a curved critic")
    if abs(got) < 1e-3:
        raise ExerciseError("for a critic whose slope grows with |x|, your penalty is 0 where it should not be: it "
                            "was measured at the REAL images (here |x| = 1, so the slope is exactly 1 there). WGAN-GP "
                            "asks for slope 1 on the lines between real and fake samples, where the generator's "
                            "fakes must travel. Fix: measure the gradient at interpolates(real, fake, seed).")
    if _close(got, 4.0, 1e-3):
        raise ExerciseError("for a critic whose slope grows with |x|, your penalty equals its value at the FAKE "
                            "images. WGAN-GP measures it on the lines between real and fake samples. Fix: measure "
                            "the gradient at interpolates(real, fake, seed).")
    x_hat = to_numpy(interpolates(ops.convert_to_tensor(real), ops.convert_to_tensor(fake), seed=seed + 5))
    want = float(np.mean((np.linalg.norm(np.reshape(x_hat, (n, -1)), axis=1) - 1.0) ** 2))
    if not (_close(got, want, 1e-3) or 0.5 < got < 2.5):
        raise ExerciseError(f"for a critic whose input gradient at x is x itself, the penalty at your interpolates "
                            f"should be {want:.3f}; yours gives {got:.3f}. Fix: the norm of each interpolate's input "
                            "gradient, then the mean of (norm - 1)^2.")
    passed("gradient_penalty: 0 for a slope of 1, 4 for a slope of 3, and measured at the interpolates.")


# -- Exercise 5: augmentation in both players' losses ---------------------------------------------

def check_augmented_losses(augmented_losses, n: int = 5, size: int = 4, seed: int = 0) -> None:
    """Exercise 5: the same augmentation on real AND fake images, in the discriminator's AND the generator's loss."""
    import keras
    from keras import layers, ops

    rng = np.random.default_rng(seed)
    real = rng.uniform(-1, 1, size=(n, size, size, 1)).astype("float32")
    fake = rng.uniform(-1, 1, size=(n, size, size, 1)).astype("float32")
    discriminator = keras.Sequential([keras.Input((size, size, 1)), layers.Flatten(), layers.Dense(1)],
                                     name="discriminator")
    w = rng.normal(size=(size * size, 1)).astype("float32")
    discriminator.set_weights([w, np.zeros(1, "float32")])

    def augment(images):  # a stand-in for DiffAugment that always does the same, so the check can tell
        return 0.5 * ops.roll(images, 1, axis=1) - 0.25

    def aug_np(x):
        return 0.5 * np.roll(x, 1, axis=1) - 0.25

    def scores(x):
        return x.reshape(len(x), -1).astype("float64") @ w.astype("float64")

    seen = {}

    def d_loss_fn(real_scores, fake_scores):
        seen["d_real"], seen["d_fake"] = to_numpy(real_scores).reshape(-1), to_numpy(fake_scores).reshape(-1)
        return ops.mean(fake_scores) - 2.0 * ops.mean(real_scores)

    def g_loss_fn(fake_scores):
        seen["g_fake"] = to_numpy(fake_scores).reshape(-1)
        return -3.0 * ops.mean(fake_scores)

    out = _call(augmented_losses, "augmented_losses", discriminator, ops.convert_to_tensor(real),
                ops.convert_to_tensor(fake), augment, d_loss_fn, g_loss_fn)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise ExerciseError("augmented_losses must return a pair (d_loss, g_loss). Fix: return both losses.")
    if not {"d_real", "d_fake", "g_fake"} <= set(seen):
        raise ExerciseError("augmented_losses must call d_loss_fn(real_scores, fake_scores) and "
                            "g_loss_fn(fake_scores), the losses it is given. Fix: score the images with the "
                            "discriminator and pass the scores to those two functions.")
    plain = {"real": scores(real).ravel(), "fake": scores(fake).ravel()}
    augmented = {"real": scores(aug_np(real)).ravel(), "fake": scores(aug_np(fake)).ravel()}

    def which(got, kind):
        if got.shape == augmented[kind].shape and np.allclose(got, augmented[kind], atol=1e-4):
            return "augmented"
        if got.shape == plain[kind].shape and np.allclose(got, plain[kind], atol=1e-4):
            return "plain"
        return "other"

    d_real, d_fake, g_fake = which(seen["d_real"], "real"), which(seen["d_fake"], "fake"), which(seen["g_fake"], "fake")
    if d_real == "augmented" and d_fake == "plain":
        raise ExerciseError("only the REAL images are augmented in the discriminator's loss. The discriminator then "
                            "learns 'augmented means real', and the generator learns to draw augmented images "
                            "(shifted digits, cut-out squares) instead of digits. Fix: apply the same augment to the "
                            "fake images too.")
    if d_real == "plain" and d_fake == "augmented":
        raise ExerciseError("only the FAKE images are augmented in the discriminator's loss: it can tell real from "
                            "fake by the augmentation alone. Fix: apply the same augment to the real images too.")
    if d_real == "plain" and d_fake == "plain":
        raise ExerciseError("the discriminator's loss sees the images without augmentation. Fix: score augment(real) "
                            "and augment(fake).")
    if d_real != "augmented" or d_fake != "augmented":
        raise ExerciseError("the scores passed to d_loss_fn are not the discriminator's scores of augment(real) and "
                            "augment(fake), in that order. Fix: d_loss_fn(real_scores, fake_scores).")
    if g_fake == "plain":
        raise ExerciseError("the generator's loss scores its fakes WITHOUT augmentation, while the discriminator "
                            "only ever learned on augmented images: the generator is judged by verdicts on images "
                            "the discriminator was never trained on, and it is not pushed through the augmentation. "
                            "DiffAugment goes into both players' losses. Fix: g_loss_fn of the scores of "
                            "augment(fake).")
    if g_fake != "augmented":
        raise ExerciseError("the scores passed to g_loss_fn are not the discriminator's scores of augment(fake). "
                            "Fix: g_loss_fn(scores of the augmented fakes).")
    d_want = augmented["fake"].mean() - 2.0 * augmented["real"].mean()
    g_want = -3.0 * augmented["fake"].mean()
    d_got, g_got = _number(out[0], "augmented_losses (d_loss)"), _number(out[1], "augmented_losses (g_loss)")
    if _close(d_got, g_want, 1e-4) and _close(g_got, d_want, 1e-4):
        raise ExerciseError("augmented_losses returns (g_loss, d_loss): the pair is the wrong way round. "
                            "Fix: return d_loss first, then g_loss.")
    if not (_close(d_got, d_want, 1e-4) and _close(g_got, g_want, 1e-4)):
        raise ExerciseError("augmented_losses does not return what d_loss_fn and g_loss_fn gave. Fix: return "
                            "their two results, d_loss first.")
    passed("augmented_losses: real and fake images augmented alike, in the discriminator's and the generator's loss.")


# -- Exercise 6: diagnosis of four recorded runs ----------------------------------------------------

CURVES = ("modes_covered", "high_quality", "d_accuracy", "g_grad_norm", "d_gap")
CURVE_TITLES = {"modes_covered": "modes covered (of 8)", "high_quality": "high-quality share",
                "d_accuracy": "discriminator accuracy", "g_grad_norm": "generator's gradient norm",
                "d_gap": "D(training points) - D(held-out points)"}


def load_runs(path=RUNS_FILE) -> dict:
    """The four recorded runs: {"A": {"steps", and one array per name in CURVES}, ...}."""
    path = shipped_file(path)
    with np.load(path) as archive:
        names = [str(n) for n in archive["names"]]
        return {name: {"steps": archive[f"{name}_steps"], **{c: archive[f"{name}_{c}"] for c in CURVES}}
                for name in names}


def show_runs(runs=None):
    """One row per recorded run, one panel per curve, on shared axes per curve."""
    import matplotlib.pyplot as plt

    runs = runs or load_runs()
    fig, axes = plt.subplots(len(runs), len(CURVES), figsize=(2.6 * len(CURVES), 1.9 * len(runs)), sharex=False,
                             sharey="col")
    for row, (name, run) in zip(axes, runs.items()):
        for ax, curve in zip(row, CURVES):
            ax.plot(run["steps"], run[curve], marker=".", lw=1)
            if curve == "g_grad_norm":
                ax.set_yscale("log")
            if curve == "modes_covered":
                ax.set_ylim(-0.3, 8.3)
            if curve in ("high_quality", "d_accuracy"):
                ax.set_ylim(-0.03, 1.03)
            if name == next(iter(runs)):
                ax.set_title(CURVE_TITLES[curve], fontsize="small")
        row[0].set_ylabel(f"run {name}")
    for ax in axes[-1]:
        ax.set_xlabel("step")
    fig.tight_layout()
    return fig


SIGNS = {
    "healthy": "the coverage climbs to all or nearly all modes, the quality share rises steadily once the points "
               "gather, the discriminator stays far from perfect, and it scores its training samples and fresh "
               "ones alike (the gap stays at 0)",
    "mode collapse": "only one or two modes are covered all along, however long it trains, while the discriminator "
                     "stays far from perfect: the generator keeps moving all its points to wherever the "
                     "discriminator currently looks away",
    "discriminator wins too fast": "the discriminator's accuracy goes to nearly 1 early and stays there, while the "
                                   "quality share stays near 0: the generator is told only 'fake', never where "
                                   "the data is, and its points never settle on the modes",
    "discriminator overfits": "the discriminator scores its own training samples clearly above fresh real samples "
                              "of the same kind, and that gap keeps growing: it memorises a small training set "
                              "instead of learning what the data looks like",
}


def check_diagnosis(diagnosis, runs=None) -> None:
    """``diagnosis``: {"A": ..., "B": ..., "C": ..., "D": ...}, each one of DIAGNOSES, each used once.

    The visible check only checks the form; the graded test checks the names.
    """
    check_run_names(diagnosis, DIAGNOSES, SIGNS, runs, look_at="curves")


def grade_diagnosis(diagnosis, answer: dict) -> None:
    """The graded test's comparison: name each misread run, and what its signs would have been."""
    grade_run_names(diagnosis, answer, DIAGNOSES, SIGNS, look_again="curves")


# -- How the recorded runs were made (instructors: python -m gankit.exercises.stable) -----------------

RUN_ORDER = {"A": "discriminator wins too fast", "B": "healthy", "C": "discriminator overfits", "D": "mode collapse"}


def _ring_record(kind: str, steps: int, every: int, seed: int) -> dict:
    """A ring run broken as ``kind`` says, with the five curves measured every ``every`` steps."""
    import keras

    from gankit import stable, stable_study
    from gankit.ring import LATENT_DIM, Ring, ring_critic, ring_generator
    from gankit.trainer import GAN, bce_losses

    ring = Ring()
    gan = stable.CriticGAN(ring_generator(seed=seed), ring_critic(seed=seed), LATENT_DIM, seed=seed)
    g_loss = "non-saturating"
    if kind == "healthy":
        gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5), loss="bce")
    elif kind == "mode collapse":  # the generator five times faster than the discriminator
        gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5), loss="bce")
    elif kind == "discriminator wins too fast":  # a ten times faster discriminator, the saturating generator loss
        from keras import ops

        g_loss = "saturating"
        GAN.compile(gan, keras.optimizers.Adam(2e-3, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5),
                    d_loss_fn=bce_losses()[0], g_loss_fn=lambda fake: -ops.mean(ops.softplus(fake)))
    else:
        raise ValueError(kind)
    noise = np.random.default_rng([seed, 1]).normal(size=(2000, LATENT_DIM)).astype("float32")
    curves = {c: [] for c in CURVES}
    steps_done = []
    for chunk in range(steps // every):
        real = ring.sample(every * 256, seed=seed * 100_003 + chunk)
        logs = gan.fit(real, batch_size=256, epochs=1, shuffle=False, verbose=0).history
        score = ring.score(np.asarray(gan.generator.predict(noise, batch_size=1000, verbose=0)))
        fresh = ring.sample(2000, seed=10**6 + chunk)
        steps_done.append((chunk + 1) * every)
        curves["modes_covered"].append(score.modes_covered / 8)
        curves["high_quality"].append(score.high_quality)
        curves["d_accuracy"].append(float(logs["d_accuracy"][-1]))
        curves["g_grad_norm"].append(stable.generator_gradient_norm(gan.generator, gan.discriminator, noise[:256], g_loss))
        curves["d_gap"].append(stable_study.overfitting_gap(gan.discriminator, real[-2000:], fresh))
    return {"steps": np.array(steps_done), **{c: np.array(v) for c, v in curves.items()}}


def _little_record(steps: int, every: int, seed: int) -> dict:
    """The non-saturating DCGAN on 500 digits, no augmentation: the five curves (coverage and quality from the judge)."""
    from gankit import capstone, metrics, models, stable, stable_study
    from gankit.data import load_mnist
    from gankit.judge import judge_digits, load_judge

    images, labels = load_mnist("train")
    little, _ = capstone.small_labelled_set(images, labels, 50, seed=seed)
    held_out = metrics.real_digits(500, "test", seed=seed)
    judge = load_judge(verbose=0)
    gan = stable.make_gan("gan", models.dcgan_generator(64), models.dcgan_discriminator(), 64, seed=seed)
    noise = np.random.default_rng([seed, 1]).normal(size=(500, 64)).astype("float32")
    curves = {c: [] for c in CURVES}
    steps_done = []

    def measure(done):
        fakes = np.asarray(gan.generator.predict(noise, verbose=0))
        report = judge_digits(fakes, judge)
        real_scores = np.asarray(gan.discriminator(little[:500], training=False)).ravel()
        fake_scores = np.asarray(gan.discriminator(fakes, training=False)).ravel()
        steps_done.append(done)
        curves["modes_covered"].append(report.classes_present / 10)
        curves["high_quality"].append(report.recognised)
        curves["d_accuracy"].append(float(np.mean(np.concatenate([real_scores > 0, fake_scores <= 0]))))
        curves["g_grad_norm"].append(stable.generator_gradient_norm(gan.generator, gan.discriminator, noise[:64]))
        curves["d_gap"].append(stable_study.overfitting_gap(gan.discriminator, little, held_out))

    stable_study.train_for(gan, little, float("inf"), batch_size=50, seed=seed, chunk=every, max_steps=steps,
                           every=measure)
    return {"steps": np.array(steps_done), **{c: np.array(v) for c, v in curves.items()}}


def record_runs(path=RUNS_FILE, seed: int = 0) -> None:
    """Record the four runs of Exercise 6 (TensorFlow, a few minutes on a CPU) into ``path``."""
    arrays = {"names": np.array(sorted(RUN_ORDER))}
    for name, kind in sorted(RUN_ORDER.items()):
        run = _little_record(1500, 100, seed) if kind == "discriminator overfits" else _ring_record(kind, 6000, 500, seed)
        for key, value in run.items():
            arrays[f"{name}_{key}"] = value.astype("float32") if key != "steps" else value.astype("int32")
        print(name, kind, {k: np.round(v[-1], 3) for k, v in run.items()}, flush=True)
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    record_runs()
