"""Visible checks for notebook 04, pix2pix: split a pair, the U-Net's skips, the conditional input, the two
losses, and the diagnosis of a recorded table.

Each check takes the learner's function, tries it on small inputs, recognises the mistakes
learners really make (halves swapped, a skip joined in the other order or to the wrong
level, the discriminator shown the photo alone or a pair stacked on the batch axis, labels
swapped, L1 measured against the input, the L1 weight put on the GAN term) and raises
:class:`gankit.checks.ExerciseError` with a message that names the mistake and ends in
"Fix: ...". On success it prints one line. The notebook's hidden tests call the same checks
with other sizes, batches, channels and weights, so that an answer written for the visible
inputs alone does not pass. The learner's input and losses train the notebook's pix2pix
(``gankit.pix2pix.Pix2Pix(conditional_input=..., discriminator_loss=..., generator_loss=...)``),
so the checks also run them inside a compiled step, as the training does.

The package holds every answer too (:func:`gankit.images.read_pair`,
:func:`gankit.blocks.unet_generator`, :func:`gankit.pix2pix.conditional_input`,
:func:`gankit.pix2pix.discriminator_loss`, :func:`gankit.pix2pix.generator_loss`); the checks
compare with plain NumPy instead.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from gankit.checks import (ExerciseError, call_answer, check_run_names, error_text, grade_run_names, passed, shipped_file,
                           shape_text, softplus, to_numpy)

ROWS_FILE = pathlib.Path(__file__).with_name("pix2pix_rows.json")
DIAGNOSES = ("edge map", "mean photo", "l1 alone", "pix2pix")
MEASURES = ("l1", "psnr", "ssim", "sharpness")


def _in_compiled_step(function, name: str, arrays, **kwargs):
    """``function(*arrays)`` run inside a compiled function, as the training step runs it; its result as NumPy."""
    from gankit import steps

    compiled = steps.compile_step(lambda *xs: function(*xs, **kwargs), [])
    try:
        result = compiled(*[np.asarray(a, "float32") for a in arrays])
    except ExerciseError:
        raise
    except Exception as error:
        raise ExerciseError(f"{name} works on arrays, but not inside the compiled training step, which runs it on "
                            f"symbolic tensors ({error_text(error, 160)}). Your function trains the model below, "
                            "so it must be built from keras.ops only: no NumPy, no float() or .numpy() on a tensor. "
                            "Fix: write every step with keras.ops.") from None
    return [to_numpy(r) for r in result] if isinstance(result, (tuple, list)) else to_numpy(result)


# -- Exercise 1: split a pair -------------------------------------------------------------------

def example_pair(height: int = 8, channels: int = 3, seed: int = 0, half_width: int | None = None,
                 dtype: str = "uint8") -> np.ndarray:
    """A small pair file ``(height, 2 * half_width, channels)``: an edge map on the left, a "photo" on the right.

    The left half is white with a few black lines, as edges2shoes draws its edges; the right
    half is a smooth colour ramp with noise, nothing like an edge map. ``half_width`` defaults
    to ``height`` (square halves, as in edges2shoes); a float ``dtype`` gives values in [-1, 1].
    """
    rng = np.random.default_rng(seed)
    half_width = height if half_width is None else half_width
    edge = np.full((height, half_width, channels), 255, np.uint8)
    edge[height // 2, :] = 0
    edge[:, half_width // 3] = 0
    ramp = np.linspace(40, 200, height)[:, None, None] + np.linspace(0, 40, channels)[None, None, :]
    photo = np.clip(ramp + rng.integers(0, 15, (height, half_width, channels)), 0, 255).astype(np.uint8)
    pair = np.concatenate([edge, photo], axis=1)
    return pair if dtype == "uint8" else (pair / 127.5 - 1.0).astype(dtype)


def check_split_pair(split_pair, height: int = 8, channels: int = 3, half_width: int | None = None,
                     dtype: str = "uint8") -> None:
    """Exercise 1: ``split_pair(pair)`` returns ``(edge, photo)``: the left half and the right half, unchanged."""
    fix = "cut the width in two halves, taking the half width from the array's width, the left one first."
    cases = [(height, half_width or height), (2 * height + 2, 2 * (half_width or height) + 2)]
    for h, w in cases:
        pair = example_pair(h, channels, seed=h, half_width=w, dtype=dtype)
        left, right = pair[:, :w], pair[:, w:]
        result = call_answer(split_pair, "split_pair", pair.copy(), fix=fix)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ExerciseError(f"split_pair returned a {type(result).__name__}; it must return two images, "
                                "(edge, photo). Fix: return the edge map, then the photo.")
        edge, photo = (np.asarray(to_numpy(r)) for r in result)
        if edge.shape != left.shape or photo.shape != right.shape:
            if edge.shape == (h // 2, 2 * w, channels) or photo.shape[:2] == (h - h // 2, 2 * w):
                raise ExerciseError(f"for a pair of shape {pair.shape} (height, width, channels), split_pair "
                                    f"returned shapes {edge.shape} and {photo.shape}: it cut the image top from "
                                    "bottom. The two pictures sit side by side. Fix: split the width (axis 1), "
                                    "not the height.")
            if w != h and edge.shape == (h, h, channels):
                raise ExerciseError(f"for a pair of shape {pair.shape} (height, width, channels), split_pair "
                                    f"returned shapes {edge.shape} and {photo.shape}: each half is as wide as the "
                                    f"file is high. That holds for edges2shoes's 256x512 files, but a half is half "
                                    f"the WIDTH, here {w} pixels, whatever the height. Fix: " + fix)
            raise ExerciseError(f"for a pair of shape {pair.shape} (height, width, channels), split_pair returned "
                                f"shapes {edge.shape} and {photo.shape}, expected {left.shape} twice. If you wrote "
                                "a fixed size such as 256, it only fits one size of file. Fix: " + fix)
        if np.array_equal(edge, right) and np.array_equal(photo, left):
            raise ExerciseError("split_pair returned the halves swapped: its 'edge' is the photo (the right half) "
                                "and its 'photo' is the edge map. In edges2shoes the edge map (the input, A) is "
                                "on the LEFT and the photo (the target, B) on the right; swapped, pix2pix would "
                                "learn to turn photos into edge maps. Fix: return the left half first, then the "
                                "right half.")
        if edge.dtype != pair.dtype or photo.dtype != pair.dtype:
            raise ExerciseError(f"split_pair changed the pixels' type from {pair.dtype} to {edge.dtype} / "
                                f"{photo.dtype}. The halves must be the file's pixels unchanged: a picture of "
                                "0-255 values stored as floats shows as white in matplotlib, and the loader "
                                "scales the values later, once. Fix: return the two halves as they are, without "
                                "converting or scaling them.")
        if not (np.array_equal(edge, left) and np.array_equal(photo, right)):
            raise ExerciseError("split_pair returned images of the right shapes but not the two halves of the "
                                "pair, pixel for pixel (were they scaled, flipped or resized?). Fix: return the "
                                "two halves unchanged.")
    passed(f"split_pair: a {pair.shape[0]}x{pair.shape[1]} file gives the edge map (left) and the photo (right), "
           "unchanged.")


# -- Exercise 2: the U-Net's skip connections ---------------------------------------------------

def unet_parts(image_size: int = 32, levels: int = 3, width: int = 4, channels: int = 3):
    """The layers of a small U-Net, built, without their wiring: ``(down, up, out)``.

    ``down`` lists the encoder's steps ``down1 ... down<levels>`` (each halves the image;
    the last one's output is the bottleneck), ``up`` the decoder's steps in the order they
    run, ``up<levels-1> ... up1`` (each doubles the image and is followed by the join with
    its skip), and ``out`` the last step (doubles to full size, ``tanh``). The layers are
    those of :func:`gankit.blocks.unet_generator` (without dropout): wired skip first at
    every level, they compute what that U-Net computes.
    """
    import keras
    from keras import layers

    from gankit.blocks import InstanceNormalization

    if image_size % 2 ** levels:
        raise ValueError(f"image_size {image_size} is not divisible by 2**{levels}. Fix: use a multiple of "
                         f"{2 ** levels}.")
    filters = [width * min(2 ** i, 8) for i in range(levels)]
    size, incoming, down = image_size, channels, []
    for i, f in enumerate(filters, start=1):
        steps = [keras.Input((size, size, incoming))]
        if i > 1:
            steps.append(layers.LeakyReLU(0.2))
        steps.append(layers.Conv2D(f, 4, strides=2, padding="same"))
        if 1 < i < levels:
            steps.append(InstanceNormalization())
        down.append(keras.Sequential(steps, name=f"down{i}"))
        size, incoming = size // 2, f
    up = []
    for i in range(levels - 1, 0, -1):
        up.append(keras.Sequential([keras.Input((size, size, incoming)), layers.ReLU(),
                                    layers.Conv2DTranspose(filters[i - 1], 4, strides=2, padding="same"),
                                    InstanceNormalization()], name=f"up{i}"))
        size, incoming = size * 2, 2 * filters[i - 1]  # the join doubles the channels: skip + decoder output
    out = keras.Sequential([keras.Input((size, size, incoming)), layers.ReLU(),
                            layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh")],
                           name="out")
    return down, up, out


def wire_unet(images, down, up, out, skip_first: bool = True):
    """The U-Net's wiring (the exercise's answer, for the checks): skip i joined to up i's output, on channels."""
    from keras import ops

    x, skips = images, []
    for step in down:
        x = step(x)
        skips.append(x)
    for step, skip in zip(up, reversed(skips[:-1])):
        x = step(x)
        x = ops.concatenate([skip, x] if skip_first else [x, skip], axis=-1)
    return out(x)


