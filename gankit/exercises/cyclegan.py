"""Visible checks for notebook 03, CycleGAN: the two LSGAN losses, the cycle and identity terms, the generators'
objective, the image pool, and a prediction of the PatchGAN's receptive field.

Each check takes the learner's function, tries it on small inputs (no model, no training:
the "generators" are fixed functions of the image), recognises the mistakes learners really
make and raises :class:`gankit.checks.ExerciseError` with a message that names the mistake
and ends in "Fix: ...". On success it prints one line. The notebook's hidden tests call the
same checks with other sizes, weights and seeds, so that an answer written for the visible
inputs alone does not pass.

The package holds the same answers (:mod:`gankit.cyclegan`: ``lsgan_discriminator_loss``,
``lsgan_generator_loss``, ``cycle_term``, ``identity_term``, ``generator_objective``, ``ImagePool``;
``CycleGAN`` trains with the learner's functions when the notebook passes them); the checks
compute their expected values here, in NumPy, so that they do not depend on the code the
learner is asked to write.
"""

from __future__ import annotations

import numpy as np

from gankit.checks import ExerciseError, call_answer, passed, shape_text, softplus, to_numpy


def _scalar(value, what: str) -> float:
    array = to_numpy(value)
    if array.size != 1:
        raise ExerciseError(f"{what} returned an array of shape {shape_text(array.shape)}, not one number. "
                            "Fix: average over every score or pixel with ops.mean(...).")
    return float(array.reshape(()))


def _call(function, name: str, *args):
    return call_answer(function, name, *args,
                       fix="use keras.ops (ops.mean, ops.square, ops.abs) on the tensors you are given.")


def _close(value: float, expected: float) -> bool:
    return bool(np.isclose(value, expected, rtol=1e-4, atol=1e-5))


def _diagnose(name: str, got: float, right: float, diagnoses, otherwise: str):
    """Raise the message of the first known mistake whose value ``got`` matches, else ``otherwise``."""
    for value, message in diagnoses:
        if _close(got, value):
            raise ExerciseError(f"{name} gave {got:.4f}, expected {right:.4f}: {message}")
    raise ExerciseError(otherwise)


def _scores(rng, shape):
    # PatchGAN scores: one per patch, spread around the 0 ("fake") and 1 ("real") targets
    return rng.normal(0.5, 0.6, size=shape).astype("float32")


# -- Exercises 1 and 2: the least-squares GAN losses --------------------------------------------

def check_lsgan_discriminator_loss(lsgan_discriminator_loss, patches: int = 4, seed: int = 0) -> None:
    """Exercise 1: 0.5 * (mean (D(real) - 1)^2 + mean D(fake)^2) over PatchGAN score maps."""
    rng = np.random.default_rng(seed)
    real, fake = _scores(rng, (3, patches, patches, 1)), _scores(rng, (3, patches, patches, 1))
    got = _scalar(_call(lsgan_discriminator_loss, "lsgan_discriminator_loss(real_scores, fake_scores)", real, fake),
                  "lsgan_discriminator_loss")
    right = 0.5 * (np.mean((real - 1.0) ** 2) + np.mean(fake ** 2))
    if _close(got, right):
        return passed(f"lsgan_discriminator_loss: {got:.4f}, as expected. All checks passed.")
    bce = 0.5 * (np.mean(softplus(-real)) + np.mean(softplus(fake)))
    diagnoses = [
        (bce, "this is the cross-entropy loss of notebooks 00 to 02, not the least-squares one. CycleGAN's "
              "discriminator returns raw scores that are pulled towards 1 for real and 0 for fake by a squared "
              "error. Fix: replace the cross-entropy by each score's squared distance from its target."),
        (0.5 * (np.mean(real ** 2) + np.mean((fake - 1.0) ** 2)),
         "real and fake are swapped: your discriminator is pulled towards 0 on real images and 1 on fakes. "
         "Fix: the target is 1 for the real scores and 0 for the fake ones."),
        (np.mean((real - 1.0) ** 2) + np.mean(fake ** 2),
         "the loss is twice what it should be: the factor 0.5 is missing. The half does not change how fast the "
         "discriminator learns (Adam takes the same steps for any constant factor); it sets the value the loss "
         "reports: an undecided discriminator, 0.5 everywhere, reports 0.25, as the generator then does. "
         "Fix: halve the sum of the two means."),
        (0.5 * np.mean((real - 1.0) ** 2), "the fake scores are missing: the discriminator only learns to call real "
                                           "images real. Fix: add the fake scores' mean squared distance from 0."),
        (0.5 * (np.mean(np.abs(real - 1.0)) + np.mean(np.abs(fake))),
         "this is an absolute error; LSGAN squares the differences. Fix: ops.square, not ops.abs."),
    ]
    _diagnose("lsgan_discriminator_loss", got, right, diagnoses,
              f"lsgan_discriminator_loss gave {got:.4f} for these score maps, expected {right:.4f}. "
              "Fix: each batch's mean squared distance from its target (1 for real, 0 for fake), then half "
              "their sum, as the formula above the exercise says.")


