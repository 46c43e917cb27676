"""Grading in shards: stable shards, the Kubernetes manifests, and merges equal to one run.

The fast tests check the shard hash and the manifests' structure. The slow test grades the tiny
assignment of tests/test_grading_safety.py once in one run (bubblewrap), and again in three
shards run as separate processes with the exact command lines of deploy/k8s/grade-job.yaml (one
per completion index) and of deploy/k8s/merge-job.yaml; the merged CSVs must equal the single
run's byte for byte, and the gradebook the same scores. A shard killed part-way and a shard left
out are then named by the merge, with their students listed as not graded.
"""

import csv
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import nbformat
import pytest
import yaml

from autograder.grade import grade, parse_shard, shard_of
from test_grading_safety import ADD, LIMITS, _assignment

REPO = pathlib.Path(__file__).resolve().parent.parent
K8S = REPO / "deploy" / "k8s"
SHARDS = 3


def test_shard_is_a_stable_hash_of_the_student_id():
    students = [f"student_{i:03d}" for i in range(300)]
    first = {s: shard_of(s, 4) for s in students}
    shuffled = students[:]
    random.Random(1).shuffle(shuffled)
    assert {s: shard_of(s, 4) for s in shuffled} == first
    sizes = [list(first.values()).count(i) for i in range(4)]
    assert min(sizes) > 50, sizes  # about 75 each
    assert shard_of("Jose_Garcia", 4) == 2  # fixed forever: a changed hash would move graded students


def test_shard_option_rejects_what_is_not_i_of_n():
    assert parse_shard("0/4") == (0, 4) and parse_shard("3/4") == (3, 4)
    for bad in ("4/4", "-1/4", "1", "a/b", "1/0"):
        with pytest.raises(Exception, match="--shard"):
            parse_shard(bad)


def _docs(name):
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def _container(job):
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return container


