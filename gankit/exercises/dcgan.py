"""Visible checks for notebook 02, DCGAN: the two builders, the two losses and the training step.

Each check takes the learner's function, tries it on small inputs, recognises the mistakes
learners really make and raises :class:`gankit.checks.ExerciseError` with a message that
names the mistake and ends in "Fix: ...". On success it prints one line. The notebook's
hidden tests call the same checks with other sizes and inputs, so that an answer written
for the visible inputs alone does not pass.

The discriminator's loss follows the course's convention (notebook 00): half the sum of the
mean cross-entropy over the real batch and the mean over the fake batch, log 2 = 0.69 when
the discriminator cannot tell.
"""

from __future__ import annotations

import re

import numpy as np

from gankit.checks import ExerciseError, check_close, softplus, error_text, passed, shape_text, to_numpy, weights_of

IMAGE = (28, 28, 1)


# -- helpers ------------------------------------------------------------------------------------

def layers_of(model) -> list:
    """Every layer of a model, nested models included, in order."""
    found = []
    for layer in getattr(model, "layers", []):
        found += [layer] + layers_of(layer)
    return found


def _kinds(model) -> list[str]:
    return [type(layer).__name__ for layer in layers_of(model)]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype="float64")))


# -- Exercise 1: the generator ------------------------------------------------------------------

def _reshape_message(width: int, text: str) -> str:
    sizes = re.search(r"input_shape=\((\d+),?\)\s*,\s*target_shape=\(([\d,\s]+)\)", text)
    if sizes:
        made, target = int(sizes.group(1)), tuple(int(d) for d in sizes.group(2).split(",") if d.strip())
        holds = int(np.prod(target))
        said = (f"the Dense layer before it makes {made} values per noise vector, but Reshape({target}) holds "
                f"{' x '.join(map(str, target))} = {holds}")
    else:
        said = "the Dense layer before it makes a different number of values than the Reshape target holds"
    return (f"build_generator({width}) fails at the Reshape layer: {said}. Fix: make the two agree, e.g. "
            "Dense(7 * 7 * 64) followed by Reshape((7, 7, 64)), the same three numbers in both.")


def _build_generator(build_generator, width: int):
    import keras

    try:
        G = build_generator(width)
        fake = to_numpy(G(keras.random.normal((2, width)), training=False))
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        text = error_text(error, 2000)
        if "reshape" in text.lower() or "total size" in text.lower():
            raise ExerciseError(_reshape_message(width, text)) from None
        raise ExerciseError(f"build_generator({width}) raised {type(error).__name__}: {error_text(error)}. "
                            "Fix: start with keras.Input((latent_dim,)) and check each layer's output shape "
                            "against the table.") from None
    if not isinstance(G, keras.Model):
        raise ExerciseError(f"build_generator({width}) returned a {type(G).__name__}, not a Keras model. "
                            "Fix: return keras.Sequential([...]) or a functional keras.Model.")
    return G, fake


def _size_message(G, got) -> str:
    said = f"the generator makes images of shape {shape_text((None,) + tuple(got))}, expected {shape_text((None,) + IMAGE)}"
    valid = [layer.name for layer in layers_of(G)
             if type(layer).__name__ in ("Conv2DTranspose", "Conv2D") and getattr(layer, "padding", "") == "valid"]
    if valid and tuple(got[:2]) != IMAGE[:2]:
        return (f"{said}. The layer(s) {', '.join(valid)} use padding=\"valid\", the default of Conv2DTranspose, "
                "which adds kernel_size - strides extra pixels (7x7 becomes 16x16, not 14x14, with kernel 4 and "
                "stride 2). Fix: give every Conv2DTranspose padding=\"same\", so that strides=2 exactly doubles "
                "the size and strides=1 keeps it.")
    if tuple(got[:2]) != IMAGE[:2]:
        return (f"{said}. With padding=\"same\", a Conv2DTranspose with strides=2 doubles the size and one with "
                "strides=1 keeps it. Fix: from the 7x7 block, use exactly two layers with strides=2 "
                "(7 -> 14 -> 28).")
    return (f"{said}: the last layer makes {got[-1]} channels. Fix: give the last Conv2DTranspose 1 filter, "
            "one grey channel.")


