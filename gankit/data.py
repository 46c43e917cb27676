"""Datasets: where they live, how they are checked, and how they are loaded.

Every dataset is registered once, with its download address and sha256. The
package looks for data in this order:

1. the folder named by the environment variable ``GANKIT_DATA`` (tests, CI and
   offline machines point it at a copy of the datasets, laid out as
   ``<GANKIT_DATA>/mnist/mnist.npz`` and so on);
2. otherwise it downloads the file once with ``keras.utils.get_file``, which
   checks the sha256 and caches it under ``~/.keras/datasets``.

A missing or damaged file raises :class:`DataError`, whose message names the
file and says how to fix it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import zipfile

import numpy as np

DATA_ENV = "GANKIT_DATA"


class DataError(RuntimeError):
    """A dataset file is missing, damaged or not what we expected."""


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: where it comes from and the sha256 it must have."""

    name: str  # path relative to the data folder, e.g. "mnist/mnist.npz"
    url: str
    sha256: str


REGISTRY = {
    "mnist": RemoteFile(
        name="mnist/mnist.npz",
        url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ),
}


def data_dir() -> pathlib.Path | None:
    """The local data folder from ``GANKIT_DATA``, or None when it is not set."""
    value = os.environ.get(DATA_ENV, "").strip()
    if not value:
        return None
    path = pathlib.Path(value).expanduser()
    if not path.is_dir():
        raise DataError(
            f"{DATA_ENV}={value!r} is not a folder. Fix: point {DATA_ENV} at the folder that holds "
            f"mnist/mnist.npz (and the other datasets), or unset it to download the data."
        )
    return path


def sha256_of(path: str | os.PathLike) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _local_checksums(folder: pathlib.Path) -> dict[str, str]:
    """Checksums listed in ``<folder>/SHA256SUMS`` (``digest  relative/path`` lines), if any."""
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return {}
    table = {}
    for line in sums.read_text().splitlines():
        digest, _, name = line.strip().partition("  ")
        if digest and name:
            table[name.strip()] = digest.strip()
    return table


def fetch(key: str) -> pathlib.Path:
    """Return the local path of a registered file, downloading and checking it if needed."""
    if key not in REGISTRY:
        raise KeyError(f"unknown dataset {key!r}; known: {sorted(REGISTRY)}")
    entry = REGISTRY[key]
    folder = data_dir()
    if folder is not None:
        path = folder / entry.name
        if not path.is_file():
            raise DataError(
                f"{path} does not exist. Fix: copy {entry.name} into {folder}, "
                f"or unset {DATA_ENV} to download it from {entry.url}."
            )
        expected = _local_checksums(folder).get(entry.name)
        if expected and sha256_of(path) != expected:
            raise DataError(
                f"{path} is damaged: its sha256 does not match {folder / 'SHA256SUMS'}. "
                f"Fix: copy the file again, or unset {DATA_ENV} to download a fresh one."
            )
        return path
    import keras  # imported here so that `import gankit.data` stays light

    try:
        downloaded = keras.utils.get_file(
            fname=pathlib.Path(entry.name).name,
            origin=entry.url,
            file_hash=entry.sha256,
            hash_algorithm="sha256",
        )
    except Exception as error:  # network down, or the cached copy is damaged
        raise DataError(
            f"could not download {entry.url} ({error}). Fix: check your internet connection, "
            f"delete any half-downloaded copy under ~/.keras/datasets, or set {DATA_ENV} to a "
            f"folder that already holds {entry.name}."
        ) from error
    return pathlib.Path(downloaded)


def scale_to_tanh(images: np.ndarray) -> np.ndarray:
    """Map uint8 pixels in [0, 255] to float32 in [-1, 1], the range of a ``tanh`` output."""
    return images.astype("float32") / 127.5 - 1.0


def load_mnist(split: str = "train", limit: int | None = None, scaled: bool = True):
    """Load MNIST digits as ``(images, labels)``.

    ``images`` has shape ``(n, 28, 28, 1)``; with ``scaled=True`` (the default) it
    is float32 in [-1, 1], ready for a generator that ends in ``tanh``; with
    ``scaled=False`` it is the raw uint8 in [0, 255]. ``labels`` are int64 digits
    0-9. ``split`` is ``"train"`` (60,000 images) or ``"test"`` (10,000);
    ``limit`` keeps only the first ``limit`` images.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    path = fetch("mnist")
    try:
        with np.load(path) as archive:
            images = archive[f"x_{split}"]
            labels = archive[f"y_{split}"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(
            f"{path} is not a readable MNIST file ({type(error).__name__}: {error}). "
            f"Fix: delete it and run again to download a fresh copy, or point {DATA_ENV} "
            f"at a folder holding a good mnist/mnist.npz."
        ) from error
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise DataError(
            f"{path} holds x_{split} of shape {images.shape} and y_{split} of length {len(labels)}; "
            f"expected (n, 28, 28) and n labels. Fix: replace it with the original mnist.npz."
        )
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    images = images[..., None]
    if scaled:
        images = scale_to_tanh(images)
    return images, labels.astype("int64")
