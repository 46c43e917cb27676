"""Stable GAN training (notebook 06): Wasserstein, gradient-penalty and hinge losses as one game.

The GAN of notebooks 01-02 scores images with a discriminator trained by binary
cross-entropy, and its generator minimises the non-saturating loss. This module keeps
that step (:class:`gankit.trainer.GAN`, run by :mod:`gankit.steps`) and changes what
the two players' losses say:

* :func:`wasserstein_losses` -- a *critic* scores images (no sigmoid, no labels): it
  raises the mean score of real images and lowers that of fakes,
  ``mean(D(fake)) - mean(D(real))``; the generator raises its fakes' scores,
  ``-mean(D(fake))`` (Arjovsky et al. 2017, arXiv 1701.07875). The gap between the mean
  scores estimates the Wasserstein distance only if the critic is 1-Lipschitz, so:
* weight clipping -- after every critic update, each critic weight is clipped to
  ``[-clip, clip]`` (the original WGAN: clip 0.01, 5 critic updates per generator
  update, RMSprop 5e-5); or
* :func:`gradient_penalty` -- WGAN-GP (Gulrajani et al. 2017, arXiv 1704.00028): add
  ``10 * mean((|grad_x D(x_hat)| - 1)^2)`` to the critic's loss, where ``x_hat`` are
  :func:`interpolates` between real and fake images, one random weight per example,
  and the gradient is taken with respect to the critic's INPUTS. 5 critic updates per
  generator update, Adam 1e-4 with betas (0, 0.9), no batch normalisation in the critic
  (it would mix the examples whose gradients are penalised one by one);
* :func:`hinge_losses` -- ``mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))`` for the
  discriminator and ``-mean(D(fake))`` for the generator, with every critic layer wrapped
  in ``keras.layers.SpectralNormalization`` (Miyato et al. 2018, arXiv 1802.05957).

:class:`CriticGAN` is the game: ``n_critic`` critic updates, then one generator update,
all inside ONE compiled step on TensorFlow and JAX (each critic update takes its own
share of the batch, as in the WGAN papers: fit with ``batch_size = n_critic * 64`` to
give each critic update 64 real images). ``augment`` (e.g. :class:`gankit.augment.DiffAugment`)
is applied to real and fake images alike, in both players' losses. :data:`RECIPES`
holds each paper's settings and :func:`make_gan` builds a compiled game from one.

A note on ``keras.layers.SpectralNormalization``: in a training call it divides the
wrapped kernel by its largest singular value (one power iteration per call) and writes
the result back into the kernel. On TensorFlow the optimizer then steps from that
stored value; on JAX -- as in Keras's own JAX trainer -- a trained weight's in-step
write is not kept and the gradient flows through the division instead. Both compute
with the normalised kernel.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import ops

from gankit import steps
from gankit.trainer import GAN, bce_losses

LOSSES = ("bce", "wasserstein", "hinge")


# -- the losses ----------------------------------------------------------------------------------

def wasserstein_losses():
    """``(critic_loss, generator_loss)`` of the Wasserstein GAN, on raw critic scores.

    ``critic_loss(real_scores, fake_scores) = mean(fake_scores) - mean(real_scores)``;
    ``generator_loss(fake_scores) = -mean(fake_scores)``.
    """

    def critic_loss(real_scores, fake_scores):
        return ops.mean(fake_scores) - ops.mean(real_scores)

    def generator_loss(fake_scores):
        return -ops.mean(fake_scores)

    return critic_loss, generator_loss


def hinge_losses():
    """``(critic_loss, generator_loss)`` of the hinge GAN (used with spectral normalisation).

    ``critic_loss = mean(relu(1 - real_scores)) + mean(relu(1 + fake_scores))``: real
    scores above 1 and fake scores below -1 cost nothing. ``generator_loss = -mean(fake_scores)``.
    """

    def critic_loss(real_scores, fake_scores):
        return ops.mean(ops.relu(1.0 - real_scores)) + ops.mean(ops.relu(1.0 + fake_scores))

    def generator_loss(fake_scores):
        return -ops.mean(fake_scores)

    return critic_loss, generator_loss


def losses(name: str):
    """The ``(discriminator_loss, generator_loss)`` pair called ``name``: one of :data:`LOSSES`."""
    if name == "bce":
        return bce_losses(from_logits=True)
    if name == "wasserstein":
        return wasserstein_losses()
    if name == "hinge":
        return hinge_losses()
    raise ValueError(f"unknown loss {name!r}. Fix: use one of {', '.join(LOSSES)}.")


# -- the gradient penalty ------------------------------------------------------------------------

def interpolates(real, fake, seed=None):
    """Points on the straight lines between real and fake examples: ``real + eps * (fake - real)``.

    ``eps`` is uniform in [0, 1) with ONE value per example (shape ``(batch, 1, ..., 1)``),
    so each interpolate lies on the segment between its own real and fake example.
    ``seed``: a ``keras.random.SeedGenerator`` inside a training step, an int for a repeatable draw.
    """
    real = ops.convert_to_tensor(real)
    fake = ops.cast(ops.convert_to_tensor(fake), real.dtype)
    shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
    eps = keras.random.uniform(shape, dtype=real.dtype, seed=seed)
    return real + eps * (fake - real)


def gradient_norms(critic, inputs):
    """The norm of the critic's gradient with respect to each example of ``inputs``: shape ``(batch,)``."""
    gradients = steps.input_gradients(critic, inputs)
    flat = ops.reshape(gradients, (ops.shape(gradients)[0], -1))
    return ops.sqrt(ops.sum(ops.square(flat), axis=1) + 1e-12)  # the tiny term keeps sqrt's gradient finite at 0


