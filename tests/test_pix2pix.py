"""gankit.pix2pix: the conditional input and the losses against NumPy, the game's step on tiny pairs (TF and JAX)."""

import keras
import numpy as np
import pytest

from gankit import data, images, pix2pix
from gankit.seeding import seed_everything


def numpy_of(x):
    return keras.ops.convert_to_numpy(x)


def softplus(x):
    return np.logaddexp(0.0, x)


def test_discriminator_sees_input_then_image_on_channels():
    condition = np.zeros((2, 4, 4, 1), "float32")
    image = np.ones((2, 4, 4, 3), "float32")
    joined = numpy_of(pix2pix.conditional_input(condition, image))
    assert joined.shape == (2, 4, 4, 4)
    assert not joined[..., :1].any() and (joined[..., 1:] == 1).all()
    with pytest.raises(ValueError, match="Fix: crop both halves"):
        pix2pix.conditional_input(condition, np.ones((2, 8, 8, 3), "float32"))


def test_losses_match_numpy():
    rng = np.random.default_rng(0)
    real_scores, fake_scores = rng.normal(size=(2, 3, 3, 1)), rng.normal(size=(2, 3, 3, 1))
    fake, target = rng.uniform(-1, 1, (2, 4, 4, 3)), rng.uniform(-1, 1, (2, 4, 4, 3))
    f32 = lambda x: x.astype("float32")  # noqa: E731
    # Cross-entropy of a logit s against label 1 is softplus(-s), against label 0 softplus(s).
    want_d = 0.5 * (softplus(-real_scores).mean() + softplus(fake_scores).mean())
    assert float(pix2pix.discriminator_loss(f32(real_scores), f32(fake_scores))) == pytest.approx(want_d, rel=1e-5)
    total, gan, l1 = pix2pix.generator_loss(f32(fake_scores), f32(fake), f32(target))
    want_gan, want_l1 = softplus(-fake_scores).mean(), np.abs(fake - target).mean()
    assert float(gan) == pytest.approx(want_gan, rel=1e-5)
    assert float(l1) == pytest.approx(want_l1, rel=1e-5)
    assert float(total) == pytest.approx(want_gan + 100 * want_l1, rel=1e-5)  # the weight is on L1, not on the GAN term
    assert float(pix2pix.generator_loss(f32(fake_scores), f32(fake), f32(target), l1_weight=0)[0]) == \
        pytest.approx(want_gan, rel=1e-5)


@pytest.mark.backends
def test_one_step_on_the_shared_shoe_pairs_moves_exactly_the_right_variables():
    """A tiny 32x32 pix2pix fed by ImageBatches from the shared edges2shoes pairs; the generator's rate is 0."""
    seed_everything(0)
    edges, shoes = images.load_paired(data.image_dataset("edges2shoes"), "train", size=images.jitter_size(32), limit=4)
    pairs = images.ImageBatches(edges, shoes, batch_size=2, crop=32, seed=0)
    gan = pix2pix.Pix2Pix(32, width=4, levels=3, d_width=4, d_layers=2)
    assert gan.discriminator.input_shape == (None, 32, 32, 6)  # input and image stacked on channels
    gan.compile(pix2pix.adam(1e-2), keras.optimizers.SGD(0.0))
    d_before, g_before = [numpy_of(v) for v in gan.discriminator.trainable_variables], \
        [numpy_of(v) for v in gan.generator.trainable_variables]
    history = gan.fit(pairs, epochs=1, steps_per_epoch=2, verbose=0).history

    assert set(history) == {"d_loss", "g_loss", "gan", "l1"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert any(not np.allclose(b, numpy_of(a)) for b, a in zip(d_before, gan.discriminator.trainable_variables))
    for b, a in zip(g_before, gan.generator.trainable_variables):  # read by D's loss and its own, rate 0: unchanged
        np.testing.assert_array_equal(b, numpy_of(a))
    np.testing.assert_allclose(history["g_loss"], np.add(history["gan"], np.multiply(100, history["l1"])), rtol=1e-4)
    assert [int(numpy_of(o.iterations)) for o in (gan.d_optimizer, gan.g_optimizer)] == [2, 2]


def test_generator_learns_from_its_l1_term():
    """With the discriminator frozen (rate 0), a few steps on 4 pairs pull the generator towards the targets."""
    seed_everything(0)
    rng = np.random.default_rng(0)
    condition = rng.uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    target = np.clip(-condition, -1, 1)
    gan = pix2pix.Pix2Pix(16, width=4, levels=2, d_width=2, d_layers=1, dropout=0.0)
    gan.compile(keras.optimizers.SGD(0.0), pix2pix.adam(1e-2))
    history = gan.fit(condition, target, batch_size=4, epochs=15, verbose=0).history
    assert history["l1"][-1] < 0.7 * history["l1"][0], history["l1"]


def test_the_exercise_unet_parts_wired_skip_first_compute_the_package_unet():
    """What notebook 04's Exercise 2 wires is blocks.unet_generator: the same layers, the same numbers."""
    from gankit.exercises import pix2pix as exercises

    down, up, out = exercises.unet_parts(image_size=32, levels=3, width=4)
    unet = pix2pix.blocks.unet_generator(32, levels=3, width=4, dropout=0.0)
    convs = {layer.name: layer for layer in unet.layers if "conv" in layer.name}
    pairs = [(step, convs[f"down{i}_conv"]) for i, step in enumerate(down, start=1)]
    pairs += [(step, convs[f"{step.name}_conv"]) for step in up] + [(out, convs["out_conv"])]
    for step, conv in pairs:  # give the package's U-Net the parts' weights
        (mine,) = [layer for layer in step.layers if layer.weights]
        conv.set_weights(mine.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    right = numpy_of(unet(x, training=False))
    np.testing.assert_allclose(numpy_of(exercises.wire_unet(x, down, up, out)), right, atol=1e-5)
    swapped = numpy_of(exercises.wire_unet(x, down, up, out, skip_first=False))
    assert np.abs(swapped - right).max() > 1e-3  # the order of a join changes what the next step computes
