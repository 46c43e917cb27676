"""A class-conditional DCGAN for MNIST (Mirza and Osindero 2014, arXiv 1411.1784).

A plain GAN draws a digit and leaves the class to chance. A conditional GAN is told the
class: the generator receives the label beside its noise, and the discriminator receives
the label beside the image, so that a well-drawn "3" offered as a "7" is caught. Both
reuse the DCGAN builders of :mod:`gankit.models`; the label enters as a one-hot vector:

* generator: ``[noise (latent_dim), one-hot label (10)]`` joined into one vector of width
  ``latent_dim + 10``, then the DCGAN generator;
* discriminator: the one-hot label spread over every pixel as 10 extra channels, joined to
  the image ``(28, 28, 1 + 10)``, then the DCGAN discriminator.

:class:`ConditionalGAN` is the GAN of :mod:`gankit.trainer` with labelled batches: the
step (``gankit.steps``) is the same; only what the players see changes. Each fake is made
for the label of a real image of the batch, so the fakes follow the classes of the data.

Train with ``gan.fit(images, labels, ...)`` or :func:`train`; judge with
:func:`gankit.judge.conditional_accuracy` (the share of fakes the MNIST judge reads as
the class they were asked for).
"""

from __future__ import annotations

import numpy as np

import keras
from keras import layers, ops

from gankit import models
from gankit.trainer import GAN

NUM_CLASSES = 10


