"""gankit.steps: one step computed by hand, and the shapes of the next variants (CycleGAN, pix2pix) on tiny tensors.

Run under each backend (``bin/test`` does): TensorFlow, then JAX.
"""

import keras
import numpy as np
import pytest
from keras import layers, ops

from gankit import steps, trainer
from gankit.checks import weights_of
from gankit.seeding import seed_everything

pytestmark = pytest.mark.backends  # bin/test runs this file under TensorFlow and JAX


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_one_fused_step_matches_a_hand_computation():
    """Linear G and D, plain SGD: D's step on real and fake, then G's step against the UPDATED D, in NumPy."""
    rng = np.random.default_rng(0)
    latent, pixels, batch, lr_d, lr_g = 2, 3, 4, 0.3, 0.2
    Wg, bg = rng.normal(size=(latent, pixels)), rng.normal(size=pixels)
    Wd, bd = rng.normal(size=(pixels, 1)), rng.normal(size=1)
    real = rng.uniform(-1, 1, size=(batch, pixels))
    G = keras.Sequential([keras.Input((latent,)), layers.Dense(pixels)], name="generator")
    D = keras.Sequential([keras.Input((pixels,)), layers.Dense(1)], name="discriminator")
    G.set_weights([Wg.astype("float32"), bg.astype("float32")])
    D.set_weights([Wd.astype("float32"), bd.astype("float32")])
    gan = trainer.GAN(G, D, latent, seed=11)
    gan.compile(keras.optimizers.SGD(lr_d), keras.optimizers.SGD(lr_g))
    noise = keras.random.SeedGenerator(11)  # the same stream as the GAN's: D's noise first, then G's
    z_d, z_g = (ops.convert_to_numpy(keras.random.normal((batch, latent), seed=noise)).astype("float64")
                for _ in range(2))
    logs = gan.fit(real.astype("float32"), batch_size=batch, epochs=1, shuffle=False, verbose=0).history

    # 1. The discriminator: mean of the two cross-entropies, gradient by hand, one SGD step.
    fake = z_d @ Wg + bg
    l_real, l_fake = real @ Wd + bd, fake @ Wd + bd
    d_loss = 0.5 * (softplus(-l_real).mean() + softplus(l_fake).mean())
    dl_real, dl_fake = 0.5 * (sigmoid(l_real) - 1) / batch, 0.5 * sigmoid(l_fake) / batch
    Wd1 = Wd - lr_d * (real.T @ dl_real + fake.T @ dl_fake)
    bd1 = bd - lr_d * (dl_real.sum(0) + dl_fake.sum(0))
    accuracy = np.concatenate([l_real > 0, l_fake <= 0]).mean()
    # 2. The generator: fresh noise, scored by the discriminator AFTER its step.
    logits = (z_g @ Wg + bg) @ Wd1 + bd1
    g_loss = softplus(-logits).mean()
    d_fake = ((sigmoid(logits) - 1) / batch) @ Wd1.T
    Wg1, bg1 = Wg - lr_g * z_g.T @ d_fake, bg - lr_g * d_fake.sum(0)

    for got, want in zip(G.get_weights() + D.get_weights(), [Wg1, bg1, Wd1, bd1]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose([logs["d_loss"][0], logs["g_loss"][0]], [d_loss, g_loss], rtol=1e-5)
    assert logs["d_accuracy"][0] == pytest.approx(accuracy)


# -- a CycleGAN-shaped variant: two generators, two discriminators, images in -------------------

PIXELS = 6


def translator(name):
    """Batch norm inside, so the step must carry non-trainable state out."""
    return keras.Sequential([keras.Input((PIXELS,)), layers.Dense(8), layers.BatchNormalization(), layers.ReLU(),
                             layers.Dense(PIXELS, activation="tanh")], name=name)


def critic(name, inputs=PIXELS):
    """Dropout inside, so the step must carry its seed out."""
    return keras.Sequential([keras.Input((inputs,)), layers.Dense(8), layers.LeakyReLU(0.2), layers.Dropout(0.3),
                             layers.Dense(1)], name=name)


def mse(a, b):
    return ops.mean(ops.square(a - b))


class ToyCycleGAN(steps.Game):
    """Least-squares CycleGAN in miniature: D_A, then D_B, then both generators, in one step."""

    def __init__(self, cycle_weight=10.0):
        super().__init__()
        self.g_ab, self.g_ba = translator("g_ab"), translator("g_ba")
        self.d_a, self.d_b = critic("d_a"), critic("d_b")
        self.cycle_weight = cycle_weight
        self.track("d_a_loss", "d_b_loss", "g_loss", "cycle")

    def compile(self, d_a_optimizer, d_b_optimizer, g_optimizer):
        self.optimizers = d_a_optimizer, d_b_optimizer, g_optimizer
        self.compile_players()

    def players(self):
        d_a_opt, d_b_opt, g_opt = self.optimizers
        return [steps.Player("d_a", self.d_a.trainable_variables, d_a_opt, lambda batch: self.d_loss(self.d_a, *batch)),
                steps.Player("d_b", self.d_b.trainable_variables, d_b_opt,
                             lambda batch: self.d_loss(self.d_b, *batch[::-1])),
                steps.Player("g", self.g_ab.trainable_variables + self.g_ba.trainable_variables, g_opt, self.g_loss)]

    def prepare_batch(self, data):
        a, b, _ = keras.utils.unpack_x_y_sample_weight(data)
        return a, b

    def d_loss(self, d, own, other):
        """``d`` tells its domain's images (``own``) from translations of the other domain's."""
        g = self.g_ba if d is self.d_a else self.g_ab
        fake = g(other, training=True)
        return 0.5 * (mse(d(own, training=True), 1.0) + mse(d(fake, training=True), 0.0))

    def g_loss(self, batch):
        a, b = batch
        fake_b, fake_a = self.g_ab(a, training=True), self.g_ba(b, training=True)
        adversarial = mse(self.d_b(fake_b, training=True), 1.0) + mse(self.d_a(fake_a, training=True), 1.0)
        cycle = ops.mean(ops.abs(self.g_ba(fake_b, training=True) - a)) + \
            ops.mean(ops.abs(self.g_ab(fake_a, training=True) - b))
        return adversarial + self.cycle_weight * cycle, {"cycle": cycle}


def domains(n=16):
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (n, PIXELS)).astype("float32")
    return a, np.clip(-a[:, ::-1] + rng.normal(0, 0.1, a.shape), -1, 1).astype("float32")


