"""gankit.augment (DiffAugment): each operation does what it says, repeatably, and lets gradients through.

Run under each backend (``bin/test`` does): TensorFlow, then JAX.
"""

import keras
import numpy as np
import pytest
from keras import ops

from gankit import augment
from gankit.toy import gradient

pytestmark = pytest.mark.backends  # bin/test runs this file under TensorFlow and JAX

N, SIZE = 16, 16


def numpy_of(x):
    return ops.convert_to_numpy(x).astype("float64")


@pytest.fixture
def images():
    return np.random.default_rng(0).uniform(-1, 1, size=(N, SIZE, SIZE, 3)).astype("float32")


def test_colour_operations_change_whole_images_by_bounded_amounts(images):
    shift = numpy_of(augment.brightness(images, seed=1)) - images
    assert np.ptp(shift.reshape(N, -1), axis=1).max() < 1e-5  # one number per image
    assert np.abs(shift).max() <= 0.5 and shift.reshape(N, -1)[:, 0].std() > 0.1  # in [-0.5, 0.5), varying
    grey = images.mean(axis=-1, keepdims=True)
    ratio = (numpy_of(augment.saturation(images, seed=2)) - grey) / (images - grey)
    factors = ratio.reshape(N, -1)
    assert np.ptp(factors, axis=1).max() < 1e-3 and 0.0 <= factors.min() and factors.max() < 2.0
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    factors = ((numpy_of(augment.contrast(images, seed=3)) - mean) / (images - mean)).reshape(N, -1)
    assert np.ptp(factors, axis=1).max() < 1e-3 and 0.5 <= factors.min() and factors.max() < 1.5
    single = images[..., :1]
    np.testing.assert_allclose(numpy_of(augment.saturation(single, seed=2)), single, atol=1e-6)  # grey: no change


def test_translation_shifts_each_image_by_at_most_an_eighth():
    dots = np.zeros((N, SIZE, SIZE, 1), "float32")
    dots[:, 8, 8, 0] = 1.0
    moved = numpy_of(augment.translation(dots, seed=4))
    assert moved.shape == dots.shape
    np.testing.assert_allclose(moved.reshape(N, -1).sum(axis=1), 1.0)  # each dot moved, none lost or doubled
    rows, cols = np.nonzero(moved[..., 0].reshape(N, SIZE, SIZE))[1:]
    assert np.abs(rows - 8).max() <= 2 and np.abs(cols - 8).max() <= 2  # 16 / 8 = 2 pixels at most
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 3  # each image its own shift
    edge = np.ones((N, SIZE, SIZE, 1), "float32")
    shifted = numpy_of(augment.translation(edge, seed=4))
    assert set(np.unique(shifted)) <= {0.0, 1.0} and (shifted == 0).any()  # zeros come in at the edges


def test_cutout_blanks_one_square_per_image():
    ones = np.ones((N, SIZE, SIZE, 2), "float32")
    cut = numpy_of(augment.cutout(ones, seed=5))
    for image in cut:
        assert np.array_equal(image[..., 0], image[..., 1])  # the same square in every channel
        rows, cols = np.nonzero(image[..., 0] == 0)
        assert len(rows) > 0
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert len(rows) == height * width  # one rectangle
        assert 4 <= height <= 8 and 4 <= width <= 8  # half the size, clipped at the edges to no less than half that
    assert len({tuple(np.argwhere(image[..., 0] == 0)[0]) for image in cut}) > 3  # at different places


def test_the_same_seed_gives_the_same_transforms(images):
    first = numpy_of(augment.diff_augment(images, seed=7))
    np.testing.assert_array_equal(first, numpy_of(augment.diff_augment(images, seed=7)))
    assert not np.allclose(first, numpy_of(augment.diff_augment(images, seed=8)))
    assert first.shape == images.shape and np.isfinite(first).all()
    assert np.abs(first).max() < 4.0  # [-1, 1] in: brightness, saturation and contrast keep it within a few units
    layer = augment.DiffAugment(seed=7)
    assert not np.allclose(numpy_of(layer(images)), numpy_of(layer(images)))  # a layer draws anew on each call
    assert np.allclose(numpy_of(augment.DiffAugment(seed=7)(images)), numpy_of(augment.DiffAugment(seed=7)(images)))


def test_gradients_flow_through_the_augmentation(images):
    weights = np.random.default_rng(1).normal(size=images.shape).astype("float32")
    grads = numpy_of(gradient(lambda x: augment.diff_augment(x, seed=9) * weights, images))
    assert np.isfinite(grads).all() and (np.abs(grads) > 0).mean() > 0.5
    ones = np.ones((N, SIZE, SIZE, 1), "float32")
    kept = numpy_of(augment.cutout(ones, seed=5))
    np.testing.assert_allclose(numpy_of(gradient(lambda x: augment.cutout(x, seed=5), ones)), kept)  # 1 where kept


def test_bad_input_is_refused_with_a_fix(images):
    with pytest.raises(ValueError, match="unknown DiffAugment operation 'colour'"):
        augment.DiffAugment("colour,cutout")
    with pytest.raises(ValueError, match="Fix: reshape"):
        augment.diff_augment(images[..., 0], seed=1)
    assert keras.ops.convert_to_numpy(augment.diff_augment(images, policy="", seed=1)).shape == images.shape
