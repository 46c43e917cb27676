"""Folders of images for image-to-image translation: decoded once, cached, served in batches.

Three kinds of folder:

* **unpaired domains** in the canonical CycleGAN layout ``trainA/ trainB/ testA/ testB/``
  (:func:`load_unpaired`);
* **paired files** as pix2pix ships them, each one image twice as wide as tall with the
  input (A, e.g. the edge map) on the left and the target (B, the photo) on the right
  (:func:`load_pairs`);
* any **folder of images** (:func:`load_folder`): nested sub-folders, names with spaces,
  mixed sizes and formats (JPEG, PNG, greyscale, RGBA, palette); each image is made square by
  one of three fits (:data:`FITS`: centre-crop, pad or stretch), then resized, in colour or
  greyscale.

Every image is decoded once, at one chosen resolution, and the uint8 result is cached as
``.npy`` files under ``GANKIT_CACHE/images/``, keyed by the folder's content (each file's
relative path, size and modification time) and the resolution, so a second load takes a
fraction of a second and a changed folder is decoded afresh. Decoding writes straight to disk,
a chunk at a time, and arrays above 1 GiB are memory-mapped rather than read into memory, so
the full edges2shoes (about 24 GB at 286 px) loads on a machine with less memory than that.

Bad files never stop a load half-way: a truncated or unreadable image, a file that is not an
image, and a pair file of the wrong shape are each skipped with a warning that names the file
(repeated when the cache is used). A missing split or a folder without usable images raises
:class:`gankit.data.DataError`, naming the folder and the fix.

:class:`ImageBatches` serves the arrays as float32 batches in [-1, 1] with the paper's
random jitter: load at ``jitter_size(size)`` (286 for 256), randomly crop ``size``, and flip
left-right at random; both halves of a pair get the same crop and flip. It is a Keras
``PyDataset`` rather than a ``tf.data`` pipeline because the course runs on TensorFlow and
JAX alike, and once the images sit decoded in memory a batch is only numpy slicing
(microseconds), so nothing is gained by tying the JAX path to TensorFlow.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import pathlib
import shutil
import tempfile
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from gankit.data import DataError

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
# How a non-square image becomes square (load_folder's ``fit``):
FITS = {
    "crop": "keep the centre square, cut the rest off (a portrait loses its top and bottom)",
    "pad": "shrink the whole image into the square and fill the rest with a plain colour (nothing is lost; "
           "bars appear)",
    "resize": "stretch the image to the square (nothing is lost; a portrait gets wider and shorter)",
}
CACHE_ENV = "GANKIT_CACHE"
_CACHE_VERSION = 1


class BadImage(ValueError):
    """One file could not be used; the message names it and says why."""


def jitter_size(size: int) -> int:
    """The resolution to load at for random-crop jitter to ``size`` (the papers: 286 for 256)."""
    return int(round(size * 286 / 256))


def cache_dir() -> pathlib.Path:
    """Where decoded images are cached: ``$GANKIT_CACHE/images`` (default ``~/.cache/gankit``)."""
    root = os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "gankit")
    return pathlib.Path(root) / "images"


def list_images(folder: str | os.PathLike, recursive: bool = True) -> list[pathlib.Path]:
    """The image files in ``folder`` (and its sub-folders), in a stable sorted order.

    Files whose extension is not an image's are skipped with a warning naming them (hidden
    files such as ``.DS_Store`` silently). A missing folder, or one without image files,
    raises :class:`DataError`.
    """
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder. Fix: check the path, or put the images there.")
    found = folder.rglob("*") if recursive else folder.iterdir()
    images = []
    for path in sorted(found):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            images.append(path)
        else:
            warnings.warn(f"skipping {path}: not an image file (extension {path.suffix or 'none'!r}; "
                          f"expected one of {', '.join(sorted(IMAGE_EXTENSIONS))})", stacklevel=2)
    if not images:
        others = [p for p in sorted(folder.rglob("*") if recursive else folder.iterdir()) if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
        found = (f" It holds {len(others)} other file(s), e.g. {others[0].name!r} (see the warnings above)."
                 if others else " It is empty.")
        raise DataError(f"{folder} holds no image files. Fix: put .jpg or .png images in it "
                        f"(sub-folders are searched too), or point at the folder that holds them.{found}")
    return images


def _open_rgb(path: pathlib.Path, draft_size: tuple[int, int] | None) -> Image.Image:
    """Decode a file fully into an RGB image, or raise :class:`BadImage` naming it."""
    try:
        with Image.open(path) as image:
            if draft_size is not None and image.format == "JPEG":
                image.draft("RGB", draft_size)  # decode JPEGs at reduced scale: much faster
            image.load()  # a truncated file fails here, not later
            image = ImageOps.exif_transpose(image)  # phone photos: upright as the camera meant
            if image.mode in ("RGBA", "LA", "P"):
                image = image.convert("RGBA")
                background = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, image)
            return image.convert("RGB")
    except UnidentifiedImageError as error:
        raise BadImage(f"{path} is not an image PIL can read ({error})") from error
    except Image.DecompressionBombError as error:
        raise BadImage(f"{path} is too large to decode safely ({error})") from error
    except (OSError, SyntaxError, ValueError) as error:  # truncated or damaged data
        raise BadImage(f"{path} is damaged or truncated ({error})") from error


def _square(image: Image.Image, size: int) -> np.ndarray:
    """Centre-crop to a square, resize to ``size`` x ``size``, as uint8 (size, size, 3)."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return np.asarray(image, dtype=np.uint8)


