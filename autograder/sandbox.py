"""A Jupyter kernel that runs student code inside a bubblewrap sandbox.

nbgrader executes a submission with the grader's own rights, so without a sandbox a
submission could read `solutions/`, rewrite the gradebook or other students' results.
`autograder.grade` registers this launcher as the kernel used for grading:

    python -m autograder.sandbox -f CONNECTION_FILE

It re-executes the normal IPython kernel under ``bwrap`` with:

* the whole file system read-only;
* the paths in ``GANKIT_SANDBOX_HIDE`` (``os.pathsep``-separated: the scratch grading
  folder with its gradebook, the repository's `solutions/` and `.git`) replaced by
  empty folders;
* only the notebook's own folder (the kernel's working directory) writable, plus a
  private ``/tmp`` (in which the Python installation, the repository and the data and
  cache folders stay visible, read-only, wherever they live);
* its own process, IPC and hostname namespaces, so it cannot signal the grader;
* a cleared environment but for the few variables in ``KEEP_ENV``.

The network stays shared because Jupyter talks to the kernel over loopback TCP.
"""

from __future__ import annotations

import os
import shutil
import sys


KEEP_ENV = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "GANKIT_DATA", "GANKIT_CACHE", "KERAS_HOME",
            "KERAS_BACKEND", "NBGRADER_EXECUTION", "TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND",
            "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "CUDA_VISIBLE_DEVICES")


def bwrap_command(connection_file: str, workdir: str, hide: list[str], python: str = sys.executable,
                  keep: list[str] = ()) -> list[str]:
    """The bwrap command line that starts an IPython kernel in the sandbox."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bubblewrap (bwrap) is not installed; on Debian/Ubuntu: apt-get install bubblewrap")
    connection_file = os.path.abspath(connection_file)
    command = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--clearenv",
               "--setenv", "KERAS_HOME", "/tmp/keras"]  # replaced below when the grader set one
    for name in KEEP_ENV:  # the kernel sees only what it needs, no secrets of the grader's
        if name in os.environ:
            command += ["--setenv", name, os.environ[name]]
    for path in keep:  # what the kernel needs even when it lives under /tmp (a CI clone, its venv)
        if path and os.path.exists(path):
            command += ["--ro-bind", path, path]
    for path in hide:  # before the binds below, which may sit inside a hidden folder
        if path and os.path.exists(path):
            command += ["--tmpfs", path] if os.path.isdir(path) else ["--ro-bind", "/dev/null", path]
    command += [
        "--ro-bind", connection_file, connection_file,  # the file alone: its folder is often /tmp
        "--bind", workdir, workdir,
        "--chdir", workdir,
        "--setenv", "HOME", "/tmp",
        "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib",
        "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        "--die-with-parent", "--new-session",
        "--", python, "-m", "ipykernel_launcher", "-f", connection_file,
        "--HistoryManager.hist_file=:memory:",
    ]
    return command


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] != "-f":
        raise SystemExit("usage: python -m autograder.sandbox -f CONNECTION_FILE")
    hide = [p for p in os.environ.get("GANKIT_SANDBOX_HIDE", "").split(os.pathsep) if p]
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    keep = [sys.prefix, sys.base_prefix, repository] + [os.environ.get(name, "") for name in
                                                       ("GANKIT_DATA", "GANKIT_CACHE", "KERAS_HOME")]
    command = bwrap_command(argv[1], os.getcwd(), hide, keep=keep)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
