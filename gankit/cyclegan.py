"""CycleGAN (Zhu et al. 2017, arXiv 1703.10593): unpaired translation between two image domains.

Two generators (``g_ab``: A -> B, ``g_ba``: B -> A) and two discriminators (``d_a`` judges
A images, ``d_b`` judges B images). With no pairs to copy, the generators are held to
the input by the cycle: A -> B -> A must give A back. The pieces, each a short function:

* :func:`lsgan_discriminator_loss`, :func:`lsgan_generator_loss` -- least-squares GAN
  losses (scores pulled to 1 for real, 0 for fake): steadier than cross-entropy here;
* :func:`cycle_loss` -- L1 between an image and its round trip, weight lambda = 10;
* :func:`identity_loss` -- L1 between a B image and ``g_ab`` of it (a generator shown
  its own target domain should leave it alone), weight 0.5 x lambda; it keeps colours;
* :func:`cycle_term`, :func:`identity_term` -- both round trips, both identity pairs, weighted;
  :func:`generator_objective` -- adversarial + lambda x cycle + 0.5 x lambda x identity
  (notebook 03's exercises have the same signatures, and ``CycleGAN`` trains with the
  learner's functions when they are passed to it);
* :class:`ImagePool` -- the discriminators learn from a random sample of up to 50 earlier
  generated images as well as the newest, which reduces the players' oscillation;
* :class:`CycleGAN` -- a :class:`gankit.steps.Game`: D_A, then D_B, then both
  generators, in one compiled step on every backend;
* :func:`schedule` -- steps, round length and identity-comparison steps, from a profile
  (any of them may be left to the paper's choice);
* :func:`translate` and :class:`Snapshots` -- the same test images translated as training
  moves, for before/after grids (kept as 8-bit images, on disk when they grow large).

The defaults are the paper's settings (256x256, 9 residual blocks, lambda 10, pool 50,
Adam 2e-4 with beta_1 0.5, constant for the first half, then linearly down to 0).
"""

from __future__ import annotations

import os
import pathlib
import tempfile
import time

import keras
import numpy as np
from keras import ops

from gankit import steps
from gankit.blocks import patchgan, resnet_generator
from gankit.trainer import HoldThenDecay
from gankit.utils import to_numpy


# -- losses ---------------------------------------------------------------------------------------

def lsgan_discriminator_loss(real_scores, fake_scores):
    """Least-squares loss of a discriminator: 0.5 * (mean (D(real) - 1)^2 + mean D(fake)^2).

    The 0.5 is the paper's. It sets the value the loss reports (a discriminator that scores
    everything 0.5 reports 0.25, as the generator's loss then does), not the pace: Adam takes
    the same steps on a loss multiplied by a constant.
    """
    return 0.5 * (ops.mean(ops.square(real_scores - 1.0)) + ops.mean(ops.square(fake_scores)))


def lsgan_generator_loss(fake_scores):
    """Least-squares loss of a generator: mean (D(fake) - 1)^2, small when D calls the fakes real."""
    return ops.mean(ops.square(fake_scores - 1.0))


def cycle_loss(real, reconstructed):
    """Mean absolute difference between images and their round trip (A -> B -> A against A)."""
    return ops.mean(ops.abs(reconstructed - real))


def identity_loss(real, same):
    """Mean absolute difference between target-domain images and their translation (G_AB(B) against B)."""
    return ops.mean(ops.abs(same - real))


def cycle_term(g_ab, g_ba, a, b, weight):
    """``weight`` x both round trips' L1: G_BA(G_AB(a)) against ``a`` plus G_AB(G_BA(b)) against ``b``.

    The signature of notebook 03's Exercise 3; ``g_ab`` and ``g_ba`` are called like models.
    """
    return weight * (cycle_loss(a, g_ba(g_ab(a))) + cycle_loss(b, g_ab(g_ba(b))))


def identity_term(g_ab, g_ba, a, b, weight):
    """``weight`` x both identity pairs' L1: G_AB(b) against ``b`` plus G_BA(a) against ``a`` (Exercise 4's signature)."""
    return weight * (identity_loss(b, g_ab(b)) + identity_loss(a, g_ba(a)))