def check_generator(build_generator, latent_dim: int = 100, noise_scale: float = 1.0) -> None:
    """Exercise 1: ``build_generator(latent_dim)`` maps noise to 28x28x1 images in [-1, 1], DCGAN-style."""
    import keras

    G, fake = _build_generator(build_generator, latent_dim)
    width = tuple(G.input_shape)[1:] if hasattr(G, "input_shape") else (latent_dim,)
    if width != (latent_dim,):
        raise ExerciseError(f"build_generator({latent_dim}) takes noise of shape {shape_text((None,) + width)}, "
                            f"expected (None, {latent_dim}). Fix: use the latent_dim argument as the input's "
                            "width, keras.Input((latent_dim,)), not a fixed number.")
    if fake.shape[1:] != IMAGE:
        raise ExerciseError(_size_message(G, fake.shape[1:]))
    kinds = _kinds(G)
    if "Conv2DTranspose" not in kinds:
        raise ExerciseError("the generator has no Conv2DTranspose layer. Fix: after the Reshape, grow 7x7 into "
                            "28x28 with Conv2DTranspose(..., strides=2, padding=\"same\") layers.")
    if kinds.count("Dense") > 1:
        raise ExerciseError(f"the generator has {kinds.count('Dense')} Dense layers. DCGAN uses one, to project "
                            "the noise before the Reshape. Fix: keep one Dense layer and use convolutions after it.")
    if "BatchNormalization" not in kinds:
        raise ExerciseError("the generator has no BatchNormalization layer. Fix: normalise after the Dense layer "
                            "and after each hidden Conv2DTranspose (not after the output layer).")
    loud = to_numpy(G(noise_scale * 100.0 * keras.random.normal((4, latent_dim)), training=False))
    if loud.min() >= 0:
        raise ExerciseError("the generator never makes a negative pixel, as with a sigmoid (or relu) output; the "
                            "real images are scaled to [-1, 1]. Fix: end the generator in activation=\"tanh\".")
    if loud.min() < -1 - 1e-5 or loud.max() > 1 + 1e-5:
        raise ExerciseError(f"for large noise the generator's pixels range from {loud.min():.3g} to "
                            f"{loud.max():.3g}, outside [-1, 1]: its last layer is not bounded. Fix: give the "
                            "last Conv2DTranspose activation=\"tanh\".")
    passed(f"build_generator({latent_dim}): {latent_dim} noise values in, 28x28x1 images in [-1, 1] out.")


# -- Exercise 2: the discriminator --------------------------------------------------------------

