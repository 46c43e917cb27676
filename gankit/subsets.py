"""Course subsets: the exact images a notebook's numbers were measured on.

Notebooks 03, 04 and A state what their ``standard`` run gives (a style share, an L1
error, a run time). Those numbers hold for the images they were measured on, and a full
download is other data: 1,072 Monet paintings instead of 120, 49,825 shoe pairs instead
of 100. So each of these notebooks reads a **named subset** by default, and
``data="all"`` reads the whole dataset.

A subset is a manifest, ``gankit/subsets/<dataset>-<name>.json``: every file's path in the
dataset's layout (``trainA/00001.jpg``), its size and its sha256. :func:`select` finds those
files in whatever copy is present -- the full archive, the Hugging Face copy, a folder
holding just the subset, with any other files beside them -- by name first and then by
content, checks each one's sha256, and returns a folder that holds exactly the subset (the
copy itself when it holds nothing else, otherwise hard links under the downloads folder).

The subset is also its own small download: a zip attached to the repository's release
``subsets-v1``, registered in the manifest with its sha256 like every other source. Where
that release is missing (a fork that has not published it), the download fails and the
message says what to do instead.

For maintainers: ``python -m gankit.subsets record FOLDER DATASET`` writes a manifest from a
folder, and ``python -m gankit.subsets zip DATASET OUT`` builds the subset's zip, byte for
byte the same on every machine (so its sha256 can be registered before it is uploaded).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import shutil
import uuid
import zipfile

from gankit.download import Source, sha256_of

MANIFESTS = pathlib.Path(__file__).parent / "subsets"
DEFAULT = "course"  # the subset a notebook's standard run reads
# The zips are attached to a release of their own, not to each course version: the images do not
# change when the course does. docs/releasing.md says how to publish them.
DATA_TAG = "subsets-v1"
RELEASES = f"https://github.com/gan-course/gan-course/releases/download/{DATA_TAG}"


class SubsetError(LookupError):
    """Some files of a subset are not in the folder it was looked for in."""


@dataclasses.dataclass(frozen=True)
class Subset:
    """A named list of files of a dataset, each with its size and sha256."""

    dataset: str
    name: str
    files: dict  # "trainA/00001.jpg" -> {"sha256": ..., "size": ...}
    archive: Source  # the subset as its own zip
    about: str = ""

    @property
    def size(self) -> int:
        """Bytes of all the subset's images together."""
        return sum(entry["size"] for entry in self.files.values())

    def counts(self) -> dict:
        """Images per split folder, e.g. {"trainA": 120, ...}."""
        counts = {}
        for path in self.files:
            split = path.split("/", 1)[0]
            counts[split] = counts.get(split, 0) + 1
        return counts

    def describe(self) -> str:
        splits = ", ".join(f"{n} in {split}/" for split, n in self.counts().items())
        return f"the '{self.name}' subset of {self.dataset}: {len(self.files)} images ({splits}), {self.size / 1e6:.1f} MB"


def manifest_path(dataset: str, name: str = DEFAULT) -> pathlib.Path:
    return MANIFESTS / f"{dataset}-{name}.json"


def load(dataset: str, name: str = DEFAULT) -> Subset:
    """The registered subset ``name`` of ``dataset``; a KeyError lists the ones there are."""
    path = manifest_path(dataset, name)
    if not path.is_file():
        known = sorted(p.stem for p in MANIFESTS.glob("*.json"))
        raise KeyError(f"no subset {name!r} of {dataset!r} is registered; known: {known}. "
                       f"Fix: pick one of those, or data='all' for the whole dataset.")
    record = json.loads(path.read_text(encoding="utf-8"))
    archive = Source(url=record["archive"]["url"], sha256=record["archive"]["sha256"],
                     size=record["archive"]["size"], checksum_from="gankit/subsets (python -m gankit.subsets zip)",
                     note="the course subset alone, attached to the course's release")
    return Subset(dataset=record["dataset"], name=record["name"], files=record["files"], archive=archive,
                  about=record.get("about", ""))


# -- finding a subset in a copy of the dataset ---------------------------------------------------------------


def _matches(path: pathlib.Path, entry: dict) -> bool:
    return path.is_file() and path.stat().st_size == entry["size"] and sha256_of(path) == entry["sha256"]


def _files_by_size(root: pathlib.Path) -> dict:
    """Every file under ``root`` (sub-folders included), grouped by size: the candidates for a content match."""
    by_size = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = pathlib.Path(folder) / name
            by_size.setdefault(path.stat().st_size, []).append(path)
    return by_size


def find(root: str | os.PathLike, subset: Subset) -> tuple[dict, list]:
    """Locate the subset's files under ``root``: ({relative path: file found}, [relative paths not found]).

    A file counts only if its bytes match the manifest: first at its own path under ``root``,
    else anywhere under ``root`` with the same size and sha256 (a copy that renamed or moved it).
    """
    root = pathlib.Path(root)
    found, missing, by_size = {}, [], None
    for relative, entry in subset.files.items():
        if _matches(root / relative, entry):
            found[relative] = root / relative
            continue
        if by_size is None:
            by_size = _files_by_size(root)
        same = next((p for p in by_size.get(entry["size"], []) if sha256_of(p) == entry["sha256"]), None)
        if same is None:
            missing.append(relative)
        else:
            found[relative] = same
    return found, missing