def check_lsgan_generator_loss(lsgan_generator_loss, patches: int = 4, seed: int = 1) -> None:
    """Exercise 2: mean (D(G(x)) - 1)^2: the generator wants its fakes scored as real."""
    rng = np.random.default_rng(seed)
    fake = _scores(rng, (3, patches, patches, 1))
    got = _scalar(_call(lsgan_generator_loss, "lsgan_generator_loss(fake_scores)", fake), "lsgan_generator_loss")
    right = np.mean((fake - 1.0) ** 2)
    if _close(got, right):
        return passed(f"lsgan_generator_loss: {got:.4f}, as expected. All checks passed.")
    diagnoses = [
        (np.mean(fake ** 2), "your generator is trained towards 0, the discriminator's target for fakes: it would "
                             "learn to make images that are easy to reject. Fix: the generator's target is 1, 'real'."),
        (np.mean(softplus(-fake)), "this is the cross-entropy loss of notebooks 00 to 02, not the least-squares "
                                    "one. Fix: the mean squared distance of the fake scores from 1."),
        (0.5 * right, "the generator's loss has no factor 0.5 (only the discriminator's has). "
                      "Fix: drop the 0.5."),
        (-np.mean((fake - 1.0) ** 2), "the sign is flipped: minimising this pushes the fakes' scores away from 1. "
                                      "Fix: no minus: the loss must grow as the scores move away from 1."),
        (np.mean(np.abs(fake - 1.0)), "this is an absolute error; LSGAN squares the difference. "
                                      "Fix: ops.square, not ops.abs."),
    ]
    _diagnose("lsgan_generator_loss", got, right, diagnoses,
              f"lsgan_generator_loss gave {got:.4f}, expected {right:.4f}. "
              "Fix: the mean squared distance of the fake scores from 1, the 'real' target.")


# -- Exercises 3 and 4: the cycle and identity terms --------------------------------------------

class _Painter:
    """A stand-in generator: a fixed, different change of every pixel (no weights), called like a model."""

    def __init__(self, gain: float, shift, name: str):
        self.gain, self.shift, self.name = gain, np.asarray(shift, dtype="float32"), name

    def __call__(self, images, training=False):
        from keras import ops

        return ops.tanh(ops.convert_to_tensor(images) * self.gain + self.shift)

    def numpy(self, images):
        return np.tanh(np.asarray(images, dtype="float64") * self.gain + self.shift)

    def __repr__(self):
        return f"<stand-in generator {self.name}>"


