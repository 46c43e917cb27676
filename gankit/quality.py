"""Image quality measures for image-to-image translation: how far, how alike, how sharp.

Every function takes batches of images as float arrays ``(n, height, width, channels)`` in
[-1, 1] (the range of a ``tanh`` generator), from NumPy or any Keras backend (they are
converted with ``numpy.asarray``), and returns plain Python floats: the mean over the images,
or with ``per_image=True`` a NumPy array with one value per image. A single image
``(height, width, channels)`` counts as a batch of one.

* :func:`l1` — mean absolute difference (the cycle-consistency and pix2pix L1 loss).
* :func:`psnr` — peak signal-to-noise ratio in dB, for data range 2 (the span of [-1, 1]).
* :func:`ssim` — structural similarity (Wang et al. 2004) on luminance: an 11x11 Gaussian
  window (sigma 1.5), constants K1 = 0.01 and K2 = 0.03, averaged over the window positions
  that fit inside the image, as ``skimage.metrics.structural_similarity(gaussian_weights=True,
  use_sample_covariance=False, data_range=2)`` computes it on one channel.
* :func:`luminance` — the Rec. 601 luma (0.299 R + 0.587 G + 0.114 B), still in [-1, 1].
* :func:`sharpness` — mean gradient magnitude of the luminance; :func:`sharpness_ratio`
  compares it with reference images (real photos): a blurry output scores below 1.

Only NumPy and Pillow are used, so the numbers are the same on every backend.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])
DATA_RANGE = 2.0  # images in [-1, 1]
SSIM_SIGMA = 1.5
SSIM_RADIUS = 5  # an 11x11 window, as Wang et al. (and skimage's truncate=3.5 at sigma 1.5)
SSIM_K1, SSIM_K2 = 0.01, 0.03


def as_images(images, name: str = "images") -> np.ndarray:
    """``images`` as float64 ``(n, height, width, channels)``, checked to lie in [-1, 1].

    Raises ``ValueError`` naming the argument for a wrong shape or for pixels in [0, 255]
    or [0, 1] sent by mistake.
    """
    array = np.asarray(images, dtype=np.float64)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3) or 0 in array.shape:
        raise ValueError(f"{name} must be images of shape (n, height, width, 1 or 3), got {np.shape(images)}. "
                         f"Fix: pass a batch in channels-last (NHWC) order.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} hold NaN or infinite values. Fix: check the model that made them.")
    low, high = float(array.min()), float(array.max())
    if low < -1.001 or high > 1.001:
        raise ValueError(f"{name} must lie in [-1, 1] (a tanh output), but they span [{low:.3g}, {high:.3g}]. "
                         f"Fix: uint8 pixels in [0, 255] become images / 127.5 - 1.")
    return np.clip(array, -1.0, 1.0)


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = as_images(a, "a"), as_images(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}. Fix: compare each "
                         f"image with its own counterpart, at the same resolution (see quality.resize).")
    return a, b


def _reduce(values: np.ndarray, per_image: bool):
    return values if per_image else float(np.mean(values))


def luminance(images) -> np.ndarray:
    """The Rec. 601 luma of each image, ``(n, height, width)`` in [-1, 1] (grey images: unchanged)."""
    images = as_images(images)
    if images.shape[-1] == 1:
        return images[..., 0]
    return images @ LUMA_WEIGHTS


def resize(images, size: int) -> np.ndarray:
    """Images resized to ``size`` x ``size`` with Pillow's antialiased bilinear filter, float32 in [-1, 1]."""
    images = as_images(images)
    if images.shape[1:3] == (size, size):
        return images.astype(np.float32)
    out = np.empty((len(images), size, size, images.shape[-1]), np.float32)
    for i, image in enumerate(images):
        for c in range(images.shape[-1]):
            plane = Image.fromarray(image[..., c].astype(np.float32), mode="F")
            out[i, ..., c] = np.asarray(plane.resize((size, size), Image.Resampling.BILINEAR))
    return np.clip(out, -1.0, 1.0)


