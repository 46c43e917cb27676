"""DiffAugment (Zhao et al. 2020, arXiv 2006.10738): augmentations a GAN can train through.

With little data the discriminator memorises the real images and its verdicts stop
teaching the generator anything. Augmenting the real images alone does not help: the
generator then learns to draw augmented images (shifted digits, cut-out squares). The
cure is to apply the SAME kind of random transform to real and fake images, in BOTH
players' losses, and to write it with differentiable operations so that the
generator's gradient flows back through it. Each example gets its own random draw.

Operations on a batch of images ``(n, height, width, channels)`` in [-1, 1], written
with ``keras.ops`` so that they run on every backend inside a compiled step:

* :func:`brightness` -- add one random number in [-0.5, 0.5) per image;
* :func:`saturation` -- scale each pixel's distance from its grey value by [0, 2);
* :func:`contrast` -- scale each image's distance from its mean by [0.5, 1.5);
* :func:`translation` -- shift by up to 1/8 of the size in each direction, zeros shifted in;
* :func:`cutout` -- set a square of half the size, at a random place, to 0.

:func:`diff_augment` applies a policy (``"color,translation,cutout"``: the paper's);
:class:`DiffAugment` is the same as a layer with its own seed, to hand to
:class:`gankit.stable.CriticGAN` (``augment=DiffAugment(seed=0)``).
"""

from __future__ import annotations

import keras
from keras import ops

POLICY = "color,translation,cutout"
OPERATIONS = ("brightness", "saturation", "contrast", "translation", "cutout")
GROUPS = {"color": ("brightness", "saturation", "contrast"), "translation": ("translation",), "cutout": ("cutout",)}


def _per_image(images, seed, low=0.0, high=1.0):
    """One uniform number in [low, high) per image, shaped (n, 1, 1, 1) to broadcast over its pixels."""
    return keras.random.uniform((ops.shape(images)[0], 1, 1, 1), low, high, dtype=images.dtype, seed=seed)


def brightness(images, seed=None):
    """Add one random number in [-0.5, 0.5) to every pixel of each image."""
    return images + _per_image(images, seed, -0.5, 0.5)


def saturation(images, seed=None):
    """Scale each pixel's distance from its mean over the channels by one random factor in [0, 2) per image.

    On one-channel images the mean is the pixel itself, so this changes nothing.
    """
    grey = ops.mean(images, axis=-1, keepdims=True)
    return (images - grey) * _per_image(images, seed, 0.0, 2.0) + grey


def contrast(images, seed=None):
    """Scale each image's distance from its own mean value by one random factor in [0.5, 1.5)."""
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    return (images - mean) * _per_image(images, seed, 0.5, 1.5) + mean


def _shift_matrices(offsets, size, dtype):
    """``(n, size, size)`` matrices M with ``M[k, i, j] = 1`` where ``j == i - offsets[k]``: a shift as a product."""
    rows = ops.reshape(ops.arange(size), (1, size, 1))
    cols = ops.reshape(ops.arange(size), (1, 1, size))
    return ops.cast(ops.equal(cols, rows - ops.reshape(offsets, (-1, 1, 1))), dtype)


def translation(images, seed=None, ratio: float = 0.125):
    """Shift each image by a random whole number of pixels, up to ``ratio`` of its size each way; zeros come in.

    Written as two matrix products with 0/1 shift matrices, so the gradient reaches every
    pixel that is still in the picture.
    """
    height, width = images.shape[1], images.shape[2]
    n = ops.shape(images)[0]
    max_y, max_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    seed_y, seed_x = _two_seeds(seed)
    dy = keras.random.randint((n,), -max_y, max_y + 1, seed=seed_y)
    dx = keras.random.randint((n,), -max_x, max_x + 1, seed=seed_x)
    shifted = ops.einsum("nik,nkwc->niwc", _shift_matrices(dy, height, images.dtype), images)
    return ops.einsum("njl,nilc->nijc", _shift_matrices(dx, width, images.dtype), shifted)


def cutout(images, seed=None, ratio: float = 0.5):
    """Set a square of ``ratio`` of the image's size to 0 in each image, centred at a random pixel (clipped at the edges)."""
    height, width = images.shape[1], images.shape[2]
    n = ops.shape(images)[0]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    seed_y, seed_x = _two_seeds(seed)
    top = keras.random.randint((n, 1, 1), 0, height, seed=seed_y) - size_y // 2
    left = keras.random.randint((n, 1, 1), 0, width, seed=seed_x) - size_x // 2
    rows = ops.reshape(ops.arange(height), (1, height, 1))
    cols = ops.reshape(ops.arange(width), (1, 1, width))
    inside = ops.logical_and(ops.logical_and(rows >= top, rows < top + size_y),
                             ops.logical_and(cols >= left, cols < left + size_x))
    keep = ops.cast(ops.logical_not(inside), images.dtype)[..., None]  # (n, h, w, 1)
    return images * keep


def _two_seeds(seed):
    """Two seeds for two draws: a SeedGenerator gives two draws of its stream; an int gives two ints."""
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        return seed, seed
    return int(seed), int(seed) + 1


def _operations(policy: str):
    names = []
    for part in (p.strip() for p in policy.split(",") if p.strip()):
        if part in GROUPS:
            names.extend(GROUPS[part])
        elif part in OPERATIONS:
            names.append(part)
        else:
            raise ValueError(f"unknown DiffAugment operation {part!r} in policy {policy!r}. Fix: use a comma-separated "
                             f"list of {', '.join(list(GROUPS) + list(OPERATIONS))}.")
    return names


def diff_augment(images, policy: str = POLICY, seed=None):
    """Apply the operations of ``policy`` (e.g. ``"color,translation,cutout"``) in order to a batch of images.

    ``seed``: an int gives the same transforms on every call (for tests and pictures); a
    ``keras.random.SeedGenerator`` gives new transforms on each call (inside a training
    step). Images are ``(n, height, width, channels)``.
    """
    images = ops.convert_to_tensor(images)
    if len(images.shape) != 4:
        raise ValueError(f"DiffAugment works on image batches of shape (n, height, width, channels); got shape "
                         f"{tuple(images.shape)}. Fix: reshape, e.g. images[..., None] for one channel.")
    if not str(images.dtype).startswith(("float", "bfloat")):
        images = ops.cast(images, "float32")
    for i, name in enumerate(_operations(policy)):
        op_seed = seed if seed is None or isinstance(seed, keras.random.SeedGenerator) else int(seed) * 16 + 2 * i
        images = globals()[name](images, seed=op_seed)
    return images


class DiffAugment(keras.layers.Layer):
    """DiffAugment as a layer: ``DiffAugment(policy, seed)(images)`` draws new transforms on each call.

    Its seed is part of the state a training step carries, so the transforms differ from
    step to step on every backend, and a fixed ``seed`` makes a run repeatable. It
    augments whenever it is called (training or not): call it where an augmented batch is meant.
    """

    def __init__(self, policy: str = POLICY, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        _operations(policy)  # a bad policy fails here, not in the middle of training
        self.policy = policy
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # no weights to build; a game that holds it needs no sample call to build it

    def call(self, images):
        return diff_augment(images, self.policy, seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "policy": self.policy}
