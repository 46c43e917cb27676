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

Image datasets (``monet2photo`` for CycleGAN, ``edges2shoes`` for pix2pix) are
registered in :data:`IMAGE_DATASETS` with several download sources, tried in order
by :mod:`gankit.download`; :func:`image_dataset` returns their folder in the
canonical layout. Sources registered, and the checksums we could confirm:

* ``monet2photo.zip``: the canonical server
  ``efrosgans.eecs.berkeley.edu/cyclegan/datasets/`` and its older address
  ``people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/`` (the same files).
  Checksum confirmed from public material: tensorflow-datasets records this archive
  (``tensorflow_datasets/url_checksums/cycle_gan.txt``) as 305,231,073 bytes, sha256
  ``88f91b00...5fac05b04``. TFDS downloads from the same server, so it is a checksum
  source, not a second download source.
* ``edges2shoes.tar.gz``: the canonical server
  ``efrosgans.eecs.berkeley.edu/pix2pix/datasets/`` and its older address
  ``people.eecs.berkeley.edu/~tinghuiz/projects/pix2pix/datasets/``. No published
  sha256 or size was found (no tensorflow-datasets url_checksums file lists it), so both
  are **unverified**: a download is accepted only if it unpacks into ``train/`` and
  ``val/`` folders of images, and a warning prints the sha256 it had.
* Last resort, when every archive source fails: the community copies on the Hugging
  Face Hub (``huggan/monet2photo``, ``huggan/edges2shoes``), registered in
  :data:`HUB_COPIES`. They are parquet files, read with ``pyarrow`` (not a dependency
  of this package; Colab has it; without it this step is skipped with a message saying
  so), and rewritten into the canonical layout. No checksums were found for them, so
  they are unverified; their layout is checked and a warning says the data came from
  there. The edges2shoes copy merges train and val, so its ``val/`` is not the original.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import zipfile

import numpy as np

from gankit.download import DownloadError, Source, fetch_first, sha256_of, unpack

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


@dataclasses.dataclass(frozen=True)
class ImageArchive:
    """An image dataset distributed as one archive: its sources, layout and full size."""

    name: str  # the folder name, e.g. "monet2photo"
    filename: str  # the archive's file name, e.g. "monet2photo.zip"
    splits: tuple[str, ...]  # sub-folders of the canonical layout
    counts: dict  # images per split in the full archive (from the course brief)
    sources: tuple[Source, ...]
    terms: str


_TFDS = "tensorflow-datasets url_checksums/cycle_gan.txt"
_MONET_SHA = "88f91b00fc228f97c9411fbf1880ec1d119c98f1722e4cfcfaa2fb35fac05b04"

IMAGE_DATASETS = {
    "monet2photo": ImageArchive(
        name="monet2photo",
        filename="monet2photo.zip",
        splits=("trainA", "trainB", "testA", "testB"),
        counts={"trainA": 1072, "trainB": 6287, "testA": 121, "testB": 751},
        sources=(
            Source("https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/monet2photo.zip",
                   sha256=_MONET_SHA, size=305231073, checksum_from=_TFDS,
                   note="canonical server of the CycleGAN authors"),
            Source("https://people.eecs.berkeley.edu/~taesung_park/CycleGAN/datasets/monet2photo.zip",
                   sha256=_MONET_SHA, size=305231073, checksum_from=_TFDS,
                   note="the server's older address, the one TFDS recorded"),
        ),
        terms="Monet paintings from Wikiart, photos from Flickr; released by the CycleGAN authors "
              "(Zhu et al. 2017) for research use.",
    ),
    "edges2shoes": ImageArchive(
        name="edges2shoes",
        filename="edges2shoes.tar.gz",
        splits=("train", "val"),
        counts={"train": 49825, "val": 200},
        sources=(
            Source("https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/edges2shoes.tar.gz",
                   note="canonical server of the pix2pix authors; no published checksum"),
            Source("https://people.eecs.berkeley.edu/~tinghuiz/projects/pix2pix/datasets/edges2shoes.tar.gz",
                   note="the server's older address; no published checksum"),
        ),
        terms="Shoe photos from UT Zappos50K (Yu and Grauman; academic, non-commercial use), edge "
              "maps by the pix2pix authors (Isola et al. 2017); cite both.",
    ),
}

