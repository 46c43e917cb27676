"""Cheats do not pay and are flagged, hidden tests stay hidden: notebook 00, graded for real.

Notebook 00 (the cheapest graded notebook) is graded in ONE batch, in the sandbox, beside
an honest correct and an honest wrong submission: its cells up to its last graded test (all
three exercises, their visible checks and hidden tests, not the training that follows, which
would only add minutes). Every hidden test of the copy of its source notebook carries a
planted marker. Each cheat puts its trick in the first answer
cell, where a student's code first runs in the kernel that later runs the hidden tests,
and answers wrongly (or not at all) elsewhere: with honest tests every one of them scores
0 or close to it; a trick that worked would give it points. Each has its asserted status
and score, and no feedback page contains the marker or a hidden test's code.
"""

import csv
import html
import json
import pathlib
import shutil

import nbformat
import pytest

from autograder.grade import grade
from autograder.settings import limits_for
from notebook_tools import (ROOT, cell_points, filled_submission, nbgrader_meta, solution_sources,
                            up_to_last_graded_test, wrong_submissions)

pytestmark = [pytest.mark.slow, pytest.mark.grading]

ASSIGNMENT = "00_cook_and_critic"
MARKER = "hidden-marker-3e9d51"  # planted in every hidden test of the copy of the source notebook
BLANK = "def discriminator_loss(real_logits, fake_logits):\n    raise NotImplementedError()\n"

# A wrong answer to exercise 1 that the trick should carry past the tests.
JUNK = "\ndef discriminator_loss(real_logits, fake_logits):\n    return 0.0\n"
CHEATS = {
    # An answer whose == is always true, and one whose array's == lies: plain-value tests see through them.
    "eq_object": """class Anything:
    def __eq__(self, other):
        return True
    __float__ = lambda self: 0.0
def discriminator_loss(real_logits, fake_logits):
    return Anything()
""",
    "ndarray_eq": """import numpy as np
class Lying(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, bool)
def discriminator_loss(real_logits, fake_logits):
    return np.zeros(()).view(Lying)
""",
    # Helpers the tests call, rebound in the kernel.
    "patches_numpy": """import numpy as np
np.isclose = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
""" + JUNK,
    "patches_gankit": """import gankit.checks, gankit.exercises.cook_and_critic as ex
for module in (gankit.checks, ex):
    for name in ('check_close', 'explain_mismatch', 'check_discriminator_loss', 'check_generator_loss',
                 'check_optimal_discriminator'):
        if hasattr(module, name):
            setattr(module, name, lambda *args, **kwargs: None)
ex.call_discriminator_loss = ex.call_generator_loss = lambda *args, **kwargs: 0.0
ex.call_optimal_discriminator = lambda *args, **kwargs: 0.5
""" + JUNK,
    "builtins_import": """import builtins, types
_real_import = builtins.__import__
_fake = types.ModuleType('gankit.checks')
_fake.check_close = lambda *args, **kwargs: None
_fake.to_numpy = lambda value: value
class ExerciseError(Exception):
    pass
_fake.ExerciseError = ExerciseError
def _import(name, *args, **kwargs):
    return _fake if name == 'gankit.checks' else _real_import(name, *args, **kwargs)
builtins.__import__ = _import
""" + JUNK,
    # How later cells run: blanked by an input transformer, errors swallowed, outputs cleared.
    "input_transformer": """get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])
""" + JUNK,
    "custom_exc": """get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: [])
""" + JUNK,
    "clears_output": """from IPython.display import clear_output
get_ipython().events.register('post_run_cell', lambda result: clear_output())
""" + JUNK,
    # The kernel goes away before the tests.
    "os_exit": "import os\nos._exit(0)\n" + JUNK,
    "exit": "exit()\n" + JUNK,
    # Looking for the hidden tests: in every readable file, then echoed by the kernel itself.
    "reads_notebook": """import os, sys
skip = ('/proc', '/sys', '/dev', '/usr', '/lib', '/lib32', '/lib64', '/bin', '/sbin', '/etc',
        sys.prefix, sys.base_prefix)
seen, found = 0, []
for folder, folders, files in os.walk('/'):
    folders[:] = [f for f in folders if os.path.join(folder, f) not in skip]
    for name in files:
        path = os.path.join(folder, name)
        try:
            if os.path.getsize(path) < 4 * 2 ** 20:
                seen += 1
                text = open(path, 'rb').read()
                if b'BEGIN HIDDEN' in text or b'hidden-marker' in text:
                    found.append(path + ':' + text.decode(errors='replace'))
        except OSError:
            pass
print('WALKED', seen, 'FOUND', len(found), found)
""",
    "echoes_cells": """_seen = []
def _echo(info):
    print('ECHO', _seen)  # every cell run so far, the hidden tests included
    _seen.append(info.raw_cell)
get_ipython().events.register('pre_run_cell', _echo)
""",
}
HONEST_SCORES = {"echoes_cells": "all", "reads_notebook": "all"}  # honest answers, only curious
FLAGGED = {"patches_numpy", "patches_gankit", "builtins_import", "input_transformer"}
# ipykernel reports an error whatever a custom handler says; nbclient keeps an error output cleared after it.
NO_EFFECT = {"eq_object", "ndarray_eq", "custom_exc", "clears_output"}
DIED = {"os_exit", "exit"}