def check_discriminator(build_discriminator, batch: int = 2) -> None:
    """Exercise 2: ``build_discriminator()`` maps 28x28x1 images to one logit each, with the notebook's constraints."""
    import keras

    try:
        D = build_discriminator()
        scores = to_numpy(D(np.zeros((batch,) + IMAGE, dtype="float32"), training=False))
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        raise ExerciseError(f"build_discriminator() raised {type(error).__name__}: {error_text(error)}. "
                            "Fix: start with keras.Input((28, 28, 1)), the shape of one image.") from None
    if not isinstance(D, keras.Model):
        raise ExerciseError(f"build_discriminator() returned a {type(D).__name__}, not a Keras model. "
                            "Fix: return keras.Sequential([...]) or a functional keras.Model.")
    if scores.shape != (batch, 1):
        raise ExerciseError(f"for {batch} images the discriminator returns shape {scores.shape}, expected "
                            f"({batch}, 1): one logit per image. Fix: end it with Flatten() and Dense(1).")
    kinds = _kinds(D)
    convs = [i for i, kind in enumerate(kinds) if kind == "Conv2D"]
    norms = [i for i, kind in enumerate(kinds) if "Normalization" in kind]
    if norms and (len(convs) < 2 or norms[0] < convs[1]):
        raise ExerciseError("the discriminator has BatchNormalization on its input layer (before or right after "
                            "its first Conv2D). DCGAN never normalises the discriminator's input layer: it made "
                            "training unstable. Fix: remove it; this notebook leaves batch normalisation out of "
                            "the discriminator altogether.")
    if norms:
        raise ExerciseError(f"the discriminator has a {kinds[norms[0]]} layer. This notebook's training step "
                            "shows it a mixed real+fake batch in its own turn and a fakes-only batch in the "
                            "generator's turn, and batch statistics would judge the same fake differently in "
                            "the two. Fix: remove it and rely on Dropout(0.3).")
    pools = sorted({kind for kind in kinds if "Pooling" in kind})
    if pools:
        raise ExerciseError(f"the discriminator uses {', '.join(pools)}; DCGAN has no pooling. Fix: shrink the "
                            "images with Conv2D(..., strides=2, padding=\"same\") instead.")
    if not any(kind == "Conv2D" and max(layer.strides) > 1 for kind, layer in zip(kinds, layers_of(D))):
        raise ExerciseError("the discriminator has no strided convolution. Fix: halve the images with "
                            "Conv2D(..., strides=2, padding=\"same\"), 28 -> 14 -> 7 -> 4.")
    loud = to_numpy(D(100.0 * keras.random.normal((4,) + IMAGE), training=False))
    if loud.min() >= 0 and loud.max() <= 1:
        raise ExerciseError("the discriminator's outputs all lie between 0 and 1: it ends in a sigmoid and returns "
                            "probabilities, but this notebook's losses expect logits (from_logits=True), so the "
                            "sigmoid would be applied twice and every score squashed into (0.5, 0.73). Fix: end "
                            "with Dense(1) and no activation.")
    probe = keras.random.uniform((2,) + IMAGE, minval=-1.0, maxval=1.0)
    if np.allclose(to_numpy(D(probe, training=True)), to_numpy(D(probe, training=True))):
        raise ExerciseError("the discriminator gives the same scores twice in training mode, so it has no dropout. "
                            "Fix: add Dropout(0.3) after each LeakyReLU.")
    passed("build_discriminator(): 28x28x1 images in, one logit out; no pooling, no batch normalisation.")


# -- Exercises 3 and 4: the losses --------------------------------------------------------------

def _one_number(fn, name: str, *args) -> float:
    from keras import ops

    try:
        value = fn(*(ops.convert_to_tensor(np.asarray(a, dtype="float32")) for a in args))
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        raise ExerciseError(f"{name} raised {type(error).__name__}: {error_text(error)}. Fix: work on the tensors "
                            "with keras.ops (ops.binary_crossentropy, ops.ones_like, ops.mean).") from None
    array = to_numpy(value)
    if array.size != 1:
        raise ExerciseError(f"{name} returned an array of shape {array.shape}; it must return one number. "
                            "Fix: average over the batch with ops.mean.")
    return float(array.reshape(()))


def _bce_on_probabilities(label, p):
    """What a loss built for probabilities does with its input: Keras clips it to [eps, 1 - eps], in float32."""
    eps = np.float32(1e-7)
    p = np.clip(np.asarray(p, dtype="float32"), eps, np.float32(1) - eps)
    return -(label * np.log(p) + (1 - label) * np.log(np.float32(1) - p)).astype("float64")


TWICE = ("it applies a sigmoid to the logits before a loss built for logits, so the sigmoid is applied twice and "
         "every score lands in (0.5, 0.73): such a critic can never say \"fake\". Fix: pass the logits straight "
         "to ops.binary_crossentropy(..., from_logits=True)")
AS_PROBABILITIES = ("it treats the logits as probabilities: a loss built for probabilities (from_logits=False, "
                    "the default of keras.losses.BinaryCrossentropy) clips a logit of -3 to almost 0. Fix: the "
                    "discriminator returns logits, so use ops.binary_crossentropy(..., from_logits=True)")


