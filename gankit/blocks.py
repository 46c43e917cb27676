"""Building blocks of the image-to-image GANs: instance norm, ResNet generator, PatchGAN, U-Net.

Two papers, one set of blocks (written with ``keras.ops``, so they run on every backend):

* CycleGAN (Zhu et al. 2017, arXiv 1703.10593): :func:`resnet_generator` and
  :func:`patchgan` with :class:`InstanceNormalization` and reflection padding.
* pix2pix (Isola et al. 2017, arXiv 1611.07004): :func:`unet_generator`, and the same
  :func:`patchgan` shown the input and the target side by side on channels.

The defaults are the papers' settings (256x256 images, 64 filters, 9 residual blocks,
8 U-Net levels, 3 strided PatchGAN layers): that is what a ``full`` profile builds. Tiny
settings (``width=4``, ``blocks=1``, ``levels=3``) build in well under a second.
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="gankit")
class InstanceNormalization(layers.Layer):
    """Normalise each image's each channel over its own height and width.

    Batch normalisation mixes the images of a batch; style transfer wants each image's
    contrast left to itself, and at batch size 1 (the papers' setting) batch statistics
    are one image's statistics anyway. ``scale``/``center`` add a learned gain and offset
    per channel; the CycleGAN code leaves them off (its ``affine=False``), so the defaults do.
    """

    def __init__(self, epsilon: float = 1e-5, scale: bool = False, center: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.epsilon, self.scale, self.center = epsilon, scale, center

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"InstanceNormalization expects images (batch, height, width, channels), got shape "
                             f"{input_shape}. Fix: apply it after a Conv2D.")
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta") if self.center else None

    def call(self, x):
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        variance = ops.var(x, axis=(1, 2), keepdims=True)
        x = (x - mean) * ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            x = x * self.gamma
        if self.beta is not None:
            x = x + self.beta
        return x

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "scale": self.scale, "center": self.center}


@keras.saving.register_keras_serializable(package="gankit")
class ReflectionPadding2D(layers.Layer):
    """Pad height and width by mirroring the image at its border (no black frame for the convolutions to learn)."""

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return batch, grow(height), grow(width), channels

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def _check_size(image_size: int, factor: int, what: str) -> None:
    if image_size % factor:
        raise ValueError(f"{what} needs an image size divisible by {factor}, got {image_size}. "
                         f"Fix: crop or resize the images to a multiple of {factor}.")


# -- CycleGAN's generator ------------------------------------------------------------------------

def residual_block(x, filters: int, name: str):
    """Two 3x3 convolutions with a shortcut around them: the block learns a change to its input."""
    y = x
    for i in (1, 2):
        y = ReflectionPadding2D(1, name=f"{name}_pad{i}")(y)
        y = layers.Conv2D(filters, 3, name=f"{name}_conv{i}")(y)
        y = InstanceNormalization(name=f"{name}_norm{i}")(y)
        if i == 1:
            y = layers.ReLU(name=f"{name}_relu")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def resnet_generator(image_size: int = 256, channels: int = 3, width: int = 64, blocks: int = 9,
                     name: str = "generator") -> keras.Model:
    """Zhu et al.'s generator: images (size, size, channels) in [-1, 1] -> images of the same shape.

    c7s1-``width``, two stride-2 convolutions down (x2, x4 filters), ``blocks`` residual
    blocks at a quarter of the resolution, two transposed convolutions up, c7s1-``channels``
    and ``tanh``. The paper uses 9 blocks at 256x256 and 6 at 128x128.
    """
    _check_size(image_size, 4, "the ResNet generator (two stride-2 steps)")
    images = keras.Input((image_size, image_size, channels), name="images")
    x = ReflectionPadding2D(3, name="stem_pad")(images)
    x = layers.Conv2D(width, 7, name="stem_conv")(x)
    x = layers.ReLU(name="stem_relu")(InstanceNormalization(name="stem_norm")(x))
    for i, filters in enumerate((2 * width, 4 * width), start=1):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"down{i}_conv")(x)
        x = layers.ReLU(name=f"down{i}_relu")(InstanceNormalization(name=f"down{i}_norm")(x))
    for i in range(1, blocks + 1):
        x = residual_block(x, 4 * width, name=f"res{i}")
    for i, filters in enumerate((2 * width, width), start=1):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", name=f"up{i}_conv")(x)
        x = layers.ReLU(name=f"up{i}_relu")(InstanceNormalization(name=f"up{i}_norm")(x))
    x = ReflectionPadding2D(3, name="head_pad")(x)
    x = layers.Conv2D(channels, 7, activation="tanh", name="head_conv")(x)
    return keras.Model(images, x, name=name)


# -- the PatchGAN discriminator (both papers) ----------------------------------------------------

def patchgan(image_size: int = 256, channels: int = 3, width: int = 64, layers_down: int = 3,
             norm: bool = True, name: str = "discriminator") -> keras.Model:
    """The PatchGAN: one real/fake score (a logit) per overlapping patch instead of one per image.

    4x4 convolutions: ``layers_down`` with stride 2 (filters ``width``, x2, x4 ... capped at
    x8; no normalisation on the first), one more with stride 1, then a 1-filter one. Each
    pads by 1 pixel as the papers' code does, so 256x256 gives 30x30 scores, each seeing a
    70x70 patch (see :func:`receptive_field`). ``channels`` is 6 for pix2pix's conditional
    discriminator (input and image stacked). ``norm=False`` drops instance norm, whose
    whole-image statistics would let every pixel touch every score.
    """
    _check_size(image_size, 2 ** layers_down, f"a PatchGAN with {layers_down} stride-2 layers")
    images = keras.Input((image_size, image_size, channels), name="images")
    x = images
    strides = [2] * layers_down + [1]
    for i, stride in enumerate(strides, start=1):
        x = layers.ZeroPadding2D(1, name=f"conv{i}_pad")(x)
        x = layers.Conv2D(width * min(2 ** (i - 1), 8), 4, strides=stride, name=f"conv{i}")(x)
        if i > 1 and norm:
            x = InstanceNormalization(name=f"conv{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"conv{i}_lrelu")(x)
    x = layers.ZeroPadding2D(1, name="scores_pad")(x)
    scores = layers.Conv2D(1, 4, name="scores")(x)  # logits: no sigmoid, the loss decides
    return keras.Model(images, scores, name=name)


def receptive_field(model: keras.Model) -> int:
    """How many input pixels (per side) one output pixel of ``model`` sees, from its convolutions alone.

    Walking back from one output pixel, a layer with kernel k and stride s turns a window
    of r pixels into (r - 1) * s + k. Only valid for a plain chain of convolutions (padding
    and pointwise layers do not widen the window), such as :func:`patchgan`.
    """
    convolutions = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    if not convolutions:
        raise ValueError(f"model {model.name!r} has no Conv2D layers. Fix: pass a convolutional model.")
    field = 1
    for layer in reversed(convolutions):
        (kernel, _), (stride, _) = layer.kernel_size, layer.strides
        field = (field - 1) * stride + kernel
    return field


# -- pix2pix's generator -------------------------------------------------------------------------

def unet_generator(image_size: int = 256, channels: int = 3, out_channels: int | None = None, width: int = 64,
                   levels: int = 8, dropout: float = 0.5, name: str = "generator") -> keras.Model:
    """Isola et al.'s U-Net: an encoder-decoder whose decoder also receives the encoder's output at each resolution.

    ``levels`` 4x4 stride-2 convolutions halve the image down to ``image_size / 2**levels``
    (8 levels: 256 -> 1 pixel), with ``width``, x2, x4, x8, x8 ... filters and LeakyReLU(0.2);
    transposed convolutions double it back with ReLU. Before each decoder step below the
    bottleneck, the encoder's output at that resolution (layer ``down{i}``) is joined on
    channels, skip first (layer ``skip{i}`` = [down{i}, up{i+1}]), as in the paper's code:
    fine detail such as edges goes around the bottleneck instead of through it. The three
    decoder steps nearest the bottleneck use dropout, the paper's only source of noise.
    Normalisation is instance norm (the paper's batch norm at batch size 1), except on the
    first level and at the 1x1 bottleneck, whose per-image statistics would be empty.
    """
    _check_size(image_size, 2 ** levels, f"a U-Net with {levels} levels")
    if levels < 2:
        raise ValueError(f"a U-Net needs at least 2 levels, got {levels}. Fix: levels=2 or more.")
    out_channels = channels if out_channels is None else out_channels
    filters = [width * min(2 ** i, 8) for i in range(levels)]
    images = keras.Input((image_size, image_size, channels), name="images")
    x, skips = images, []
    for i, f in enumerate(filters, start=1):
        if i > 1:
            x = layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(x)
        x = layers.Conv2D(f, 4, strides=2, padding="same", name=f"down{i}_conv")(x)
        if 1 < i < levels:
            x = InstanceNormalization(name=f"down{i}_norm")(x)
        x = layers.Identity(name=f"down{i}")(x)  # the level's output: the skip its decoder step receives
        skips.append(x)
    for i in range(levels - 1, 0, -1):  # up from the bottleneck: up{i} has the resolution of down{i}
        x = layers.ReLU(name=f"up{i}_relu")(x)
        x = layers.Conv2DTranspose(filters[i - 1], 4, strides=2, padding="same", name=f"up{i}_conv")(x)
        x = InstanceNormalization(name=f"up{i}_norm")(x)
        if dropout and i >= levels - 3:
            x = layers.Dropout(dropout, name=f"up{i}_dropout")(x)
        x = layers.Identity(name=f"up{i}")(x)
        x = layers.Concatenate(axis=-1, name=f"skip{i}")([skips[i - 1], x])
    x = layers.ReLU(name="out_relu")(x)
    x = layers.Conv2DTranspose(out_channels, 4, strides=2, padding="same", activation="tanh", name="out_conv")(x)
    return keras.Model(images, x, name=name)
