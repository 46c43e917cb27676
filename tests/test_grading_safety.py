"""The grading command survives hostile and broken submissions, run as root (as in CI).

A tiny assignment (no training, so this runs in seconds) is graded, with two workers, in
ONE batch beside submissions that try to read the solutions, other students' notebooks
and $HOME, tamper with grades and the repository, unmount and remount file systems,
reach the network, fork and allocate without end, write a huge file, hang, or kill every
process they can; and beside broken ones (not JSON, a renamed notebook, an accented
folder name). Each has its asserted status and score; afterwards nothing outside the
sandbox has changed. A second, resumed run then grades only what is new or changed.
"""

import hashlib
import json
import os
import pathlib
import subprocess

import nbformat
import pytest

from autograder.grade import GradingError, grade
from autograder.sandbox import Limits

pytestmark = [pytest.mark.slow, pytest.mark.grading]

SECRET_TEST = "hidden-check-7f3a"  # appears only in the hidden test (and so in the gradebook)
SECRET_SOLUTION = "solution-secret-2b8e"  # appears only in the solution
SECRET_NOTES = "instructor-notes-6a0f"  # an instructor's file beside the source notebook
SECRET_ENV = "grader-token-91c2"
SECRET_HOME = "home-secret-5d1e"
HONEST_MARK = "honest-work-0b6c"  # appears only in the honest student's notebook
REPO = pathlib.Path(__file__).resolve().parent.parent
LIMITS = Limits(memory_mb=768, processes=96, file_size_mb=16, cpu_seconds=120, cell_timeout=10)


def _assignment(root: pathlib.Path) -> pathlib.Path:
    solutions = root / "solutions"
    (solutions / "demo").mkdir(parents=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    answer = nbformat.v4.new_code_cell(f"def add(a, b):\n    ### BEGIN SOLUTION\n    # {SECRET_SOLUTION}\n    return a + b\n"
                                       "    ### END SOLUTION")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "ex_add",
                                   "schema_version": 3}
    check = nbformat.v4.new_code_cell(
        # Plain values: an answer whose == always says yes cannot pass.
        f"assert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\n_got = add(2, 5)\n"
        f"assert type(_got) is int and _got == 7, '{SECRET_TEST}'\n### END HIDDEN TESTS")
    check.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2,
                                  "grade_id": "test_add", "schema_version": 3}
    notebook.cells = [answer, check]
    nbformat.write(notebook, solutions / "demo" / "demo.ipynb")
    (solutions / "demo" / "runs").mkdir()  # a local run's output: must never reach the scratch course
    (solutions / "demo" / "runs" / "samples.png").write_bytes(b"not for students")
    (solutions / "demo" / "notes.md").write_text(f"Marking notes: {SECRET_NOTES}")
    return solutions


