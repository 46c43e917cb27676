"""Visible checks for notebook 05, the capstone: the label conditioning, mixing, classic augmentation, and
reading four runs of a study seed by seed.

Each check tries the learner's function on small made-up inputs (no training), recognises
the mistakes learners really make and raises :class:`gankit.checks.ExerciseError` with a
message that names the mistake and the principle, and ends in "Fix: ..." in words (never the
answer's code). On success it prints one line. The hidden tests call the same checks with other
sizes, seeds, labels and ratios; every property the exercise text promises is checked.
"""

from __future__ import annotations

import numpy as np

from gankit.checks import (ExerciseError, call_answer, check_run_names, grade_run_names, passed, shape_text,
                           to_numpy)


def _call(fn, name: str, *args, **kwargs):
    return call_answer(fn, name, *args, **kwargs,
                       fix="follow the exercise's steps, and try your function on the example in the cell above.")




# -- Exercise 1: the label joined to the noise ---------------------------------------------------

def check_join_label(join_label, batch: int = 4, latent_dim: int = 6, num_classes: int = 10, seed: int = 0,
                     labels=None) -> None:
    """Exercise 1: ``join_label(noise, labels, num_classes)`` = the noise, then the one-hot labels, on the last axis.

    ``labels`` (optional): the classes to ask for; by default a mix that includes the last class.
    """
    from keras import ops

    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(batch, latent_dim)).astype("float32")
    if labels is None:
        labels = (np.arange(batch) * 3 + seed) % num_classes
        labels[0] = num_classes - 1  # the last class, which a depth of one too few cannot hold
    labels = np.asarray(labels, "int64").reshape(-1)
    got = to_numpy(_call(join_label, "join_label", ops.convert_to_tensor(noise),
                         ops.convert_to_tensor(labels.astype("int32")), num_classes)).astype("float64")
    one_hot = np.eye(num_classes)[labels]
    want = np.concatenate([noise, one_hot], axis=-1)
    if got.shape == (batch, latent_dim + 1):
        raise ExerciseError(f"join_label returns shape {shape_text(got.shape)}: the label is joined as ONE number, "
                            f"the integer class. The generator would read class 8 as 'eight times class 1', as "
                            f"if the classes lay on a scale. Fix: join the label's one-hot code, {num_classes} "
                            f"numbers per label, all 0 but a 1 in the class's place.")
    if got.shape == noise.shape:
        raise ExerciseError(f"join_label returns shape {shape_text(got.shape)}, the noise's own: the label was added "
                            f"to the noise (or left out) instead of joined beside it. Fix: keep the noise as it is "
                            f"and put the label's one-hot code after it, on the last axis, so each row grows by "
                            f"num_classes numbers.")
    if got.ndim == 2 and got.shape[0] == batch and got.shape[-1] - latent_dim != num_classes:
        top = int(labels.max()) + 1
        why = (f" That is one more than the largest label in this batch ({top - 1}): the depth was read from the "
               f"labels present, and a batch without the last class gets a shorter code."
               if got.shape[-1] - latent_dim == top else "")
        raise ExerciseError(f"join_label returns shape {shape_text(got.shape)}, expected "
                            f"{shape_text(want.shape)}: the one-hot part has {got.shape[-1] - latent_dim} entries "
                            f"where num_classes={num_classes} was asked.{why} Fix: the one-hot code has exactly "
                            f"num_classes entries, from the argument, whatever the batch holds.")
    if got.shape != want.shape:
        raise ExerciseError(f"join_label returns shape {shape_text(got.shape)}, expected {shape_text(want.shape)}. "
                            "Fix: join on the last axis, one row per noise vector.")
    if np.allclose(got, np.concatenate([one_hot, noise], axis=-1), atol=1e-5):
        raise ExerciseError("join_label puts the one-hot label first and the noise after it; the generator of "
                            "gankit.conditional reads the noise first. Fix: noise first, then the one-hot label.")
    if not np.allclose(got[:, :latent_dim], noise, atol=1e-5):
        raise ExerciseError("the first latent_dim columns of join_label's result are not the noise unchanged. "
                            "Fix: keep the noise as it is and join the one-hot label after it.")
    if not np.allclose(got[:, latent_dim:], one_hot, atol=1e-5):
        row = int(np.argmax(np.abs(got[:, latent_dim:] - one_hot).max(axis=1)))
        raise ExerciseError(f"the label part of join_label's result is not the one-hot code of the labels "
                            f"(for label {labels[row]} it holds {np.round(got[row, latent_dim:], 3).tolist()}). "
                            f"Fix: a 1 in the place of the label itself (class 0 in the first place), 0 elsewhere.")
    passed(f"join_label: noise ({latent_dim}) + one-hot label ({num_classes}) = {latent_dim + num_classes} numbers per row.")


