"""Benchmark the grader: a class of notebook-01 submissions graded with 1 and with 2 workers,
or in 1, 2 and 4 shards run as separate processes, and where one submission's time goes.

    python -m autograder.bench                 # 30 submissions, workers 1 then 2
    python -m autograder.bench -n 10 --workers 2 4
    python -m autograder.bench --shards 1 2 4  # 30 submissions in 1, 2 and 4 shard processes, merged
    python -m autograder.bench --split         # one correct submission: kernel start, imports, notebook run

The class mixes correct, partial (one exercise left as released), blank, hostile (reads
$HOME, forks without end, reaches for the network, then answers correctly) and broken
(not JSON, a renamed notebook) submissions. It prints submissions per minute for each
worker count and checks that every run wrote the same grades (summary.csv scores and
statuses, grades.csv); exit status 1 if they differ. With ``--shards`` each shard is one
``python -m autograder.grade ... --shard I/N --workers 1`` process, all started at once, then
``python -m autograder.merge``; it prints submissions per minute, the ratio to one shard, and
checks that the merged summary.csv and grades.csv equal the one-shard run's byte for byte.
``--split`` times one correct submission in the sandboxed kernel: the kernel's start, the
notebook's import cell, and the rest of the notebook, beside the grader's whole time per
submission (the rest is nbgrader: the release, autograde's bookkeeping and the feedback).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from autograder.release import ROOT

ASSIGNMENT = "01_mlp_gan"
HOSTILE = """import os, socket, time
for path in ('/root/.ssh/id_rsa', os.path.expanduser('~/.bash_history')):
    try:
        open(path).read()
    except OSError as error:
        print('blocked:', type(error).__name__)
try:
    socket.create_connection(('1.1.1.1', 443), timeout=2)
except OSError as error:
    print('no network:', error)
children = []
try:
    for _ in range(10000):  # a fork bomb, stopped by the process limit; its copies then exit
        pid = os.fork()
        if pid == 0:
            time.sleep(2)
            os._exit(0)
        children.append(pid)
except OSError as error:
    print('fork stopped after', len(children), error)
for pid in children:
    os.waitpid(pid, 0)
