"""The learner's workspace: a copy of course/ that is theirs to edit (used by bin/lab).

    python bin/_workspace.py COURSE WORKSPACE

On first use WORKSPACE becomes a copy of COURSE. Later, nothing in WORKSPACE is ever overwritten:
files that a course update adds are copied in (and listed), and a notebook the course changed since
it was copied is reported, with how to get the new version, but left as the learner has it.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import sys

MANIFEST = ".course-copy.json"  # what was copied from the course, and its sha256 at the time
SKIPPED = {".ipynb_checkpoints", "__pycache__", "runs"}


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def course_files(course: pathlib.Path) -> list[str]:
    return sorted(p.relative_to(course).as_posix() for p in course.rglob("*")
                  if p.is_file() and not SKIPPED & set(p.relative_to(course).parts))


def sync(course: pathlib.Path, workspace: pathlib.Path) -> dict[str, list[str]]:
    """Copy what is new in `course` into `workspace`; return what was added and what is out of date."""
    if not course.is_dir():
        raise SystemExit(f"{course} does not exist: run bin/lab from a complete checkout of the course.")
    first = not workspace.exists()
    workspace.mkdir(parents=True, exist_ok=True)
    manifest_path = workspace / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    except ValueError:
        manifest = {}
    added, updated = [], []
    for name in course_files(course):
        source, target = course / name, workspace / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            manifest[name] = _sha256(source)
            added.append(name)
        elif manifest.get(name) not in (None, _sha256(source)):
            updated.append(name)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    if first:
        print(f"Created your workspace {workspace}: a copy of the course to work in (git ignores it).")
    elif added:
        print("New in the course, copied into your workspace:", *added, sep="\n  ")
    if updated:
        print("The course has a newer version of these notebooks; your copies are kept as they are:",
              *updated, sep="\n  ")
        print("To get a new version, rename your copy (e.g. add -old to its name) and run bin/lab again.")
    return {"added": added, "updated": updated}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sync(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