def check_discriminator_loss(discriminator_loss, real=None, fake=None) -> None:
    """Exercise 3: ``discriminator_loss(real_logits, fake_logits)`` = 0.5 * (BCE(1, real) + BCE(0, fake))."""
    real = np.array([[2.0], [-1.0], [0.5], [3.0]]) if real is None else np.asarray(real, dtype="float64")
    fake = np.array([[-2.0], [1.0], [-0.5], [0.0]]) if fake is None else np.asarray(fake, dtype="float64")
    got = _one_number(discriminator_loss, "discriminator_loss", real, fake)
    right = 0.5 * (softplus(-real).mean() + softplus(fake).mean())
    if not np.isfinite(got):
        raise ExerciseError(f"discriminator_loss is {got} for logits as large as {np.abs([real, fake]).max():.0f}. "
                            "Fix: use ops.binary_crossentropy(..., from_logits=True), which is computed in a safe "
                            "form, not log(sigmoid(x)) by hand.")
    mistakes = {
        "the real and fake labels look swapped: real logits must be compared with 1 (\"real\") and fake logits "
        "with 0 (\"fake\"). Fix: BCE(ones_like(real_logits), real_logits) and BCE(zeros_like(fake_logits), "
        "fake_logits)": 0.5 * (softplus(real).mean() + softplus(-fake).mean()),
        AS_PROBABILITIES: 0.5 * (_bce_on_probabilities(1, real).mean() + _bce_on_probabilities(0, fake).mean()),
        TWICE: 0.5 * (softplus(-_sigmoid(real)).mean() + softplus(_sigmoid(fake)).mean()),
    }
    for mistake, value in mistakes.items():
        for factor in (1.0, 2.0):
            if np.isclose(got, factor * value, rtol=1e-3, atol=1e-4) and not np.isclose(got, right, rtol=1e-4):
                raise ExerciseError(f"discriminator_loss is {got:.4f}, expected {right:.4f}: {mistake}.")
    if np.isclose(got, 2 * right, rtol=1e-4):
        raise ExerciseError(f"discriminator_loss is {got:.4f}, twice the expected {right:.4f}: it adds the real and "
                            "fake halves. The course's convention (notebook 00) is half their sum, so that a "
                            "discriminator that cannot tell reads log 2 = 0.69. Fix: take their mean, "
                            "0.5 * (real part + fake part).")
    check_close(got, right, what="discriminator_loss on known logits", rtol=1e-3, atol=1e-4,
                hint="Fix: return 0.5 * (mean BCE(1, real_logits) + mean BCE(0, fake_logits)), with from_logits=True.")
    zeros = np.zeros((3, 1))
    check_close(_one_number(discriminator_loss, "discriminator_loss", zeros, zeros), np.log(2), atol=1e-4,
                what="discriminator_loss for logits of 0 (D cannot tell)",
                hint="Fix: a discriminator that cannot tell must read log 2 = 0.69.")
    passed(f"discriminator_loss: {got:.4f} on {len(real)} known logits, as expected; log 2 when D cannot tell.")


def check_generator_loss(generator_loss, fake=None) -> None:
    """Exercise 4: ``generator_loss(fake_logits)`` = BCE(1, fake), the non-saturating loss."""
    fake = np.array([[-2.0], [1.0], [-0.5], [0.0], [2.5]]) if fake is None else np.asarray(fake, dtype="float64")
    got = _one_number(generator_loss, "generator_loss", fake)
    right = softplus(-fake).mean()
    if not np.isfinite(got):
        raise ExerciseError(f"generator_loss is {got} for logits as large as {np.abs(fake).max():.0f}. Fix: use "
                            "ops.binary_crossentropy(..., from_logits=True), which is computed in a safe form.")
    mistakes = {
        "the generator is trained towards the \"fake\" label (0): that teaches it to make fakes the discriminator "
        "finds easy to reject. Fix: compare the fake logits with 1 (\"real\"), ops.ones_like(fake_logits)":
            softplus(fake).mean(),
        "this is the saturating loss, the mean of log(1 - D(G(z))), which gives the generator almost no gradient "
        "while the discriminator wins. Fix: use the non-saturating one, BCE against the label 1 (\"real\")":
            -softplus(fake).mean(),
        AS_PROBABILITIES: _bce_on_probabilities(1, fake).mean(),
        TWICE: softplus(-_sigmoid(fake)).mean(),
    }
    for mistake, value in mistakes.items():
        if np.isclose(got, value, rtol=1e-3, atol=1e-4) and not np.isclose(got, right, rtol=1e-4):
            raise ExerciseError(f"generator_loss is {got:.4f}, expected {right:.4f}: {mistake}.")
    check_close(got, right, what="generator_loss on known logits", rtol=1e-3, atol=1e-4,
                hint="Fix: return the mean of BCE(1, fake_logits), with from_logits=True.")
    check_close(_one_number(generator_loss, "generator_loss", np.zeros((3, 1))), np.log(2), atol=1e-4,
                what="generator_loss for logits of 0", hint="Fix: it must read log 2 = 0.69 when D cannot tell.")
    passed(f"generator_loss: {got:.4f} on {len(fake)} known logits, as expected; log 2 when D cannot tell.")


