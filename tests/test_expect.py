"""The numbers a notebook's "What to expect" text states are the numbers of its kept run (gankit.expect)."""

import copy
import json

import pytest

from gankit import expect
from gankit.run import ROOT, load_bars

BARS = load_bars()
STATING = sorted(name for name, entry in BARS.items() if entry.get("expect"))


def test_some_notebook_states_numbers_checked_against_a_kept_run():
    assert "A_own_dataset" in STATING


@pytest.mark.parametrize("notebook", STATING)
@pytest.mark.parametrize("tree", ["solutions", "course"])
def test_the_text_states_what_the_kept_default_run_recorded(notebook, tree):
    path = ROOT / tree / notebook / f"{notebook}.ipynb"
    assert expect.check(notebook, BARS, path) == []


@pytest.mark.parametrize("notebook", STATING)
def test_a_changed_number_or_seed_is_caught(notebook):
    spec = BARS[notebook]["expect"]
    path = ROOT / "solutions" / notebook / f"{notebook}.ipynb"
    run = json.loads(expect.expected_path(notebook).read_text(encoding="utf-8"))
    text = expect.stated(path, spec)
    seed = expect.default_parameters(path)["seed"]
    assert expect.disagreements(notebook, text, run, spec, seed) == []
    for say in spec["says"]:
        other = copy.deepcopy(run)
        name = say["metric"]
        where = other if name == "wall_seconds" else other["records"]  # the run's own time, or a recorded value
        where[name] = where[name] * 1.5 + 1  # a run that gave another number
        problems = expect.disagreements(notebook, text, other, spec, seed)
        assert problems and name in problems[0] and "Fix" in problems[0], say
    assert any("seed" in p for p in expect.disagreements(notebook, text + " (seed 7)", run, spec, seed))


def test_a_run_with_other_parameters_is_not_kept(tmp_path):
    notebook = STATING[0]
    run = json.loads(expect.expected_path(notebook).read_text(encoding="utf-8"))
    path = ROOT / "solutions" / notebook / f"{notebook}.ipynb"
    assert expect.not_default(path, run) == []
    other = dict(run, parameters={"seed": 7}, profile="smoke")
    problems = expect.not_default(path, other)
    assert any("seed=7" in p for p in problems) and any("'smoke'" in p for p in problems)
    unsaid = {key: value for key, value in run.items() if key != "parameters"}
    assert any("does not say its parameters" in p for p in expect.not_default(path, unsaid))
    (tmp_path / "metrics.json").write_text(json.dumps(other))
    with pytest.raises(SystemExit, match="is not kept"):
        expect.keep(tmp_path)


@pytest.mark.parametrize("notebook", sorted(p.parent.name for p in (ROOT / "solutions").glob("*/*.ipynb")))
def test_papermill_reads_every_parameter_with_its_default(notebook):
    """A line papermill cannot parse is left out of `papermill --help-notebook` and warns in every run's log."""
    import nbformat
    from papermill.translators import PythonTranslator

    path = ROOT / "solutions" / notebook / f"{notebook}.ipynb"
    cell = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    parsed = {p.name: p.default for p in PythonTranslator.inspect(cell)}
    assert set(parsed) == set(expect.default_parameters(path)), cell.source
