"""Scores for generated digits: Fréchet distance, KID, precision and recall in the judge's features; mode coverage.

* **Fréchet distance** -- pass real and generated digits through the MNIST judge
  (:mod:`gankit.judge`), keep its 128 "features" activations, fit a Gaussian to
  each set and measure how far apart the two Gaussians are:
  ``|mu_r - mu_g|^2 + tr(C_r + C_g - 2 (C_r C_g)^(1/2))``. 0 means the same
  statistics; lower is better. This is the FID recipe with the judge in place of
  Inception, so the numbers are only comparable with other numbers from this
  module, at the same sample count (the distance shrinks as samples grow).
* **Mode coverage** -- the judge's class histogram of the generated digits: how
  many of the 10 classes appear and the KL divergence from uniform.
  A generator is flagged ``collapsed`` when fewer than ``min_classes`` classes
  appear or the KL is above ``max_kl``.
* **KID** (:func:`kid`) and **precision and recall** (:func:`precision_recall`) -- on
  any feature vectors (NumPy): an unbiased distance that small test sets can afford,
  and quality and coverage as two numbers (see the section at the end of this module).

The real reference is ``n`` digits drawn at random (with a fixed seed) from the
MNIST test set. Not the first ``n``: the MNIST files are ordered, and their two
halves were written by different groups of people (Census Bureau employees and
high-school students), so a slice from one end is not a fair sample. Measured
with 2,000 digits against the first 2,000 test digits: the first 2,000 training
digits lie at distance 11.6, the last 2,000 at 19.4, a random 2,000 at 6.4.
Against the random reference, a random 2,000 training digits lie at 1.7.
"""

from __future__ import annotations

import dataclasses
import weakref

import numpy as np

from gankit.judge import JudgeReport, judge_digits, load_judge

SAMPLES = 2000  # digits per Fréchet distance, generated and real alike
MIN_CLASSES = 8  # fewer classes than this: collapsed
MAX_KL = 0.5  # a class histogram further than this from uniform (about 6 equal classes of 10): collapsed


def judge_features(images, judge=None, batch_size: int = 500) -> np.ndarray:
    """The judge's 128 feature activations (its layer named "features") for digits in [-1, 1]."""
    import keras

    from gankit.judge import _as_images  # the judge's own input check

    judge = judge or load_judge()
    extractor = keras.Model(judge.inputs, judge.get_layer("features").output)
    return np.asarray(extractor.predict(_as_images(images), batch_size=batch_size, verbose=0), dtype="float64")


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix, through its eigenvalues."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature vectors (rows are samples)."""
    mu_a, mu_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a, cov_b = np.cov(features_a, rowvar=False), np.cov(features_b, rowvar=False)
    # tr((C_a C_b)^(1/2)) = tr((S C_b S)^(1/2)) with S = C_a^(1/2); S C_b S is symmetric, so eigh is exact enough.
    root_a = _sqrt_psd(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0.0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross)


def real_digits(n: int = SAMPLES, split: str = "test", seed: int = 0) -> np.ndarray:
    """``n`` real MNIST digits in [-1, 1], drawn at random from ``split`` (the same ones for a ``seed``)."""
    from gankit.data import load_mnist

    images, _ = load_mnist(split)
    if not 0 < n <= len(images):
        raise ValueError(f"the MNIST {split} set has {len(images)} digits; ask for 0 < n <= {len(images)}.")
    return images[np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))]


# judge -> {n: features of the reference test digits}; an entry goes when its judge does
_REFERENCE = weakref.WeakKeyDictionary()


def reference_features(n: int = SAMPLES, judge=None) -> np.ndarray:
    """Judge features of the reference: ``n`` random MNIST test digits (computed once per ``n`` and judge)."""
    judge = judge or load_judge(verbose=0)
    cached = _REFERENCE.setdefault(judge, {})
    if n not in cached:
        cached[n] = judge_features(real_digits(n, "test"), judge)
    return cached[n]