class _Logged:
    """A step that records what it received and made, so that a failure can be traced to a join."""

    def __init__(self, model, log):
        self.model, self.log, self.name = model, log, model.name

    def __call__(self, x, *args, **kwargs):
        shape = tuple(x.shape)
        self.log.append((self.name, shape, None))
        y = self.model(x, training=False)
        self.log[-1] = (self.name, shape, tuple(y.shape))
        return y


def _size(shape) -> str:
    return f"{shape[1]}x{shape[2]}x{shape[3]}"


def check_unet(unet, image_size: int = 32, levels: int = 3, width: int = 4, batch: int = 2, channels: int = 3) -> None:
    """Exercise 2: ``unet(images, down, up, out)`` joins each decoder step with the skip of its own level, skip first."""
    import keras

    down, up, out = unet_parts(image_size, levels, width, channels)
    images = keras.random.uniform((batch, image_size, image_size, channels), minval=-1.0, maxval=1.0, seed=7)
    skip_shapes = {}
    x = images
    for step in down:
        x = step(x, training=False)
        skip_shapes[step.name] = tuple(x.shape)
    rule = (f"Each decoder step's output joins the encoder output of the SAME size: "
            + ", ".join(f"up{i} with down{i} ({_size(skip_shapes[f'down{i}'])})" for i in range(levels - 1, 0, -1))
            + f"; the bottleneck (down{levels}) joins nothing. Fix: after each decoder step, join its output with "
            "the encoder output of its size, skip first, taking the skips from the deepest up.")
    log: list = []
    try:
        got = unet(images, [_Logged(s, log) for s in down], [_Logged(s, log) for s in up], _Logged(out, log))
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        done = [entry for entry in log if entry[2] is not None]
        failed = [entry for entry in log if entry[2] is None]
        if failed:
            name, shape, _ = failed[-1]
            want = next(m.input_shape for m in [*down, *up, out] if m.name == name)
            where = (f"{name} received a tensor of shape {_size(shape)}, but it takes {_size(want)}")
            if shape[0] == 2 * batch:
                raise ExerciseError(f"the U-Net fails: {where}, and a batch of {shape[0]} images where the input "
                                    f"had {batch}. A skip was joined on the batch axis (axis 0, where a join goes "
                                    "when no axis is given), so the images were stacked as extra examples. The "
                                    "join belongs on the channel axis, the last one. " + rule) from None
            if tuple(shape[1:3]) != tuple(want[1:3]) and shape[3] == want[3] // 2:
                raise ExerciseError(f"the U-Net fails: {where}. A skip was joined on the height or width axis, so "
                                    "the two pictures were put side by side instead of stacked on channels. The "
                                    "join belongs on the channel axis, the last one. " + rule) from None
            raise ExerciseError(f"the U-Net fails: {where}. A skip was joined at the wrong level, or a step got "
                                f"its input before (or without) its join. {rule}") from None
        if done and done[-1][0].startswith("up"):
            name, _, made = done[-1]
            level = name[2:]
            raise ExerciseError(f"the U-Net fails right after {name}, which makes {_size(made)}: the tensor joined to "
                                f"it has another height and width. That skip belongs "
                                f"to another level: {name} must be joined with down{level}'s output "
                                f"({_size(skip_shapes['down' + level])}). {rule}") from None
        raise ExerciseError(f"unet raised {type(error).__name__}: {error_text(error)}. {rule}") from None
    got = to_numpy(got)
    if got.shape != (batch, image_size, image_size, channels):
        raise ExerciseError(f"unet returned shape {shape_text(got.shape)} for images of shape "
                            f"{shape_text((batch, image_size, image_size, channels))}: the output must have the "
                            f"input's size and {channels} channels (only the decoder steps are joined with skips, "
                            f"not the output). Fix: return what the last step, out, makes.")
    calls = [entry[0] for entry in log]
    right = to_numpy(wire_unet(images, down, up, out))
    if np.allclose(got, right, atol=1e-5):
        symbolic = keras.Input((image_size, image_size, channels))
        try:
            unet(symbolic, down, up, out)
        except Exception as error:
            raise ExerciseError(f"unet works on arrays but not on keras.Input ({error_text(error, 160)}), so it "
                                "cannot build a model. Fix: join with keras.ops (or a Keras layer), not "
                                "NumPy.") from None
        passed(f"unet: {levels} levels at {image_size}x{image_size}, every skip joined to its own level, skip "
               "first; the same numbers as the package's U-Net.")
        return
    if np.allclose(got, to_numpy(wire_unet(images, down, up, out, skip_first=False)), atol=1e-5):
        raise ExerciseError("the skips are joined in the other order than the course's convention: your code "
                            "puts the decoder's output first and the skip second. That is not a bug in itself: the "
                            "shapes match either way, and a U-Net wired like yours trains as well, its next layer "
                            "simply learns the other layout. But the convention (the paper's code, and "
                            "gankit.blocks.unet_generator, whose weights are laid out for it) is skip first, so "
                            "with the same weights your U-Net computes something else. Fix: put the skip first.")
    if calls != [s.name for s in down] + [s.name for s in up] + [out.name]:
        raise ExerciseError(f"the steps ran in the order {', '.join(calls)}; a U-Net runs every encoder step "
                            f"once, then every decoder step once in the order of the list up, then out. {rule}")
    raise ExerciseError(f"unet makes images of the right shape, but not the numbers of a U-Net wired with these "
                        f"layers (largest difference {np.abs(got - right).max():.3g}). Use the steps you are given "
                        f"and no others. {rule}")


