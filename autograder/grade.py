"""Grade a batch of submissions for one assignment and export grades and feedback.

    python -m autograder.grade 01_mlp_gan path/to/submissions --out grades/01_mlp_gan

`path/to/submissions` holds one folder per student, each with the assignment's
notebook(s) somewhere inside (``alice/01_mlp_gan.ipynb`` or
``alice/01_mlp_gan/01_mlp_gan.ipynb``), or is a .zip of such folders.

What it does, in a scratch nbgrader course folder (nothing in the repository and
nothing in the submissions folder is changed):

1. releases the assignment from `solutions/` so the gradebook knows every graded cell;
2. copies each student's notebook into `submitted/`;
3. runs ``nbgrader autograde`` (the kernel sees ``NBGRADER_EXECUTION=autograde``, so
   notebooks train with the `smoke` profile; each cell is bounded by ``Execute.timeout``);
4. runs ``nbgrader generate_feedback``.

Student code runs in a bubblewrap sandbox (`autograder.sandbox`): read-only file
system, the gradebook, `solutions/` and `.git` hidden, only its own folder writable.

Into ``--out`` it writes ``grades.csv`` (one row per student and graded cell),
``summary.csv`` (one row per student), ``feedback/<student>/...html``, the
autograded notebooks, and ``gradebook.db``. An existing ``--out`` that already holds
grades is never overwritten: choose a new folder (grades are never lost).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

from autograder.release import CONFIG, ROOT, nbgrader_env

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class GradingError(RuntimeError):
    """The batch cannot be graded as given; the message says why and what to do."""


def _notebook_names(assignment: str, solutions: pathlib.Path) -> list[str]:
    folder = solutions / assignment
    if not folder.is_dir():
        known = ", ".join(sorted(p.name for p in solutions.iterdir() if p.is_dir()))
        raise GradingError(f"no assignment {assignment!r} in {solutions}; known: {known}")
    return sorted(p.stem for p in folder.glob("*.ipynb"))


def collect_submissions(source: pathlib.Path, assignment: str, workdir: pathlib.Path,
                        solutions: pathlib.Path = ROOT / "solutions") -> dict[str, dict[str, pathlib.Path]]:
    """Find each student's notebooks: {student: {notebook name: path}}. Unzips a .zip first."""
    if source.is_file() and source.suffix == ".zip":
        target = workdir / "unzipped"
        with zipfile.ZipFile(source) as archive:
            for member in archive.namelist():  # refuse paths that would escape the folder
                if member.startswith("/") or ".." in pathlib.PurePosixPath(member).parts:
                    raise GradingError(f"{source} holds an unsafe path {member!r}; re-export the zip.")
            archive.extractall(target)
        source = target
    if not source.is_dir():
        raise GradingError(f"{source} is neither a folder of student folders nor a .zip of them.")
    wanted = set(_notebook_names(assignment, solutions))
    found: dict[str, dict[str, pathlib.Path]] = {}
    for student_dir in sorted(p for p in source.iterdir() if p.is_dir()):
        student = student_dir.name
        if not STUDENT_ID.match(student):
            raise GradingError(
                f"folder {student_dir} is not a usable student id (letters, digits, _ . @ - only); rename it."
            )
        notebooks = {}
        for path in sorted(student_dir.rglob("*.ipynb")):
            if path.stem in wanted and ".ipynb_checkpoints" not in path.parts:
                notebooks.setdefault(path.stem, path)
        found[student] = notebooks
    if not found:
        raise GradingError(f"{source} has no student folders.")
    return found


KERNEL = "gankit-grader"


def _run(args: list[str], cwd: pathlib.Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env or nbgrader_env(),
                          capture_output=True, text=True)


def _sandbox_env(scratch: pathlib.Path, out: pathlib.Path, solutions: pathlib.Path) -> dict:
    """Register the sandboxed kernel in the scratch folder and return nbgrader's environment.

    nbgrader then starts every student kernel through `autograder.sandbox` (bubblewrap),
    with the scratch folder (gradebook, sources), `solutions/`, `.git` and ``out`` hidden.
    """
    spec = scratch / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "autograder.sandbox", "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        "env": {"PYTHONPATH": str(ROOT)},
    }))
    with open(scratch / "nbgrader_config.py", "a") as handle:
        handle.write(f"\nc.Execute.kernel_name = {KERNEL!r}\n")
    hide = [scratch, solutions.resolve(), ROOT / "solutions", ROOT / ".git", out.resolve()]
    # Inside the sandbox HOME is a private /tmp, so point the kernel at the grader's caches
    # (read-only there): the cached judge and any downloaded datasets.
    from gankit.judge import cache_dir

    keras_home = os.environ.get("KERAS_HOME") or os.path.expanduser(os.path.join("~", ".keras"))
    return dict(nbgrader_env(), JUPYTER_PATH=str(scratch / "jupyter"), GANKIT_CACHE=str(cache_dir()),
                KERAS_HOME=keras_home, GANKIT_SANDBOX_HIDE=os.pathsep.join(str(p) for p in hide))


