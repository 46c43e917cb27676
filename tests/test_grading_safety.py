"""The grading command survives hostile submissions (bubblewrap sandbox).

A tiny assignment (no training, so this runs in seconds) is graded beside
submissions that try to read the solutions, tamper with grades and the repository,
read the grader's secrets, hang, or kill every process they can.
"""

import json
import os
import pathlib

import nbformat
import pytest

from autograder.grade import grade

pytestmark = pytest.mark.slow

SECRET_TEST = "hidden-check-7f3a"  # appears only in the hidden test
SECRET_ENV = "grader-token-91c2"


def _assignment(root: pathlib.Path) -> pathlib.Path:
    solutions = root / "solutions"
    (solutions / "demo").mkdir(parents=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    answer = nbformat.v4.new_code_cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "ex_add",
                                   "schema_version": 3}
    check = nbformat.v4.new_code_cell(
        f"assert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\nassert add(2, 5) == 7, '{SECRET_TEST}'\n### END HIDDEN TESTS")
    check.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2,
                                  "grade_id": "test_add", "schema_version": 3}
    notebook.cells = [answer, check]
    nbformat.write(notebook, solutions / "demo" / "demo.ipynb")
    return solutions


HONEST = "def add(a, b):\n    return a + b"
HOSTILE = {
    "honest": HONEST,
    "reads_solutions": """import pathlib, os
found = []
for base in [pathlib.Path(os.getcwd())] + list(pathlib.Path(os.getcwd()).parents):
    for path in list(base.glob('solutions/**/*.ipynb')) + list(base.glob('source/**/*.ipynb')):
        found.append(path.read_text())
print('LEAK' + ''.join(found))
def add(a, b):
    return a + b""",
    "tampers": """import pathlib, os, sqlite3
here = pathlib.Path(os.getcwd())
for base in [here] + list(here.parents):
    for target in base.glob('*.db'):
        try:
            sqlite3.connect(str(target)).execute('DROP TABLE grade')
        except Exception as error:
            print('db', error)
for target in [pathlib.Path(REPO) / 'README.md', pathlib.Path(REPO) / 'gankit' / 'checks.py']:
    try:
        target.write_text('pwned')
    except Exception as error:
        print('write', error)
def add(a, b):
    return a + b""",
    "reads_env": "import os\nprint('ENV' + repr(dict(os.environ)))\ndef add(a, b):\n    return a + b",
    "hangs": "while True:\n    pass",
    "kills_everything": "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nfinally:\n    pass",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    solutions = _assignment(base)
    repo = pathlib.Path(__file__).resolve().parent.parent
    guarded = {p: p.read_bytes() for p in (repo / "README.md", repo / "gankit" / "checks.py")}
    for student, source in HOSTILE.items():
        notebook = nbformat.read(solutions / "demo" / "demo.ipynb", as_version=4)
        notebook.cells[0].source = source.replace("REPO", repr(str(repo)))
        (base / "subs" / student).mkdir(parents=True)
        nbformat.write(notebook, base / "subs" / student / "demo.ipynb")
    os.environ["GANKIT_TEST_SECRET"] = SECRET_ENV
    try:
        grades = grade("demo", base / "subs", base / "out", timeout=20, solutions=solutions)
    finally:
        del os.environ["GANKIT_TEST_SECRET"]
    return grades, base / "out", guarded


def _outputs(out: pathlib.Path, student: str) -> str:
    (path,) = (out / "autograded" / student).rglob("*.ipynb")
    return json.dumps(nbformat.read(path, as_version=4).cells[0].get("outputs", []))


def test_honest_and_curious_students_get_full_marks(graded):
    grades, _, _ = graded
    for student in ("honest", "reads_solutions", "tampers", "reads_env"):
        assert grades[student]["score"] == 2, student


def test_solutions_and_hidden_tests_cannot_be_read(graded):
    _, out, _ = graded
    text = _outputs(out, "reads_solutions")
    assert "LEAK" in text and SECRET_TEST not in text and "BEGIN SOLUTION" not in text


def test_grades_and_repository_cannot_be_changed(graded):
    grades, out, guarded = graded
    assert all(path.read_bytes() == content for path, content in guarded.items())
    assert "read-only file system" in _outputs(out, "tampers").lower()
    assert grades["honest"]["cells"]["test_add"]["score"] == 2  # the gradebook survived


def test_grader_secrets_do_not_reach_student_code(graded):
    _, out, _ = graded
    text = _outputs(out, "reads_env")
    assert "ENV{" in text and SECRET_ENV not in text


def test_hanging_and_killing_submissions_score_zero_and_spare_the_others(graded):
    grades, _, _ = graded
    assert grades["hangs"]["score"] == 0 and grades["kills_everything"]["score"] == 0
    assert set(grades) == set(HOSTILE)