# -- Exercise 2: mixing real and generated images ------------------------------------------------

def _coded(labels, sign: float, start: int) -> np.ndarray:
    """Images that carry their own label (in pixel 0) and identity (pixel 1): real ones positive, fakes negative."""
    n = len(labels)
    images = np.zeros((n, 28, 28, 1), "float32")
    images[:, 0, 0, 0] = sign * (np.asarray(labels) + 1) / 20.0
    images[:, 0, 1, 0] = (start + np.arange(n)) / 1000.0
    return images


def _mixed(mix, real, real_labels, fake, fake_labels, ratio, seed):
    """The learner's mix, checked for its form: (images, labels) as arrays, as many labels as images."""
    out = _call(mix, "mix", real.copy(), real_labels.copy(), fake.copy(), fake_labels.copy(), ratio, seed)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise ExerciseError("mix must return a pair, the images and their labels. Fix: return both, images first.")
    images, labels = to_numpy(out[0]), to_numpy(out[1]).reshape(-1)
    if len(images) != len(labels):
        raise ExerciseError(f"mix returns {len(images)} images but {len(labels)} labels. Fix: join the labels "
                            "exactly as you join the images.")
    return images, labels


def check_mix(mix, n_real: int = 10, pool: int = 40, ratios=(2, 0.5), seed: int = 0) -> None:
    """Exercise 2: ``mix(...)`` keeps every real image, adds ``round(ratio * n_real)`` fakes, each with its label.

    Also: the real images come first, unchanged and in order; no fake twice; the picks follow the
    seed (the same seed, the same picks; another seed, others) and can come from anywhere in the pool.
    """
    rng = np.random.default_rng(seed)
    real_labels = rng.integers(0, 10, n_real).astype("int32")
    fake_labels = rng.integers(0, 10, pool).astype("int32")
    real, fake = _coded(real_labels, 1.0, 0), _coded(fake_labels, -1.0, 500)
    for ratio in ratios:
        images, labels = _mixed(mix, real, real_labels, fake, fake_labels, ratio, seed)
        code = images[:, 0, 0, 0]
        is_real, is_fake = code > 0, code < 0
        want = int(round(ratio * n_real))
        if is_real.sum() != n_real:
            raise ExerciseError(f"mix kept {int(is_real.sum())} of the {n_real} real images. The study adds generated "
                                "images to the real set, it never replaces it. Fix: return all the real images plus "
                                "the generated ones.")
        got = int(is_fake.sum())
        if got != want:
            if ratio != 1 and got == int(round(n_real / ratio)):
                said = (f"it added {got}, n_real / ratio: the ratio is applied to the wrong side. The ratio counts "
                        f"generated images PER real image")
            elif got == int(ratio * n_real):
                said = (f"it added {got}: {ratio:g} x {n_real} = {ratio * n_real:g} was cut down to a whole number "
                        f"instead of rounded to the nearest one")
            elif got == int(round(ratio * len(fake))):
                said = f"it added {got}, ratio x the size of the pool, not of the real set"
            else:
                said = f"it added {got}"
            raise ExerciseError(f"with {n_real} real images and ratio {ratio:g}, mix should add "
                                f"round({ratio:g} x {n_real}) = {want} generated images, but {said}. Fix: the ratio "
                                f"counts generated images per real image: multiply the number of real images by it "
                                f"and round to the nearest whole number.")
        true = np.rint(np.abs(code) * 20.0 - 1.0).astype(int)
        wrong = int((true != labels).sum())
        if wrong:
            side = "generated" if (true != labels)[is_fake].any() else "real"
            raise ExerciseError(f"{wrong} of the {len(labels)} images carry another image's label (among the {side} "
                                "ones): the images were shuffled or picked apart from their labels. A classifier "
                                "trained on them learns wrong answers. Fix: pick the generated images and their "
                                "labels with the SAME indices.")
        if not (np.array_equal(images[:n_real], real) and np.array_equal(labels[:n_real], real_labels)):
            raise ExerciseError("mix does not return the real images first, unchanged and in their order (with "
                                "their labels), as the exercise asks. Fix: the real set as it came in, then the "
                                "picked generated images.")
        ids = images[is_fake, 0, 1, 0]
        if len(np.unique(np.round(ids * 1000))) < got:
            raise ExerciseError("mix adds the same generated image more than once: a repeated image counts twice in "
                                "training but adds nothing new. Fix: pick without replacement.")
    # the picks follow the seed, and reach the whole pool
    ratio = min((r for r in ratios if r > 0), default=1)
    count = int(round(ratio * n_real))
    if 0 < count < pool:
        first = _mixed(mix, real, real_labels, fake, fake_labels, ratio, seed)[0][n_real:, 0, 1, 0]
        again = _mixed(mix, real, real_labels, fake, fake_labels, ratio, seed)[0][n_real:, 0, 1, 0]
        if not np.array_equal(first, again):
            raise ExerciseError("mix called twice with the same seed picks different generated images, so no run of "
                                "the study can be repeated. Fix: draw the picks from a random generator made from "
                                "the seed argument, not from the global random state.")
        picks = [set(np.round(_mixed(mix, real, real_labels, fake, fake_labels, ratio, s)[0][n_real:, 0, 1, 0]
                              * 1000).astype(int) - 500) for s in range(seed + 1, seed + 9)]
        if all(p == picks[0] for p in picks):
            raise ExerciseError(f"mix picks the same {count} generated images whatever the seed (indices "
                                f"{sorted(int(i) for i in picks[0])[:6]}...): the seed is ignored, or the first ones are taken. Every "
                                f"seed of the study should see another random draw. Fix: pick at random, with a "
                                f"generator made from the seed.")
        reached = set().union(*picks)
        if max(reached) < min(pool - 1, count + n_real):
            raise ExerciseError(f"over 8 seeds, mix only ever picks among the first {max(reached) + 1} of the "
                                f"{pool} generated images: the indices are drawn from a range smaller than the "
                                f"pool. Fix: draw among all the generated images.")
    passed(f"mix: all {n_real} real images kept, first; ratio x {n_real} generated images added, each with its own "
           "label, picked at random by the seed.")


