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


def test_wrong_answers_pack_one_per_exercise():
    from collections import Counter

    from notebook_tools import assignments, pack_wrong_answers, wrong_submissions

    for assignment in assignments():
        wrong = wrong_submissions(assignment)
        packs = pack_wrong_answers(wrong)
        assert sorted(c["name"] for p in packs for c in p) == sorted(c["name"] for c in wrong)
        for pack in packs:
            assert len({c["cell"] for c in pack}) == len(pack), f"{assignment}: two answers to one exercise"
            lost = [t for c in pack for t in c["loses"]]
            assert len(set(lost)) == len(lost), f"{assignment}: packed answers lose the same test"
        if wrong:
            assert len(packs) == max(Counter(c["cell"] for c in wrong).values())
    cases = [dict(name=n, cell=c, loses=[f"test_{c}"]) for n, c in [("a", "x"), ("b", "x"), ("c", "y")]]
    assert [[c["name"] for c in p] for p in pack_wrong_answers(cases)] == [["a", "c"], ["b"]]


def test_recorded_runs_are_small_and_complete():
    from gankit.exercises import mlp_gan

    assert mlp_gan.RUNS_FILE.stat().st_size < 200_000
    runs = mlp_gan.load_runs()
    assert sorted(runs) == ["A", "B", "C", "D"]
    for run in runs.values():
        assert len(run["d_loss"]) == len(run["g_loss"]) == len(run["steps"]) > 50
        assert run["grid"].shape == (16, 28, 28) and 0 <= run["grid"].min() and run["grid"].max() <= 1
    # the four runs differ where the diagnosis says they do: the frozen-D run's generator loss sits at 0,
    # the collapsed run's 16 samples are nearly identical, the wrong-range run's background is grey
    spread = {name: float(run["grid"].std(axis=0).mean()) for name, run in runs.items()}
    assert spread["D"] < spread["B"] / 2
    assert float(runs["C"]["g_loss"][-10:].mean()) < 0.05
    backgrounds = {name: float(np.median(run["grid"])) for name, run in runs.items()}
    assert backgrounds["A"] > 0.3 > max(backgrounds["B"], backgrounds["D"])


def test_diagnosis_check_explains_and_grades():
    from gankit.exercises import mlp_gan

    answer = {"A": "wrong pixel range", "B": "healthy", "C": "frozen discriminator", "D": "mode collapse"}
    mlp_gan.grade_diagnosis(dict(answer), answer)
    with pytest.raises(ExerciseError, match="more than one run"):
        mlp_gan.check_diagnosis({"A": "healthy", "B": "healthy", "C": "mode collapse", "D": "frozen discriminator"})
    with pytest.raises(ExerciseError, match="not one of the four"):
        mlp_gan.check_diagnosis({"A": None, "B": None, "C": None, "D": None})
    with pytest.raises(ExerciseError, match="run C is not 'mode collapse'.*run D is not 'frozen discriminator'"):
        mlp_gan.grade_diagnosis(dict(answer, C="mode collapse", D="frozen discriminator"), answer)


def test_call_answer_passes_the_untouched_exercise_through_and_explains_other_errors():
    def blank():
        raise NotImplementedError()

    def broken(x):
        return x + "1"

    with pytest.raises(NotImplementedError):
        checks.call_answer(blank, "blank", fix="write it")
    with pytest.raises(ExerciseError, match=r"^broken raised TypeError: .*\. Fix: add numbers, not text\.$"):
        checks.call_answer(broken, "broken", 1, fix="add numbers, not text.")
    assert checks.call_answer(lambda x, y=0: x + y, "add", 1, y=2, fix="-") == 3
    assert checks.softplus(1000.0) == 1000.0 and abs(checks.softplus(0.0) - np.log(2.0)) < 1e-15
