"""Visible checks for notebook 05, the capstone: the label conditioning, mixing, and classic augmentation.

Each check tries the learner's function on small made-up inputs (no training), recognises
the mistakes learners really make and raises :class:`gankit.checks.ExerciseError` with a
message that names the mistake and ends in "Fix: ...". On success it prints one line. The
hidden tests call the same checks with other sizes, seeds and ratios.
"""

from __future__ import annotations

import numpy as np

from gankit.checks import ExerciseError, call_answer, passed, shape_text, to_numpy


def _call(fn, name: str, *args, **kwargs):
    return call_answer(fn, name, *args, **kwargs,
                       fix="follow the exercise's steps, and try your function on the example in the cell above.")




# -- Exercise 1: the label joined to the noise ---------------------------------------------------

def check_join_label(join_label, batch: int = 4, latent_dim: int = 6, num_classes: int = 10, seed: int = 0) -> None:
    """Exercise 1: ``join_label(noise, labels, num_classes)`` = ``[noise, one_hot(labels)]`` on the last axis."""
    from keras import ops

    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(batch, latent_dim)).astype("float32")
    labels = (np.arange(batch) * 3 + seed) % num_classes
    labels[0] = num_classes - 1  # the last class, which a depth of one too few cannot hold
    got = to_numpy(_call(join_label, "join_label", ops.convert_to_tensor(noise),
                         ops.convert_to_tensor(labels.astype("int32")), num_classes)).astype("float64")
    one_hot = np.eye(num_classes)[labels]
    want = np.concatenate([noise, one_hot], axis=-1)
    if got.shape == (batch, latent_dim + 1):
        raise ExerciseError(f"join_label returns shape {shape_text(got.shape)}: the label is joined as ONE number, "
                            f"the integer class. The generator would read class 8 as 'eight times class 1', as "
                            f"if the classes lay on a scale. Fix: join ops.one_hot(labels, num_classes), "
                            f"{num_classes} numbers per label, one of them 1.")
    if got.shape == noise.shape:
        raise ExerciseError(f"join_label returns shape {shape_text(got.shape)}, the noise's own: the label was added "
                            f"to the noise (or left out) instead of joined beside it. Fix: "
                            f"ops.concatenate([noise, ops.one_hot(labels, num_classes)], axis=-1).")
    if got.shape[0] == batch and got.shape[-1] - latent_dim != num_classes and got.ndim == 2:
        raise ExerciseError(f"join_label returns shape {shape_text(got.shape)}, expected "
                            f"{shape_text(want.shape)}: the one-hot part has {got.shape[-1] - latent_dim} entries "
                            f"where num_classes={num_classes} was asked. Fix: use the num_classes argument, "
                            f"not a fixed number.")
    if got.shape != want.shape:
        raise ExerciseError(f"join_label returns shape {shape_text(got.shape)}, expected {shape_text(want.shape)}. "
                            "Fix: join on the last axis, axis=-1, one row per noise vector.")
    if np.allclose(got, np.concatenate([one_hot, noise], axis=-1), atol=1e-5):
        raise ExerciseError("join_label puts the one-hot label first and the noise after it; the generator of "
                            "gankit.conditional reads the noise first. Fix: ops.concatenate([noise, one_hot], axis=-1).")
    if not np.allclose(got[:, :latent_dim], noise, atol=1e-5):
        raise ExerciseError("the first latent_dim columns of join_label's result are not the noise unchanged. "
                            "Fix: keep the noise as it is and join the one-hot label after it.")
    if not np.allclose(got[:, latent_dim:], one_hot, atol=1e-5):
        raise ExerciseError(f"the label part of join_label's result is not the one-hot code of the labels "
                            f"(for label {labels[0]} it holds {np.round(got[0, latent_dim:], 3).tolist()}). "
                            f"Fix: ops.one_hot(labels, num_classes).")
    passed(f"join_label: noise ({latent_dim}) + one-hot label ({num_classes}) = {latent_dim + num_classes} numbers per row.")


# -- Exercise 2: mixing real and generated images ------------------------------------------------