@dataclasses.dataclass(frozen=True)
class HubCopy:
    """A community copy on the Hugging Face Hub, as parquet files with ``imageA`` / ``imageB`` columns.

    ``files`` maps each split of the copy to its parquet paths in the repository. ``paired``
    copies are written back as one side-by-side ``<n>_AB.jpg`` file per row (re-encoded, JPEG
    quality 95); unpaired ones as ``<split>A/`` and ``<split>B/`` files with their original bytes,
    each distinct image once (the HugGAN copies repeat the smaller domain to fill every row).
    ``holdout`` moves the last rows of ``train`` into a split of that name, for copies that
    merged it into train. No checksums for these files were found: they are unverified.
    """

    repo: str
    revision: str
    files: dict
    paired: bool
    holdout: tuple[str, int] | None = None
    note: str = ""

    def url(self, path: str) -> str:
        return f"https://huggingface.co/datasets/{self.repo}/resolve/{self.revision}/{path}"


HUB_COPIES = {
    "monet2photo": HubCopy(
        repo="huggan/monet2photo", revision="main", paired=False,
        files={"train": ("data/train-00000-of-00001.parquet",), "test": ("data/test-00000-of-00001.parquet",)},
        note="'monet2photo-aligned': 6,287 train / 751 test rows, one per photo, Monet paintings repeated",
    ),
    "edges2shoes": HubCopy(
        repo="huggan/edges2shoes", revision="main", paired=True,
        files={"train": tuple(f"data/train-0000{i}-of-00006.parquet" for i in range(6))},
        holdout=("val", 200),
        note="one train split of 50,025 rows (the original 49,825 train + 200 val, merged); its last 200 "
             "rows become val/, which is therefore NOT the original validation set",
    ),
}


def _image_suffix(blob: bytes) -> str:
    return ".png" if blob[:8] == b"\x89PNG\r\n\x1a\n" else ".jpg"


def _side_by_side(blob_a: bytes, blob_b: bytes) -> bytes:
    """One pix2pix pair file: A on the left, B on the right, as JPEG (quality 95)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(blob_a)) as left, Image.open(io.BytesIO(blob_b)) as right:
        left, right = left.convert("RGB"), right.convert("RGB").resize(left.size)
        both = Image.new("RGB", (left.width * 2, left.height))
        both.paste(left, (0, 0))
        both.paste(right, (left.width, 0))
        buffer = io.BytesIO()
        both.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def hub_rows_to_layout(rows_by_split: dict, root: str | os.PathLike, copy: HubCopy) -> dict:
    """Write rows (dicts with ``imageA`` / ``imageB`` ``{"bytes": ...}``) into the canonical layout.

    ``rows_by_split`` maps each split to an iterable of rows, read once, in order (memory stays
    at ``holdout`` rows). Returns the number of files written per folder.
    """
    import collections
    import hashlib

    root = pathlib.Path(root)
    counts: dict[str, int] = {}

    def write(folder: str, name: str, blob: bytes) -> None:
        target = root / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob)
        counts[folder] = counts.get(folder, 0) + 1

    for split, rows in rows_by_split.items():
        held = copy.holdout[1] if copy.holdout and split == "train" else 0
        waiting: collections.deque = collections.deque()
        seen: dict[str, set] = {"A": set(), "B": set()}
        for number, row in enumerate(rows, start=1):
            blob_a, blob_b = row["imageA"]["bytes"], row["imageB"]["bytes"]
            if copy.paired:
                waiting.append((number, blob_a, blob_b))
                if len(waiting) > held:  # all but the last `held` rows go to this split
                    number, blob_a, blob_b = waiting.popleft()
                    write(split, f"{number}_AB.jpg", _side_by_side(blob_a, blob_b))
                continue
            for domain, blob in (("A", blob_a), ("B", blob_b)):
                digest = hashlib.sha256(blob).hexdigest()
                if digest not in seen[domain]:
                    seen[domain].add(digest)
                    write(f"{split}{domain}", f"{len(seen[domain]):05d}{_image_suffix(blob)}", blob)
        for number, blob_a, blob_b in waiting:
            write(copy.holdout[0], f"{number}_AB.jpg", _side_by_side(blob_a, blob_b))
    return counts


def _from_hub(name: str, entry: ImageArchive, cache: pathlib.Path, target: pathlib.Path) -> None:
    """Build ``target`` from the registered Hugging Face copy; raises with a reason when it cannot."""
    from gankit.download import download, parquet_rows

    copy = HUB_COPIES[name]
    try:
        import pyarrow.parquet  # noqa: F401  (checked before downloading hundreds of MB)
    except ImportError as error:
        raise ImportError("needs pyarrow to read parquet, which is not installed. Fix: pip install pyarrow "
                          "(Colab already has it)") from error
    folder = cache / "hub" / copy.repo.replace("/", "--")
    local = {split: [download(Source(copy.url(path)), folder / path) for path in paths]
             for split, paths in copy.files.items()}
    rows = {split: (row for path in paths for row in parquet_rows(path, ["imageA", "imageB"]))
            for split, paths in local.items()}
    staging = cache / f".{name}.from-hub"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        counts = hub_rows_to_layout(rows, staging, copy)
        _check_layout(staging, entry, "the Hugging Face copy did not have the expected columns or splits.")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        shutil.rmtree(folder, ignore_errors=True)  # the parquet files are not needed any more
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    import warnings

    warnings.warn(f"{name} was built from the unverified Hugging Face copy {copy.repo} ({copy.note}); "
                  f"files per folder: {counts}", stacklevel=3)


def downloads_dir() -> pathlib.Path:
    """Where downloaded archives and their unpacked folders live: ``$KERAS_HOME/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(home) / "datasets"


