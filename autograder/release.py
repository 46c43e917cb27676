"""Regenerate the released student notebooks in `course/` from `solutions/`.

    python -m autograder.release            # rebuild every assignment into course/
    python -m autograder.release --check    # exit 1 if course/ is stale (used by the tests)

Before releasing, it writes where the course lives (pyproject.toml, [tool.gankit]: repository,
tag and the setup cell's install source) into every source notebook's setup cell and Colab
badge and into the README's badges, and completes each notebook's kernel metadata, so that
every copy agrees with that one setting. Nothing else in a notebook is touched.

nbgrader's `generate_assignment` runs in a scratch course folder, so no gradebook or
other nbgrader state is ever written into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = pathlib.Path(__file__).resolve().parent / "nbgrader_config.py"
# Never copied into course/: editor caches, and runs/, where notebooks write what a run
# makes (sample grids, GIFs, checkpoints) when they execute in their own folder (nbval, Jupyter).
NOT_RELEASED = (".ipynb_checkpoints", "__pycache__", "runs")

# What a Python 3 kernel reports about itself (ipykernel's kernel_info), less the Python version,
# which differs from learner to learner. Stored complete, a notebook that a kernel connects to
# does not look modified.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
SETUP_MARKER = "google.colab"  # the setup cell is the first code cell that mentions it
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^\s)\"'<>]+?\.ipynb")


def _toml(path: pathlib.Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the instructor and test extras bring tomli
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))


def course_location(root: pathlib.Path = ROOT) -> dict:
    """[tool.gankit] of pyproject.toml: repository URL, release tag and the setup cell's pip source."""
    pyproject = root / "pyproject.toml"
    settings = _toml(pyproject).get("tool", {}).get("gankit", {})
    missing = {"repository", "tag", "install"} - set(settings)
    if missing:
        raise SystemExit(f"{pyproject}: [tool.gankit] lacks {', '.join(sorted(missing))}. "
                         "Fix: set repository, tag and install there (see the comment above it).")
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)/?", settings["repository"])
    if not match:
        raise SystemExit(f"{pyproject}: [tool.gankit] repository must be a GitHub URL such as "
                         f"https://github.com/owner/name, not {settings['repository']!r} (Colab opens notebooks from GitHub).")
    install = settings["install"].format(repository=settings["repository"].rstrip("/"), tag=settings["tag"])
    return {"repository": settings["repository"].rstrip("/"), "github": match.group(1),
            "tag": settings["tag"], "install": install}


def colab_url(location: dict, relative: str) -> str:
    """The Colab link that opens `course/<relative>` at the release tag."""
    return f"https://colab.research.google.com/github/{location['github']}/blob/{location['tag']}/course/{relative}"


def setup_cell_source(location: dict) -> str:
    """The setup cell every notebook starts with: in Colab it installs gankit, elsewhere it does nothing."""
    return f'''# Setup. In Colab this installs the course's helper package (gankit) of this release; elsewhere
# (bin/lab, the tests) it does nothing. To install from elsewhere (a wheel file, a folder holding the
# course), set GANKIT_INSTALL first, e.g. %env GANKIT_INSTALL=/content/gankit-0.1.0-py3-none-any.whl
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    source = os.environ.get("GANKIT_INSTALL", "{location['install']}")
    print(f"Installing gankit from {{source}} ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError(f"Could not install the course's helper package from {{source}}. pip said:\\n"
                           f"{{(pip.stdout + pip.stderr)[-1500:]}}\\nIs the runtime online? Is the source right? "
                           f"Fix that, then run this cell again.")'''


def sync_notebook(notebook: dict, location: dict, relative: str) -> dict:
    """`notebook` (nbformat JSON) with its setup cell, Colab links and kernel metadata set from `location`."""
    notebook = json.loads(json.dumps(notebook))
    notebook.setdefault("metadata", {})["kernelspec"] = dict(KERNELSPEC)
    notebook["metadata"]["language_info"] = dict(LANGUAGE_INFO)
    setup = [c for c in notebook["cells"] if c["cell_type"] == "code" and SETUP_MARKER in "".join(c["source"])]
    if not setup:
        raise SystemExit(f"solutions/{relative} has no setup cell (a code cell that checks for google.colab). "
                         "Fix: add one after the title cell; the release fills it in.")
    setup[0]["source"] = setup_cell_source(location)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            new = COLAB_LINK.sub(colab_url(location, relative), text)
            if new != text:
                cell["source"] = new
    return notebook


