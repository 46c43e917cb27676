"""The numbers a notebook's "What to expect" text states are the numbers of its kept run (gankit.expect)."""

import copy
import json

import pytest

from gankit import capstone, expect
from gankit.run import ROOT, SILENCE_LIMIT, load_bars, metric_value

BARS = load_bars()
STATING = sorted(name for name, entry in BARS.items() if entry.get("expect"))


def test_some_notebook_states_numbers_checked_against_a_kept_run():
    assert {"03_cyclegan", "04_pix2pix", "A_own_dataset"} <= set(STATING)


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
    others = list(expect.other_seed_runs(notebook).values())
    assert expect.disagreements(notebook, text, run, spec, seed, others) == []
    for say in spec["says"]:
        for name in expect.metrics_of(say):  # each number of an item that states several
            other = copy.deepcopy(run)
            where = other if name == "wall_seconds" else other["records"]  # the run's own time, or a recorded value
            *path, last = name.split(".")  # "a.b" is key b of the recorded dict a; "t.0.b" indexes a list
            for part in path:
                where = where[int(part)] if isinstance(where, list) else where[part]
            last = int(last) if isinstance(where, list) else last
            value = where[last]  # a run that gave another number, or another word
            where[last] = f"not {value}" if isinstance(value, str) else value * 1.5 + 1
            problems = expect.disagreements(notebook, text, other, spec, seed, others)
            assert problems and name in problems[0] and "Fix" in problems[0], (name, say)
    assert any("seed" in p for p in expect.disagreements(notebook, text + " (seed 7)", run, spec, seed, others))


@pytest.mark.parametrize("notebook", STATING)
def test_no_cell_of_the_kept_run_went_a_minute_without_output(notebook):
    # The runner times, from papermill's log, the gaps between a cell's start, each output it
    # shows (printed lines, progress lines, figures) and its end; the kept run is the default
    # standard run on the 2-core CPU the course is sized for.
    run = json.loads(expect.expected_path(notebook).read_text(encoding="utf-8"))
    silence = run["longest_silence"]
    assert 0 < silence["seconds"] <= SILENCE_LIMIT, (
        f"{notebook}: cell {silence['cell']} ({silence['starts']}) showed nothing for {silence['seconds']} s. "
        f"Fix: give that cell progress output (gankit.progress), then keep a new run.")


def test_a_run_with_other_parameters_is_not_kept(tmp_path):
    notebook = "A_own_dataset"  # its bars include colour_gap < 0.15
    run = json.loads(expect.expected_path(notebook).read_text(encoding="utf-8"))
    path = ROOT / "solutions" / notebook / f"{notebook}.ipynb"
    assert expect.not_default(path, run) == []
    other = dict(run, parameters={"seed": 7}, profile="smoke")
    problems = expect.not_default(path, other)
    assert any("seed=7" in p for p in problems) and any("'smoke'" in p for p in problems)
    unsaid = {key: value for key, value in run.items() if key != "parameters"}
    assert any("does not say its parameters" in p for p in expect.not_default(path, unsaid))
    missing = dict(run, records={**run["records"], "colour_gap": 0.5}, status="passed")  # A's bar: < 0.15
    assert any("misses today's standard bars" in p and "colour_gap" in p for p in expect.not_default(path, missing))
    untimed = {key: value for key, value in run.items() if key != "longest_silence"}
    assert any("without output" in p for p in expect.not_default(path, untimed))
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


@pytest.mark.parametrize("notebook", STATING)
def test_the_readme_states_the_kept_runs_time(notebook):
    # The README's table: "Run time: smoke / standard (laptop CPU) / full (GPU)"; its standard
    # figure for a notebook with a kept run is that run's wall time, in whole minutes.
    run = json.loads(expect.expected_path(notebook).read_text(encoding="utf-8"))
    number = notebook.split("_")[0]
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    (header,) = [line for line in lines if line.startswith("| # |")]
    column = [i for i, cell in enumerate(header.split(" | ")) if cell.startswith("Run time")][0]
    (row,) = [line for line in lines if line.startswith(f"| {number} |")]
    standard = row.split(" | ")[column].split(" / ")[1]
    assert standard == f"~{run['wall_seconds'] / 60:.0f} min", (
        f"README.md says {standard!r} for {notebook}'s standard run; its kept run took "
        f"{run['wall_seconds'] / 60:.1f} minutes. Fix: write ~{run['wall_seconds'] / 60:.0f} min.")


def _set_metric(records: dict, name: str, value) -> None:
    """Set the recorded value that ``metric_value(records, name)`` reads (a dotted name reaches inside)."""
    *path, last = name.split(".")
    for part in path:
        records = records[int(part)] if isinstance(records, list) else records[part]
    records[int(last) if isinstance(records, list) else last] = value


