"""KID and precision/recall (gankit.metrics) on Gaussian 'features' with known answers; NumPy only, fast."""

import numpy as np
import pytest

from gankit import metrics

D = 16


def gaussian(n, seed, shift=0.0, scale=1.0, dim=D):
    return np.random.default_rng(seed).normal(shift, scale, size=(n, dim))


def test_mmd_matches_its_definition_term_by_term():
    a, b = gaussian(7, 0), gaussian(5, 1, shift=0.3)
    k = lambda x, y: (x @ y / D + 1.0) ** 3  # noqa: E731
    within_a = sum(k(a[i], a[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    within_b = sum(k(b[i], b[j]) for i in range(5) for j in range(5) if i != j) / (5 * 4)
    across = sum(k(x, y) for x in a for y in b) / (7 * 5)
    assert metrics.polynomial_mmd2(a, b) == pytest.approx(within_a + within_b - 2 * across, rel=1e-10)


def test_kid_is_unbiased_where_the_frechet_distance_is_not():
    """Many draws at 50 and at 400 samples: KID's mean stays put (about 0 for the same distribution);
    the Fréchet distance of two samples of ONE distribution is far from 0 at 50 and shrinks with n."""
    draws = 40
    kid_same, kid_shift, frechet = {}, {}, {}
    for n in (50, 400):
        same = [metrics.polynomial_mmd2(gaussian(n, 2 * i), gaussian(n, 2 * i + 1)) for i in range(draws)]
        shifted = [metrics.polynomial_mmd2(gaussian(n, 2 * i), gaussian(n, 2 * i + 1, shift=0.5))
                   for i in range(draws)]
        kid_same[n] = (np.mean(same), np.std(same) / np.sqrt(draws))
        kid_shift[n] = (np.mean(shifted), np.std(shifted) / np.sqrt(draws))
        frechet[n] = np.mean([metrics.frechet_distance(gaussian(n, 2 * i), gaussian(n, 2 * i + 1))
                              for i in range(draws)])
    for n in (50, 400):
        mean, error = kid_same[n]
        assert abs(mean) < 3 * error + 1e-4  # ~0: the same distribution
    (small, small_error), (large, large_error) = kid_shift[50], kid_shift[400]
    assert large > 20 * large_error  # clearly above 0 for a shifted distribution
    assert abs(small - large) < 3 * np.hypot(small_error, large_error)  # and the same at both sizes
    assert frechet[50] > 3 * frechet[400] and frechet[50] > 1.0  # biased upwards at the small size


def test_kid_averages_subsets_and_reports_their_spread():
    a, b = gaussian(300, 3), gaussian(300, 4, shift=0.5)
    score = metrics.kid(a, b, subsets=20, subset_size=100, seed=0)
    assert score.subset_size == 100 and score.subsets == 20 and score.std > 0
    assert score.mean == pytest.approx(metrics.kid(a, b, subsets=20, subset_size=100, seed=0).mean)  # repeatable
    assert metrics.kid(a, b, subsets=2, subset_size=5000).subset_size == 300  # never more than a set holds
    assert "KID" in str(score)


def test_precision_and_recall_separate_collapse_from_noise():
    real = gaussian(500, 5, dim=8)
    collapsed = gaussian(500, 6, scale=0.2, dim=8)  # all near the centre of the real data
    noisy = gaussian(500, 7, scale=2.0, dim=8)  # spread past the real data
    faithful = gaussian(500, 8, dim=8)
    c = metrics.precision_recall(real, collapsed, k=3)
    n = metrics.precision_recall(real, noisy, k=3)
    f = metrics.precision_recall(real, faithful, k=3)
    assert c.precision > 0.9 and c.recall < 0.3
    assert n.precision < 0.5 and n.recall > 0.8
    assert f.precision > 0.6 and f.recall > 0.6
    assert c.precision > n.precision and n.recall > c.recall
    assert "precision" in str(c) and c.k == 3 and c.n_real == c.n_fake == 500


def test_knn_radius_is_the_kth_neighbour_not_the_point_itself():
    points = np.array([[0.0], [1.0], [3.0], [6.0], [10.0]])
    np.testing.assert_allclose(metrics.knn_radii(points, k=1), [1, 1, 2, 3, 4])
    np.testing.assert_allclose(metrics.knn_radii(points, k=3), [6, 5, 3, 5, 9])


def test_bad_features_are_refused_with_a_fix():
    with pytest.raises(ValueError, match="width 16 and 8"):
        metrics.polynomial_mmd2(gaussian(10, 0), gaussian(10, 0, dim=8))
    with pytest.raises(ValueError, match="2-D array"):
        metrics.kid(np.zeros(10), gaussian(10, 0))
    with pytest.raises(ValueError, match="NaN"):
        metrics.precision_recall(np.full((5, 2), np.nan), gaussian(5, 0, dim=2))
    with pytest.raises(ValueError, match="more than k samples"):
        metrics.precision_recall(gaussian(3, 0), gaussian(3, 1), k=3)