def real_frechet(n: int = SAMPLES, judge=None, seed: int = 0) -> float:
    """The distance of ``n`` random real *training* digits from the reference: as good as a score gets at ``n``."""
    judge = judge or load_judge(verbose=0)
    return frechet_distance(judge_features(real_digits(n, "train", seed), judge), reference_features(n, judge))


@dataclasses.dataclass
class Score:
    """How a batch of generated digits compares with real ones."""

    frechet: float  # Fréchet distance in judge features; lower is better
    n: int  # digits used, generated and real each
    judge: JudgeReport  # recognised share, classes present, KL from uniform
    collapsed: bool
    min_classes: int
    max_kl: float

    def __str__(self) -> str:
        flag = "COLLAPSED" if self.collapsed else "not collapsed"
        return (
            f"Fréchet distance {self.frechet:.2f} (judge features, {self.n} samples); "
            f"{self.judge.classes_present}/10 classes, KL from uniform {self.judge.kl_from_uniform:.3f}, "
            f"{self.judge.recognised:.1%} recognised; {flag} "
            f"(collapsed means < {self.min_classes} classes or KL > {self.max_kl})"
        )


def score_images(images, n: int = SAMPLES, judge=None, min_classes: int = MIN_CLASSES,
                 max_kl: float = MAX_KL) -> Score:
    """Score the first ``n`` of ``images`` (digits in [-1, 1]) against ``n`` real test digits."""
    if len(images) < n:
        raise ValueError(
            f"got {len(images)} images but the score uses n={n}; scores are only comparable at the same n. "
            f"Fix: generate {n} images, or pass n={len(images)} and compare only with scores at that n."
        )
    judge = judge or load_judge(verbose=0)
    images = images[:n]
    report = judge_digits(images, judge)
    distance = frechet_distance(judge_features(images, judge), reference_features(n, judge))
    collapsed = report.classes_present < min_classes or report.kl_from_uniform > max_kl
    return Score(distance, n, report, collapsed, min_classes, max_kl)


def generate(generator, n: int = SAMPLES, latent_dim: int | None = None, seed: int = 0,
             batch_size: int = 500) -> np.ndarray:
    """``n`` images from ``generator`` for fixed Gaussian noise (the same for every call with ``seed``)."""
    latent_dim = latent_dim or generator.input_shape[-1]
    noise = np.random.default_rng(seed).normal(size=(n, latent_dim)).astype("float32")
    return np.asarray(generator.predict(noise, batch_size=batch_size, verbose=0))


def score_generator(generator, n: int = SAMPLES, seed: int = 0, judge=None, **kwargs) -> Score:
    """Generate ``n`` digits from fixed noise and score them with :func:`score_images`."""
    return score_images(generate(generator, n, seed=seed), n=n, judge=judge, **kwargs)


# -- Measures that work at small sample sizes (notebook 06) ---------------------------------------
#
# The Fréchet distance fits a mean and a covariance to each set; with few samples the
# covariances are noisy, and the noise alone adds distance: its expected value is
# biased upwards, more so the smaller the set. KID (Binkowski et al. 2018, arXiv
# 1801.01401) is an unbiased estimate of a squared distance between the two
# distributions (the maximum mean discrepancy with a cubic polynomial kernel): its
# expected value is the same at every sample size, only its spread grows at small sizes.
# Precision and recall (Kynkaanniemi et al. 2019, arXiv 1904.06991) split one number
# into two: how many fakes look real (quality) and how much of the real data the fakes
# cover (coverage).

def _features(x, what: str) -> np.ndarray:
    array = np.asarray(x, dtype="float64")
    if array.ndim != 2 or len(array) < 2:
        raise ValueError(f"{what} should be a 2-D array of feature vectors (rows are samples, at least 2); got "
                         f"shape {array.shape}. Fix: pass e.g. metrics.judge_features(images).")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contain NaN or infinite values. Fix: check the generator's output "
                         f"(training may have diverged).")
    return array