# -- Exercise 3: classic augmentation ------------------------------------------------------------

def letter_f(size: int = 28) -> np.ndarray:
    """A thick letter F in [-1, 1]: no flip of it is a rotation of it, so a check can tell flips from turns."""
    image = -np.ones((size, size), "float32")
    image[5:23, 8:12] = 1.0
    image[5:9, 8:21] = 1.0
    image[12:16, 8:18] = 1.0
    return image


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """``image`` turned by ``degrees`` about its centre (nearest pixel; the corners filled with -1)."""
    size = image.shape[0]
    centre = (size - 1) / 2.0
    rows, cols = np.mgrid[0:size, 0:size].astype("float64") - centre
    angle = np.deg2rad(degrees)
    src_r = np.rint(np.cos(angle) * rows - np.sin(angle) * cols + centre).astype(int)
    src_c = np.rint(np.sin(angle) * rows + np.cos(angle) * cols + centre).astype(int)
    inside = (src_r >= 0) & (src_r < size) & (src_c >= 0) & (src_c < size)
    out = -np.ones_like(image)
    out[inside] = image[src_r[inside], src_c[inside]]
    return out


def _templates(image: np.ndarray):
    """The image and its mirror image, turned by every multiple of 15 degrees: ``(arrays, [(flipped, degrees)])``."""
    names, arrays = [], []
    for flipped, base in ((False, image), (True, image[:, ::-1])):
        for degrees in range(-165, 181, 15):
            names.append((flipped, degrees))
            arrays.append(_rotate(base, degrees))
    return np.stack(arrays), names


