"""gankit.ring: the 8-Gaussian ring, its score on samples with known answers, and the benchmark command."""

import math

import numpy as np
import pytest

from gankit.ring import Ring, format_table


def test_the_ring_has_eight_modes_of_radius_two():
    ring = Ring()
    np.testing.assert_allclose(np.linalg.norm(ring.centres, axis=1), 2.0)
    angles = np.sort(np.mod(np.arctan2(ring.centres[:, 1], ring.centres[:, 0]), 2 * math.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * math.pi / 8)
    points = ring.sample(4000, seed=0)
    assert points.shape == (4000, 2) and points.dtype == np.float32
    np.testing.assert_array_equal(points, ring.sample(4000, seed=0))


def test_real_samples_score_as_full_coverage_at_high_quality():
    score = Ring().score(Ring().sample(4000, seed=1))
    assert score.modes_covered == 8
    assert score.high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.01)  # a 3-std disc holds 98.9% in 2-D
    assert sum(score.counts) == pytest.approx(4000 * score.high_quality)
    assert min(score.counts) > 400  # the modes are equally likely


def test_collapse_and_blur_score_differently():
    ring = Ring()
    collapsed = ring.centres[3] + np.random.default_rng(2).normal(0, 0.02, size=(2000, 2))
    score = ring.score(collapsed)
    assert score.modes_covered == 1 and score.high_quality > 0.95 and score.counts[3] == sum(score.counts)
    blurry = ring.sample(2000, seed=3) + np.random.default_rng(4).normal(0, 0.3, size=(2000, 2))
    score = ring.score(blurry)
    assert score.modes_covered == 8 and score.high_quality < 0.1
    between = 2.0 * np.stack([np.cos(np.pi / 8 + np.arange(8) * np.pi / 4), np.sin(np.pi / 8 + np.arange(8) * np.pi / 4)], 1)
    assert ring.score(between).high_quality == 0.0  # on the circle but between modes: not high quality


def test_a_minimum_count_and_bad_points():
    ring = Ring()
    points = np.concatenate([ring.centres[:1].repeat(5, 0), ring.centres[1:2], [[np.nan, np.nan]]])
    assert ring.score(points).modes_covered == 2
    assert ring.score(points, min_count=3).modes_covered == 1
    assert ring.score(points).high_quality == pytest.approx(6 / 7)  # the NaN point counts as not high quality
    with pytest.raises(ValueError, match="shape"):
        ring.score(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="positive whole number"):
        ring.sample(0)


def test_the_table_lists_each_run_and_each_recipes_mean():
    score = Ring().score(Ring().sample(200, seed=0))
    runs = [{"recipe": r, "seed": s, "final": score, "seconds": 1.0 + s} for r in ("gan", "wgan-gp") for s in (0, 1)]
    table = format_table(runs)
    assert table.count("gan ") == 3 and table.count("wgan-gp") == 3 and "mean over seeds" in table
    assert "8/8" in table


@pytest.mark.slow
def test_the_benchmark_command_prints_its_table(capsys):
    from gankit.ring import main

    main(["--steps", "3", "--recipes", "wgan-gp", "--seeds", "0", "1", "--batch-size", "16"])
    out = capsys.readouterr().out
    assert "Gulrajani" in out and "total wall time" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("wgan-gp ")]
    assert len(rows) == 3 and [row[1] for row in rows[:2]] == ["0", "1"]  # two seeds, then their mean
    assert all(row[2].endswith("/8") for row in rows[:2])
    assert "mean over seeds" in out


@pytest.mark.backends
def test_the_models_come_from_their_seed_and_leave_the_global_random_state_alone():
    import random

    import keras

    from gankit.ring import ring_critic, ring_generator
    from gankit.seeding import seed_everything

    def draws():
        return random.random(), float(np.random.rand()), float(keras.ops.convert_to_numpy(keras.random.normal(())))

    seed_everything(1)
    expected = draws()
    seed_everything(1)
    first = ring_generator(seed=3).get_weights() + ring_critic(seed=3, spectral_norm=True).get_weights()
    assert draws() == expected
    second = ring_generator(seed=3).get_weights() + ring_critic(seed=3, spectral_norm=True).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not np.array_equal(ring_critic(seed=4).get_weights()[0], ring_critic(seed=3).get_weights()[0])
