"""JupyterLab in a real browser: open a course notebook, run its first cells, see the output.

JupyterLab starts the way ``bin/lab`` starts it (``jupyter lab`` on a copy of ``course/``,
``--allow-root`` as root), and headless Chromium drives it through the Chrome DevTools
protocol (``websocket-client`` comes with Jupyter), so no browser driver package is needed.
``bin/test`` installs Debian's ``chromium`` where it runs as root; the test is skipped, with
the reason, only where no Chromium can be found.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from notebook_tools import COURSE

pytestmark = pytest.mark.slow

NOTEBOOK = "00_cook_and_critic/00_cook_and_critic.ipynb"
CELLS_TO_RUN = 4  # the title (markdown), the setup cell, the parameters, the imports (prints "Keras ... on ...")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, probe, timeout: float, every: float = 0.5):
    """Call ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except Exception as error:  # not up yet
            last = error
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last answer: {last!r})")


class DevTools:
    """The smallest Chrome DevTools protocol client: send a command, wait for its answer."""

    def __init__(self, url: str):
        import websocket

        self.socket = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression: str):
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression!r} raised {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def click(self, selector: str):
        """A real mouse click (press and release) in the middle of the first element ``selector`` finds."""
        box = self.js(f"(r => r && [r.x + r.width / 2, r.y + r.height / 2])"
                      f"(document.querySelector({json.dumps(selector)})?.getBoundingClientRect())")
        assert box, f"nothing on the page matches {selector}"
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def close(self):
        self.socket.close()


def _start(command, log: pathlib.Path, env=None) -> subprocess.Popen:
    handle = open(log, "wb")
    return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _stop(process: subprocess.Popen):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_course_notebook_renders_and_runs_its_first_cells_in_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium found (Debian: apt-get install chromium chromium-driver; bin/test installs it "
                    "when it runs as root)")
    workspace = tmp_path / "course"
    shutil.copytree(COURSE, workspace)
    home = tmp_path / "home"  # Jupyter's settings, workspaces and runtime files stay inside the test
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), GANKIT_PROFILE="smoke")
    port, token = _free_port(), secrets.token_hex(16)
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    command = [str(jupyter), "lab", f"--notebook-dir={workspace}", "--no-browser", f"--port={port}",
               "--ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # as bin/lab does
    lab = _start(command, tmp_path / "lab.log", env)
    chrome = None
    try:
        base = f"http://127.0.0.1:{port}"
        _wait("JupyterLab to answer", lambda: urllib.request.urlopen(f"{base}/api/status?token={token}").status == 200,
              120)
        profile = tmp_path / "chromium-profile"
        chrome = _start([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run",
                         "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-port=0",
                         "--window-size=1280,1600", "about:blank"], tmp_path / "chromium.log")
        active = profile / "DevToolsActivePort"
        devtools_port = _wait("Chromium's DevTools port", lambda: active.is_file() and active.read_text().split()[0],
                              60)
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list"))
        page = DevTools(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"])
        try:
            page.call("Page.enable")
            page.call("Page.navigate", url=f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            # rendered: the notebook's cells are on the page and its title is a rendered heading
            _wait("the notebook's cells to render",
                  lambda: page.js("document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length") > 10, 180)
            title = _wait("the rendered title", lambda: page.js(
                "(document.querySelector('.jp-NotebookPanel .jp-RenderedMarkdown h1') || {}).textContent"), 60)
            assert "cook" in title.lower(), f"the first heading is {title!r}"
            _wait("the kernel to be idle", lambda: page.js(
                "!!document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status=\"idle\"]')"
                " || /Idle/.test(document.querySelector('.jp-StatusBar-Widget, .jp-StatusBar') ?.textContent || '')"),
                180)
            # run the first cells through the page: click the first cell, then the toolbar's run button
            page.click(".jp-NotebookPanel .jp-Cell .jp-InputPrompt")
            run = ".jp-NotebookPanel-toolbar [data-command='notebook:run-cell-and-select-next']"
            assert page.js(f"!!document.querySelector(\"{run}\")"), "the notebook toolbar has no run button"
            for _ in range(CELLS_TO_RUN):
                page.click(run)
                time.sleep(0.5)
            state = ("JSON.stringify({prompts: [...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]"
                     ".slice(0, 6).map(e => e.textContent), active: [...document.querySelectorAll("
                     "'.jp-NotebookPanel .jp-Cell')].findIndex(e => e.classList.contains('jp-mod-active')), "
                     "outputs: [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]"
                     ".slice(0, 3).map(e => e.textContent.slice(0, 200)), dialog: (document.querySelector("
                     "'.jp-Dialog') || {}).textContent})")
            print("page state after the clicks (shown if the test fails):", page.js(state))
            output = _wait("the imports cell's output", lambda: next(
                (text for text in page.js("[...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]"
                                          ".map(e => e.textContent)") if "Keras" in text), None), 240, every=1)
            assert "on tensorflow" in output or "on jax" in output, f"unexpected output {output!r}"
        finally:
            page.close()
    finally:
        if chrome is not None:
            _stop(chrome)
        _stop(lab)
