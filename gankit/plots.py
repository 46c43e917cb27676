"""Pictures: image grids, loss curves and animated GIFs of training progress."""

from __future__ import annotations

import pathlib

import numpy as np


def to_display(images) -> np.ndarray:
    """Images in [-1, 1] (a tanh output) as float in [0, 1], with a channel axis squeezed for grayscale."""
    from gankit.checks import to_numpy

    array = to_numpy(images).astype("float32")
    if array.ndim == 2:  # flat vectors such as an MLP generator's (n, 784)
        side = int(round(np.sqrt(array.shape[1])))
        if side * side != array.shape[1]:
            raise ValueError(f"cannot show flat images of length {array.shape[1]}: not a square")
        array = array.reshape(-1, side, side, 1)
    if array.ndim == 3:
        array = array[..., None]
    array = np.clip((array + 1.0) / 2.0, 0.0, 1.0)
    return array[..., 0] if array.shape[-1] == 1 else array


def grid(images, rows: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile a batch of images into one array (rows x columns), padded with white lines."""
    array = to_display(images)
    n = len(array)
    if n == 0:
        raise ValueError("no images to show")
    rows = rows or int(np.floor(np.sqrt(n)))
    cols = int(np.ceil(n / rows))
    h, w = array.shape[1:3]
    shape = (rows * (h + pad) + pad, cols * (w + pad) + pad) + array.shape[3:]
    canvas = np.ones(shape, dtype="float32")
    for i, image in enumerate(array):
        r, c = divmod(i, cols)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = image
    return canvas


def show_images(images, rows: int | None = None, title: str | None = None, ax=None, size: float = 4.0):
    """Draw a grid of generated (or real) images; returns the matplotlib axes."""
    import matplotlib.pyplot as plt

    canvas = grid(images, rows)
    if ax is None:
        _, ax = plt.subplots(figsize=(size, size * canvas.shape[0] / canvas.shape[1]))
    ax.imshow(canvas, cmap="gray" if canvas.ndim == 2 else None, vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_losses(history: dict, title: str = "Losses", ax=None, smooth: int = 1):
    """Plot each list in ``history`` (e.g. ``{"d_loss": [...], "g_loss": [...]}``) against the step."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for name, values in history.items():
        values = np.asarray(values, dtype="float64")
        if smooth > 1 and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
        ax.plot(values, label=name)
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.legend()
    return ax


def save_gif(frames, path, seconds_per_frame: float = 0.4) -> pathlib.Path:
    """Save a list of image batches (one grid per frame) as an animated GIF; returns the path."""
    from PIL import Image

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pictures = [Image.fromarray((grid(frame) * 255).astype("uint8")) for frame in frames]
    if not pictures:
        raise ValueError("save_gif needs at least one frame")
    pictures[0].save(path, save_all=True, append_images=pictures[1:],
                     duration=int(seconds_per_frame * 1000), loop=0)
    return path
