"""Visible checks for notebook 00, The cook and the critic: the two losses and D*.

Each check calls the learner's function on small inputs, recognises the mistakes learners
really make, and raises :class:`gankit.checks.ExerciseError` with a message that names the
mistake and ends in "Fix: ...". On success it prints one line.

The course's convention for the discriminator's loss: **half the sum** of the mean
cross-entropy over the real batch and the mean over the fake batch. A critic that can only
guess (D = 1/2) then pays log 2 = 0.693, the same reference value as the generator's loss.
"""

from __future__ import annotations

import math

import numpy as np

from gankit.checks import ExerciseError, check_close, softplus, passed, to_numpy

LOG2 = math.log(2.0)


def _tensor(values):
    from keras import ops

    return ops.convert_to_tensor(np.asarray(values, dtype="float32"))


def _one_number(value, name: str, what: str) -> float:
    array = to_numpy(value)
    if array.size != 1:
        raise ExerciseError(f"{name} should return one number, but it returned an array of shape {array.shape}. "
                            f"Fix: take the mean over {what}.")
    number = float(array.reshape(()))
    if not math.isfinite(number):
        raise ExerciseError(f"{name} returned {number}: logits can be negative or large, they are not probabilities. "
                            "Fix: work on the logits with ops.softplus, or pass from_logits=True.")
    return number


def call_discriminator_loss(discriminator_loss, real, fake) -> float:
    """Call the learner's discriminator_loss on float32 logits; return one float (shape errors explained)."""
    real, fake = np.asarray(real, "float32"), np.asarray(fake, "float32")
    try:
        value = discriminator_loss(_tensor(real), _tensor(fake))
    except (ExerciseError, NotImplementedError):
        raise
    except Exception as error:  # e.g. a shape error from adding two batches of different sizes
        if len(real) != len(fake):
            raise ExerciseError(
                f"discriminator_loss failed on {len(real)} real and {len(fake)} fake logits "
                f"({type(error).__name__}). It looks like one expectation over both batches: the real and fake "
                "losses added sample by sample, which only works when the two batches have the same size. The real "
                "and fake batches are separate expectations. Fix: take the mean over the real batch and the mean "
                "over the fake batch, then half their sum.") from None
        raise
    return _one_number(value, "discriminator_loss", "each batch")


def _mean_d_loss(real, fake) -> float:
    return 0.5 * (softplus(-np.asarray(real)).mean() + softplus(np.asarray(fake)).mean())


