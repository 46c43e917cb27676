"""The MNIST judge: accurate on real digits, unimpressed by noise and by one repeated class."""

import numpy as np
import pytest

from gankit.judge import class_histogram_kl, judge_digits, predict_probabilities

pytestmark = pytest.mark.slow


def test_judge_is_at_least_99_percent_accurate(judge, mnist_test):
    images, labels = mnist_test
    accuracy = float((predict_probabilities(images, judge).argmax(1) == labels).mean())
    assert accuracy >= 0.99


def test_real_digits_are_recognised_and_balanced(judge, mnist_test):
    report = judge_digits(mnist_test[0][:2000], judge)
    assert report.recognised >= 0.9 and report.classes_present == 10 and report.kl_from_uniform < 0.02
    assert "recognised" in str(report)


def test_noise_is_not_recognised(judge):
    noise = np.random.default_rng(0).uniform(-1, 1, (500, 28, 28, 1)).astype("float32")
    assert judge_digits(noise, judge).recognised < 0.2


def test_one_repeated_class_is_collapsed(judge, mnist_test):
    images, labels = mnist_test
    ones = images[labels == 1][:500]
    report = judge_digits(ones, judge)
    assert report.classes_present <= 2 and report.kl_from_uniform > 2.0


def test_flat_vectors_are_accepted_and_raw_pixels_refused(judge, mnist_test):
    flat = mnist_test[0][:10].reshape(10, 784)
    assert judge_digits(flat, judge).n == 10
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        judge_digits((flat + 1) * 127.5, judge)


def test_kl_from_uniform_known_values():
    assert class_histogram_kl([5] * 10) == pytest.approx(0.0)
    assert class_histogram_kl([7] + [0] * 9) == pytest.approx(np.log(10))
