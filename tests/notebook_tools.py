"""Helpers for tests that read, fill in and grade course notebooks."""

from __future__ import annotations

import importlib.util
import pathlib

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
COURSE = ROOT / "course"


def notebooks() -> list[str]:
    """Every notebook folder in solutions/, graded or not (the appendices have no exercises)."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def assignments() -> list[str]:
    """The notebook folders that carry graded exercises (the ones nbgrader grades)."""
    return [name for name in notebooks() if cell_points(name)]


def notebook_path(assignment: str, root: pathlib.Path = SOLUTIONS) -> pathlib.Path:
    (path,) = sorted((root / assignment).glob("*.ipynb"))
    return path


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def clean_solution(source: str) -> str:
    """A solution cell's source as a learner would have written it (markers removed)."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def solution_sources(assignment: str) -> dict[str, str]:
    """{grade_id: learner-style answer} for every solution cell of the source notebook."""
    notebook = nbformat.read(notebook_path(assignment), as_version=4)
    return {nbgrader_meta(c)["grade_id"]: clean_solution(c.source)
            for c in notebook.cells if nbgrader_meta(c).get("solution")}


def graded_cells(assignment: str) -> list:
    """The graded test cells of the source notebook (their hidden tests included), in order."""
    notebook = nbformat.read(notebook_path(assignment), as_version=4)
    return [c for c in notebook.cells if nbgrader_meta(c).get("grade")]


def cell_points(assignment: str) -> dict[str, float]:
    """{grade_id: points} for every graded test cell of the source notebook."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in graded_cells(assignment)}


def filled_submission(assignment: str, replace: dict[str, str] | None = None, blank: bool = False):
    """The released notebook with every answer filled in from the solutions, then ``replace``d."""
    notebook = nbformat.read(notebook_path(assignment, COURSE), as_version=4)
    if blank:
        return notebook
    answers = dict(solution_sources(assignment), **(replace or {}))
    for cell in notebook.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def up_to_last_graded_test(notebook):
    """``notebook`` without the cells after its last graded test cell (training that no test reads).

    A submission cut there scores as the whole one does: every graded cell, and every cell
    before one, is still in it. The suite grades such cuts where a whole notebook would add
    only its training's minutes.
    """
    last = max(i for i, cell in enumerate(notebook.cells) if nbgrader_meta(cell).get("grade"))
    notebook.cells = notebook.cells[:last + 1]
    return notebook


def submission_module(assignment: str):
    """The module tests/submissions/sub_<assignment>.py, or None if there is none."""
    path = ROOT / "tests" / "submissions" / f"sub_{assignment}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"sub_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wrong_submissions(assignment: str) -> list[dict]:
    """The WRONG list of tests/submissions/sub_<assignment>.py (empty if there is none)."""
    module = submission_module(assignment)
    return list(module.WRONG) if module is not None else []


def pack_wrong_answers(wrong: list[dict]) -> list[list[dict]]:
    """Group wrong answers into as few submissions as possible, in order.

    A submission holds at most one wrong answer per exercise (``cell``), and answers whose
    ``loses`` overlap never share one, so each submission must lose exactly the union of its
    answers' tests. The count is the largest number of wrong answers to one exercise.
    """
    packs: list[list[dict]] = []
    for case in wrong:
        for pack in packs:
            cells = {c["cell"] for c in pack}
            lost = set().union(*(c["loses"] for c in pack))
            if case["cell"] not in cells and not lost & set(case["loses"]):
                pack.append(case)
                break
        else:
            packs.append([case])
    return packs


def graded_test_sources(assignment: str) -> dict[str, str]:
    """{grade_id: source} of every graded test cell of the source notebook, hidden tests included."""
    return {nbgrader_meta(c)["grade_id"]: c.source for c in graded_cells(assignment)}


def prelude_namespace(module, answers: list[str]) -> dict:
    """A fresh namespace after the module's ``PRELUDE`` and then ``answers`` ran in it.

    ``PRELUDE`` (in tests/submissions/sub_<assignment>.py) sets up what the notebook
    defines before its exercises, so a check or a hidden test can run without the notebook.
    """
    namespace: dict = {}
    exec(compile(getattr(module, "PRELUDE", ""), "<prelude>", "exec"), namespace)
    for number, answer in enumerate(answers):
        exec(compile(answer, f"<answer {number}>", "exec"), namespace)
    return namespace


def run_in(namespace: dict, code: str, name: str = "<check>") -> None:
    """Run ``code`` in a copy of ``namespace`` (so that it cannot change it); raise what it raised."""
    exec(compile(code, name, "exec"), dict(namespace))
