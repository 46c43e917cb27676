"""bin/lab, headless: it serves the learner's own copy of the course, without nbgrader, and a
notebook saved there leaves the repository as it was."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from notebook_tools import ROOT

pytestmark = pytest.mark.slow

TOKEN = "course-test-token"
NOTEBOOK = "00_cook_and_critic/00_cook_and_critic.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, method: str = "GET", body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{'&' if '?' in url else '?'}token={TOKEN}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True).stdout


@pytest.fixture
def lab(tmp_path):
    port = _free_port()
    log = tmp_path / "lab.log"
    env = dict(os.environ, GANKIT_WORKSPACE=str(tmp_path / "my-course"),
               # the extras bin/test installed: no reinstall just for this test
               GANKIT_EXTRAS=os.environ.get("GANKIT_EXTRAS", "cpu,jax,lab,instructor,test"))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # bin/lab must set it itself
    env.pop("JUPYTER_CONFIG_DIR", None)
    with log.open("w") as out:
        server = subprocess.Popen([str(ROOT / "bin" / "lab"), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                                   f"--IdentityProvider.token={TOKEN}"], cwd=tmp_path, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 300
        while True:
            try:
                _request(f"{url}/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, f"bin/lab exited:\n{log.read_text()[-3000:]}"
                assert time.time() < deadline, f"bin/lab did not answer within 300 s:\n{log.read_text()[-3000:]}"
                time.sleep(1)
        yield url, server, log, tmp_path / "my-course"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def test_lab_serves_the_learners_copy_and_saving_there_leaves_the_repository_clean(lab):
    url, server, log, workspace = lab
    git_before = _git_status()
    assert (workspace / NOTEBOOK).read_bytes() == (ROOT / "course" / NOTEBOOK).read_bytes()

    status, body = _request(f"{url}/api/contents/{NOTEBOOK}?content=1")
    model = json.loads(body)
    assert status == 200 and model["type"] == "notebook"
    cells = model["content"]["cells"]
    cells.append({"cell_type": "code", "execution_count": None, "id": "learner-cell", "metadata": {},
                  "outputs": [], "source": "answer = 42  # my own work"})
    status, _ = _request(f"{url}/api/contents/{NOTEBOOK}", "PUT",
                         {"type": "notebook", "format": "json", "content": model["content"]})
    assert status == 200
    assert "my own work" in (workspace / NOTEBOOK).read_text()
    assert "my own work" not in (ROOT / "course" / NOTEBOOK).read_text()
    assert _git_status() == git_before

    # no instructor tooling: nbgrader's server extensions are off, its Lab extension disabled
    with pytest.raises(urllib.error.HTTPError) as missing:
        _request(f"{url}/formgrader")
    assert missing.value.code == 404
    _, page = _request(f"{url}/lab")
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert "@jupyter/nbgrader" in config.get("disabledExtensions", []), config.get("disabledExtensions")
    # the kernels inherit the server's environment: TensorFlow's C++ notes are silenced
    environ = dict(item.split("=", 1) for item in
                   open(f"/proc/{server.pid}/environ").read().split("\0") if "=" in item)
    assert environ.get("TF_CPP_MIN_LOG_LEVEL") == "2"
    assert "nbgrader_config" not in log.read_text()
