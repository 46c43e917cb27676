"""The MNIST judge: a small digit classifier that scores generated digits.

Eyeballing samples is not measuring. The judge is a small convolutional
classifier, trained by this package on the real MNIST training set (about 99%
test accuracy). For a batch of generated digits it reports:

* the share it recognises with confidence >= 0.9 (a blurry blob gets a low
  confidence, a clear "7" a high one);
* how many of the 10 classes appear, counting a class when it makes at least
  1% of the batch (a collapsed generator makes only a few);
* the KL divergence of the class histogram from uniform (0 when every digit
  is equally common, log(10) = 2.30 when only one digit is ever made).

A classifier trained on digits alone must still pick a digit for anything it
is shown, and may pick one with high confidence for pure noise. So the judge
also sees "junk" while it trains (noise, blank pages, blobs, shuffled digits)
with the target "every digit equally likely" (outlier exposure, Hendrycks et
al. 2019). It learns to be unsure about anything that is not a digit, and a
generator cannot score by drawing noise.

The trained weights are cached (``GANKIT_CACHE``, default ``~/.cache/gankit``),
so only the first call trains (about a minute or two on a laptop CPU).

Run ``python -m gankit.judge`` to train and cache it ahead of time.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import tempfile

import numpy as np

JUDGE_VERSION = 2  # bump when the architecture or training changes: old caches are ignored
CACHE_ENV = "GANKIT_CACHE"
NUM_CLASSES = 10
MIN_SHARE = 0.01  # a class is 'present' when it makes at least 1% of the batch


def cache_dir() -> pathlib.Path:
    """Where trained helper models are cached: ``$GANKIT_CACHE`` or ``~/.cache/gankit``."""
    return pathlib.Path(os.environ.get(CACHE_ENV) or pathlib.Path.home() / ".cache" / "gankit").expanduser()


def judge_path() -> pathlib.Path:
    return cache_dir() / f"mnist-judge-v{JUDGE_VERSION}.weights.h5"


def build_judge(seed: int = 0):
    """The judge's architecture: two conv blocks, a 128-unit feature layer, 10 logits.

    Every initializer and the dropout have seeds of their own (from ``seed``), so that
    building the judge -- to train it or to load its cached weights -- draws nothing from
    the notebook's global random state.
    """
    import keras
    from keras import layers

    def init(i):
        return {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed * 10 + i)}

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu", **init(0)),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu", **init(1)),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3, seed=seed),
            layers.Dense(128, activation="relu", name="features", **init(2)),
            layers.Dense(NUM_CLASSES, name="logits", **init(3)),
        ],
        name="mnist_judge",
    )


def junk_images(n: int, seed: int = 0, digits: np.ndarray | None = None) -> np.ndarray:
    """``n`` images in [-1, 1] that are not digits: the judge learns to be unsure about them.

    Six kinds, in equal parts: uniform noise, Gaussian noise, flat grey pages,
    smooth blobs, sparse specks, and (when ``digits`` is given) real digits with
    their pixels shuffled, which keeps the amount of ink but not the shape.
    """
    rng = np.random.default_rng(seed)
    kinds = 6 if digits is not None else 5
    parts = np.array_split(np.arange(n), kinds)
    out = np.empty((n, 28, 28, 1), "float32")
    for kind, index in enumerate(parts):
        m = len(index)
        if kind == 0:  # uniform noise
            batch = rng.uniform(-1, 1, (m, 28, 28, 1))
        elif kind == 1:  # Gaussian noise around a random grey
            batch = rng.normal(rng.uniform(-1, 0.5, (m, 1, 1, 1)), rng.uniform(0.1, 1.0, (m, 1, 1, 1)), (m, 28, 28, 1))
        elif kind == 2:  # a flat page
            batch = np.broadcast_to(rng.uniform(-1, 1, (m, 1, 1, 1)), (m, 28, 28, 1))
        elif kind == 3:  # smooth blobs: coarse noise, enlarged
            size = rng.choice([2, 4, 7], m)
            batch = np.stack([np.kron(rng.normal(-0.5, 1.0, (28 // s, 28 // s)), np.ones((s, s))) for s in size])[..., None]
        elif kind == 4:  # sparse specks of ink on a dark page
            density = rng.uniform(0.02, 0.3, (m, 1, 1, 1))
            batch = np.where(rng.uniform(size=(m, 28, 28, 1)) < density, 1.0, -1.0)
        else:  # real digits, pixels shuffled
            chosen = digits[rng.integers(0, len(digits), m)].reshape(m, -1)
            batch = rng.permuted(chosen, axis=1).reshape(m, 28, 28, 1)
        out[index] = np.clip(batch, -1, 1)
    return out


def train_judge(epochs: int = 5, seed: int = 0, verbose: int = 1, junk_share: float = 0.2,
                limit: int | None = None):
    """Train a fresh judge on MNIST plus junk images; returns ``(model, test_accuracy)``.

    Digits get one-hot targets; junk images (``junk_share`` of the digit count)
    get the uniform target 0.1 for every class. ``limit`` trains on the first
    ``limit`` digits only (for tests). Training uses generators of its own, seeded
    by ``seed``: the global random state of the notebook that asks for the judge is
    left as it was, so its results do not depend on whether the judge was cached.
    """
    import keras

    from gankit.data import load_mnist

    x_train, y_train = load_mnist("train", limit=limit)
    x_test, y_test = load_mnist("test")
    junk = junk_images(int(junk_share * len(x_train)), seed=seed, digits=x_train)
    x = np.concatenate([x_train, junk])
    y = np.concatenate([np.eye(NUM_CLASSES, dtype="float32")[y_train],
                        np.full((len(junk), NUM_CLASSES), 1 / NUM_CLASSES, "float32")])
    batch_size = 128
    steps = epochs * -(-len(x) // batch_size)
    model = build_judge(seed)
    model.compile(  # the learning rate falls smoothly to 0 over training: a little more accuracy at the end
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=steps)),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):  # our own shuffle: Keras's would draw from the global generators
        order = rng.permutation(len(x))
        model.fit(x[order], y[order], batch_size=batch_size, epochs=epoch + 1, initial_epoch=epoch,
                  shuffle=False, verbose=verbose)
    predicted = model.predict(x_test, batch_size=1000, verbose=0).argmax(axis=1)
    return model, float((predicted == y_test).mean())


_JUDGE = None


def load_judge(train_if_missing: bool = True, verbose: int = 1):
    """The cached judge; trains and caches it on first use."""
    global _JUDGE
    if _JUDGE is not None:
        return _JUDGE
    path = judge_path()
    model = build_judge()
    if path.is_file():
        try:
            model.load_weights(path)
            _JUDGE = model
            return model
        except Exception as error:  # a damaged cache file: say so, then retrain
            print(f"The cached judge {path} could not be read ({error}); training a new one.")
    if not train_if_missing:
        raise FileNotFoundError(f"{path} does not exist. Fix: run `python -m gankit.judge` once to train it.")
    if verbose:
        print(f"Training the MNIST judge once (cached at {path}) ...")
    model, accuracy = train_judge(verbose=verbose)
    if verbose:
        print(f"Judge test accuracy: {accuracy:.4f}")
    _save_atomically(model, path, accuracy)
    _JUDGE = model
    return model


def _save_atomically(model, path: pathlib.Path, accuracy: float) -> None:
    """Write the weights next to their final name, then rename: a crash never leaves half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".weights.h5")
        os.close(handle)
        model.save_weights(tmp, overwrite=True)
        os.replace(tmp, path)
        path.with_suffix(".json").write_text(json.dumps({"test_accuracy": accuracy, "version": JUDGE_VERSION}))
    except OSError as error:  # read-only home, e.g. inside the grading sandbox
        print(f"Could not cache the judge at {path} ({error}); it will be trained again next time.")