def polynomial_mmd2(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """The unbiased MMD² between two samples with the kernel ``k(x, y) = (x·y / d + 1)^3``.

    Within-set kernel sums leave out each sample's kernel with itself (the diagonal),
    which is what makes the estimate unbiased; it can come out slightly below 0.
    """
    a, b = _features(features_a, "features_a"), _features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the two sets have features of width {a.shape[1]} and {b.shape[1]}. Fix: extract both "
                         f"with the same model and layer.")
    d, m, n = a.shape[1], len(a), len(b)
    k_aa, k_bb, k_ab = ((x @ y.T / d + 1.0) ** 3 for x, y in ((a, a), (b, b), (a, b)))
    within_a = (k_aa.sum() - np.trace(k_aa)) / (m * (m - 1))
    within_b = (k_bb.sum() - np.trace(k_bb)) / (n * (n - 1))
    return float(within_a + within_b - 2.0 * k_ab.mean())


@dataclasses.dataclass
class KID:
    """Kernel Inception Distance (here with the judge's or any other features): mean and spread over subsets."""

    mean: float  # the estimate; 0 means the same distribution; lower is better
    std: float  # the spread of the subset estimates
    subsets: int
    subset_size: int

    def __str__(self) -> str:
        return f"KID {self.mean:.4f} ± {self.std:.4f} ({self.subsets} subsets of {self.subset_size})"


def kid(features_a, features_b, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> KID:
    """KID between two sets of feature vectors: :func:`polynomial_mmd2` averaged over random subsets.

    Each subset draws ``subset_size`` rows of each set without replacement (fewer when a
    set is smaller). Unlike the Fréchet distance, the mean does not depend on the sample
    size, so a KID at 200 samples compares with one at 2,000; a small set shows as a larger ``std``.
    """
    a, b = _features(features_a, "features_a"), _features(features_b, "features_b")
    if subsets < 1 or subset_size < 2:
        raise ValueError(f"need subsets >= 1 and subset_size >= 2; got {subsets} and {subset_size}.")
    size = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    values = [polynomial_mmd2(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)])
              for _ in range(subsets)]
    return KID(float(np.mean(values)), float(np.std(values)), subsets, size)


def _pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(squared, 0.0, None))


def knn_radii(features: np.ndarray, k: int = 3) -> np.ndarray:
    """For each row, the distance to its ``k``-th nearest other row: the radius of its k-NN ball."""
    features = _features(features, "features")
    if not 1 <= k < len(features):
        raise ValueError(f"k = {k} needs more than k samples; got {len(features)}. Fix: pass more samples or a smaller k.")
    distances = _pairwise_distances(features, features)
    return np.partition(distances, k, axis=1)[:, k]  # column 0 is the row itself (distance 0)


def _share_inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int = 1000) -> float:
    """Share of ``points`` inside at least one ball (``centres`` with ``radii``)."""
    inside = [(_pairwise_distances(points[i:i + chunk], centres) <= radii[None, :]).any(axis=1)
              for i in range(0, len(points), chunk)]
    return float(np.concatenate(inside).mean())


@dataclasses.dataclass
class PrecisionRecall:
    """Precision (fakes that look real: quality) and recall (real data the fakes cover: coverage)."""

    precision: float
    recall: float
    k: int
    n_real: int
    n_fake: int

    def __str__(self) -> str:
        return (f"precision {self.precision:.1%}, recall {self.recall:.1%} "
                f"(k = {self.k}; {self.n_real} real, {self.n_fake} generated)")


def precision_recall(real_features, fake_features, k: int = 3) -> PrecisionRecall:
    """Precision and recall for generative models (Kynkäänniemi et al. 2019), with k-NN balls.

    The real manifold is the union of balls around each real sample, reaching to its
    ``k``-th nearest real neighbour; precision is the share of fakes inside it. Recall
    swaps the roles: the share of real samples inside the balls around the fakes. A
    collapsed generator has high precision and low recall; a noisy one the reverse.
    """
    real, fake = _features(real_features, "real_features"), _features(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and generated features have widths {real.shape[1]} and {fake.shape[1]}. Fix: "
                         f"extract both with the same model and layer.")
    precision = _share_inside(fake, real, knn_radii(real, k))
    recall = _share_inside(real, fake, knn_radii(fake, k))
    return PrecisionRecall(precision, recall, k, len(real), len(fake))
