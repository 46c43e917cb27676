"""Join the ``--out`` folders of a sharded grading run into one, as if one run had graded the class.

    python -m autograder.grade 01_mlp_gan subs --out grades/shard-0 --shard 0/4   # ... up to 3/4
    python -m autograder.merge grades/shard-0 grades/shard-1 grades/shard-2 grades/shard-3 --out grades/01_mlp_gan

Each shard's ``state.json`` records which shard every student of the class belongs to and
whether the shard finished. The merge writes what one run writes: ``summary.csv``,
``grades.csv``, ``students.csv``, ``feedback/``, ``autograded/``, ``logs/``, ``history.csv``
and ``history/`` where a shard has them, and one ``gradebook.db`` holding every shard's
submissions with their scores and comments. When every shard finished, the CSVs are byte for
byte those of a single run over the same submissions.

A shard that is missing (no folder, or no ``state.json``) or did not finish (killed part-way;
its ``state.json`` has no finish time) is named on the screen, and each of its students not
yet graded gets a row with status ``not_graded``, no score and a note that says which shard
to rerun. Nobody is dropped. The exit status is then 1; rerun the shard with the same command
and ``--resume`` (it grades only who is left), and merge again.

The ``--out`` of a merge may be merged into again (it is rebuilt from the shards); any other
folder that already holds grades is refused.
"""

from __future__ import annotations

import argparse
import csv
import json
import pathlib
import shutil
import sys
import types
import warnings

from autograder.grade import STATE, GradingError, _Out

NOT_GRADED = "not_graded"


class MergeError(GradingError):
    """The shards cannot be merged as given; the message says why and what to do."""


def _load(folder: pathlib.Path) -> dict | None:
    try:
        state = json.loads((folder / STATE).read_text())
    except (OSError, ValueError):
        return None
    if "shard" not in state:
        raise MergeError(f"{folder} was not graded with --shard I/N, so it cannot be merged; grade the class in "
                         "shards (python -m autograder.grade ... --shard I/N) or use this folder as it is.")
    return state


