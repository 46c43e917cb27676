"""Train a GAN with one fused step: update the discriminator, then the generator.

Two ways to train, from most to least convenient:

* :func:`train` -- ``train(gan, images, epochs, batch_size, checkpoint_dir=...)``: a
  reproducible data order, a loss history, and checkpoints that a restarted run
  resumes from (same weights, optimizer state, step and random state).
* ``gan.fit(images, epochs=..., batch_size=...)`` -- plain Keras, with its progress bar.

One training step of :class:`GAN`, the same on every backend:

1. draw noise, make a fake batch, and score the real and fake images in ONE
   discriminator call on the concatenated batch; update the discriminator;
2. draw fresh noise, score the new fakes with the updated discriminator, and
   update the generator so that the discriminator calls them real.

``GAN`` only states these two losses and which weights each one trains (its
:meth:`GAN.players`); :mod:`gankit.steps` runs them, compiled, on TensorFlow and JAX.
The classic ``trainable``-toggling loop that ``python -m gankit.bench`` compares
against lives in :mod:`gankit.bench` (``TogglingGAN``).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from gankit import steps

# Labels the discriminator learns: real images are 1, fakes are 0.
REAL, FAKE = 1.0, 0.0


def bce_losses(from_logits: bool = True):
    """The default (non-saturating) GAN losses: ``(discriminator_loss, generator_loss)``.

    ``discriminator_loss(real_output, fake_output)`` is the binary cross-entropy of
    real images against label 1 and fakes against label 0, averaged over both halves
    (so it reads log(2) = 0.69 when D cannot tell them apart, like the classic
    recipe's ``train_on_batch`` loss). ``generator_loss(fake_output)`` is the
    cross-entropy of the fakes against label 1: the non-saturating loss.
    ``from_logits=True`` means the discriminator ends in a plain Dense(1), no sigmoid.
    """
    bce = keras.losses.BinaryCrossentropy(from_logits=from_logits)

    def discriminator_loss(real_output, fake_output):
        real_loss = bce(ops.full_like(real_output, REAL), real_output)
        fake_loss = bce(ops.full_like(fake_output, FAKE), fake_output)
        return 0.5 * (real_loss + fake_loss)

    def generator_loss(fake_output):
        return bce(ops.full_like(fake_output, REAL), fake_output)

    return discriminator_loss, generator_loss


def _check_loss_fn(fn, n_args: int, what: str) -> None:
    """Call a loss function on a tiny batch and make sure it returns one number."""
    if not callable(fn):
        raise ValueError(f"{what} must be a function, got {type(fn).__name__}.")
    probe = [ops.zeros((2, 1)) for _ in range(n_args)]
    shape = tuple(ops.shape(fn(*probe)))
    if shape not in ((), (1,)):
        raise ValueError(
            f"{what} returned shape {shape} on a batch of 2; it must return one number. "
            f"Fix: average over the batch, e.g. with keras.ops.mean(...)."
        )


class GAN(steps.Game):
    """A generator and a discriminator trained together by ``fit``: D first, then G, in one step.

    ``GAN(generator, discriminator, latent_dim)``; then
    ``gan.compile(d_optimizer, g_optimizer)`` and ``gan.fit(images, epochs=..., batch_size=...)``.
    Calling ``gan(noise)`` runs the generator. ``seed`` fixes the noise drawn during training.

    ``average_decay`` (e.g. 0.999) also keeps ``gan.average_generator``: a copy of the
    generator whose weights are a running average of the trained ones, updated at
    the end of every step, ``average = decay * average + (1 - decay) * weights``.
    The trained generator's weights keep moving as the two players chase each other;
    their average is steadier and usually draws cleaner samples. ``gan.sampler`` is
    the averaged generator when there is one, else the trained one.
    """

    def __init__(self, generator, discriminator, latent_dim: int, seed: int | None = None,
                 average_decay: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.generator = generator
        self.discriminator = discriminator
        self._build_parts()
        self.average_decay = None if average_decay is None else float(average_decay)
        self.average_generator = None
        if self.average_decay is not None:
            if not 0.0 < self.average_decay < 1.0:
                raise ValueError(f"average_decay is {average_decay}; it must lie between 0 and 1, e.g. 0.999.")
            try:
                average = keras.models.clone_model(generator)  # the same layers, weights of its own
            except Exception as error:
                raise ValueError(f"could not copy the generator to average its weights ({error}). Fix: build it "
                                 f"with keras.Sequential or the functional API, or leave average_decay=None.") from error
            average.set_weights(generator.get_weights())
            average.trainable = False  # never trained: the step sets its weights
            self.average_generator = average
        self.seed_generator = keras.random.SeedGenerator(seed)  # the training noise; saved in checkpoints
        self.track("d_loss", "g_loss", "d_accuracy")  # d_accuracy 0.5: D is guessing
        self.built = True

    def _build_parts(self) -> None:
        """Build G and D if needed and check that their shapes fit together."""
        for part, shape in ((self.generator, (None, self.latent_dim)), (self.discriminator, None)):
            if not part.built:
                shape = shape or self.generator.compute_output_shape((None, self.latent_dim))
                try:
                    part.build(shape)
                except Exception as error:
                    raise ValueError(
                        f"could not build the {part.name} for inputs of shape {shape} ({error}). "
                        f"Fix: start it with keras.Input(...) so that its input shape is known."
                    ) from error
        width = self.generator.input_shape[-1] if hasattr(self.generator, "input_shape") else None
        if width is not None and width != self.latent_dim:
            raise ValueError(
                f"the generator takes noise of width {width}, but latent_dim is {self.latent_dim}. "
                f"Fix: use the same latent_dim for the generator's input and for GAN(...)."
            )
        image_shape = tuple(self.generator.compute_output_shape((None, self.latent_dim)))
        wanted = tuple(getattr(self.discriminator, "input_shape", image_shape))
        if wanted[1:] != image_shape[1:]:
            raise ValueError(
                f"the generator makes images of shape {image_shape[1:]} but the discriminator reads "
                f"{wanted[1:]}. Fix: make them agree (e.g. flatten or reshape in one of the two models)."
            )
        score_shape = tuple(self.discriminator.compute_output_shape(image_shape))
        if score_shape[1:] not in ((), (1,)):
            raise ValueError(
                f"the discriminator returns shape {score_shape} for a batch of images; it must "
                f"return one score per image, (batch, 1). Fix: end it with layers.Dense(1)."
            )

    def compile(self, d_optimizer, g_optimizer, d_loss_fn=None, g_loss_fn=None,
                from_logits: bool = True, **kwargs):
        """Set the two optimizers and, optionally, the two losses.

        ``d_loss_fn(real_output, fake_output)`` and ``g_loss_fn(fake_output)`` take the
        discriminator's outputs (logits when ``from_logits=True``) and return one number;
        they default to :func:`bce_losses`. Other keyword arguments go to ``keras.Model.compile``.
        """
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer are the same object. Fix: create two optimizers.")
        for part in (self.generator, self.discriminator):
            if not part.trainable:  # e.g. left frozen by the classic "freeze D, compile the stack" recipe
                raise ValueError(f"the {part.name} is frozen (trainable=False), so it would never learn. "
                                 f"Fix: set {part.name}.trainable = True before gan.compile(...).")
        default_d, default_g = bce_losses(from_logits)
        if d_loss_fn is None and g_loss_fn is None:
            self._check_output_activation(from_logits)
        self.d_loss_fn = d_loss_fn or default_d
        self.g_loss_fn = g_loss_fn or default_g
        _check_loss_fn(self.d_loss_fn, 2, "d_loss_fn(real_output, fake_output)")
        _check_loss_fn(self.g_loss_fn, 1, "g_loss_fn(fake_output)")
        self.from_logits = from_logits
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.compile_players(**kwargs)

    def _check_output_activation(self, from_logits: bool) -> None:
        last = self.discriminator.layers[-1] if getattr(self.discriminator, "layers", None) else None
        activation = getattr(getattr(last, "activation", None), "__name__", "")
        if from_logits and activation == "sigmoid":
            raise ValueError(
                "the discriminator ends in a sigmoid (it outputs probabilities) but the losses expect "
                "logits. Fix: end it with layers.Dense(1) and no activation, or compile with from_logits=False."
            )

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    @property
    def sampler(self):
        """The generator to draw samples from: the averaged one when ``average_decay`` was set."""
        return self.average_generator if self.average_generator is not None else self.generator

    # -- the step: two players, D then G (gankit.steps runs them) ----------------------------

    def players(self):
        """The discriminator's update, then the generator's: what one training step does."""
        return [steps.Player("d", self.discriminator.trainable_variables, self.d_optimizer, self._d_loss),
                steps.Player("g", self.generator.trainable_variables, self.g_optimizer, self._g_loss)]

    def prepare_batch(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)  # labels, if any, are ignored
        return ops.cast(x, self.generator.compute_dtype)

    def _noise(self, real):
        return keras.random.normal((ops.shape(real)[0], self.latent_dim), seed=self.seed_generator)

    def _d_loss(self, real):
        """Real and fake images in one discriminator call; the loss, and the share D labels correctly."""
        batch = ops.shape(real)[0]
        fake = self.generator(self._noise(real), training=True)
        scores = self.discriminator(ops.concatenate([real, fake], axis=0), training=True)
        return self.d_loss_fn(scores[:batch], scores[batch:]), {"d_accuracy": self._accuracy(scores[:batch],
                                                                                            scores[batch:])}

    def _g_loss(self, real):
        """Fresh fakes, judged by the discriminator as it is after its update."""
        return self.g_loss_fn(self.discriminator(self.generator(self._noise(real), training=True), training=True))

    def after_updates(self, batch):
        """Move the averaged generator towards the trained one (integer state, if any, is copied)."""
        if self.average_generator is None:
            return
        decay = self.average_decay
        for average, weight in zip(self.average_generator.weights, self.generator.weights):
            value = ops.cast(weight.value, average.dtype)
            average.assign(decay * average.value + (1.0 - decay) * value if "float" in str(average.dtype) else value)

    def _accuracy(self, real_output, fake_output):
        """Share of the real and fake images the discriminator labels correctly."""
        threshold = 0.0 if self.from_logits else 0.5
        correct = ops.concatenate([real_output > threshold, fake_output <= threshold], axis=0)
        return ops.mean(ops.cast(correct, "float32"))


def _as_images(data) -> np.ndarray:
    """Training images as a float32 NumPy array, checked for the [-1, 1] range of a tanh generator."""
    from gankit.utils import to_numpy

    if isinstance(data, (tuple, list)) and len(data) == 2:
        data = data[0]  # (images, labels): the labels are not needed
    images = to_numpy(data).astype("float32", copy=False)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"expected a batch of images, got an array of shape {images.shape}.")
    low, high = float(images.min()), float(images.max())
    if high > 1.5 or low < -1.5:
        raise ValueError(
            f"the images range from {low:.3g} to {high:.3g}; a tanh generator makes values in [-1, 1]. "
            f"Fix: scale them, e.g. gankit.data.scale_to_tanh(images) for uint8 pixels."
        )
    if low >= 0.0:
        print(f"Warning: the images range from {low:.3g} to {high:.3g}, not [-1, 1]; a tanh generator "
              f"will be easy to tell apart. Scale them with images * 2 - 1.")
    return images


def epoch_order(n: int, epoch: int, seed: int) -> np.ndarray:
    """The order in which :func:`train` visits ``n`` images in ``epoch``: the same on every run."""
    return np.random.default_rng([seed, epoch]).permutation(n)


@keras.saving.register_keras_serializable(package="gankit")
class HoldThenDecay(keras.optimizers.schedules.LearningRateSchedule):
    """A learning rate that holds ``rate`` for the first ``hold`` share of ``total_steps``, then falls linearly to 0.

    GAN weights keep circling while the rate is high; letting it fall at the end
    lets them settle, which sharpens the samples. ``HoldThenDecay(5e-4, 7500)``.
    """

    def __init__(self, rate: float, total_steps: int, hold: float = 0.5):
        if total_steps < 1 or not 0.0 <= hold <= 1.0:
            raise ValueError(f"need total_steps >= 1 and 0 <= hold <= 1; got {total_steps} and {hold}.")
        self.rate, self.total_steps, self.hold = float(rate), int(total_steps), float(hold)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        start = self.hold * self.total_steps
        remaining = (self.total_steps - step) / max(self.total_steps - start, 1.0)
        return self.rate * ops.clip(remaining, 0.0, 1.0)

    def get_config(self):
        return {"rate": self.rate, "total_steps": self.total_steps, "hold": self.hold}


class _RunProgbar(keras.callbacks.ProgbarLogger):
    """Keras's progress bar, told the whole run's epoch count.

    :func:`train` calls ``fit`` once per epoch (so that each epoch can start at a
    fixed point of a fixed order); Keras alone would then print "Epoch 3/3"
    where "Epoch 3/8" is meant.
    """

    def __init__(self, epochs: int):
        super().__init__()
        self.run_epochs = epochs

    def set_params(self, params):
        super().set_params(params)
        self.epochs = self.run_epochs


def train(gan: GAN, images, epochs: int, batch_size: int = 64, *, seed: int = 0, callbacks=(),
          checkpoint_dir=None, checkpoint_every: int = 500, resume: bool = True,
          max_steps: int | None = None, verbose="auto"):
    """Train a compiled ``gan`` on ``images`` (in [-1, 1]); returns its :class:`~gankit.callbacks.LossHistory`.

    Each epoch visits the images in an order fixed by ``seed`` and the epoch number
    (the last incomplete batch is dropped). With ``checkpoint_dir``, a checkpoint is
    written every ``checkpoint_every`` steps and when training stops; with
    ``resume=True`` a run started again continues from the latest one, mid-epoch
    included, as if it had never stopped. ``max_steps`` stops after that many
    steps in total (counting steps done before a resume).
    """
    from gankit import callbacks as gk_callbacks

    if not getattr(gan, "compiled", False):
        raise ValueError("the GAN is not compiled. Fix: call gan.compile(d_optimizer, g_optimizer) first.")
    images = _as_images(images)
    steps_per_epoch = len(images) // batch_size
    if steps_per_epoch == 0:
        raise ValueError(f"{len(images)} images make no full batch of {batch_size}. Fix: lower batch_size.")
    callbacks = list(callbacks)
    history = next((c for c in callbacks if isinstance(c, gk_callbacks.LossHistory)), None)
    if history is None:
        history = gk_callbacks.LossHistory()
        callbacks.append(history)
    if checkpoint_dir is not None:
        meta = {"batch_size": batch_size, "seed": seed, "steps_per_epoch": steps_per_epoch}
        if resume:
            gk_callbacks.restore_checkpoint(gan, checkpoint_dir, expect=meta)
        callbacks.append(gk_callbacks.Checkpoint(checkpoint_dir, every=checkpoint_every, meta=meta))
    if max_steps is not None:
        callbacks.append(gk_callbacks.StopAfter(max_steps))

    if verbose != 0:
        callbacks.append(_RunProgbar(epochs))
    done = int(gan.g_optimizer.iterations)  # steps already taken (after a resume)
    for epoch in range(done // steps_per_epoch, epochs):
        if max_steps is not None and done >= max_steps:
            break
        skip = done - epoch * steps_per_epoch if epoch == done // steps_per_epoch else 0
        order = epoch_order(len(images), epoch, seed)[skip * batch_size: steps_per_epoch * batch_size]
        gan.fit(images[order], batch_size=batch_size, epochs=epoch + 1, initial_epoch=epoch,
                shuffle=False, callbacks=callbacks, verbose=verbose)
        done = int(gan.g_optimizer.iterations)
        if gan.stop_training and (max_steps is None or done < max_steps):
            break  # a callback asked to stop
    return history

