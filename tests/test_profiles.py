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