def _domains(seed: int, size: int):
    rng = np.random.default_rng(seed)
    a = np.clip(rng.normal(0.3, 0.4, (2, size, size, 3)), -1, 1).astype("float32")   # "paintings"
    b = np.clip(rng.normal(-0.2, 0.5, (2, size, size, 3)), -1, 1).astype("float32")  # "photos"
    g_ab = _Painter(0.8, [-0.3, 0.1, 0.2], "g_ab")
    g_ba = _Painter(1.1, [0.25, -0.15, 0.05], "g_ba")
    return a, b, g_ab, g_ba


def _l1(x, y):
    return float(np.mean(np.abs(np.asarray(x, "float64") - np.asarray(y, "float64"))))


def _l2(x, y):
    return float(np.mean((np.asarray(x, "float64") - np.asarray(y, "float64")) ** 2))


def check_cycle_term(cycle_term, weight: float = 10.0, size: int = 8, seed: int = 2) -> None:
    """Exercise 3: weight * (|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|), each an L1 mean."""
    a, b, g_ab, g_ba = _domains(seed, size)
    got = _scalar(_call(cycle_term, "cycle_term(g_ab, g_ba, a, b, weight)", g_ab, g_ba, a, b, weight), "cycle_term")
    aba, bab = g_ba.numpy(g_ab.numpy(a)), g_ab.numpy(g_ba.numpy(b))
    right = weight * (_l1(aba, a) + _l1(bab, b))
    if _close(got, right):
        return passed(f"cycle_term: {got:.4f}, as expected. All checks passed.")
    w = weight
    diagnoses = [
        (w * (_l1(aba, b) + _l1(bab, a)),
         "each round trip is compared with the other domain's images (A -> B -> A against b). A round trip from A "
         "ends in A, so it must give back the same a it started from. Fix: compare each round trip with the "
         "images it started from."),
        (w * (_l1(g_ab.numpy(a), a) + _l1(g_ba.numpy(b), b)),
         "you compared one translation with its input (g_ab(a) against a): that is half a cycle, and it would "
         "forbid any change at all. Fix: translate there and back before you compare with the start."),
        (_l1(aba, a) + _l1(bab, b),
         f"the weight is missing: your term is {weight:g} times too small, and the adversarial loss would swamp it. "
         "Fix: multiply the sum of the two L1 means by weight."),
        (w * (_l2(aba, a) + _l2(bab, b)),
         "this squares the differences (L2). The paper's cycle loss is an L1 loss, the mean absolute difference. "
         "Fix: ops.abs, not ops.square."),
        (w * _l1(aba, a), "only the A -> B -> A cycle is there; the B -> A -> B cycle is missing. "
                          "Fix: add the second round trip, from B and back, compared with b."),
        (w * _l1(bab, b), "only the B -> A -> B cycle is there; the A -> B -> A cycle is missing. "
                          "Fix: add the first round trip, from A and back, compared with a."),
        (w * (_l1(g_ab.numpy(g_ab.numpy(a)), a) + _l1(g_ba.numpy(g_ba.numpy(b)), b)),
         "a round trip uses one generator twice (A -> B, then B -> B). Fix: go there with one generator and "
         "come back with the other."),
    ]
    _diagnose("cycle_term", got, right, diagnoses,
              f"cycle_term gave {got:.4f}, expected {right:.4f}. Fix: weight times the sum of two L1 means, "
              "each round trip (A -> B -> A, B -> A -> B) against the images it started from.")


