"""Exports: Gradescope's autograder zip and results.json, Canvas and Moodle gradebook imports.

Fast: the LMS files from a grades folder and rosters as Canvas and Moodle export them (one
student on the roster without a submission, one submission without a roster row), the zip's
contents, and the results.json schema. Slow: run_autograder from the zip, in a folder laid out
as Gradescope lays it out, on the correct, partial, blank and hostile submissions of notebook
00, against the local grader's scores.
"""

import concurrent.futures
import csv
import json
import os
import pathlib
import stat
import subprocess
import zipfile

import jsonschema
import nbformat
import pytest

from autograder import export
from autograder.grade import grade
from notebook_tools import cell_points, filled_submission, pack_wrong_answers, up_to_last_graded_test, wrong_submissions

REPO = pathlib.Path(__file__).resolve().parent.parent
SUMMARY = """student,score,max_score,status,note,folder,sha256
Jose_Garcia,6.0,6.0,graded,graded as 'Jose_Garcia' (folder 'José García'),José García,a
ann_lee,4.0,6.0,graded,,ann.lee,b
bob,0.0,6.0,not_json,bob.ipynb is not a notebook file,bob,c
stranger,5.0,6.0,graded,,stranger,d
cy,,6.0,not_graded,not graded: shard 1/4 did not finish,cy,
"""
CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Notebook 00 (311)
    Points Possible,,,,,6.00
