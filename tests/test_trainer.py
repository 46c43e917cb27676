"""The fused GAN step, reproducibility, resuming from checkpoints, and the toggling reference loop (gankit.bench).

Tiny models on random "images" of 16 pixels keep every test to seconds. Run the file
under each backend: ``KERAS_BACKEND=tensorflow pytest`` and ``KERAS_BACKEND=jax pytest``.
"""

import keras
import numpy as np
import pytest
from keras import layers, ops

from gankit import bench, callbacks, steps, trainer
from gankit.checks import weights_of
from gankit.seeding import seed_everything

pytestmark = pytest.mark.backends  # bin/test runs this file under TensorFlow and JAX


LATENT_DIM = 4
PIXELS = 16


def tiny_generator():
    """Batch norm inside, so the step must carry non-trainable state."""
    return keras.Sequential([keras.Input((LATENT_DIM,)), layers.Dense(16), layers.BatchNormalization(),
                             layers.ReLU(), layers.Dense(PIXELS, activation="tanh")], name="generator")


def tiny_discriminator():
    """Dropout inside, so the step must carry a random seed state."""
    return keras.Sequential([keras.Input((PIXELS,)), layers.Dense(16), layers.LeakyReLU(0.2),
                             layers.Dropout(0.3), layers.Dense(1)], name="discriminator")


def make_gan(model_seed=0, d_loss_fn=None, g_loss_fn=None):
    seed_everything(model_seed)
    gan = trainer.GAN(tiny_generator(), tiny_discriminator(), LATENT_DIM, seed=7)
    gan.compile(keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5),
                d_loss_fn=d_loss_fn, g_loss_fn=g_loss_fn)
    return gan


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(-1, 1, size=(32, PIXELS)).astype("float32")


STEPS_PER_EPOCH, STOP_AT, TOTAL = 4, 6, 10  # 32 images in batches of 8; stop mid-way through epoch 2


@pytest.fixture(scope="module")
def runs(images, tmp_path_factory):
    """Three runs shared by the tests below (compiling a step takes seconds on JAX):

    * ``straight``: TOTAL steps without a break;
    * ``interrupted``: the same seed, stopped after STOP_AT steps with a checkpoint;
    * ``resumed``: new objects with other starting weights, resumed from that checkpoint to TOTAL.
    """
    folder = tmp_path_factory.mktemp("checkpoints")
    straight = make_gan()
    initial = {"generator": weights_of(straight.generator), "discriminator": weights_of(straight.discriminator)}
    samples = callbacks.SampleGrid(LATENT_DIM, n=4, directory=folder / "samples", gif=folder / "progress.gif")
    straight_history = trainer.train(straight, images, epochs=3, batch_size=8, max_steps=TOTAL, verbose=0,
                                     callbacks=[samples])
    interrupted = make_gan()
    interrupted_history = trainer.train(interrupted, images, epochs=3, batch_size=8, max_steps=STOP_AT,
                                        checkpoint_dir=folder, checkpoint_every=4, verbose=0)
    saved = callbacks.checkpoint_meta(folder)
    resumed = make_gan(model_seed=123)  # new objects, other starting weights and global seed
    trainer.train(resumed, images, epochs=3, batch_size=8, max_steps=TOTAL,
                  checkpoint_dir=folder, checkpoint_every=4, verbose=0)
    return dict(straight=straight, initial=initial, straight_history=straight_history, samples=samples,
                interrupted_history=interrupted_history, saved=saved, resumed=resumed, folder=folder)


def test_training_changes_both_models(runs):
    gan, history = runs["straight"], runs["straight_history"]
    assert set(history.steps) == {"d_loss", "g_loss", "d_accuracy"}
    assert len(history.steps["d_loss"]) == TOTAL
    assert all(np.all(np.isfinite(values)) for values in history.steps.values())
    assert all(0.0 <= a <= 1.0 for a in history.epochs["d_accuracy"])
    for name in ("generator", "discriminator"):
        after = weights_of(getattr(gan, name))
        assert any(not np.allclose(b, a) for b, a in zip(runs["initial"][name], after)), f"the {name} did not train"
    assert int(gan.g_optimizer.iterations) == int(gan.d_optimizer.iterations) == TOTAL


def test_sample_grid_keeps_a_frame_per_epoch(runs):
    samples = runs["samples"]
    assert samples.epochs == [0, 1, 2, 3]  # before training, then after each epoch (the last one cut short)
    assert all(frame.shape == (4, PIXELS) for frame in samples.frames)
    assert not np.allclose(samples.frames[0], samples.frames[-1]), "the samples did not change while training"
    assert sorted(p.name for p in (runs["folder"] / "samples").iterdir())[0] == "epoch_0000.png"
    assert (runs["folder"] / "progress.gif").stat().st_size > 0


def test_same_seed_same_losses(runs):
    first, second = runs["straight_history"].steps, runs["interrupted_history"].steps
    assert len(second["d_loss"]) == STOP_AT
    for name in ("d_loss", "g_loss"):
        np.testing.assert_allclose(first[name][:STOP_AT], second[name], rtol=1e-5, atol=1e-6)


def test_resume_continues_as_if_never_stopped(runs):
    straight, resumed = runs["straight"], runs["resumed"]
    assert runs["saved"]["step"] == STOP_AT
    assert int(resumed.g_optimizer.iterations) == TOTAL
    for a, b in zip(weights_of(straight), weights_of(resumed)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for a, b in zip(straight.optimizer.variables, resumed.optimizer.variables):
        np.testing.assert_allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b), rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(ops.convert_to_numpy(straight.seed_generator.state),
                                  ops.convert_to_numpy(resumed.seed_generator.state))


