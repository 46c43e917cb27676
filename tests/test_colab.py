"""Colab, tested without Colab.

A fresh virtual environment stands in for Colab's oldest runtime that a notebook can still pin
(2025.07: Python 3.11, TensorFlow 2.18, Keras 3.8, JAX 0.5.2, IPython 7.34; from
github.com/googlecolab/backend-info), with a stand-in `google.colab` module imported at start-up
as Colab's kernel does. A course notebook's setup cell installs the package there from a wheel
built from this checkout (GANKIT_INSTALL, as an instructor hosting the course would), then the
notebook runs its smoke profile in that runtime. The runtime's own packages must come out of
it unchanged.

Cost: creating the runtime takes about 40 s with an empty uv cache and a few seconds after
(uv links from its cache; without uv, pip and its cache), then one smoke run of notebook 00.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from notebook_tools import ROOT, notebook_path

pytestmark = pytest.mark.slow

# Colab runtime 2025.07 (the oldest pinnable one), TensorFlow's CPU build in place of its GPU build.
RUNTIME = [
    "tensorflow-cpu==2.18.0", "keras==3.8.0", "jax==0.5.2", "jaxlib==0.5.1", "numpy==2.0.2",
    "matplotlib==3.10.0", "pillow==11.2.1", "ipython==7.34.0", "ipykernel==6.17.1",
]
RUNTIME_PYTHON = "3.11"
STAND_IN = '"""Stand-in for Colab\'s google.colab module (tests/test_colab.py)."""\n'


def _run(command, **kwargs) -> str:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _python_311() -> str:
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which(f"python{RUNTIME_PYTHON}")
    if not found:
        pytest.fail(f"the Colab-like runtime needs Python {RUNTIME_PYTHON}, which is not on PATH here. "
                    f"Fix: install it (e.g. apt-get install python{RUNTIME_PYTHON}-venv).")
    return found


def _make_runtime(where: pathlib.Path) -> pathlib.Path:
    """A fresh venv holding only the Colab-like runtime; returns its python."""
    python = where / "bin" / "python"
    if shutil.which("uv"):
        _run(["uv", "venv", "--seed", "--quiet", "--python", _python_311(), str(where)])
        _run(["uv", "pip", "install", "--quiet", "--python", str(python), *RUNTIME])
    else:
        _run([_python_311(), "-m", "venv", str(where)])
        _run([str(python), "-m", "pip", "install", "--quiet", *RUNTIME])
    site = pathlib.Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    (site / "google" / "colab").mkdir(parents=True)
    (site / "google" / "colab" / "__init__.py").write_text(STAND_IN)
    (site / "colab_stand_in.pth").write_text("import google.colab\n")  # in sys.modules from the start
    return python


def _freeze(python: pathlib.Path) -> dict[str, str]:
    lines = _run([str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"])
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(lines)}


def _installed_size(python: pathlib.Path, names) -> int:
    code = ("import importlib.metadata as m, sys, json\n"
            "total = 0\n"
            "for name in json.loads(sys.argv[1]):\n"
            "    dist = m.distribution(name)\n"
            "    total += sum(f.locate().stat().st_size for f in dist.files or [] if f.locate().is_file())\n"
            "print(total)\n")
    return int(_run([str(python), "-c", code, json.dumps(sorted(names))]).strip())


def test_setup_cell_installs_the_course_in_a_colab_like_runtime_and_changes_none_of_it(tmp_path, monkeypatch):
    import papermill

    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--wheel-dir", str(wheels), str(ROOT)])
    (wheel,) = wheels.glob("gankit-*.whl")

    python = _make_runtime(tmp_path / "runtime")
    before = _freeze(python)
    assert before["keras"] == "3.8.0" and "gankit" not in before

    # the runtime's kernel, for papermill (which runs here) to start
    _run([str(python), "-m", "ipykernel", "install", "--prefix", str(tmp_path / "jupyter"), "--name", "colab-like"])
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter" / "share" / "jupyter"))
    monkeypatch.setenv("GANKIT_INSTALL", str(wheel))
    monkeypatch.setenv("GANKIT_PROFILE", "smoke")
    monkeypatch.setenv("GANKIT_RECORD", str(tmp_path / "records.jsonl"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    work = tmp_path / "content"  # Colab's working folder; not the checkout, so nothing imports from it
    work.mkdir()
    out = papermill.execute_notebook(
        str(notebook_path("00_cook_and_critic")), str(tmp_path / "out.ipynb"), kernel_name="colab-like",
        parameters={"profile": "smoke"}, cwd=str(work), progress_bar=False,
    )
    setup_output = "".join(o.get("text", "") for o in out.cells[1].get("outputs", []))
    assert f"Installing gankit from {wheel}" in setup_output

    after = _freeze(python)
    added = {name: v for name, v in after.items() if name not in before}
    changed = {name: (before[name], after[name]) for name in before if after.get(name) != before[name]}
    assert not changed, f"the setup cell changed the runtime's packages: {changed}"
    assert "gankit" in added, added
    size = _installed_size(python, added)
    print(f"\nsetup cell installed {len(added)} package(s), {size / 1e3:.0f} kB: {added}")
    assert len(added) < 40 and 0 < size < 30e6
    # the notebook ran on the installed wheel, with the runtime's Keras
    where = _run([str(python), "-c", "import gankit, keras; print(gankit.__file__, keras.__version__)"], cwd=work)
    assert "site-packages" in where and str(ROOT) not in where and where.split()[1] == "3.8.0", where
    records = [json.loads(line) for line in (tmp_path / "records.jsonl").read_text().splitlines()]
    assert records, "the notebook recorded no results"


def test_setup_cell_says_what_failed_when_the_install_fails(tmp_path):
    # run the released setup cell's code with a stand-in google.colab and a source that cannot exist
    import nbformat

    cell = nbformat.read(notebook_path("00_cook_and_critic", ROOT / "course"), as_version=4).cells[1].source
    (tmp_path / "google" / "colab").mkdir(parents=True)
    (tmp_path / "google" / "colab" / "__init__.py").write_text(STAND_IN)
    script = "import google.colab\n" + cell
    env = dict(os.environ, GANKIT_INSTALL=str(tmp_path / "no-such-gankit.whl"), PYTHONPATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "Could not install the course's helper package from" in result.stderr
    assert "no-such-gankit.whl" in result.stderr and "run this cell again" in result.stderr
