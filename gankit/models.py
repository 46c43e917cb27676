"""Reference DCGAN builders for 28x28 MNIST digits (Radford et al. 2015, arXiv 1511.06434).

Notebook 02 asks learners to write these themselves; the package keeps a reference
copy for the benchmark, the tests and the solutions. Two sizes:

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