def test_resume_with_other_settings_is_refused(images, runs):
    with pytest.raises(ValueError, match="batch_size=8"):
        trainer.train(make_gan(), images, epochs=2, batch_size=16, checkpoint_dir=runs["folder"], verbose=0)


def learner_discriminator_loss(real_logits, fake_logits):
    """How notebook 02's exercise writes it: keras.ops only."""
    real_loss = ops.mean(ops.binary_crossentropy(ops.ones_like(real_logits), real_logits, from_logits=True))
    fake_loss = ops.mean(ops.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True))
    return 0.5 * (real_loss + fake_loss)


def learner_generator_loss(fake_logits):
    return ops.mean(ops.binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True))


def test_learner_losses_match_the_defaults(images, runs):
    default = runs["straight_history"].steps
    learner = trainer.train(make_gan(d_loss_fn=learner_discriminator_loss, g_loss_fn=learner_generator_loss),
                            images, epochs=1, batch_size=8, verbose=0).steps
    for name in ("d_loss", "g_loss"):
        np.testing.assert_allclose(default[name][:STEPS_PER_EPOCH], learner[name], rtol=1e-4, atol=1e-5)


def test_averaged_generator_is_a_running_average(images):
    seed_everything(0)
    gan = trainer.GAN(tiny_generator(), tiny_discriminator(), LATENT_DIM, seed=7, average_decay=0.9)
    gan.compile(keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5))
    start = weights_of(gan.generator)
    assert gan.sampler is gan.average_generator
    trainer.train(gan, images, epochs=1, batch_size=8, max_steps=1, verbose=0)
    after, average = weights_of(gan.generator), weights_of(gan.average_generator)
    assert any(not np.allclose(a, b) for a, b in zip(start, after)), "the generator did not train"
    for w0, w1, a in zip(start, after, average):  # one step: 0.9 * start + 0.1 * trained
        np.testing.assert_allclose(a, 0.9 * w0 + 0.1 * w1, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        trainer.GAN(tiny_generator(), tiny_discriminator(), LATENT_DIM, average_decay=1.5)


def test_hold_then_decay_schedule():
    schedule = trainer.HoldThenDecay(1e-3, total_steps=100, hold=0.4)
    rates = [float(ops.convert_to_numpy(schedule(step))) for step in (0, 40, 70, 100, 150)]
    np.testing.assert_allclose(rates, [1e-3, 1e-3, 5e-4, 0.0, 0.0], atol=1e-9)
    copy = trainer.HoldThenDecay.from_config(schedule.get_config())
    assert float(ops.convert_to_numpy(copy(70))) == pytest.approx(5e-4)
    with pytest.raises(ValueError, match="hold"):
        trainer.HoldThenDecay(1e-3, total_steps=100, hold=2.0)


def test_progress_bar_counts_the_epochs_of_the_whole_run(images, capsys):
    trainer.train(make_gan(), images, epochs=3, batch_size=8, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 2/3" in out and "Epoch 3/3" in out and "Epoch 2/2" not in out
    assert out.count("4/4") == 3  # one line of 4 steps per epoch
    assert "d_loss" in out and "g_loss" in out


def test_helpful_errors():
    with pytest.raises(ValueError, match="keras.ops.mean"):
        make_gan(d_loss_fn=lambda real, fake: real - fake)
    with pytest.raises(ValueError, match="latent_dim"):
        trainer.GAN(tiny_generator(), tiny_discriminator(), latent_dim=LATENT_DIM + 1)
    with pytest.raises(ValueError, match="discriminator reads"):
        trainer.GAN(tiny_generator(), keras.Sequential([keras.Input((4, 4, 1)), layers.Flatten(), layers.Dense(1)]),
                    LATENT_DIM)
    sigmoid_d = keras.Sequential([keras.Input((PIXELS,)), layers.Dense(1, activation="sigmoid")])
    gan = trainer.GAN(tiny_generator(), sigmoid_d, LATENT_DIM)
    with pytest.raises(ValueError, match="sigmoid"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    frozen = tiny_discriminator()
    frozen.trainable = False
    with pytest.raises(ValueError, match="frozen"):
        trainer.GAN(tiny_generator(), frozen, LATENT_DIM).compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    with pytest.raises(ValueError, match="scale"):
        trainer.train(make_gan(), np.full((16, PIXELS), 255.0), epochs=1, batch_size=8, verbose=0)


def test_toggling_reference_trains_both_models(images):
    seed_everything(0)
    classic = bench.TogglingGAN(tiny_generator(), tiny_discriminator(), LATENT_DIM, learning_rate=1e-2)
    g_before, d_before = weights_of(classic.generator), weights_of(classic.discriminator)
    history = classic.train(images, steps=3, batch_size=8)
    assert np.all(np.isfinite(history["d_loss"])) and np.all(np.isfinite(history["g_loss"]))
    assert any(not np.allclose(b, a) for b, a in zip(d_before, weights_of(classic.discriminator))), \
        "the discriminator did not train: the trainable toggle is not working"
    assert any(not np.allclose(b, a) for b, a in zip(g_before, weights_of(classic.generator)))


def test_gan_is_a_two_player_game_and_old_imports_still_work():
    gan = make_gan()
    assert isinstance(gan, steps.Game)
    players = gan.players()
    assert [p.name for p in players] == ["d", "g"]  # the discriminator first, then the generator
    assert [p.optimizer for p in players] == [gan.d_optimizer, gan.g_optimizer]
    assert {id(v) for v in players[0].variables} == {id(v) for v in gan.discriminator.trainable_variables}
    assert {id(v) for v in players[1].variables} == {id(v) for v in gan.generator.trainable_variables}
    from gankit import trainer
    from gankit.trainer import bce_losses  # notebook 02's import

    assert callable(bce_losses) and not hasattr(trainer, "TogglingGAN")  # the classic recipe lives in bench