def moved(before, after):
    return any(not np.allclose(b, a) for b, a in zip(before, after))


def test_cyclegan_shaped_variant_updates_each_player_only():
    seed_everything(0)
    gan = ToyCycleGAN()
    # D_B's optimizer takes steps of size 0: its weights must stay put although G's loss reads D_B.
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.SGD(0.0), keras.optimizers.Adam(1e-2))
    parts = {name: getattr(gan, name) for name in ("g_ab", "g_ba", "d_a", "d_b")}
    trainable = {name: [ops.convert_to_numpy(v) for v in m.trainable_variables] for name, m in parts.items()}
    statistics = [ops.convert_to_numpy(v) for v in gan.g_ab.non_trainable_variables]
    seeds = ops.convert_to_numpy(gan.d_a.layers[2].seed_generator.state)
    a, b = domains()
    history = gan.fit(a, b, batch_size=8, epochs=3, shuffle=False, verbose=0).history

    assert set(history) == {"d_a_loss", "d_b_loss", "g_loss", "cycle"}
    assert all(np.all(np.isfinite(v)) for v in history.values())
    for name, model in parts.items():
        after = [ops.convert_to_numpy(v) for v in model.trainable_variables]
        assert moved(trainable[name], after) == (name != "d_b"), f"{name} moved wrongly"
    assert moved(statistics, [ops.convert_to_numpy(v) for v in gan.g_ab.non_trainable_variables]), \
        "the batch-norm statistics written inside the step were lost"
    assert not np.array_equal(seeds, ops.convert_to_numpy(gan.d_a.layers[2].seed_generator.state)), \
        "the dropout seed written inside the step was lost"
    assert history["cycle"][-1] < history["cycle"][0]
    for optimizer, steps_taken in zip(gan.optimizers, (6, 6, 6)):
        assert int(optimizer.iterations) == steps_taken


# -- a pix2pix-shaped variant: a conditional discriminator and an extra L1 term -------------------

