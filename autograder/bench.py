"""Benchmark the grader: a class of notebook-01 submissions graded with 1 and with 2 workers.

    python -m autograder.bench                 # 30 submissions, workers 1 then 2
    python -m autograder.bench -n 10 --workers 2 4

The class mixes correct, partial (one exercise left as released), blank, hostile (reads
$HOME, forks without end, reaches for the network, then answers correctly) and broken
(not JSON, a renamed notebook) submissions. It prints submissions per minute for each
worker count and checks that every run wrote the same grades (summary.csv scores and
statuses, grades.csv); exit status 1 if they differ.
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import sys
import tempfile
import time

from autograder.release import ROOT

ASSIGNMENT = "01_mlp_gan"
HOSTILE = """import os, socket, time
for path in ('/root/.ssh/id_rsa', os.path.expanduser('~/.bash_history')):
    try:
        open(path).read()
    except OSError as error:
        print('blocked:', type(error).__name__)
try:
    socket.create_connection(('1.1.1.1', 443), timeout=2)
except OSError as error:
    print('no network:', error)
children = []
try:
    for _ in range(10000):  # a fork bomb, stopped by the process limit; its copies then exit
        pid = os.fork()
        if pid == 0:
            time.sleep(2)
            os._exit(0)
        children.append(pid)
except OSError as error:
    print('fork stopped after', len(children), error)
for pid in children:
    os.waitpid(pid, 0)
"""


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _answers() -> dict[str, str]:
    notebook = json.loads((ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    answers = {}
    for cell in notebook["cells"]:
        if _meta(cell).get("solution"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            answers[_meta(cell)["grade_id"]] = "\n".join(
                line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return answers


def make_class(folder: pathlib.Path, count: int) -> dict[str, str]:
    """Write ``count`` student folders into ``folder``; returns {folder name: kind}."""
    released = json.loads((ROOT / "course" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    answers = _answers()
    code_answers = [gid for gid in answers if any(_meta(c).get("grade_id") == gid and c["cell_type"] == "code"
                                                  for c in released["cells"])]
    kinds = ["correct", "partial", "blank", "hostile", "broken"]
    made = {}
    for index in range(count):
        kind = kinds[index % len(kinds)]
        name = f"{kind} {index:02d}" if kind != "correct" else f"Élève {index:02d}"
        notebook = json.loads(json.dumps(released))
        for cell in notebook["cells"]:
            grade_id = _meta(cell).get("grade_id")
            if grade_id in answers and kind in ("correct", "partial", "hostile"):
                cell["source"] = answers[grade_id]
            if kind == "partial" and code_answers and grade_id == code_answers[index % len(code_answers)]:
                cell["source"] = "# YOUR CODE HERE\nraise NotImplementedError()"
            if kind == "hostile" and code_answers and grade_id == code_answers[0]:
                cell["source"] = HOSTILE + "\n" + answers[grade_id]
        student = folder / name
        student.mkdir(parents=True)
        if kind == "broken" and index % 2:
            (student / f"{ASSIGNMENT}.ipynb").write_text("{ this is not json")
        else:
            target = f"{ASSIGNMENT} (1).ipynb" if kind == "broken" else f"{ASSIGNMENT}.ipynb"
            (student / target).write_text(json.dumps(notebook))
        made[name] = kind
    return made


def _grades(out: pathlib.Path) -> tuple:
    with open(out / "summary.csv") as handle:
        summary = sorted((row["student"], row["score"], row["status"]) for row in csv.DictReader(handle))
    return summary, (out / "grades.csv").read_text()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=30, help="submissions (default 30)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    args = parser.parse_args(argv)
    from autograder.collect import student_id
    from autograder.grade import grade

    with tempfile.TemporaryDirectory(prefix="gan-grade-bench-") as scratch:
        scratch = pathlib.Path(scratch)
        kinds = make_class(scratch / "class", args.n)
        results = {}
        for workers in args.workers:
            out = scratch / f"out-{workers}"
            started = time.monotonic()
            grade(ASSIGNMENT, scratch / "class", out, workers=workers)
            minutes = (time.monotonic() - started) / 60
            results[workers] = _grades(out)
            print(f"{workers} worker(s): {args.n} submissions in {minutes:.1f} min = "
                  f"{args.n / minutes:.1f} submissions per minute", flush=True)
        first = results[args.workers[0]]
        same = all(value == first for value in results.values())
        kinds = {student_id(name): kind for name, kind in kinds.items()}
        for student, score, status in first[0]:
            print(f"  {student:14s} {kinds.get(student, '?'):8s} {score:>5s} {status}")
        print("same grades for every worker count" if same else "GRADES DIFFER between worker counts")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