def conditional_generator(latent_dim: int = 64, num_classes: int = NUM_CLASSES, size: str = "small",
                          name: str = "generator") -> keras.Model:
    """``[noise (n, latent_dim), labels (n,) int] -> images (n, 28, 28, 1)`` in [-1, 1]."""
    noise = keras.Input((latent_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")(labels)
    joined = layers.Concatenate(name="noise_and_label")([noise, one_hot])
    body = models.dcgan_generator(latent_dim + num_classes, size=size, name=f"{name}_body")
    return keras.Model([noise, labels], body(joined), name=name)


def conditional_discriminator(num_classes: int = NUM_CLASSES, size: str = "small", dropout: float = 0.3,
                              name: str = "discriminator") -> keras.Model:
    """``[images (n, 28, 28, 1), labels (n,) int] -> one logit per image``: "is this a real digit OF THIS CLASS?"."""
    images = keras.Input((28, 28, 1), name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")(labels)
    planes = layers.UpSampling2D(28, name="label_planes")(layers.Reshape((1, 1, num_classes))(one_hot))
    joined = layers.Concatenate(axis=-1, name="image_and_label")([images, planes])  # (28, 28, 1 + classes)
    body = models.dcgan_discriminator(size=size, channels=1 + num_classes, dropout=dropout, name=f"{name}_body")
    return keras.Model([images, labels], body(joined), name=name)


class ConditionalGAN(GAN):
    """A GAN whose players see the class: ``fit(images, labels)`` trains D, then G, in one step.

    ``generator([noise, labels])`` and ``discriminator([images, labels])`` (see
    :func:`conditional_generator` and :func:`conditional_discriminator`). Everything
    else -- losses, optimizers, the averaged generator, checkpoints -- is :class:`GAN`'s.
    """

    def __init__(self, generator, discriminator, latent_dim: int, num_classes: int = NUM_CLASSES, **kwargs):
        self.num_classes = int(num_classes)
        super().__init__(generator, discriminator, latent_dim, **kwargs)

    def _build_parts(self) -> None:
        from gankit.checks import error_text

        for part, takes in ((self.generator, "[noise, labels]"), (self.discriminator, "[images, labels]")):
            if len(getattr(part, "inputs", None) or []) != 2:
                raise ValueError(f"the {part.name} must take two inputs, {takes}; it takes "
                                 f"{len(getattr(part, 'inputs', None) or [])}. Fix: build it with "
                                 f"gankit.conditional.conditional_{'generator' if part is self.generator else 'discriminator'}.")
        probe_noise = ops.zeros((2, self.latent_dim))
        probe_labels = ops.convert_to_tensor(np.array([0, self.num_classes - 1], "int32"))
        try:
            fake = self.generator([probe_noise, probe_labels])
        except Exception as error:
            raise ValueError(f"the generator must take [noise of width {self.latent_dim}, integer labels] "
                             f"({error_text(error)}). Fix: build it with gankit.conditional.conditional_generator.") from error
        if tuple(fake.shape[1:]) != (28, 28, 1):
            raise ValueError(f"the generator makes images of shape {tuple(fake.shape[1:])}, expected (28, 28, 1).")
        try:
            scores = self.discriminator([fake, probe_labels])
        except Exception as error:
            raise ValueError(f"the discriminator must take [images, integer labels] ({error_text(error)}). Fix: build it "
                             f"with gankit.conditional.conditional_discriminator.") from error
        if tuple(scores.shape[1:]) not in ((), (1,)):
            raise ValueError(f"the discriminator returns shape {tuple(scores.shape)}; it must return one logit "
                             f"per image. Fix: end it with layers.Dense(1).")

    def _check_output_activation(self, from_logits: bool) -> None:
        """The body's last layer decides; a nested discriminator hides it one level down."""

    def prepare_batch(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if y is None:
            raise ValueError("a ConditionalGAN trains on labelled digits. Fix: gan.fit(images, labels, ...).")
        return ops.cast(x, self.generator.compute_dtype), ops.cast(ops.reshape(y, (-1,)), "int32")

    def _noise(self, labels):
        return keras.random.normal((ops.shape(labels)[0], self.latent_dim), seed=self.seed_generator)

    def _d_loss(self, batch):
        real, labels = batch
        n = ops.shape(real)[0]
        fake = self.generator([self._noise(labels), labels], training=True)  # fakes of the batch's classes
        scores = self.discriminator([ops.concatenate([real, fake], axis=0), ops.concatenate([labels, labels], axis=0)],
                                    training=True)
        return self.d_loss_fn(scores[:n], scores[n:]), {"d_accuracy": self._accuracy(scores[:n], scores[n:])}

    def _g_loss(self, batch):
        _, labels = batch
        fake = self.generator([self._noise(labels), labels], training=True)
        return self.g_loss_fn(self.discriminator([fake, labels], training=True))

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)


def generate(generator, labels, latent_dim: int | None = None, seed: int = 0, batch_size: int = 500) -> np.ndarray:
    """Generated digits (n, 28, 28, 1) in [-1, 1], one for each entry of ``labels``, from noise fixed by ``seed``."""
    from gankit.utils import to_numpy

    labels = np.asarray(labels, dtype="int32").reshape(-1)
    latent_dim = latent_dim or int(generator.inputs[0].shape[-1])
    noise = np.random.default_rng(seed).normal(size=(len(labels), latent_dim)).astype("float32")
    out = [to_numpy(generator([ops.convert_to_tensor(noise[i:i + batch_size]),
                               ops.convert_to_tensor(labels[i:i + batch_size])], training=False))
           for i in range(0, len(labels), batch_size)]
    return np.concatenate(out).astype("float32") if out else np.zeros((0, 28, 28, 1), "float32")


def balanced_labels(n: int, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """``n`` labels, each class equally often (0, 1, ..., 9, 0, 1, ...)."""
    return (np.arange(n) % num_classes).astype("int32")


def train(gan: ConditionalGAN, images, labels, steps: int, batch_size: int = 50, seed: int = 0, verbose=0,
          callbacks=(), progress: bool = True, title: str = "conditional GAN"):
    """Train ``gan`` for ``steps`` steps on labelled ``images``; returns the Keras history.

    Each pass visits the images in an order fixed by ``seed`` and the pass number. The
    set is small (hundreds of digits), so one ``fit`` call covers all passes: the orders
    are joined and the last incomplete batch of the whole run is dropped. ``progress``
    shows steps done and time left (:class:`gankit.progress.TrainingProgress`).
    """
    from gankit.progress import TrainingProgress

    images = np.asarray(images, "float32")
    labels = np.asarray(labels, "int32").reshape(-1)
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels. Fix: pass one label per image.")
    if len(images) < batch_size:
        raise ValueError(f"{len(images)} images make no batch of {batch_size}. Fix: lower batch_size.")
    needed = steps * batch_size
    passes = -(-needed // len(images))
    order = np.concatenate([np.random.default_rng([seed, p]).permutation(len(images)) for p in range(passes)])[:needed]
    chunk = max(batch_size, (20_000 // batch_size) * batch_size)  # at most ~60 MB of images per fit call
    callbacks = list(callbacks)
    if progress and not verbose:
        callbacks.append(TrainingProgress(steps, title, show=("d_loss", "g_loss")))
    history = None
    for start in range(0, needed, chunk):
        part = order[start:start + chunk]
        history = gan.fit(images[part], labels[part], batch_size=batch_size, epochs=1, shuffle=False,
                          verbose=verbose, callbacks=callbacks)
    return history