def gradient_penalty(critic, real, fake, seed=None):
    """WGAN-GP's penalty: ``mean((|grad_x critic(x_hat)| - 1)^2)`` at :func:`interpolates` ``x_hat``.

    Zero for a critic whose input gradient has norm 1 at every interpolate (a 1-Lipschitz
    critic at its steepest); it grows as the norm moves away from 1 either way. Multiply
    by the penalty weight (10 in the paper) and add it to the critic's loss.
    """
    return ops.mean(ops.square(gradient_norms(critic, interpolates(real, fake, seed)) - 1.0))


def clip_weights(variables, clip: float) -> None:
    """Clip each variable in ``variables`` to ``[-clip, clip]``, in place (the original WGAN's critic)."""
    for variable in variables:
        variable.assign(ops.clip(variable.value, -clip, clip))


def _has_batch_norm(model) -> bool:
    return any(isinstance(layer, keras.layers.BatchNormalization) for layer in _all_layers(model))


def _all_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _all_layers(layer)
        if isinstance(layer, keras.layers.Wrapper):
            yield layer.layer


def has_spectral_norm(model) -> bool:
    """Whether ``model`` has at least one layer wrapped in ``keras.layers.SpectralNormalization``."""
    return any(isinstance(layer, keras.layers.SpectralNormalization) for layer in _all_layers(model))


# -- the game ------------------------------------------------------------------------------------

