"""The students' edition (`autograder.publish`) holds no secret, and its links point at it."""

import json
import pathlib
import re
import shutil

import pytest

from autograder import publish
from autograder.release import duplicate_grade_ids, check_grade_ids
from autograder import integrity

ROOT = pathlib.Path(__file__).resolve().parent.parent
STUDENTS = "https://github.com/my-class/gan-students"
SOLUTION_SECRET = "planted-solution-51aa"
HIDDEN_SECRET = "planted-hidden-0c77"
INSTRUCTOR_SECRET = "planted-instructor-93be"


def _plant(path: pathlib.Path) -> None:
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        text = text.replace("### BEGIN SOLUTION\n", f"### BEGIN SOLUTION\n    # {SOLUTION_SECRET}\n")
        text = text.replace("### BEGIN HIDDEN TESTS\n", f"### BEGIN HIDDEN TESTS\n# {HIDDEN_SECRET}\n")
        cell["source"] = text
    path.write_text(json.dumps(notebook, indent=1))


@pytest.mark.slow
def test_the_students_edition_holds_no_secret_and_points_at_itself(tmp_path):
    root = tmp_path / "instructor repo"  # a space in the path, as anywhere a clone may live
    for name in ("gankit", "bin", "requirements", "docs"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("README.md", "pyproject.toml", "environment.yml", ".gitignore"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "solutions" / "00_cook_and_critic", root / "solutions" / "00_cook_and_critic",
                    ignore=shutil.ignore_patterns("runs"))
    _plant(root / "solutions" / "00_cook_and_critic" / "00_cook_and_critic.ipynb")
    (root / "docs" / "notes_00.md").write_text(f"Instructor notes: {INSTRUCTOR_SECRET}\n")
    out = tmp_path / "student edition"
    summary = publish.publish(out, root=root, repository=STUDENTS)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert summary["files"] == len(files) > 20
    assert {p.relative_to(out).parts[0] for p in files} >= {"course", "gankit", "README.md", "pyproject.toml", "bin"}
    assert not {"solutions", "autograder", "tests"} & {p.relative_to(out).parts[0] for p in files}
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="ignore")
        for secret in (SOLUTION_SECRET, HIDDEN_SECRET, INSTRUCTOR_SECRET, "BEGIN HIDDEN TESTS", "BEGIN SOLUTION"):
            assert secret not in text, (path, secret)
    notebook = (out / "course" / "00_cook_and_critic" / "00_cook_and_critic.ipynb").read_text()
    links = re.findall(r"https://colab\.research\.google\.com/github/[^\s)\"'\\]+", notebook)
    assert links and all(link.startswith("https://colab.research.google.com/github/my-class/gan-students/")
                         for link in links)
    assert f"git+{STUDENTS}@" in notebook  # the setup cell installs gankit from the students' repository
    readme = (out / "README.md").read_text()
    assert "## For instructors" not in readme and "solutions/" not in readme and STUDENTS in readme
    badges = re.findall(r"https://colab\.research\.google\.com/github/[^\s)]+", readme)
    assert badges and all("/my-class/gan-students/" in badge for badge in badges)
    assert f'repository = "{STUDENTS}"' in (out / "pyproject.toml").read_text()
    for target in re.findall(r"\]\(((?!https?:)[^)#\s]+)", readme):  # every relative link resolves in the tree
        assert (out / target).exists(), target


def test_publish_needs_a_student_repository_and_an_empty_folder(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gankit]\nrepository = "https://github.com/a/b"\n'
                                             'tag = "v1"\ninstall = "gankit @ git+{repository}@{tag}"\n')
    with pytest.raises(SystemExit, match="--repository .* student_repository"):
        publish.student_location(tmp_path, None)
    with pytest.raises(SystemExit, match="GitHub URL"):
        publish.student_location(ROOT, "https://gitlab.com/a/b")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    with pytest.raises(SystemExit, match="not empty"):
        publish.publish(tmp_path / "full", repository=STUDENTS)
    assert (tmp_path / "full" / "x").read_text() == "keep me"