def check_identity_term(identity_term, weight: float = 5.0, size: int = 8, seed: int = 3) -> None:
    """Exercise 4: weight * (|G_AB(b) - b| + |G_BA(a) - a|): each generator shown its own target domain."""
    a, b, g_ab, g_ba = _domains(seed, size)
    got = _scalar(_call(identity_term, "identity_term(g_ab, g_ba, a, b, weight)", g_ab, g_ba, a, b, weight),
                  "identity_term")
    right = weight * (_l1(g_ab.numpy(b), b) + _l1(g_ba.numpy(a), a))
    if _close(got, right):
        return passed(f"identity_term: {got:.4f}, as expected. All checks passed.")
    w = weight
    diagnoses = [
        (w * (_l1(g_ab.numpy(a), a) + _l1(g_ba.numpy(b), b)),
         "each generator is fed the other domain's images (g_ab(a)): that asks g_ab to leave paintings alone, "
         "the very images it must translate. g_ab makes B images, so it is shown B images and should change "
         "nothing. Fix: show each generator images of the domain it produces, and compare its output with them."),
        (w * (_l1(g_ab.numpy(a), b) + _l1(g_ba.numpy(b), a)),
         "you compared a translation with an image of the other domain (g_ab(a) against b); the domains are not "
         "paired, so there is nothing to compare it with. Fix: compare each generator's output with its own input."),
        (_l1(g_ab.numpy(b), b) + _l1(g_ba.numpy(a), a),
         f"the weight is missing: your term is {weight:g} times too small. Fix: multiply the sum of the two L1 "
         "means by weight."),
        (w * (_l2(g_ab.numpy(b), b) + _l2(g_ba.numpy(a), a)),
         "this squares the differences (L2); the identity loss is an L1 loss. Fix: ops.abs, not ops.square."),
        (w * _l1(g_ab.numpy(b), b), "only g_ab is checked; g_ba shown A images should leave them alone too. "
                                    "Fix: add g_ba's term: shown A images, it should return them unchanged."),
        (w * _l1(g_ba.numpy(a), a), "only g_ba is checked; g_ab shown B images should leave them alone too. "
                                    "Fix: add g_ab's term: shown B images, it should return them unchanged."),
    ]
    _diagnose("identity_term", got, right, diagnoses,
              f"identity_term gave {got:.4f}, expected {right:.4f}. Fix: weight times the sum of two L1 means, "
              "each generator's output on images of the domain it produces against those same images.")


# -- Exercise 5: the generators' whole objective ------------------------------------------------

def _terms(seed: int):
    rng = np.random.default_rng(seed)
    return [float(v) for v in rng.uniform([0.3, 0.2, 0.1], [2.0, 1.5, 1.2])]  # adversarial, cycle, identity


def check_generator_objective(generator_objective, cycle_weight: float = 10.0, identity_weight: float = 0.5,
                              seed: int = 5) -> None:
    """Exercise 5: adversarial + cycle_weight x cycle + identity_weight x cycle_weight x identity."""
    from keras import ops

    adversarial, cycle, identity = _terms(seed)
    args = [ops.convert_to_tensor(np.float32(v)) for v in (adversarial, cycle, identity)]
    got = _scalar(_call(generator_objective, "generator_objective(adversarial, cycle, identity, cycle_weight, "
                        "identity_weight)", *args, cycle_weight, identity_weight), "generator_objective")
    adv, cyc, idt, cw, iw = adversarial, cycle, identity, cycle_weight, identity_weight
    right = adv + cw * cyc + iw * cw * idt
    if _close(got, right):
        return passed(f"generator_objective: {got:.4f}, as expected. All checks passed.")
    diagnoses = [
        (adv + cw * cyc + iw * idt,
         f"the identity term is weighted by identity_weight alone ({iw:g}). identity_weight is a share of the cycle's "
         f"weight: the paper's identity weight is 0.5 x lambda, {iw * cw:g} here. Fix: weight the identity term by "
         "identity_weight times cycle_weight."),
        (adv + cw * cyc + cw * idt,
         "the identity term has the cycle's full weight; its weight is only a share of it, identity_weight of "
         "lambda. Fix: weight the identity term by identity_weight times cycle_weight."),
        (adv + cyc + iw * cw * idt,
         f"the cycle term carries no weight: it is {cw:g} times too small next to the adversarial loss, which would "
         "swamp it. Fix: multiply the cycle term by cycle_weight (lambda)."),
        (adv + cyc + iw * idt,
         "neither term is weighted: the adversarial loss would swamp the cycle and the identity. Fix: weight the "
         "cycle by cycle_weight (lambda) and the identity by identity_weight times lambda."),
        (adv + iw * cw * idt,
         "the cycle term is missing: nothing then ties a translation to its input, and the generators may answer "
         "every photo with any painting the discriminator likes. Fix: add the cycle term, weighted by lambda."),
        (adv + cw * cyc,
         "the identity term is missing (it still counts when identity_weight is not 0). Fix: add the identity "
         "term, weighted by identity_weight times lambda."),
        (cw * cyc + iw * cw * idt,
         "the adversarial term is missing: nothing then asks the translations to look like the other domain, and "
         "generators that copy their input would score 0. Fix: add the adversarial term, unweighted."),
        (adv + iw * cw * cyc + cw * idt,
         "the two weights are swapped: the cycle has the larger weight, lambda, and the identity a share of it. "
         "Fix: give each term its own weight."),
        (cw * adv + cw * cyc + iw * cw * idt,
         "the adversarial term is weighted by lambda too; lambda weighs the cycle against the adversarial loss, "
         "which counts once. Fix: leave the adversarial term unweighted."),
    ]
    _diagnose("generator_objective", got, right, diagnoses,
              f"generator_objective gave {got:.4f} for adversarial {adv:.3f}, cycle {cyc:.3f}, identity {idt:.3f}, "
              f"cycle_weight {cw:g} and identity_weight {iw:g}, expected {right:.4f}. Fix: the adversarial term "
              "as it is, plus the cycle term weighted by lambda, plus the identity term weighted by identity_weight "
              "times lambda.")