# -- Exercise 3: what the discriminator sees ----------------------------------------------------

def check_discriminator_input(discriminator_input, batch: int = 2, size: int = 4, in_channels: int = 3,
                              out_channels: int = 3, width: int | None = None) -> None:
    """Exercise 3: ``discriminator_input(edges, photos)`` joins them on channels, edges first.

    ``size`` is the height, ``width`` (default: ``size``) the width of both pictures.
    """
    from keras import ops

    width = size if width is None else width
    rng = np.random.default_rng(size + in_channels)
    edges = rng.uniform(-1, 1, (batch, size, width, in_channels)).astype("float32")
    photos = rng.uniform(-1, 1, (batch, size, width, out_channels)).astype("float32")
    fix = "join them on the last (channel) axis: the edge map's channels, then the photo's."
    try:
        got = to_numpy(discriminator_input(ops.convert_to_tensor(edges), ops.convert_to_tensor(photos)))
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        raise ExerciseError(f"discriminator_input raised {type(error).__name__} for edges of shape "
                            f"{shape_text(edges.shape)} and photos of shape {shape_text(photos.shape)} "
                            f"({error_text(error, 160)}). Joining on any axis but the last fails when the two "
                            f"have different numbers of channels. Fix: {fix}") from None
    right = np.concatenate([edges, photos], axis=-1)
    if got.shape == right.shape and np.allclose(got, right):
        compiled = _in_compiled_step(discriminator_input, "discriminator_input", [edges, photos])
        if not np.allclose(compiled, right):
            raise ExerciseError("discriminator_input gives other numbers inside the compiled training step than "
                                "outside it. Fix: write it with keras.ops only, with no state of its own.")
        passed(f"discriminator_input: {shape_text(edges.shape)} edges + {shape_text(photos.shape)} photos -> "
               f"{shape_text(got.shape)}, the edge map's channels first.")
        return
    if got.shape == photos.shape and np.allclose(got, photos):
        raise ExerciseError("discriminator_input returns the photo alone: the discriminator never sees the edge "
                            "map, so it can only ask 'is this a shoe?', not 'is this the shoe FOR THESE EDGES?', "
                            "and the generator may draw any shoe. That is an unconditional GAN. Fix: " + fix)
    if got.shape == edges.shape and np.allclose(got, edges):
        raise ExerciseError("discriminator_input returns the edge map alone: the discriminator never sees the "
                            "photo it should judge. Fix: " + fix)
    if got.shape[0] == 2 * batch and got.shape[1:] in (photos.shape[1:], edges.shape[1:]):
        raise ExerciseError(f"discriminator_input returns shape {shape_text(got.shape)}: the edge maps and photos "
                            f"are stacked on the batch axis (axis 0), so the discriminator judges {2 * batch} "
                            "separate images, and never an edge map and a photo together. Fix: " + fix)
    if got.shape == right.shape and np.allclose(got, np.concatenate([photos, edges], axis=-1)):
        raise ExerciseError("discriminator_input puts the photo's channels first and the edge map's second. That "
                            "order is a convention, not a bug: a discriminator that only ever sees your layout "
                            "learns it. But the course's convention, the paper's code's and the package's, is the "
                            "edge map's channels first, and a discriminator trained on one layout reads the other "
                            "one's pictures as the wrong ones. Fix: " + fix)
    if got.shape == right.shape and in_channels == out_channels and np.allclose(
            got, np.stack([edges, photos], axis=-1).reshape(right.shape)):
        raise ExerciseError("discriminator_input interleaves the channels (edge channel 1, photo channel 1, edge "
                            "channel 2, ...): the pictures were stacked on a new axis, then reshaped. Each picture's "
                            "channels must stay together, the edge map's block first. Fix: " + fix)
    if got.shape != right.shape:
        raise ExerciseError(f"discriminator_input returns shape {shape_text(got.shape)}, expected "
                            f"{shape_text(right.shape)}: the same height and width, and the channels of both "
                            f"pictures side by side. Fix: " + fix)
    raise ExerciseError("discriminator_input returns the right shape but not the two pictures unchanged, side "
                        "by side on channels. Fix: " + fix)


