"""gankit.stable: the gradient penalty, critic turns, clipping and augmentation, checked against hand computations.

Run under each backend (``bin/test`` does): TensorFlow, then JAX.
"""

import keras
import numpy as np
import pytest
from keras import layers, ops

from gankit import augment, stable, steps

pytestmark = pytest.mark.backends  # bin/test runs this file under TensorFlow and JAX

DIM = 4


def linear_critic(w, c=0.0):
    critic = keras.Sequential([keras.Input((DIM,)), layers.Dense(1)], name="critic")
    critic.set_weights([np.asarray(w, "float32").reshape(DIM, 1), np.array([c], "float32")])
    return critic


def constant_generator(b, latent=2):
    """A linear generator with a zero kernel: every fake is ``b``, whatever the noise."""
    generator = keras.Sequential([keras.Input((latent,)), layers.Dense(DIM)], name="generator")
    generator.set_weights([np.zeros((latent, DIM), "float32"), np.asarray(b, "float32")])
    return generator


def numpy_of(x):
    return ops.convert_to_numpy(x).astype("float64")


@pytest.fixture
def real_fake():
    rng = np.random.default_rng(0)
    return (5.0 * rng.normal(size=(32, DIM))).astype("float32"), (5.0 * rng.normal(size=(32, DIM))).astype("float32")


def test_penalty_is_zero_for_a_unit_gradient_and_follows_the_critics_weights(real_fake):
    real, fake = real_fake
    w = np.array([1.0, 2.0, -2.0, 4.0]) / 5.0  # unit norm: a 1-Lipschitz critic, gradient norm 1 everywhere
    critic = linear_critic(w, c=0.7)
    assert float(stable.gradient_penalty(critic, real, fake, seed=1)) == pytest.approx(0.0, abs=1e-6)
    # Inputs of norm ~10: a gradient taken with respect to the weights would have norm ~10, not 1.
    critic.set_weights([3.0 * w.reshape(DIM, 1).astype("float32"), np.array([0.7], "float32")])
    assert float(stable.gradient_penalty(critic, real, fake, seed=1)) == pytest.approx(4.0, rel=1e-4)  # (3 - 1)^2


def test_penalty_is_measured_at_the_interpolates(real_fake):
    """A critic 0.5 |x|^2 has input gradient x: its penalty is mean((|x_hat| - 1)^2) at the interpolates x_hat."""
    real, fake = real_fake
    critic = keras.Sequential([keras.Input((DIM,)), layers.Lambda(lambda x: 0.5 * ops.sum(x * x, axis=1, keepdims=True))])
    x_hat = numpy_of(stable.interpolates(real, fake, seed=7))
    want = np.mean((np.linalg.norm(x_hat, axis=1) - 1.0) ** 2)
    on_real = np.mean((np.linalg.norm(real, axis=1) - 1.0) ** 2)
    got = float(stable.gradient_penalty(critic, real, fake, seed=7))
    assert got == pytest.approx(want, rel=1e-4)
    assert abs(got - on_real) > 0.1 * on_real  # the penalty on the real images would be another number
    norms = numpy_of(stable.gradient_norms(critic, ops.convert_to_tensor(x_hat, "float32")))
    np.testing.assert_allclose(norms, np.linalg.norm(x_hat, axis=1), rtol=1e-4)


def test_interpolates_use_one_weight_per_example():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(256, 3, 3, 2)).astype("float32")
    fake = rng.normal(size=(256, 3, 3, 2)).astype("float32")
    x_hat = numpy_of(stable.interpolates(real, fake, seed=3))
    eps = (x_hat - real) / (fake - real)  # the weight each value got
    within = eps.reshape(256, -1).std(axis=1)
    assert within.max() < 1e-3  # one weight for all the values of an example
    per_example = eps.reshape(256, -1).mean(axis=1)
    assert 0.25 < per_example.std() < 0.33  # uniform on [0, 1): std 0.29; one weight for the batch would give 0
    assert per_example.min() >= 0.0 and per_example.max() <= 1.0


