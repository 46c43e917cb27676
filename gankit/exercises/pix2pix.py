"""Visible checks for notebook 04, pix2pix: split a pair, the U-Net's skips, the conditional input, the L1 term.

Each check takes the learner's function, tries it on small inputs, recognises the mistakes
learners really make (halves swapped, a skip joined in the wrong order or to the wrong
level, the discriminator shown the photo alone or a pair stacked on the batch axis, L1
measured against the input, the L1 weight put on the GAN term) and raises
:class:`gankit.checks.ExerciseError` with a message that names the mistake and ends in
"Fix: ...". On success it prints one line. The notebook's hidden tests call the same checks
with other sizes, so that an answer written for the visible inputs alone does not pass.

The package holds every answer too (:func:`gankit.images.read_pair`,
:func:`gankit.blocks.unet_generator`, :func:`gankit.pix2pix.conditional_input`,
:func:`gankit.pix2pix.generator_loss`); the checks compare with plain NumPy instead.
"""

from __future__ import annotations

import numpy as np

from gankit.checks import ExerciseError, call_answer, error_text, passed, shape_text, softplus, to_numpy


# -- Exercise 1: split a pair -------------------------------------------------------------------

def example_pair(height: int = 8, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A small pair file as uint8 ``(height, 2 * height, channels)``: an edge map on the left, a "photo" on the right.

    The left half is white with a few black lines, as edges2shoes draws its edges; the right
    half is a smooth colour ramp with noise, nothing like an edge map.
    """
    rng = np.random.default_rng(seed)
    edge = np.full((height, height, channels), 255, np.uint8)
    edge[height // 2, :] = 0
    edge[:, height // 3] = 0
    ramp = np.linspace(40, 200, height)[:, None, None] + np.linspace(0, 40, channels)[None, None, :]
    photo = np.clip(ramp + rng.integers(0, 15, (height, height, channels)), 0, 255).astype(np.uint8)
    return np.concatenate([edge, photo], axis=1)


def check_split_pair(split_pair, height: int = 8, channels: int = 3) -> None:
    """Exercise 1: ``split_pair(pair)`` returns ``(edge, photo)``: the left half and the right half."""
    for h in (height, 2 * height + 2):
        pair = example_pair(h, channels, seed=h)
        half = pair.shape[1] // 2
        left, right = pair[:, :half], pair[:, half:]
        result = call_answer(split_pair, "split_pair", pair.copy(),
                       fix="slice the columns: pair[:, :width // 2] and pair[:, width // 2:].")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ExerciseError(f"split_pair returned a {type(result).__name__}; it must return two images, "
                                "(edge, photo). Fix: return edge, photo.")
        edge, photo = (np.asarray(to_numpy(r)) for r in result)
        if edge.shape != left.shape or photo.shape != right.shape:
            if edge.shape == (h // 2, 2 * h, channels) or photo.shape[:2] == (h - h // 2, 2 * h):
                raise ExerciseError(f"for a pair of shape {pair.shape} (height, width, channels), split_pair "
                                    f"returned shapes {edge.shape} and {photo.shape}: it cut the image top from "
                                    "bottom. The two pictures sit side by side. Fix: split the width (axis 1), "
                                    "pair[:, :width // 2] and pair[:, width // 2:].")
            raise ExerciseError(f"for a pair of shape {pair.shape} (height, width, channels), split_pair returned "
                                f"shapes {edge.shape} and {photo.shape}, expected {left.shape} twice. If you wrote "
                                "a fixed size such as 256, it only fits one size of file. Fix: take the half width "
                                "from the image, width = pair.shape[1], then pair[:, :width // 2] and "
                                "pair[:, width // 2:].")
        if np.array_equal(edge, right) and np.array_equal(photo, left):
            raise ExerciseError("split_pair returned the halves swapped: its 'edge' is the photo (the right half) "
                                "and its 'photo' is the edge map. In edges2shoes the edge map (the input, A) is "
                                "on the LEFT and the photo (the target, B) on the right; swapped, pix2pix would "
                                "learn to turn photos into edge maps. Fix: return pair[:, :width // 2] first, "
                                "then pair[:, width // 2:].")
        if not (np.array_equal(edge, left) and np.array_equal(photo, right)):
            raise ExerciseError("split_pair returned images of the right shapes but not the two halves of the "
                                "pair, pixel for pixel (were they scaled, flipped or resized?). Fix: return the "
                                "slices pair[:, :width // 2] and pair[:, width // 2:] unchanged.")
    passed(f"split_pair: a {pair.shape[0]}x{pair.shape[1]} file gives the edge map (left) and the photo (right).")


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


def check_unet(unet, image_size: int = 32, levels: int = 3, width: int = 4) -> None:
    """Exercise 2: ``unet(images, down, up, out)`` joins each decoder step with the skip of its own level, skip first."""
    import keras

    down, up, out = unet_parts(image_size, levels, width)
    images = keras.random.uniform((2, image_size, image_size, 3), minval=-1.0, maxval=1.0, seed=7)
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
    if got.shape != (2, image_size, image_size, 3):
        raise ExerciseError(f"unet returned shape {shape_text(got.shape)} for images of shape "
                            f"{shape_text((2, image_size, image_size, 3))}: the output must have the input's size "
                            f"and 3 channels (only the decoder steps are joined with skips, not the output). "
                            f"Fix: return out(x) as the last step.")
    calls = [entry[0] for entry in log]
    right = to_numpy(wire_unet(images, down, up, out))
    if np.allclose(got, right, atol=1e-5):
        symbolic = keras.Input((image_size, image_size, 3))
        try:
            unet(symbolic, down, up, out)
        except Exception as error:
            raise ExerciseError(f"unet works on arrays but not on keras.Input ({error_text(error, 160)}), so it "
                                "cannot build a model. Fix: join with keras.ops.concatenate (or "
                                "layers.Concatenate), not NumPy.") from None
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

def check_discriminator_input(discriminator_input, batch: int = 2, size: int = 4, in_channels: int = 3) -> None:
    """Exercise 3: ``discriminator_input(edges, photos)`` joins them on channels, edges first."""
    from keras import ops

    rng = np.random.default_rng(size + in_channels)
    edges = rng.uniform(-1, 1, (batch, size, size, in_channels)).astype("float32")
    photos = rng.uniform(-1, 1, (batch, size, size, 3)).astype("float32")
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
    if got.shape == (2 * batch,) + photos.shape[1:]:
        raise ExerciseError(f"discriminator_input returns shape {shape_text(got.shape)}: the edge maps and photos "
                            f"are stacked on the batch axis (axis 0), so the discriminator judges {2 * batch} "
                            "separate images, and never an edge map and a photo together. Fix: " + fix)
    if got.shape == right.shape and np.allclose(got, np.concatenate([photos, edges], axis=-1)):
        raise ExerciseError("discriminator_input puts the photo's channels first and the edge map's second. The "
                            "package's discriminator (and the paper's code) is trained on edges first, so its "
                            "first layer would read each picture as the other. Fix: " + fix)
    if got.shape != right.shape:
        raise ExerciseError(f"discriminator_input returns shape {shape_text(got.shape)}, expected "
                            f"{shape_text(right.shape)}: the same height and width, and the channels of both "
                            f"pictures side by side. Fix: " + fix)
    raise ExerciseError("discriminator_input returns the right shape but not the two pictures unchanged, side "
                        "by side on channels. Fix: " + fix)


# -- Exercise 4: the generator's loss -----------------------------------------------------------

def check_generator_loss(generator_loss, l1_weight: float = 100.0, seed: int = 0) -> None:
    """Exercise 4: ``generator_loss(fake_scores, fake, edges, photos, l1_weight)`` = BCE(1, scores) + l1_weight * L1."""
    from keras import ops

    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, 1.5, (2, 3, 3, 1))
    fake, edges, photos = (rng.uniform(-1, 1, (2, 4, 4, 3)) for _ in range(3))
    tensors = [ops.convert_to_tensor(a.astype("float32")) for a in (scores, fake, edges, photos)]
    fix = "return the GAN term plus l1_weight times the mean absolute difference between fake and photos."
    shown = []
    for weight in (l1_weight, 10.0):
        value = call_answer(generator_loss, "generator_loss", *tensors, l1_weight=weight,
                      fix="use keras.ops (ops.binary_crossentropy with from_logits=True, ops.mean, ops.abs), "
                          "not NumPy.")
        if isinstance(value, (tuple, list)):
            raise ExerciseError(f"generator_loss returned a {type(value).__name__} of {len(value)} values; it must "
                                "return one number, the total. Fix: " + fix)
        array = to_numpy(value)
        if array.size != 1:
            raise ExerciseError(f"generator_loss returned shape {shape_text(array.shape)}; it must return one "
                                "number. Fix: average with ops.mean; " + fix)
        got = float(array.reshape(()))
        gan, l1 = softplus(-scores).mean(), np.abs(fake - photos).mean()
        right = gan + weight * l1
        if np.isclose(got, right, rtol=1e-4, atol=1e-5):
            shown.append(f"{got:.3f} (l1_weight={weight:g})")
            continue
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
            (gan + l1_weight * l1,
             f"the L1 weight is fixed at {l1_weight:g}, but generator_loss was called with l1_weight={weight:g}. "
             "Fix: use the argument l1_weight, not a number."),
            (weight * l1,
             "the loss has no GAN term: the discriminator's scores are not used, so this is the L1-only "
             "ablation, which blurs. Fix: " + fix),
            (gan,
             "the loss has no L1 term: the generator only has to fool the discriminator. Fix: " + fix),
            (softplus(scores).mean() + weight * l1,
             "the GAN term compares the fake scores with 0 ('fake'): the generator must push them towards 1 "
             "('real'). Fix: the label for the fake scores in the generator's loss is 1."),
            (gan + weight * ((fake - photos) ** 2).mean(),
             "the distance to the photo is squared (L2): pix2pix uses L1, the mean absolute difference. "
             "Fix: ops.abs, not ops.square."),
            (gan + weight * np.abs(fake - photos).sum(),
             "the L1 term is a sum over all pixels, not a mean, so its size depends on the image size. "
             "Fix: average over the pixels with ops.mean."),
        ]
        for value, said in mistakes:
            if np.isclose(got, value, rtol=1e-4, atol=1e-5):
                raise ExerciseError(f"generator_loss is {got:.4f}, expected {right:.4f} (GAN term {gan:.4f} + "
                                    f"{weight:g} x L1 {l1:.4f}): {said}")
        raise ExerciseError(f"generator_loss is {got:.4f}, expected {right:.4f} (GAN term {gan:.4f} + {weight:g} x "
                            f"L1 {l1:.4f}). Fix: {fix}")
    passed(f"generator_loss: {' and '.join(shown)}, the GAN term plus the weighted L1 distance to the photo.")