"García, José",1001,S1001,jgarcia,GAN 101 A,
"Lee, Ann",1002,S1002,ann.lee,GAN 101 A,
"Bob Smith",1003,S1003,bob,GAN 101 B,
"Cy Young",1005,S1005,cy,GAN 101 B,
"Dee Absent",1004,S1004,dabsent,GAN 101 B,
"""
MOODLE_ROSTER = """First name,Last name,ID number,Institution,Department,Email address
José,García,20001,,,jose.garcia@uni.example
Ann,Lee,20002,,,ann.lee@uni.example
Bob,Smith,20003,,,bob@uni.example
Cy,Young,20005,,,cy@uni.example
Dee,Absent,20004,,,dee@uni.example
"""


@pytest.fixture
def graded_folder(tmp_path):
    (tmp_path / "grades").mkdir()
    (tmp_path / "grades" / "summary.csv").write_text(SUMMARY)
    (tmp_path / "canvas.csv").write_text(CANVAS_ROSTER)
    (tmp_path / "moodle.csv").write_text(MOODLE_ROSTER)
    return tmp_path


def _rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_canvas_import_has_canvas_columns_and_every_roster_student(graded_folder, capsys):
    code = export.main(["canvas", "00_cook_and_critic", "--grades", str(graded_folder / "grades"),
                        "--roster", str(graded_folder / "canvas.csv"), "--column", "Notebook 00 (311)"])
    assert code == 0
    rows = _rows(graded_folder / "grades" / "canvas_00_cook_and_critic.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Notebook 00 (311)"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "6"
    body = {row[0]: row for row in rows[2:]}
    assert body["García, José"] == ["García, José", "1001", "S1001", "jgarcia", "GAN 101 A", "6"]  # by name
    assert body["Lee, Ann"][-1] == "4"  # by SIS login = folder name
    assert body["Bob Smith"][-1] == "0"  # submitted, not a notebook: 0, as graded
    assert body["Cy Young"][-1] == ""  # matched but not graded: no score, reported
    assert body["Dee Absent"][-1] == ""  # on the roster, no submission: no score, reported
    assert len(body) == 5
    said = capsys.readouterr().err
    assert "roster student with no submission: Dee Absent" in said
    assert "submission with no roster entry: stranger (score 5.0)" in said
    assert "roster student not graded: cy" in said
    problems = {row[0]: row for row in _rows(graded_folder / "grades" / "canvas_00_cook_and_critic.problems.csv")}
    assert problems["submission with no roster entry"][1:4] == ["stranger", "stranger", "5.0"]


def test_moodle_import_has_the_identifier_column_then_the_grade(graded_folder, capsys):
    out = graded_folder / "moodle_import.csv"
    code = export.main(["moodle", "00_cook_and_critic", "--grades", str(graded_folder / "grades"),
                        "--roster", str(graded_folder / "moodle.csv"), "--out", str(out)])
    assert code == 0
    rows = _rows(out)
    assert rows[0] == ["Email address", "00_cook_and_critic"]
    grades = dict(rows[1:])
    assert grades == {"jose.garcia@uni.example": "6", "ann.lee@uni.example": "4", "bob@uni.example": "0",
                      "cy@uni.example": "", "dee@uni.example": ""}
    said = capsys.readouterr().err
    assert "roster student with no submission: Dee Absent" in said and "stranger (score 5.0)" in said
    assert export.main(["moodle", "00_cook_and_critic", "--grades", str(graded_folder / "grades"), "--roster",
                        str(graded_folder / "moodle.csv"), "--out", str(out), "--id-column", "ID number"]) == 0
    assert _rows(out)[0] == ["ID number", "00_cook_and_critic"] and ["20002", "4"] in _rows(out)


def test_a_roster_without_identifying_columns_is_refused_with_a_fix(graded_folder, capsys):
    (graded_folder / "bad.csv").write_text("colour,size\nred,3\n")
    assert export.main(["canvas", "00_cook_and_critic", "--grades", str(graded_folder / "grades"),
                        "--roster", str(graded_folder / "bad.csv")]) == 2
    assert "Fix:" in capsys.readouterr().err


def test_gradescope_zip_holds_the_scripts_hidden_tests_and_locked_versions(tmp_path):
    path = export.build_gradescope("00_cook_and_critic", tmp_path / "gs.zip")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        hidden = archive.read("solutions/00_cook_and_critic/00_cook_and_critic.ipynb").decode()
    assert {"setup.sh", "run_autograder", "autograder/grade.py", "autograder/gradescope_results.schema.json",
            "gankit/__init__.py", "requirements/lock-py310.txt", "requirements/lock-py312.txt"} <= names
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert "BEGIN HIDDEN TESTS" in hidden and "bubblewrap" in setup and "lock-py$VERSION" in setup
    assert not any(name.startswith(("solutions/01", "tests/", ".venv")) for name in names)


def test_results_schema_takes_gradescopes_example_and_refuses_typos():
    good = {"score": 4.0, "execution_time": 12, "output": "x", "stdout_visibility": "hidden",
            "tests": [{"name": "t", "score": 2.0, "max_score": 2.0, "output": "", "visibility": "after_due_date",
                       "status": "passed", "number": "1"}]}
    export.validate_results(good)
    for bad in ({**good, "tests": [{**good["tests"][0], "visibility": "after_deadline"}]},
                {**good, "scores": 4}, {"tests": [{"name": "t", "max_score": 2}]}):
        with pytest.raises(jsonschema.ValidationError):
            export.validate_results(bad)


HOSTILE = '''import os, pathlib
found = []
for path in [pathlib.Path("/autograder/source"), pathlib.Path(os.environ.get("GRADESCOPE_ROOT", "/x")),
             pathlib.Path(__ROOT__) / "source" / "solutions"]:
    try:
        found += [p.read_text()[:20000] for p in path.rglob("*.ipynb")]
    except OSError:
        pass
for target in [pathlib.Path("/autograder/results/results.json"), pathlib.Path(__ROOT__) / "results" / "results.json"]:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text('{"score": 1000}')
    except OSError:
        pass
LEAKED = "LEAK%d" % len(found) + " ".join(found)
'''


def _gradescope_root(base: pathlib.Path, zipped: pathlib.Path, notebook) -> pathlib.Path:
    root = base
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    nbformat.write(notebook, root / "submission" / "00_cook_and_critic.ipynb")
    return root


@pytest.mark.slow
@pytest.mark.grading
def test_run_autograder_gives_the_local_graders_scores(tmp_path):
    assignment = "00_cook_and_critic"
    wrong = pack_wrong_answers(wrong_submissions(assignment))[0]
    first_cell = wrong[0]["cell"]
    submissions = {
        "correct": filled_submission(assignment),
        "partial": filled_submission(assignment, {case["cell"]: case["source"] for case in wrong}),
        "blank": filled_submission(assignment, blank=True),
        # reads the hidden tests and writes results.json where it can, then answers one exercise with
        # code that raises what it found, so that anything leaked would reach the test's output
        "hostile": filled_submission(assignment, {first_cell: HOSTILE.replace("__ROOT__", repr(str(tmp_path / "gs-hostile")))
                                                  + "\ndef discriminator_loss(real_logits, fake_logits):\n"
                                                    "    raise RuntimeError(LEAKED[:3000])\n"}),
    }
    # each ends at its last graded test: both graders score the same cells, without 00's training after them
    submissions = {student: up_to_last_graded_test(notebook) for student, notebook in submissions.items()}
    zipped = export.build_gradescope(assignment, tmp_path / "gs.zip")
    subs = tmp_path / "subs"
    for student, notebook in submissions.items():
        (subs / student).mkdir(parents=True)
        nbformat.write(notebook, subs / student / f"{assignment}.ipynb")

    def run(student):
        root = _gradescope_root(tmp_path / f"gs-{student}", zipped, submissions[student])
        env = dict(os.environ, GRADESCOPE_ROOT=str(root), GRADER_PYTHON=os.sys.executable)
        env.pop("PYTHONPATH", None)
        done = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=env, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads((root / "results" / "results.json").read_text())

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {student: pool.submit(run, student) for student in submissions}
        local = grade(assignment, subs, tmp_path / "local", workers=1)
        results = {student: future.result() for student, future in futures.items()}
    points = cell_points(assignment)
    for student, result in results.items():
        export.validate_results(result)
        row = local[student]
        assert result["score"] == pytest.approx(row["score"]), (student, result, row)
        assert {t["name"]: t["score"] for t in result["tests"]} == {k: v["score"] for k, v in row["cells"].items()}
        assert {t["name"]: t["max_score"] for t in result["tests"]} == points
        assert all(t["visibility"] == "after_due_date" for t in result["tests"])  # 00's tests all have hidden parts
        for test in result["tests"]:
            assert (test["status"] == "passed") == (test["score"] == test["max_score"])
            assert (test["output"] == "") == (test["status"] == "passed"), test
    assert results["correct"]["score"] == sum(points.values()) and results["blank"]["score"] == 0
    assert "NotImplementedError" in results["blank"]["tests"][0]["output"]
    lost = set().union(*(case["loses"] for case in wrong))
    assert {t["name"] for t in results["partial"]["tests"] if t["status"] == "failed"} == lost
    hostile = results["hostile"]
    failed = [t for t in hostile["tests"] if t["status"] == "failed"]
    assert failed and all("LEAK0" in t["output"] or "LEAK" not in t["output"] for t in failed), failed
    assert "BEGIN HIDDEN TESTS" not in json.dumps(hostile) and hostile["score"] < 1000
    assert hostile["extra_data"]["sandbox"] == "bubblewrap"