def grade(assignment: str, submissions: pathlib.Path, out: pathlib.Path, timeout: int | None = None,
          sandbox: bool = True, solutions: pathlib.Path = ROOT / "solutions") -> dict:
    """Grade every student in ``submissions``; returns {student: {"score", "max_score", "cells"}}.

    With ``sandbox=True`` (the default) student code runs under bubblewrap (see
    `autograder.sandbox`); ``sandbox=False`` is only for code you trust.
    """
    out = pathlib.Path(out)
    if (out / "gradebook.db").exists() or (out / "summary.csv").exists():
        raise GradingError(f"{out} already holds grades; pass a new --out folder so they are not overwritten.")
    if sandbox and shutil.which("bwrap") is None:
        raise GradingError("bubblewrap is needed to grade safely: apt-get install bubblewrap "
                           "(or pass --no-sandbox for submissions you trust).")
    solutions = pathlib.Path(solutions)
    notebooks = _notebook_names(assignment, solutions)
    with tempfile.TemporaryDirectory(prefix="gan-grade-") as scratch:
        scratch = pathlib.Path(scratch)
        shutil.copy(CONFIG, scratch / "nbgrader_config.py")
        if timeout:
            with open(scratch / "nbgrader_config.py", "a") as handle:
                handle.write(f"\nc.Execute.timeout = {int(timeout)}\n")
        shutil.copytree(solutions / assignment, scratch / "solutions" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        result = _run(["generate_assignment", assignment, "--force", "--log-level=WARN"], scratch)
        if result.returncode:
            raise GradingError(f"nbgrader could not release {assignment}:\n{result.stderr}")
        students = collect_submissions(pathlib.Path(submissions), assignment, scratch, solutions)
        missing: dict[str, list[str]] = {}
        for student, files in students.items():
            target = scratch / "submitted" / student / assignment
            target.mkdir(parents=True)
            for name in notebooks:
                if name in files:
                    shutil.copy(files[name], target / f"{name}.ipynb")
                else:  # grade what is there; the missing notebook scores 0
                    missing.setdefault(student, []).append(name)
        # Notebooks that score digits need the MNIST judge: train and cache it once, outside the
        # per-cell timeout, so that no submission pays for it.
        subprocess.run([sys.executable, "-m", "gankit.judge"], cwd=scratch, env=nbgrader_env(),
                       capture_output=True, text=True)
        env = _sandbox_env(scratch, out, solutions) if sandbox else None
        result = _run(["autograde", assignment, "--create", "--force", "--log-level=WARN"], scratch, env)
        log = result.stdout + result.stderr
        feedback = _run(["generate_feedback", assignment, "--force", "--log-level=WARN"], scratch)
        log += feedback.stdout + feedback.stderr
        grades = _export(scratch, assignment, students, out, missing)
        (out / "autograde.log").write_text(log)
    return grades


def _export(scratch: pathlib.Path, assignment: str, students, out: pathlib.Path, missing) -> dict:
    """Write grades.csv, summary.csv, feedback/ and autograded/ into ``out``."""
    from nbgrader.api import Gradebook, MissingEntry

    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(scratch / "gradebook.db", out / "gradebook.db")
    for kind in ("feedback", "autograded"):
        if (scratch / kind).exists():
            shutil.copytree(scratch / kind, out / kind, dirs_exist_ok=True)
    grades = {}
    with Gradebook(f"sqlite:///{scratch / 'gradebook.db'}") as gradebook:
        assignment_row = gradebook.find_assignment(assignment)
        max_score = assignment_row.max_score
        for student in students:
            cells = {}
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:  # the notebook could not even be autograded
                grades[student] = {"score": 0.0, "max_score": max_score, "cells": {}, "graded": False}
                continue
            for notebook in submission.notebooks:
                for grade_row in notebook.grades:
                    cells[grade_row.name] = {"score": grade_row.score, "max_score": grade_row.max_score}
            grades[student] = {"score": submission.score, "max_score": max_score, "cells": cells,
                               "graded": True, "missing_notebooks": missing.get(student, [])}
    with open(out / "grades.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "cell", "score", "max_score"])
        for student, row in grades.items():
            for cell, value in sorted(row["cells"].items()):
                writer.writerow([student, cell, value["score"], value["max_score"]])
    with open(out / "summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "score", "max_score", "note"])
        for student, row in grades.items():
            note = "not graded: see autograde.log" if not row["graded"] else (
                "missing: " + " ".join(row["missing_notebooks"]) if row.get("missing_notebooks") else "")
            writer.writerow([student, row["score"], row["max_score"], note])
    (out / "grades.json").write_text(json.dumps(grades, indent=1))
    return grades


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="assignment folder name in solutions/, e.g. 01_mlp_gan")
    parser.add_argument("submissions", type=pathlib.Path, help="folder of student folders, or a .zip of them")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="new folder for grades and feedback")
    parser.add_argument("--timeout", type=int, default=None, help="seconds allowed per cell (default: config)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code without bubblewrap (only for submissions you trust)")
    args = parser.parse_args(argv)
    os.environ.pop("GANKIT_PROFILE", None)  # grading always runs the smoke profile via NBGRADER_EXECUTION
    try:
        grades = grade(args.assignment, args.submissions, args.out, args.timeout, sandbox=not args.no_sandbox)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for student, row in grades.items():
        print(f"{student:24s} {row['score']:6.1f} / {row['max_score']}")
    print(f"Grades and feedback written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
