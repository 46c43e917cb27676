"""Regenerate the released student notebooks in `course/` from `solutions/`.

    python -m autograder.release            # rebuild every assignment into course/
    python -m autograder.release --check    # exit 1 if course/ is stale (used by the tests)

nbgrader's `generate_assignment` runs in a scratch course folder, so no gradebook or
other nbgrader state is ever written into the repository.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = pathlib.Path(__file__).resolve().parent / "nbgrader_config.py"
# Never copied into course/: editor caches, and runs/, where notebooks write what a run
# makes (sample grids, GIFs, checkpoints) when they execute in their own folder (nbval, Jupyter).
NOT_RELEASED = (".ipynb_checkpoints", "__pycache__", "runs")


def nbgrader_env() -> dict:
    """The environment for nbgrader subprocesses: our venv's bin first on PATH
    (nbgrader shells out to `alembic`, which lives there) and the repository on PYTHONPATH."""
    bin_dir = str(pathlib.Path(sys.executable).parent)
    return dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), PYTHONPATH=str(ROOT))


def assignments(source: pathlib.Path = ROOT / "solutions") -> list[str]:
    """Assignment folders in `solutions/`, in course order."""
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def build_release(destination: pathlib.Path, source: pathlib.Path = ROOT / "solutions") -> pathlib.Path:
    """Run nbgrader in a scratch folder and copy its release into `destination`."""
    with tempfile.TemporaryDirectory(prefix="gan-release-") as scratch:
        scratch = pathlib.Path(scratch)
        shutil.copy(CONFIG, scratch / "nbgrader_config.py")
        shutil.copytree(source, scratch / "solutions",
                        ignore=shutil.ignore_patterns(*NOT_RELEASED))
        env = nbgrader_env()
        for name in assignments(scratch / "solutions"):
            result = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                 "--log-level=WARN"],
                cwd=scratch, env=env, capture_output=True, text=True,
            )
            if result.returncode != 0:
                raise SystemExit(f"nbgrader could not release {name}:\n{result.stdout}\n{result.stderr}")
        if destination.exists():
            shutil.rmtree(destination)
        (scratch / "course").mkdir(exist_ok=True)
        shutil.copytree(scratch / "course", destination)
    return destination


def stale_files(fresh: pathlib.Path, committed: pathlib.Path) -> list[str]:
    """Paths (relative) that are missing, extra or different, byte for byte, in `committed`."""
    def files(root: pathlib.Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*")
                if p.is_file() and not set(p.relative_to(root).parts) & set(NOT_RELEASED)}

    left, right = files(fresh), files(committed) if committed.exists() else set()
    differ = {n for n in left & right if (fresh / n).read_bytes() != (committed / n).read_bytes()}
    return sorted((left ^ right) | differ)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report whether course/ is stale")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = build_release(pathlib.Path(tmp) / "course")
            stale = stale_files(fresh, ROOT / "course")
        if stale:
            print("course/ is stale; run `python -m autograder.release`. Differs:", *stale, sep="\n  ")
            return 1
        print("course/ matches solutions/.")
        return 0
    build_release(ROOT / "course")
    print(f"Released {', '.join(assignments())} into {ROOT / 'course'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