def _copy_gradebook(source: pathlib.Path, gradebook, assignment: str, students: list[str]) -> None:
    """Copy ``students``' submissions (scores, manual scores, comments) from the shard's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{source}") as shard:
        for student in students:
            submission = shard.find_submission(assignment, student)
            with warnings.catch_warnings():  # nbgrader's own SQLAlchemy warnings, harmless
                warnings.simplefilter("ignore")
                gradebook.add_submission(assignment, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    target = gradebook.find_grade(grade.name, notebook.name, assignment, student)
                    target.auto_score, target.manual_score = grade.auto_score, grade.manual_score
                    target.extra_credit, target.needs_manual_grade = grade.extra_credit, grade.needs_manual_grade
                for comment in notebook.comments:
                    target = gradebook.find_comment(comment.name, notebook.name, assignment, student)
                    target.auto_comment, target.manual_comment = comment.auto_comment, comment.manual_comment
            gradebook.db.commit()


def merge(shards: list[pathlib.Path], out: pathlib.Path) -> dict:
    """Merge the shard folders into ``out``; returns a report: {"assignment", "count", "missing":
    [shard indexes with no state], "unfinished": {index: folder}, "not_graded": {student: shard}}."""
    from nbgrader.api import Gradebook

    out = pathlib.Path(out)
    states: dict[int, tuple[pathlib.Path, dict]] = {}
    unreadable = []
    for folder in map(pathlib.Path, shards):
        state = _load(folder)
        if state is None:
            unreadable.append(folder)
            continue
        index = state["shard"]["index"]
        if index in states:
            raise MergeError(f"{folder} and {states[index][0]} are both shard {index}; pass each shard once.")
        states[index] = (folder, state)
    if not states:
        raise MergeError("none of " + ", ".join(map(str, shards)) + " holds a shard's state.json; "
                         "nothing to merge (did the grading jobs run?)")
    assignments = {state["assignment"] for _, state in states.values()}
    counts = {state["shard"]["count"] for _, state in states.values()}
    if len(assignments) > 1 or len(counts) > 1:
        raise MergeError(f"the shards are of different runs (assignments {sorted(assignments)}, shard counts "
                         f"{sorted(counts)}); merge the shards of one run.")
    (assignment,), (count,) = assignments, counts
    if out.exists() and any(out.iterdir()):
        previous = _load_any(out)
        if previous is None or "merge" not in previous:
            raise MergeError(f"{out} already holds files that are not an earlier merge; pass a new --out folder.")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)

    classes: dict[str, int] = {}
    for _, state in states.values():
        classes.update(state["shard"]["class"])
    missing = [index for index in range(count) if index not in states]
    unfinished = {index: str(folder) for index, (folder, state) in sorted(states.items())
                  if not state["shard"].get("finished")}
    merged = {"assignment": assignment, "students": {}}
    template = min(states.values(), key=lambda item: item[1]["shard"]["index"])[0] / "gradebook.db"
    shutil.copy(template, out / "gradebook.db")
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        for student in [s.id for s in gradebook.students]:  # start from an empty gradebook
            gradebook.remove_student(student)
        max_score = gradebook.find_assignment(assignment).max_score
        for index, (folder, state) in sorted(states.items()):
            students = state["students"]
            for student in students:
                gradebook.update_or_create_student(student)
            _copy_gradebook(folder / "gradebook.db", gradebook, assignment,
                            [student for student, row in students.items() if row.get("graded")])
            merged["students"].update(students)
            for kind in ("feedback", "autograded", "logs", "history"):
                if (folder / kind).is_dir():
                    shutil.copytree(folder / kind, out / kind, dirs_exist_ok=True)
        not_graded = {student: shard for student, shard in sorted(classes.items())
                      if student not in merged["students"]}
        for student, shard in not_graded.items():
            why = "never ran or left no state.json" if shard in missing else "did not finish"
            gradebook.update_or_create_student(student)
            merged["students"][student] = {
                "sha256": "", "folder": "", "max_score": max_score, "score": "", "cells": {}, "graded": False,
                "status": NOT_GRADED, "missing_notebooks": [],
                "note": f"not graded: shard {shard}/{count} {why}; rerun it with --shard {shard}/{count} --resume "
                        "and merge again"}
    _merge_history(states, out)
    merged["students"] = dict(sorted(merged["students"].items()))
    report = {"assignment": assignment, "count": count, "missing": missing, "unfinished": unfinished,
              "unreadable": [str(folder) for folder in unreadable], "not_graded": not_graded}
    merged["merge"] = dict(report, shards={index: str(folder) for index, (folder, _) in sorted(states.items())})
    _Out.save(types.SimpleNamespace(out=out, state=merged))  # the very writer of a single run
    return report


def _load_any(folder: pathlib.Path) -> dict | None:
    try:
        return json.loads((folder / STATE).read_text())
    except (OSError, ValueError):
        return None


def _merge_history(states: dict, out: pathlib.Path) -> None:
    rows, header = [], None
    for _, (folder, _) in sorted(states.items()):
        if (folder / "history.csv").exists():
            with open(folder / "history.csv", newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader, header)
                rows += list(reader)
    if header:
        with open(out / "history.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(sorted(rows, key=lambda row: (row[-1], row[0])))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shards", type=pathlib.Path, nargs="+", help="the --out folders of the shards")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="folder for the merged grades")
    args = parser.parse_args(argv)
    try:
        report = merge(args.shards, args.out)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    count = report["count"]
    for folder in report["unreadable"]:
        print(f"shard folder {folder}: no state.json (the shard never started there)", file=sys.stderr)
    for index in report["missing"]:
        print(f"MISSING: shard {index}/{count} (no folder with its state.json was given)", file=sys.stderr)
    for index, folder in report["unfinished"].items():
        print(f"NOT FINISHED: shard {index}/{count} in {folder} (killed or failed part-way)", file=sys.stderr)
    if report["not_graded"]:
        print(f"{len(report['not_graded'])} student(s) NOT GRADED (status {NOT_GRADED} in summary.csv):",
              file=sys.stderr)
        for student, shard in report["not_graded"].items():
            print(f"  {student:24s} shard {shard}/{count}", file=sys.stderr)
        print(f"Rerun each shard named above with its own command plus --resume, then merge again.",
              file=sys.stderr)
    print(f"Merged {count - len(report['missing'])} of {count} shard(s) of {report['assignment']} into {args.out}")
    return 1 if report["not_graded"] or report["missing"] or report["unfinished"] else 0


if __name__ == "__main__":
    sys.exit(main())
