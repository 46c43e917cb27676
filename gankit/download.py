"""Downloads that survive the real world: several sources, checksums, resumption, safe unpacking.

A dataset archive is registered with a list of :class:`Source` objects, tried in order.
Each transfer

* writes to ``<cache>/<file>.part`` and shows progress (:mod:`gankit.progress`);
* resumes a broken transfer with an HTTP ``Range`` request (from the same call's retries or
  from a ``.part`` file an earlier run left behind);
* is checked against the source's size and sha256 before it is renamed, atomically, into
  the cache (``os.replace``), so the cache never holds a half-written or unchecked archive.

A source without a published sha256 is **unverified**: its file is accepted only if it
unpacks into the layout the dataset expects (the caller checks that), and a warning prints
the sha256 it got so an instructor can record it. When every source fails,
:class:`DownloadError` lists each source with its error and says where to get the archive
by hand and exactly where to put it.

Archives are unpacked by :func:`unpack`, which refuses members that would land outside the
target folder (absolute paths, ``..``, links, devices) and renames the finished folder into
place atomically.

Only the standard library is used (``urllib``), so this module works without extra packages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import pathlib
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile

from gankit.progress import Progress

CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """No source delivered a good copy of a file; the message says what to do instead."""


class ChecksumError(ValueError):
    """A downloaded file does not have the size or sha256 its source promises."""


class BrokenTransfer(OSError):
    """The server closed the connection before the whole file arrived."""


class UnsafeArchive(ValueError):
    """An archive member would be written outside the target folder."""


@dataclasses.dataclass(frozen=True)
class Source:
    """One place a file can come from.

    ``sha256`` and ``size`` are what the file must have; ``sha256=None`` marks the source
    **unverified** (see the module docstring for what happens then). ``checksum_from`` says
    where the checksum was published, ``note`` anything a person choosing a source should know.
    """

    url: str
    sha256: str | None = None
    size: int | None = None
    checksum_from: str = ""
    note: str = ""

    @property
    def verified(self) -> bool:
        return self.sha256 is not None


def sha256_of(path: str | os.PathLike) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _part_path(dest: pathlib.Path, source: Source) -> pathlib.Path:
    """Where a transfer in progress lives: one ``.part`` per expected content."""
    tag = (source.sha256 or hashlib.sha256(source.url.encode()).hexdigest())[:12]
    return dest.with_name(f"{dest.name}.{tag}.part")


def _transfer(url: str, part: pathlib.Path, expected_size: int | None, timeout: float,
              bar: Progress | None) -> None:
    """Append the rest of ``url`` to ``part`` (a Range request when ``part`` has bytes).

    Raises :class:`BrokenTransfer` when the connection ends early.
    """
    have = part.stat().st_size if part.exists() else 0
    if expected_size is not None and have > expected_size:
        part.unlink()  # longer than the real file: start again
        have = 0
    if expected_size is not None and have == expected_size:
        return
    request = urllib.request.Request(url, headers={"User-Agent": "gankit-download/1"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:  # nothing left to send: the part may already be whole
            return
        raise
    with response:
        if have and response.status != 206:  # the server ignored Range: start from zero
            have = 0
        length = response.headers.get("Content-Length")
        remaining = int(length) if length is not None else None
        total = expected_size or (have + remaining if remaining is not None else None)
        if bar is not None:
            bar.total = total
        received = 0
        with open(part, "ab" if have else "wb") as out:
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (OSError, ValueError) as error:  # IncompleteRead, reset, timeout
                    raise BrokenTransfer(f"connection broke after {have + received} bytes: {error}") from error
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(have + received)
        if remaining is not None and received < remaining:
            raise BrokenTransfer(f"connection closed after {have + received} of {have + remaining} bytes")


def download(source: Source, dest: str | os.PathLike, *, retries: int = 3, timeout: float = 60.0,
             progress: bool = True) -> pathlib.Path:
    """Download one source to ``dest``: resumable, checked, renamed into place atomically.

    A broken transfer is resumed up to ``retries`` times. A file that fails its size or
    sha256 check is deleted and :class:`ChecksumError` is raised. Returns ``dest``.
    """
    dest = pathlib.Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = _part_path(dest, source)
    bar = Progress(source.size, f"Downloading {dest.name}", stream=sys.stderr, unit="MB", scale=1e6) if progress else None
    for attempt in range(retries + 1):
        try:
            _transfer(source.url, part, source.size, timeout, bar)
            break
        except BrokenTransfer:
            if attempt == retries:
                raise
            if bar is not None:
                bar.stream.write(f"\nTransfer broke; resuming from byte {part.stat().st_size} ...\n")
    if bar is not None:
        bar.close(part.stat().st_size)
    size = part.stat().st_size
    if source.size is not None and size != source.size:
        part.unlink()
        raise ChecksumError(f"got {size} bytes, expected {source.size}")
    digest = sha256_of(part)
    if source.sha256 is not None and digest != source.sha256:
        part.unlink()
        raise ChecksumError(f"sha256 {digest} does not match the expected {source.sha256}")
    os.replace(part, dest)
    if source.sha256 is None:
        warnings.warn(
            f"{dest.name} came from an unverified source ({source.url}); no published sha256 to "
            f"check it against. It has sha256 {digest} and {size} bytes; it is used only if it "
            f"unpacks into the expected layout.", stacklevel=2)
    return dest


def fetch_first(name: str, sources: list[Source], cache: str | os.PathLike, *, manual_url: str = "",
                put_it: str = "", accept=None, **options) -> tuple[pathlib.Path, Source]:
    """Try ``sources`` in order until one delivers a good ``<cache>/<name>``.

    An archive already in the cache is checked against the verified sources' sha256 first
    and used when it matches (a copy placed by hand is accepted this way). ``accept(path,
    source)``, when given, may raise to reject a file (the structural check for unverified
    sources); the file is then deleted and the next source is tried. When every source
    fails, :class:`DownloadError` names each one with its error, ``manual_url`` and
    ``put_it`` (the exact place for a copy fetched by hand).
    """
    cache = pathlib.Path(cache)
    dest = cache / name
    known = {source.sha256 for source in sources if source.sha256}
    errors = []
    if dest.is_file():
        digest = sha256_of(dest)
        if digest in known:
            return dest, next(s for s in sources if s.sha256 == digest)
        errors.append(f"  - the file already at {dest}: its sha256 {digest} matches no registered "
                      f"checksum, so it was moved aside to {dest}.rejected")
        os.replace(dest, dest.with_name(dest.name + ".rejected"))
    for source in sources:
        try:
            path = download(source, dest, **options)
            if accept is not None:
                try:
                    accept(path, source)
                except Exception:
                    path.unlink(missing_ok=True)
                    raise
            return path, source
        except Exception as error:  # every failure is reported, then the next source is tried
            label = "" if source.verified else " (unverified source)"
            errors.append(f"  - {source.url}{label}: {type(error).__name__}: {error}")
    lines = [f"Could not get {name} from any of its {len(sources)} sources:", *errors, "Fix: download it by hand"]
    if manual_url:
        lines[-1] += f" from {manual_url}"
    if known:
        lines.append(f"  (sha256 must be one of: {', '.join(sorted(known))})")
    lines.append(f"  and put the file at {dest}" + (f", or {put_it}" if put_it else "") + ".")
    raise DownloadError("\n".join(lines))


def _safe_target(root: pathlib.Path, member_name: str) -> pathlib.Path:
    """Where an archive member may be written, or :class:`UnsafeArchive`."""
    name = member_name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"member {member_name!r} has an absolute path")
    target = (root / name).resolve()
    if target != root and root not in target.parents:
        raise UnsafeArchive(f"member {member_name!r} would be written outside {root}")
    return target


@contextlib.contextmanager
def _open_archive(archive: pathlib.Path):
    """The members of a zip or tar archive as ``(name, is_dir, open_member)``; links refused."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            members = []
            for member in bundle.infolist():
                mode = member.external_attr >> 16
                if mode and (mode & 0o170000) == 0o120000:
                    raise UnsafeArchive(f"member {member.filename!r} is a symbolic link")
                members.append((member.filename, member.is_dir(), functools.partial(bundle.open, member)))
            yield members
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as bundle:
            members = []
            for member in bundle.getmembers():
                if not (member.isfile() or member.isdir()):
                    raise UnsafeArchive(f"member {member.name!r} is a link or special file")
                members.append((member.name, member.isdir(), functools.partial(bundle.extractfile, member)))
            yield members
    else:
        raise UnsafeArchive(f"{archive} is neither a zip nor a tar archive")


