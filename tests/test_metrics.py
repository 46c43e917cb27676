"""Fréchet distance and mode coverage in the judge's feature space, on real and fake "generators"."""

import numpy as np
import pytest

from gankit import metrics
from gankit.data import load_mnist

pytestmark = [pytest.mark.slow, pytest.mark.backends]  # needs the judge; TF and JAX

N = 2000


@pytest.fixture(scope="module")
def real_train():
    return load_mnist("train", limit=10_000)


@pytest.fixture(scope="module")
def real_score(judge):
    return metrics.score_images(metrics.real_digits(N, "train"), n=N, judge=judge)


def test_frechet_distance_of_identical_sets_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 8))
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    shifted = features + 3.0  # the means differ by 3 in each of 8 dimensions: 8 * 3^2 = 72
    assert metrics.frechet_distance(features, shifted) == pytest.approx(72.0, rel=1e-6)


def test_real_training_digits_score_close_to_real_test_digits(judge, real_score):
    assert real_score.n == N
    assert real_score.frechet < 5.0, real_score  # about 1.7 at n=2000: sampling noise alone
    assert real_score.frechet == pytest.approx(metrics.real_frechet(N, judge=judge), rel=1e-4)
    assert real_score.judge.classes_present == 10
    assert not real_score.collapsed
    assert f"{N} samples" in str(real_score)


def test_noise_scores_far_from_real(judge, real_score):
    noise = np.random.default_rng(0).uniform(-1, 1, size=(N, 28, 28, 1)).astype("float32")
    score = metrics.score_images(noise, judge=judge)
    assert score.frechet > 20 * max(real_score.frechet, 1.0), score


def test_a_generator_of_only_ones_is_flagged_collapsed(judge, real_train, real_score):
    images, labels = real_train
    ones = images[labels == 1]
    ones = np.concatenate([ones] * (N // len(ones) + 1))[:N]
    score = metrics.score_images(ones, judge=judge)
    assert score.collapsed and "COLLAPSED" in str(score)
    assert score.judge.classes_present < metrics.MIN_CLASSES or score.judge.kl_from_uniform > metrics.MAX_KL
    assert score.frechet > 10 * max(real_score.frechet, 1.0), score


def test_real_samples_are_random_and_repeatable():
    a, b = metrics.real_digits(300, "train"), metrics.real_digits(300, "train")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, load_mnist("train", limit=300)[0]), "a slice from one end is not a fair sample"
    assert not np.array_equal(a, metrics.real_digits(300, "train", seed=1))
    with pytest.raises(ValueError, match="n <= 10000"):
        metrics.real_digits(20_000, "test")


def test_too_few_samples_are_refused(judge, real_train):
    with pytest.raises(ValueError, match="n=2000"):
        metrics.score_images(real_train[0][:100], judge=judge)


def test_score_generator_uses_fixed_noise(judge):
    import keras

    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(784, activation="tanh")])
    first, second = metrics.generate(generator, n=8, seed=1), metrics.generate(generator, n=8, seed=1)
    np.testing.assert_array_equal(first, second)
    assert first.shape == (8, 784)


def test_judge_scores_follow_the_sampler_each_epoch(judge, real_train):
    import time
    import types

    import keras

    from gankit.callbacks import JudgeScores

    images, labels = real_train
    one = images[labels == 1][0].reshape(-1)
    # A "generator" that draws the same real 1 for any noise: every sample is recognised, as one class.
    copier = keras.Sequential([keras.Input((4,)), keras.layers.Dense(784, kernel_initializer="zeros",
                                                                     bias_initializer=keras.initializers.Constant(one)),
                               keras.layers.Reshape((28, 28, 1))])
    blank = keras.Sequential([keras.Input((4,)), keras.layers.Dense(784, kernel_initializer="zeros",
                                                                    bias_initializer="zeros"),
                              keras.layers.Reshape((28, 28, 1))])  # a grey page: no digit at all
    gan = types.SimpleNamespace(sampler=copier, generator=blank)
    scores = JudgeScores(judge, n=200)
    scores.set_model(gan)
    scores.on_train_begin()
    scores.on_epoch_end(0)
    gan.sampler = blank
    time.sleep(0.3)  # "training" between the two checks
    scores.on_train_begin()  # gankit.trainer.train starts a fit for every epoch: the clock runs on
    scores.on_epoch_end(1)
    first, second = scores.scores
    assert (first["epoch"], first["recognised"], first["classes_present"]) == (1, 1.0, 1)
    assert second["epoch"] == 2 and second["recognised"] < 0.05
    # The clock counts training only: the 0.3 s of sleep, not the time the judge took.
    assert first["train_seconds"] < 0.25 and 0.25 <= second["train_seconds"] - first["train_seconds"] < 0.6
    assert scores.at(first["train_seconds"]) == first and scores.at(-1.0) is None