def check_discriminator_loss(discriminator_loss) -> None:
    """Exercise 1: half the sum of -mean log D(x) (real batch) and -mean log(1 - D(G(z))) (fake batch)."""
    # 1. A critic that cannot tell (every logit 0, D = 1/2), on 3 real and 5 fake samples.
    got = call_discriminator_loss(discriminator_loss, np.zeros((3, 1)), np.zeros((5, 1)))
    known = [
        (-LOG2, "The loss is negative (-log 2 when D = 1/2): a minus sign is missing. A cross-entropy is never "
                "negative. Fix: -log D(x) for real samples and -log(1 - D(G(z))) for fakes."),
        (2 * LOG2, "The loss is 2 log 2 = 1.386 when D = 1/2, twice the course's convention: the two means were "
                   "added but not halved. Fix: return half the sum of the two means, so an unsure critic pays "
                   "log 2 = 0.693, like the generator."),
        (4 * LOG2, "The loss is 4 log 2 for 3 real and 5 fake logits of 0: it looks like a sum over each batch, so "
                   "it grows with the batch size. Fix: take the mean over each batch, then half their sum."),
        (8 * LOG2, "The loss is 8 log 2 for 3 real and 5 fake logits of 0: it looks like a sum over both batches. "
                   "Fix: take the mean over each batch, then half their sum."),
        (0.5 * (softplus(-0.5) + softplus(0.5)),
         "The loss is 0.724 when every logit is 0, not log 2 = 0.693: the sigmoid was applied twice. "
         "Fix: pass the logits themselves to a loss built for logits (from_logits=True or ops.softplus)."),
    ]
    for value, why in known:
        if abs(got - value) < 1e-3:
            raise ExerciseError(why)
    if got > 5:
        raise ExerciseError(f"The loss is {got:.3g} when every logit is 0, far above log 2 = 0.693: the logits are "
                            "treated as probabilities (binary_crossentropy without from_logits=True). "
                            "Fix: pass from_logits=True, or use ops.softplus.")
    check_close(got, LOG2, "discriminator_loss with every logit 0 (3 real, 5 fake)", rtol=1e-3, atol=1e-4,
                hint="A critic that answers D = 1/2 everywhere pays log 2 on each batch; half their sum is "
                     "log 2 = 0.693. Fix: half the sum of the mean over each batch.")
    # 2. A sure and right critic (real logits +4, fake logits -4) pays almost nothing.
    got = call_discriminator_loss(discriminator_loss, np.full((3, 1), 4.0), np.full((5, 1), -4.0))
    if abs(got - _mean_d_loss(np.full(3, -4.0), np.full(5, 4.0))) < 1e-3:
        raise ExerciseError(f"A critic that is sure and right (real logits +4, fake logits -4) pays {got:.3f}, a "
                            "large loss: the real and fake labels are swapped. Fix: real samples take label 1 "
                            "(-log D(x)), fakes label 0 (-log(1 - D(G(z)))).")
    check_close(got, _mean_d_loss(np.full(3, 4.0), np.full(5, -4.0)),
                "discriminator_loss for real logits +4 and fake logits -4", rtol=1e-3, atol=1e-4,
                hint="A critic that is sure and right pays almost nothing.")
    # 3. Batches of unequal sizes with different logits: each batch must count the same.
    real, fake = np.full((3, 1), 2.0), np.full((5, 1), 2.0)
    got = call_discriminator_loss(discriminator_loss, real, fake)
    pooled = (softplus(-real).sum() + softplus(fake).sum()) / (len(real) + len(fake))
    if abs(got - pooled) < 1e-3:
        raise ExerciseError("With 3 real and 5 fake logits the loss is one mean over all 8 samples: one expectation "
                            "over both batches, so the bigger batch weighs more. The real and fake batches are "
                            "separate expectations. Fix: take the mean over each batch, then half their sum.")
    check_close(got, _mean_d_loss(real, fake), "discriminator_loss for 3 real and 5 fake logits of +2",
                rtol=1e-3, atol=1e-4, hint="Fix: half the sum of the mean over each batch.")
    passed("discriminator_loss: the visible checks pass.")


def call_generator_loss(generator_loss, fake) -> float:
    """Call the learner's generator_loss on float32 logits; return one float."""
    return _one_number(generator_loss(_tensor(fake)), "generator_loss", "the batch")


def check_generator_loss(generator_loss) -> None:
    """Exercise 2: the non-saturating loss, -mean log D(G(z))."""
    def call(fake):
        return call_generator_loss(generator_loss, fake)

    got = call(np.full((3, 1), -4.0))
    known = [
        (-0.018150, "this is the saturating loss, log(1 - D(G(z))), the minimax game taken literally. It is almost "
                    "flat where the critic rejects the fakes, so the cook learns next to nothing exactly when he is "
                    "worst. Fix: minimise -log D(G(z)), the non-saturating loss (cross-entropy against label 1)."),
        (0.018150, "the fakes are pushed towards the label 'fake' (0): that loss is smallest when the critic catches "
                   "them. Fix: the cook wants his fakes called real: label 1, -log D(G(z))."),
        (-4.018150, "the sign is flipped: a minus sign is missing. Fix: the loss is -log D(G(z)), never negative."),
        (12.054450, "it is 3 times too big for a batch of 3: it looks like a sum over the batch. Fix: take the mean."),
        (0.684195, "the sigmoid was applied twice: probabilities were passed to a loss that expects logits. "
                   "Fix: pass the logits (from_logits=True, or ops.softplus)."),
    ]
    for value, why in known:
        if abs(got - value) < 1e-3:
            raise ExerciseError(f"generator_loss gave {got:.4f} for fakes with logits -4, where 4.0181 was expected: "
                                f"{why}")
    if got > 10:
        raise ExerciseError(f"generator_loss gave {got:.3g} for logits of -4: the logits are treated as probabilities "
                            "(binary_crossentropy without from_logits=True). Fix: pass from_logits=True, "
                            "or use ops.softplus.")
    check_close(got, 4.018150, "generator_loss for fake logits -4", rtol=1e-3, atol=1e-4,
                hint="For D(G(z)) = 0.018 the non-saturating loss is -log(0.018) = 4.018.")
    check_close(call([[-1.0], [0.0], [2.0]]), 0.711112, "generator_loss for fake logits [-1, 0, 2]",
                rtol=1e-3, atol=1e-4, hint="Fix: the mean over the batch of -log D(G(z)).")
    passed("generator_loss: the visible checks pass.")