ADD = "\ndef add(a, b):\n    return a + b"
HOSTILE = {
    "honest": f"# {HONEST_MARK}" + ADD,
    "reads_solutions": """import pathlib, os
found = []
for base in [pathlib.Path(os.getcwd())] + list(pathlib.Path(os.getcwd()).parents)[:-1] + [pathlib.Path('/tmp')]:
    for pattern in ('solutions/**/*', 'source/**/*', '**/*.db', '**/runs/*', '**/*.ipynb', '**/*.md'):
        for path in base.glob(pattern):
            try:
                if path.is_file() and path.stat().st_size < 2 ** 20:
                    found.append(str(path) + path.read_bytes().decode(errors='replace'))
            except OSError:
                pass
print('LEAK' + ''.join(found))""" + ADD,
    "tampers": """import pathlib, os, sqlite3
here = pathlib.Path(os.getcwd())
for base in [here] + list(here.parents):
    for target in base.glob('*.db'):
        try:
            sqlite3.connect(str(target)).execute('DROP TABLE grade')
        except Exception as error:
            print('db', error)
for target in [pathlib.Path(__REPO__) / 'README.md', pathlib.Path(__REPO__) / 'gankit' / 'checks.py']:
    try:
        target.write_text('pwned')
    except Exception as error:
        print('write', error)""" + ADD,
    "lying_eq": """class Yes(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
def add(a, b):
    return Yes(0)""",
    "reads_env": "import os\nprint('ENV' + repr(dict(os.environ)))" + ADD,
    "reads_home": """import os, pathlib
home = pathlib.Path(__HOME__)
for path in [home / '__FILE__', home / '.ssh', home / '.bash_history']:
    try:
        print('HOME', path, path.read_text())
    except Exception as error:
        print('HOME', path, type(error).__name__)
try:
    (pathlib.Path(__HOME__) / 'planted').write_text('x')
except Exception as error:
    print('PLANT', type(error).__name__)""" + ADD,
    "peeks": """import pathlib
seen = []
for root in [pathlib.Path(__SUBS__), pathlib.Path('/tmp')] + list(pathlib.Path.cwd().parents)[:-1]:
    for path in root.glob('**/*.ipynb'):
        seen.append(str(path) + path.read_text())
print('PEEK' + repr(seen))""" + ADD,
    "umounts": """import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
for target in [__REPO__ + '/gankit', '/tmp', '/proc']:
    result = libc.umount2(target.encode(), 2)
    print('UMOUNT', target, result, os.strerror(ctypes.get_errno()))
print(subprocess.run(['umount', '-l', __REPO__ + '/gankit'], capture_output=True, text=True).stderr)""" + ADD,
    "remounts": """import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 32, 4096
for target in ['/', __REPO__ + '/gankit', '/usr']:
    result = libc.mount(b'none', target.encode(), None, MS_REMOUNT | MS_BIND, None)
    print('REMOUNT', target, result, os.strerror(ctypes.get_errno()))
print(subprocess.run(['mount', '-o', 'remount,rw,bind', __REPO__ + '/gankit'], capture_output=True, text=True).stderr)
try:
    open(__REPO__ + '/gankit/planted.py', 'w').write('x')
except OSError as error:
    print('PLANT', error)""" + ADD,
    "network": """import socket
for address in [('1.1.1.1', 443), ('127.0.0.1', 22)]:
    try:
        socket.create_connection(address, timeout=3).close()
        print('NET open', address)
    except OSError as error:
        print('NET', address, type(error).__name__, error)
try:
    socket.getaddrinfo('pypi.org', 443)
    print('NET resolved')
except OSError as error:
    print('NET dns', type(error).__name__)""" + ADD,
    "fork_bomb": """import os, time
if os.fork() == 0:  # the bomb: every copy forks for ever
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.5)
time.sleep(6)
print('PROCS', sum(name.isdigit() for name in os.listdir('/proc')))""" + ADD,
    "memory_bomb": "hoard = bytearray(30 * 1024 ** 3)  # 30 GB" + ADD,
    "huge_file": "with open('big.bin', 'wb') as handle:\n    handle.write(b'0' * (64 * 1024 * 1024))" + ADD,
    "hangs": "while True:\n    pass",
    "kills_everything": "import os, signal\nos.kill(-1, signal.SIGKILL)",
    "crashes": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)" + ADD,
}
BROKEN = {  # folder name -> (file name, content)
    "José García": ("demo.ipynb", None),  # an honest notebook in an accented folder
    "renamed": ("demo (1).ipynb", None),
    "garbled": ("demo.ipynb", b"<!DOCTYPE html><title>Sign in</title>"),
}