# -- Exercise 4: the discriminator's loss ---------------------------------------------------------

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, "float64")))


def _probability_bce(p, label: float):
    """Keras's cross-entropy of a PROBABILITY p against a label (p clipped to [1e-7, 1 - 1e-7] in float32), per entry."""
    eps, one = np.float32(1e-7), np.float32(1.0)
    p = np.clip(np.asarray(p, "float32"), eps, one - eps)
    return -(label * np.log(p) + (1 - label) * np.log(one - p)).astype("float64")


def _one_number(value, name: str, fix: str) -> float:
    if isinstance(value, (tuple, list)):
        raise ExerciseError(f"{name} returned a {type(value).__name__} of {len(value)} values; it must return one "
                            f"number. Fix: {fix}")
    array = to_numpy(value)
    if array.size != 1:
        raise ExerciseError(f"{name} returned shape {shape_text(array.shape)}; it must return one number, averaged "
                            f"over the batch and every patch. Fix: {fix}")
    return float(array.reshape(()))


def check_discriminator_loss(discriminator_loss, batch: int = 2, patches=(3, 3), scale: float = 1.5,
                             seed: int = 0) -> None:
    """Exercise 4: ``discriminator_loss(real_scores, fake_scores)`` = half the sum of BCE(real, 1) and BCE(fake, 0)."""
    from keras import ops

    rng = np.random.default_rng(seed)
    real, fake = (rng.normal(0.0, scale, (batch, *patches, 1)) for _ in range(2))
    fix = ("average the cross-entropy of the real pairs' logits against the label 1 (real) and that of the "
           "generated pairs' logits against 0 (fake), each over its batch and patches, then halve their sum.")
    value = call_answer(discriminator_loss, "discriminator_loss",
                        *[ops.convert_to_tensor(a.astype("float32")) for a in (real, fake)], fix=fix)
    got = _one_number(value, "discriminator_loss", fix)
    sp_real, sp_fake = softplus(-real), softplus(fake)  # BCE of a logit against 1, of a logit against 0
    right = 0.5 * (sp_real.mean() + sp_fake.mean())
    if not np.isclose(got, right, rtol=1e-4, atol=1e-5):
        half = "half the sum"
        mistakes = [
            (0.5 * (softplus(real).mean() + softplus(-fake).mean()),
             "the labels are swapped: real pairs are scored against 0 and generated ones against 1, so the "
             "discriminator learns to call the real photos fake. Fix: the label 1 goes with the real pairs."),
            (sp_real.mean() + sp_fake.mean(),
             "the sum of the two terms is not halved. Under Adam the steps would be the same, so this is the "
             "course's convention rather than a bug: halved, a discriminator that cannot tell (every logit 0) "
             "reports log 2, about 0.69, the line the plots read d_loss against, as in notebook 00. "
             f"Fix: return {half} of the two means."),
            (0.5 * (sp_real.mean() + softplus(-fake).mean()),
             "the generated pairs are scored against the label 1, 'real', as in the generator's loss. The "
             "discriminator must call them fake. Fix: the label for the generated pairs is 0."),
            (0.5 * ((0.9 * sp_real + 0.1 * softplus(real)).mean() + sp_fake.mean()),
             "the real label is 0.9 (one-sided label smoothing, notebook 01's recipe). pix2pix uses the labels 1 "
             "and 0. Fix: the label for the real pairs is 1."),
            (0.5 * (softplus(-_sigmoid(real)).mean() + softplus(_sigmoid(fake)).mean()),
             "the scores went through a sigmoid before a cross-entropy that expects logits: they are squeezed into "
             "(0, 1), so the loss can never fall much below 0.5. The discriminator's scores are logits already. "
             "Fix: give the logits to the cross-entropy and tell it they are logits."),
            (0.5 * (_probability_bce(real, 1.0).mean() + _probability_bce(fake, 0.0).mean()),
             "the cross-entropy read the scores as probabilities, but they are logits (any real number): "
             "negative ones are clipped to almost 0. Fix: tell the cross-entropy it receives logits."),
            (0.5 * (sp_real.sum() + sp_fake.sum()),
             "the two terms are sums over all patches, not means, so the loss grows with the image size and the "
             "batch. Fix: average each term."),
            (0.5 * sp_real.mean(), "only the real pairs count: the generated pairs' term is missing. Fix: " + fix),
            (0.5 * sp_fake.mean(), "only the generated pairs count: the real pairs' term is missing. Fix: " + fix),
        ]
        for value, said in mistakes:
            if np.isclose(got, value, rtol=1e-4, atol=1e-5):
                raise ExerciseError(f"discriminator_loss is {got:.4f}, expected {right:.4f}: {said}")
        raise ExerciseError(f"discriminator_loss is {got:.4f}, expected {right:.4f} (real pairs' term "
                            f"{sp_real.mean():.4f}, generated pairs' term {sp_fake.mean():.4f}). Fix: {fix}")
    undecided = np.zeros((batch, *patches, 1), "float32")
    compiled = _one_number(_in_compiled_step(discriminator_loss, "discriminator_loss", [real, fake]),
                           "discriminator_loss", fix)
    if not np.isclose(compiled, right, rtol=1e-4, atol=1e-5):
        raise ExerciseError(f"discriminator_loss is {compiled:.4f} inside the compiled training step and {got:.4f} "
                            "outside it. Fix: write it with keras.ops only.")
    at_zero = _one_number(call_answer(discriminator_loss, "discriminator_loss", ops.convert_to_tensor(undecided),
                                      ops.convert_to_tensor(undecided), fix=fix), "discriminator_loss", fix)
    passed(f"discriminator_loss: {got:.4f} on {batch} pair{'s' if batch > 1 else ''} of {patches[0]}x{patches[1]} patch scores; "
           f"{at_zero:.4f} (log 2) for a discriminator that cannot tell.")