def generator_objective(adversarial, cycle, identity, cycle_weight, identity_weight):
    """The generators' whole loss from its three terms (Exercise 5's signature).

    ``adversarial`` is both generators' LSGAN losses summed; ``cycle`` and ``identity`` are
    the unweighted terms (weight 1). The cycle is weighted by ``cycle_weight`` (lambda) and
    the identity by ``identity_weight`` x ``cycle_weight`` (the paper's 0.5 x lambda).
    """
    return adversarial + cycle_weight * cycle + identity_weight * cycle_weight * identity


# -- the history pool -----------------------------------------------------------------------------

class ImagePool(keras.layers.Layer):
    """A history of generated images: calling it with a batch returns the batch the discriminator sees.

    Until the pool is full each image is stored and returned as it is; after that each
    image is, with probability 1/2, swapped for a random stored one (returned; the new one
    takes its place) and otherwise returned as it is (Shrivastava et al. 2017, as in the
    CycleGAN code). ``capacity=0`` turns the pool off.

    Held INSIDE the compiled step, as non-trainable variables of this layer (the images,
    a count, a seed): a host-side pool would need the fakes copied out of the compiled
    step and back in, every step, and would be a second copy of the game's state that a
    checkpoint could miss. As variables, the TensorFlow step assigns them in place and the
    JAX step carries them in and out with every other variable (``gankit.steps``); the
    CycleGAN's fakes are made inside that step, so the pool needs no extra forward pass.
    The batch is taken image by image in a loop (``keras.ops.fori_loop``), so two images
    of one batch can never claim the same free slot.
    """

    def __init__(self, capacity: int = 50, image_shape: tuple = (256, 256, 3), seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if capacity < 0:
            raise ValueError(f"capacity must be 0 or more, got {capacity}. Fix: capacity=50 (the paper's).")
        self.capacity, self.image_shape = int(capacity), tuple(image_shape)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.images = self.add_weight(shape=(max(self.capacity, 1), *self.image_shape), initializer="zeros",
                                      trainable=False, name="images")
        self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="count")
        self.built = True

    def call(self, fakes):
        fakes = ops.stop_gradient(fakes)  # the pool feeds the discriminator only
        if self.capacity == 0:
            return fakes
        if tuple(fakes.shape[1:]) != self.image_shape:
            raise ValueError(f"the pool holds images of shape {self.image_shape}, got a batch of shape "
                             f"{tuple(fakes.shape)}. Fix: give ImagePool the generator's output shape.")
        # Every random draw is made before the loop, so that its body is a pure function of its carry.
        n = ops.shape(fakes)[0]  # unknown until run time under tf.function: hence a loop op, not a Python loop
        coins = keras.random.uniform((n,), seed=self.seed_generator)
        slots = keras.random.randint((n,), 0, self.capacity, seed=self.seed_generator)

        def one_image(i, carry):
            pool, count, out = carry
            image = ops.take(fakes, i, axis=0)
            full = count >= self.capacity
            swap = ops.logical_and(full, ops.take(coins, i) < 0.5)
            slot = ops.where(full, ops.take(slots, i), count)  # not full yet: the next free slot
            stored = ops.take(pool, slot, axis=0)
            keep = ops.where(ops.logical_or(ops.logical_not(full), swap), image, stored)
            pool = ops.slice_update(pool, ops.stack([slot, 0, 0, 0]), keep[None])
            out = ops.slice_update(out, ops.stack([i, 0, 0, 0]), ops.where(swap, stored, image)[None])
            return pool, ops.minimum(count + 1, self.capacity), out

        pool, count, out = ops.fori_loop(0, n, one_image, (self.images.value, self.count.value, ops.zeros_like(fakes)))
        self.images.assign(pool)
        self.count.assign(count)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape


# -- the game -------------------------------------------------------------------------------------

def learning_rate(total_steps: int, rate: float = 2e-4) -> HoldThenDecay:
    """The paper's schedule: ``rate`` for the first half of ``total_steps``, then linearly down to 0."""
    return HoldThenDecay(rate, total_steps, hold=0.5)


def adam(total_steps: int, rate: float = 2e-4) -> keras.optimizers.Optimizer:
    """The paper's optimizer: Adam with beta_1=0.5 on :func:`learning_rate`."""
    return keras.optimizers.Adam(learning_rate(total_steps, rate), beta_1=0.5)  # beta_1 0.9 hurts GANs