def test_duplicate_grade_ids_are_refused_naming_both_cells(tmp_path):
    notebook = json.loads((ROOT / "solutions" / "00_cook_and_critic" / "00_cook_and_critic.ipynb").read_text())
    assert duplicate_grade_ids(notebook, "00") == []
    test = next(cell for cell in notebook["cells"] if integrity.is_test_cell(cell))
    copy = json.loads(json.dumps(test))
    copy["source"] = "# my copy of the test\n" + "".join(copy["source"])
    notebook["cells"].append(copy)
    first = notebook["cells"].index(test) + 1
    (problem,) = duplicate_grade_ids(notebook, "00")
    assert f"cell {first} (" in problem and f"cell {len(notebook['cells'])} ('# my copy of the test')" in problem
    assert repr(test["metadata"]["nbgrader"]["grade_id"]) in problem and "Fix:" in problem
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "demo.ipynb").write_text(json.dumps(notebook))
    with pytest.raises(SystemExit, match=r"Not released: .*/demo/demo.ipynb: cell 14 .* and cell 57 "):
        check_grade_ids(tmp_path)


def _graded_notebook():
    test = {"cell_type": "code", "source": "check(f)\n### BEGIN HIDDEN TESTS\nassert f(2) == 4, 'the square of two'\n"
            "### END HIDDEN TESTS", "outputs": [], "execution_count": None,
            "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "test_f", "points": 2}}}
    answer = {"cell_type": "code", "source": "def f(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
              "outputs": [], "execution_count": None,
              "metadata": {"nbgrader": {"grade": False, "solution": True, "grade_id": "f"}}}
    return {"cells": [answer, test], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_canaries_rerun_each_test_against_a_wrong_answer_and_leave_the_feedback():
    source = _graded_notebook()
    with_canaries = integrity.add_canaries(source, source, token="t0")
    roles = [cell["metadata"].get(integrity.CANARY) for cell in with_canaries["cells"]]
    assert roles[:5] == [None, None, "stub:test_f", "test:test_f", "restore:test_f"]
    assert with_canaries["cells"][3]["source"] == source["cells"][1]["source"]  # the same test, byte for byte
    assert "f = _wrong_t0" in with_canaries["cells"][2]["source"]
    namespace = {"f": abs, "seed": 1}  # the stub and restore cells, run: every global put back
    exec(with_canaries["cells"][2]["source"], namespace)
    assert namespace["f"](3) != namespace["f"](3) and namespace.update(seed=2, extra=1) is None
    exec(with_canaries["cells"][4]["source"], namespace)
    assert namespace["f"] is abs and namespace["seed"] == 1 and "extra" not in namespace
    for cell in with_canaries["cells"][2:]:  # as if run: the stub and restore quietly, the canaries failing
        cell["execution_count"] = 1
        if cell["metadata"][integrity.CANARY].split(":")[0] in ("test", "final"):
            cell["outputs"] = [{"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}]
    assert integrity.passed_canaries(with_canaries) == []
    with_canaries["cells"][3]["outputs"] = []
    assert integrity.passed_canaries(with_canaries) == ["test_f"]
    with_canaries["cells"][1]["outputs"] = [
        {"output_type": "error", "ename": "AssertionError", "evalue": "the square of two",
         "traceback": ["assert f(2) == 4, 'the square of two'", "AssertionError: the square of two"]}]
    with_canaries["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout",
                                              "text": "assert f(2) == 4, 'the square of two'\n"}]
    feedback = integrity.feedback_notebook(with_canaries, source)
    text = json.dumps(feedback)
    assert len(feedback["cells"]) == 2 and "BEGIN HIDDEN" not in text and "assert f(2)" not in text
    assert "AssertionError: the square of two" in text and "Graded test test_f (2 points)" in text
    assert integrity.WITHHELD in text
    shown = json.dumps(integrity.feedback_notebook(with_canaries, source, shows_tests=True))
    assert "BEGIN HIDDEN TESTS" in shown and "_wrong_t0" not in shown