def _read(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _dumps(notebook: dict) -> str:
    # nbformat's own layout, so that notebooks saved by Jupyter and by this step look the same
    import nbformat

    return nbformat.writes(nbformat.from_dict(notebook)) + "\n"


def readme_text(text: str, location: dict) -> str:
    """The README with each Colab badge pointing at its notebook in `location`."""
    def fix(match: re.Match) -> str:
        relative = match.group(0).split("/course/", 1)[-1] if "/course/" in match.group(0) else None
        return colab_url(location, relative) if relative else match.group(0)
    return COLAB_LINK.sub(fix, text)


def sync_sources(root: pathlib.Path = ROOT, write: bool = True) -> list[str]:
    """Bring every source notebook and the README in step with [tool.gankit]; return what differed."""
    location = course_location(root)
    differed = []
    for path in sorted((root / "solutions").glob("*/*.ipynb")):
        relative = path.relative_to(root / "solutions").as_posix()
        text = path.read_text(encoding="utf-8")
        new = _dumps(sync_notebook(_read(path), location, relative))
        if new != text:
            differed.append(f"solutions/{relative}")
            if write:
                path.write_text(new, encoding="utf-8")
    readme = root / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        new = readme_text(text, location)
        if new != text:
            differed.append("README.md")
            if write:
                readme.write_text(new, encoding="utf-8")
    return differed


def duplicate_grade_ids(notebook: dict, name: str) -> list[str]:
    """One message per grade_id that two cells of ``notebook`` share, naming both cells.

    A copied cell keeps its metadata, grade_id included, and nbgrader then silently keeps
    only one of the two: a test or an answer would vanish from grading."""
    seen, problems = {}, []
    for number, cell in enumerate(notebook.get("cells", []), 1):
        grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        if not grade_id:
            continue
        source = "".join(cell.get("source", ""))
        first = next((line.strip() for line in source.splitlines() if line.strip()), "(empty)")[:60]
        here = f"cell {number} ({first!r})"
        if grade_id in seen:
            problems.append(f"{name}: {seen[grade_id]} and {here} share the grade_id {grade_id!r}. Fix: give the "
                            "copy its own grade_id (Jupyter: View > Cell Toolbar > Create Assignment).")
        else:
            seen[grade_id] = here
    return problems


def check_grade_ids(source: pathlib.Path) -> None:
    """Refuse to release when a notebook in ``source`` has two cells with one grade_id."""
    problems = []
    for path in sorted(source.glob("*/*.ipynb")):
        problems += duplicate_grade_ids(_read(path), f"{source.name}/{path.relative_to(source).as_posix()}")
    if problems:
        raise SystemExit("Not released: " + "\n".join(problems))


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
    check_grade_ids(source)
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
        unsynced = sync_sources(write=False)
        if unsynced:
            print("These disagree with pyproject.toml's [tool.gankit] (setup cell, Colab links or kernel metadata);"
                  " run `python -m autograder.release`:", *unsynced, sep="\n  ")
            return 1
        with tempfile.TemporaryDirectory() as tmp:
            fresh = build_release(pathlib.Path(tmp) / "course")
            stale = stale_files(fresh, ROOT / "course")
        if stale:
            print("course/ is stale; run `python -m autograder.release`. Differs:", *stale, sep="\n  ")
            return 1
        print("course/ matches solutions/.")
        return 0
    for name in sync_sources():
        print(f"Updated {name} from pyproject.toml's [tool.gankit]")
    build_release(ROOT / "course")
    print(f"Released {', '.join(assignments())} into {ROOT / 'course'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