def _best_match(images: np.ndarray, templates: np.ndarray, shift: int = 3) -> np.ndarray:
    """For each image, the template it matches best (cosine similarity, allowing small shifts)."""
    flat_t = templates.reshape(len(templates), -1) + 1.0  # ink positive, background 0
    flat_t /= np.linalg.norm(flat_t, axis=1, keepdims=True)
    best = np.full((len(images), len(templates)), -np.inf)
    for dr in range(-shift, shift + 1):
        for dc in range(-shift, shift + 1):
            moved = np.roll(images, (dr, dc), axis=(1, 2)).reshape(len(images), -1) + 1.0
            moved = moved / (np.linalg.norm(moved, axis=1, keepdims=True) + 1e-9)
            best = np.maximum(best, moved @ flat_t.T)
    return best.argmax(axis=1)


def _moves(out: np.ndarray):
    """Per copy of the letter F: how far its ink's centre moved (pixels), and its angle (degrees, to 2.5).

    The move is measured from the nearer of the letter's centre and its mirror image's, so that a
    flipped copy is not taken for a moved one.
    """
    rows, cols = np.mgrid[0:28, 0:28]
    centres = [np.array([rows[ink].mean(), cols[ink].mean()]) for ink in (letter_f() > 0, letter_f()[:, ::-1] > 0)]
    shifts = []
    for ink in out[..., 0] > 0:
        here = np.array([rows[ink].mean(), cols[ink].mean()]) if ink.any() else None
        shifts.append(min(np.hypot(*(here - c)) for c in centres) if here is not None else np.inf)
    grid = np.arange(-40, 40.1, 2.5)
    angles = grid[_best_match(out[..., 0], np.stack([_rotate(letter_f(), d) for d in grid]), shift=4)]
    return np.asarray(shifts), np.abs(angles)