# -- Exercise 5: the training step --------------------------------------------------------------

def _tiny_models(seed: int):
    """A "generator" whose every fake is tanh(one learned image), and a linear discriminator."""
    import keras
    from keras import layers, ops

    class FixedImage(layers.Layer):
        def build(self, input_shape):
            self.image = self.add_weight(shape=(4, 4, 1),
                                         initializer=keras.initializers.RandomNormal(stddev=0.8, seed=seed))

        def call(self, noise):
            return ops.tanh(self.image)[None] + ops.reshape(0.0 * noise[:, :1], (-1, 1, 1, 1))

    G = keras.Sequential([keras.Input((3,)), FixedImage()], name="tiny_generator")
    D = keras.Sequential([keras.Input((4, 4, 1)), layers.Flatten(),
                          layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=seed + 1))],
                         name="tiny_discriminator")
    return G, D


NO_GRADIENTS = ("the {who} got no gradients (\"No gradients provided for any variable\"): the tape of the "
                "{who}'s turn never saw the {who}'s weights at work. The usual cause is {cause}. Fix: {fix}")


def _run_step(train_step, real, rate_d: float, rate_g: float, seed: int):
    """One call of the learner's step on fresh tiny models, with the course's reference losses."""
    import keras
    import tensorflow as tf

    from gankit.trainer import bce_losses

    G, D = _tiny_models(seed)
    start = weights_of(G), weights_of(D)
    namespace = getattr(train_step, "__globals__", {})
    saved = {name: namespace.get(name) for name in ("discriminator_loss", "generator_loss")}
    namespace["discriminator_loss"], namespace["generator_loss"] = bce_losses(from_logits=True)
    try:
        result = train_step(tf.constant(real), G, D, keras.optimizers.SGD(rate_g), keras.optimizers.SGD(rate_d), 3)
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        text = error_text(error)
        if "no gradients provided" in text.lower():
            d_moved = any(not np.array_equal(a, b) for a, b in zip(start[1], weights_of(D)))
            if d_moved:
                raise ExerciseError(NO_GRADIENTS.format(
                    who="generator",
                    cause="fakes made outside the generator's tape, e.g. reusing the fakes of the "
                          "discriminator's turn, made before `with tf.GradientTape() as tape:`",
                    fix="in the generator's turn, draw fresh noise and call generator(noise, training=True) "
                        "INSIDE the with-block, then score those fakes and compute g_loss there too.")) from None
            raise ExerciseError(NO_GRADIENTS.format(
                who="discriminator",
                cause="scores computed outside the discriminator's tape",
                fix="call discriminator(...) and discriminator_loss(...) INSIDE `with tf.GradientTape() as "
                    "tape:`, then take tape.gradient(d_loss, discriminator.trainable_variables).")) from None
        raise ExerciseError(
            f"train_step raised {type(error).__name__}: {text}. If it is about shapes, check that each optimiser "
            "gets its own model's gradients and weights. Fix: d_optimizer.apply(gradients of d_loss, "
            "discriminator.trainable_variables), g_optimizer.apply(gradients of g_loss, "
            "generator.trainable_variables).") from None
    finally:
        for name, value in saved.items():
            if value is None:
                namespace.pop(name, None)
            else:
                namespace[name] = value
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise ExerciseError(f"train_step returned {result!r}. Fix: return the two losses, (d_loss, g_loss).")
    losses = [float(to_numpy(value).reshape(-1)[0]) for value in result]
    return start, (weights_of(G), weights_of(D)), losses


