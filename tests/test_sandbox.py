"""The sandbox's command line, limits and refusals, checked without running a kernel (fast tier)."""

import os
import subprocess
import sys

import pytest

from autograder import grade as grading
from autograder import sandbox
from autograder.settings import limits_for


@pytest.fixture
def fake_bwrap(monkeypatch):
    monkeypatch.setattr(sandbox, "_bwrap", lambda: "/usr/bin/bwrap")
    monkeypatch.setattr(sandbox, "_bwrap_version", lambda _: (0, 8, 0))


def _pairs(command, flag):
    return [command[i + 1] for i, arg in enumerate(command) if arg == flag]


def test_the_kernel_gets_no_capabilities_no_network_and_a_minimal_file_system(fake_bwrap, tmp_path):
    work, sockets = tmp_path / "work", tmp_path / "ipc"
    work.mkdir(), sockets.mkdir()
    connection = sockets / "kernel.json"
    connection.write_text("{}")
    command = sandbox.bwrap_command(str(connection), str(work), [sys.prefix, "/definitely/not/here"],
                                    [str(sockets)])
    for flag in ("--unshare-user", "--disable-userns", "--unshare-net", "--unshare-pid", "--clearenv"):
        assert flag in command
    assert _pairs(command, "--cap-drop") == ["ALL"]
    read_only, writable = _pairs(command, "--ro-bind"), _pairs(command, "--bind")
    assert "/" not in read_only and os.path.expanduser("~") not in read_only + writable
    assert sys.prefix in read_only and "/definitely/not/here" not in read_only
    assert writable == [str(sockets), str(work)]
    assert command[command.index("--remount-ro") + 1] == "/"
    assert command.index("--remount-ro") > max(i for i, arg in enumerate(command) if arg in ("--bind", "--ro-bind"))
    assert _pairs(command, "--chdir") == [str(work)]


def test_degraded_mode_has_no_user_namespace(fake_bwrap, tmp_path):
    command = sandbox.bwrap_command(str(tmp_path / "k.json"), str(tmp_path), [], userns=False)
    assert "--unshare-user" not in command and "--disable-userns" not in command
    assert _pairs(command, "--cap-drop") == ["ALL"] and "--unshare-net" in command


def test_a_machine_without_user_namespaces_is_refused_with_the_fix(fake_bwrap, monkeypatch):
    failed = subprocess.CompletedProcess([], 1, "", "bwrap: No permissions to create new namespace")
    monkeypatch.setattr(sandbox.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(sandbox.SandboxUnavailable, match="user.max_user_namespaces.*--unsafe-no-userns"):
        sandbox.check_user_namespaces()


def test_grade_refuses_before_touching_anything(monkeypatch, tmp_path):
    def refuse():
        raise sandbox.SandboxUnavailable("this machine does not let bubblewrap create a user namespace")

    monkeypatch.setattr(grading, "check_user_namespaces", refuse)
    with pytest.raises(grading.GradingError, match="user namespace"):
        grading.grade("01_mlp_gan", tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_limits_per_assignment_and_overrides():
    assert limits_for("02_dcgan").memory_mb > limits_for("00_cook_and_critic").memory_mb
    custom = limits_for("01_mlp_gan", memory_mb=512, cell_timeout=7, processes=None)
    assert (custom.memory_mb, custom.cell_timeout, custom.processes) == (512, 7, sandbox.Limits().processes)
    assert sandbox.Limits.from_env(custom.to_env()) == custom
    with pytest.raises(ValueError, match="settings.py"):
        limits_for("01_mlp_gan", gpus=1)


def test_rlimits_apply_in_a_child(tmp_path):
    limits = sandbox.Limits(memory_mb=256, file_size_mb=1, cpu_seconds=30, processes=64)
    code = ("import resource\n"
            "print(resource.getrlimit(resource.RLIMIT_DATA)[0] // 2**20, resource.getrlimit(resource.RLIMIT_FSIZE)[0],"
            " resource.getrlimit(resource.RLIMIT_CPU)[0])\n"
            "try:\n    bytearray(2 * 2**30)\nexcept MemoryError:\n    print('MemoryError')\n")
    result = subprocess.run([sys.executable, "-c", code], preexec_fn=lambda: sandbox.set_rlimits(limits),
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["256", str(2**20), "30", "MemoryError"], result.stderr


def test_the_kernel_sees_its_folder_but_no_notebook_file(fake_bwrap, tmp_path):
    work = tmp_path / "work folder"  # spaces are fine: bwrap gets a list, never a shell line
    (work / "sub").mkdir(parents=True)
    for name in ("graded.ipynb", "sub/Other.IPYNB", "data.csv"):
        (work / name).write_text("x")
    (work / "link.ipynb").symlink_to(work / "data.csv")  # a link is not followed, nor hidden: its target shows
    empty = tmp_path / "empty"
    empty.write_text("")
    command = sandbox.bwrap_command(str(tmp_path / "k.json"), str(work), [], empty=str(empty))
    hidden = [command[i + 2] for i, arg in enumerate(command) if arg == "--ro-bind" and command[i + 1] == str(empty)]
    assert hidden == [str(work / "graded.ipynb"), str(work / "sub" / "Other.IPYNB")]
    assert command.index(str(work / "graded.ipynb")) > command.index("--bind")  # over the folder's own bind
    assert str(work / "data.csv") not in command