def check_augment(augment, n: int = 24, seed: int = 0) -> None:
    """Exercise 3: ``augment(images, seed)``: same shape, in [-1, 1], shifted, turned a little and noisy, never flipped.

    What the exercise asks, measured on copies of a letter F: shifts of up to a tenth of the side,
    turns of up to 10 degrees, the uncovered border filled with the background (-1), noise of
    about 0.1, every copy moved its own way, and the same seed giving the same copies.
    """
    images = np.repeat(letter_f()[None, :, :, None], n, axis=0)
    out = to_numpy(_call(augment, "augment", images.copy(), seed)).astype("float64")
    if out.shape != images.shape:
        raise ExerciseError(f"augment returns shape {shape_text(out.shape)} for images of shape "
                            f"{shape_text(images.shape)}. Fix: return one augmented copy of each image, same shape.")
    low, high = float(out.min()), float(out.max())
    if low < -1 - 1e-4 or high > 1 + 1e-4:
        raise ExerciseError(f"augment's images range from {low:.3g} to {high:.3g}, outside [-1, 1]: the noise pushes "
                            "pixels past the range of the real (and the generated) digits, and the classifier learns "
                            "from values it never sees in the test set. Fix: clip the result back into [-1, 1].")
    if np.allclose(out, images, atol=1e-3):
        raise ExerciseError("augment returns the images unchanged. Fix: shift, rotate and add a little noise; Keras's "
                            "random layers only act when they are called in training mode.")
    templates, names = _templates(letter_f())
    matches = [names[i] for i in _best_match(out[..., 0], templates, shift=7)]  # shifts far too large too
    flipped = sum(f for f, _ in matches)
    if flipped > max(1, n // 12):
        raise ExerciseError(f"{flipped} of {n} augmented copies of a letter F look like a MIRRORED F: augment flips "
                            "images. A mirrored 2, 3 or 7 is no digit at all, so the classifier learns from junk. "
                            "Fix: no flips; for digits use only small shifts, small rotations and noise.")
    far = [d for f, d in matches if abs(d) >= 60]
    if len(far) > max(1, n // 12):
        raise ExerciseError(f"{len(far)} of {n} augmented copies of a letter F are turned by 60 degrees or more "
                            f"(e.g. {far[0]}): the rotations are far too large. Turned upside down a 6 becomes a 9. "
                            "Fix: rotate by 10 degrees at most; Keras's rotation factor is a fraction of a full turn, "
                            "not an angle.")
    shifts, angles = _moves(out)
    if (shifts > 5.5).sum() > 2:
        raise ExerciseError(f"{int((shifts > 5.5).sum())} of {n} copies moved by more than 5 pixels (up to "
                            f"{min(shifts.max(), 28):.0f}): a tenth of the side, 2.8 pixels, was asked, and a digit "
                            "pushed far off-centre or out of the frame is no longer a clear digit. Fix: Keras's "
                            "translation factor is a fraction of the height and width, not a number of pixels.")
    frame = np.concatenate([out[:, 0, :, 0], out[:, -1, :, 0], out[:, :, 0, 0], out[:, :, -1, 0]], axis=1)
    raised = float((frame > -0.5).mean())
    if raised > 0.02:
        if float((frame <= -1 + 1e-6).mean()) < 0.4:
            raise ExerciseError(f"{raised:.0%} of the border pixels are grey, not background: the strip a shift or a "
                                "turn uncovers is filled with 0, which is mid-grey for images in [-1, 1]. The classifier "
                                "then learns grey bars no real digit has. Fix: fill with the background's value, -1.")
        raise ExerciseError(f"{raised:.0%} of the border pixels, background in the original, lie above -0.5: the noise "
                            "is far stronger than the 0.1 the exercise asks for, and drowns the strokes. Fix: scale "
                            "the standard normal noise by 0.1.")
    background = frame[frame < -0.5] + 1.0
    noise = float(background.mean() * np.sqrt(2 * np.pi))  # a clipped normal's mean excess is sigma / sqrt(2 pi)
    if noise < 0.04:
        raise ExerciseError(f"the background of the augmented copies is almost untouched (noise of about {noise:.2f} "
                            "where 0.1 was asked): augment adds little or no noise. Fix: add normal noise scaled by "
                            "0.1 to every pixel, then clip.")
    if np.median(shifts) < 0.5 and angles.max() <= 5:
        raise ExerciseError("augment adds noise but the letters neither move nor turn: the random shift and rotation "
                            "did nothing. Keras's random layers only act when they are called in training mode "
                            "(outside training they pass images through). Fix: call them in training mode.")
    if np.median(shifts) < 1.0:
        raise ExerciseError("the augmented letters turn but hardly move: augment leaves out the random shift (up to a "
                            "tenth of the side each way). Fix: shift, then turn.")
    if (angles >= 15).sum() > 2:
        raise ExerciseError(f"{int((angles >= 15).sum())} of {n} copies are turned by 15 degrees or more (up to about "
                            f"{angles.max():.0f}): turns of up to 10 degrees were asked. Fix: Keras's rotation factor "
                            "is a fraction of a FULL turn (360 degrees), not of half a turn, nor an angle.")
    if angles.max() <= 5:
        raise ExerciseError("the augmented letters move but none turns by more than a few degrees: augment leaves out "
                            "the random rotation, or makes it far smaller than the 10 degrees asked. Fix: a rotation "
                            "factor of 10 degrees as a fraction of a full turn.")
    if np.std(shifts) < 0.3:
        raise ExerciseError("every copy moved by the same amount: augment draws one shift for the whole batch, so "
                            "the classifier sees each digit moved the same way. Fix: each image its own random move.")
    again = to_numpy(_call(augment, "augment", images.copy(), seed)).astype("float64")
    if not np.allclose(again, out, atol=1e-5):
        raise ExerciseError("augment called twice with the same seed gives different copies, so no run of the study "
                            "can be repeated. Fix: pass the seed argument to every random step.")
    other = to_numpy(_call(augment, "augment", images.copy(), seed + 1)).astype("float64")
    if np.allclose(other, out, atol=1e-5):
        raise ExerciseError("augment gives the same copies for two different seeds: the seed is ignored, so every "
                            "seed of the study sees the same augmented images. Fix: pass the seed argument to every "
                            "random step.")
    passed(f"augment: {n} copies, same shape, inside [-1, 1]; shifted a little, turned a little, noisy; no flips; "
           "the same seed gives the same copies.")


# -- Exercise 4: four studies, read seed by seed -------------------------------------------------

# Four made-up studies (test accuracy, 5 seeds): real only and one other arm, trained with the same
# seeds. A and D have almost the same mean lead and spread; only their seeds tell them apart.
STUDIES = {
    "A": {"real": [0.941, 0.953, 0.936, 0.949, 0.932], "arm": [0.939, 0.954, 0.966, 0.948, 0.932]},
    "B": {"real": [0.948, 0.935, 0.957, 0.941, 0.950], "arm": [0.944, 0.930, 0.954, 0.935, 0.946]},
    "C": {"real": [0.944, 0.939, 0.951, 0.930, 0.946], "arm": [0.953, 0.931, 0.957, 0.920, 0.950]},
    "D": {"real": [0.937, 0.950, 0.944, 0.929, 0.955], "arm": [0.942, 0.956, 0.948, 0.936, 0.960]},
}
STUDY_DIAGNOSES = ("consistent gain", "one lucky seed", "tie", "consistent loss")
STUDY_SIGNS = {
    "consistent gain": "every seed's arm scores above the same seed's real only, by about the same amount: all "
                       "five lines rise, even where the two arms' mean ± SD bars overlap",
    "one lucky seed": "four seeds show almost no difference and one seed a large gain: the mean lead rests on "
                      "that one seed, and the standard error of the differences is nearly as large as their mean",
    "tie": "the lines go both ways, some seeds up and some down, and the differences average out near zero",
    "consistent loss": "every seed's arm scores below the same seed's real only, by about the same amount: all "
                       "five lines fall, even where the two arms' mean ± SD bars overlap",
}


def show_studies(studies=None):
    """Print each study's mean ± SD and draw its seeds: one line per seed, from real only to the other arm."""
    import matplotlib.pyplot as plt

    studies = studies or STUDIES
    print(f"{'run':6s} {'real only':>15s} {'other arm':>15s} {'mean lead':>10s}")
    for name, study in studies.items():
        real, arm = 100 * np.asarray(study["real"]), 100 * np.asarray(study["arm"])
        print(f"{name:6s} {real.mean():8.2f} ± {real.std(ddof=1):4.2f} {arm.mean():8.2f} ± {arm.std(ddof=1):4.2f} "
              f"{arm.mean() - real.mean():+9.2f}")
    fig, axes = plt.subplots(1, len(studies), figsize=(2.6 * len(studies), 3), sharey=True)
    for ax, (name, study) in zip(np.atleast_1d(axes), studies.items()):
        for seed, (r, a) in enumerate(zip(study["real"], study["arm"])):
            ax.plot([0, 1], [100 * r, 100 * a], marker="o", label=f"seed {seed}")
        ax.set_xticks([0, 1])
        ax.set_xticklabels(["real only", "other arm"])
        ax.set_xlim(-0.3, 1.3)
        ax.set_title(f"Run {name}")
    np.atleast_1d(axes)[0].set_ylabel("test accuracy (%)")
    np.atleast_1d(axes)[-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def check_study_names(diagnosis) -> None:
    """Exercise 4: ``diagnosis``: {"A": ..., "B": ..., "C": ..., "D": ...}, each one of STUDY_DIAGNOSES, each used once.

    The visible check checks the form and says what each chosen name predicts; the graded test checks the names.
    """
    check_run_names(diagnosis, STUDY_DIAGNOSES, STUDY_SIGNS, look_at="lines, seed by seed")


def grade_study_names(diagnosis, answer: dict) -> None:
    """The graded comparison: name each misread study, and what its seeds would have shown."""
    grade_run_names(diagnosis, answer, STUDY_DIAGNOSES, STUDY_SIGNS, look_at="lines, seed by seed",
                    look_again="lines, seed by seed, not the mean ± SD")