def check_train_step(train_step, batch: int = 6, rate_d: float = 0.5, rate_g: float = 0.2, seed: int = 1) -> None:
    """Exercise 5 (TensorFlow): one call of ``train_step`` is one SGD step of D on d_loss, then of G on g_loss.

    The models are tiny (a linear discriminator, a generator that draws one learned image),
    so the step can be worked out by hand and compared weight by weight. The two optimisers
    use different rates, so that swapping them shows.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        print(f"Skipped: Exercise 5 is written for TensorFlow and this kernel runs {keras.backend.backend()!r}. "
              "The autograder runs it on TensorFlow.")
        return
    real = np.random.default_rng(seed).uniform(-1, 1, (batch, 4, 4, 1)).astype("float32")
    (g_start, d_start), (g_end, d_end), (d_loss, g_loss) = _run_step(train_step, real, rate_d, rate_g, seed)
    if all(np.array_equal(a, b) for a, b in zip(d_start, d_end)):
        raise ExerciseError("the discriminator's weights did not change. Fix: apply the gradients of d_loss with "
                            "d_optimizer.apply(gradients, discriminator.trainable_variables).")
    if all(np.array_equal(a, b) for a, b in zip(g_start, g_end)):
        raise ExerciseError("the generator's weights did not change. Fix: apply the gradients of g_loss with "
                            "g_optimizer.apply(gradients, generator.trainable_variables).")
    if not (np.isfinite(d_loss) and np.isfinite(g_loss)):
        raise ExerciseError(f"train_step returned d_loss={d_loss}, g_loss={g_loss}. Fix: return the two finite "
                            "losses computed in the step.")

    # The step by hand. D is linear: score = w . x + b. Every fake is f = tanh(image).
    image, (w, b) = g_start[0], d_start
    f, w, b = np.tanh(image).reshape(-1).astype("float64"), w.reshape(-1).astype("float64"), float(b[0])
    R = real.reshape(len(real), -1).astype("float64")
    s_real, s_fake = R @ w + b, f @ w + b
    d_loss_right = 0.5 * (softplus(-s_real).mean() + softplus(s_fake))
    grad_w = 0.5 * ((-_sigmoid(-s_real))[:, None] * R).mean(axis=0) + 0.5 * _sigmoid(s_fake) * f
    grad_b = 0.5 * ((-_sigmoid(-s_real)).mean() + _sigmoid(s_fake))

    def d_after(rate):
        return w - rate * grad_w, b - rate * grad_b

    def g_after(w_d, b_d, rate, use_d_loss=False):
        s = f @ w_d + b_d
        grad_f = 0.5 * _sigmoid(s) * w_d if use_d_loss else -_sigmoid(-s) * w_d
        return (np.arctanh(f) - rate * grad_f * (1 - f ** 2)).reshape(image.shape), softplus(-s)

    def same(got, want):
        return all(np.allclose(np.reshape(g, -1), np.reshape(x, -1), rtol=1e-4, atol=1e-5) for g, x in zip(got, want))

    got_d = [d_end[0].reshape(-1), d_end[1].reshape(-1)[0]]
    if not same(got_d, d_after(rate_d)):
        if same(got_d, d_after(rate_g)):
            raise ExerciseError("the discriminator was updated with g_optimizer: the optimisers look swapped. "
                                "Fix: d_optimizer updates the discriminator, g_optimizer the generator.")
        raise ExerciseError("the discriminator's weights after train_step are not one step of d_optimizer on "
                            "d_loss. Fix: compute d_loss on the real and fake scores inside the tape, apply its "
                            "gradients to discriminator.trainable_variables once, and do not let the generator's "
                            "turn change the discriminator.")
    w1, b1 = d_after(rate_d)
    allowed = [g_after(w1, b1, rate_g), g_after(w, b, rate_g)]  # fakes judged by the updated (or the previous) D
    if not any(same([g_end[0]], [image_right]) for image_right, _ in allowed):
        if any(same([g_end[0]], [g_after(wd, bd, rate_g, use_d_loss=True)[0]]) for wd, bd in ((w1, b1), (w, b))):
            raise ExerciseError("the generator was updated with the gradients of d_loss, the discriminator's loss: "
                                "it then learns to make fakes that are easy to catch. Fix: give the generator the "
                                "gradients of g_loss = generator_loss(discriminator(fakes)).")
        if any(same([g_end[0]], [g_after(wd, bd, rate_d)[0]]) for wd, bd in ((w1, b1), (w, b))):
            raise ExerciseError("the generator was updated with d_optimizer: the optimisers look swapped. "
                                "Fix: d_optimizer updates the discriminator, g_optimizer the generator.")
        raise ExerciseError("the generator's weights after train_step are not one step of g_optimizer on "
                            "g_loss = generator_loss(discriminator(fakes)). Fix: apply the gradients of g_loss "
                            "with respect to generator.trainable_variables, once.")
    check_close(d_loss, d_loss_right, what="the d_loss returned by train_step", rtol=1e-4, atol=1e-5,
                hint="Fix: return (d_loss, g_loss), in that order, as computed in the step.")
    if not any(np.isclose(g_loss, loss, rtol=1e-4, atol=1e-5) for _, loss in allowed):
        raise ExerciseError(f"train_step returned g_loss={g_loss:.5f}, expected {allowed[0][1]:.5f}. "
                            "Fix: return (d_loss, g_loss), in that order, as computed in the step.")
    passed(f"train_step on {batch} images: one step of d_optimizer on d_loss, then one of g_optimizer on g_loss, "
           "weight for weight.")


# -- Section 6: training with the learner's own step --------------------------------------------

def your_step_gan(step, generator, discriminator, latent_dim: int, seed: int | None = None,
                  average_decay: float | None = None):
    """A :class:`gankit.trainer.GAN` whose training step is ``step``, the learner's ``train_step`` (TensorFlow).

    ``step(real_images, generator, discriminator, g_optimizer, d_optimizer, latent_dim)``
    returns ``(d_loss, g_loss)``. Keras's ``fit`` compiles the whole step with ``tf.function``
    (pass ``step`` already wrapped in ``tf.function`` or not: nested, it runs as one graph).
    After each step the trainer keeps the averaged generator, as ``GAN`` does, and takes one
    more look, in inference mode, at the real batch and at fresh fakes to report
    ``d_accuracy`` (the learner's step returns only the losses). Everything else (``compile``,
    ``train``, the callbacks, ``sampler``) is ``GAN``'s.
    """
    import keras
    from keras import ops

    from gankit.trainer import GAN

    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"your train_step uses tf.GradientTape, so it runs on TensorFlow only, and this kernel runs "
                         f"{keras.backend.backend()!r}. Fix: train with gankit.trainer.GAN, whose step does the same "
                         "on every backend.")

    class YourStepGAN(GAN):
        def train_step(self, data):
            real = self.prepare_batch(data)
            d_loss, g_loss = step(real, self.generator, self.discriminator, self.g_optimizer, self.d_optimizer,
                                  self.latent_dim)
            self.after_updates(real)  # the averaged generator, kept as GAN keeps it
            n = ops.shape(real)[0]
            scores = self.discriminator(ops.concatenate([real, self.generator(self._noise(real), training=False)],
                                                        axis=0), training=False)
            values = {"d_loss": d_loss, "g_loss": g_loss, "d_accuracy": self._accuracy(scores[:n], scores[n:])}
            for name, tracker in self.trackers.items():
                tracker.update_state(values[name])
            return {name: tracker.result() for name, tracker in self.trackers.items()}

    return YourStepGAN(generator, discriminator, latent_dim, seed=seed, average_decay=average_decay)


# -- Section 10: short runs of broken recipes -----------------------------------------------------

class ShortRun:
    """What a short training run left: ``steps`` (per-step losses), ``samples`` (16 digits) and ``title``."""

    def __init__(self, title: str, steps: dict, samples: np.ndarray):
        self.title, self.steps, self.samples = title, steps, samples

    def last(self, name: str, n: int = 20) -> float:
        """The mean of ``name`` over the last ``n`` steps (NaN if it went NaN)."""
        values = np.asarray(self.steps.get(name, [np.nan]), dtype="float64")[-n:]
        return float(values.mean())

    def first_nan(self) -> int | None:
        """The first step (from 1) whose losses were NaN, or None."""
        for name in ("d_loss", "g_loss"):
            values = np.asarray(self.steps.get(name, []), dtype="float64")
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                return int(bad[0]) + 1
        return None

    def __repr__(self) -> str:
        if not self.steps:
            return f"{self.title}: not trained"
        text = (f"{self.title}: {len(self.steps.get('d_loss', []))} steps, last d_loss {self.last('d_loss'):.3f}, "
                f"g_loss {self.last('g_loss'):.3f}")
        if not np.all(np.isfinite(self.samples)):
            return text + f"; the losses turned NaN at step {self.first_nan()} and so did every sample"
        spread = float(np.std(self.samples, axis=0).mean())
        return (text + f"; pixels from {self.samples.min():.2f} to {self.samples.max():.2f}, "
                f"spread between samples {spread:.3f}")


def short_run(title: str, generator, discriminator, images, steps: int, *, d_loss_fn=None, g_loss_fn=None,
              d_learning_rate: float = 2e-4, g_learning_rate: float = 2e-4, batch_size: int = 64,
              seed: int = 0) -> ShortRun:
    """Train ``generator`` and ``discriminator`` for ``steps`` steps with the package's ``GAN`` step.

    The losses default to the course's; pass others (or odd learning rates, or odd
    images) to see what a broken recipe does. Returns a :class:`ShortRun` with 16
    samples from fixed noise. ``steps=0`` trains nothing (the samples are the untrained
    generator's).
    """
    import keras

    from gankit.callbacks import LossHistory
    from gankit.trainer import GAN

    latent_dim = int(generator.input_shape[-1])
    noise = keras.random.normal((16, latent_dim), seed=seed + 1)
    if steps <= 0:  # e.g. under the autograder: nothing to show, nothing to wait for
        return ShortRun(title, {}, to_numpy(generator(noise, training=False)))
    images = np.asarray(images, dtype="float32")[: steps * batch_size]
    if len(images) < batch_size:
        raise ValueError(f"{len(images)} images make no batch of {batch_size}. Fix: pass more images or a "
                         "smaller batch_size.")
    gan = GAN(generator, discriminator, latent_dim, seed=seed)
    gan.compile(keras.optimizers.Adam(d_learning_rate, beta_1=0.5), keras.optimizers.Adam(g_learning_rate, beta_1=0.5),
                d_loss_fn=d_loss_fn, g_loss_fn=g_loss_fn)
    history = LossHistory()
    # gan.fit, not gankit.trainer.train: train refuses images outside [-1, 1], and one recipe needs them.
    gan.fit(images, batch_size=batch_size, epochs=1, shuffle=False, callbacks=[history], verbose=0)
    samples = to_numpy(generator(noise, training=False))
    return ShortRun(title, history.steps, samples)


def show_run(run: ShortRun, axes=None, samples: int = 16):
    """Plot a :class:`ShortRun`: its two losses (with log 2) beside its first ``samples`` samples (16 or 4).

    Without ``axes`` it draws a new figure, shows it and prints the run's last losses.
    """
    import matplotlib.pyplot as plt

    from gankit.plots import show_images

    own_figure = axes is None
    if own_figure:
        _, axes = plt.subplots(1, 2, figsize=(8, 2.6), gridspec_kw={"width_ratios": [1.6, 1]})
    left, right = axes
    for name in ("d_loss", "g_loss"):
        values = np.asarray(run.steps.get(name, []), dtype="float64")
        left.plot(np.arange(1, len(values) + 1), values, label=name, linewidth=1)
    left.axhline(np.log(2), color="grey", linestyle=":", linewidth=1, label="log 2")
    left.set_xlabel("step")
    left.set_title(run.title, fontsize=10)
    left.legend(fontsize=8)
    shown = run.samples[:samples]
    if not np.all(np.isfinite(shown)):
        right.text(0.5, 0.5, "the samples are NaN", ha="center", va="center")
        right.set_axis_off()
    else:
        show_images(np.clip(shown, -1, 1), rows=int(round(np.sqrt(len(shown)))), title=f"{len(shown)} samples",
                    ax=right)
    if own_figure:
        plt.show()
        print(run)
    return axes
