"""gankit.stable_study and stable.generator_gradient_norm: notebook 06's measurements on cases with known answers."""

import keras
import numpy as np
import pytest
from keras import layers

from gankit import stable, stable_study

pytestmark = pytest.mark.backends  # bin/test runs this file under TensorFlow and JAX


def test_the_saturating_gradient_vanishes_when_the_discriminator_is_sure():
    generator = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    generator.set_weights([np.zeros((3, 2), "float32"), np.zeros(2, "float32")])  # every fake at 0: logit = bias
    critic = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    noise = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    norms = {}
    for bias in (0.0, -12.0):  # a critic sure that every fake is fake: logits near -12
        critic.set_weights([np.array([[1.0], [0.5]], "float32"), np.array([bias], "float32")])
        norms[bias] = {loss: stable.generator_gradient_norm(generator, critic, noise, loss) for loss in stable.GENERATOR_LOSSES}
    assert norms[-12.0]["saturating"] < 1e-3 * norms[0.0]["saturating"]  # sigmoid(-12) ~ 6e-6
    assert norms[-12.0]["non-saturating"] == pytest.approx(2 * norms[0.0]["non-saturating"], rel=1e-4)  # 1 - sigmoid: ~1 vs 0.5
    assert norms[-12.0]["wasserstein"] == pytest.approx(norms[0.0]["wasserstein"], rel=1e-5)  # no squashing at all
    with pytest.raises(ValueError, match="Fix"):
        stable.generator_gradient_norm(generator, critic, noise, "minimax")


def test_the_overfitting_gap_compares_training_and_held_out_verdicts():
    critic = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    critic.set_weights([np.array([[2.0], [0.0]], "float32"), np.zeros(1, "float32")])  # "real" grows with x
    train = np.array([[3.0, 0.0]] * 4, "float32")
    held_out = np.array([[-3.0, 0.0]] * 4, "float32")
    sigmoid = 1 / (1 + np.exp(-6.0))
    assert stable_study.overfitting_gap(critic, train, held_out) == pytest.approx(sigmoid - (1 - sigmoid), rel=1e-5)
    assert stable_study.overfitting_gap(critic, train, train) == pytest.approx(0.0, abs=1e-7)


def test_on_one_distribution_the_frechet_distance_shrinks_with_n_and_kid_stays_near_zero():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(800, 16)), rng.normal(size=(800, 16))
    rows = stable_study.sample_size_bias(a, b, [20, 100, 800], repeats=3, seed=1)
    assert rows[0]["frechet"] > 3 * rows[-1]["frechet"]
    assert all(abs(r["kid"]) < 3 * r["kid_std"] + 0.05 for r in rows)
    assert "at n = 20" in stable_study.bias_conclusion(rows, rows)


def test_the_conclusions_say_when_a_fix_did_not_help():
    ring = [{"recipe": "gan", "modes_covered": 8, "high_quality": 0.6}, {"recipe": "wgan-gp", "modes_covered": 5,
                                                                      "high_quality": 0.01}]
    assert "did not help" in stable_study.ring_conclusion(ring)
    ring[0].update(modes_covered=3)  # more modes, but of blurry points: not a help
    assert "far fewer good points" in stable_study.ring_conclusion(ring)
    ring[1].update(modes_covered=8, high_quality=0.7)
    assert "wgan-gp (8/8, 70.0%): at this budget that fix helped" in stable_study.ring_conclusion(ring)
    mnist = [{"recipe": "gan", "frechet": 10.0, "kid": 0.1, "recognised": 0.5, "classes_present": 10, "steps": 900},
             {"recipe": "wgan-gp", "frechet": 30.0, "kid": 0.4, "recognised": 0.1, "classes_present": 9, "steps": 200}]
    text = stable_study.mnist_conclusion(mnist, 30)
    assert "No fix beat it" in text and "wgan-gp took 200 generator steps" in text
    little = [{"diffaugment": False, "gap": 0.05, "frechet": 20.0, "kid": 0.2, "recognised": 0.4},
              {"diffaugment": True, "gap": 0.0, "frechet": 25.0, "kid": 0.3, "recognised": 0.3}]
    text = stable_study.diffaugment_conclusion(little)
    assert "kept the discriminator from memorising" in text and "did not help the digits" in text


def test_train_for_stops_at_max_steps_and_counts_chunks():
    from gankit.ring import LATENT_DIM, Ring, ring_critic, ring_generator

    gan = stable.make_gan("gan", ring_generator(seed=1), ring_critic(seed=1), LATENT_DIM, seed=1)
    seen = []
    spent = stable_study.train_for(gan, Ring().sample(100, seed=0), float("inf"), batch_size=10, chunk=3, max_steps=7,
                                   every=seen.append)
    assert spent["steps"] == 9 and seen == [3, 6, 9] and int(gan.g_optimizer.iterations) == 9
