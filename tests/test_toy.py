"""Unit tests for gankit.toy: the 1-D toy GAN's data, density estimates, pictures and update plumbing."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from gankit import toy

pytestmark = pytest.mark.backends  # bin/test runs this file under TensorFlow, then again under JAX


def integral(values, x):
    """The trapezoid rule, without relying on a NumPy version's name for it."""
    return float(np.sum((values[1:] + values[:-1]) * np.diff(x)) / 2)


# --- real data --------------------------------------------------------------

def test_gaussian_density_known_values():
    assert toy.gaussian_density(0.0) == pytest.approx(1 / np.sqrt(2 * np.pi))
    assert toy.gaussian_density(3.5, mean=3.0, std=0.5) == pytest.approx(np.exp(-0.5) / (0.5 * np.sqrt(2 * np.pi)))
    assert toy.gaussian_density([[1.0, 2.0]]).shape == (1, 2)


@pytest.mark.parametrize("target", [toy.Gaussian(3.0, 0.5), toy.two_peaks(4.0, 0.5),
                                    toy.Mixture(means=(-1, 2, 5), stds=(0.3, 1.0, 0.5), weights=(1, 2, 1))])
def test_densities_integrate_to_one(target):
    x = np.linspace(target.span[0] - 2, target.span[1] + 2, 20001)
    assert integral(target.density(x), x) == pytest.approx(1.0, abs=1e-4)


def test_gaussian_sampler_moments_and_shape():
    samples = toy.Gaussian(3.0, 0.5).sample(50_000, seed=0)
    assert samples.shape == (50_000, 1) and samples.dtype == np.float32
    assert samples.mean() == pytest.approx(3.0, abs=0.01)
    assert samples.std() == pytest.approx(0.5, abs=0.01)


def test_sampler_is_reproducible_with_a_seed():
    a, b = toy.Gaussian().sample(10, seed=7), toy.Gaussian().sample(10, seed=7)
    np.testing.assert_array_equal(a, b)


def test_two_peaks_sampler_moments_and_shares():
    target = toy.two_peaks(distance=4.0, std=0.5, centre=1.0)
    assert target.peaks == (-1.0, 3.0)
    samples = target.sample(40_000, seed=1)
    assert samples.mean() == pytest.approx(1.0, abs=0.03)
    assert samples.std() == pytest.approx(np.sqrt(4.0 + 0.25), abs=0.03)  # half the distance squared plus the variance
    np.testing.assert_allclose(toy.peak_shares(samples, target), [0.5, 0.5], atol=0.02)


def test_mixture_normalises_weights():
    mixture = toy.Mixture(means=(0, 10), stds=(1, 1), weights=(3, 1))
    assert mixture.weights == pytest.approx((0.75, 0.25))
    np.testing.assert_allclose(toy.peak_shares(mixture.sample(20_000, seed=2), mixture), [0.75, 0.25], atol=0.02)


def test_peak_shares_of_a_collapsed_sample():
    target = toy.two_peaks(4.0, 0.5)
    spike = np.full((100, 1), 1.7, dtype="float32")
    np.testing.assert_allclose(toy.peak_shares(spike, target), [0.0, 1.0])


@pytest.mark.parametrize("make, message", [
    (lambda: toy.Gaussian(0.0, 0.0), "positive"),
    (lambda: toy.Gaussian(0.0, -1.0), "positive"),
    (lambda: toy.Mixture(means=(0, 1), stds=(1,), weights=(1, 1)), "as many"),
    (lambda: toy.Mixture(means=(0, 1), stds=(1, 1), weights=(-1, 2)), "non-negative"),
    (lambda: toy.two_peaks(distance=0), "distance"),
    (lambda: toy.Gaussian().sample(0), "positive whole number"),
    (lambda: toy.Gaussian().sample(2.5), "positive whole number"),
])
def test_bad_input_raises_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# --- generated data ---------------------------------------------------------

def test_density_estimate_integrates_to_one_and_matches_the_truth():
    target = toy.Gaussian(3.0, 0.5)
    samples = target.sample(5_000, seed=3)
    x = np.linspace(0.0, 6.0, 301)
    estimate = toy.density_estimate(samples, x)
    assert integral(estimate, x) == pytest.approx(1.0, abs=1e-3)
    assert np.max(np.abs(estimate - target.density(x))) < 0.06


def test_density_estimate_with_a_given_bandwidth_is_the_kernel():
    # One sample at 0 with bandwidth 1 is exactly the standard normal density.
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(toy.density_estimate([0.0, 0.0], x, bandwidth=1.0), toy.gaussian_density(x))


def test_density_estimate_keeps_the_shape_of_x():
    assert toy.density_estimate(np.arange(10.0), np.zeros((2, 3))).shape == (2, 3)


