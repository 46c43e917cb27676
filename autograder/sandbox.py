"""A Jupyter kernel that runs student code inside a bubblewrap sandbox.

nbgrader executes a submission with the grader's own rights (often root), so without a
sandbox a submission could read `solutions/`, rewrite the gradebook, other students'
results or anything on the machine. `autograder.grade` registers this launcher as the
kernel used for grading:

    python -m autograder.sandbox -f CONNECTION_FILE

It starts the normal IPython kernel under ``bwrap`` with:

* a user namespace with every capability dropped (so even when the grader is root, the
  kernel cannot mount, unmount or remount anything) and no nested user namespaces;
* its own network namespace: no network at all. Jupyter reaches the kernel over the
  ``ipc`` transport, through sockets in one folder bound into the sandbox;
* a minimal file system: the system libraries, the Python installation, the
  repository's ``gankit`` package (nothing else of the repository), the data and cache
  folders, all read-only; its own notebook folder and the socket folder writable; a
  private ``/tmp``. Every notebook file in its folder (the one being graded holds the
  hidden tests) reads as empty: the student's other files stay readable. Nothing else
  exists inside: no ``$HOME``, no other student, no gradebook, no solutions;
* its own process, IPC and hostname namespaces, so it cannot signal the grader;
* an empty environment but for the few variables in ``KEEP_ENV``;
* limits (`Limits`): memory, processes, file size and CPU time, as rlimits and, where the
  machine lets the grader create cgroups, as a cgroup for the whole kernel.

Settings arrive through the environment that `autograder.grade` gives the kernel:
``GANKIT_SANDBOX_BIND`` (read-only paths), ``GANKIT_SANDBOX_RW`` (the socket folder),
``GANKIT_SANDBOX_LIMITS`` (JSON) and ``GANKIT_SANDBOX_USERNS=0`` (degraded mode, only
after the grader was told explicitly to run without user namespaces).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import sys
import uuid

KEEP_ENV = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "GANKIT_DATA", "GANKIT_CACHE", "KERAS_HOME",
            "KERAS_BACKEND", "NBGRADER_EXECUTION", "TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND",
            "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "CUDA_VISIBLE_DEVICES")

# What the dynamic loader, Python and matplotlib need from /etc; nothing else of it.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "passwd", "group", "nsswitch.conf",
       "localtime", "ssl", "fonts", "mime.types", "os-release")
SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/opt/conda")


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one student's kernel may use. Per assignment: `autograder.settings`."""

    memory_mb: int = 4096  # the kernel's memory: all its processes (cgroup), each process (rlimit)
    processes: int = 512  # processes and threads (TensorFlow alone starts dozens)
    file_size_mb: int = 256  # the largest file it may write
    cpu_seconds: int = 3600  # CPU time of each process of the kernel (all its threads)
    cell_timeout: int = 300  # wall-clock seconds per cell (nbgrader's Execute.timeout)

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls, text: str | None) -> "Limits":
        return cls(**json.loads(text)) if text else cls()


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing, or this machine does not allow user namespaces."""


def _bwrap() -> str:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed; on Debian/Ubuntu: apt-get install bubblewrap")
    return bwrap


def _bwrap_version(bwrap: str) -> tuple[int, ...]:
    text = subprocess.run([bwrap, "--version"], capture_output=True, text=True).stdout.split()[-1]
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def check_user_namespaces() -> None:
    """Raise `SandboxUnavailable`, saying why, unless bwrap can make a user and a network namespace."""
    bwrap = _bwrap()
    probe = subprocess.run([bwrap, "--unshare-user", "--unshare-net", "--cap-drop", "ALL", "--ro-bind", "/", "/",
                            "--", "/bin/true"], capture_output=True, text=True)
    if probe.returncode:
        raise SandboxUnavailable(
            "this machine does not let bubblewrap create a user namespace "
            f"({probe.stderr.strip() or 'exit ' + str(probe.returncode)}), so the sandbox cannot drop "
            "root's capabilities. Enable user namespaces (sysctl user.max_user_namespaces=10000; on Debian "
            "also kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 "
            "kernel.apparmor_restrict_unprivileged_userns=0), or run the grader in a virtual machine you can "
            "throw away and pass --unsafe-no-userns.")


def _system_binds() -> list[str]:
    args = []
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC:
        path = os.path.join("/etc", name)
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def notebooks_in(workdir: str) -> list[str]:
    """The notebook files under ``workdir``: hidden from the kernel (they hold the hidden tests while grading)."""
    found = []
    for folder, folders, files in os.walk(workdir):
        folders[:] = [name for name in folders if not os.path.islink(os.path.join(folder, name))]
        found += [os.path.join(folder, name) for name in files
                  if name.lower().endswith(".ipynb") and not os.path.islink(os.path.join(folder, name))]
    return sorted(found)


def bwrap_command(connection_file: str, workdir: str, binds: list[str], writable: list[str] = (),
                  python: str = sys.executable, userns: bool = True, empty: str | None = None) -> list[str]:
    """The bwrap command line that starts an IPython kernel in the sandbox.

    ``empty`` is an empty file bound over every notebook file in ``workdir`` (see `notebooks_in`)."""
    bwrap = _bwrap()
    connection_file = os.path.abspath(connection_file)
    command = [bwrap, *_system_binds(), "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--clearenv",
               "--setenv", "KERAS_HOME", "/tmp/keras"]  # replaced below when the grader set one
    for name in KEEP_ENV:  # the kernel sees only what it needs, no secrets of the grader's
        if name in os.environ:
            command += ["--setenv", name, os.environ[name]]
    for path in binds:  # read-only: the Python installation, gankit, data and caches
        if path and os.path.exists(path):
            command += ["--ro-bind", path, path]
    for path in [*writable, workdir]:
        command += ["--bind", path, path]
    if empty:
        for path in notebooks_in(workdir):
            command += ["--ro-bind", empty, path]
    command += ["--ro-bind", connection_file, connection_file, "--remount-ro", "/",
                "--chdir", workdir, "--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib",
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup-try",
                "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if userns:
        command += ["--unshare-user"]
        if _bwrap_version(bwrap) >= (0, 8):
            command += ["--disable-userns"]
    command += ["--", python, "-m", "ipykernel_launcher", "-f", connection_file, "--HistoryManager.hist_file=:memory:"]
    return command


def set_rlimits(limits: Limits) -> None:
    """Per-process limits (inherited by everything the kernel starts)."""
    mb = 1024 * 1024
    wanted = {
        resource.RLIMIT_DATA: limits.memory_mb * mb,  # heap and private mappings: what allocation uses
        resource.RLIMIT_FSIZE: limits.file_size_mb * mb,
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_NPROC: limits.processes,  # not enforced for root: the cgroup covers that case
        resource.RLIMIT_CORE: 0,
    }
    for kind, value in wanted.items():
        soft, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value if kind != resource.RLIMIT_CPU else value + 5))


class Cgroup:
    """A v1 or v2 cgroup holding the kernel's memory and process count; a no-op where not allowed."""

    ROOTS = {"v2": "/sys/fs/cgroup", "pids": "/sys/fs/cgroup/pids", "memory": "/sys/fs/cgroup/memory"}

    def __init__(self, limits: Limits):
        self.paths: list[pathlib.Path] = []
        name = f"gankit-sandbox-{uuid.uuid4().hex[:12]}"
        # Above the per-process rlimit, so that one process meets a clean MemoryError first and
        # the cgroup stops only what many processes allocate together; no swap, so no thrashing.
        memory = (limits.memory_mb + limits.memory_mb // 4 + 256) * 1024 * 1024
        plans = []
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            plans.append(("v2", {"pids.max": limits.processes, "memory.max": memory, "memory.swap.max": 0}))
        else:
            plans.append(("pids", {"pids.max": limits.processes}))
            plans.append(("memory", {"memory.limit_in_bytes": memory, "memory.memsw.limit_in_bytes": memory}))
        for root, settings in plans:
            path = pathlib.Path(self.ROOTS[root]) / name
            try:
                path.mkdir()
                for key, value in settings.items():
                    if (path / key).exists():
                        (path / key).write_text(str(value))
                self.paths.append(path)
            except OSError:
                if path.exists():
                    self._remove(path)

    @property
    def active(self) -> bool:
        return bool(self.paths)

    def enter(self, pid: int) -> None:
        for path in self.paths:
            try:
                (path / "cgroup.procs").write_text(str(pid))
            except OSError:
                pass

    @staticmethod
    def _remove(path: pathlib.Path) -> None:
        for _ in range(50):
            try:
                for pid in (path / "cgroup.procs").read_text().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                path.rmdir()
                return
            except OSError:
                import time

                time.sleep(0.1)

    def close(self) -> None:
        for path in self.paths:
            self._remove(path)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 2 or argv[0] != "-f":
        raise SystemExit("usage: python -m autograder.sandbox -f CONNECTION_FILE")
    split = lambda name: [p for p in os.environ.get(name, "").split(os.pathsep) if p]  # noqa: E731
    limits = Limits.from_env(os.environ.get("GANKIT_SANDBOX_LIMITS"))
    import tempfile

    private = tempfile.mkdtemp(prefix="gankit-sandbox-")  # outside every bound folder
    empty = os.path.join(private, "empty")
    open(empty, "w").close()
    os.chmod(private, 0o755)
    command = bwrap_command(argv[1], os.getcwd(), split("GANKIT_SANDBOX_BIND"), split("GANKIT_SANDBOX_RW"),
                            userns=os.environ.get("GANKIT_SANDBOX_USERNS", "1") != "0", empty=empty)
    cgroup = Cgroup(limits)

    def confine():  # in the child, before bwrap starts: all the kernel starts is counted
        cgroup.enter(os.getpid())
        set_rlimits(limits)

    try:
        kernel = subprocess.Popen(command, preexec_fn=confine)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):  # Jupyter's interrupt
            signal.signal(sig, lambda number, _frame: kernel.send_signal(number))
        while True:
            try:
                return kernel.wait()
            except InterruptedError:
                continue
    finally:
        cgroup.close()
        shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
