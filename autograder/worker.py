"""Grade one student in one scratch nbgrader course: autograde, feedback, results as JSON.

    python -m autograder.worker COURSE ASSIGNMENT STUDENT [--feedback-shows-tests]

`autograder.grade` starts one of these per student (several at once), in a course folder
of that student's own. Running nbgrader's autograde and generate_feedback in one process,
and reading the scores here, saves a start of nbgrader per student. The result goes to
``COURSE/result.json``; the gradebook in ``--out`` is written only by the parent.

Around nbgrader (see `autograder.integrity`): canaries are added to the scratch copy of
each submitted notebook before autograde; a notebook where one passed is marked tampered
and its graded cells get 0; the feedback is made from a copy of the autograded notebooks
without the canaries and, unless ``--feedback-shows-tests``, without the hidden tests' code.
"""

from __future__ import annotations

import json
import logging
import pathlib
import sys
import time
import traceback
import warnings

from autograder import integrity


FEEDBACK_SOURCE = "feedback_source"  # the sanitised copies of the autograded notebooks


def _load(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _save(path: pathlib.Path, notebook: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def _add_canaries(course: pathlib.Path, assignment: str, student: str) -> None:
    for path in sorted((course / "submitted" / student / assignment).glob("*.ipynb")):
        source = course / "solutions" / assignment / path.name
        if source.exists():
            _save(path, integrity.add_canaries(_load(path), _load(source)))


def _tampered(course: pathlib.Path, assignment: str, student: str) -> dict:
    """{notebook: [passed canaries]} for each autograded notebook where a canary passed."""
    found = {}
    for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
        try:
            passed = integrity.passed_canaries(_load(path))
        except (OSError, ValueError):
            continue
        if passed:
            found[path.stem] = passed
    return found


def _zero(course: pathlib.Path, assignment: str, student: str, tampered: dict) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            if notebook.name in tampered:
                for grade in notebook.grades:
                    grade.auto_score, grade.manual_score = 0.0, None
        gradebook.db.commit()


def _feedback_sources(course: pathlib.Path, assignment: str, student: str, shows_tests: bool) -> None:
    for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
        source = course / "solutions" / assignment / path.name
        notebook = _load(path)
        if source.exists():
            notebook = integrity.feedback_notebook(notebook, _load(source), shows_tests)
        _save(course / FEEDBACK_SOURCE / student / assignment / path.name, notebook)


def run(course: pathlib.Path, assignment: str, student: str, shows_tests: bool = False) -> dict:
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    shows_tests = shows_tests or bool(config.get("GankitGrader", {}).get("feedback_shows_tests"))
    result = {"cells": {}, "comments": {}, "errors": [], "timings": {}, "tampered": {}}
    _add_canaries(course, assignment, student)
    for name, converter in (("autograde", Autograde), ("generate_feedback", GenerateFeedback)):
        started = time.monotonic()
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id, coursedir.student_id = assignment, student
        if name == "generate_feedback":
            result["tampered"] = _tampered(course, assignment, student)
            if result["tampered"] and not result["errors"]:
                _zero(course, assignment, student, result["tampered"])
            _feedback_sources(course, assignment, student, shows_tests)
            coursedir.autograded_directory = FEEDBACK_SOURCE
        app = converter(coursedir=coursedir, config=config)
        app.force = True
        if name == "autograde":
            app.create_student = True
        try:
            app.start()
        except Exception as error:  # nbgrader raises after logging which notebook failed
            result["errors"].append(f"{name}: {error}")
            logging.getLogger(__name__).error("%s failed:\n%s", name, traceback.format_exc())
        result["timings"][name] = round(time.monotonic() - started, 1)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        try:
            row = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return result
        result["score"] = row.score
        for notebook in row.notebooks:
            for grade in notebook.grades:
                result["cells"][grade.name] = {"notebook": notebook.name, "score": grade.score,
                                               "max_score": grade.max_score, "auto_score": grade.auto_score,
                                               "needs_manual_grade": grade.needs_manual_grade}
            for comment in notebook.comments:
                result["comments"][comment.name] = {"notebook": notebook.name, "auto_comment": comment.auto_comment}
    return result


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    shows_tests = "--feedback-shows-tests" in argv
    argv = [arg for arg in argv if arg != "--feedback-shows-tests"]
    if len(argv) != 3:
        raise SystemExit("usage: python -m autograder.worker COURSE ASSIGNMENT STUDENT [--feedback-shows-tests]")
    course = pathlib.Path(argv[0]).resolve()
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout)
    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own, harmless
    result = run(course, argv[1], argv[2], shows_tests)
    (course / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
