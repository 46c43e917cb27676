"""Shared test set-up: data and cache folders, the smoke profile, the judge."""

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Notebooks executed by the tests (the runner, nbgrader) train with the smoke profile, always:
# an exported GANKIT_PROFILE=standard would turn the suite into hours. Other profiles are run
# with `python -m gankit.run --profile ...`, not with the tests.
os.environ["GANKIT_PROFILE"] = "smoke"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("GANKIT_CACHE", str(ROOT / ".venv" / "gankit-cache"))
_shared = ROOT.parent / "shared" / "datasets"
if "GANKIT_DATA" not in os.environ and _shared.is_dir():
    os.environ["GANKIT_DATA"] = str(_shared)


@pytest.fixture(scope="session")
def judge():
    """The cached MNIST judge (trained once on first use, about a minute and a half)."""
    from gankit.judge import load_judge

    return load_judge(verbose=0)


@pytest.fixture(scope="session")
def mnist_test():
    from gankit.data import load_mnist

    return load_mnist("test")


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory):
    """The runner's --out folder for this session's smoke runs, one subfolder per notebook.

    tests/test_notebooks.py runs each notebook into it; tests/test_site.py builds the website from
    the same runs, and runs a notebook itself only when no run of it is there yet (a test run alone).
    GANKIT_SMOKE_RUNS names a folder to use instead (e.g. build/notebook-runs/smoke-tensorflow, which
    bin/site fills), so that the site's tests can be rerun without rerunning the notebooks.
    """
    if os.environ.get("GANKIT_SMOKE_RUNS"):
        folder = pathlib.Path(os.environ["GANKIT_SMOKE_RUNS"])
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("smoke-runs")
