"""Visible checks for notebook 01, A first GAN: the data, the two MLPs, the classic
recipe's compile, the training step, and the diagnosis of four recorded runs.

Each check builds what it needs, calls the learner's function once or a few times,
recognises the mistakes learners really make, and raises
:class:`gankit.checks.ExerciseError` with a message that names the mistake and ends in
"Fix: ...". On success it prints one line.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np

from gankit.checks import (ExerciseError, check_model_io, check_run_names, error_text, grade_run_names, passed, shipped_file, to_numpy,
                           weights_of)

REAL_LABEL = 0.9  # one-sided label smoothing, as the exercise asks
RUNS_FILE = pathlib.Path(__file__).with_name("mlp_gan_runs.npz")
DIAGNOSES = ("healthy", "frozen discriminator", "mode collapse", "wrong pixel range")


# --- Exercise 1: prepare the images -------------------------------------------------------

def check_prepare_images(prepare_images) -> None:
    """``prepare_images(raw)``: uint8 (n, 28, 28, 1) in [0, 255] -> float32 (n, 784) in [-1, 1]."""
    raw = np.zeros((3, 28, 28, 1), dtype="uint8")
    raw[0] = 255
    raw[1, 10:18, 10:18] = 255
    raw[2] = 51
    x = to_numpy(prepare_images(raw))
    if x.ndim != 2 or x.shape[1] != 784:
        if x.size == raw.size:
            raise ExerciseError(f"prepare_images returned shape {x.shape}: the images are not flattened, so an MLP "
                                "discriminator would be fed 28x28 images while its Dense layers read rows. "
                                "Fix: reshape to (len(images), 784), one row of 784 pixels per digit.")
        raise ExerciseError(f"prepare_images returned shape {x.shape}, expected (3, 784) for 3 images. "
                            "Fix: one row of 28 * 28 = 784 pixels per digit.")
    if len(x) != len(raw):
        raise ExerciseError(f"prepare_images returned {len(x)} rows for {len(raw)} images. Fix: reshape to "
                            "(len(images), 784), keeping one row per digit.")
    if x.max() > 2:
        raise ExerciseError(f"the pixels range from {x.min():g} to {x.max():g}: the images were left in [0, 255], "
                            "while the generator ends in tanh and can only draw values in [-1, 1]; the "
                            "discriminator would tell real from fake by brightness alone. Fix: x / 127.5 - 1.")
    if x.min() >= 0 and x.max() > 0.5:
        raise ExerciseError(f"the pixels range from {x.min():g} to {x.max():g}: the images were left in [0, 1], "
                            "while the generator ends in tanh and draws in [-1, 1]. A fake with a pixel below 0 "
                            "would give itself away, and the background the generator must learn (-1) is one no "
                            "real digit has. Fix: x / 127.5 - 1, so 0 maps to -1 and 255 to 1.")
    want = raw.reshape(3, 784).astype("float64") / 127.5 - 1.0
    if not np.allclose(x, want, atol=1e-4):
        raise ExerciseError(f"the pixels range from {x.min():.3g} to {x.max():.3g}, but 0 should map to -1, 255 to 1 "
                            "and 51 to -0.6. Fix: x / 127.5 - 1.")
    if str(getattr(x, "dtype", "")) != "float32":
        raise ExerciseError(f"prepare_images returned {x.dtype} values. Fix: .astype('float32'), Keras' default.")
    passed("prepare_images: flat rows of 784 pixels in [-1, 1].")


# --- Exercise 2: the generator --------------------------------------------------------------

def check_generator(build_generator) -> None:
    """``build_generator(latent_dim)``: noise of width latent_dim -> 784 pixels through tanh."""
    import keras

    generator = build_generator(100)
    try:
        check_model_io(generator, (100,), (784,), name="generator")
    except ExerciseError as error:
        if tuple(getattr(generator, "output_shape", ()))[1:] == (28, 28, 1):
            raise ExerciseError("the generator outputs 28x28x1 images; this notebook works with flat images "
                                "(the rows of x_train). Fix: end with Dense(784, activation=\"tanh\"), no Reshape.") from None
        raise ExerciseError(f"{error}. The generator takes noise vectors of latent_dim = 100 values and returns flat "
                            "images of 28 * 28 = 784 pixels. Fix: keras.Input((latent_dim,)) ... Dense(784).") from None
    small = build_generator(7)
    width = tuple(getattr(small, "input_shape", (None, None)))[1:]
    if width != (7,):
        raise ExerciseError(f"build_generator(7) takes noise of width {width}, expected (7,): the noise width is "
                            "fixed instead of read from the argument. Fix: keras.Input((latent_dim,)).")
    loud = to_numpy(generator(100.0 * keras.random.normal((64, 100), seed=1), training=False))
    if loud.min() >= 0 and loud.max() <= 1:
        raise ExerciseError("every generator output lies in [0, 1], as with a sigmoid (or relu) output layer, while "
                            "the real images are scaled to [-1, 1]: the generator can never draw the black "
                            "background, and the discriminator wins at once. Fix: Dense(784, activation=\"tanh\").")
    if loud.min() < -1 - 1e-5 or loud.max() > 1 + 1e-5:
        raise ExerciseError(f"for large noise the generator outputs range from {loud.min():.3g} to {loud.max():.3g}: "
                            "its last layer is not bounded. Fix: Dense(784, activation=\"tanh\").")
    passed("build_generator: latent_dim noise values in, 784 pixels in [-1, 1] out.")


# --- Exercise 3: the discriminator ----------------------------------------------------------

def check_discriminator(build_discriminator) -> None:
    """``build_discriminator()``: 784 pixels -> one logit, with dropout."""
    import keras

    discriminator = build_discriminator()
    got_in = tuple(getattr(discriminator, "input_shape", (None,)))[1:]
    if got_in != (784,):
        raise ExerciseError(f"the discriminator reads inputs of shape {got_in}, but it is fed the rows of x_train "
                            "and the generator's flat images, 784 pixels each; unflattened 28x28 images do not "
                            "fit the MLP pipeline. Fix: keras.Input((784,)).")
    check_model_io(discriminator, (784,), (1,), name="discriminator")
    scores = to_numpy(discriminator(100.0 * keras.random.normal((32, 784), seed=2), training=False))
    if scores.min() >= 0 and scores.max() <= 1:
        raise ExerciseError("the discriminator's outputs all lie in [0, 1], as if it ends in a sigmoid, but the loss "
                            "of this notebook expects a logit (from_logits=True): the sigmoid would be applied "
                            "twice. Fix: end with Dense(1) and no activation.")
    probe = keras.random.uniform((32, 784), minval=-1.0, maxval=1.0, seed=3)
    first, second = to_numpy(discriminator(probe, training=True)), to_numpy(discriminator(probe, training=True))
    if np.allclose(first, second):
        raise ExerciseError("the discriminator gives the same scores twice in training mode: it has no dropout, so it "
                            "can memorise the training digits and overpower the generator. "
                            "Fix: add layers.Dropout(0.3) after each hidden layer.")
    passed("build_discriminator: 784 pixels in, one logit out, dropout while training.")


# --- Exercise 4: the classic recipe's compile -----------------------------------------------

def tiny_models(latent_dim: int = 4, size: int = 16):
    """A tiny generator and discriminator, to try compile_gan and train_step on."""
    import keras
    from keras import layers

    generator = keras.Sequential([keras.Input((latent_dim,)), layers.Dense(size, activation="tanh")])
    discriminator = keras.Sequential([keras.Input((size,)), layers.Dense(8), layers.LeakyReLU(0.2), layers.Dense(1)])
    return generator, discriminator


def _optimizer_settings(model, name: str):
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ExerciseError(f"{name} was not compiled. Fix: {name}.compile(optimizer=..., loss=...).")
    rate = float(to_numpy(optimizer.learning_rate))
    beta_1 = float(to_numpy(getattr(optimizer, "beta_1", np.nan)))
    return rate, beta_1, isinstance(optimizer, keras.optimizers.Adam)


def check_compile_gan(compile_gan) -> None:
    """``compile_gan(generator, discriminator, learning_rate=2e-4, beta_1=0.5)`` -> the stacked, compiled gan."""
    import keras

    generator, discriminator = tiny_models()
    gan = compile_gan(generator, discriminator)
    if not isinstance(gan, keras.Model):
        raise ExerciseError(f"compile_gan returned {type(gan).__name__}. Fix: return the stacked model "
                            "keras.Sequential([generator, discriminator]), compiled.")
    for model, name in ((discriminator, "the discriminator"), (gan, "the stacked gan")):
        rate, beta_1, adam = _optimizer_settings(model, name.split()[-1])
        if not adam:
            raise ExerciseError(f"{name} is compiled with {type(model.optimizer).__name__}. Fix: "
                                "keras.optimizers.Adam(learning_rate, beta_1=beta_1).")
        if abs(rate - 0.02) < 1e-9:
            raise ExerciseError(f"{name}'s learning rate is 0.02, a hundred times the recipe's 2e-4: the 0.02 of a "
                                "widely copied post is a typo, and at that rate the players overshoot and do not "
                                "train. Fix: Adam(learning_rate, beta_1=beta_1) with the default learning_rate=2e-4.")
        if not np.isclose(rate, 2e-4, rtol=1e-3):
            raise ExerciseError(f"{name}'s learning rate is {rate:g} with the default arguments, not 2e-4. Fix: pass "
                                "the learning_rate argument to each Adam.")
        if not np.isclose(beta_1, 0.5, rtol=1e-3):
            raise ExerciseError(f"{name}'s Adam has beta_1 = {beta_1:g}, not 0.5. Fix: pass beta_1=beta_1 to each Adam.")
    probe = np.zeros((2, 4), dtype="float32")
    if tuple(to_numpy(gan(probe)).shape) != (2, 1):
        raise ExerciseError("the stacked gan should turn noise into one logit per sample. "
                            "Fix: keras.Sequential([generator, discriminator]).")
    generator_ids = {id(w) for w in generator.trainable_weights}
    trained = {id(w) for w in gan.trainable_weights}
    if trained - generator_ids:
        raise ExerciseError("the stacked gan can train the discriminator's weights too, so the generator's update "
                            "would also teach the discriminator to call fakes real. Fix: set "
                            "discriminator.trainable = False after compiling the discriminator and before "
                            "building and compiling the gan.")
    loss = getattr(gan, "loss", None)
    if loss is not None and hasattr(loss, "get_config") and not loss.get_config().get("from_logits", True):
        raise ExerciseError("the loss expects probabilities, but the discriminator returns logits. Fix: "
                            "keras.losses.BinaryCrossentropy(from_logits=True).")
    generator, discriminator = tiny_models()
    compile_gan(generator, discriminator, learning_rate=1e-3)
    rate = _optimizer_settings(discriminator, "discriminator")[0]
    if not np.isclose(rate, 1e-3, rtol=1e-3):
        raise ExerciseError(f"compile_gan(..., learning_rate=1e-3) gave the discriminator a learning rate of {rate:g}: "
                            "the argument is ignored. Fix: Adam(learning_rate, beta_1=beta_1).")
    passed("compile_gan: Adam(2e-4, beta_1=0.5) for both models, and the gan trains the generator only.")


# --- Exercise 5: one round of the game ------------------------------------------------------

def compiled_tiny_gan(latent_dim: int = 4, size: int = 16, learning_rate: float = 0.01):
    """Tiny models compiled the classic way (D frozen before stacking), to try a train_step on."""
    import keras

    generator, discriminator = tiny_models(latent_dim, size)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    discriminator.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5), loss=loss)
    discriminator.trainable = False
    gan = keras.Sequential([generator, discriminator])
    gan.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5), loss=loss)
    return generator, discriminator, gan


def check_train_step(train_step, latent_dim: int = 4, size: int = 16, n: int = 8) -> None:
    """``train_step(real_images, generator, discriminator, gan, latent_dim)``: one round of the game.

    Spies on both ``train_on_batch`` calls: D must learn on real images labelled 0.9 and as
    many fakes labelled 0, and stay still while the gan trains the generator towards 1.
    """
    generator, discriminator, gan = compiled_tiny_gan(latent_dim, size)
    rng = np.random.default_rng(0)
    real = (0.8 + 0.05 * rng.standard_normal((n, size))).astype("float32")
    d_calls, gan_calls = [], []
    d_train, gan_train = discriminator.train_on_batch, gan.train_on_batch

    def d_spy(x, y=None, *args, **kwargs):
        before = weights_of(discriminator)
        out = d_train(x, y, *args, **kwargs)
        d_calls.append((to_numpy(x), None if y is None else to_numpy(y), before, weights_of(discriminator)))
        return out

    def gan_spy(x, y=None, *args, **kwargs):
        before = weights_of(discriminator)
        out = gan_train(x, y, *args, **kwargs)
        gan_calls.append((to_numpy(x), None if y is None else to_numpy(y), before, weights_of(discriminator)))
        return out

    discriminator.train_on_batch, gan.train_on_batch = d_spy, gan_spy
    g_start = weights_of(generator)
    try:
        result = train_step(real, generator, discriminator, gan, latent_dim)
    except (ExerciseError, NotImplementedError):
        raise
    except Exception as error:
        text = error_text(error, 200)
        if re.search(r"\b100\b", text) or "shape" in text.lower() or "incompatible" in text.lower():
            raise ExerciseError(f"train_step(..., latent_dim={latent_dim}) raised {type(error).__name__}: {text}. The "
                                "noise has the wrong width (a fixed 100?) for a generator of "
                                f"latent_dim = {latent_dim}. Fix: keras.random.normal((n, latent_dim)), "
                                "with n = real_images.shape[0].") from None
        raise ExerciseError(f"train_step raised {type(error).__name__}: {text}. Fix: follow the three steps of the "
                            "exercise; both train_on_batch calls take (inputs, labels).") from None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise ExerciseError(f"train_step returned {result!r}. Fix: return two numbers, (d_loss, g_loss).")
    if not all(np.isfinite(float(v)) for v in result):
        raise ExerciseError(f"train_step returned {result}. Fix: return two finite numbers, float(d_loss), float(g_loss).")
    if not d_calls:
        raise ExerciseError("train_step never called discriminator.train_on_batch. Fix: train the discriminator "
                            "once per step on real and fake images.")
    if not gan_calls:
        raise ExerciseError("train_step never called gan.train_on_batch: the generator learns through the stacked "
                            "model. Fix: gan.train_on_batch(noise, labels of 1).")
    if all(all(np.array_equal(b, a) for b, a in zip(before, after)) for _, _, before, after in d_calls):
        raise ExerciseError("the discriminator's weights did not change during its own update: this is the frozen-"
                            "discriminator recipe. In Keras 3 a model's training step is built at its first "
                            "train_on_batch with the weights that are trainable then, so a discriminator frozen "
                            "(trainable = False) at that moment never learns. Fix: set discriminator.trainable = True "
                            "right before discriminator.train_on_batch.")
    n_real = n_fake = 0
    for x, y, _, _ in d_calls:
        if y is None or y.size != len(x):
            raise ExerciseError(f"discriminator.train_on_batch got {len(x)} images but labels of shape "
                                f"{None if y is None else y.shape}. Fix: one label per image.")
        y = y.reshape(-1)
        is_real = np.isclose(x[:, None, :], real[None, :, :]).all(axis=-1).any(axis=-1)
        n_real, n_fake = n_real + int(is_real.sum()), n_fake + int((~is_real).sum())
        real_labels, fake_labels = y[is_real], y[~is_real]
        if real_labels.size and fake_labels.size and real_labels.max() < 0.5 < fake_labels.min():
            raise ExerciseError("the real and fake labels are swapped: the discriminator was taught to call real "
                                f"images {real_labels.max():g} and fakes {fake_labels.min():g}. "
                                f"Fix: label real images {REAL_LABEL} and fakes 0.")
        if real_labels.size and not np.allclose(real_labels, REAL_LABEL, atol=1e-6):
            wrong = sorted({round(float(v), 4) for v in real_labels})
            raise ExerciseError(f"the real images got the label(s) {wrong}, not {REAL_LABEL}: the exercise asks for "
                                "one-sided label smoothing, which keeps the discriminator from becoming overconfident. "
                                f"Fix: label every real image {REAL_LABEL}.")
        if fake_labels.size and not np.allclose(fake_labels, 0.0, atol=1e-6):
            raise ExerciseError(f"some fake images got the label {fake_labels.max():g}. Fix: label fakes 0 (smoothing "
                                "is one-sided: only the real label moves).")
    if n_real != len(real):
        raise ExerciseError(f"the discriminator saw {n_real} of the {len(real)} real images. Fix: train it on all of them.")
    if n_fake != len(real):
        raise ExerciseError(f"the discriminator saw {n_fake} fake images for {len(real)} real ones. Fix: make as many "
                            "fakes as there are real images, n = real_images.shape[0].")
    for z, y, before, after in gan_calls:
        if z.ndim != 2 or z.shape[1] != latent_dim:
            raise ExerciseError(f"gan.train_on_batch got noise of shape {z.shape}, expected (n, {latent_dim}). "
                                "Fix: keras.random.normal((n, latent_dim)).")
        if y is None or y.size != len(z):
            raise ExerciseError("gan.train_on_batch needs one label per noise vector. Fix: np.ones((n, 1)).")
        if y.min() < 0.5:
            raise ExerciseError("the generator was trained towards the label 0 (\"fake\"): it learns to look fake, "
                                "never to fool the discriminator. Fix: train the gan towards 1 (\"real\").")
        if any(not np.allclose(b, a) for b, a in zip(before, after)):
            raise ExerciseError("the discriminator's weights changed during the generator's update "
                                "(gan.train_on_batch): it was left trainable, so the gan also taught it to call fakes "
                                "real. Fix: set discriminator.trainable = False right before gan.train_on_batch.")
    if all(np.array_equal(b, a) for b, a in zip(g_start, weights_of(generator))):
        raise ExerciseError("the generator's weights did not change. Fix: the generator learns through "
                            "gan.train_on_batch(noise, labels of 1).")
    passed("train_step: the discriminator learns on 0.9 / 0 labels, then the generator learns through a still "
           "discriminator.")


# --- Exercise 6: diagnosis of four recorded runs --------------------------------------------

def load_runs(path=RUNS_FILE) -> dict:
    """The four recorded runs: {name: {"d_loss", "g_loss", "steps", "grid"}} with names "A" to "D"."""
    path = shipped_file(path)
    with np.load(path) as archive:
        names = [str(n) for n in archive["names"]]
        return {name: {"steps": archive["steps"], "d_loss": archive[f"{name}_d_loss"],
                       "g_loss": archive[f"{name}_g_loss"], "grid": archive[f"{name}_grid"].astype("float32") / 255.0}
                for name in names}


def show_runs(runs=None):
    """Draw each recorded run: its loss curves next to its final sample grid."""
    import matplotlib.pyplot as plt

    from gankit.plots import grid

    runs = runs or load_runs()
    fig, axes = plt.subplots(len(runs), 2, figsize=(8, 2.6 * len(runs)), gridspec_kw={"width_ratios": [2, 1]})
    for (name, run), (left, right) in zip(runs.items(), axes):
        left.plot(run["steps"], run["d_loss"], label="d_loss")
        left.plot(run["steps"], run["g_loss"], label="g_loss")
        left.axhline(np.log(2), color="grey", ls=":", lw=1)
        left.set_title(f"Run {name}: losses")
        left.set_xlabel("step")
        left.legend(frameon=False, fontsize="small")
        right.imshow(grid(run["grid"] * 2.0 - 1.0, rows=4), cmap="gray", vmin=0, vmax=1)
        right.set_title(f"Run {name}: samples at the end")
        right.axis("off")
    fig.tight_layout()
    return fig


# What each diagnosis looks like, in the curves and in the grid.
SIGNS = {
    "healthy": "the losses stay steady after the first few hundred steps, d_loss a little below log 2 and g_loss "
               "above it, neither running to 0 nor climbing away, and the grid shows varied digit-like strokes on "
               "a black background",
    "frozen discriminator": "the generator's loss drops to 0 at once while the discriminator's climbs and never "
                            "comes back, and the grid is still noise: the critic never learns, so fooling it "
                            "teaches nothing",
    "mode collapse": "the grid shows the same shape in every cell, whatever the noise: the generator found one "
                     "answer the critic liked and makes only that; the critic then learns to reject it, so its "
                     "loss drops towards 0 while the generator's climbs",
    "wrong pixel range": "the grid's background is grey, not black: the real images it imitates were left in "
                         "[0, 1], so the generator learns to draw 0 where the background is, which shows as grey "
                         "on a screen that maps [-1, 1] to black and white; the losses look healthy, so only the "
                         "samples give it away",
}


def check_diagnosis(diagnosis, runs=None) -> None:
    """``diagnosis``: {"A": ..., "B": ..., "C": ..., "D": ...}, each one of DIAGNOSES, each used once.

    The visible check only checks the form; the graded test checks the names.
    """
    check_run_names(diagnosis, DIAGNOSES, SIGNS, runs, look_at="picture")


def grade_diagnosis(diagnosis, answer: dict) -> None:
    """The graded test's comparison: name each misread run, and what its signs would have been."""
    grade_run_names(diagnosis, answer, DIAGNOSES, SIGNS, look_at="picture", look_again="curves and grids")