def _as_images(images) -> np.ndarray:
    from gankit.utils import to_numpy

    array = to_numpy(images).astype("float32")
    if array.ndim == 2 and array.shape[1] == 28 * 28:
        array = array.reshape(-1, 28, 28, 1)
    if array.ndim == 3:
        array = array[..., None]
    if array.shape[1:] != (28, 28, 1):
        raise ValueError(f"the judge reads digits of shape (n, 28, 28, 1) or (n, 784), got {array.shape}")
    if array.min() >= 0.0 and array.max() > 1.5:
        raise ValueError("the judge reads images scaled to [-1, 1]; these look like [0, 255] pixels")
    return array


@dataclasses.dataclass
class JudgeReport:
    """What the judge thinks of a batch of digits."""

    n: int
    recognised: float  # share with confidence >= threshold
    classes_present: int  # digits that make at least MIN_SHARE of the predictions
    kl_from_uniform: float  # KL(class histogram || uniform), natural log
    class_counts: list
    threshold: float

    def __str__(self) -> str:
        return (
            f"{self.recognised:.1%} of {self.n} digits recognised with confidence >= {self.threshold}; "
            f"{self.classes_present}/10 classes present; KL from uniform {self.kl_from_uniform:.3f}"
        )


def class_histogram_kl(counts) -> float:
    """KL divergence (natural log) of a class histogram from the uniform distribution."""
    counts = np.asarray(counts, dtype="float64")
    p = counts / counts.sum()
    nonzero = p > 0
    return float(np.sum(p[nonzero] * np.log(p[nonzero] * len(p))))


def predict_probabilities(images, judge=None, batch_size: int = 500) -> np.ndarray:
    """Class probabilities (n, 10) that the judge gives a batch of images in [-1, 1]."""
    import keras

    judge = judge or load_judge()
    logits = judge.predict(_as_images(images), batch_size=batch_size, verbose=0)
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1)))


def judge_digits(images, judge=None, threshold: float = 0.9, min_share: float = MIN_SHARE) -> JudgeReport:
    """Score generated digits (in [-1, 1]) with the judge; see the module docstring.

    A class counts as present when the judge's top guess is that class for at
    least ``min_share`` of the images (1%: a tenth of its fair share), so a
    stray misreading or two does not count as variety.
    """
    probabilities = predict_probabilities(images, judge)
    predicted = probabilities.argmax(axis=1)
    counts = np.bincount(predicted, minlength=NUM_CLASSES)
    return JudgeReport(
        n=len(probabilities),
        recognised=float((probabilities.max(axis=1) >= threshold).mean()),
        classes_present=int((counts >= max(1.0, min_share * len(probabilities))).sum()),
        kl_from_uniform=class_histogram_kl(counts),
        class_counts=counts.tolist(),
        threshold=threshold,
    )


def conditional_accuracy(images, labels, judge=None) -> float:
    """Share of ``images`` that the judge reads as the class in ``labels`` (its top guess).

    For a class-conditional generator, ``labels`` are the classes it was asked for: 1.0 means
    every digit is the digit requested, 0.1 is what a generator that ignores the label scores.
    """
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels. Fix: pass the class asked for, one per image.")
    predicted = predict_probabilities(images, judge).argmax(axis=1)
    return float((predicted == labels).mean())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Train (once) and cache the MNIST judge.")
    parser.add_argument("--retrain", action="store_true", help="train again even if a cached judge exists")
    args = parser.parse_args()
    if args.retrain and judge_path().exists():
        judge_path().unlink()
    judge = load_judge()
    from gankit.data import load_mnist

    x_test, _ = load_mnist("test")
    print("Judge on real test digits:", judge_digits(x_test, judge))