def test_density_estimate_rejects_bad_samples():
    with pytest.raises(ValueError, match="NaN"):
        toy.density_estimate([0.0, np.nan, 1.0], [0.0])
    with pytest.raises(ValueError, match="1-D"):
        toy.density_estimate(np.zeros((4, 2)), [0.0])
    with pytest.raises(ValueError, match="at least 2"):
        toy.density_estimate([1.0], [0.0])


def test_histogram_is_normalised():
    centres, heights = toy.histogram(toy.Gaussian().sample(5_000, seed=4), bins=50, span=(-6, 6))
    assert centres.shape == heights.shape == (50,)
    assert np.sum(heights) * (centres[1] - centres[0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="low < high"):
        toy.histogram([0.0, 1.0], span=(1, 0))


def test_evenly_spaced_keeps_first_and_last():
    assert toy.evenly_spaced(list(range(31)), 5) == [0, 8, 15, 22, 30]
    assert toy.evenly_spaced([1, 2], 5) == [1, 2]


# --- pictures ---------------------------------------------------------------

def test_plot_snapshots_draws_one_panel_per_snapshot():
    import matplotlib.pyplot as plt

    target = toy.two_peaks()
    x = np.linspace(-5, 5, 50)
    snapshots = [toy.Snapshot(f"epoch {i}", fake=target.sample(50, seed=i), x=x, critic=np.full(50, 0.5))
                 for i in range(7)]
    figure = toy.plot_snapshots(snapshots, target, count=3)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == ["epoch 0", "epoch 3", "epoch 6"]
    plt.close(figure)


def test_snapshot_checks_its_critic_values():
    with pytest.raises(ValueError, match="one D\\(x\\) per point"):
        toy.Snapshot("bad", fake=[0.0, 1.0], x=np.zeros(5), critic=np.zeros(4))


# --- backend plumbing ---------------------------------------------------------

def test_gradient_of_the_two_generator_losses():
    from keras import ops

    d = np.array([0.01, 0.5, 0.99], dtype="float32")
    logits = np.log(d / (1 - d))
    saturating = ops.convert_to_numpy(toy.gradient(lambda v: ops.log(1.0 - ops.sigmoid(v)), logits))
    non_saturating = ops.convert_to_numpy(toy.gradient(lambda v: -ops.log(ops.sigmoid(v)), logits))
    np.testing.assert_allclose(saturating, -d, rtol=1e-4)
    np.testing.assert_allclose(non_saturating, -(1 - d), rtol=1e-4)


def test_make_update_moves_only_the_trained_model():
    import keras
    from keras import layers, ops

    keras.utils.set_random_seed(0)
    trained = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    other = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    before_other = [w.copy() for w in other.get_weights()]

    def loss_fn(x):  # pull trained(other(x)) towards 5
        return ops.mean(ops.square(trained(other(x)) - 5.0))

    update = toy.make_update(loss_fn, trained, keras.optimizers.SGD(0.05), others=[other])
    x = np.ones((8, 1), dtype="float32")
    first = float(update(x))
    for _ in range(50):
        last = float(update(x))
    assert last < 0.1 * first
    for before, after in zip(before_other, other.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_make_update_keeps_the_state_its_loss_writes():
    import keras
    from keras import layers, ops

    keras.utils.set_random_seed(0)
    critic = keras.Sequential([keras.Input((1,)), layers.Dense(4), layers.BatchNormalization(), layers.Dropout(0.5),
                               layers.Dense(1)])
    moving_mean = critic.layers[1].moving_mean
    seed = critic.layers[2].seed_generator.state
    before_mean, before_seed = ops.convert_to_numpy(moving_mean), ops.convert_to_numpy(seed)

    update = toy.make_update(lambda x: ops.mean(critic(x, training=True)), critic, keras.optimizers.SGD(0.01))
    update(np.full((8, 1), 3.0, dtype="float32"))
    assert not np.allclose(before_mean, ops.convert_to_numpy(moving_mean)), "batch-norm statistics were dropped"
    assert not np.array_equal(before_seed, ops.convert_to_numpy(seed)), "the dropout seed did not advance"


def test_make_update_rejects_bad_models():
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="keras.Model"):
        toy.make_update(lambda: 0.0, "not a model", keras.optimizers.SGD())
    with pytest.raises(ValueError, match="itself"):
        toy.make_update(lambda: 0.0, model, keras.optimizers.SGD(), others=[model])


def test_optimal_critic_from_the_exact_densities():
    # D* = p_data / (p_data + p_g); for N(0, 1) against N(2, 1) it is sigmoid(2 - 2x).
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    p_data, p_g = toy.Gaussian(0.0, 1.0).density(x), toy.Gaussian(2.0, 1.0).density(x)
    np.testing.assert_allclose(p_data / (p_data + p_g), 1 / (1 + np.exp(-(2 - 2 * x))), rtol=1e-12)