# -- Exercise 5: the generator's loss -----------------------------------------------------------

def check_generator_loss(generator_loss, l1_weight: float = 100.0, seed: int = 0, batch: int = 2,
                         size=(4, 4), channels: int = 3, patches=(3, 3)) -> None:
    """Exercise 5: ``generator_loss(fake_scores, fake, edges, photos, l1_weight=100.0)`` returns ``(total, gan, l1)``.

    The GAN term is BCE(1, scores) on logits, the L1 term the mean |fake - photos|, the total the first plus
    the weight times the second.
    """
    from keras import ops

    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, 1.5, (batch, *patches, 1))
    fake, edges, photos = (rng.uniform(-1, 1, (batch, *size, channels)) for _ in range(3))
    arrays = [a.astype("float32") for a in (scores, fake, edges, photos)]
    tensors = [ops.convert_to_tensor(a) for a in arrays]
    fix = ("return the total, the GAN term and the L1 term, in that order: the GAN term is the cross-entropy of the "
           "fake scores (logits) against 1, the L1 term the mean absolute difference between fake and photos, "
           "and the total is the GAN term plus l1_weight times the L1 term.")
    gan, l1 = softplus(-scores).mean(), np.abs(fake - photos).mean()
    shown = []
    for weight in (l1_weight, 10.0, None):  # None: the default weight, which must be the paper's 100
        kwargs = {} if weight is None else {"l1_weight": weight}
        weight = 100.0 if weight is None else weight
        value = call_answer(generator_loss, "generator_loss", *tensors, **kwargs,
                            fix="write it with keras.ops (cross-entropy on logits, means, absolute values).")
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            what = f"a {type(value).__name__} of {len(value)} values" if isinstance(value, (tuple, list)) else \
                "one value"
            raise ExerciseError(f"generator_loss returned {what}; it must return three numbers, (total, gan, l1): "
                                "the training step minimises the total and the progress bar shows the two terms "
                                "apart. Fix: " + fix)
        got_total, got_gan, got_l1 = (_one_number(v, "each value generator_loss returns", fix) for v in value)
        right = gan + weight * l1
        close = lambda x, y: np.isclose(x, y, rtol=1e-4, atol=1e-5)  # noqa: E731
        if close(got_total, right) and close(got_gan, gan) and close(got_l1, l1):
            if not kwargs:
                shown.append(f"{got_total:.3f} with the default weight")
            else:
                shown.append(f"{got_total:.3f} (l1_weight={weight:g})")
            continue
        if not kwargs and close(got_gan, gan) and close(got_l1, l1):
            raise ExerciseError(f"called without l1_weight, generator_loss gives {got_total:.4f}, but the default "
                                f"weight is the paper's 100: {right:.4f}. Fix: keep the default l1_weight=100.0.")
        if close(got_total, right) and close(got_gan, l1) and close(got_l1, gan):
            raise ExerciseError("generator_loss returns its two terms swapped: the second value is the L1 term and "
                                "the third the GAN term, so the progress bar would show each under the other's "
                                "name. Fix: " + fix)
        if close(got_total, right) and close(got_gan, gan) and close(got_l1, weight * l1) and weight != 1:
            raise ExerciseError(f"generator_loss returns the WEIGHTED L1 term ({got_l1:.4f}) as its third value. "
                                "The third value is the L1 distance itself, the mean absolute difference in pixels, "
                                "which the progress bar and the plots read on the pixels' scale. Fix: " + fix)
        if close(got_total, right) and not (close(got_gan, gan) and close(got_l1, l1)):
            raise ExerciseError(f"generator_loss's total is right ({got_total:.4f}), but its terms are not: GAN term "
                                f"{got_gan:.4f} (expected {gan:.4f}), L1 term {got_l1:.4f} (expected {l1:.4f}). "
                                "Fix: " + fix)
        mistakes = [
            (gan + weight * np.abs(fake - edges).mean(),
             "the L1 term compares the generated photo with the INPUT (the edge map). The generator must match "
             "the real photo of the pair, the target; measured against the edges it learns to copy the edge map. "
             "Fix: measure the L1 distance to the true photos."),
            (weight * gan + l1,
             f"the weight {weight:g} multiplies the GAN term instead of the L1 term, so the discriminator's verdict "
             "outweighs the photo by far and the colours drift anywhere. Fix: " + fix),
            (gan + l1,
             "the L1 term has no weight: at weight 1 the GAN term dominates and the generator barely follows the "
             f"true photo. Fix: multiply the L1 term by l1_weight ({weight:g} here)."),
            (gan + 100.0 * l1,
             f"the L1 weight is fixed at 100, but generator_loss was called with l1_weight={weight:g}. "
             "Fix: use the argument l1_weight, not a number."),
            (weight * l1,
             "the loss has no GAN term: the discriminator's scores are not used, so this is the L1-only "
             "ablation, which blurs. Fix: " + fix),
            (gan,
             "the loss has no L1 term: the generator only has to fool the discriminator. Fix: " + fix),
            (softplus(scores).mean() + weight * l1,
             "the GAN term compares the fake scores with 0 ('fake'): the generator must push them towards 1 "
             "('real'). Fix: the label for the fake scores in the generator's loss is 1."),
            (softplus(-_sigmoid(scores)).mean() + weight * l1,
             "the scores went through a sigmoid before a cross-entropy that expects logits: squeezed into (0, 1), "
             "the GAN term can never fall below about 0.31 and its gradient fades. The discriminator's scores "
             "are logits already. Fix: give the logits to the cross-entropy and tell it they are logits."),
            (_probability_bce(scores, 1.0).mean() + weight * l1,
             "the cross-entropy read the scores as probabilities, but they are logits (any real number): "
             "negative ones are clipped to almost 0. Fix: tell the cross-entropy it receives logits."),
            (gan + weight * ((fake - photos) ** 2).mean(),
             "the distance to the photo is squared (L2): pix2pix uses L1, the mean absolute difference, whose "
             "answer under doubt is a median where L2's is a mean. Fix: take the absolute difference, not its "
             "square."),
            (gan + weight * np.abs(fake - photos).sum(),
             "the L1 term is a sum over all pixels, not a mean, so its size depends on the image size. "
             "Fix: average over the pixels."),
        ]
        for value, said in mistakes:
            if close(got_total, value):
                raise ExerciseError(f"generator_loss's total is {got_total:.4f}, expected {right:.4f} (GAN term "
                                    f"{gan:.4f} + {weight:g} x L1 {l1:.4f}): {said}")
        raise ExerciseError(f"generator_loss returns ({got_total:.4f}, {got_gan:.4f}, {got_l1:.4f}), expected "
                            f"({right:.4f}, {gan:.4f}, {l1:.4f}): GAN term {gan:.4f} + {weight:g} x L1 {l1:.4f}. "
                            f"Fix: {fix}")
    compiled = _in_compiled_step(generator_loss, "generator_loss", arrays, l1_weight=l1_weight)
    if not (isinstance(compiled, list) and len(compiled) == 3
            and np.allclose([float(np.reshape(c, ())) for c in compiled], [gan + l1_weight * l1, gan, l1],
                            rtol=1e-4, atol=1e-5)):
        raise ExerciseError("generator_loss gives other numbers inside the compiled training step than outside it. "
                            "Fix: write it with keras.ops only.")
    passed(f"generator_loss: {' and '.join(shown)}, the GAN term plus the weighted L1 distance to the photo, and the "
           "two terms apart.")


