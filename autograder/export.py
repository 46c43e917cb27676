"""Take grading to Gradescope, and grades to Canvas or Moodle.

    python -m autograder.export gradescope 01_mlp_gan --out gradescope_01_mlp_gan.zip
    python -m autograder.export canvas 01_mlp_gan --grades grades/01_mlp_gan --roster roster.csv
    python -m autograder.export moodle 01_mlp_gan --grades grades/01_mlp_gan --roster roster.csv

**gradescope** builds the autograder zip that Gradescope's "Configure Autograder" page takes:
``setup.sh`` (installs Python, bubblewrap and the locked package versions, and fetches the
data the assignment needs), ``run_autograder``, the source notebook with its hidden tests,
``gankit``, ``autograder`` and ``requirements/``. For each submission ``run_autograder``
calls `autograder.grade` itself (the same hidden tests, limits and sandbox as a local run)
and writes ``/autograder/results/results.json``: one test per graded cell (score, max score,
the failure message as output; cells with hidden tests are visible after the due date),
checked against ``autograder/gradescope_results.schema.json`` before it is written. Gradescope
containers may not allow bubblewrap's user namespaces: without ``--container-is-sandbox`` the
autograder then stops (no results, the reason in the instructor's output); with it, the
container is the sandbox and the output says what protects the run. ``GRADESCOPE_ROOT``
(default ``/autograder``) and ``GRADER_PYTHON`` let a test run it in a folder laid out as
Gradescope lays it out.

**canvas** and **moodle** write a gradebook import file from a grading ``--out`` folder (one
run's or a merge's) and the class roster, exported from the LMS:

* Canvas: Grades > Export gives the roster (columns ``Student, ID, SIS User ID, SIS Login ID,
  Section``, a ``Points Possible`` row). The import file has those five columns, then the
  assignment's (``--column``; Canvas matches ``Name (id)`` to an existing assignment).
* Moodle: the participants' or grader report's export (``First name, Last name, ID number,
  Email address``, ...). The import file has the identifier column (``--id-column``, default
  ``Email address``, else ``ID number``, else ``Username``), then the grade column; choose the
  same identifier under "Map from" / "Map to" when importing.
* Or a roster of your own with a header and any of ``name, email, id, submission``.

A submission is matched to a roster row when its folder name (as the LMS download named it,
or the id it was graded as) equals, after accents and punctuation are folded, one of the row's
``submission``, e-mail (whole, or the part before ``@``), login, SIS ids, ID number, username or
name (``First Last`` and ``Last, First``). Every roster student appears in the file; one with
no submission, or a submission not graded, has no score. Nothing is dropped: the problems
(roster students without a submission, submissions without a roster row, ambiguous matches)
are printed and written beside the import file as ``*.problems.csv``, with the scores of the
submissions that could not be placed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import pathlib
import re
import shutil
import stat
import sys
import tempfile
import time
import zipfile

from autograder.release import NOT_RELEASED, ROOT

SCHEMA = pathlib.Path(__file__).resolve().parent / "gradescope_results.schema.json"
HIDDEN = "BEGIN HIDDEN TESTS"

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu, Python 3.10-3.12).
# Made by `python -m autograder.export gradescope {assignment}`.
set -euo pipefail
cd /autograder/source
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
VERSION=$(python3 -c 'import sys; print(f"{{sys.version_info[0]}}{{sys.version_info[1]}}")')
LOCK=requirements/lock-py$VERSION.txt
if [ ! -f "$LOCK" ]; then
  echo "No locked package versions for this image's Python ($VERSION): pick an Ubuntu base image with Python 3.10, 3.11 or 3.12." >&2
  exit 1
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
/autograder/venv/bin/pip install -q -r "$LOCK"
export PYTHONPATH=/autograder/source KERAS_HOME=/autograder/keras GANKIT_CACHE=/autograder/gankit-cache
{fetch}chmod -R a+rX /autograder/source /autograder/venv
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this once per submission (it copies it to /autograder/run_autograder).
# Made by `python -m autograder.export gradescope {assignment}`: it grades with autograder.grade,
# as a local run does, and writes $GRADESCOPE_ROOT/results/results.json.
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
PY="${{GRADER_PYTHON:-$ROOT/venv/bin/python}}"
export PYTHONPATH="$ROOT/source" MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=2
export KERAS_HOME="${{KERAS_HOME:-$ROOT/keras}}" GANKIT_CACHE="${{GANKIT_CACHE:-$ROOT/gankit-cache}}"
cd "$ROOT/source"
exec "$PY" -m autograder.export gradescope-run {assignment} --root "$ROOT"{container}
"""


