"""Runs that outlive a session: stop part-way, checkpoint, rebuild, restore, finish; compare with one run.

For each image-to-image and conditional Game (CycleGAN with its image pools, pix2pix with
dropout, the conditional GAN with its averaged generator) and pix2pix's L1-only generator:
train K steps with a Checkpoint callback, clear the session and build the models again
(what a restarted kernel does), restore, train the remaining steps on the same batches,
and require the same weights, pools, seeds and optimizer state as a run that never
stopped. Then the trained generators are saved and loaded back.
"""

import keras
import numpy as np
import pytest

from gankit import callbacks, conditional, cyclegan, pix2pix

pytestmark = [pytest.mark.slow, pytest.mark.backends]  # compiles three games twice

STEPS, STOP, BATCH = 4, 2, 2


def _cyclegan():
    gan = cyclegan.CycleGAN(image_size=16, width=4, blocks=1, d_width=4, d_layers=2, pool_size=3, seed=3)
    gan.compile(cyclegan.adam(STEPS), cyclegan.adam(STEPS), cyclegan.adam(STEPS))
    rng = np.random.default_rng(0)
    data = rng.uniform(-1, 1, (2, STEPS * BATCH, 16, 16, 3)).astype("float32")
    return gan, (data[0], data[1])


def _pix2pix():
    gan = pix2pix.Pix2Pix(16, levels=3, width=4, d_width=4, d_layers=2)
    gan.compile(pix2pix.adam(), pix2pix.adam())
    rng = np.random.default_rng(1)
    data = rng.uniform(-1, 1, (2, STEPS * BATCH, 16, 16, 3)).astype("float32")
    return gan, (data[0], data[1])


def _l1_only():
    model = pix2pix.l1_only(pix2pix.blocks.unet_generator(16, 3, 3, 4, 3, 0.5))
    rng = np.random.default_rng(2)
    data = rng.uniform(-1, 1, (2, STEPS * BATCH, 16, 16, 3)).astype("float32")
    return model, (data[0], data[1])


def _conditional():
    gan = conditional.ConditionalGAN(conditional.conditional_generator(8), conditional.conditional_discriminator(),
                                     8, seed=5, average_decay=0.9)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    rng = np.random.default_rng(3)
    images = rng.uniform(-1, 1, (STEPS * BATCH, 28, 28, 1)).astype("float32")
    return gan, (images, (np.arange(STEPS * BATCH) % 10).astype("int32"))


BUILDERS = {"cyclegan": _cyclegan, "pix2pix": _pix2pix, "l1_only": _l1_only, "conditional": _conditional}


def _build(name):
    keras.backend.clear_session()
    keras.utils.set_random_seed(11)
    return BUILDERS[name]()


def _fit(model, data, start, stop, extra=()):
    x, y = (part[start * BATCH:stop * BATCH] for part in data)
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=list(extra))


def _state(model):
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in model.variables + model.optimizer.variables]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_a_stopped_and_restored_run_ends_where_an_uninterrupted_one_does(name, tmp_path):
    model, data = _build(name)
    _fit(model, data, 0, STEPS)
    whole = _state(model)
    assert callbacks.steps_taken(model) == STEPS

    model, data = _build(name)
    _fit(model, data, 0, STOP, [callbacks.Checkpoint(tmp_path, every=STOP, meta={"run": name})])
    assert callbacks.checkpoint_meta(tmp_path)["step"] == STOP
    moved = _state(model)
    model, data = _build(name)  # a restarted kernel: everything built again from scratch
    fresh = _state(model)
    assert any(not np.array_equal(a, b) for a, b in zip(moved, fresh)), "training changed nothing to restore"
    meta = callbacks.restore_checkpoint(model, tmp_path, expect={"run": name})
    assert meta["step"] == STOP and callbacks.steps_taken(model) == STOP
    _fit(model, data, STOP, STEPS)
    resumed = _state(model)

    assert len(resumed) == len(whole)
    for before, after in zip(whole, resumed):
        np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)
    if name == "cyclegan":  # the pools' images and counts came back too, not only the weights
        pools = [v for v in model.variables if "pool" in v.path or v.path.endswith("count")]
        assert pools and int(keras.ops.convert_to_numpy(model.pool_a.count.value)) == 3


def test_a_checkpoint_of_another_run_is_refused(tmp_path):
    model, data = _build("pix2pix")
    _fit(model, data, 0, 1, [callbacks.Checkpoint(tmp_path, every=1, meta={"batch_size": 2})])
    with pytest.raises(ValueError, match="batch_size=2.*Fix"):
        callbacks.restore_checkpoint(model, tmp_path, expect={"batch_size": 1})
    other = cyclegan.CycleGAN(image_size=16, width=4, blocks=1, d_width=4, d_layers=2, pool_size=3)
    other.compile(cyclegan.adam(4), cyclegan.adam(4), cyclegan.adam(4))
    with pytest.raises(ValueError, match="do not match.*Fix"):
        callbacks.restore_checkpoint(other, tmp_path)


def test_trained_generators_are_saved_and_load_back(tmp_path):
    model, data = _build("cyclegan")
    _fit(model, data, 0, 1)
    paths = callbacks.save_generators(model, tmp_path / "runs")
    assert sorted(p.name for p in paths) == ["g_ab.keras", "g_ba.keras"]
    loaded = keras.models.load_model(paths[0])
    x = data[0][:2]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model.g_ab(x)),
                               rtol=1e-5, atol=1e-5)