def test_the_penalty_trains_the_critic_inside_the_step():
    """One WGAN-GP step with SGD, by hand: the penalty's gradient (a gradient of a gradient) reaches the critic."""
    rng = np.random.default_rng(2)
    w, c, b = np.array([0.9, -0.6, 0.3, 0.5]), 0.2, np.array([0.5, 0.5, -1.0, 2.0])
    real = rng.normal(size=(8, DIM)).astype("float32")
    lr_d, lr_g, weight = 0.05, 0.1, 10.0
    gan = stable.CriticGAN(constant_generator(b), linear_critic(w, c), 2, penalty_weight=weight, seed=0)
    gan.compile(keras.optimizers.SGD(lr_d), keras.optimizers.SGD(lr_g), loss="wasserstein")
    logs = gan.fit(real, batch_size=8, epochs=1, shuffle=False, verbose=0).history

    norm = np.linalg.norm(w)
    grad_w = b - real.mean(axis=0) + weight * 2.0 * (norm - 1.0) * w / norm
    w1 = w - lr_d * grad_w  # the bias's gradient is 1 - 1 = 0
    got_w, got_c = gan.discriminator.get_weights()
    np.testing.assert_allclose(got_w.ravel(), w1, rtol=1e-5, atol=1e-6)
    assert float(got_c[0]) == pytest.approx(c, abs=1e-6)
    assert logs["penalty"][0] == pytest.approx((norm - 1.0) ** 2, rel=1e-4)
    assert logs["d_loss"][0] == pytest.approx(b @ w - real.mean(0) @ w + weight * (norm - 1.0) ** 2, rel=1e-4)
    # The generator's bias moves up the UPDATED critic's gradient: -d(-mean(w1 . b))/db = w1.
    np.testing.assert_allclose(gan.generator.get_weights()[1], b + lr_g * w1, rtol=1e-5, atol=1e-6)


def test_each_critic_turn_takes_its_own_share_of_the_batch():
    """Cross-entropy, n_critic = 2, two steps: by hand, turn i of a step sees the i-th half of its batch.

    The loss is curved, so two turns on the two halves end elsewhere than two turns on the whole batch.
    """
    rng = np.random.default_rng(3)
    w, c, b = np.array([0.3, -0.2, 0.1, 0.4]), 0.1, np.array([0.2, 0.1, -0.3, 0.0])
    # Half the real points score far above 0 (no gradient left), half near 0: which half a turn sees matters.
    far, near = 8.0 * w / np.linalg.norm(w) ** 2, np.zeros(DIM)
    halves = [np.tile(far if j % 2 else near, (4, 1)) + rng.normal(size=(4, DIM)) for j in range(4)]
    real = np.concatenate(halves).astype("float32")  # two steps of batch 8, each two turns of 4
    lr = 0.5
    gan = stable.CriticGAN(constant_generator(b), linear_critic(w, c), 2, n_critic=2, seed=0)
    gan.compile(keras.optimizers.SGD(lr), keras.optimizers.SGD(0.0), loss="bce")
    gan.fit(real, batch_size=8, epochs=1, shuffle=False, verbose=0)

    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    for half in halves:  # the four critic turns, in order; loss 0.5 * (mean softplus(-s_real) + softplus(s_fake))
        pull, push = 1.0 - sigmoid(half @ w + c), sigmoid(b @ w + c)
        w = w - lr * 0.5 * (-(pull[:, None] * half).mean(axis=0) + push * b)
        c = c - lr * 0.5 * (-pull.mean() + push)
    got_w, got_c = gan.discriminator.get_weights()
    np.testing.assert_allclose(got_w.ravel(), w, rtol=1e-5, atol=1e-6)
    assert float(got_c[0]) == pytest.approx(c, abs=1e-5)
    assert int(gan.d_optimizer.iterations) == 4 and int(gan.g_optimizer.iterations) == 2


def test_clipping_follows_each_critic_update_and_spares_the_generator():
    rng = np.random.default_rng(4)
    w, c, b = np.array([0.5, -0.5, 0.004, 0.5]), 0.3, np.array([5.0, -5.0, 5.0, 5.0])
    real = rng.normal(size=(8, DIM)).astype("float32")
    lr, clip = 0.001, 0.01
    gan = stable.CriticGAN(constant_generator(b), linear_critic(w, c), 2, n_critic=2, clip=clip, seed=0)
    gan.compile(keras.optimizers.SGD(lr), keras.optimizers.SGD(0.0), loss="wasserstein")
    gan.fit(real, batch_size=8, epochs=1, shuffle=False, verbose=0)

    for half in (real[:4], real[4:]):  # clip after EACH turn: clip(clip(w - lr g1) - lr g2)
        w = np.clip(w - lr * (b - half.mean(axis=0)), -clip, clip)
        c = float(np.clip(c - lr * 0.0, -clip, clip))
    got_w, got_c = gan.discriminator.get_weights()
    np.testing.assert_allclose(got_w.ravel(), w, rtol=1e-5, atol=1e-7)
    assert float(got_c[0]) == pytest.approx(c, abs=1e-7)
    assert np.abs(got_w).max() <= clip + 1e-7
    np.testing.assert_allclose(gan.generator.get_weights()[1], b)  # far above the clip value, untouched


