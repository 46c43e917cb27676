"""Autograding round trips: solution, untouched release and realistic wrong answers.

For every assignment, one batch is graded with the real grading command
(`autograder.grade`): the solution must score full marks, the untouched release 0
(without breaking the grader), and each wrong answer in
tests/submissions/sub_<assignment>.py must lose exactly the points of the tests it
names, with feedback that names the problem.

Each graded notebook is one notebook execution in the sandbox, the suite's main cost, so
the round trip grades one packed wrong submission per assignment: the first pack, which
carries one wrong answer for as many exercises as it can (wrong answers whose lost tests
overlap never share a submission). Graded tests are independent, so it must lose exactly
the union of its answers' tests. Every other wrong answer is checked against every hidden
test without a notebook, in tests/test_hidden_tests.py. The solution and the blank release
are graded whole; the packed submission ends at the notebook's last graded test (the
training after it scores nothing), which keeps every graded cell and every cell before one.
"""

import html
import pathlib

import nbformat
import pytest

from autograder.grade import GradingError, grade
from notebook_tools import (assignments, cell_points, filled_submission, pack_wrong_answers, up_to_last_graded_test,
                            wrong_submissions)

pytestmark = [pytest.mark.slow, pytest.mark.grading]


@pytest.fixture(scope="module", params=assignments())
def graded(request, tmp_path_factory):
    assignment = request.param
    base = tmp_path_factory.mktemp(f"grade-{assignment}")
    submissions = base / "submissions"
    batch = {"solution": filled_submission(assignment), "blank": filled_submission(assignment, blank=True)}
    wrong = wrong_submissions(assignment)
    packs = pack_wrong_answers(wrong)[:1]
    for number, pack in enumerate(packs, 1):
        answers = {case["cell"]: case["source"] for case in pack}
        batch[f"wrong-{number}"] = up_to_last_graded_test(filled_submission(assignment, answers))
    for student, notebook in batch.items():
        (submissions / student).mkdir(parents=True)
        nbformat.write(notebook, submissions / student / f"{assignment}.ipynb")
    grades = grade(assignment, submissions, base / "out")
    return assignment, grades, base / "out", wrong, packs


def _feedback_text(out: pathlib.Path, student: str) -> str:
    pages = sorted((out / "feedback" / student).rglob("*.html"))
    assert pages, f"no feedback written for {student}"
    return html.unescape(" ".join(p.read_text() for p in pages)).lower()


def test_solution_scores_full_marks(graded):
    assignment, grades, _, _, _ = graded
    row = grades["solution"]
    failed = {k: v for k, v in row["cells"].items() if v["score"] != v["max_score"]}
    assert row["score"] == row["max_score"] > 0, f"{assignment}: the solution lost points in {failed}"
    assert row["status"] == "graded" and not row["note"], f"{assignment}: {row['status']}: {row['note']}"


def test_honest_submissions_are_never_flagged_and_feedback_hides_the_tests(graded):
    """The grader's canaries (autograder.integrity) fail in every honest kernel: no tampered row."""
    assignment, grades, out, _, _ = graded
    for student, row in grades.items():
        assert row["status"] == "graded", f"{assignment}/{student}: {row['status']}: {row['note']}"
        assert "BEGIN HIDDEN TESTS" not in _feedback_text(out, student).upper(), f"{assignment}/{student}"


def test_untouched_release_scores_zero(graded):
    assignment, grades, out, _, _ = graded
    row = grades["blank"]
    assert row["graded"], f"{assignment}: the blank release broke the grader"
    assert row["score"] == 0, f"{assignment}: the blank release scored {row['cells']}"
    assert "notimplementederror" in _feedback_text(out, "blank")


def test_each_wrong_submission_loses_exactly_its_exercise(graded):
    assignment, grades, out, wrong, packs = graded
    assert len(wrong) >= 3, f"{assignment} needs at least three realistic wrong submissions"
    exercises = {c["cell"] for c in wrong}
    assert len({c["cell"] for c in packs[0]}) >= min(2, len(exercises)), f"{assignment}: the graded pack is too small"
    points = cell_points(assignment)
    total = sum(points.values())
    for number, pack in enumerate(packs, 1):
        student = f"wrong-{number}"
        names = [case["name"] for case in pack]
        row = grades[student]
        lost = {cell for cell, value in row["cells"].items() if value["score"] < value["max_score"]}
        expected_lost = set().union(*(case["loses"] for case in pack))
        assert lost == expected_lost, f"{assignment}/{names}: lost {lost}, expected {expected_lost}"
        expected = total - sum(points[cell] for cell in expected_lost)
        assert row["score"] == pytest.approx(expected), f"{assignment}/{names}"
        feedback = _feedback_text(out, student)
        for case in pack:
            assert case["says"].lower() in feedback, (
                f"{assignment}/{case['name']} (packed with {names}): feedback does not mention {case['says']!r}")


def test_existing_grades_are_never_overwritten(graded):
    assignment, _, out, _, _ = graded
    before = (out / "summary.csv").read_bytes()
    with pytest.raises(GradingError, match="already holds grades"):
        grade(assignment, out, out)
    assert (out / "summary.csv").read_bytes() == before