class ExportError(RuntimeError):
    """The export cannot be made as asked; the message says why and what to do."""


# --- Gradescope ------------------------------------------------------------------------------

def _graded_cells(assignment: str, solutions: pathlib.Path) -> list[dict]:
    """Every graded cell of the source notebooks, in order: notebook, grade_id, points, hidden."""
    cells = []
    for path in sorted((solutions / assignment).glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade"):
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                cells.append({"notebook": path.stem, "grade_id": meta["grade_id"], "points": float(meta["points"]),
                              "hidden": HIDDEN in source})
    return cells


def build_gradescope(assignment: str, out: pathlib.Path, solutions: pathlib.Path = ROOT / "solutions",
                     container_is_sandbox: bool = False) -> pathlib.Path:
    """Write Gradescope's autograder zip for ``assignment``; returns its path."""
    folder = pathlib.Path(solutions) / assignment
    if not any(folder.glob("*.ipynb")):
        raise ExportError(f"no source notebook in {folder}; pass an assignment folder of solutions/.")
    if not _graded_cells(assignment, pathlib.Path(solutions)):
        raise ExportError(f"{assignment} has no graded cells: there is nothing for Gradescope to grade.")
    text = " ".join(p.read_text() for p in folder.glob("*.ipynb"))
    fetch = ""
    if "mnist" in text.lower() or "judge" in text:  # the sandbox has no network: fetch now
        fetch += "/autograder/venv/bin/python -c \"from gankit.data import fetch; fetch('mnist')\"\n"
    if "judge" in text:
        fetch += "/autograder/venv/bin/python -m gankit.judge\n"
    files = {"setup.sh": SETUP.format(assignment=assignment, fetch=fetch),
             "run_autograder": RUN.format(assignment=assignment,
                                          container=" --container-is-sandbox" if container_is_sandbox else "")}
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
        sources = [ROOT / "pyproject.toml", *sorted((ROOT / "requirements").glob("lock-py3*.txt")),
                   *sorted((ROOT / "autograder").glob("*.py")), *sorted((ROOT / "autograder").glob("*.json")),
                   *sorted(p for p in (ROOT / "gankit").rglob("*") if p.is_file() and "__pycache__" not in p.parts)]
        for path in sources:
            archive.write(path, str(path.relative_to(ROOT)))
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not any(part in NOT_RELEASED for part in relative.parts):
                archive.write(path, str(pathlib.Path("solutions") / assignment / relative))
    return out


def _failure(notebook: pathlib.Path | None, grade_id: str) -> str:
    """The error a graded cell stopped with (name and message; never the hidden tests' source)."""
    if notebook is None or not notebook.exists():
        return ""
    for cell in json.loads(notebook.read_text()).get("cells", []):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    message = re.sub(r"\x1b\[[0-9;]*m", "", f"{output.get('ename')}: {output.get('evalue')}")
                    return message[:2000]
    return ""


def gradescope_results(assignment: str, solutions: pathlib.Path, out: pathlib.Path, seconds: float,
                       sandbox: str) -> dict:
    """results.json for the one student graded into ``out``, in Gradescope's format."""
    state = json.loads((out / "state.json").read_text())
    (student, entry), *others = sorted(state["students"].items(), key=lambda item: not item[1].get("graded"))
    tests = []
    cells = _graded_cells(assignment, solutions)
    several = len({cell["notebook"] for cell in cells}) > 1
    for number, cell in enumerate(cells, 1):
        got = entry.get("cells", {}).get(cell["grade_id"])
        score = float(got["score"]) if got else 0.0
        notebook = out / "autograded" / student / assignment / f"{cell['notebook']}.ipynb"
        if got is None:
            output = "not graded: " + (entry.get("note") or entry.get("status", ""))
        elif score < cell["points"]:
            output = _failure(notebook, cell["grade_id"]) or "failed"
        else:
            output = ""
        tests.append({"name": f"{cell['notebook']}: {cell['grade_id']}" if several else cell["grade_id"],
                      "number": str(number), "score": score, "max_score": cell["points"],
                      "status": "passed" if got and score >= cell["points"] else "failed", "output": output,
                      "visibility": "after_due_date" if cell["hidden"] else "visible"})
    lines = [f"Score: {entry.get('score') or 0:g} of {entry['max_score']:g} ({entry['status']})."]
    if entry.get("note"):
        lines.append("Note from the grader: " + entry["note"])
    if any(test["visibility"] == "after_due_date" for test in tests):
        lines.append("Tests with hidden parts show their result after the due date.")
    return {"score": float(entry.get("score") or 0), "execution_time": round(seconds, 1), "output": "\n".join(lines),
            "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"status": entry["status"], "sandbox": sandbox, "folders": 1 + len(others)}}


def validate_results(results: dict) -> None:
    """Raise jsonschema.ValidationError unless ``results`` follows Gradescope's format."""
    import jsonschema

    jsonschema.validate(results, json.loads(SCHEMA.read_text()))


def run_gradescope(assignment: str, root: pathlib.Path, container_is_sandbox: bool = False) -> int:
    """What run_autograder does: grade /autograder/submission, write /autograder/results/results.json."""
    from autograder.grade import GradingError, _announce_container, grade
    from autograder.sandbox import SandboxUnavailable, check_user_namespaces
    from autograder.settings import limits_for

    started = time.monotonic()
    root = pathlib.Path(root)
    solutions = root / "source" / "solutions"
    limits = limits_for(assignment)
    sandbox = "bubblewrap"
    try:
        check_user_namespaces()
    except SandboxUnavailable as error:
        if not container_is_sandbox:
            print(f"The grading sandbox cannot start in this container: {error}\nNo results were written, so "
                  "Gradescope marks this run as failed rather than giving a grade. Fix: rebuild the zip with "
                  "`python -m autograder.export gradescope ... --container-is-sandbox` to let the container be the "
                  "sandbox (read docs/grading_at_scale.md first).", flush=True)
            return 3
        sandbox = "container"
        _announce_container(limits)
    (root / "results").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gan-gradescope-") as scratch:
        scratch = pathlib.Path(scratch)
        shutil.copytree(root / "submission", scratch / "subs" / "submission", symlinks=True)
        out = scratch / "out"
        try:
            grade(assignment, scratch / "subs", out, solutions=solutions, workers=1, limits=limits,
                  sandbox=sandbox == "bubblewrap")
        except GradingError as error:
            print(f"error: {error}", flush=True)
            return 2
        results = gradescope_results(assignment, solutions, out, time.monotonic() - started, sandbox)
        for log in sorted((out / "logs").glob("*.log")):  # for the instructor (stdout is hidden from students)
            print(log.read_text()[-4000:])
    validate_results(results)
    temporary = root / "results" / "results.json.tmp"
    temporary.write_text(json.dumps(results, indent=1))
    temporary.replace(root / "results" / "results.json")  # written last: nothing the submission wrote survives
    print(f"{assignment}: {results['score']:g} ({results['extra_data']['status']}, sandbox: {sandbox})")
    return 0


# --- Canvas and Moodle -----------------------------------------------------------------------

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDS = ("Email address", "ID number", "Username", "email", "idnumber", "username")
# roster columns (lower case) whose values identify a student, most specific first
KEY_COLUMNS = ("submission", "folder", "sis login id", "email address", "email", "username", "sis user id",
               "id number", "idnumber", "id", "student", "name", "full name")


def _fold(value: str) -> str:
    from autograder.collect import student_id

    return student_id(value).lower() if value and value.strip() else ""


def read_roster(path: pathlib.Path) -> tuple[list[str], list[dict]]:
    """(columns, rows) of a roster CSV; Canvas's ``Points Possible`` and muted rows are skipped."""
    try:
        text = pathlib.Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ExportError(f"cannot read the roster {path}: {error}. Fix: export it from the LMS as CSV (UTF-8).")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ExportError(f"the roster {path} is empty. Fix: export the class list from the LMS as CSV.")
    columns = [name.strip() for name in reader.fieldnames]
    rows = []
    for raw in reader:
        row = {name.strip(): (value or "").strip() for name, value in raw.items() if name}
        first = next(iter(row.values()), "").lower()
        if not any(row.values()) or first.startswith("points possible") or first == "muted":
            continue  # Canvas's export: a points row (and, in old exports, a muted row)
        rows.append(row)
    lower = {name.lower() for name in columns}
    if not lower & (set(KEY_COLUMNS) | {"first name", "last name"}):
        raise ExportError(f"the roster {path} has none of the columns that identify a student ({', '.join(columns)}). "
                          "Fix: use the LMS's export, or add a column `email`, `name` or `submission`.")
    return columns, rows


def _keys(row: dict) -> set[str]:
    lower = {name.lower(): value for name, value in row.items()}
    keys = set()
    for column in KEY_COLUMNS:
        value = lower.get(column, "")
        if value:
            keys.add(_fold(value))
            if "@" in value:
                keys.add(_fold(value.split("@")[0]))
            if "," in value:  # "Last, First"
                last, _, first = value.partition(",")
                keys.add(_fold(f"{first} {last}"))
    if lower.get("first name") or lower.get("last name"):
        first, last = lower.get("first name", ""), lower.get("last name", "")
        keys |= {_fold(f"{first} {last}"), _fold(f"{last} {first}")}
    return keys - {""}


def match(summary: list[dict], rows: list[dict]) -> tuple[dict, list[dict]]:
    """({roster row index: summary row}, problems) for the graded ``summary`` and roster ``rows``."""
    index: dict[str, set[int]] = {}
    for number, row in enumerate(rows):
        for key in _keys(row):
            index.setdefault(key, set()).add(number)
    claims: dict[int, list[dict]] = {}
    problems = []
    for entry in summary:
        keys = {_fold(entry["folder"]), _fold(entry["student"])} - {""}
        found = set().union(*(index.get(key, set()) for key in keys))
        if len(found) == 1:
            claims.setdefault(found.pop(), []).append(entry)
        elif not found:
            problems.append({"problem": "submission with no roster entry", "student": entry["student"],
                             "folder": entry["folder"], "score": entry["score"], "status": entry["status"],
                             "detail": "add the student to the roster (or a `submission` column naming this folder)"})
        else:
            names = "; ".join(_name(rows[i]) for i in sorted(found))
            problems.append({"problem": "submission matches several roster entries", "student": entry["student"],
                             "folder": entry["folder"], "score": entry["score"], "status": entry["status"],
                             "detail": f"matches {names}: add a `submission` column to the roster"})
    matched = {}
    for number, entries in sorted(claims.items()):
        if len(entries) == 1:
            matched[number] = entries[0]
            continue
        for entry in entries:
            problems.append({"problem": "several submissions for one roster entry", "student": entry["student"],
                             "folder": entry["folder"], "score": entry["score"], "status": entry["status"],
                             "detail": f"{_name(rows[number])}: pick one and leave the other out of the grades"})
    for number, row in enumerate(rows):
        if number not in matched and not any(p["detail"].startswith(_name(row) + ":") for p in problems):
            problems.append({"problem": "roster student with no submission", "student": _name(row), "folder": "",
                             "score": "", "status": "", "detail": "no score in the import file"})
    return matched, problems


def _name(row: dict) -> str:
    lower = {name.lower(): value for name, value in row.items()}
    for column in ("student", "name", "full name"):
        if lower.get(column):
            return lower[column]
    full = f"{lower.get('first name', '')} {lower.get('last name', '')}".strip()
    return full or lower.get("email address") or lower.get("email") or next(iter(row.values()), "?")


def _score(entry: dict | None) -> str:
    if entry is None or entry["status"] == "not_graded" or entry["score"] in ("", None):
        return ""
    return f"{float(entry['score']):g}"


def export_lms(kind: str, assignment: str, grades: pathlib.Path, roster: pathlib.Path,
               out: pathlib.Path | None = None, column: str | None = None, id_column: str | None = None) -> dict:
    """Write the Canvas or Moodle import file; returns {"file", "problems_file", "problems", "rows"}."""
    grades = pathlib.Path(grades)
    try:
        with open(grades / "summary.csv", newline="") as handle:
            summary = list(csv.DictReader(handle))
    except OSError:
        raise ExportError(f"{grades} has no summary.csv. Fix: pass the --out folder of "
                          "`python -m autograder.grade` or `python -m autograder.merge`.") from None
    columns, rows = read_roster(roster)
    matched, problems = match(summary, rows)
    max_score = next((row["max_score"] for row in summary if row.get("max_score")), "")
    column = column or assignment
    out = pathlib.Path(out) if out else grades / f"{kind}_{assignment}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if kind == "canvas":
            writer.writerow([*CANVAS_COLUMNS, column])
            writer.writerow(["Points Possible", "", "", "", "", f"{float(max_score):g}" if max_score else ""])
            lower_columns = {name.lower(): name for name in columns}
            for number, row in enumerate(rows):
                values = [row.get(lower_columns.get(name.lower(), name), "") for name in CANVAS_COLUMNS]
                if not values[0]:
                    values[0] = _name(row)
                writer.writerow([*values, _score(matched.get(number))])
        else:
            chosen = id_column or next((name for name in MOODLE_IDS if name in columns), None)
            if chosen is None or chosen not in columns:
                raise ExportError(f"the roster {roster} has no column {id_column or ' / '.join(MOODLE_IDS[:3])} to "
                                  f"identify students in Moodle (it has {', '.join(columns)}). Fix: export the "
                                  "participants with their e-mail or ID number, or pass --id-column.")
            writer.writerow([chosen, column])
            for number, row in enumerate(rows):
                writer.writerow([row.get(chosen, ""), _score(matched.get(number))])
    for number, entry in sorted(matched.items()):
        if _score(entry) == "":
            problems.append({"problem": "roster student not graded", "student": entry["student"],
                             "folder": entry["folder"], "score": "", "status": entry["status"],
                             "detail": entry.get("note", "")})
    problems_file = out.with_suffix(".problems.csv")
    if problems:
        with open(problems_file, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, ["problem", "student", "folder", "score", "status", "detail"])
            writer.writeheader()
            writer.writerows(problems)
    elif problems_file.exists():
        problems_file.unlink()
    return {"file": out, "problems_file": problems_file if problems else None, "problems": problems,
            "rows": len(rows), "matched": len(matched)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="kind", required=True)
    gs = sub.add_parser("gradescope", help="build Gradescope's autograder zip")
    gs.add_argument("assignment")
    gs.add_argument("--out", type=pathlib.Path, default=None, help="the zip (default gradescope_ASSIGNMENT.zip)")
    gs.add_argument("--solutions", type=pathlib.Path, default=ROOT / "solutions")
    gs.add_argument("--container-is-sandbox", action="store_true",
                    help="where bubblewrap cannot start in Gradescope's container, grade without it (printed)")
    run = sub.add_parser("gradescope-run", help="what run_autograder calls inside Gradescope's container")
    run.add_argument("assignment")
    run.add_argument("--root", type=pathlib.Path, default=pathlib.Path(os.environ.get("GRADESCOPE_ROOT", "/autograder")))
    run.add_argument("--container-is-sandbox", action="store_true")
    for kind in ("canvas", "moodle"):
        lms = sub.add_parser(kind, help=f"write {kind.title()}'s gradebook import file")
        lms.add_argument("assignment")
        lms.add_argument("--grades", type=pathlib.Path, required=True, help="the --out folder of grade or merge")
        lms.add_argument("--roster", type=pathlib.Path, required=True, help=f"the class list exported from {kind.title()}")
        lms.add_argument("--out", type=pathlib.Path, default=None, help=f"default: GRADES/{kind}_ASSIGNMENT.csv")
        lms.add_argument("--column", default=None, help="the assignment's column (default: the assignment's name)")
        if kind == "moodle":
            lms.add_argument("--id-column", default=None, help="the roster column that identifies a student")
    args = parser.parse_args(argv)
    try:
        if args.kind == "gradescope":
            path = build_gradescope(args.assignment, args.out or pathlib.Path(f"gradescope_{args.assignment}.zip"),
                                    args.solutions, args.container_is_sandbox)
            print(f"Wrote {path}: upload it under Configure Autograder (Ubuntu base image, Python 3.10-3.12).")
            return 0
        if args.kind == "gradescope-run":
            return run_gradescope(args.assignment, args.root, args.container_is_sandbox)
        report = export_lms(args.kind, args.assignment, args.grades, args.roster, args.out, args.column,
                            getattr(args, "id_column", None))
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {report['file']}: {report['rows']} roster students, {report['matched']} with a submission.")
    if report["problems"]:
        print(f"{len(report['problems'])} problem(s), also in {report['problems_file']}:", file=sys.stderr)
        for problem in report["problems"]:
            score = f" (score {problem['score']})" if problem["score"] not in ("", None) else ""
            print(f"  {problem['problem']}: {problem['student']}{score}. {problem['detail']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