class ToyPix2Pix(steps.Game):
    """The discriminator judges (condition, image) pairs; the generator adds ``l1_weight`` * L1 to its loss."""

    def __init__(self, l1_weight=100.0):
        super().__init__()
        self.generator = translator("generator")
        self.features = keras.Sequential([keras.Input((2 * PIXELS,)), layers.Dense(4)], name="features")
        self.features.trainable = False  # a fixed, pretrained part of D: read, never trained
        self.discriminator = keras.Sequential([keras.Input((2 * PIXELS,)), self.features, layers.Dense(1)],
                                              name="discriminator")
        self.l1_weight = l1_weight
        self.track("d_loss", "g_loss", "l1")

    def compile(self, d_optimizer, g_optimizer):
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.compile_players()

    def players(self):
        return [steps.Player("d", self.discriminator.trainable_variables, self.d_optimizer, self.d_loss),
                steps.Player("g", self.generator.trainable_variables, self.g_optimizer, self.g_loss)]

    def prepare_batch(self, data):
        condition, target, _ = keras.utils.unpack_x_y_sample_weight(data)
        return condition, target

    def judge(self, condition, image):
        return self.discriminator(ops.concatenate([condition, image], axis=-1), training=True)

    def d_loss(self, batch):
        condition, target = batch
        fake = self.generator(condition, training=True)
        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        real_scores, fake_scores = self.judge(condition, target), self.judge(condition, fake)
        return 0.5 * (bce(ops.ones_like(real_scores), real_scores) + bce(ops.zeros_like(fake_scores), fake_scores))

    def g_loss(self, batch):
        condition, target = batch
        fake = self.generator(condition, training=True)
        scores = self.judge(condition, fake)
        l1 = ops.mean(ops.abs(fake - target))
        adversarial = keras.losses.BinaryCrossentropy(from_logits=True)(ops.ones_like(scores), scores)
        return adversarial + self.l1_weight * l1, {"l1": l1}


def test_pix2pix_shaped_variant_trains_with_its_l1_term():
    seed_everything(0)
    gan = ToyPix2Pix()
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(2e-2))
    fixed = weights_of(gan.features)
    d_own = [ops.convert_to_numpy(v) for v in gan.discriminator.trainable_variables]
    g_own = [ops.convert_to_numpy(v) for v in gan.generator.trainable_variables]
    condition, target = domains(32)
    history = gan.fit(condition, target, batch_size=8, epochs=6, shuffle=False, verbose=0).history

    assert set(history) == {"d_loss", "g_loss", "l1"}
    for got, want in zip(weights_of(gan.features), fixed):
        np.testing.assert_array_equal(got, want)  # read by both losses, trained by no player
    assert moved(d_own, [ops.convert_to_numpy(v) for v in gan.discriminator.trainable_variables])
    assert moved(g_own, [ops.convert_to_numpy(v) for v in gan.generator.trainable_variables])
    assert history["l1"][-1] < 0.8 * history["l1"][0], "the L1 term did not pull the generator towards the targets"
    # The logged g_loss is the adversarial loss plus 100 * L1: at least the L1 part.
    assert all(g >= 100 * l1 for g, l1 in zip(history["g_loss"], history["l1"]))


def test_games_refuse_shared_optimizers_idle_weights_and_non_scalar_losses():
    seed_everything(0)
    gan = ToyPix2Pix()
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="one optimizer per player"):
        gan.compile(shared, shared)
    gan = ToyPix2Pix()
    # A game that forgot the discriminator's player: its weights would silently never train.
    gan.players = lambda: [steps.Player("g", gan.generator.trainable_variables, keras.optimizers.Adam(), gan.g_loss)]
    with pytest.raises(ValueError, match="no player trains"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    gan = ToyPix2Pix()
    gan.g_loss = lambda batch: gan.generator(batch[0], training=True)  # one value per pixel, not one number
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    condition, target = domains(8)
    with pytest.raises(ValueError, match="keras.ops.mean"):
        gan.fit(condition, target, batch_size=8, epochs=1, verbose=0)


def test_a_game_trains_without_keras_multi_optimizer(monkeypatch):
    """Keras before 3.15 (Colab, Python 3.10) has no MultiOptimizer: a Game must not need it, and its
    ``optimizer.variables`` (what the JAX step carries and a checkpoint saves) must hold every player's state."""
    monkeypatch.delattr(keras.optimizers, "MultiOptimizer", raising=False)
    seed_everything(0)
    gan = ToyPix2Pix()
    d_opt, g_opt = keras.optimizers.Adam(1e-2), keras.optimizers.Adam(2e-2)
    gan.compile(d_opt, g_opt)
    everyone = gan.optimizer.variables
    # Its own step count and learning rate, then the players' state in the order of the game's weights (G's come
    # first): the layout of MultiOptimizer, so that checkpoints written with it still load.
    assert len(everyone) == 2 + len(d_opt.variables) + len(g_opt.variables)
    assert [id(v) for v in everyone[2:]] == [id(v) for v in g_opt.variables + d_opt.variables]
    before = [ops.convert_to_numpy(v) for v in everyone]
    condition, target = domains(16)
    gan.fit(condition, target, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert int(d_opt.iterations) == int(g_opt.iterations) == 2
    after = [ops.convert_to_numpy(v) for v in gan.optimizer.variables]
    moved_state = [v.name for v, a, b in zip(everyone, before, after) if not np.array_equal(a, b)]
    assert moved_state == [v.name for v in everyone[2:] if v.name != "learning_rate"], "the players' state must move"
    with pytest.raises(NotImplementedError, match="own optimizers"):
        gan.optimizer.apply([], [])
