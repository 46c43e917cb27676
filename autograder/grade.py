"""Grade a class's submissions for one assignment and export grades and feedback.

    python -m autograder.grade 01_mlp_gan path/to/submissions --out grades/01_mlp_gan
    python -m autograder.grade 01_mlp_gan path/to/submissions --out grades/01_mlp_gan --resume
    python -m autograder.grade 01_mlp_gan path/to/submissions --out grades/shard-0 --shard 0/4

With ``--shard I/N`` (I from 0 to N-1) it grades only the students whose id hashes to shard I:
N such runs, on one machine or many, grade the class once between them, and
``python -m autograder.merge`` joins their ``--out`` folders (docs/grading_at_scale.md).
Inside a locked-down container or pod that cannot run bubblewrap, ``--container-is-sandbox``
says so explicitly: it prints what protects the run and grades without bubblewrap.

`path/to/submissions` holds one folder per student (any name: ``José García`` is graded as
``Jose_Garcia``), each with the assignment's notebook somewhere inside, or is a .zip/.ZIP
of such folders, possibly under one top folder. See `autograder.collect` for what is
accepted; every problem becomes a status on that student's row, never a stopped batch.

What it does, in a scratch folder (nothing in the repository or the submissions changes):

1. releases the assignment from `solutions/` (without its ``runs/``) once;
2. grades the students in parallel (``--workers``, default: the number of cores), each in
   its own scratch nbgrader course: ``nbgrader autograde`` with the kernel in the sandbox
   (`autograder.sandbox`; limits per assignment in `autograder.settings`), then
   ``nbgrader generate_feedback``;
3. merges each result, as it arrives, into the one gradebook in ``--out`` (only this
   process writes it), with a progress line (done / left).

Into ``--out`` it writes ``summary.csv`` (one row per student: score, status, note, folder,
content hash), ``grades.csv`` (one row per student and graded cell), ``students.csv`` (id
to folder name), ``feedback/<student>/...html``, the autograded notebooks, ``gradebook.db``
and ``logs/<student>.log``. An ``--out`` that already holds grades is never overwritten:
without ``--resume`` the command refuses; with it, only new or changed submissions (by
content hash) are graded, and a changed submission's earlier grade is kept in
``history.csv`` and ``history/``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import datetime
import hashlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings

from autograder import collect as collecting
from autograder.release import CONFIG, NOT_RELEASED, ROOT, check_grade_ids, nbgrader_env
from autograder.sandbox import Cgroup, Limits, SandboxUnavailable, check_user_namespaces
from autograder.settings import limits_for

KERNEL = "gankit-grader"
STATE = "state.json"
GRADED = "graded"
KERNEL_DIED = "kernel_died"
GRADER_ERROR = "grader_error"
TAMPERED = "tampered"


class GradingError(RuntimeError):
    """The batch cannot be graded as given; the message says why and what to do."""


def _fetch_data(assignment: str, sources: list[str]) -> list[str]:
    """Fetch the datasets the notebooks read, here and now: the sandboxed kernels have no network.

    What is fetched lands in ``GANKIT_DATA`` or ``$KERAS_HOME/datasets``, which the sandbox reads.
    Under the grader the notebooks run their ``smoke`` profile, which reads the course subsets.
    A dataset that cannot be fetched is a warning, not a stop: the students' data cells will fail
    the same way for everyone, and the warning says so before the batch starts. Returns the
    names of those datasets (``python -m autograder.bench`` stops on them).
    """
    import re

    from gankit import data

    text = "\n".join(sources)  # the notebooks' JSON: a quote in their code reads \"
    images = sorted(set(re.findall(r'image_dataset\(\s*\\?"(\w+)', text)))
    wanted = (["mnist"] if "load_mnist(" in text else []) + images
    failed = []
    for name in wanted:
        try:
            if name == "mnist":
                data.fetch("mnist")
            else:
                data.image_dataset(name, data="course")
        except Exception as error:  # DataError, DownloadError, a bad folder: the batch goes on
            print(f"WARNING: {assignment} reads {name}, which could not be fetched before grading, and the grading "
                  f"kernels have no network: every submission's cells that read it will fail.\n{error}",
                  file=sys.stderr)
            failed.append(name)
    return failed


def _notebook_names(assignment: str, solutions: pathlib.Path) -> list[str]:
    folder = solutions / assignment
    if not folder.is_dir():
        known = ", ".join(sorted(p.name for p in solutions.iterdir() if p.is_dir()))
        raise GradingError(f"no assignment {assignment!r} in {solutions}; known: {known}")
    return sorted(p.stem for p in folder.glob("*.ipynb"))


def _other_assignments(assignment: str, solutions: pathlib.Path) -> dict[str, set]:
    others = {}
    for folder in sorted(p for p in solutions.iterdir() if p.is_dir() and p.name != assignment):
        ids = set()
        for path in folder.glob("*.ipynb"):
            try:
                ids |= set(collecting.grade_ids(json.loads(path.read_text())))
            except (OSError, ValueError):
                continue
        others[folder.name] = ids
    return others


def _run(args: list[str], cwd: pathlib.Path, env: dict | None = None,
         timeout: float | None = None) -> subprocess.CompletedProcess:
    """nbgrader in its own session, so that a timeout stops it and every kernel it started."""
    process = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env or nbgrader_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        output += f"\n[grader] nbgrader {args[0]} stopped after {timeout:.0f} s\n"
        return subprocess.CompletedProcess(process.args, -9, output, "")
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


def _sandbox_env(course: pathlib.Path, limits: Limits, userns: bool) -> dict:
    """Register the sandboxed kernel in one worker's course folder; return nbgrader's environment."""
    from gankit.judge import cache_dir

    spec = course / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "autograder.sandbox", "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)", "language": "python",
        "interrupt_mode": "message",  # a signal would stop at bwrap; the message reaches the kernel
        "env": {"PYTHONPATH": str(ROOT)},
    }))
    sockets = course / "ipc"
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write(f"\nc.Execute.kernel_name = {KERNEL!r}\n"
                     "c.KernelManager.transport = 'ipc'\n"  # the kernel has no network, not even loopback
                     f"c.KernelManager.ip = {str(sockets / 'kernel')!r}\n")
    keras_home = os.environ.get("KERAS_HOME") or os.path.expanduser(os.path.join("~", ".keras"))
    binds = [sys.prefix, sys.base_prefix, str(ROOT / "gankit"), os.environ.get("GANKIT_DATA", ""),
             str(cache_dir()), keras_home]
    return dict(nbgrader_env(), JUPYTER_PATH=str(course / "jupyter"), JUPYTER_RUNTIME_DIR=str(sockets),
                GANKIT_CACHE=str(cache_dir()), KERAS_HOME=keras_home,
                GANKIT_SANDBOX_BIND=os.pathsep.join(p for p in binds if p),
                GANKIT_SANDBOX_RW=str(sockets), GANKIT_SANDBOX_LIMITS=limits.to_env(),
                GANKIT_SANDBOX_USERNS="1" if userns else "0")


def _prepare(master: pathlib.Path, assignment: str, solutions: pathlib.Path, limits: Limits) -> None:
    """Release the assignment once in ``master``: its gradebook is every worker's template."""
    master.mkdir(parents=True)
    shutil.copy(CONFIG, master / "nbgrader_config.py")
    with open(master / "nbgrader_config.py", "a") as handle:
        handle.write(f"\nc.Execute.timeout = {int(limits.cell_timeout)}\n")
    shutil.copytree(solutions / assignment, master / "solutions" / assignment,
                    ignore=shutil.ignore_patterns(*NOT_RELEASED))
    try:
        check_grade_ids(master / "solutions")
    except SystemExit as error:
        raise GradingError(str(error)) from None
    result = _run(["generate_assignment", assignment, "--force", "--log-level=WARN"], master)
    if result.returncode:
        raise GradingError(f"nbgrader could not release {assignment}:\n{result.stdout}")