class CriticGAN(GAN):
    """A GAN whose discriminator may be a critic: ``n_critic`` critic updates, then one generator update.

    ``CriticGAN(generator, critic, latent_dim, n_critic=5, penalty_weight=10.0)``, then
    ``gan.compile(d_optimizer, g_optimizer, loss="wasserstein")`` (``"bce"``, ``"wasserstein"``
    or ``"hinge"``) and ``gan.fit(images, batch_size=n_critic * 64, ...)``.

    * ``n_critic`` -- critic updates per step; critic update ``i`` takes the ``i``-th of
      ``n_critic`` equal shares of the batch (a remainder is left out), and the generator
      update makes as many fakes as one share.
    * ``clip`` -- clip every critic weight to ``[-clip, clip]`` after each critic update.
    * ``penalty_weight`` -- add ``penalty_weight * gradient_penalty(...)`` to the critic's loss
      (logged as ``penalty``, before weighting).
    * ``augment`` -- a function of a batch of images (e.g. :class:`gankit.augment.DiffAugment`)
      applied to real AND fake images before the critic sees them, in both players' losses;
      with a penalty, the interpolates join the augmented images.

    Logs ``d_loss``, ``g_loss``, ``d_accuracy`` (share of scores on the right side of 0),
    ``score_gap`` (mean real score minus mean fake score: the critic's estimate of the
    Wasserstein distance when it is 1-Lipschitz) and, with a penalty, ``penalty``.
    """

    def __init__(self, generator, critic, latent_dim: int, n_critic: int = 1, clip: float | None = None,
                 penalty_weight: float | None = None, augment=None, seed: int | None = None, **kwargs):
        if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
            raise ValueError(f"n_critic is {n_critic!r}. Fix: a whole number >= 1 (5 for WGAN and WGAN-GP).")
        if clip is not None and not float(clip) > 0:
            raise ValueError(f"clip is {clip!r}. Fix: a positive number (0.01 in the WGAN paper), or None.")
        if penalty_weight is not None and not float(penalty_weight) >= 0:
            raise ValueError(f"penalty_weight is {penalty_weight!r}. Fix: a number >= 0 (10 in WGAN-GP), or None.")
        if clip is not None and penalty_weight:
            raise ValueError("both clip and penalty_weight are set. Fix: choose one way to keep the critic "
                             "Lipschitz: clip (WGAN) or penalty_weight (WGAN-GP).")
        if augment is not None and not callable(augment):
            raise ValueError(f"augment must be a function of a batch of images, got {type(augment).__name__}. "
                             f"Fix: pass e.g. gankit.augment.DiffAugment(seed=0), or None.")
        self.n_critic = n_critic
        self.clip = None if clip is None else float(clip)
        self.penalty_weight = float(penalty_weight) if penalty_weight else None
        super().__init__(generator, critic, latent_dim, seed=seed, **kwargs)
        self.augment = augment  # set after Model.__init__: a Layer's seed is then part of the game's state
        if self.penalty_weight and _has_batch_norm(critic):
            raise ValueError("the critic has batch normalisation, which mixes the examples whose input gradients "
                             "the penalty measures one by one. Fix: remove it (or use LayerNormalization).")
        # interpolation weights and augmentations draw from their own stream, so the noise stream is GAN's
        self.penalty_seed = keras.random.SeedGenerator(None if seed is None else seed + 1)

    def track(self, *names: str) -> None:
        extra = ("score_gap",) + (("penalty",) if self.penalty_weight else ())
        super().track(*names, *extra)

    def compile(self, d_optimizer, g_optimizer, loss: str = "wasserstein", **kwargs):
        """Set the two optimizers and the loss pair by name: ``"bce"``, ``"wasserstein"`` or ``"hinge"``."""
        if loss == "bce":
            super().compile(d_optimizer, g_optimizer, from_logits=True, **kwargs)
        else:
            d_loss, g_loss = losses(loss)
            super().compile(d_optimizer, g_optimizer, d_loss_fn=d_loss, g_loss_fn=g_loss, **kwargs)
        self.loss_name = loss

    def players(self):
        """The critic's ``n_critic`` updates (clipped after each, with ``clip``), then the generator's."""
        clip = (lambda: clip_weights(self.discriminator.trainable_variables, self.clip)) if self.clip else None
        return [steps.Player("d", self.discriminator.trainable_variables, self.d_optimizer, self._d_loss,
                             turns=self.n_critic, after_update=clip),
                steps.Player("g", self.generator.trainable_variables, self.g_optimizer, self._g_loss)]

    def batch_for(self, player, batch, turn):
        """Critic update ``turn`` takes share ``turn`` of the batch; the generator takes the size of one share."""
        if self.n_critic == 1:
            return batch
        share = ops.shape(batch)[0] // self.n_critic
        if isinstance(share, int) and share == 0:
            raise ValueError(f"a batch of {ops.shape(batch)[0]} cannot give each of n_critic={self.n_critic} "
                             f"critic updates an image. Fix: fit with batch_size = n_critic * 64 (or another multiple).")
        start = turn * share if player.name == "d" else 0
        return batch[start:start + share]

    def _augmented(self, images):
        return images if self.augment is None else self.augment(images)

    def _d_loss(self, real):
        batch = ops.shape(real)[0]
        fake = self.generator(self._noise(real), training=True)
        seen = self._augmented(ops.concatenate([real, fake], axis=0))  # real and fake alike
        scores = self.discriminator(seen, training=True)
        real_scores, fake_scores = scores[:batch], scores[batch:]
        loss = self.d_loss_fn(real_scores, fake_scores)
        logs = {"d_accuracy": self._accuracy(real_scores, fake_scores),
                "score_gap": ops.mean(real_scores) - ops.mean(fake_scores)}
        if self.penalty_weight:
            penalty = gradient_penalty(self.discriminator, seen[:batch], seen[batch:], seed=self.penalty_seed)
            loss = loss + self.penalty_weight * penalty
            logs["penalty"] = penalty
        return loss, logs

    def _g_loss(self, real):
        fake = self.generator(self._noise(real), training=True)
        return self.g_loss_fn(self.discriminator(self._augmented(fake), training=True))


