"""The visible check of each exercise names the mistake, while the learner works.

Each tests/submissions/sub_<assignment>.py may define

* ``PRELUDE``: code that sets up what the answer cells need (the imports and constants the
  notebook defines before its exercises);
* ``CHECKS``: ``{grade_id: call}``, the one-line call into the package that the notebook's
  visible check cell for that exercise makes (the notebook must contain it verbatim);

and each entry of ``WRONG`` may carry ``visible``: text the visible check's message must
contain for that wrong answer. The solution must pass its visible check; each wrong answer
with ``visible`` must fail it with that text. No notebook is executed: the answer and the
check run in one namespace, so this stays in the fast tier.
"""

from __future__ import annotations

import nbformat
import pytest

from notebook_tools import assignments, notebook_path, prelude_namespace, run_in, solution_sources, submission_module


def _modules():
    for assignment in assignments():
        module = submission_module(assignment)
        if module is not None and getattr(module, "CHECKS", None):
            yield assignment, module


def _run(module, answer: str, call: str) -> None:
    run_in(prelude_namespace(module, [answer]), call, "<visible check>")


def _solution_cases():
    for assignment, module in _modules():
        for grade_id, call in module.CHECKS.items():
            yield pytest.param(assignment, module, grade_id, call, id=f"{assignment}-{grade_id}")


def _wrong_cases():
    for assignment, module in _modules():
        for case in module.WRONG:
            if "visible" in case:
                yield pytest.param(assignment, module, case, id=f"{assignment}-{case['name']}")


@pytest.mark.parametrize("assignment, module, grade_id, call", list(_solution_cases()))
def test_solution_passes_its_visible_check(assignment, module, grade_id, call):
    source = "\n".join(cell.source for cell in nbformat.read(notebook_path(assignment), as_version=4).cells)
    assert call in source, f"{assignment}: no cell calls the visible check {call!r} for {grade_id}"
    _run(module, solution_sources(assignment)[grade_id], call)


@pytest.mark.parametrize("assignment, module, case", list(_wrong_cases()))
def test_visible_check_names_the_mistake(assignment, module, case):
    call = case.get("check") or module.CHECKS[case["cell"]]
    with pytest.raises(Exception) as caught:
        _run(module, case["source"], call)
    assert case["visible"].lower() in str(caught.value).lower(), (
        f"{assignment}/{case['name']}: the visible check said {str(caught.value)!r}, "
        f"which does not name the mistake ({case['visible']!r})")


@pytest.mark.parametrize("assignment", assignments())
def test_every_exercise_has_a_visible_check(assignment):
    module = submission_module(assignment)
    checks = getattr(module, "CHECKS", {}) if module is not None else {}
    missing = sorted(set(solution_sources(assignment)) - set(checks))
    assert not missing, f"{assignment}: exercises without a visible check in sub_{assignment}.CHECKS: {missing}"
