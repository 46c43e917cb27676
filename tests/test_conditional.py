"""The class-conditional DCGAN: one step trains the right weights, and the labels reach both players."""

import keras
import numpy as np
import pytest
from keras import ops

from gankit import checks, conditional

LATENT = 8


def _gan(seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    G = conditional.conditional_generator(LATENT)
    D = conditional.conditional_discriminator()
    gan = conditional.ConditionalGAN(G, D, LATENT, seed=seed, **kwargs)
    gan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5))
    return gan


def _batch(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 28, 28, 1)).astype("float32"), (np.arange(n) % 10).astype("int32")


@pytest.mark.backends
def test_one_fit_step_moves_both_players_and_only_their_weights():
    gan = _gan(average_decay=0.9)
    images, labels = _batch()
    g_before, d_before = checks.weights_of(gan.generator), checks.weights_of(gan.discriminator)
    avg_before = checks.weights_of(gan.average_generator)
    logs = gan.fit(images, labels, batch_size=8, epochs=1, verbose=0).history
    checks.check_changed(g_before, checks.weights_of(gan.generator), "the generator's weights")
    checks.check_changed(d_before, checks.weights_of(gan.discriminator), "the discriminator's weights")
    checks.check_changed(avg_before, checks.weights_of(gan.average_generator), "the averaged generator")
    assert int(gan.d_optimizer.iterations) == 1 and int(gan.g_optimizer.iterations) == 1
    assert set(logs) >= {"d_loss", "g_loss", "d_accuracy"} and np.isfinite(logs["d_loss"][0])


@pytest.mark.backends
def test_fit_without_labels_says_how_to_fix_it():
    gan = _gan()
    with pytest.raises(ValueError, match="gan.fit\\(images, labels"):
        gan.fit(_batch()[0], batch_size=8, epochs=1, verbose=0)


def test_the_label_reaches_the_generator_and_the_discriminator():
    keras.utils.set_random_seed(1)
    G, D = conditional.conditional_generator(LATENT), conditional.conditional_discriminator()
    noise = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(4, LATENT)).astype("float32"))
    threes, sevens = (ops.convert_to_tensor(np.full(4, k, "int32")) for k in (3, 7))
    a, b = ops.convert_to_numpy(G([noise, threes])), ops.convert_to_numpy(G([noise, sevens]))
    assert np.abs(a - b).max() > 1e-4, "the same noise with another label gave the same image"
    s3, s7 = ops.convert_to_numpy(D([ops.convert_to_tensor(a), threes])), ops.convert_to_numpy(D([ops.convert_to_tensor(a), sevens]))
    assert np.abs(s3 - s7).max() > 1e-5, "the same image with another label got the same score"


def test_a_generator_without_a_label_input_is_refused_with_a_fix():
    G = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(784), keras.layers.Reshape((28, 28, 1))])
    with pytest.raises(ValueError, match="conditional_generator"):
        conditional.ConditionalGAN(G, conditional.conditional_discriminator(), LATENT)


def test_train_runs_the_asked_number_of_steps_on_a_fixed_order():
    gan = _gan()
    images, labels = _batch(20)
    conditional.train(gan, images, labels, steps=3, batch_size=10, seed=0)
    assert int(gan.g_optimizer.iterations) == 3
    with pytest.raises(ValueError, match="one label per image"):
        conditional.train(gan, images, labels[:5], steps=1, batch_size=10)


def test_generate_gives_one_image_per_label_from_fixed_noise():
    keras.utils.set_random_seed(0)
    G = conditional.conditional_generator(LATENT)
    first = conditional.generate(G, [0, 1, 2], seed=3)
    assert first.shape == (3, 28, 28, 1) and -1 <= first.min() and first.max() <= 1
    np.testing.assert_array_equal(first, conditional.generate(G, [0, 1, 2], seed=3))
    assert conditional.balanced_labels(25).tolist().count(4) in (2, 3)


@pytest.mark.slow
def test_conditional_accuracy_on_real_digits(judge, mnist_test):
    """Real test digits with their true labels score the judge's accuracy; with shuffled labels about 10%."""
    from gankit.judge import conditional_accuracy, predict_probabilities

    images, labels = mnist_test
    images, labels = images[:2000], labels[:2000]
    right = conditional_accuracy(images, labels, judge)
    judge_accuracy = float((predict_probabilities(images, judge).argmax(1) == labels).mean())
    assert right == pytest.approx(judge_accuracy) and right > 0.98
    shuffled = conditional_accuracy(images, np.random.default_rng(0).permutation(labels), judge)
    assert 0.07 < shuffled < 0.13
    with pytest.raises(ValueError, match="one per image"):
        conditional_accuracy(images, labels[:10], judge)