def _holds_only(root: pathlib.Path, subset: Subset, found: dict) -> bool:
    """True when every file of ``root``'s split folders is a subset file at its own path."""
    splits = set(subset.counts())
    if any((root / split).is_dir() is False for split in splits):
        return False
    present = {f"{split}/{p.name}" for split in splits for p in (root / split).iterdir() if p.is_file()}
    return present == set(subset.files) and all(found[r] == root / r for r in subset.files)


def select(root: str | os.PathLike, subset: Subset, into: str | os.PathLike) -> pathlib.Path:
    """A folder holding exactly ``subset``'s files in the dataset's layout, taken from ``root``.

    ``root`` itself when it holds the subset and nothing else; otherwise ``into``, filled with
    hard links (copies where links are not possible) to the files found. Raises
    :class:`SubsetError` naming the missing files when ``root`` does not hold them all.
    """
    root, into = pathlib.Path(root), pathlib.Path(into)
    found, missing = find(root, subset)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise SubsetError(f"{len(missing)} of the {len(subset.files)} files of {subset.describe()} are not in "
                          f"{root} (checked by name and by sha256): {shown}")
    if _holds_only(root, subset, found):
        return root
    if into.is_dir():
        earlier, lacking = find(into, subset)
        if not lacking and _holds_only(into, subset, earlier):
            return into  # an earlier selection, still exactly the subset
    staging = into.with_name(f".{into.name}.{uuid.uuid4().hex[:8]}")
    for relative, source in found.items():
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:  # another file system, or links not allowed
            shutil.copyfile(source, target)
    if into.exists():
        shutil.rmtree(into, ignore_errors=True)
    try:
        os.replace(staging, into)
    except OSError:  # another process put the same selection there first
        shutil.rmtree(staging, ignore_errors=True)
    return into


# -- for maintainers: recording a subset and building its zip -------------------------------------------------


def record(folder: str | os.PathLike, dataset: str, name: str = DEFAULT, about: str = "",
           out: str | os.PathLike | None = None) -> pathlib.Path:
    """Write the manifest of every file in ``folder``'s split folders (and its zip's sha256)."""
    folder = pathlib.Path(folder)
    files = {}
    for split in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(p for p in split.iterdir() if p.is_file()):
            files[f"{split.name}/{path.name}"] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    if not files:
        raise ValueError(f"{folder} has no files in sub-folders. Fix: pass a folder in the dataset's layout "
                         f"(e.g. monet2photo/ with trainA/, trainB/, testA/, testB/).")
    out = pathlib.Path(out) if out else manifest_path(dataset, name)
    out.parent.mkdir(parents=True, exist_ok=True)
    zipped = build_zip(folder, files, out.with_suffix(".zip.tmp"), dataset)
    archive = {"url": f"{RELEASES}/{dataset}-{name}.zip", "size": zipped.stat().st_size, "sha256": sha256_of(zipped)}
    zipped.unlink()
    head = json.dumps({"dataset": dataset, "name": name, "about": about, "archive": archive}, indent=1)
    lines = [f" {json.dumps(path)}: {json.dumps(entry)}" for path, entry in files.items()]  # a file a line
    out.write_text(head[:-2] + ',\n "files": {\n' + ",\n".join(lines) + "\n }\n}\n", encoding="utf-8")
    return out


def build_zip(folder: str | os.PathLike, files, out: str | os.PathLike, top: str) -> pathlib.Path:
    """Zip ``files`` (paths relative to ``folder``) under ``<top>/``, reproducibly: sorted, fixed dates."""
    folder, out = pathlib.Path(folder), pathlib.Path(out)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:  # JPEGs do not compress
        for relative in sorted(files):
            info = zipfile.ZipInfo(f"{top}/{relative}", date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, (folder / relative).read_bytes())
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gankit.subsets", description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    rec = verbs.add_parser("record", help="write gankit/subsets/<dataset>-<name>.json from a folder")
    rec.add_argument("folder")
    rec.add_argument("dataset")
    rec.add_argument("--name", default=DEFAULT)
    rec.add_argument("--about", default="")
    zipper = verbs.add_parser("zip", help="build the subset's zip from a folder that holds it (for the release)")
    zipper.add_argument("dataset")
    zipper.add_argument("out", help="folder to write <dataset>-<name>.zip in")
    zipper.add_argument("--name", default=DEFAULT)
    zipper.add_argument("--from", dest="source", required=True, help="a copy of the dataset holding the subset")
    args = parser.parse_args(argv)
    if args.verb == "record":
        print(f"wrote {record(args.folder, args.dataset, args.name, args.about)}")
        return 0
    subset = load(args.dataset, args.name)
    found, missing = find(args.source, subset)
    if missing:
        raise SystemExit(f"{args.source} lacks {len(missing)} of the subset's files, e.g. {missing[0]}")
    pathlib.Path(args.out).mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(args.out) / f".{args.dataset}"
    chosen = select(args.source, subset, staging / args.dataset)
    out = build_zip(chosen, subset.files, pathlib.Path(args.out) / f"{args.dataset}-{args.name}.zip", args.dataset)
    shutil.rmtree(staging, ignore_errors=True)
    ok = sha256_of(out) == subset.archive.sha256
    print(f"wrote {out} ({out.stat().st_size:,} bytes), sha256 {'matches' if ok else 'DOES NOT MATCH'} the manifest")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
