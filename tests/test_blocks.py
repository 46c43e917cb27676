"""gankit.blocks: instance norm and reflection padding against NumPy, the PatchGAN's 70x70 field, the U-Net's skips.

Tiny models and tensors, no training (fast tier).
"""

import keras
import numpy as np
import pytest

from gankit import blocks
from gankit.seeding import seed_everything


def numpy_of(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.backends
def test_instance_norm_normalises_each_image_and_channel_alone():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (2, 5, 4, 3)).astype("float32") * np.array([1, 10, 0.1], "float32")
    got = numpy_of(blocks.InstanceNormalization()(x))
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(got, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-4)
    other = x.copy()
    other[1] *= 50.0  # another image in the batch must not change the first one's output
    np.testing.assert_allclose(numpy_of(blocks.InstanceNormalization()(other))[0], got[0], rtol=1e-5, atol=1e-5)


def test_reflection_padding_mirrors_the_border():
    x = np.arange(2 * 4 * 5 * 3, dtype="float32").reshape(2, 4, 5, 3)
    got = numpy_of(blocks.ReflectionPadding2D(2)(x))
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect"))


def test_resnet_generator_keeps_the_image_shape_and_refuses_odd_sizes():
    seed_everything(0)
    generator = blocks.resnet_generator(16, channels=3, width=4, blocks=2)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    y = numpy_of(generator(x))
    assert y.shape == x.shape and np.abs(y).max() <= 1.0
    assert sum(layer.name.endswith("_add") for layer in generator.layers) == 2  # one shortcut per residual block
    with pytest.raises(ValueError, match="divisible by 4"):
        blocks.resnet_generator(18, width=4, blocks=1)


def test_patchgan_sees_70x70_patches_at_the_papers_settings():
    """Analytically from the layer list: 4x4 kernels, strides 2, 2, 2, 1, 1 -> 70 pixels; 256x256 -> 30x30 scores."""
    d = blocks.patchgan()  # the paper's: 256x256, width 64, 3 stride-2 layers
    kernels_and_strides = [(layer.kernel_size[0], layer.strides[0]) for layer in d.layers
                           if isinstance(layer, keras.layers.Conv2D)]
    assert kernels_and_strides == [(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]
    field = 1
    for kernel, stride in reversed(kernels_and_strides):  # by hand: 1 -> 4 -> 7 -> 16 -> 34 -> 70
        field = (field - 1) * stride + kernel
    assert field == 70 == blocks.receptive_field(d)
    assert d.output_shape == (None, 30, 30, 1)
    assert blocks.receptive_field(blocks.patchgan(64, width=8, layers_down=1)) == 16  # the paper's 16x16 PatchGAN


def test_patchgan_score_depends_on_exactly_its_70x70_window():
    """Measured: with no instance norm (its statistics span the image), score (5, 5) reads rows/columns 17..86."""
    seed_everything(0)
    d = blocks.patchgan(96, channels=1, width=2, norm=False)
    x = np.random.default_rng(0).normal(size=(1, 96, 96, 1)).astype("float32")
    base = numpy_of(d(x))[0, 5, 5, 0]
    first = 5 * 8 - 23  # output pixel i starts at 8 i minus the padding (1 pixel at jumps 1, 2, 4, 8, 8 = 23)
    outside = x.copy()
    outside[:, :first], outside[:, first + 70:], outside[:, :, :first], outside[:, :, first + 70:] = 9.0, 9.0, 9.0, 9.0
    assert numpy_of(d(outside))[0, 5, 5, 0] == pytest.approx(base, abs=1e-6)
    for row, col in ((first, first), (first + 69, first + 69), (first, first + 69)):
        poked = x.copy()
        poked[0, row, col, 0] += 100.0
        assert abs(numpy_of(d(poked))[0, 5, 5, 0] - base) > 1e-6, f"pixel ({row}, {col}) should reach score (5, 5)"


@pytest.mark.parametrize("notebook, profiles", [
    ("03_cyclegan", {"standard": (0.2, 0.3), "gpu": (0.5, 0.6), "full": (0.2, 0.3)}),  # gpu: the paper's 70 px at 128
    ("04_pix2pix", {"standard": (0.2, 0.3), "gpu": (0.2, 0.3), "full": (0.2, 0.3)}),
])
def test_the_image_to_image_profiles_judge_the_patches_their_notebooks_state(notebook, profiles):
    """03 and 04 say their standard discriminators see 16 of 64 pixels, a quarter of the side as the paper's 70
    of 256 (and 03's gpu profile, the paper's depth at 128 px, about half): the fields of the profiles as written."""
    import pathlib

    from gankit.profiles import notebook_profile

    path = pathlib.Path(__file__).resolve().parents[1] / "solutions" / notebook / f"{notebook}.ipynb"
    for name, (low, high) in profiles.items():
        settings = notebook_profile(path, name)
        field = blocks.receptive_field(blocks.patchgan(settings["image_size"], width=4, layers_down=settings["d_layers"]))
        assert low <= field / settings["image_size"] <= high, (
            f"{notebook} {name}: each score sees {field} of {settings['image_size']} pixels")
        if name == "standard":
            assert field == 16 and settings["image_size"] == 64


def test_unet_joins_each_skip_to_its_own_level():
    seed_everything(0)
    levels, size = 4, 32
    unet = blocks.unet_generator(size, channels=3, width=4, levels=levels)
    assert unet.output_shape == (None, size, size, 3)
    for i in range(1, levels):
        skip, up = unet.get_layer(f"skip{i}").input
        assert skip is unet.get_layer(f"down{i}").output, f"skip{i} must take the encoder's level {i} first"
        assert up is unet.get_layer(f"up{i}").output
        side = size // 2 ** i
        assert tuple(skip.shape) == (None, side, side, 4 * min(2 ** (i - 1), 8))
        assert tuple(up.shape) == (None, side, side, 4 * min(2 ** (i - 1), 8))
    assert tuple(unet.get_layer(f"down{levels}").output.shape) == (None, size // 2 ** levels, size // 2 ** levels, 32)


def test_unet_skips_carry_the_input_past_a_dead_bottleneck():
    """Ablation: the deepest level zeroed, the bottleneck says nothing, yet the output still follows the input."""
    seed_everything(0)
    unet = blocks.unet_generator(16, channels=3, width=4, levels=3)
    deepest = unet.get_layer("down3_conv")
    deepest.set_weights([np.zeros_like(w) for w in deepest.get_weights()])
    probe = keras.Model(unet.input, [unet.get_layer("down3").output, unet.output])
    rng = np.random.default_rng(0)
    x1, x2 = (rng.uniform(-1, 1, (1, 16, 16, 3)).astype("float32") for _ in range(2))
    (bottleneck1, y1), (bottleneck2, y2) = (map(numpy_of, probe(x, training=False)) for x in (x1, x2))
    assert not bottleneck1.any() and not bottleneck2.any()
    assert np.abs(y1 - y2).mean() > 1e-3, "with a silent bottleneck only the skips can carry the input; they did not"


def test_unet_refuses_sizes_its_levels_cannot_halve():
    with pytest.raises(ValueError, match="Fix: crop or resize"):
        blocks.unet_generator(48, levels=5, width=2)