def schedule(pass_length: int, steps: int | None = None, steps_per_round: int | None = None,
             identity_steps: int | None = None) -> tuple[int, int, int]:
    """``(steps, steps_per_round, identity_steps)`` for a run whose one pass over the data is ``pass_length`` batches.

    Each may be given or left None: ``steps`` defaults to the paper's 200 passes, a round
    to one pass, and the identity comparison to 10 passes (all capped at ``steps``). A round
    never runs past one pass (Keras ends a round when a pass over the data ends) nor past
    ``steps``. So overriding only ``steps`` (e.g. ``steps=60000`` on a GPU) works with any
    profile.
    """
    if pass_length < 1:
        raise ValueError(f"one pass over the data is {pass_length} batches. Fix: load more images or lower batch_size.")
    for name, value in (("steps", steps), ("steps_per_round", steps_per_round), ("identity_steps", identity_steps)):
        if value is not None and (int(value) != value or value < (0 if name == "identity_steps" else 1)):
            raise ValueError(f"{name} is {value!r}; it must be a whole number of steps (or None for the default).")
    steps = 200 * pass_length if steps is None else int(steps)
    steps_per_round = min(pass_length if steps_per_round is None else int(steps_per_round), pass_length, steps)
    identity_steps = min(10 * pass_length, steps) if identity_steps is None else min(int(identity_steps), steps)
    return steps, steps_per_round, identity_steps


class _Training:
    """A generator as the generators' loss sees it in one step: in training mode, each output made once.

    Called twice on the same tensor (``g_ab(a)`` for the adversarial term and again inside a
    cycle term), it returns the first output: the step computes each translation once, as a
    hand-written loss would, and the gradient is the same whichever function asked for it.
    """

    def __init__(self, model):
        self.model, self._made = model, []

    def __call__(self, images, training=True):
        for given, made in self._made:
            if given is images:
                return made
        made = self.model(images, training=True)
        self._made.append((images, made))
        return made

    def __repr__(self):
        return f"<generator {self.model.name}, training>"