def call_optimal_discriminator(optimal_discriminator, x, data_mean, data_std, fake_mean, fake_std) -> np.ndarray:
    """Call the learner's D* with keyword arguments; return float64 values of the shape of ``x``."""
    x = np.asarray(x, "float32")
    value = to_numpy(optimal_discriminator(x, data_mean=data_mean, data_std=data_std,
                                           fake_mean=fake_mean, fake_std=fake_std)).astype("float64")
    if value.shape != x.shape:
        raise ExerciseError(f"optimal_discriminator should return one value per point, with the shape of x {x.shape}; "
                            f"it returned shape {value.shape}. Fix: compute elementwise with keras.ops, no reduction.")
    return value


def explain_mismatch(got, want, known_mistakes, what: str) -> None:
    """Raise the message of the first known mistake ``got`` matches, else compare with ``want``."""
    for wrong, why in known_mistakes:
        if np.allclose(got, wrong, rtol=1e-3, atol=1e-4) and not np.allclose(got, want, rtol=1e-3, atol=1e-4):
            raise ExerciseError(f"{what} gave {np.round(np.ravel(got), 4).tolist()} where "
                                f"{np.round(np.ravel(want), 4).tolist()} was expected: {why}")
    check_close(got, want, what, rtol=1e-3, atol=1e-4)


SWAPPED = ("the densities are swapped: that is p_g / (p_data + p_g), which is high where the fakes are. "
           "Fix: D* is high where the real data is dense, p_data / (p_data + p_g).")


def check_optimal_discriminator(optimal_discriminator) -> None:
    """Exercise 3: D*(x) = p_data(x) / (p_data(x) + p_g(x)) for two normal densities."""
    got = call_optimal_discriminator(optimal_discriminator, [0.0, 1.0, 2.0], 0.0, 1.0, 2.0, 1.0)
    explain_mismatch(got, [0.880797, 0.5, 0.119203], [
        ([0.119203, 0.5, 0.880797], SWAPPED),
        ([7.389056, 1.0, 0.135335], "that is the ratio p_data / p_g. Fix: D* is p_data / (p_data + p_g), a "
                                    "probability between 0 and 1."),
    ], "D*(x) at x = [0, 1, 2] for data N(0, 1) and generator N(2, 1)")
    got = call_optimal_discriminator(optimal_discriminator, [0.0, 1.0], 0.0, 1.0, 0.0, 2.0)
    explain_mismatch(got, [0.666667, 0.578873], [
        ([0.333333, 0.421127], SWAPPED),
        ([0.5, 0.407333], "the densities miss their normalising factor 1/(std sqrt(2 pi)); it matters as soon as the "
                          "two standard deviations differ: a wider bell is also a lower one. Fix: divide each "
                          "density by std * sqrt(2 pi)."),
        ([0.585786, 0.524125], "the standard deviation was used where the variance belongs. Fix: the exponent "
                               "divides by 2 std^2, and the factor in front is 1/(std sqrt(2 pi))."),
    ], "D*(x) at x = [0, 1] for data N(0, 1) and generator N(0, 2^2)")
    passed("optimal_discriminator: the visible checks pass.")
