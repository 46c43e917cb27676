"""Execute every source notebook through the runner (`python -m gankit.run`) and check its bars.

Each notebook runs with the `smoke` profile, in-process through the runner's command line
(`gankit.run.main`, the command the GPU job of .github/workflows/ci.yml runs with `full`),
and must meet the smoke bars of gankit/bars.yaml, the one file that holds every bar. The
checks at the bottom are not quality bars but the shape of what a notebook records.
"""

from __future__ import annotations

import json
import os

import pytest

from gankit import run
from notebook_tools import notebooks


def suite_command(assignment: str, out) -> list[str]:
    """The runner's arguments for one notebook in the suite (the GPU job runs the same with --profile gpu)."""
    return [assignment, "--profile", "smoke", "--backend", os.environ.get("KERAS_BACKEND", "tensorflow"),
            "--out", str(out)]


def check_recorded(assignment: str, profile: str, recorded: dict) -> None:
    """Assert that ``recorded`` meets the bars file's bars for ``assignment`` under ``profile``."""
    failures = run.check_bars(assignment, profile, recorded)
    assert not failures, "\n".join(failures)


def _shape_02(r):
    # the judge scored the same noise after every epoch; after the last, it agrees with the final report
    curve = r["judge_each_epoch"]
    assert curve and [s["epoch"] for s in curve] == list(range(1, len(curve) + 1))
    assert all(a["train_seconds"] <= b["train_seconds"] for a, b in zip(curve, curve[1:]))
    assert abs(curve[-1]["recognised"] - r["judge"]["recognised"]) < 1e-9


RECORD_SHAPE = {"02_dcgan": _shape_02}


def _cases():
    # every notebook runs under TensorFlow and again under JAX (the 'backends' mark)
    for name in notebooks():
        yield pytest.param(name, marks=[pytest.mark.slow, pytest.mark.backends], id=name)


@pytest.mark.parametrize("assignment", list(_cases()))
def test_notebook_runs_with_smoke_profile_and_meets_its_bars(assignment, smoke_runs, capsys):
    # the runs stay in the session's smoke_runs folder: tests/test_site.py builds the website from them
    status = run.main(suite_command(assignment, smoke_runs))
    printed = capsys.readouterr()
    assert status == 0, f"the runner failed {assignment}:\n{printed.err}"
    result = json.loads((smoke_runs / assignment / "metrics.json").read_text())
    assert result["status"] == "passed" and result["profile"] == "smoke"
    # the runner checked the bars; check them again the way the bars-file test below does
    check_recorded(assignment, "smoke", result["records"])
    assert result["records"].get("backend") == result["backend"]
    assert (smoke_runs / assignment / f"{assignment}.ipynb").is_file()
    RECORD_SHAPE.get(assignment, lambda r: None)(result["records"])