def _find_layout(root: pathlib.Path, splits) -> pathlib.Path | None:
    """The folder under ``root`` (itself or one level down) that holds every split."""
    for candidate in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
        if all((candidate / split).is_dir() for split in splits):
            return candidate
    return None


def _check_layout(folder: pathlib.Path, entry: ImageArchive, fix: str) -> pathlib.Path:
    missing = [split for split in entry.splits if not (folder / split).is_dir()]
    if missing:
        raise DataError(
            f"{folder} has no {', '.join(s + '/' for s in missing)} folder(s); {entry.name} needs "
            f"{', '.join(s + '/' for s in entry.splits)}. Fix: {fix}"
        )
    return folder


def image_dataset(name: str, download: bool = True, data: str = "all") -> pathlib.Path:
    """The folder of a registered image dataset, in its canonical layout.

    ``data="all"``: the whole dataset. With ``GANKIT_DATA`` set, it is ``<GANKIT_DATA>/<name>``
    (for example the course's small offline subsets). Otherwise it is
    ``<downloads_dir()>/<name>``, downloaded from the registered sources and unpacked on first
    use (an archive already placed at ``<downloads_dir()>/<filename>`` is checked and unpacked
    without downloading).

    ``data="course"`` (or another name registered in :mod:`gankit.subsets`): a folder holding
    exactly that subset, the images a notebook's stated numbers were measured on; see
    :func:`course_subset`.
    """
    if name not in IMAGE_DATASETS:
        raise KeyError(f"unknown image dataset {name!r}; known: {sorted(IMAGE_DATASETS)}")
    if data != "all":
        return course_subset(name, data, download)
    entry = IMAGE_DATASETS[name]
    folder = data_dir()
    if folder is not None:
        path = folder / name
        if not path.is_dir():
            raise DataError(
                f"{path} does not exist. Fix: put the unpacked {entry.filename} there (it must hold "
                f"{', '.join(s + '/' for s in entry.splits)}), or unset {DATA_ENV} to download it."
            )
        return _check_layout(path, entry, f"unpack {entry.filename} there again, or unset {DATA_ENV}.")
    cache = downloads_dir()
    target = cache / name
    if target.is_dir():
        return _check_layout(target, entry, f"delete {target} and run again to unpack it afresh.")
    if not download:
        raise DataError(f"{target} does not exist and download=False. Fix: call with download=True.")

    def unpack_and_check(archive: pathlib.Path, source: Source) -> None:
        staging = cache / f".{name}.unpacked"
        try:
            unpack(archive, staging)
            root = _find_layout(staging, entry.splits)
            if root is None:
                raise DataError(f"{archive.name} does not hold the folders "
                                f"{', '.join(s + '/' for s in entry.splits)}")
            empty = [split for split in entry.splits if not any((root / split).iterdir())]
            if empty:
                raise DataError(f"{archive.name} has empty folders: {', '.join(s + '/' for s in empty)}")
            if target.exists():
                shutil.rmtree(target)
            os.replace(root, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    archive = cache / entry.filename
    if archive.is_file() and not any(s.verified for s in entry.sources):
        # nothing to check a hand-placed copy against: the layout check is all there is
        try:
            unpack_and_check(archive, entry.sources[0])
            return target
        except Exception as error:
            raise DataError(f"{archive} could not be unpacked ({error}). Fix: delete it and run again, "
                            f"or replace it with a good copy.") from error
    put_it = (f"unpack it and set {DATA_ENV} to the folder that holds {name}/ "
              f"(with {', '.join(s + '/' for s in entry.splits)} inside)")
    try:
        fetch_first(entry.filename, list(entry.sources), cache, accept=unpack_and_check,
                    manual_url=entry.sources[0].url, put_it=put_it)
    except DownloadError as error:
        if name not in HUB_COPIES:
            raise DataError(f"{error}\nTerms of use: {entry.terms}") from error
        copy = HUB_COPIES[name]
        try:
            _from_hub(name, entry, cache, target)
        except Exception as hub_error:
            raise DataError(
                f"{error}\nLast resort, the unverified Hugging Face copy https://huggingface.co/datasets/"
                f"{copy.repo} ({copy.note}) failed too: {type(hub_error).__name__}: {hub_error}"
                f"\nTerms of use: {entry.terms}"
            ) from error
        return target
    if not target.is_dir():  # the cached archive matched a checksum but was never unpacked here
        unpack_and_check(archive, entry.sources[0])
    return target


def course_subset(name: str, subset: str = "course", download: bool = True) -> pathlib.Path:
    """A folder holding exactly the named subset of image dataset ``name`` (:mod:`gankit.subsets`).

    Looked for, in order: in ``<GANKIT_DATA>/<name>`` when ``GANKIT_DATA`` is set (and only
    there); in an earlier selection or a full copy already under :func:`downloads_dir`; then
    the subset's own small download. Every file is matched by its sha256, so other files
    beside it (a full download) are left out.

    Where the subset cannot be had (a data folder without it, its download not published or
    unreachable), the notebook still runs: a warning says so, names the fix, and the whole
    dataset is used instead (``image_dataset(name)``: the data folder, or the full download).
    The numbers a notebook states are the subset's, and the warning says that too.
    """
    from gankit import subsets

    chosen = subsets.load(name, subset)
    selection = downloads_dir() / "subsets" / f"{name}-{subset}" / name
    folder = data_dir()
    if folder is not None:
        try:
            return subsets.select(folder / name, chosen, selection)
        except (subsets.SubsetError, OSError) as error:
            return _whole_instead(name, chosen, str(error), f"put the subset's files in {folder / name}, or unset "
                                  f"{DATA_ENV} to download the subset", download)
    for root in (selection, downloads_dir() / name):
        if root.is_dir():
            try:
                return subsets.select(root, chosen, selection)
            except subsets.SubsetError:
                pass  # not all of it here (a full download lacks most of monet2photo's subset): go on
    if not download:
        return _whole_instead(name, chosen, f"it is not under {downloads_dir()} and download=False",
                              "call with download=True", download)
    print(f"downloading {chosen.describe()}: {chosen.archive.size / 1e6:.1f} MB")
    cache = downloads_dir()
    staging = cache / "subsets" / f".{name}-{subset}.unpacked"
    try:
        archive, _ = fetch_first(f"{name}-{subset}.zip", [chosen.archive], cache,
                                 manual_url=chosen.archive.url,
                                 put_it=f"unpack it and set {DATA_ENV} to the folder that holds {name}/")
        unpack(archive, staging)
        # the zip's files sit under <name>/, so staging is never exactly the subset: select links
        # them into ``selection``, and staging can go (finally, below)
        return subsets.select(staging, chosen, selection)
    except (DownloadError, subsets.SubsetError) as error:
        return _whole_instead(name, chosen, str(error), f"place {name}-{subset}.zip (from {chosen.archive.url}) in "
                              f"{cache} and run again", download)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _whole_instead(name: str, chosen, why: str, fix: str, download: bool) -> pathlib.Path:
    """Warn that the subset is missing, then return the whole dataset: a learner's run goes on."""
    import warnings

    entry = IMAGE_DATASETS[name]
    warnings.warn(f"{chosen.describe()} could not be found or fetched: {why}\nUsing the whole {name} dataset instead "
                  f"({sum(entry.counts.values()):,} images). This notebook's stated numbers were measured on the "
                  f"subset, so yours will differ. Fix: {fix}; or pass data=\"all\" to use the whole dataset on "
                  f"purpose (and silence this warning).", stacklevel=3)
    return image_dataset(name, download=download)


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