# --- How the recorded runs were made (instructors: python -m gankit.exercises.mlp_gan) -------

_SETTINGS = {  # generator learning rate, discriminator learning rate, real pixels in [0, 1], toggle trainable
    "healthy": (4e-4, 4e-4, False, True),
    "frozen discriminator": (4e-4, 4e-4, False, False),
    "mode collapse": (4e-3, 4e-4, False, True),  # the generator outpaces the critic tenfold
    "wrong pixel range": (4e-4, 4e-4, True, True),
}


def record_run(kind: str, steps: int = 1500, batch_size: int = 64, seed: int = 0) -> dict:
    """Train notebook 01's MLPs with the recipe broken as ``kind`` says; return losses and 16 samples."""
    import keras
    from keras import layers

    from gankit.data import load_mnist

    g_rate, d_rate, unit_range, toggle = _SETTINGS[kind]
    keras.utils.set_random_seed(seed)
    images, _ = load_mnist("train")
    x = images.reshape(len(images), 784)
    if unit_range:
        x = (x + 1.0) / 2.0
    generator = keras.Sequential([keras.Input((100,)), layers.Dense(128), layers.LeakyReLU(0.2), layers.Dense(256),
                                  layers.LeakyReLU(0.2), layers.Dense(512), layers.LeakyReLU(0.2),
                                  layers.Dense(784, activation="tanh")])
    discriminator = keras.Sequential([keras.Input((784,)), layers.Dense(512), layers.LeakyReLU(0.2), layers.Dropout(0.3),
                                      layers.Dense(256), layers.LeakyReLU(0.2), layers.Dropout(0.3), layers.Dense(1)])
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    discriminator.compile(keras.optimizers.Adam(d_rate, beta_1=0.5), loss=loss)
    discriminator.trainable = False
    gan = keras.Sequential([generator, discriminator])
    gan.compile(keras.optimizers.Adam(g_rate, beta_1=0.5), loss=loss)
    rng = np.random.default_rng(seed)
    d_losses, g_losses = [], []
    for _ in range(steps):
        real = x[rng.integers(0, len(x), batch_size)]
        fake = generator(keras.random.normal((batch_size, 100)), training=False)
        labels = np.concatenate([np.full((batch_size, 1), REAL_LABEL), np.zeros((batch_size, 1))]).astype("float32")
        if toggle:
            discriminator.trainable = True
        d_losses.append(float(discriminator.train_on_batch(keras.ops.concatenate([real, fake], 0), labels)))
        if toggle:
            discriminator.trainable = False
        noise = keras.random.normal((batch_size, 100))
        g_losses.append(float(gan.train_on_batch(noise, np.ones((batch_size, 1), "float32"))))
    samples = keras.ops.convert_to_numpy(generator(np.random.default_rng(1).normal(size=(16, 100)).astype("float32")))
    return {"d_loss": np.array(d_losses), "g_loss": np.array(g_losses), "samples": samples}