# -- Exercise 6: the image pool -----------------------------------------------------------------

def _tagged(start: int, n: int, size: int) -> np.ndarray:
    """``n`` images whose every pixel holds its own tag (start, start + 1, ...), so each is recognisable."""
    tags = np.arange(start, start + n, dtype="float32")
    return np.broadcast_to(tags[:, None, None, None], (n, size, size, 3)).copy()


def _tags(images, what: str) -> np.ndarray:
    array = np.asarray(to_numpy(images), dtype="float64")
    flat = array.reshape(len(array), -1)
    if not np.all(flat == flat[:, :1]):
        raise ExerciseError(f"{what} holds images that are none of the ones given to the pool (pixels were changed "
                            "or mixed). Fix: return images exactly as they were stored or given, no arithmetic.")
    return flat[:, 0]


def _query(pool_query, pool, images, capacity, rng, where: str):
    out = _call(pool_query, "pool_query(pool, images, capacity, rng)", pool, images, capacity, rng)
    if out is None:
        raise ExerciseError(f"pool_query returned None {where}. Fix: return the batch for the discriminator, an "
                            "array of the same shape as images.")
    out = np.asarray(to_numpy(out))
    if out.shape != images.shape:
        raise ExerciseError(f"pool_query returned an array of shape {shape_text(out.shape)} for a batch of shape "
                            f"{shape_text(images.shape)} {where}. Fix: return one image for each image given, "
                            "e.g. np.stack(chosen).")
    return out