def unpack(archive: str | os.PathLike, dest: str | os.PathLike) -> pathlib.Path:
    """Unpack a ``.zip``, ``.tar``, ``.tar.gz`` or ``.tgz`` into the folder ``dest``, safely.

    Members with absolute paths or ``..`` that would escape ``dest``, links and special files
    raise :class:`UnsafeArchive` before anything is written. The archive is unpacked into a
    temporary folder beside ``dest`` and renamed into place, so ``dest`` is either complete or
    absent. An existing ``dest`` is replaced.
    """
    archive, dest = pathlib.Path(archive), pathlib.Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent)).resolve()
    try:
        with _open_archive(archive) as members:
            targets = [(_safe_target(work, name), is_dir, open_member) for name, is_dir, open_member in members]
            for target, is_dir, open_member in targets:  # every member checked above, before anything is written
                if is_dir:
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with open_member() as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, CHUNK)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(work, dest)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return dest


def parquet_rows(path: str | os.PathLike, columns: list[str]):
    """Yield the rows of a parquet file as dicts of ``columns``, a few at a time (needs pyarrow).

    Hugging Face ``Image`` columns arrive as ``{"bytes": ..., "path": ...}`` dicts.
    """
    try:
        import pyarrow.parquet as parquet
    except ImportError as error:
        raise ImportError("reading the Hugging Face copy (parquet) needs pyarrow, which is not installed. "
                          "Fix: pip install pyarrow (Colab already has it).") from error
    with parquet.ParquetFile(path) as handle:
        for batch in handle.iter_batches(batch_size=64, columns=columns):
            yield from batch.to_pylist()