def test_augmentation_reaches_real_and_fake_in_both_losses():
    """An 'augmentation' that blanks every image: the critic then scores real and fake alike."""
    w, c, b = np.array([0.3, -0.2, 0.1, 0.4]), 0.25, np.array([1.0, 2.0, 3.0, 4.0])
    real = np.random.default_rng(5).normal(size=(8, DIM)).astype("float32")
    gan = stable.CriticGAN(constant_generator(b), linear_critic(w, c), 2, augment=lambda x: 0.0 * x, seed=0)
    gan.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), loss="wasserstein")
    logs = gan.fit(real, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    assert logs["d_loss"][0] == pytest.approx(0.0, abs=1e-6)  # real only augmented: b.w - mean(real).w = 1.05
    assert logs["g_loss"][0] == pytest.approx(-c, abs=1e-6)  # fakes not augmented for G: -(b.w + c) = -1.55


def test_a_diffaugment_layer_draws_new_transforms_each_step():
    """Its seed is part of the game's state: on JAX too it moves from step to step."""
    latent = 3
    generator = keras.Sequential([keras.Input((latent,)), layers.Dense(64, activation="tanh"), layers.Reshape((8, 8, 1))])
    critic = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(1)])
    diff = augment.DiffAugment("translation,cutout", seed=3)
    gan = stable.make_gan("wgan-gp", generator, critic, latent, seed=0, augment=diff)
    images = np.random.default_rng(6).uniform(-1, 1, size=(20, 8, 8, 1)).astype("float32")
    before = numpy_of(diff.seed_generator.state.value)
    logs = gan.fit(images, batch_size=10, epochs=1, shuffle=False, verbose=0).history
    middle = numpy_of(diff.seed_generator.state.value)
    gan.fit(images, batch_size=10, epochs=1, shuffle=False, verbose=0)
    after = numpy_of(diff.seed_generator.state.value)
    assert not np.array_equal(before, middle) and not np.array_equal(middle, after)
    assert np.isfinite(logs["penalty"][0]) and logs["penalty"][0] > 0
    assert int(gan.d_optimizer.iterations) == 5 * int(gan.g_optimizer.iterations) == 20


def test_hinge_with_spectral_normalisation_trains():
    from gankit.ring import ring_critic, ring_generator

    gan = stable.make_gan("hinge-sn", ring_generator(width=8), ring_critic(width=8, spectral_norm=True), 16, seed=0)
    kernels = [layer.layer.kernel for layer in gan.discriminator.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    top = lambda: [float(np.linalg.svd(numpy_of(k.value), compute_uv=False)[0]) for k in kernels]  # noqa: E731
    before = top()
    points = np.random.default_rng(7).normal(size=(128, 2)).astype("float32")
    logs = gan.fit(points, batch_size=32, epochs=1, shuffle=False, verbose=0).history
    assert np.isfinite(logs["d_loss"]).all() and np.isfinite(logs["g_loss"]).all()
    assert len(kernels) == 3 and max(before) > 1.3
    # after four steps (one power iteration per call) each kernel's largest singular value is about 1
    np.testing.assert_allclose(top(), 1.0, atol=0.15)


def test_bad_settings_are_refused_with_a_fix():
    from gankit.ring import ring_critic, ring_generator

    generator, critic = ring_generator(width=4), ring_critic(width=4)
    with pytest.raises(ValueError, match="SpectralNormalization"):
        stable.make_gan("hinge-sn", generator, critic, 16)
    with pytest.raises(ValueError, match="choose one"):
        stable.CriticGAN(generator, critic, 16, clip=0.01, penalty_weight=10.0)
    with pytest.raises(ValueError, match="n_critic"):
        stable.CriticGAN(generator, critic, 16, n_critic=0)
    normed = keras.Sequential([keras.Input((2,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(1)])
    with pytest.raises(ValueError, match="batch normalisation"):
        stable.CriticGAN(generator, normed, 16, penalty_weight=10.0)
    with pytest.raises(ValueError, match="unknown recipe"):
        stable.make_gan("wgan-gb", generator, critic, 16)
    with pytest.raises(ValueError, match="unknown loss"):
        stable.losses("hinged")


def test_a_player_needs_at_least_one_turn():
    class OneTurnless(steps.Game):
        def __init__(self):
            super().__init__()
            self.model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
            self.opt = keras.optimizers.SGD(0.1)
            self.track("m_loss")

        def players(self):
            return [steps.Player("m", self.model.trainable_variables, self.opt,
                                 lambda x: ops.mean(self.model(x)), turns=0)]

    with pytest.raises(ValueError, match="turns=0"):
        OneTurnless().compile_players()