# -- Exercise 6: name the rows of a recorded table --------------------------------------------------

def load_rows(path=ROWS_FILE) -> dict:
    """The recorded table: ``{"rows": {"A": {"l1", "psnr", "ssim", "sharpness"}, ...}, "source": ..., ...}``."""
    path = shipped_file(path, "the recorded table ships")
    return json.loads(path.read_text())


def show_rows(recorded=None) -> None:
    """Print the recorded table's four rows, A to D, as section 8's table prints its rows."""
    recorded = recorded or load_rows()
    print(f"{recorded['val_pairs']} validation pairs at {recorded['image_size']}x{recorded['image_size']}, "
          f"{recorded['steps']} training steps (the recorded standard run, seed {recorded['seed']})\n")
    print(f"{'':4s} {'L1 (lower)':>11s} {'PSNR dB':>8s} {'SSIM':>6s} {'sharpness':>10s}")
    for name, row in sorted(recorded["rows"].items()):
        print(f"{name:4s} {row['l1']:11.3f} {row['psnr']:8.1f} {row['ssim']:6.3f} {row['sharpness']:10.2f}")


# What each name predicts about its row; they hold for the recorded table (tests/test_pix2pix.py checks it).
SIGNS = {
    "edge map": "the row is the farthest from the true photos on the distances (the highest L1, the lowest PSNR), "
                "since black lines on white paper share almost no colour with a shoe, yet it is not the blurriest: "
                "its lines are crisp",
    "mean photo": "the row is the blurriest of the four (the lowest sharpness: an average of many shoes keeps only "
                  "soft shapes) and has the lowest SSIM, while its L1 beats the edge map's, since an average shoe on "
                  "white is closer to a shoe than lines are",
    "l1 alone": "the row is one of the two closest to the true photos (low L1, high PSNR and SSIM) but clearly "
                "blurrier than the other of those two: a loss that asks only for closeness settles on a compromise "
                "between the shoes an edge map allows",
    "pix2pix": "the row is one of the two closest to the true photos, within a few hundredths of the other on L1 and "
               "SSIM and a fraction of a decibel on PSNR, and clearly the sharper of those two: the GAN term pushes "
               "back against the blur",
}


