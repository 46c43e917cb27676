"""gankit.checks: exercise checks fail with messages a learner can act on."""

import numpy as np
import pytest

from gankit import checks
from gankit.checks import ExerciseError


def test_check_shape_names_both_shapes():
    checks.check_shape(np.zeros((4, 784)), (None, 784))
    with pytest.raises(ExerciseError, match=r"generator output has shape \(4, 28, 28, 1\), expected \(None, 784\)"):
        checks.check_shape(np.zeros((4, 28, 28, 1)), (None, 784), what="generator output")


def test_check_model_io_reports_output_shape():
    import keras

    model = keras.Sequential([keras.Input((100,)), keras.layers.Dense(784)])
    checks.check_model_io(model, (100,), (784,), "generator")
    with pytest.raises(ExerciseError, match=r"generator output has shape \(None, 784\), expected \(None, 28, 28, 1\)"):
        checks.check_model_io(model, (100,), (28, 28, 1), "generator")
    with pytest.raises(ExerciseError, match=r"generator input has shape \(None, 100\), expected \(None, 64\)"):
        checks.check_model_io(model, (64,), (784,), "generator")
    with pytest.raises(ExerciseError, match="should be a keras.Model"):
        checks.check_model_io(lambda x: x, (100,), (784,), "generator")


def test_check_range_and_hint():
    checks.check_range(np.array([-1.0, 0.0, 1.0]), -1, 1)
    with pytest.raises(ExerciseError, match=r"range from 0 to 255.*Scale to \[-1, 1\]"):
        checks.check_range(np.array([0.0, 255.0]), -1, 1, what="pixels", hint="Scale to [-1, 1].")


def test_check_close_reports_first_mismatch():
    checks.check_close(0.6931472, np.log(2), "loss")
    with pytest.raises(ExerciseError, match=r"loss is 2 at index \(1,\), expected 0.5"):
        checks.check_close([0.5, 2.0], [0.5, 0.5], "loss")
    with pytest.raises(ExerciseError, match="has shape"):
        checks.check_close([1.0, 2.0], [1.0, 2.0, 3.0], "loss")


def test_weights_changed_and_unchanged():
    before = [np.zeros(3), np.ones(2)]
    after = [np.zeros(3), np.array([1.0, 1.5])]
    checks.check_changed(before, after, "D's weights")
    checks.check_unchanged(before, [w.copy() for w in before], "D's weights")
    with pytest.raises(ExerciseError, match="D's weights did not change. Toggle"):
        checks.check_changed(before, before, "D's weights", hint="Toggle trainable.")
    with pytest.raises(ExerciseError, match="changed, but should not have"):
        checks.check_unchanged(before, after, "D's weights")