def check_pool_query(pool_query, capacity: int = 6, size: int = 2, batch: int = 3, seed: int = 4) -> None:
    """Exercise 6: the history pool: stores until full, then gives back an old image with probability 1/2."""
    rng = np.random.default_rng(seed)
    pool: list = []
    fill = -(-capacity // batch)  # batches it takes to fill the pool
    tag = 0
    for step in range(fill):
        images = _tagged(tag, batch, size)
        out = _tags(_query(pool_query, pool, images, capacity, rng, f"while the pool was filling (call {step + 1})"),
                    "the returned batch")
        stored = min(capacity, tag + batch)
        if len(pool) == 0:
            raise ExerciseError("after a call on an empty pool, the pool is still empty: your pool never stores. "
                                "Fix: until the pool holds capacity images, store each new image and pass it on.")
        if len(pool) != stored:
            raise ExerciseError(f"after {tag + batch} images the pool holds {len(pool)}, expected {stored}. "
                                "Fix: store each image (one append per image) until len(pool) == capacity.")
        room = min(batch, capacity - tag)  # the images of this call that found a free place
        if not np.array_equal(out[:room], _tags(images, "")[:room]):
            raise ExerciseError("while the pool was not yet full it returned other images than it was given. "
                                "Fix: until the pool is full, store each image and return that same image.")
        tag += batch
    old_shares, one_coin, sizes = [], 0, []
    rounds = 120
    for step in range(rounds):
        images = _tagged(tag, batch, size)
        out = _tags(_query(pool_query, pool, images, capacity, rng, "once the pool was full"), "the returned batch")
        sizes.append(len(pool))
        new = _tags(images, "")
        old = out != new
        if np.any(~np.isin(out[old], np.arange(tag + batch))):
            raise ExerciseError("the pool returned an image it was never given. Fix: return stored images only.")
        old_shares.append(old.mean())
        one_coin += old.all() or not old.any()
        tag += batch
    if max(sizes) > capacity:
        raise ExerciseError(f"the pool grew to {max(sizes)} images with capacity {capacity}. Fix: once "
                            "len(pool) == capacity, swap images in place (pool[i] = image) instead of appending.")
    share = float(np.mean(old_shares))
    if share == 0.0:
        raise ExerciseError("once full, your pool returns the newest image every time: the discriminator never sees "
                            "an older fake, so the pool does nothing. Fix: once full, flip a fair coin for each image; "
                            "on one side, pass on a random stored image and store the new one in its slot.")
    if share > 0.9:
        raise ExerciseError(f"once full, your pool returned an old image {share:.0%} of the time; it should be about "
                            "half. Fix: swap only when a fair coin, drawn from rng for each image, says so.")
    if not 0.3 <= share <= 0.7:
        raise ExerciseError(f"once full, your pool returned an old image {share:.0%} of the time, expected about "
                            "50%. Fix: swap with probability 1/2, one draw from rng per image.")
    final = set(_tags(np.stack(pool), "the pool"))
    if final <= set(range(capacity)):
        raise ExerciseError("once full, the pool never takes in new images: it returns its first images over and "
                            "over. Fix: when you return a stored image, put the new image in its place "
                            "(pool[i] = image).")
    if batch > 1 and one_coin / rounds > 0.9:
        raise ExerciseError("your pool flips one coin for the whole batch: either every image is swapped or none. "
                            "Fix: decide image by image, inside the loop over the batch.")
    again = []
    for generator in (np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)):
        pool_again: list = []
        outs = [_tags(_query(pool_query, pool_again, _tagged(i * batch, batch, size), capacity, generator,
                             "on a repeat"), "the returned batch") for i in range(fill + 20)]
        again.append(np.concatenate(outs))
    if not np.array_equal(*again):
        raise ExerciseError("two runs with the same random source gave different results: your pool draws its "
                            "random numbers elsewhere (np.random, random). Fix: draw every random number from the "
                            "rng argument (rng.random(), rng.integers(capacity)).")
    passed(f"pool_query: stores until full, then returned an old image {share:.0%} of the time. All checks passed.")


def check_pool_off(pool_query, size: int = 2) -> None:
    """A pool of capacity 0 stores nothing and returns every batch as it is (the paper's "no pool")."""
    pool: list = []
    images = _tagged(0, 2, size)
    out = _tags(_query(pool_query, pool, images, 0, np.random.default_rng(0), "with capacity 0"), "the returned batch")
    if pool or not np.array_equal(out, _tags(images, "")):
        raise ExerciseError("with capacity 0 the pool must store nothing and return the batch as it is. A pool of "
                            "capacity 0 has no room. Fix: with no room, store nothing and never swap.")
    passed("pool_query with capacity 0: returns the batch as it is.")