def test_grading_job_is_indexed_and_locked_down():
    policy, job = _docs("grade-job.yaml")
    assert policy["kind"] == "NetworkPolicy" and sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in policy["spec"] and "egress" not in policy["spec"]  # deny all, both ways
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in policy["spec"]["podSelector"]["matchLabels"].items())
    spec = job["spec"]
    assert job["kind"] == "Job" and spec["completionMode"] == "Indexed"
    pod = spec["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False and pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    container = _container(job)
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    limits = container["resources"]["limits"]
    assert {"cpu", "memory"} <= set(limits)
    env = {item["name"]: item for item in container["env"]}
    assert int(env["SHARDS"]["value"]) == spec["completions"] >= spec["parallelism"]
    assert "job-completion-index" in env["SHARD"]["valueFrom"]["fieldRef"]["fieldPath"]
    command = container["command"][-1]
    assert '--shard "$SHARD/$SHARDS"' in command and "--container-is-sandbox" in command
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["submissions"]["readOnly"] is True
    assert mounts["grades"]["subPathExpr"] == "shard-$(SHARD)" and env["OUT"]["value"] == mounts["grades"]["mountPath"]
    assert any(m["mountPath"] == "/tmp" for m in mounts.values())  # the only writable place besides /grades
    (merge,) = _docs("merge-job.yaml")
    merge_pod = merge["spec"]["template"]["spec"]
    assert merge_pod["automountServiceAccountToken"] is False
    assert merge["spec"]["template"]["metadata"]["labels"] == labels  # under the same NetworkPolicy
    assert _container(merge)["securityContext"]["readOnlyRootFilesystem"] is True
    assert "autograder.merge" in _container(merge)["command"][-1]


def _run_manifest(name: str, overrides: dict, wait: bool = True):
    """Run a manifest's container command as written, with the env it sets and ``overrides``."""
    container = _container(_docs(name)[-1])
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.update({item["name"]: item["value"] for item in container["env"] if "value" in item})
    env.pop("HOME", None)
    env.update(overrides)
    env["HOME"] = os.environ.get("HOME", "/tmp")  # the pod's /tmp/home; here the runner's own
    bin_dir = str(pathlib.Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")  # `python` is the image's interpreter
    process = subprocess.Popen(container["command"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    if not wait:
        return process
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    base = tmp_path_factory.mktemp("shards")
    solutions = _assignment(base)
    source = nbformat.read(solutions / "demo" / "demo.ipynb", as_version=4)
    subs = base / "subs"
    answers = {"ana": ADD, "José García": ADD, "bo": ADD, "cy": ADD, "dee": ADD, "ed": ADD,
               "wrong": "\ndef add(a, b):\n    return a - b", "blank": "# YOUR CODE HERE\nraise NotImplementedError()"}
    for student, code in answers.items():
        notebook = nbformat.from_dict(json.loads(json.dumps(source)))
        notebook.cells[0].source = code
        notebook.cells[1].source = "assert add(1, 2) == 3"
        (subs / student).mkdir(parents=True)
        nbformat.write(notebook, subs / student / "demo.ipynb")
    (subs / "garbled").mkdir()
    (subs / "garbled" / "demo.ipynb").write_text("<html>not a notebook</html>")
    single = base / "single"
    started = time.monotonic()
    grades = grade("demo", subs, single, solutions=solutions, workers=2, limits=LIMITS)
    single_s = time.monotonic() - started
    grades_dir = base / "grades"
    started = time.monotonic()
    processes = [_run_manifest("grade-job.yaml", {"ASSIGNMENT": "demo", "SHARDS": str(SHARDS), "SHARD": str(i),
                                                  "SUBMISSIONS": str(subs), "SOLUTIONS": str(solutions),
                                                  "OUT": str(grades_dir / f"shard-{i}"), "WORKERS": "1"},
                               wait=False) for i in range(SHARDS)]
    logs = [process.communicate(timeout=600)[0] for process in processes]
    assert [p.returncode for p in processes] == [0] * SHARDS, logs
    rc, merge_log = _run_manifest("merge-job.yaml", {"GRADES": str(grades_dir)})
    print(f"one run: {single_s:.0f} s; {SHARDS} shards and the merge: {time.monotonic() - started:.0f} s")
    return dict(base=base, subs=subs, solutions=solutions, single=single, grades=grades, grades_dir=grades_dir,
                logs=logs, merge=(rc, merge_log))


def _scores(gradebook_path: pathlib.Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{gradebook_path}") as gradebook:
        students = sorted(s.id for s in gradebook.students)
        scores = {}
        for submission in gradebook.assignment_submissions("demo"):
            scores[submission.student.id] = (submission.score, {g.name: (g.auto_score, g.needs_manual_grade)
                                                                for n in submission.notebooks for g in n.grades})
        return {"students": students, "scores": scores}


@pytest.mark.slow
@pytest.mark.grading
def test_merged_shards_equal_one_run(sharded):
    rc, log = sharded["merge"]
    assert rc == 0, log
    single, merged = sharded["single"], sharded["grades_dir"] / "merged"
    for name in ("summary.csv", "grades.csv", "students.csv"):
        assert (merged / name).read_bytes() == (single / name).read_bytes(), name
    assert _scores(merged / "gradebook.db") == _scores(single / "gradebook.db")
    assert sharded["grades"]["ana"]["score"] == 2 and sharded["grades"]["wrong"]["score"] == 0
    tree = lambda root, kind: sorted(str(p.relative_to(root)) for p in (root / kind).rglob("*"))  # noqa: E731
    for kind in ("feedback", "autograded", "logs"):
        assert tree(merged, kind) == tree(single, kind), kind
    shard_students = []
    for index in range(SHARDS):
        state = json.loads((sharded["grades_dir"] / f"shard-{index}" / "state.json").read_text())
        assert state["shard"]["finished"] and len(state["shard"]["class"]) == 9
        assert all(shard_of(s, SHARDS) == index for s in state["students"])
        shard_students += list(state["students"])
    assert sorted(shard_students) == sorted(sharded["grades"])  # each student graded once, by one shard


@pytest.mark.slow
@pytest.mark.grading
def test_each_shard_says_what_protects_it(sharded):
    for log in sharded["logs"]:
        assert "--container-is-sandbox: student code runs WITHOUT bubblewrap" in log
        assert "root file system:" in log and "service account token:" in log and "process limit:" in log


@pytest.mark.slow
@pytest.mark.grading
def test_killed_and_missing_shards_are_named_with_their_students(sharded):
    base, grades_dir = sharded["base"], sharded["grades_dir"]
    killed, dropped = 0, 1
    victim = base / "killed" / f"shard-{killed}"
    command = [sys.executable, "-m", "autograder.grade", "demo", str(sharded["subs"]), "--out", str(victim),
               "--shard", f"{killed}/{SHARDS}", "--solutions", str(sharded["solutions"]), "--workers", "1",
               "--timeout", "10"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while not (victim / "state.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # as a node lost mid-run would
    process.wait()
    state = json.loads((victim / "state.json").read_text())
    assert state["shard"]["finished"] is None
    out = base / "partial"
    shards = [victim] + [grades_dir / f"shard-{i}" for i in range(SHARDS) if i not in (killed, dropped)]
    run = subprocess.run([sys.executable, "-m", "autograder.merge", *map(str, shards), "--out", str(out)],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    assert f"MISSING: shard {dropped}/{SHARDS}" in run.stderr
    assert f"NOT FINISHED: shard {killed}/{SHARDS} in {victim}" in run.stderr
    with open(out / "summary.csv") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted(sharded["grades"])  # nobody dropped
    expected_missing = {s for s in rows if shard_of(s, SHARDS) == dropped}
    assert expected_missing
    for student, row in rows.items():
        shard = shard_of(student, SHARDS)
        if shard == dropped or (shard == killed and student not in state["students"]):
            assert row["status"] == "not_graded" and row["score"] == "", row
            assert f"shard {shard}/{SHARDS}" in row["note"] and f"--shard {shard}/{SHARDS} --resume" in row["note"]
            assert f"  {student}" in run.stderr and f"shard {shard}/{SHARDS}" in run.stderr
        else:
            assert row["status"] != "not_graded"
            assert float(row["score"]) == sharded["grades"][student]["score"]
    assert any(shard_of(s, SHARDS) == killed and rows[s]["status"] == "not_graded" for s in rows)
    # Rerun the killed shard with --resume and merge again: complete, equal to one run.
    finished = subprocess.run(command + ["--resume"], cwd=REPO, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr[-2000:]
    again = subprocess.run([sys.executable, "-m", "autograder.merge", str(victim),
                            *(str(grades_dir / f"shard-{i}") for i in range(SHARDS) if i != killed), "--out", str(out)],
                           cwd=REPO, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert (out / "summary.csv").read_bytes() == (sharded["single"] / "summary.csv").read_bytes()