# -- the papers' settings ------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Recipe:
    """One paper's training settings: the loss, the critic's updates and constraint, the optimizer."""

    name: str
    loss: str
    n_critic: int = 1
    clip: float | None = None
    penalty_weight: float | None = None
    spectral_norm: bool = False  # the critic's layers must be wrapped in SpectralNormalization
    optimizer: str = "adam"  # "adam" or "rmsprop"
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    source: str = ""

    def optimizers(self):
        """A fresh ``(d_optimizer, g_optimizer)`` pair with this recipe's settings."""
        if self.optimizer == "rmsprop":
            return keras.optimizers.RMSprop(self.learning_rate), keras.optimizers.RMSprop(self.learning_rate)
        return tuple(keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1, beta_2=self.beta_2)
                     for _ in range(2))


RECIPES = {
    "gan": Recipe("gan", "bce", source="non-saturating GAN; Adam 2e-4, beta_1 0.5 (the DCGAN paper's settings)"),
    "wgan": Recipe("wgan", "wasserstein", n_critic=5, clip=0.01, optimizer="rmsprop", learning_rate=5e-5,
                   source="Arjovsky et al. 2017, Algorithm 1: clip 0.01, n_critic 5, RMSprop 5e-5"),
    "wgan-gp": Recipe("wgan-gp", "wasserstein", n_critic=5, penalty_weight=10.0, learning_rate=1e-4, beta_1=0.0,
                      beta_2=0.9, source="Gulrajani et al. 2017, Algorithm 1: lambda 10, n_critic 5, Adam 1e-4 (0, 0.9)"),
    "hinge-sn": Recipe("hinge-sn", "hinge", spectral_norm=True,
                       source="Miyato et al. 2018, setting C: hinge loss, n_dis 1, Adam 2e-4 (0.5, 0.999)"),
}


def make_gan(recipe: str | Recipe, generator, critic, latent_dim: int, seed: int | None = None,
             augment=None, **kwargs) -> CriticGAN:
    """A compiled :class:`CriticGAN` with the settings of ``recipe`` (a name in :data:`RECIPES`, or a Recipe)."""
    if isinstance(recipe, str):
        if recipe not in RECIPES:
            raise ValueError(f"unknown recipe {recipe!r}. Fix: use one of {', '.join(RECIPES)}.")
        recipe = RECIPES[recipe]
    if recipe.spectral_norm and not has_spectral_norm(critic):
        raise ValueError(f"recipe {recipe.name!r} expects a critic with spectral normalisation, and this one has none. "
                         f"Fix: wrap its Dense/Conv2D layers in keras.layers.SpectralNormalization.")
    gan = CriticGAN(generator, critic, latent_dim, n_critic=recipe.n_critic, clip=recipe.clip,
                    penalty_weight=recipe.penalty_weight, augment=augment, seed=seed, **kwargs)
    gan.compile(*recipe.optimizers(), loss=recipe.loss)
    gan.recipe = recipe
    return gan


# -- a measurement: how much the generator is told ------------------------------------------------

GENERATOR_LOSSES = ("non-saturating", "saturating", "wasserstein")


def generator_gradient_norm(generator, discriminator, noise, loss: str = "non-saturating") -> float:
    """The norm of the generator loss's gradient with respect to ALL the generator's weights, for one batch.

    ``loss``: ``"non-saturating"`` (``mean(softplus(-D(G(z))))``, i.e. -log D on logits),
    ``"saturating"`` (the minimax form, ``-mean(softplus(D(G(z))))``, i.e. log(1 - D)) or
    ``"wasserstein"`` (``-mean(D(G(z)))``). The discriminator scores in inference mode
    (no dropout); the generator runs in training mode, as in a step. Called outside a
    training step (it computes eagerly), on TensorFlow and JAX; nothing is trained.
    When the discriminator wins (its fakes' logits are very negative), the saturating
    loss's gradient vanishes: this is the number that shows it.
    """
    if loss not in GENERATOR_LOSSES:
        raise ValueError(f"unknown generator loss {loss!r}. Fix: use one of {', '.join(GENERATOR_LOSSES)}.")
    noise = ops.convert_to_tensor(noise, "float32")

    def loss_fn():
        scores = discriminator(generator(noise, training=True), training=False)
        if loss == "non-saturating":
            return ops.mean(ops.softplus(-scores))
        if loss == "saturating":
            return -ops.mean(ops.softplus(scores))
        return -ops.mean(scores)

    _, _, gradients = steps._gradients(loss_fn, generator.trainable_variables, False)
    total = sum(float(ops.convert_to_numpy(ops.sum(ops.square(g)))) for g in gradients if g is not None)
    return total ** 0.5