@pytest.mark.parametrize("notebook", sorted({path.name.split("-seed")[0] for path in expect.OTHER_SEEDS.glob("*-seed*.json")}))
def test_runs_kept_at_other_seeds_meet_todays_bars_and_their_range_is_checked(notebook):
    path = ROOT / "solutions" / notebook / f"{notebook}.ipynb"
    others = expect.other_seed_runs(notebook)
    assert len(others) >= 2 and expect.default_parameters(path)["seed"] not in others  # the default and two more
    for seed, run in others.items():
        assert expect.not_default(path, run, other_seed=True) == [], seed
    spec = BARS[notebook]["expect"]
    ranges = [say for say in spec["says"] if say.get("over") == "seeds"]
    assert ranges, f"{notebook}: the text should state the spread over its seeds"
    kept = json.loads(expect.expected_path(notebook).read_text(encoding="utf-8"))
    text = expect.stated(path, spec)
    seed = expect.default_parameters(path)["seed"]
    assert expect.disagreements(notebook, text, kept, spec, seed, list(others.values())) == []
    # another seed that gave a value outside the stated range is caught
    for say in ranges:
        (name,) = expect.metrics_of(say)
        moved = copy.deepcopy(list(others.values()))
        _set_metric(moved[0]["records"], name, metric_value(moved[0]["records"], name) * 3 + 1)
        problems = expect.disagreements(notebook, text, kept, spec, seed, moved)
        assert problems and name in problems[0] and "seeds" in problems[0]
    # and a run at the default seed or with another parameter is not a run at another seed
    assert expect.not_default(path, kept, other_seed=True)
    changed = copy.deepcopy(next(iter(others.values())))
    changed["parameters"]["steps"] = 1
    assert any("steps" in why for why in expect.not_default(path, changed, other_seed=True))


# What a "What to expect" text says in words about its kept seeds, beside the numbers it states: the
# phrase must be in the text, and what it says must hold for the runs kept at the default seed and at
# the other seeds (each predicate takes the list of their records). A rerun that breaks a sentence
# fails here until the text is rewritten.
def _each(holds):
    return lambda runs: all(holds(r) for r in runs)


def _identity_gain(r, key):
    """How much lower ``key`` was with the identity loss than without it (section 9 of 03)."""
    effect = r["identity_effect"]
    return effect["without"][key] - effect["with identity loss"][key]


def _much_lower_at_two_same_at_one(gains):
    same, *lower = sorted(gains)
    return len(gains) == 3 and abs(same) < 0.005 and all(gain > 0.15 for gain in lower)


def _paired(table, arm):
    """The seed-by-seed verdicts of one arm of 05's table against real only, one per ratio."""
    return [row["verdict"] for row in capstone.paired_differences(table) if row["arm"] == arm]


CLAIMS = {
    "05_capstone": {
        "augmenting afresh had the best mean at every seed": _each(lambda r: r["best_arm"] == "fresh"),
        "level at two seeds and ahead at the third":
            lambda runs: sorted(r["fresh_minus_pool_verdict"] for r in runs) == ["higher", "tie", "tie"],
        "GAN images fell below real only at every ratio, seed by seed": _each(
            lambda r: set(_paired(r["table"], "gan")) == {"lower"}),
        "augmenting afresh was level with real only at every seed": _each(
            lambda r: _paired(r["more_table"], "fresh") == ["tie"]),
        "the pool's gain over real only held at one seed of three":
            lambda runs: sum("higher" in _paired(r["more_table"], "augmented") for r in runs) == 1,
    },
    "03_cyclegan": {
        "every seed above the untranslated, blurred and untrained baselines": _each(
            lambda r: r["monet_probability"] > max(r["monet_probability_photo"], r["monet_probability_blurred"],
                                                   r["monet_probability_untrained"])),
        "every seed above the colour-matched photos by the mean probability": _each(
            lambda r: r["monet_probability"] > r["monet_probability_colour_matched"]),
        # section 9: the paintings -> photos colour shift, with against without the identity loss
        "lower with the identity loss by more than 0.15 at two of the three seeds, the same at the third":
            lambda runs: _much_lower_at_two_same_at_one([_identity_gain(r, "colour_shift_to_photo") for r in runs]),
    },
    "04_pix2pix": {
        "was never further from the truth than pix2pix": _each(
            lambda r: r["l1only_l1"] <= r["gan_l1"] and r["l1only_psnr"] >= r["gan_psnr"]
            and r["l1only_ssim"] >= r["gan_ssim"]),
        "the sharpness gap held at every seed": _each(lambda r: r["l1only_sharpness"] < r["gan_sharpness"] - 0.05),
    },
}


@pytest.mark.parametrize("notebook", sorted(CLAIMS))
def test_what_the_text_says_in_words_holds_at_every_kept_seed(notebook):
    path = ROOT / "solutions" / notebook / f"{notebook}.ipynb"
    text = " ".join(expect.stated(path, BARS[notebook]["expect"]).split())
    runs = expect.kept_runs(notebook)
    assert len(runs) >= 3
    for phrase, holds in CLAIMS[notebook].items():
        assert phrase in text, f"{notebook}: the text no longer says {phrase!r}: rewrite CLAIMS with what it says now"
        assert holds([run["records"] for run in runs]), f"{notebook}: {phrase!r} does not hold for its kept runs"