"""


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _answers() -> dict[str, str]:
    notebook = json.loads((ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    answers = {}
    for cell in notebook["cells"]:
        if _meta(cell).get("solution"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            answers[_meta(cell)["grade_id"]] = "\n".join(
                line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return answers


def make_class(folder: pathlib.Path, count: int) -> dict[str, str]:
    """Write ``count`` student folders into ``folder``; returns {folder name: kind}."""
    released = json.loads((ROOT / "course" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    answers = _answers()
    code_answers = [gid for gid in answers if any(_meta(c).get("grade_id") == gid and c["cell_type"] == "code"
                                                  for c in released["cells"])]
    kinds = ["correct", "partial", "blank", "hostile", "broken"]
    made = {}
    for index in range(count):
        kind = kinds[index % len(kinds)]
        name = f"{kind} {index:02d}" if kind != "correct" else f"Élève {index:02d}"
        notebook = json.loads(json.dumps(released))
        for cell in notebook["cells"]:
            grade_id = _meta(cell).get("grade_id")
            if grade_id in answers and kind in ("correct", "partial", "hostile"):
                cell["source"] = answers[grade_id]
            if kind == "partial" and code_answers and grade_id == code_answers[index % len(code_answers)]:
                cell["source"] = "# YOUR CODE HERE\nraise NotImplementedError()"
            if kind == "hostile" and code_answers and grade_id == code_answers[0]:
                cell["source"] = HOSTILE + "\n" + answers[grade_id]
        student = folder / name
        student.mkdir(parents=True)
        if kind == "broken" and index % 2:
            (student / f"{ASSIGNMENT}.ipynb").write_text("{ this is not json")
        else:
            target = f"{ASSIGNMENT} (1).ipynb" if kind == "broken" else f"{ASSIGNMENT}.ipynb"
            (student / target).write_text(json.dumps(notebook))
        made[name] = kind
    return made


def _grades(out: pathlib.Path) -> tuple:
    with open(out / "summary.csv") as handle:
        summary = sorted((row["student"], row["score"], row["status"]) for row in csv.DictReader(handle))
    return summary, (out / "grades.csv").read_text()


def _grade_in_shards(assignment: str, folder: pathlib.Path, out: pathlib.Path, count: int) -> float:
    """Grade ``folder`` in ``count`` shard processes started at once, then merge; returns seconds."""
    started = time.monotonic()
    processes = [subprocess.Popen([sys.executable, "-m", "autograder.grade", assignment, str(folder), "--out",
                                   str(out / f"shard-{index}"), "--shard", f"{index}/{count}", "--workers", "1"],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for index in range(count)]
    for index, process in enumerate(processes):
        _, errors = process.communicate()
        if process.returncode:
            print(f"shard {index}/{count} failed ({process.returncode}): {errors[-2000:]}", file=sys.stderr)
    merged = subprocess.run([sys.executable, "-m", "autograder.merge",
                             *(str(out / f"shard-{index}") for index in range(count)), "--out", str(out / "merged")],
                            cwd=ROOT, capture_output=True, text=True)
    if merged.returncode:
        print(merged.stderr, file=sys.stderr)
    return time.monotonic() - started


def split(assignment: str, scratch: pathlib.Path) -> dict:
    """Seconds for one correct submission in the sandboxed kernel: start, imports, the rest."""
    from jupyter_client import KernelManager

    from autograder.grade import KERNEL, _sandbox_env
    from autograder.settings import limits_for

    course = scratch / "split"
    (course / "ipc").mkdir(parents=True)
    env = _sandbox_env(course, limits_for(assignment), userns=True)
    env["NBGRADER_EXECUTION"] = "autograde"  # the smoke profile, as under the grader
    released = json.loads((ROOT / "course" / assignment / f"{assignment}.ipynb").read_text())
    answers = _answers()
    code = []
    for cell in released["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = answers.get(_meta(cell).get("grade_id"), cell["source"])
        code.append(("imports" if cell.get("id") == "imports" else "run",
                     "".join(source) if isinstance(source, list) else source))
    saved = dict(os.environ)
    os.environ.update(JUPYTER_PATH=env["JUPYTER_PATH"], JUPYTER_RUNTIME_DIR=env["JUPYTER_RUNTIME_DIR"])
    try:
        manager = KernelManager(kernel_name=KERNEL, transport="ipc", ip=str(course / "ipc" / "kernel"))
        started = time.monotonic()
        manager.start_kernel(env=env, cwd=str(course))
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=300)
        client.execute_interactive("pass", timeout=300)
        times = {"kernel start": time.monotonic() - started, "imports": 0.0, "notebook run": 0.0}
        for kind, source in code:
            began = time.monotonic()
            reply = client.execute_interactive(source, timeout=600, output_hook=lambda message: None)
            times["imports" if kind == "imports" else "notebook run"] += time.monotonic() - began
            if reply["content"]["status"] != "ok":  # the times would be a broken run's, not a submission's
                raise SystemExit(f"split: a cell of the correct submission failed with {reply['content'].get('ename')}: "
                                 f"{reply['content'].get('evalue')}. Fix: make the notebook run outside the bench first "
                                 f"(its data, its package); the times are not printed.")
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return times


def _data_is_there(assignment: str) -> None:
    """Fetch the assignment's data now, outside the sandbox (which has no network), or stop.

    Without it every submission's data cells fail in the sandbox, the notebooks end early
    and the throughput measured is that of broken runs. The grader fetches the same way
    before a batch, but only warns.
    """
    from autograder.grade import _fetch_data, _notebook_names

    solutions = ROOT / "solutions"
    sources = [(solutions / assignment / f"{name}.ipynb").read_text() for name in _notebook_names(assignment, solutions)]
    failed = _fetch_data(assignment, sources)
    if failed:
        raise SystemExit(f"bench: {assignment}'s grading kernels need {', '.join(failed)}, which could not be fetched "
                         f"here (see the warning above): the rates would be those of broken runs.")


def main(argv=None) -> int:
    global ASSIGNMENT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=30, help="submissions (default 30)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    parser.add_argument("--shards", type=int, nargs="+", default=None,
                        help="instead of workers: shard counts to compare, e.g. 1 2 4 (the first is the reference)")
    parser.add_argument("--split", action="store_true", help="also time one submission: kernel start, imports, run")
    parser.add_argument("--assignment", default=ASSIGNMENT, help=f"default {ASSIGNMENT}")
    args = parser.parse_args(argv)
    ASSIGNMENT = args.assignment
    from autograder.collect import student_id
    from autograder.grade import grade

    _data_is_there(ASSIGNMENT)
    with tempfile.TemporaryDirectory(prefix="gan-grade-bench-") as scratch:
        scratch = pathlib.Path(scratch)
        kinds = make_class(scratch / "class", args.n)
        results, rates = {}, {}
        for count in args.shards or args.workers:
            if args.shards:
                out = scratch / f"shards-{count}"
                minutes = _grade_in_shards(ASSIGNMENT, scratch / "class", out, count) / 60
                out = out / "merged"
                label = f"{count} shard process(es)"
            else:
                out = scratch / f"out-{count}"
                started = time.monotonic()
                grade(ASSIGNMENT, scratch / "class", out, workers=count)
                minutes = (time.monotonic() - started) / 60
                label = f"{count} worker(s)"
            results[count] = _grades(out) + ((out / "summary.csv").read_bytes(),) if args.shards else _grades(out)
            rates[count] = args.n / minutes
            ratio = rates[count] / next(iter(rates.values()))
            print(f"{label}: {args.n} submissions in {minutes:.1f} min = {rates[count]:.1f} submissions per minute "
                  f"({ratio:.2f} x the first)", flush=True)
        first = next(iter(results.values()))
        same = all(value == first for value in results.values())
        kinds = {student_id(name): kind for name, kind in kinds.items()}
        for student, score, status in first[0]:
            print(f"  {student:14s} {kinds.get(student, '?'):8s} {score:>5s} {status}")
        print(("same grades (summary.csv and grades.csv byte for byte) for every shard count" if args.shards else
               "same grades for every worker count") if same else "GRADES DIFFER between runs")
        if args.split:
            per = 60 / next(iter(rates.values()))
            times = split(ASSIGNMENT, scratch)
            rest = per - sum(times.values())
            print(f"one correct submission: kernel start {times['kernel start']:.1f} s, imports {times['imports']:.1f} s, "
                  f"notebook run {times['notebook run']:.1f} s; the grader spends {per:.1f} s per submission at the "
                  f"first setting, so nbgrader and the rest take about {rest:.1f} s")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