def _scan_outputs(notebook_path: pathlib.Path, limits: Limits) -> list[str]:
    """Plain-words notes on what went wrong while the kernel ran (timeouts, memory, crashes)."""
    try:
        notebook = json.loads(notebook_path.read_text())
    except (OSError, ValueError):
        return []
    errors = [output for cell in notebook.get("cells", []) for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    names = {output.get("ename") for output in errors}
    notes = []
    if any("File too large" in str(output.get("evalue")) for output in errors):
        notes.append(f"a file grew past the {limits.file_size_mb} MB limit")
    if "CellTimeoutError" in names:
        notes.append(f"a cell ran past the {limits.cell_timeout} s limit and was stopped")
    if "MemoryError" in names or "ResourceExhaustedError" in names:
        notes.append(f"ran out of memory (limit {limits.memory_mb} MB)")
    if "DeadKernelError" in names:
        notes.append("the kernel crashed or exited (memory, process or CPU limit, a crash in native code, or exit() in the notebook)")
    return notes


def _grade_student(submission: collecting.Submission, master: pathlib.Path, assignment: str,
                   limits: Limits, sandbox: bool, userns: bool) -> dict:
    """Grade one student in a scratch course of its own; nothing here touches ``--out``."""
    course = master / "workers" / submission.student
    course.mkdir(parents=True)
    for name in ("nbgrader_config.py", "gradebook.db"):
        shutil.copy(master / name, course / name)
    shutil.copytree(master / "solutions", course / "solutions", ignore=_instructor_files)
    (course / "ipc").mkdir()
    target = course / "submitted" / submission.student / assignment
    target.mkdir(parents=True)
    for name, path in submission.notebooks.items():
        shutil.copy(path, target / f"{name}.ipynb")
    env = _sandbox_env(course, limits, userns) if sandbox else nbgrader_env()
    # The whole notebook: every code cell at its limit, and then some. Each cell is stopped at its own
    # limit long before; this only catches a worker that is stuck for another reason.
    cells = 0
    for path in submission.notebooks.values():  # already read and checked while collecting
        notebook = json.loads(path.read_bytes().decode("utf-8-sig"))
        cells += sum(cell.get("cell_type") == "code" for cell in notebook.get("cells", []))
    budget = limits.cell_timeout * max(cells + 2, 4) + 600
    process = subprocess.Popen([sys.executable, "-m", "autograder.worker", str(course), assignment,
                                submission.student], cwd=course, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, _ = process.communicate(timeout=budget)
    except subprocess.TimeoutExpired:  # stop the worker and every kernel it started
        os.killpg(process.pid, signal.SIGKILL)
        log = process.communicate()[0] + f"\n[grader] stopped after {budget} s\n"
    try:
        result = json.loads((course / "result.json").read_text())
    except (OSError, ValueError):
        result = {"cells": {}, "comments": {}, "errors": [f"the grading worker exited ({process.returncode})"]}
    result.update(student=submission.student, log=log + f"\n[grader] {result.get('timings')}\n",
                  course=str(course))
    notes = []
    for path in sorted((course / "autograded" / submission.student).rglob("*.ipynb")):
        notes += _scan_outputs(path, limits)
    timeout_note = f"a cell ran past the {limits.cell_timeout} s limit and was stopped"
    if "Timeout waiting for execute reply" in log and timeout_note not in notes:
        notes.insert(0, timeout_note)
    crashed = "DeadKernelError" in log or "Kernel died" in log
    if crashed and not any("crashed" in note for note in notes):
        notes.append("the kernel crashed or exited (memory, process or CPU limit, a crash in native code, or exit() in the notebook)")
    if "score" not in result or result.get("errors"):
        result["status"] = KERNEL_DIED if crashed else GRADER_ERROR
        notes.append("could not be autograded: " + _last_error(log))
    else:
        result["status"] = KERNEL_DIED if any("crashed" in note for note in notes) else GRADED
    result["notes"] = notes
    _mark_tampering(result)
    return result


def _mark_tampering(result: dict) -> None:
    """A notebook where a canary passed (`autograder.integrity`): status, and a note first on the row."""
    tampered = result.get("tampered") or {}
    if not tampered:
        return
    if result["status"] == GRADED:
        result["status"] = TAMPERED
    where = "; ".join(f"{notebook}: {', '.join(checks)}" for notebook, checks in sorted(tampered.items()))
    result["notes"].insert(0, "tampered: checks that fail in every honest notebook passed in this one "
                              f"({where}), so its tests cannot be trusted; its graded cells score 0. "
                              "Read the notebook before changing the grade")


def _feedback_shows_tests(master: pathlib.Path) -> None:
    """Let the feedback show the hidden tests' code and outputs, as nbgrader does by default."""
    with open(master / "nbgrader_config.py", "a") as handle:
        handle.write("\nc.GankitGrader.feedback_shows_tests = True\n")


def _instructor_files(folder: str, names: list[str]) -> list[str]:
    """Files beside the source notebooks (notes, data): nbgrader would copy them into the kernel's folder."""
    return [name for name in names if os.path.isfile(os.path.join(folder, name)) and not name.endswith(".ipynb")]


def _last_error(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    useful = [line for line in lines if "rror" in line or "stopped" in line or "died" in line.lower()]
    return (useful or lines or ["no output"])[-1][:300]


class _Out:
    """The ``--out`` folder: its gradebook, state and exports, written only by the parent."""

    def __init__(self, out: pathlib.Path, assignment: str, master: pathlib.Path, resume: bool):
        self.out, self.assignment = out, assignment
        self.state = {"assignment": assignment, "students": {}}
        if resume and (out / STATE).exists():
            self.state = json.loads((out / STATE).read_text())
            if self.state.get("assignment") != assignment:
                raise GradingError(f"{out} holds grades of {self.state.get('assignment')!r}, not {assignment!r}; "
                                   "pass a new --out folder.")
        out.mkdir(parents=True, exist_ok=True)
        if not (out / "gradebook.db").exists():
            shutil.copy(master / "gradebook.db", out / "gradebook.db")
        from nbgrader.api import Gradebook

        self.gradebook = Gradebook(f"sqlite:///{out / 'gradebook.db'}")  # opened once: each open runs alembic

    def close(self) -> None:
        self.gradebook.close()

    def unchanged(self, submission: collecting.Submission) -> bool:
        previous = self.state["students"].get(submission.student)
        return bool(previous) and previous.get("sha256") == submission.sha256

    def _archive(self, student: str) -> None:
        """Keep a changed submission's earlier grade and files: nothing is ever lost."""
        previous = self.state["students"].get(student)
        if not previous:
            return
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
        history = self.out / "history.csv"
        new = not history.exists()
        with open(history, "a", newline="") as handle:
            writer = csv.writer(handle)
            if new:
                writer.writerow(["student", "score", "max_score", "status", "sha256", "replaced_at"])
            writer.writerow([student, previous["score"], previous["max_score"], previous["status"],
                             previous["sha256"], stamp])
        for kind in ("feedback", "autograded"):
            if (self.out / kind / student).exists():
                destination = self.out / "history" / f"{student}-{stamp}" / kind
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(self.out / kind / student), str(destination))

    def record(self, submission: collecting.Submission, result: dict | None, max_score: float) -> None:
        from nbgrader.api import MissingEntry

        self._archive(submission.student)
        notes = list(submission.notes)
        entry = {"sha256": submission.sha256, "folder": submission.folder, "max_score": max_score,
                 "score": 0.0, "cells": {}, "graded": False, "status": submission.status,
                 "missing_notebooks": []}
        gradebook = self.gradebook
        gradebook.update_or_create_student(submission.student)
        try:
            gradebook.remove_submission(self.assignment, submission.student)
        except MissingEntry:
            pass
        if result is not None:
            entry["status"] = result["status"]
            notes += result["notes"]
            if "score" in result:
                with warnings.catch_warnings():  # nbgrader's own SQLAlchemy warnings, harmless
                    warnings.simplefilter("ignore")
                    gradebook.add_submission(self.assignment, submission.student)
                for name, cell in result["cells"].items():
                    grade = gradebook.find_grade(name, cell["notebook"], self.assignment, submission.student)
                    grade.auto_score = cell["auto_score"]
                    grade.needs_manual_grade = cell["needs_manual_grade"]
                for name, value in result["comments"].items():
                    comment = gradebook.find_comment(name, value["notebook"], self.assignment,
                                                     submission.student)
                    comment.auto_comment = value["auto_comment"]
                gradebook.db.commit()
                entry.update(score=result["score"], graded=True,
                             cells={k: {"score": v["score"], "max_score": v["max_score"]}
                                    for k, v in result["cells"].items()})
            course = pathlib.Path(result["course"])
            for kind in ("feedback", "autograded"):
                if (course / kind / submission.student).exists():
                    shutil.copytree(course / kind / submission.student, self.out / kind / submission.student,
                                    dirs_exist_ok=True)
            (self.out / "logs").mkdir(exist_ok=True)
            (self.out / "logs" / f"{submission.student}.log").write_text(result["log"])
        entry["note"] = "; ".join(notes)
        if entry["note"] and (self.out / "feedback" / submission.student).exists():
            _add_note_to_feedback(self.out / "feedback" / submission.student, entry["note"])
        self.state["students"][submission.student] = entry
        self.save()

    def save(self) -> None:
        students = self.state["students"]
        temporary = self.out / (STATE + ".tmp")
        temporary.write_text(json.dumps(self.state, indent=1))
        temporary.replace(self.out / STATE)
        with open(self.out / "grades.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", "cell", "score", "max_score"])
            for student in sorted(students):
                for cell, value in sorted(students[student]["cells"].items()):
                    writer.writerow([student, cell, value["score"], value["max_score"]])
        with open(self.out / "summary.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", "score", "max_score", "status", "note", "folder", "sha256"])
            for student in sorted(students):
                row = students[student]
                writer.writerow([student, row["score"], row["max_score"], row["status"], row["note"],
                                 row["folder"], row["sha256"]])
        with open(self.out / "students.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["student", "folder"])
            for student in sorted(students):
                writer.writerow([student, students[student]["folder"]])

    def grades(self) -> dict:
        keys = ("score", "max_score", "graded", "cells", "status", "note", "missing_notebooks")
        return {student: {key: row.get(key) for key in keys} for student, row in self.state["students"].items()}


def _add_note_to_feedback(folder: pathlib.Path, note: str) -> None:
    import html

    banner = (f'<div class="alert alert-warning" style="margin:1em;padding:1em;border:1px solid #c90">'
              f"<b>Note from the grader:</b> {html.escape(note)}</div>")
    for page in folder.rglob("*.html"):
        text = page.read_text()
        if "Note from the grader" not in text:
            text = text.replace("<body>", "<body>\n" + banner, 1) if "<body>" in text else banner + text
            page.write_text(text)


def grade(assignment: str, submissions: pathlib.Path, out: pathlib.Path, timeout: int | None = None,
          sandbox: bool = True, solutions: pathlib.Path = ROOT / "solutions", workers: int | None = None,
          resume: bool = False, limits: Limits | None = None, allow_no_userns: bool = False,
          progress=None, shard: tuple[int, int] | None = None, feedback_shows_tests: bool = False) -> dict:
    """Grade every student in ``submissions``; returns {student: {"score", "max_score", "graded",
    "cells": {grade_id: {"score", "max_score"}}, "status", "note"}}.

    With ``sandbox=True`` (the default) student code runs in `autograder.sandbox`;
    ``sandbox=False`` is only for code you trust. ``resume=True`` grades only new or changed
    submissions into an ``out`` that already holds grades; without it such an ``out`` is refused.
    ``progress(done, total)`` is called as students finish. ``shard=(index, count)`` grades only
    the students of that shard (`shard_of`) and records the whole class's shards in ``state.json``.
    The feedback shows each graded cell's name, points and failure message, never the hidden
    tests' code, unless ``feedback_shows_tests`` (nbgrader's default).
    """
    out = pathlib.Path(out)
    held = (out / "gradebook.db").exists() or (out / "summary.csv").exists()
    if held and not resume:
        raise GradingError(f"{out} already holds grades; pass a new --out folder so they are not overwritten, "
                           "or --resume to grade only new or changed submissions.")
    if held and not (out / STATE).exists():
        raise GradingError(f"{out} already holds grades from an older grader without {STATE}; pass a new --out.")
    userns = True
    if sandbox:
        try:
            check_user_namespaces()
        except SandboxUnavailable as error:
            if not allow_no_userns or "not installed" in str(error):
                raise GradingError(str(error)) from None
            userns = False
            print("WARNING " * 4 + f"\nWARNING: {error}\nWARNING: grading WITHOUT a user namespace: student code "
                  "runs as you, with capabilities dropped only where bubblewrap can.\n" + "WARNING " * 4,
                  file=sys.stderr)
    solutions = pathlib.Path(solutions)
    notebooks = _notebook_names(assignment, solutions)
    limits = limits or limits_for(assignment)
    if sandbox and os.geteuid() == 0:
        probe = Cgroup(limits)
        if not probe.active:
            print("WARNING: running as root without cgroups: the process limit and the whole-kernel memory "
                  "limit cannot be enforced (Linux ignores RLIMIT_NPROC for root); a fork bomb can slow this "
                  "machine. Grade as another user, or where /sys/fs/cgroup is writable.", file=sys.stderr)
        probe.close()
    if timeout:
        limits = Limits(**{**limits.__dict__, "cell_timeout": int(timeout)})
    with tempfile.TemporaryDirectory(prefix="gan-grade-") as scratch:
        master = pathlib.Path(scratch) / "master"
        _prepare(master, assignment, solutions, limits)
        if feedback_shows_tests:
            _feedback_shows_tests(master)
        released = {name: json.loads((master / "course" / assignment / f"{name}.ipynb").read_text())
                    for name in notebooks}
        try:
            batch = collecting.collect(pathlib.Path(submissions), released, pathlib.Path(scratch), assignment,
                                       _other_assignments(assignment, solutions))
        except (FileNotFoundError, OSError, ValueError) as error:  # a missing folder, a corrupt zip
            raise GradingError(f"cannot read the submissions: {error}") from None
        if not batch and not held:
            raise GradingError(f"{submissions} has no student folders.")
        record = _Out(out, assignment, master, resume)
        try:
            if shard:
                batch = _start_shard(record, batch, shard)
            _grade_batch(record, batch, master, assignment, solutions, notebooks, limits, sandbox, userns,
                         workers, progress)
            if shard:
                _finish_shard(record)
        finally:
            record.close()
    return record.grades()


def _grade_batch(record, batch, master, assignment, solutions, notebooks, limits, sandbox, userns, workers,
                 progress) -> None:
    """Grade the new or changed submissions, several at once, recording each as it finishes."""
    max_score = record.gradebook.find_assignment(assignment).max_score
    todo = []
    for submission in batch:
        if record.unchanged(submission):
            continue
        if submission.status != collecting.OK:
            record.record(submission, None, max_score)
        else:
            todo.append(submission)
    for submission in todo:  # fill in the missing notebooks of multi-notebook assignments
        missing = [name for name in notebooks if name not in submission.notebooks]
        if missing:
            submission.notes.append("missing: " + " ".join(missing))
    sources = [(solutions / assignment / f"{name}.ipynb").read_text() for name in notebooks]
    if todo:
        _fetch_data(assignment, sources)
    if todo and any("judge" in source for source in sources):  # train and cache the MNIST judge once,
        judged = subprocess.run([sys.executable, "-m", "gankit.judge"], cwd=master,  # outside every time limit
                                env=nbgrader_env(), capture_output=True, text=True)
        if judged.returncode:
            tail = (judged.stderr or judged.stdout).strip().splitlines()[-1:] or ["(no output)"]
            print(f"WARNING: the MNIST judge could not be trained before grading ({tail[0]}); each kernel that "
                  f"needs it will try, within its cell's time limit.", file=sys.stderr)
    count = workers or os.cpu_count() or 1
    done, lock = 0, threading.Lock()
    if progress:
        progress(0, len(todo))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, count)) as pool:
        futures = {pool.submit(_grade_student, submission, master, assignment, limits, sandbox, userns):
                   submission for submission in todo}
        for future in concurrent.futures.as_completed(futures):
            submission = futures[future]
            try:
                result = future.result()
            except Exception as error:  # a grader bug for one student must not stop the class
                import traceback

                result = {"status": GRADER_ERROR, "notes": [f"grader error: {error!r}"],
                          "log": traceback.format_exc(),
                          "course": str(master / "workers" / submission.student)}
            with lock:
                record.record(submission, result, max_score)
                done += 1
                if progress:
                    progress(done, len(todo))
            shutil.rmtree(master / "workers" / submission.student, ignore_errors=True)


