"""Grade one student in one scratch nbgrader course: autograde, feedback, results as JSON.

    python -m autograder.worker COURSE ASSIGNMENT STUDENT

`autograder.grade` starts one of these per student (several at once), in a course folder
of that student's own. Running nbgrader's autograde and generate_feedback in one process,
and reading the scores here, saves a start of nbgrader per student. The result goes to
``COURSE/result.json``; the gradebook in ``--out`` is written only by the parent.
"""

from __future__ import annotations

import json
import logging
import pathlib
import sys
import time
import traceback
import warnings


def run(course: pathlib.Path, assignment: str, student: str) -> dict:
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    result = {"cells": {}, "comments": {}, "errors": [], "timings": {}}
    for name, converter in (("autograde", Autograde), ("generate_feedback", GenerateFeedback)):
        started = time.monotonic()
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id, coursedir.student_id = assignment, student
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
    if len(argv) != 3:
        raise SystemExit("usage: python -m autograder.worker COURSE ASSIGNMENT STUDENT")
    course = pathlib.Path(argv[0]).resolve()
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout)
    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own, harmless
    result = run(course, argv[1], argv[2])
    (course / "result.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
