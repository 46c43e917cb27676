"""gankit.profiles: which profile runs, and with which settings."""

import pytest

from gankit.profiles import choose_profile, describe, profile_name

TABLE = dict(smoke={"epochs": 1, "batch_size": 8}, standard={"epochs": 5, "batch_size": 64},
             full={"epochs": 100, "batch_size": 128})


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
    with pytest.raises(ValueError, match="choose one of smoke, standard, full"):
        profile_name(bad)
    monkeypatch.setenv("GANKIT_PROFILE", bad)
    with pytest.raises(ValueError, match="GANKIT_PROFILE"):
        profile_name()


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