def _tree_hash(root: pathlib.Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def _repo_state() -> str:
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO,
                            capture_output=True, text=True).stdout
    return status + json.dumps(_tree_hash(REPO / "gankit")) + (REPO / "README.md").read_text()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    solutions = _assignment(base)
    home = pathlib.Path.home() / f".gankit-test-{os.getpid()}"
    home.write_text(SECRET_HOME)
    subs = base / "subs"
    source = nbformat.read(solutions / "demo" / "demo.ipynb", as_version=4)
    for student, code in HOSTILE.items():
        notebook = nbformat.from_dict(json.loads(json.dumps(source)))
        notebook.cells[0].source = (code.replace("__REPO__", repr(str(REPO)))
                                    .replace("__HOME__", repr(str(home.parent))).replace("__FILE__", home.name)
                                    .replace("__SUBS__", repr(str(subs))))
        notebook.cells[1].source = "assert add(1, 2) == 3"  # as released: the hidden test is not there
        (subs / student).mkdir(parents=True)
        nbformat.write(notebook, subs / student / "demo.ipynb")
    for folder, (name, content) in BROKEN.items():
        (subs / folder).mkdir(parents=True)
        notebook = nbformat.from_dict(json.loads(json.dumps(source)))
        notebook.cells[0].source = ADD
        notebook.cells[1].source = "assert add(1, 2) == 3"
        (subs / folder / name).write_bytes(content or nbformat.writes(notebook).encode())
    before = {"solutions": _tree_hash(solutions), "subs": _tree_hash(subs), "repo": _repo_state()}
    os.environ["GANKIT_TEST_SECRET"] = SECRET_ENV
    try:
        grades = grade("demo", subs, base / "out", solutions=solutions, workers=2, limits=LIMITS)
        gradebook = (base / "out" / "gradebook.db").read_bytes()
        yield grades, base, before, home
    finally:
        del os.environ["GANKIT_TEST_SECRET"]
        home.unlink()
    assert gradebook


def _outputs(out: pathlib.Path, student: str) -> str:
    (path,) = (out / "autograded" / student).rglob("*.ipynb")
    return json.dumps(nbformat.read(path, as_version=4).cells[0].get("outputs", []))


def _row(base: pathlib.Path, student: str) -> dict:
    import csv

    with open(base / "out" / "summary.csv") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}[student]


def test_nothing_outside_the_sandbox_changed(graded):
    _, base, before, home = graded
    assert _tree_hash(base / "solutions") == before["solutions"]
    assert _tree_hash(base / "subs") == before["subs"]
    assert _repo_state() == before["repo"]  # (fails too if you edit the repository while this runs)
    assert home.read_text() == SECRET_HOME and not (home.parent / "planted").exists()
    assert not (REPO / "gankit" / "planted.py").exists()


def test_every_student_has_a_row(graded):
    grades, base, _, _ = graded
    assert set(grades) == set(HOSTILE) | {"Jose_Garcia", "renamed", "garbled"}
    assert "José García" in (base / "out" / "students.csv").read_text()


def test_curious_students_get_full_marks_and_learn_nothing(graded):
    grades, out = graded[0], graded[1] / "out"
    for student in ("honest", "reads_solutions", "tampers", "reads_env", "reads_home", "peeks", "umounts",
                    "remounts", "network", "fork_bomb", "Jose_Garcia", "renamed"):
        assert grades[student]["score"] == 2 and grades[student]["status"] == "graded", (student, grades[student])
    leak = _outputs(out, "reads_solutions")
    assert "LEAK" in leak and "BEGIN SOLUTION" not in leak  # secrets, not names: a venv may hold a gradebook.db
    for secret in (SECRET_TEST, SECRET_SOLUTION, SECRET_NOTES, "not for students", HONEST_MARK):
        assert secret not in leak, secret
    assert not list(out.rglob("samples.png"))  # solutions/demo/runs/ never reached the course
    env = _outputs(out, "reads_env")
    assert "ENV{" in env and SECRET_ENV not in env
    home = _outputs(out, "reads_home")
    assert home.count("FileNotFoundError") >= 3 and SECRET_HOME not in home and "PLANT" in home
    peek = _outputs(out, "peeks")
    assert "PEEK" in peek and HONEST_MARK not in peek


def test_mounts_fail_without_capabilities(graded):
    out = graded[1] / "out"
    umounts = _outputs(out, "umounts")
    assert umounts.count("Operation not permitted") >= 3 and "must be superuser" in umounts
    remounts = _outputs(out, "remounts")
    assert remounts.count("REMOUNT") == 3 and " 0 " not in remounts.replace("REMOUNT', '/', 0", "")
    assert "Operation not permitted" in remounts and "PLANT" in remounts


def test_no_network(graded):
    net = _outputs(graded[1] / "out", "network")
    assert "NET open" not in net and "NET resolved" not in net and net.count("NET") == 3


def test_the_grades_and_repository_cannot_be_changed(graded):
    grades, out = graded[0], graded[1] / "out"
    assert "read-only file system" in _outputs(out, "tampers").lower()
    assert grades["honest"]["cells"]["test_add"]["score"] == 2  # the gradebook survived


