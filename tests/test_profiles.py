"""gankit.profiles: which profile runs, and with which settings."""

import pytest

from gankit.profiles import choose_profile, describe, profile_name

TABLE = dict(smoke={"epochs": 1, "batch_size": 8}, standard={"epochs": 5, "batch_size": 64},
             gpu={"epochs": 40, "batch_size": 128}, full={"epochs": 100, "batch_size": 128})


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv("GANKIT_PROFILE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def test_default_is_standard():
    assert profile_name() == "standard"
    assert choose_profile(None, **TABLE).epochs == 5


def test_parameter_beats_environment(monkeypatch):
    monkeypatch.setenv("GANKIT_PROFILE", "full")
    assert profile_name(None) == "full"
    assert profile_name("smoke") == "smoke"
    assert profile_name("") == "full"


def test_autograder_always_runs_smoke(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("GANKIT_PROFILE", "full")
    run = choose_profile("full", epochs=500, **TABLE)
    assert run.profile == "smoke" and run.epochs == 1, "a submission must not lengthen grading"


def test_overrides_win_unless_none():
    run = choose_profile("standard", epochs=2, batch_size=None, seed=7, **TABLE)
    assert (run.epochs, run.batch_size, run.seed) == (2, 64, 7)
    assert describe(run) == "profile 'standard': epochs=2, batch_size=64, seed=7"


@pytest.mark.parametrize("bad", ["fast", "FULLL", "1"])
def test_unknown_profile_is_explained(bad, monkeypatch):
    with pytest.raises(ValueError, match="choose one of smoke, standard, gpu, full"):
        profile_name(bad)
    monkeypatch.setenv("GANKIT_PROFILE", bad)
    with pytest.raises(ValueError, match="GANKIT_PROFILE"):
        profile_name()


def test_the_gpu_profile_is_chosen_like_the_others_and_a_notebook_without_one_says_so():
    assert choose_profile("gpu", **TABLE).epochs == 40
    without = {name: settings for name, settings in TABLE.items() if name != "gpu"}
    assert choose_profile("standard", **without).epochs == 5
    with pytest.raises(ValueError, match="no 'gpu' profile. Fix: choose one of smoke, standard, full"):
        choose_profile("gpu", **without)


def test_profile_name_is_case_insensitive():
    assert profile_name(" Smoke ") == "smoke"


def test_a_notebooks_full_settings_are_read_from_its_source():
    from pathlib import Path

    from gankit.profiles import notebook_profile

    root = Path(__file__).resolve().parents[1] / "solutions"
    full = notebook_profile(root / "03_cyclegan" / "03_cyclegan.ipynb", "full")
    assert full["image_size"] == 256 and full["blocks"] == 9 and full["batch_size"] == 1
    assert notebook_profile(root / "04_pix2pix" / "04_pix2pix.ipynb", "standard")["image_size"] == 64
    with pytest.raises(ValueError, match="no choose_profile"):
        notebook_profile(root / "B_reading_list" / "B_reading_list.ipynb")


def test_a_global_batch_the_devices_cannot_share_is_refused_with_the_fix():
    from gankit.steps import check_batch

    check_batch(1, 1)
    check_batch(8, 4)
    with pytest.raises(ValueError, match=r"batch_size=1 .* multiple of 2\. Fix: set batch_size=2"):
        check_batch(1, 2)
    with pytest.raises(ValueError, match=r"gan_batch=50 .* Fix: set gan_batch=48"):
        check_batch(50, 8, "gan_batch")


# -- the gpu profile: sized from measured CPU step times to fit a T4 session ----------------------

SOLUTIONS = __import__("pathlib").Path(__file__).resolve().parents[1] / "solutions"
GPU_TABLE = SOLUTIONS.parent / "docs" / "gpu_profile.json"


def _trained_notebooks():
    import json

    return sorted(p.parent.name for p in SOLUTIONS.glob("*/*.ipynb")
                  if any("choose_profile(" in "".join(c["source"]) and c["cell_type"] == "code"
                         for c in json.loads(p.read_text(encoding="utf-8"))["cells"]))


def test_every_notebook_that_trains_has_a_gpu_profile_with_the_same_settings_as_its_others():
    from gankit.profiles import notebook_profile

    notebooks = _trained_notebooks()
    assert len(notebooks) >= 7
    for name in notebooks:
        (path,) = (SOLUTIONS / name).glob("*.ipynb")
        gpu, standard = notebook_profile(path, "gpu"), notebook_profile(path, "standard")
        assert set(gpu) == set(standard), f"{name}: the gpu profile sets {sorted(gpu)}, standard {sorted(standard)}"


def test_the_gpu_profile_is_sized_from_measured_step_times_to_fit_a_t4_session():
    import json

    from gankit import fullshape
    from gankit.profiles import GPU_SESSION_MINUTES, GPU_SPEEDUP, gpu_minutes, notebook_profile

    rows = json.loads(GPU_TABLE.read_text(encoding="utf-8"))  # python -m gankit.bench fullshape --profile gpu
    assert {row["notebook"] for row in rows} == set(fullshape.NOTEBOOKS)
    for row in rows:
        settings = notebook_profile(SOLUTIONS.parent / fullshape.NOTEBOOKS[row["notebook"]], "gpu")
        assert row["profile"] == "gpu" and row["settings"] == settings, \
            f"notebook {row['notebook']}: its gpu profile changed since it was measured. Fix: measure it again."
        assert 0 < row["idle_seconds_per_step"] <= row["seconds_per_step"]
        assert row["t4_minutes"] == round(gpu_minutes(row["idle_seconds_per_step"], row["steps"]))
        assert row["t4_minutes"] <= GPU_SESSION_MINUTES, row
        assert row["fits_12_gb"], row
    assert GPU_SPEEDUP == 11  # the smallest speed-up of the study cited in gankit/profiles.py
    notes = (SOLUTIONS.parent / "docs" / "notes_fullshape.md").read_text(encoding="utf-8")
    assert fullshape.table(rows) in notes, "docs/notes_fullshape.md shows another table than docs/gpu_profile.json"