def _coded(labels, sign: float, start: int) -> np.ndarray:
    """Images that carry their own label (in pixel 0) and identity (pixel 1): real ones positive, fakes negative."""
    n = len(labels)
    images = np.zeros((n, 28, 28, 1), "float32")
    images[:, 0, 0, 0] = sign * (np.asarray(labels) + 1) / 20.0
    images[:, 0, 1, 0] = (start + np.arange(n)) / 1000.0
    return images


def check_mix(mix, n_real: int = 10, pool: int = 40, ratios=(2, 0.5), seed: int = 0) -> None:
    """Exercise 2: ``mix(...)`` keeps every real image, adds ``round(ratio * n_real)`` fakes, each with its label."""
    rng = np.random.default_rng(seed)
    real_labels = rng.integers(0, 10, n_real).astype("int32")
    fake_labels = rng.integers(0, 10, pool).astype("int32")
    real, fake = _coded(real_labels, 1.0, 0), _coded(fake_labels, -1.0, 500)
    for ratio in ratios:
        out = _call(mix, "mix", real, real_labels, fake, fake_labels, ratio, seed)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ExerciseError("mix must return a pair (images, labels). Fix: return images, labels.")
        images, labels = to_numpy(out[0]), to_numpy(out[1]).reshape(-1)
        if len(images) != len(labels):
            raise ExerciseError(f"mix returns {len(images)} images but {len(labels)} labels. Fix: join the labels "
                                "exactly as you join the images.")
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
            elif got == int(round(ratio * len(fake))):
                said = f"it added {got}, ratio x the size of the pool, not of the real set"
            else:
                said = f"it added {got}"
            raise ExerciseError(f"with {n_real} real images and ratio {ratio:g}, mix should add "
                                f"round({ratio:g} * {n_real}) = {want} generated images, but {said}. Fix: the ratio "
                                f"counts generated images per real image: multiply the number of real images by it "
                                f"and round to a whole number.")
        true = np.rint(np.abs(code) * 20.0 - 1.0).astype(int)
        wrong = int((true != labels).sum())
        if wrong:
            side = "generated" if (true != labels)[is_fake].any() else "real"
            raise ExerciseError(f"{wrong} of the {len(labels)} images carry another image's label (among the {side} "
                                "ones): the images were shuffled or picked apart from their labels. A classifier "
                                "trained on them learns wrong answers. Fix: pick ONE index array and apply it to both, "
                                "fake_images[picked] and fake_labels[picked].")
        ids = images[is_fake, 0, 1, 0]
        if len(np.unique(np.round(ids * 1000))) < got:
            raise ExerciseError("mix adds the same generated image more than once. Fix: pick without replacement, "
                                "rng.choice(len(fake_images), count, replace=False).")
    passed(f"mix: all {n_real} real images kept; ratio x {n_real} generated images added, each with its own label.")


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


def check_augment(augment, n: int = 24, seed: int = 0) -> None:
    """Exercise 3: ``augment(images, seed)``: same shape, in [-1, 1], changed a little, never flipped or turned far."""
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
        raise ExerciseError("augment returns the images unchanged. Fix: shift, rotate and add a little noise, with "
                            "training=True when you call Keras's random layers (they do nothing otherwise).")
    templates, names = _templates(letter_f())
    matches = [names[i] for i in _best_match(out[..., 0], templates)]
    flipped = sum(f for f, _ in matches)
    if flipped > max(1, n // 12):
        raise ExerciseError(f"{flipped} of {n} augmented copies of a letter F look like a MIRRORED F: augment flips "
                            "images. A mirrored 2, 3 or 7 is no digit at all, so the classifier learns from junk. "
                            "Fix: leave out RandomFlip; for digits use only small shifts, small rotations and noise.")
    far = [d for f, d in matches if abs(d) >= 60]
    if len(far) > max(1, n // 12):
        raise ExerciseError(f"{len(far)} of {n} augmented copies of a letter F are turned by 60 degrees or more "
                            f"(e.g. {far[0]}): the rotations are far too large. Turned upside down a 6 becomes a 9. "
                            "Fix: rotate by a few degrees at most, e.g. RandomRotation(10 / 360), whose factor is a "
                            "fraction of a full turn.")
    passed(f"augment: {n} copies, same shape, inside [-1, 1], changed a little; no flips, no large rotations.")
