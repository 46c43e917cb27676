"""The package leaves the notebook's global random state alone: seeding is the notebook's job."""

import os
import random

import keras
import numpy as np
import pytest

from gankit import judge
from gankit.seeding import seed_everything

pytestmark = pytest.mark.backends  # bin/test runs this file under TensorFlow and JAX


def draws():
    """One number from each global generator a notebook uses."""
    return (random.random(), float(np.random.rand()), float(keras.ops.convert_to_numpy(keras.random.normal(()))))


@pytest.fixture
def tiny_judge_cache(tmp_path, monkeypatch):
    """A judge trained for one epoch on 256 digits, cached in a folder of its own."""
    monkeypatch.setenv(judge.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(judge, "_JUDGE", None)
    monkeypatch.setattr(judge, "train_judge",
                        lambda verbose=0, train=judge.train_judge: train(epochs=1, limit=256, verbose=0))
    return tmp_path


@pytest.mark.slow  # trains a small judge: tens of seconds per backend
def test_judge_training_and_loading_leave_the_global_random_state_alone(tiny_judge_cache):
    seed_everything(1)
    expected = draws()
    seed_everything(1)
    trained = judge.load_judge(verbose=0)  # nothing cached: it trains
    assert judge.judge_path().is_file()
    assert draws() == expected, "training the judge changed the global random state"
    judge._JUDGE = None
    seed_everything(1)
    loaded = judge.load_judge(verbose=0)  # cached: it loads
    assert loaded is not trained
    assert draws() == expected, "loading the cached judge changed the global random state"
    for a, b in zip(trained.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_judge_training_is_reproducible():
    first, _ = judge.train_judge(epochs=1, limit=128, verbose=0, seed=3)
    second, _ = judge.train_judge(epochs=1, limit=128, verbose=0, seed=3)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_seed_everything_repeats_the_draws_and_leaves_pythonhashseed(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    assert seed_everything(5) == 5
    first = draws()
    seed_everything(5)
    assert draws() == first
    assert "PYTHONHASHSEED" not in os.environ  # it only acts when set before Python starts
