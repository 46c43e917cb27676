"""Reference DCGAN builders (Radford et al. 2015, arXiv 1511.06434): 28x28 digits, and any power-of-two size.

Notebook 02 asks learners to write the 28x28 ones themselves; the package keeps a reference
copy for the benchmark, the tests and the solutions. Appendix A (your own folder of images)
uses :func:`dcgan_generator_at` and :func:`dcgan_discriminator_at`, the same recipe for square
images of 8, 16, 32, 64, ... pixels with 1 or 3 channels. The 28x28 builders come in two sizes:

* ``size="small"`` -- CPU-friendly: about 0.38 M parameters in G (64 -> 32 filters)
  and 0.06 M in D (32 -> 64 filters).
* ``size="paper"`` -- DCGAN-paper-like widths for 28x28 inputs: about 6.7 M
  parameters in G (512 -> 256 -> 128 filters) and 0.8 M in D (128 -> 256); meant for a GPU.

The generator follows the paper's guidelines: no pooling, transposed convolutions
with stride 2, batch normalisation and ReLU inside, ``tanh`` at the output (so the
data must be scaled to [-1, 1]). The discriminator uses strided convolutions,
LeakyReLU(0.2) and dropout, and ends in one logit (no sigmoid: pair it with a loss
built for logits). It has no batch normalisation: the fused training step feeds it
one concatenated real + fake batch, whose statistics batch normalisation would mix.
"""

from __future__ import annotations

import keras
from keras import layers

# Channel widths: (generator widths from 7x7 up, discriminator widths from 28x28 down).
SIZES = {
    "small": ((64, 32), (32, 64)),
    "paper": ((512, 256, 128), (128, 256)),
}


def _widths(size: str):
    if size not in SIZES:
        raise ValueError(f"size is {size!r}; choose one of {', '.join(SIZES)}.")
    return SIZES[size]


def dcgan_generator(latent_dim: int = 100, size: str = "small", channels: int = 1,
                    name: str = "generator", kernel_size: int = 5, batch_norm: bool = True) -> keras.Model:
    """A DCGAN generator: noise of width ``latent_dim`` -> images (28, 28, channels) in [-1, 1].

    ``kernel_size`` is that of every transposed convolution. Notebook 02's "misbehaves"
    section uses 3, which with stride 2 overlaps unevenly and paints a checkerboard.
    ``batch_norm=False`` leaves batch normalisation out (the same section needs a generator
    that still works when every noise vector in a batch is the same).
    """
    widths, _ = _widths(size)
    model = keras.Sequential(name=name)
    model.add(keras.Input((latent_dim,)))
    model.add(layers.Dense(7 * 7 * widths[0], use_bias=not batch_norm))  # bias is redundant before batch norm
    if batch_norm:
        model.add(layers.BatchNormalization())
    model.add(layers.ReLU())
    model.add(layers.Reshape((7, 7, widths[0])))
    # Extra stride-1 blocks keep 7x7; the last two doublings reach 14x14 and 28x28.
    for width in widths[1:-1]:
        model.add(layers.Conv2DTranspose(width, kernel_size, strides=1, padding="same", use_bias=not batch_norm))
        if batch_norm:
            model.add(layers.BatchNormalization())
        model.add(layers.ReLU())
    model.add(layers.Conv2DTranspose(widths[-1], kernel_size, strides=2, padding="same", use_bias=not batch_norm))
    if batch_norm:
        model.add(layers.BatchNormalization())
    model.add(layers.ReLU())
    model.add(layers.Conv2DTranspose(channels, kernel_size, strides=2, padding="same", activation="tanh"))
    return model


def dcgan_discriminator(size: str = "small", channels: int = 1, dropout: float = 0.3,
                        name: str = "discriminator") -> keras.Model:
    """A DCGAN discriminator: images (28, 28, channels) -> one logit per image (no sigmoid)."""
    _, widths = _widths(size)
    model = keras.Sequential(name=name)
    model.add(keras.Input((28, 28, channels)))
    for width in widths:  # each strided convolution halves the image: 28 -> 14 -> 7
        model.add(layers.Conv2D(width, 5, strides=2, padding="same"))
        model.add(layers.LeakyReLU(0.2))
        model.add(layers.Dropout(dropout))
    model.add(layers.Flatten())
    model.add(layers.Dense(1))
    return model


def _doublings(resolution: int) -> int:
    """How many stride-2 steps lead from 4x4 to ``resolution`` (a power of two, at least 8)."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 8 \
            or resolution & (resolution - 1):
        raise ValueError(f"resolution is {resolution!r}; these builders need a power of two of at least 8 "
                         f"(8, 16, 32, 64, 128, ...). Fix: load the images at such a size, e.g. "
                         f"gankit.images.load_folder(folder, size=64); for 28x28 digits use dcgan_generator.")
    return resolution.bit_length() - 3  # 8 -> 1, 16 -> 2, 32 -> 3, 64 -> 4


def _check_channels(channels: int) -> None:
    if channels not in (1, 3):
        raise ValueError(f"channels is {channels!r}; choose 1 (greyscale) or 3 (colour).")


def dcgan_generator_at(resolution: int, channels: int = 3, latent_dim: int = 100, width: int = 32,
                       name: str = "generator") -> keras.Model:
    """A DCGAN generator for square images: noise -> (resolution, resolution, channels) in [-1, 1].

    The paper's recipe for any power-of-two ``resolution`` (at least 8): project the noise to
    4x4 feature maps, then double the size with ``Conv2DTranspose(kernel 4, stride 2)`` until
    ``resolution`` is reached, halving the number of filters each time so that the last hidden
    layer has ``width`` filters (64 px, width 32: 256 -> 128 -> 64 -> 32). Batch normalisation
    and ReLU inside, ``tanh`` at the output. Kernel 4 with stride 2 avoids the checkerboard of
    uneven overlap (notebook 02, section 10).
    """
    doublings = _doublings(resolution)
    _check_channels(channels)
    widths = [width * 2 ** (doublings - 1 - i) for i in range(doublings)]  # 4x4 ... resolution/2
    model = keras.Sequential(name=name)
    model.add(keras.Input((latent_dim,)))
    model.add(layers.Dense(4 * 4 * widths[0], use_bias=False))  # bias is redundant before batch norm
    model.add(layers.BatchNormalization())
    model.add(layers.ReLU())
    model.add(layers.Reshape((4, 4, widths[0])))
    for filters in widths[1:]:
        model.add(layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False))
        model.add(layers.BatchNormalization())
        model.add(layers.ReLU())
    model.add(layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh"))
    return model


def dcgan_discriminator_at(resolution: int, channels: int = 3, width: int = 32, dropout: float = 0.3,
                           name: str = "discriminator") -> keras.Model:
    """A DCGAN discriminator for square images (resolution, resolution, channels) -> one logit each.

    Strided ``Conv2D(kernel 4, stride 2)`` layers halve the image down to 4x4, doubling the
    filters from ``width`` (64 px, width 32: 32 -> 64 -> 128 -> 256); LeakyReLU(0.2) and dropout,
    no batch normalisation (see the module docstring), one logit at the end (no sigmoid).
    """
    doublings = _doublings(resolution)
    _check_channels(channels)
    model = keras.Sequential(name=name)
    model.add(keras.Input((resolution, resolution, channels)))
    for i in range(doublings):
        model.add(layers.Conv2D(width * 2 ** i, 4, strides=2, padding="same"))
        model.add(layers.LeakyReLU(0.2))
        model.add(layers.Dropout(dropout))
    model.add(layers.Flatten())
    model.add(layers.Dense(1))
    return model
