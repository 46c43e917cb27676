"""The MNIST judge: accurate on real digits, unimpressed by noise and by one repeated class."""

import numpy as np
import pytest

from gankit.judge import class_histogram_kl, judge_digits, junk_images, predict_probabilities

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
    noise = np.random.default_rng(12345).uniform(-1, 1, (500, 28, 28, 1)).astype("float32")
    assert judge_digits(noise, judge).recognised < 0.05


def test_junk_it_never_saw_is_not_recognised(judge, mnist_test):
    # other seeds than training used, and a checkerboard, a kind of junk it was never shown
    assert judge_digits(junk_images(600, seed=99, digits=mnist_test[0]), judge).recognised < 0.05
    checkerboard = (np.indices((28, 28)).sum(axis=0) % 2 * 2 - 1).astype("float32")
    assert judge_digits(np.repeat(checkerboard[None, ..., None], 50, axis=0), judge).recognised < 0.05


def test_junk_images_are_in_range_and_varied():
    junk = junk_images(60, seed=1, digits=np.full((5, 28, 28, 1), -1, "float32"))
    assert junk.shape == (60, 28, 28, 1) and junk.dtype == np.float32
    assert junk.min() >= -1 and junk.max() <= 1
    assert len({round(float(image.std()), 3) for image in junk}) > 20


def test_one_repeated_class_is_collapsed(judge, mnist_test):
    images, labels = mnist_test
    ones = images[labels == 1][:500]
    report = judge_digits(ones, judge)
    # a stray misreading or two (under 1% of the batch) is not a class "present"
    assert report.classes_present == 1 and report.kl_from_uniform > 2.0


def test_flat_vectors_are_accepted_and_raw_pixels_refused(judge, mnist_test):
    flat = mnist_test[0][:10].reshape(10, 784)
    assert judge_digits(flat, judge).n == 10
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        judge_digits((flat + 1) * 127.5, judge)


def test_kl_from_uniform_known_values():
    assert class_histogram_kl([5] * 10) == pytest.approx(0.0)
    assert class_histogram_kl([7] + [0] * 9) == pytest.approx(np.log(10))
