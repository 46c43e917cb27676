"""pix2pix (Isola et al. 2017, arXiv 1611.07004): paired translation, input image -> target image.

A U-Net generator (:func:`gankit.blocks.unet_generator`) and a conditional PatchGAN:
the discriminator never sees an image alone, only the input and an image side by side
on channels (:func:`conditional_input`), so it can ask "is this a plausible photo FOR
THIS edge map?" and not merely "is this a plausible photo?". The generator's loss adds
100 x the L1 distance to the true target (:func:`generator_loss`): L1 alone gets the
layout right and blurs; the GAN term pushes back against the blur.

These three functions are the reference answers of notebook 04's exercises. :class:`Pix2Pix`
trains with them by default, and with the learner's own functions when they are passed in
(``conditional_input=``, ``discriminator_loss=``, ``generator_loss=``), as notebook 04 does.

The defaults are the paper's settings (256x256, 8-level U-Net, 3-layer PatchGAN,
cross-entropy GAN loss, L1 weight 100, Adam 2e-4 with beta_1 0.5).
"""

from __future__ import annotations

from typing import Callable

import keras
from keras import ops

from gankit import blocks, steps


def conditional_input(condition, image):
    """What the discriminator sees: the input and an image (real or generated) joined on channels, input first."""
    if tuple(condition.shape[1:3]) != tuple(image.shape[1:3]):
        raise ValueError(f"the input and the image must have the same height and width, got {tuple(condition.shape)} "
                         f"and {tuple(image.shape)}. Fix: crop both halves of each pair the same way.")
    return ops.concatenate([condition, image], axis=-1)


def _cross_entropy(scores, label: float):
    """Mean binary cross-entropy of logits against one label for all of them."""
    return ops.mean(ops.binary_crossentropy(ops.full_like(scores, label), scores, from_logits=True))


def discriminator_loss(real_scores, fake_scores):
    """0.5 * (cross-entropy of real pairs against 1 + of generated pairs against 0); the 0.5 is the paper's."""
    return 0.5 * (_cross_entropy(real_scores, 1.0) + _cross_entropy(fake_scores, 0.0))


def generator_loss(fake_scores, fake, condition, target, l1_weight: float = 100.0):
    """``(total, gan, l1)``: total = cross-entropy of D's scores against 1 + ``l1_weight`` x mean |fake - target|.

    ``condition`` (the input) is not used: the training step passes everything it has at hand,
    and a variant's loss may need it.
    """
    gan = _cross_entropy(fake_scores, 1.0)
    l1 = ops.mean(ops.abs(fake - target))
    return gan + l1_weight * l1, gan, l1


def adam(rate: float = 2e-4) -> keras.optimizers.Optimizer:
    """The paper's optimizer: Adam(2e-4, beta_1=0.5)."""
    return keras.optimizers.Adam(rate, beta_1=0.5)  # beta_1 0.9 makes the two players overshoot


class Pix2Pix(steps.Game):
    """A U-Net generator and a conditional PatchGAN trained together; ``fit`` takes pairs ``(input, target)``.

    One step: the discriminator on (input, target) against (input, generated), then the
    generator on its loss. Logs ``d_loss``, ``g_loss``, ``gan`` and ``l1``.
    ``l1_weight=0`` trains a plain conditional GAN; to train with L1 alone (the paper's
    ablation), use :func:`l1_only` instead.

    The objectives are arguments, so that a learner's own functions train the model:

    * ``conditional_input(condition, image)``: what the discriminator sees (default:
      :func:`conditional_input`);
    * ``discriminator_loss(real_scores, fake_scores)``: one number (default:
      :func:`discriminator_loss`);
    * ``generator_loss(fake_scores, fake, condition, target, l1_weight=...)``: ``(total, gan, l1)``,
      called with this model's ``l1_weight`` (default: :func:`generator_loss`).
    """

    def __init__(self, image_size: int = 256, channels: int = 3, out_channels: int | None = None, width: int = 64,
                 levels: int = 8, d_width: int = 64, d_layers: int = 3, l1_weight: float = 100.0,
                 dropout: float = 0.5, *, conditional_input: Callable = conditional_input,
                 discriminator_loss: Callable = discriminator_loss, generator_loss: Callable = generator_loss,
                 **kwargs):
        super().__init__(**kwargs)
        out_channels = channels if out_channels is None else out_channels
        self.generator = blocks.unet_generator(image_size, channels, out_channels, width, levels, dropout)
        self.discriminator = blocks.patchgan(image_size, channels + out_channels, d_width, d_layers)
        self.l1_weight = float(l1_weight)
        for name, function in (("conditional_input", conditional_input), ("discriminator_loss", discriminator_loss),
                               ("generator_loss", generator_loss)):
            if not callable(function):
                raise ValueError(f"{name} must be a function, got {type(function).__name__}. Fix: pass the function "
                                 f"itself, without calling it (no parentheses).")
        self.conditional_input, self.discriminator_objective = conditional_input, discriminator_loss
        self.generator_objective = generator_loss
        self.track("d_loss", "g_loss", "gan", "l1")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.compile_players(**kwargs)

    def players(self):
        return [steps.Player("d", self.discriminator.trainable_variables, self.d_optimizer, self.d_loss),
                steps.Player("g", self.generator.trainable_variables, self.g_optimizer, self.g_loss)]

    def prepare_batch(self, data):
        """``(input, target, generated)``: the discriminator's fakes, made before any update."""
        condition, target, _ = keras.utils.unpack_x_y_sample_weight(data)
        if target is None:
            raise ValueError("Pix2Pix.fit needs pairs (input, target). Fix: pass images.ImageBatches(edges, photos, "
                             "batch_size=...) or fit(inputs, targets).")
        return condition, target, ops.stop_gradient(self.generator(condition, training=True))

    def judge(self, condition, image):
        """The discriminator's scores (logits, one per patch) for ``image`` as a translation of ``condition``."""
        return self.discriminator(self.conditional_input(condition, image), training=True)

    def d_loss(self, batch):
        condition, target, fake = batch
        return self.discriminator_objective(self.judge(condition, target), self.judge(condition, fake))

    def g_loss(self, batch):
        condition, target, _ = batch
        fake = self.generator(condition, training=True)
        value = self.generator_objective(self.judge(condition, fake), fake, condition, target, l1_weight=self.l1_weight)
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            raise ValueError(f"the generator's loss must return three values, (total, gan, l1), but it returned "
                             f"{type(value).__name__}{f' of {len(value)}' if isinstance(value, (tuple, list)) else ''}. "
                             "Fix: return the total, then the GAN term and the L1 term apart (the progress bar "
                             "shows them).")
        total, gan, l1 = value
        return total, {"gan": gan, "l1": l1}

    def call(self, condition, training=False):
        """Translate inputs to targets (the generator)."""
        return self.generator(condition, training=training)


def l1_only(generator: keras.Model, optimizer=None) -> keras.Model:
    """The paper's ablation: ``generator`` trained on mean |generated - target| alone (no discriminator).

    A plain Keras model: ``l1_only(unet).fit(inputs, targets)`` or ``fit(ImageBatches(...))``.
    """
    generator.compile(optimizer=optimizer or adam(), loss="mean_absolute_error")
    return generator