def shard_of(student: str, count: int) -> int:
    """The shard (0 to ``count`` - 1) of a student id: a hash of the id alone, so the same student
    lands in the same shard whatever order or machine the files arrive in."""
    return int.from_bytes(hashlib.sha256(student.encode("utf-8")).digest()[:8], "big") % count


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> (I, N), with 0 <= I < N; an argparse type."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: expected I/N, e.g. 0/4 (I from 0 to N-1)") from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"--shard {text!r}: I must be 0 to N-1 (shards 0/{max(count, 1)} to "
                                         f"{max(count, 1) - 1}/{max(count, 1)})")
    return index, count


def _start_shard(record: "_Out", batch: list, shard: tuple[int, int]) -> list:
    """Keep this shard's students; record which shard every student of the class belongs to, so
    that `autograder.merge` can name the students of a shard that failed or never ran."""
    index, count = shard
    previous = record.state.get("shard")
    if previous and (previous["index"], previous["count"]) != (index, count):
        raise GradingError(f"{record.out} holds shard {previous['index']}/{previous['count']}, not {index}/{count}; "
                           "pass this shard's own --out folder.")
    known = dict(previous["class"]) if previous else {}
    known.update({submission.student: shard_of(submission.student, count) for submission in batch})
    record.state["shard"] = {"index": index, "count": count, "class": dict(sorted(known.items())),
                             "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                             "finished": None}
    record.save()  # state.json names this shard's students before the first is graded
    return [submission for submission in batch if known[submission.student] == index]


def _finish_shard(record: "_Out") -> None:
    record.state["shard"]["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    record.save()


def container_protections() -> list[tuple[bool, str]]:
    """What protects student code in a container run without bubblewrap: (holds, what) per check."""
    import socket

    checks = []
    uid = os.geteuid()
    checks.append((uid != 0, f"user: uid {uid}" + (" (root: a container escape starts with more rights)"
                                                     if uid == 0 else ", not root")))
    root_options = ""
    try:
        for line in pathlib.Path("/proc/self/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) > 3 and fields[1] == "/":
                root_options = fields[3]
    except OSError:
        pass
    read_only = root_options.split(",")[:1] == ["ro"]
    checks.append((read_only, "root file system: " + ("read-only" if read_only else "WRITABLE")))
    token = pathlib.Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
    checks.append((not token.exists(), "service account token: " + ("MOUNTED (student code can call the cluster's "
                                                                     "API)" if token.exists() else "not mounted")))
    status = {}
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            status[key] = value.strip()
    except OSError:
        pass
    capabilities = int(status.get("CapEff", "0") or "0", 16)
    checks.append((capabilities == 0, f"capabilities: {'none' if capabilities == 0 else hex(capabilities)}"))
    checks.append((status.get("NoNewPrivs") == "1", "no new privileges: " + ("set" if status.get("NoNewPrivs") == "1"
                                                                              else "NOT set (setuid programs work)")))
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    target = (host, int(os.environ.get("KUBERNETES_SERVICE_PORT", "443"))) if host else ("1.1.1.1", 443)
    try:
        socket.create_connection(target, timeout=2).close()
        checks.append((False, f"network: {target[0]}:{target[1]} is REACHABLE (add the NetworkPolicy)"))
    except OSError as error:
        checks.append((True, f"network: {target[0]}:{target[1]} unreachable ({error.__class__.__name__})"))
    cgroup = pathlib.Path("/sys/fs/cgroup")
    for name, what, fix in (("memory.max", "memory limit", "set resources.limits.memory"),
                            ("pids.max", "process limit", "the kubelet's podPidsLimit sets it for every pod"),
                            ("cpu.max", "CPU limit", "set resources.limits.cpu")):
        try:
            value = (cgroup / name).read_text().split()[0]
        except (OSError, IndexError):
            value = "unknown"
        checks.append((value not in ("max", "unknown"), f"{what}: {value}" + ("" if value not in ("max", "unknown")
                                                                              else f" ({fix})")))
    return checks


def _announce_container(limits: Limits) -> None:
    """Print, never silently, what protects a run in which the container is the sandbox."""
    lines = ["--container-is-sandbox: student code runs WITHOUT bubblewrap; the container is the sandbox.",
             "What protects this run:"]
    for holds, what in container_protections():
        lines.append(f"  [{'ok' if holds else 'WARNING'}] {what}")
    lines += [f"  [ok] each cell stops after {limits.cell_timeout} s; the grader's own files are outside the kernel's "
              "folder but not hidden from it",
              "Not protected: the students graded in one container share it (one student's code can read or change",
              "another's notebook and this shard's grades), and the hidden tests run in the student's kernel.",
              "Where that matters, grade one student per pod (as many shards as students), or give the pod user",
              "namespaces so that bubblewrap runs (drop --container-is-sandbox). See docs/grading_at_scale.md."]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _print_progress(done: int, total: int) -> None:
    end = "\n" if done == total else ""
    print(f"\rgraded {done} of {total}, {total - done} left", end=end, file=sys.stderr, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment", help="assignment folder name in solutions/, e.g. 01_mlp_gan")
    parser.add_argument("submissions", type=pathlib.Path, help="folder of student folders, or a .zip of them")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="folder for grades and feedback")
    parser.add_argument("--resume", action="store_true",
                        help="--out already holds grades: grade only new or changed submissions")
    parser.add_argument("--workers", type=int, default=None, help="students graded at once (default: cores)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds allowed per cell")
    for name, what in (("memory-mb", "memory of one kernel"), ("processes", "processes and threads"),
                       ("file-size-mb", "largest file written"), ("cpu-seconds", "CPU time per process")):
        parser.add_argument(f"--{name}", type=int, default=None, help=f"{what} (default: autograder/settings.py)")
    parser.add_argument("--feedback-shows-tests", action="store_true",
                        help="feedback shows the hidden tests' code and outputs (nbgrader's default; "
                             "without it, each graded cell shows its name, points and failure message)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code without bubblewrap (only for submissions you trust)")
    parser.add_argument("--unsafe-no-userns", action="store_true",
                        help="on a machine without user namespaces, grade with a weaker sandbox (loud warning)")
    parser.add_argument("--shard", type=parse_shard, default=None, metavar="I/N",
                        help="grade only shard I of N (0 to N-1; by a hash of the student id); merge the shards "
                             "with python -m autograder.merge")
    parser.add_argument("--solutions", type=pathlib.Path, default=ROOT / "solutions",
                        help="the folder of source notebooks (default: this repository's solutions/)")
    parser.add_argument("--container-is-sandbox", action="store_true",
                        help="inside a locked-down container or pod that cannot run bubblewrap: grade without it, "
                             "after printing what protects the run")
    args = parser.parse_args(argv)
    os.environ.pop("GANKIT_PROFILE", None)  # grading always runs the smoke profile via NBGRADER_EXECUTION
    limits = limits_for(args.assignment, memory_mb=args.memory_mb, processes=args.processes,
                        file_size_mb=args.file_size_mb, cpu_seconds=args.cpu_seconds, cell_timeout=args.timeout)
    if args.container_is_sandbox:
        _announce_container(limits)
    try:
        grades = grade(args.assignment, args.submissions, args.out,
                       sandbox=not (args.no_sandbox or args.container_is_sandbox), solutions=args.solutions,
                       workers=args.workers, resume=args.resume, limits=limits,
                       allow_no_userns=args.unsafe_no_userns, progress=_print_progress, shard=args.shard,
                       feedback_shows_tests=args.feedback_shows_tests)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for student, row in sorted(grades.items()):
        print(f"{student:24s} {row['score']:6.1f} / {row['max_score']}  {row['status']}  {row['note'] or ''}")
    print(f"Grades and feedback written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