class CycleGAN(steps.Game):
    """Two generators and two least-squares PatchGAN discriminators trained together; ``fit`` takes batches ``(a, b)``.

    One step: ``d_a`` on real A against pooled ``g_ba(b)``, then ``d_b`` on real B against
    pooled ``g_ab(a)``, then both generators on adversarial + ``cycle_weight`` x cycle +
    ``identity_weight`` x ``cycle_weight`` x identity. Logs ``d_a_loss``, ``d_b_loss``,
    ``g_loss``, ``cycle`` and ``identity`` (the last two unweighted). ``width``/``blocks``
    size the generators, ``d_width``/``d_layers`` the discriminators.

    The losses are arguments, with the package's as defaults (the paper's, which train
    exactly as they always have): ``discriminator_loss(real_scores, fake_scores)``,
    ``generator_loss(fake_scores)``, ``cycle_term(g_ab, g_ba, a, b, weight)``,
    ``identity_term(g_ab, g_ba, a, b, weight)`` and ``generator_objective(adversarial,
    cycle, identity, cycle_weight, identity_weight)``, the signatures of notebook 03's
    exercises, so a learner's own functions train the model. The step calls the two terms
    with weight 1 (what it logs) and leaves the weighting to ``generator_objective``; the
    generators they are given make each translation once per step (a second call on the
    same tensor returns the first result). With ``identity_weight`` 0 the identity term is
    not computed and counts as 0.
    """

    def __init__(self, image_size: int = 256, channels: int = 3, width: int = 64, blocks: int = 9,
                 d_width: int = 64, d_layers: int = 3, cycle_weight: float = 10.0, identity_weight: float = 0.5,
                 pool_size: int = 50, seed: int | None = None, discriminator_loss=lsgan_discriminator_loss,
                 generator_loss=lsgan_generator_loss, cycle_term=cycle_term, identity_term=identity_term,
                 generator_objective=generator_objective, **kwargs):
        super().__init__(**kwargs)
        losses = dict(discriminator_loss=discriminator_loss, generator_loss=generator_loss, cycle_term=cycle_term,
                      identity_term=identity_term, generator_objective=generator_objective)
        for name, function in losses.items():
            if not callable(function):
                raise ValueError(f"{name} must be a function, got {type(function).__name__}. Fix: pass the function "
                                 f"itself, without calling it (e.g. {name}={name}).")
        self.loss_functions = losses
        self.g_ab = resnet_generator(image_size, channels, width, blocks, name="g_ab")
        self.g_ba = resnet_generator(image_size, channels, width, blocks, name="g_ba")
        self.d_a = patchgan(image_size, channels, d_width, d_layers, name="d_a")
        self.d_b = patchgan(image_size, channels, d_width, d_layers, name="d_b")
        shape = (image_size, image_size, channels)
        seeds = (None, None) if seed is None else (seed, seed + 1)
        self.pool_a = ImagePool(pool_size, shape, seed=seeds[0], name="pool_a")  # fake A images, for d_a
        self.pool_b = ImagePool(pool_size, shape, seed=seeds[1], name="pool_b")  # fake B images, for d_b
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        self.track("d_a_loss", "d_b_loss", "g_loss", "cycle", "identity")

    def compile(self, d_a_optimizer, d_b_optimizer, g_optimizer, **kwargs):
        """One optimizer per player (e.g. three times :func:`adam`); the generators share one."""
        self.optimizers = d_a_optimizer, d_b_optimizer, g_optimizer
        self.compile_players(**kwargs)

    def players(self):
        d_a_opt, d_b_opt, g_opt = self.optimizers
        return [steps.Player("d_a", self.d_a.trainable_variables, d_a_opt, self.d_a_loss),
                steps.Player("d_b", self.d_b.trainable_variables, d_b_opt, self.d_b_loss),
                steps.Player("g", self.g_ab.trainable_variables + self.g_ba.trainable_variables, g_opt, self.g_loss)]

    def prepare_batch(self, data):
        """``(a, b, pooled fake A, pooled fake B)``: fakes made once, before any update, for both discriminators."""
        a, b, _ = keras.utils.unpack_x_y_sample_weight(data)
        if b is None:
            raise ValueError("CycleGAN.fit needs batches of two domains, (a, b). Fix: pass "
                             "images.ImageBatches(a, b, paired=False, ...) or fit(a, b).")
        fake_a, fake_b = self.g_ba(b, training=True), self.g_ab(a, training=True)
        return a, b, self.pool_a(fake_a), self.pool_b(fake_b)

    def d_a_loss(self, batch):
        a, _, fake_a, _ = batch
        return self.loss_functions["discriminator_loss"](self.d_a(a, training=True), self.d_a(fake_a, training=True))

    def d_b_loss(self, batch):
        _, b, _, fake_b = batch
        return self.loss_functions["discriminator_loss"](self.d_b(b, training=True), self.d_b(fake_b, training=True))

    def g_loss(self, batch):
        a, b, _, _ = batch
        losses = self.loss_functions
        g_ab, g_ba = _Training(self.g_ab), _Training(self.g_ba)  # each translation made once in this step
        fake_b, fake_a = g_ab(a), g_ba(b)
        adversarial = (losses["generator_loss"](self.d_b(fake_b, training=True))
                       + losses["generator_loss"](self.d_a(fake_a, training=True)))
        cycle = losses["cycle_term"](g_ab, g_ba, a, b, 1.0)  # unweighted: the objective weighs it
        identity = ops.zeros(())
        if self.identity_weight:  # G_AB shown B should leave it alone (and G_BA shown A)
            identity = losses["identity_term"](g_ab, g_ba, a, b, 1.0)
        total = losses["generator_objective"](adversarial, cycle, identity, self.cycle_weight, self.identity_weight)
        return total, {"cycle": cycle, "identity": identity}

    def call(self, a, training=False):
        """Translate A images to B (``g_ab``)."""
        return self.g_ab(a, training=training)


# -- watching a run -------------------------------------------------------------------------------

def translate(generator, images, batch_size: int = 16) -> np.ndarray:
    """``generator`` applied to ``images`` (float, [-1, 1]) in batches, in inference mode, as a NumPy array."""
    images = np.asarray(images, dtype="float32")
    parts = [to_numpy(generator(images[i:i + batch_size], training=False)) for i in range(0, len(images), batch_size)]
    return np.concatenate(parts) if parts else images[:0]


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """[-1, 1] floats to 8-bit pixels, rounded (what a PNG of them holds)."""
    return np.clip(np.rint((np.asarray(images, "float32") + 1.0) * 127.5), 0, 255).astype("uint8")