def _plant(solutions: pathlib.Path) -> None:
    path = solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = up_to_last_graded_test(nbformat.read(path, as_version=4))
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("grade") and "### BEGIN HIDDEN TESTS" in cell.source:
            cell.source = cell.source.replace("### BEGIN HIDDEN TESTS", f"### BEGIN HIDDEN TESTS\n# {MARKER}", 1)
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("cheats")
    solutions = base / "solutions"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, solutions / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("runs", ".ipynb_checkpoints"))
    _plant(solutions)
    answers = solution_sources(ASSIGNMENT)
    wrong = next(case for case in wrong_submissions(ASSIGNMENT) if case["name"] == "swapped_labels_discriminator_loss")
    batch = {"honest": filled_submission(ASSIGNMENT),
             "honest_wrong": filled_submission(ASSIGNMENT, {wrong["cell"]: wrong["source"]})}
    for name, code in CHEATS.items():
        if name in HONEST_SCORES:
            batch[name] = filled_submission(ASSIGNMENT, {"ex_discriminator_loss": code + "\n" + answers["ex_discriminator_loss"]})
        else:  # the trick and a wrong first answer; the other answers left as released
            batch[name] = filled_submission(ASSIGNMENT, blank=True)
            for cell in batch[name].cells:
                if nbgrader_meta(cell).get("grade_id") == "ex_discriminator_loss":
                    cell.source = code
    subs = base / "subs"
    for student, notebook in batch.items():
        (subs / student).mkdir(parents=True)
        nbformat.write(up_to_last_graded_test(notebook), subs / student / f"{ASSIGNMENT}.ipynb")
    limits = limits_for(ASSIGNMENT, cell_timeout=60)
    grades = grade(ASSIGNMENT, subs, base / "out", solutions=solutions, workers=2, limits=limits)
    with open(base / "out" / "summary.csv") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return grades, rows, base / "out"


def _feedback(out: pathlib.Path, student: str) -> str:
    pages = sorted((out / "feedback" / student).rglob("*.html"))
    assert pages, f"no feedback for {student}"
    return html.unescape(" ".join(page.read_text() for page in pages))


def _cell_outputs(out: pathlib.Path, student: str, grade_id: str) -> str:
    (path,) = (out / "autograded" / student).rglob("*.ipynb")
    cells = [cell for cell in nbformat.read(path, as_version=4).cells if nbgrader_meta(cell).get("grade_id") == grade_id]
    return json.dumps([cell.get("outputs", []) for cell in cells])


def test_honest_submissions_keep_their_points_and_no_flag(graded):
    grades, rows, out = graded
    total = sum(cell_points(ASSIGNMENT).values())
    assert grades["honest"]["score"] == total and grades["honest"]["status"] == "graded", grades["honest"]
    assert rows["honest"]["note"] == ""
    assert grades["honest_wrong"]["score"] == total - 2 and grades["honest_wrong"]["status"] == "graded"
    assert grades["honest_wrong"]["cells"]["test_discriminator_loss"]["score"] == 0
    assert "tampered" not in rows["honest_wrong"]["note"]


def test_lying_answers_and_error_handlers_score_nothing(graded):
    grades = graded[0]
    for student in sorted(NO_EFFECT):
        assert grades[student]["score"] == 0 and grades[student]["status"] == "graded", (student, grades[student])


@pytest.mark.parametrize("student", sorted(FLAGGED))
def test_a_tampered_kernel_scores_zero_and_is_flagged(graded, student):
    grades, rows, out = graded
    row = grades[student]
    assert row["status"] == "tampered" and row["score"] == 0, (student, row)
    assert rows[student]["note"].startswith("tampered:")
    feedback = _feedback(out, student)
    assert "Note from the grader" in feedback and "tampered" in feedback
    assert feedback.index("Note from the grader") < feedback.index("test_discriminator_loss")


def test_a_kernel_that_exits_before_the_tests_scores_zero(graded):
    grades, rows, _ = graded
    for student in DIED:
        assert grades[student]["score"] == 0 and grades[student]["status"] == "kernel_died", (student, grades[student])
        assert "kernel" in rows[student]["note"]


def test_the_kernel_cannot_read_the_notebook_it_runs(graded):
    grades, _, out = graded
    assert grades["reads_notebook"]["score"] == grades["honest"]["score"]
    walked = _cell_outputs(out, "reads_notebook", "ex_discriminator_loss")
    count = int(walked.split("WALKED ")[1].split()[0])
    assert count > 50 and "FOUND 0 []" in walked, walked[:2000]
    assert MARKER not in walked


def test_feedback_shows_messages_never_hidden_code(graded):
    grades, rows, out = graded
    for student in grades:
        if (out / "feedback" / student).exists():
            feedback = _feedback(out, student)
            assert MARKER not in feedback and "BEGIN HIDDEN TESTS" not in feedback, student
            assert "_mistakes" not in feedback and "canary" not in feedback.lower(), student
    wrong = _feedback(out, "honest_wrong")
    assert "labels are swapped" in wrong and "Graded test test_discriminator_loss (2 points)" in wrong
    echoed = _cell_outputs(out, "echoes_cells", "ex_generator_loss")
    assert "ECHO" in echoed and MARKER in echoed  # the kernel did echo the hidden test...
    assert "withheld by the grader" in _feedback(out, "echoes_cells")  # ...and the feedback does not show it
    assert grades["echoes_cells"]["status"] == "graded"