def check_diagnosis(diagnosis, rows=None) -> None:
    """``diagnosis``: {"A": ..., "B": ..., "C": ..., "D": ...}, each one of DIAGNOSES, each used once.

    The visible check only checks the form and says what each name predicts; the graded test checks the names.
    """
    check_run_names(diagnosis, DIAGNOSES, SIGNS, rows, look_at="row")


def grade_diagnosis(diagnosis, answer: dict) -> None:
    """The graded test's comparison: name each misread row, and what its signs would have been."""
    grade_run_names(diagnosis, answer, DIAGNOSES, SIGNS, look_at="row", look_again="rows, column by column")


# -- How the recorded table was made (instructors: python -m gankit.exercises.pix2pix) ----------

_KEYS = {"edge map": "edges", "mean photo": "mean_photo", "l1 alone": "l1only", "pix2pix": "gan"}


def save_rows(kept, order: dict, path=ROWS_FILE) -> pathlib.Path:
    """Write the four rows of a kept standard run (``docs/expected/04_pix2pix.json``, a metrics.json) under the
    names of ``order`` ({"A": name, ...}; the order shipped is in docs/notes_04.md, not here)."""
    kept = json.loads(pathlib.Path(kept).read_text())
    records = kept["records"]
    rows = {name: {m: records[f"{_KEYS[kind]}_{m}"] for m in MEASURES} for name, kind in sorted(order.items())}
    table = {"source": "docs/expected/04_pix2pix.json", "commit": kept.get("machine", {}).get("commit"),
             "seed": kept.get("parameters", {}).get("seed", 42), "image_size": records["image_size"],
             "steps": records["steps"], "val_pairs": records["val_pairs"], "rows": rows}
    pathlib.Path(path).write_text(json.dumps(table, indent=1) + "\n")
    return pathlib.Path(path)


if __name__ == "__main__":  # pass the order as names for A, B, C, D (spaces as underscores)
    import sys

    from gankit.expect import expected_path

    names = [" ".join(k.split("_")) for k in sys.argv[1:5]]
    if sorted(names) != sorted(DIAGNOSES):
        raise SystemExit(f"usage: python -m gankit.exercises.pix2pix NAME_A NAME_B NAME_C NAME_D, names from "
                         f"{[k.replace(' ', '_') for k in DIAGNOSES]}")
    print(save_rows(expected_path("04_pix2pix"), dict(zip("ABCD", names))))
