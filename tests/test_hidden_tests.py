"""Every realistic wrong answer loses exactly the hidden tests it names, and says why.

The graded round trips (tests/test_autograde.py) execute whole notebooks in the grader's
sandbox, a few minutes of CPU each, so they grade the solution, the blank release and one
packed wrong submission per assignment. This file checks every wrong answer of
tests/submissions/sub_<assignment>.py against every graded test cell of the source
notebook (hidden tests included) without a notebook: the module's ``PRELUDE`` sets up what
the notebook defines before its exercises, the solution's answers run with the wrong one in
its place, and each test cell runs in its own copy of that namespace.

The solution must pass every test cell; a wrong answer must fail exactly the cells in its
``loses``, and the exception's message must contain its ``says``, as the learner's
feedback does (tests/test_autograde.py checks that feedback for its packed submission).
"""

from __future__ import annotations

import traceback

import pytest

from notebook_tools import (assignments, graded_test_sources, prelude_namespace, run_in, solution_sources,
                            submission_module, wrong_submissions)

pytestmark = pytest.mark.slow


def _failures(assignment: str, replace: dict[str, str] | None = None) -> dict[str, str]:
    """{grade_id: what the learner would read} for every graded test cell that fails."""
    answers = dict(solution_sources(assignment), **(replace or {}))
    namespace = prelude_namespace(submission_module(assignment), list(answers.values()))
    failed = {}
    for grade_id, source in graded_test_sources(assignment).items():
        try:
            run_in(namespace, source, f"<test {grade_id}>")
        except Exception as error:  # noqa: BLE001 - any failure of a test cell loses its points
            failed[grade_id] = "".join(traceback.format_exception_only(type(error), error))
    return failed


@pytest.mark.parametrize("assignment", assignments())
def test_solution_passes_every_hidden_test(assignment):
    assert _failures(assignment) == {}


def _wrong_cases():
    for assignment in assignments():
        for case in wrong_submissions(assignment):
            yield pytest.param(assignment, case, id=f"{assignment}-{case['name']}")


@pytest.mark.parametrize("assignment, case", list(_wrong_cases()))
def test_wrong_answer_loses_exactly_its_tests(assignment, case):
    failed = _failures(assignment, {case["cell"]: case["source"]})
    assert set(failed) == set(case["loses"]), (
        f"{assignment}/{case['name']}: failed {sorted(failed)}, expected {sorted(case['loses'])}")
    said = " ".join(failed.values()).lower()
    assert case["says"].lower() in said, f"{assignment}/{case['name']}: the failure does not say {case['says']!r}: {said}"