def fit_square(image: Image.Image, size: int, fit: str = "crop", fill: tuple[int, int, int] = (0, 0, 0)
               ) -> np.ndarray:
    """Make an RGB image ``size`` x ``size`` by one of the :data:`FITS`, as uint8 (size, size, 3).

    ``"crop"`` keeps the centre square; ``"pad"`` shrinks the whole image so that its longer
    side is ``size`` and fills the rest with ``fill``, centred (the aspect ratio is kept);
    ``"resize"`` stretches it.
    """
    check_fit(fit)
    if fit == "crop":
        return _square(image, size)
    if fit == "resize":
        return np.asarray(image.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=2.0), dtype=np.uint8)
    width, height = image.size
    scale = size / max(width, height)
    inner = (max(1, round(width * scale)), max(1, round(height * scale)))
    canvas = Image.new("RGB", (size, size), tuple(fill))
    canvas.paste(image.resize(inner, Image.Resampling.BICUBIC, reducing_gap=2.0),
                 ((size - inner[0]) // 2, (size - inner[1]) // 2))
    return np.asarray(canvas, dtype=np.uint8)


def check_fit(fit: str) -> str:
    """``fit`` if it is one of :data:`FITS`, else a ValueError that lists them."""
    if fit not in FITS:
        raise ValueError(f"fit is {fit!r}; choose one of " + "; ".join(f"{k!r}: {v}" for k, v in FITS.items()) + ".")
    return fit


def read_image(path: str | os.PathLike, size: int, fit: str = "crop") -> np.ndarray:
    """One image as uint8 ``(size, size, 3)``: RGB, made square by ``fit`` (see :data:`FITS`), resized."""
    path = pathlib.Path(path)
    return fit_square(_open_rgb(path, (size, size)), size, check_fit(fit))


def to_grey(images: np.ndarray) -> np.ndarray:
    """RGB uint8 images ``(..., 3)`` as greyscale ``(..., 1)`` (ITU-R 601 luma, as PIL's ``convert("L")``)."""
    weights = np.array([299, 587, 114], dtype=np.uint32)
    grey = (images[..., :3].astype(np.uint32) @ weights + 500) // 1000
    return grey.astype(np.uint8)[..., None]


def read_pair(path: str | os.PathLike, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Split one pix2pix file into its left half (A) and right half (B), each ``(size, size, 3)``.

    A file that is not twice as wide as tall raises :class:`BadImage` naming it and its shape.
    """
    path = pathlib.Path(path)
    try:
        with Image.open(path) as probe:  # reads the header only
            width, height = probe.size
    except UnidentifiedImageError as error:
        raise BadImage(f"{path} is not an image PIL can read ({error})") from error
    except OSError as error:
        raise BadImage(f"{path} could not be opened ({error})") from error
    if width != 2 * height:
        raise BadImage(f"{path} is {width}x{height} (width x height); a pair file must be twice as wide "
                       f"as tall, input on the left and target on the right (edges2shoes: 512x256)")
    image = _open_rgb(path, (2 * size, size))
    width, height = image.size
    half = width // 2
    left = image.crop((0, 0, half, height))
    right = image.crop((half, 0, 2 * half, height))
    return _square(left, size), _square(right, size)


def _content_key(kind: str, folder: pathlib.Path, files: list[pathlib.Path], size: int) -> str:
    entries = []
    for path in files:
        stat = path.stat()
        entries.append([str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns])
    blob = json.dumps([_CACHE_VERSION, kind, size, entries]).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def _warn_skipped(skipped) -> None:
    for message in skipped:
        warnings.warn(f"skipping {message}", stacklevel=4)


MMAP_BYTES = 1 << 30  # cached arrays larger than this are memory-mapped, not read into memory


def _read_entry(entry: pathlib.Path, n_arrays: int, mmap: bool | None):
    meta = json.loads((entry / "meta.json").read_text())
    arrays = []
    for i in range(n_arrays):
        path = entry / f"array{i}.npy"
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        use_map = mapped.nbytes > MMAP_BYTES if mmap is None else mmap
        arrays.append(mapped if use_map else np.array(mapped))
    return arrays, meta["names"], meta["skipped"]


def _decode_into(entry: pathlib.Path, folder: pathlib.Path, files, decode, n_arrays: int, size: int,
                 workers: int | None):
    """Decode ``files`` in chunks, straight into ``.npy`` files in ``entry``; bad files are left out.

    Memory stays at one chunk of images whatever the folder's size: the arrays grow on disk.
    """
    workers = workers or min(8, os.cpu_count() or 1)
    shape = (len(files), size, size, 3)
    outs = [np.lib.format.open_memmap(entry / f"array{i}.npy", "w+", np.uint8, shape) for i in range(n_arrays)]
    names, skipped, row = [], [], 0
    chunk = 256
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:  # PIL decodes without the GIL
        for first in range(0, len(files), chunk):
            batch = files[first:first + chunk]
            futures = [pool.submit(decode, path) for path in batch]
            for path, future in zip(batch, futures):
                try:
                    value = future.result()
                except BadImage as error:
                    skipped.append(str(error))
                    continue
                for i, out in enumerate(outs):
                    out[row] = value if n_arrays == 1 else value[i]
                names.append(str(path.relative_to(folder)))
                row += 1
    for out in outs:
        out.flush()
    del outs
    if row < len(files):  # some files were skipped: rewrite the arrays at their real length
        for i in range(n_arrays):
            path = entry / f"array{i}.npy"
            full = np.load(path, mmap_mode="r")
            trimmed = np.lib.format.open_memmap(entry / f"trim{i}.npy", "w+", np.uint8, (row, size, size, 3))
            trimmed[:] = full[:row]
            trimmed.flush()
            del full, trimmed
            os.replace(entry / f"trim{i}.npy", path)
    (entry / "meta.json").write_text(json.dumps({"names": names, "skipped": skipped}))
    return names, skipped


def _cached(kind: str, folder: pathlib.Path, size: int, decode, n_arrays: int, use_cache: bool,
            recursive: bool, workers: int | None, limit: int | None = None, mmap: bool | None = None):
    """Load (or decode and store) the arrays of one folder; returns (arrays..., names).

    The cache entry is a folder ``<kind>-<size>px-<key>/`` holding ``array0.npy`` (and
    ``array1.npy`` for pairs) and ``meta.json`` (names, skipped files). It is written under a
    temporary name and renamed into place, so a reader never sees half an entry.
    """
    files = list_images(folder, recursive=recursive)
    if limit is not None:
        files = files[:limit]
    entry = cache_dir() / f"{kind}-{size}px-{_content_key(kind, folder, files, size)}"
    if use_cache and entry.is_dir():
        try:
            arrays, names, skipped = _read_entry(entry, n_arrays, mmap)
            _warn_skipped(skipped)
            return (*arrays, names)
        except (OSError, ValueError, KeyError) as error:  # a damaged entry is rebuilt
            warnings.warn(f"rebuilding the damaged cache entry {entry} ({error})", stacklevel=3)
            shutil.rmtree(entry, ignore_errors=True)
    entry.parent.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        names, skipped = _decode_into(work, folder, files, decode, n_arrays, size, workers)
        _warn_skipped(skipped)
        if not names:
            raise DataError(f"{folder}: none of its {len(files)} image files could be read (see the warnings "
                            f"above). Fix: replace the damaged files, or point at the right folder.")
        source = work
        if use_cache:
            try:
                os.replace(work, entry)  # atomic
                source = entry
            except OSError:  # another process stored the same entry first: read ours, then drop it
                pass
        arrays, _, _ = _read_entry(source, n_arrays, mmap if source == entry else False)
        return (*arrays, names)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # gone already when it became the entry


def load_folder(folder: str | os.PathLike, size: int, *, fit: str = "crop", channels: int = 3,
                limit: int | None = None, recursive: bool = True, cache: bool = True, mmap: bool | None = None,
                workers: int | None = None) -> tuple[np.ndarray, list[str]]:
    """Every image under ``folder`` as uint8 ``(n, size, size, channels)``, and their relative names.

    Images of any size and format (greyscale, RGBA and palette images included; transparency
    becomes white) are made square by ``fit`` (``"crop"``, ``"pad"`` or ``"resize"``, see
    :data:`FITS`) and resized; ``channels=1`` turns them grey. Bad files are skipped with a
    warning naming them. ``limit`` keeps the first ``limit`` files in sorted order (a smaller
    profile). The array needs ``n * size * size * 3`` bytes; above 1 GiB it is memory-mapped
    from the cache (read-only) unless ``mmap=False``.
    """
    folder = pathlib.Path(folder)
    check_fit(fit)
    if channels not in (1, 3):
        raise ValueError(f"channels is {channels!r}; choose 3 (colour) or 1 (greyscale).")
    kind = "folder" if fit == "crop" else f"folder{fit}"  # crop keeps the cache entries it always had
    pictures, names = _cached(kind, folder, size, lambda p: read_image(p, size, fit), 1, cache, recursive, workers,
                              limit, mmap)
    return (to_grey(pictures) if channels == 1 else pictures), names


def load_pairs(folder: str | os.PathLike, size: int, *, limit: int | None = None, cache: bool = True,
               mmap: bool | None = None, workers: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The pix2pix pair files under ``folder`` as ``(inputs A, targets B, names)``.

    Each file is split into its left half (A) and right half (B), each uint8
    ``(n, size, size, 3)``. Files of the wrong shape and unreadable ones are skipped with a
    warning naming them.
    """
    folder = pathlib.Path(folder)
    return _cached("pairs", folder, size, lambda p: read_pair(p, size), 2, cache, True, workers, limit, mmap)


def _split_folder(root: pathlib.Path, split: str) -> pathlib.Path:
    folder = root / split
    if not folder.is_dir():
        present = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        raise DataError(
            f"{folder} is missing (found: {', '.join(present) or 'nothing'} in {root}). The layout must be "
            f"trainA/ trainB/ testA/ testB/ for unpaired domains, or train/ val/ for pair files. "
            f"Fix: unpack the dataset archive into {root} again, or create the folder."
        )
    return folder


def load_unpaired(root: str | os.PathLike, split: str = "train", size: int = 64, *, limit: int | None = None,
                  cache: bool = True, workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The two domains of ``root/<split>A`` and ``root/<split>B`` as uint8 image arrays.

    ``split`` is ``"train"`` or ``"test"``; the two arrays may hold different numbers of images
    (the domains are unpaired). ``limit`` keeps at most that many images per domain.
    """
    root = pathlib.Path(root)
    domain_a, _ = load_folder(_split_folder(root, f"{split}A"), size, limit=limit, cache=cache, workers=workers)
    domain_b, _ = load_folder(_split_folder(root, f"{split}B"), size, limit=limit, cache=cache, workers=workers)
    return domain_a, domain_b


def load_paired(root: str | os.PathLike, split: str = "train", size: int = 64, *, limit: int | None = None,
                cache: bool = True, workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The pair files of ``root/<split>`` (``"train"`` or ``"val"``) as ``(inputs A, targets B)``."""
    inputs, targets, _ = load_pairs(_split_folder(pathlib.Path(root), split), size, limit=limit, cache=cache,
                                    workers=workers)
    return inputs, targets


def to_tanh_range(images: np.ndarray) -> np.ndarray:
    """uint8 pixels in [0, 255] as float32 in [-1, 1], the range of a ``tanh`` output."""
    return images.astype("float32") / 127.5 - 1.0


def _import_pydataset():
    import keras

    return keras.utils.PyDataset


class ImageBatches(_import_pydataset()):
    """Batches of one image array, of pairs, or of two unpaired domains, with jitter and flips.

    * ``ImageBatches(images)`` yields ``x``;
    * ``ImageBatches(a, b, paired=True)`` yields ``(a, b)`` where row i of both comes from the
      same pair and gets the **same** random crop and flip;
    * ``ImageBatches(a, b, paired=False)`` yields ``(a, b)`` drawn independently from each
      domain; an epoch is as long as the larger domain, the smaller one is reshuffled and
      reused.

    Batches are float32 in [-1, 1] of shape ``(batch_size, crop, crop, 3)``. With
    ``jitter=True`` each image is cropped at a random place (load the arrays at
    ``jitter_size(crop)`` for the papers' 286 -> 256 jitter) and flipped left-right with
    probability 1/2 (``flip=False`` keeps the crops and leaves out the flips, for pictures
    whose left and right differ in meaning: text, digits, chest X-rays); with ``jitter=False``
    the centre is cropped and nothing is flipped.
    Randomness depends only on ``seed``, the epoch and the batch index, so batches are the
    same on every backend and with any number of workers. Incomplete last batches are dropped
    (a compiled step sees one shape), so ``batch_size`` must not exceed the number of images.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray | None = None, *, batch_size: int = 1,
                 crop: int | None = None, jitter: bool = True, paired: bool | None = None,
                 shuffle: bool = True, seed: int = 0, flip: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.a, self.b = np.asarray(a), None if b is None else np.asarray(b)
        for name, array in (("a", self.a), ("b", self.b)):
            if array is not None and (array.ndim != 4 or array.shape[-1] not in (1, 3)):
                raise ValueError(f"{name} must be images of shape (n, height, width, channels), got {array.shape}")
            if array is not None and array.dtype != np.uint8:  # scaled twice, every pixel would sit near -1
                raise ValueError(f"{name} holds {array.dtype} values; ImageBatches takes the uint8 pixels (0 to 255) "
                                 f"that load_folder returns and scales them to [-1, 1] itself. Fix: pass the images "
                                 f"as loaded, without to_tanh_range.")
        if paired is None:
            paired = self.b is not None
        if paired and self.b is not None and self.a.shape[:3] != self.b.shape[:3]:
            raise ValueError(f"paired arrays must match in number and size, got {self.a.shape} and {self.b.shape}")
        self.paired = paired
        self.crop = crop or self.a.shape[1]
        smallest = min(self.a.shape[1], self.a.shape[2], *(() if self.b is None else self.b.shape[1:3]))
        if self.crop > smallest:
            raise ValueError(f"crop={self.crop} is larger than the images ({smallest} px). Fix: load them at "
                             f"jitter_size({self.crop}) = {jitter_size(self.crop)} or crop less.")
        counts = [len(self.a)] + ([] if self.b is None else [len(self.b)])
        if batch_size > min(counts):
            raise ValueError(f"batch_size={batch_size} is larger than the number of images ({min(counts)}). "
                             f"Fix: use a smaller batch_size.")
        self.batch_size, self.jitter, self.shuffle, self.seed = batch_size, jitter, shuffle, seed
        self.flip = bool(flip)
        self.epoch = 0
        self._orders = self._new_orders()

    def _new_orders(self):
        rng = np.random.default_rng([self.seed, self.epoch, 1])
        n_steps = len(self)
        orders = []
        sizes = [len(self.a)] if (self.b is None or self.paired) else [len(self.a), len(self.b)]
        for count in sizes:
            need = n_steps * self.batch_size
            parts = []
            while sum(len(p) for p in parts) < need:
                parts.append(rng.permutation(count) if self.shuffle else np.arange(count))
            orders.append(np.concatenate(parts)[:need])
        return orders

    def __len__(self) -> int:
        if self.b is None or self.paired:
            return len(self.a) // self.batch_size
        return max(len(self.a), len(self.b)) // self.batch_size

    def _take(self, array, rows, offsets, flips):
        out = np.empty((len(rows), self.crop, self.crop, array.shape[-1]), dtype=array.dtype)
        for i, (row, (top, left), flip) in enumerate(zip(rows, offsets, flips)):
            patch = array[row, top:top + self.crop, left:left + self.crop]
            out[i] = patch[:, ::-1] if flip else patch
        return to_tanh_range(out)

    def _jitter(self, rng, array, n):
        height, width = array.shape[1:3]
        if self.jitter:
            tops = rng.integers(0, height - self.crop + 1, n)
            lefts = rng.integers(0, width - self.crop + 1, n)
            flips = (rng.random(n) < 0.5) & self.flip  # drawn either way: flip=False changes no crop
        else:
            tops = np.full(n, (height - self.crop) // 2)
            lefts = np.full(n, (width - self.crop) // 2)
            flips = np.zeros(n, bool)
        return list(zip(tops, lefts)), flips

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range (0..{len(self) - 1})")
        rng = np.random.default_rng([self.seed, self.epoch, 2, index])
        span = slice(index * self.batch_size, (index + 1) * self.batch_size)
        rows_a = self._orders[0][span]
        offsets, flips = self._jitter(rng, self.a, len(rows_a))
        batch_a = self._take(self.a, rows_a, offsets, flips)
        if self.b is None:
            return batch_a
        if self.paired:  # the same crop and flip for both halves of each pair
            return batch_a, self._take(self.b, rows_a, offsets, flips)
        rows_b = self._orders[1][span]
        offsets_b, flips_b = self._jitter(rng, self.b, len(rows_b))
        return batch_a, self._take(self.b, rows_b, offsets_b, flips_b)

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._orders = self._new_orders()