def l1(a, b, per_image: bool = False):
    """Mean absolute difference between ``a`` and ``b`` (0 for identical images, at most 2)."""
    a, b = _pair(a, b)
    return _reduce(np.abs(a - b).mean(axis=(1, 2, 3)), per_image)


def psnr(a, b, per_image: bool = False):
    """Peak signal-to-noise ratio in dB, ``10 log10(2**2 / MSE)`` per image, then averaged.

    Identical images have no noise: their PSNR is ``inf`` (and so is a mean that includes one).
    """
    a, b = _pair(a, b)
    mse = ((a - b) ** 2).mean(axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(DATA_RANGE ** 2 / mse)
    return _reduce(values, per_image)


def gaussian_window(radius: int = SSIM_RADIUS, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """A normalised 1-D Gaussian of ``2 * radius + 1`` taps (the SSIM window is its outer product)."""
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    window = np.exp(-0.5 * (x / sigma) ** 2)
    return window / window.sum()


def _filter_valid(planes: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Separable 'valid' filtering of ``(n, height, width)`` planes: only windows inside the image."""
    k = len(window)
    rows = np.lib.stride_tricks.sliding_window_view(planes, k, axis=1) @ window
    return np.lib.stride_tricks.sliding_window_view(rows, k, axis=2) @ window


def _ssim_planes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean SSIM of each pair of planes ``(n, height, width)``."""
    radius = min(SSIM_RADIUS, (min(x.shape[1:]) - 1) // 2)  # small images: a smaller window that fits
    window = gaussian_window(radius)
    c1, c2 = (SSIM_K1 * DATA_RANGE) ** 2, (SSIM_K2 * DATA_RANGE) ** 2
    mu_x, mu_y = _filter_valid(x, window), _filter_valid(y, window)
    var_x = _filter_valid(x * x, window) - mu_x ** 2
    var_y = _filter_valid(y * y, window) - mu_y ** 2
    cov = _filter_valid(x * y, window) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean(axis=(1, 2))


def ssim(a, b, per_image: bool = False, channels: bool = False):
    """Structural similarity of ``a`` and ``b`` (1 for identical images, near 0 for unrelated ones).

    Computed on the luminance (structure, not colour: a translation may change colours and still
    keep its input's layout). ``channels=True`` computes it on each colour channel instead and
    averages them. Images smaller than 11 pixels get the largest window that fits.
    """
    a, b = _pair(a, b)
    if channels:
        n, height, width, c = a.shape
        planes_a = np.moveaxis(a, -1, 1).reshape(n * c, height, width)
        planes_b = np.moveaxis(b, -1, 1).reshape(n * c, height, width)
        values = _ssim_planes(planes_a, planes_b).reshape(n, c).mean(axis=1)
    else:
        values = _ssim_planes(luminance(a), luminance(b))
    return _reduce(values, per_image)


def sharpness(images, per_image: bool = False):
    """Mean gradient magnitude of the luminance (forward differences), in [-1, 1] units per pixel.

    Depends on resolution: compare images of the same size (:func:`sharpness_ratio` resizes).
    """
    y = luminance(images)
    dx = y[:, :-1, 1:] - y[:, :-1, :-1]
    dy = y[:, 1:, :-1] - y[:, :-1, :-1]
    return _reduce(np.sqrt(dx ** 2 + dy ** 2).mean(axis=(1, 2)), per_image)


def sharpness_ratio(images, reference) -> float:
    """Sharpness of ``images`` over that of ``reference`` (e.g. real photos): below 1 means blurrier.

    The reference is resized to the images' resolution first, so both are measured at one scale.
    """
    images = as_images(images)
    reference = as_images(reference, "reference")
    if images.shape[1] != images.shape[2]:
        raise ValueError(f"images must be square to compare sharpness, got {images.shape[1:3]}")
    reference = resize(reference, images.shape[1])
    if images.shape[-1] != reference.shape[-1]:
        raise ValueError(f"images have {images.shape[-1]} channels and reference {reference.shape[-1]}")
    return sharpness(images) / max(sharpness(reference), 1e-12)