class Frames:
    """One watched set's frames, oldest first: ``frames[i]`` is float32 in [-1, 1], like ``translate``'s result.

    The newest frame is kept exactly (float32), for measures taken at the end of a run;
    every frame is also stored as 8-bit pixels (a quarter of the memory), in memory or,
    once ``Snapshots`` has moved to disk, as ``.npy`` files read back on demand.
    """

    def __init__(self, owner, name: str):
        self._owner, self._name, self._stored, self._latest = owner, name, [], None

    def __len__(self) -> int:
        return len(self._stored)

    def __getitem__(self, index: int) -> np.ndarray:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"frame {index} of {len(self)}")
        index %= len(self)
        if index == len(self) - 1 and self._latest is not None:
            return self._latest
        stored = self._stored[index]
        pixels = np.load(stored) if isinstance(stored, pathlib.Path) else stored
        return pixels.astype("float32") / 127.5 - 1.0

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def append(self, images: np.ndarray) -> None:
        pixels = _to_uint8(images)
        directory = self._owner._directory_for(pixels.nbytes)
        if directory is None:
            self._stored.append(pixels)
        else:
            slug = "".join(c if c.isalnum() else "_" for c in self._name).strip("_")
            path = directory / f"{slug}_{len(self._stored):04d}.npy"
            np.save(path, pixels)
            self._stored.append(path)
        self._latest = np.asarray(images, "float32")


class Snapshots(keras.callbacks.Callback):
    """The same test images translated at the start and after every epoch: ``frames[name]`` and ``steps``.

    ``images`` maps a name to ``(generator attribute, images)``, e.g.
    ``{"photo -> Monet": ("g_ba", photos)}``; each frame holds ``gan.<attribute>`` applied to
    those images. ``steps`` says how many training steps each frame had seen and
    ``seconds`` how long training had run by then (the snapshots' own time left out).

    Memory stays bounded on a long run: frames are kept as 8-bit pixels (the newest one
    also exactly, as float32); with ``directory`` they are written there as ``.npy`` files
    (e.g. under ``runs/``, to keep them), and without one they move to a temporary folder
    once they would take more than ``memory_mb`` megabytes. ``frames[name][i]`` reads
    either kind back as float32 in [-1, 1].
    """

    def __init__(self, images: dict, directory=None, memory_mb: float = 512):
        super().__init__()
        self.images = {name: (attribute, np.asarray(x, dtype="float32")) for name, (attribute, x) in images.items()}
        self.directory = None if directory is None else pathlib.Path(directory)
        self.memory_mb, self._in_memory = float(memory_mb), 0
        self.frames = {name: Frames(self, name) for name in self.images}
        self.steps, self.seconds = [], []
        self._start, self._spent, self._step = None, 0.0, 0

    def _directory_for(self, nbytes: int):
        """Where the next frame goes: None (memory) while under ``memory_mb``, else a folder."""
        if self.directory is None and self._in_memory + nbytes > self.memory_mb * 1e6:
            self.directory = pathlib.Path(tempfile.mkdtemp(prefix="gankit-snapshots-"))
            print(f"Snapshots: more than {self.memory_mb:g} MB of frames; the next ones go to {self.directory}")
        if self.directory is None:
            self._in_memory += nbytes
            return None
        os.makedirs(self.directory, exist_ok=True)
        return self.directory

    def _snapshot(self) -> None:
        began = time.perf_counter()
        for name, (attribute, x) in self.images.items():
            self.frames[name].append(translate(getattr(self.model, attribute), x))
        self.steps.append(self._step)
        self.seconds.append(round(began - self._start - self._spent, 1))
        self._spent += time.perf_counter() - began

    def on_train_begin(self, logs=None):
        if self._start is None:
            self._start = time.perf_counter()
            self._snapshot()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs:  # JAX runs ahead of Python: wait for the step before reading the clock
            float(np.asarray(next(iter(logs.values()))))
        self._snapshot()