# -- Exercise 7: predict the PatchGAN's receptive field -----------------------------------------

STANDARD_SIZE = 64  # the standard profile's images


def _true_fields(image_size: int = STANDARD_SIZE, depths=(3, 2)) -> dict:
    """The receptive field of :func:`gankit.blocks.patchgan` with each number of stride-2 layers, measured."""
    from gankit.blocks import patchgan, receptive_field

    return {depth: receptive_field(patchgan(image_size, 3, 4, depth, name=f"patchgan_{depth}")) for depth in depths}


def _field_values(receptive_fields) -> dict:
    if not isinstance(receptive_fields, dict):
        raise ExerciseError(f"receptive_fields should be a dict {{stride-2 layers: pixels}}, got "
                            f"{type(receptive_fields).__name__}. Fix: receptive_fields = {{3: ..., 2: ...}}.")
    keys = sorted(receptive_fields, key=str)
    if sorted(str(k) for k in keys) != ["2", "3"]:
        raise ExerciseError(f"receptive_fields has the keys {keys}, expected 3 and 2 (the number of stride-2 "
                            "layers). Fix: one entry for each discriminator.")
    values = {}
    for key, value in receptive_fields.items():
        if value is None:
            raise ExerciseError(f"receptive_fields[{key}] is still None. Fix: replace it by your prediction, a "
                                "whole number of pixels.")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value <= 0:
            raise ExerciseError(f"receptive_fields[{key}] is {value!r}; it should be a number of pixels (one side "
                                "of the square one score sees). Fix: a positive whole number.")
        values[int(str(key))] = float(value)
    return values


def check_receptive_fields(receptive_fields) -> None:
    """Exercise 7: the form of the prediction only; it says what each number means for a 64x64 image."""
    values = _field_values(receptive_fields)
    for depth in (3, 2):
        field = values[depth]
        share = "the whole image, and more" if field >= STANDARD_SIZE else (
            f"a patch of {field / STANDARD_SIZE:.0%} of the side")
        print(f"{depth} stride-2 layers: you predict that one score sees {field:g} x {field:g} pixels of a "
              f"{STANDARD_SIZE} x {STANDARD_SIZE} image: {share}.")
    passed("receptive_fields: two predictions. The next cell measures them; the graded test compares.")


def grade_receptive_fields(receptive_fields, image_size: int = STANDARD_SIZE) -> None:
    """The graded comparison with the fields measured on :func:`gankit.blocks.patchgan`, each mistake named."""
    values = _field_values(receptive_fields)
    truth = _true_fields(image_size)
    wrong = []
    for depth, right in truth.items():
        got = values[depth]
        if got == right:
            continue
        without_last_two = 1  # the stride-2 layers alone
        for _ in range(depth):
            without_last_two = (without_last_two - 1) * 2 + 4
        if abs(got - right * image_size / 256) <= 1:
            why = ("the field does not shrink with the image: it is fixed by the layers (their kernels and "
                   "strides), so a discriminator sees as many pixels of a 64-pixel image as of a 256-pixel "
                   "one")
        elif got == 2 ** depth:
            why = (f"{2 ** depth} is the stride between neighbouring scores (how far apart their windows start), "
                   "not the width of one window; each layer's kernel widens the window beyond its stride")
        elif got == without_last_two:
            why = ("the two stride-1 convolutions after the stride-2 ones (the last of them makes the scores) are "
                   "left out; they widen the window too")
        else:
            why = ("walk back from one score, layer by layer: a layer with kernel k and stride s turns a window of r "
                   "pixels into (r - 1) x s + k")
        wrong.append(f"with {depth} stride-2 layers you predicted {got:g} pixels: {why}")
    if wrong:
        raise ExerciseError("; ".join(wrong) + ". Fix: compare your prediction with the numbers the cell after the "
                                               "exercise printed, and see where your count went another way.")