def test_fork_bomb_is_held_by_the_process_limit(graded):
    text = _outputs(graded[1] / "out", "fork_bomb")
    count = int(text.split("PROCS ")[1].split("\\n")[0])
    assert count <= LIMITS.processes


def test_an_answer_with_a_lying_eq_scores_nothing(graded):
    grades = graded[0]
    assert grades["lying_eq"]["score"] == 0 and grades["lying_eq"]["status"] == "graded", grades["lying_eq"]


def test_feedback_shows_the_message_never_the_hidden_test(graded):
    out = graded[1] / "out"
    for student in ("honest", "lying_eq", "reads_solutions", "Jose_Garcia"):
        pages = list((out / "feedback" / student).rglob("*.html"))
        text = " ".join(page.read_text() for page in pages)
        assert pages and "Graded test test_add (2 points)" in text, student
        assert "BEGIN HIDDEN TESTS" not in text and "_got = add(2, 5)" not in text, student
    lying = " ".join(page.read_text() for page in (out / "feedback" / "lying_eq").rglob("*.html"))
    assert SECRET_TEST in lying and "AssertionError" in lying  # the failure message is shown, and only it


def test_memory_file_and_time_bombs_score_zero_with_a_reason(graded):
    grades, base = graded[0], graded[1]
    for student in ("memory_bomb", "huge_file", "hangs", "kills_everything", "crashes"):
        assert grades[student]["score"] == 0, (student, grades[student])
    assert "MemoryError" in _outputs(base / "out", "memory_bomb")
    assert "ran out of memory" in _row(base, "memory_bomb")["note"]
    assert "File too large" in _outputs(base / "out", "huge_file")
    assert not (base / "out" / "autograded" / "huge_file" / "demo" / "big.bin").exists() or \
        (base / "out" / "autograded" / "huge_file" / "demo" / "big.bin").stat().st_size <= 16 * 1024 * 1024
    assert "10 s limit" in _row(base, "hangs")["note"]
    assert "File too large" in _outputs(base / "out", "huge_file")
    assert "16 MB limit" in _row(base, "huge_file")["note"]
    assert grades["crashes"]["score"] == 0 and grades["crashes"]["status"] == "kernel_died"
    assert "kernel crashed" in _row(base, "crashes")["note"]


def test_broken_submissions_get_a_status(graded):
    grades, base = graded[0], graded[1]
    assert grades["garbled"]["status"] == "not_json" and grades["garbled"]["score"] == 0
    assert "not JSON" in _row(base, "garbled")["note"]
    assert "accepted as demo.ipynb" in _row(base, "renamed")["note"]
    feedback = " ".join(p.read_text() for p in (base / "out" / "feedback" / "renamed").rglob("*.html"))
    assert "Note from the grader" in feedback


def test_resume_grades_only_new_or_changed_and_keeps_old_grades(graded):
    _, base, _, _ = graded
    out, subs = base / "out", base / "subs"
    with pytest.raises(GradingError, match="already holds grades"):
        grade("demo", subs, out, solutions=base / "solutions")
    summary = (out / "summary.csv").read_text()
    resumed = base / "resume-subs"
    resumed.mkdir()
    for student in ("honest", "garbled"):  # unchanged: not graded again
        (resumed / student).symlink_to(subs / student)
    (resumed / "late").mkdir()  # new
    (resumed / "late" / "demo.ipynb").write_bytes((subs / "honest" / "demo.ipynb").read_bytes())
    (resumed / "hangs").mkdir()  # changed: a fixed resubmission
    (resumed / "hangs" / "demo.ipynb").write_bytes((subs / "honest" / "demo.ipynb").read_bytes())
    seen = []
    grades = grade("demo", resumed, out, solutions=base / "solutions", resume=True, limits=LIMITS,
                   progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (2, 2)  # late and hangs only
    assert grades["late"]["score"] == 2 and grades["hangs"]["score"] == 2
    assert grades["memory_bomb"]["score"] == 0 and grades["reads_env"]["score"] == 2  # kept, not lost
    assert len(grades) == len(summary.splitlines()) - 1 + 1
    history = (out / "history.csv").read_text()
    assert "hangs,0.0" in history