def save_runs(recorded: dict, order: dict, path=RUNS_FILE, every: int = 10) -> pathlib.Path:
    """Write runs ``{kind: record_run(kind)}`` under the run names of ``order`` ({"A": kind, ...};
    the order shipped is in docs/notes_01.md, not here): losses averaged over ``every`` steps
    (float32), samples as uint8 grey levels. A few tens of KB."""
    arrays = {"names": np.array(sorted(order))}
    for name, kind in order.items():
        run = recorded[kind]
        blocks = len(run["d_loss"]) // every
        arrays["steps"] = (np.arange(blocks) * every + every // 2).astype("int32")
        for key in ("d_loss", "g_loss"):
            arrays[f"{name}_{key}"] = run[key][: blocks * every].reshape(blocks, every).mean(axis=1).astype("float32")
        samples = np.clip((np.asarray(run["samples"]).reshape(-1, 28, 28) + 1.0) / 2.0, 0.0, 1.0)
        arrays[f"{name}_grid"] = np.round(samples * 255).astype("uint8")
    np.savez_compressed(path, **arrays)
    return pathlib.Path(path)


if __name__ == "__main__":  # about 6 minutes on a 2-core CPU; pass the order as kind names for A, B, C, D
    import sys

    kinds = [" ".join(k.split("_")) for k in sys.argv[1:5]]
    if sorted(kinds) != sorted(_SETTINGS):
        raise SystemExit(f"usage: python -m gankit.exercises.mlp_gan KIND_A KIND_B KIND_C KIND_D, kinds from "
                         f"{[k.replace(' ', '_') for k in _SETTINGS]}")
    print(save_runs({kind: record_run(kind) for kind in kinds}, dict(zip("ABCD", kinds))))
