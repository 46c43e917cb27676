"""Notebook 05's study: the sentence says what the table shows, mixing keeps labels, augmentation never flips."""

import numpy as np
import pytest

from gankit import capstone, expect
from gankit.exercises import capstone as exercises


def _table(**arms):
    """_table(real={0: [...]}, gan={1: [...], 2: [...]}, ...) -> rows with accuracies."""
    rows = [{"arm": arm, "ratio": float(r), "accuracies": list(acc)} for arm, by in arms.items() for r, acc in by.items()]
    return capstone.summarise(rows)


BASE = {0: [0.80, 0.81, 0.79]}
SMALL = {r: [0.80, 0.805, 0.795] for r in (1, 2, 4)}  # within a hair of real only


def test_a_clear_winner_is_named_with_its_lead_and_the_spread():
    table = _table(real=BASE, augmented=SMALL, gan={1: [0.85, 0.86, 0.84], 2: [0.87, 0.88, 0.86], 4: [0.84, 0.85, 0.83]},
                   both=SMALL)
    sentence = capstone.conclusion(table)
    assert sentence.startswith("Best: real + GAN images at 2x, 87.0%")
    assert "lead of 7.0 points, larger than the spread of 2.0 points" in sentence
    assert "peaks at 2x and then falls back" in sentence and "hurt" not in sentence
    assert capstone.claim_holds(table, sentence)


def test_a_lead_within_the_spread_is_called_a_tie():
    table = _table(real=BASE, augmented=SMALL, gan={1: [0.815, 0.78, 0.83], 2: SMALL[2]}, both=SMALL)
    sentence = capstone.conclusion(table)
    assert sentence.startswith("No clear winner: the best, real + GAN images at 1x")
    assert "within the spread" in sentence and "larger than" not in sentence
    assert capstone.claim_holds(table, sentence)
    assert not capstone.claim_holds(table, sentence.replace("within the spread", "larger than the spread"))


def test_gan_images_that_hurt_are_called_so_from_the_first_ratio_where_they_do():
    table = _table(real=BASE, augmented={1: [0.84, 0.85, 0.83], 4: [0.85, 0.86, 0.84]},
                   gan={1: [0.80, 0.79, 0.80], 4: [0.70, 0.71, 0.69]}, both={1: [0.82, 0.83, 0.81], 4: [0.8, 0.81, 0.79]})
    sentence = capstone.conclusion(table)
    assert sentence.startswith("Best: real + classic augmentation at 4x")
    assert "GAN images hurt" in sentence and "from 4x on" in sentence
    assert capstone.claim_holds(table, sentence)
    assert not capstone.claim_holds(table, sentence.replace("GAN images hurt", "GAN images help"))


def test_when_nothing_beats_real_only_the_sentence_says_so():
    lower = {1: [0.78, 0.785, 0.775]}
    sentence = capstone.conclusion(_table(real=BASE, augmented=lower, gan=lower, both=lower))
    assert sentence.startswith("No arm beats real only: real only scores 80.0% ± 1.0")


def test_one_seed_gives_no_verdict():
    table = _table(real={0: [0.8]}, augmented={1: [0.9]}, gan={1: [0.6]}, both={1: [0.85]})
    sentence = capstone.conclusion(table)
    assert sentence.startswith("One seed per point") and "no winner" in sentence and "hurt" not in sentence
    assert capstone.claim_holds(table, sentence)


def test_mix_keeps_each_label_with_its_image_and_counts_per_real_image():
    real = np.arange(10, dtype="float32")[:, None, None, None] * np.ones((1, 28, 28, 1), "float32")
    fake = -np.arange(1, 41, dtype="float32")[:, None, None, None] * np.ones((1, 28, 28, 1), "float32")
    real_labels, fake_labels = np.arange(10) % 10, np.arange(1, 41) % 10  # label = |pixel| mod 10
    images, labels = capstone.mix(real, real_labels, fake, fake_labels, 2, seed=3)
    assert len(images) == 30 and (images[:10, 0, 0, 0] == np.arange(10)).all()
    np.testing.assert_array_equal(np.abs(images[:, 0, 0, 0]).astype(int) % 10, labels)
    assert len(set(images[10:, 0, 0, 0].tolist())) == 20  # no generated image twice
    with pytest.raises(ValueError, match="pool holds 40"):
        capstone.mix(real, real_labels, fake, fake_labels, 5, seed=0)


def test_package_pieces_pass_the_notebooks_own_checks():
    exercises.check_mix(capstone.mix)
    exercises.check_augment(capstone.augment)


def test_augment_keeps_shape_and_range_and_never_flips():
    images = np.repeat(exercises.letter_f()[None, :, :, None], 64, axis=0)
    out = capstone.augment(images, seed=5)
    assert out.shape == images.shape and out.dtype == np.float32
    assert out.min() >= -1.0 and out.max() <= 1.0 and not np.allclose(out, images)
    templates, names = exercises._templates(exercises.letter_f())
    matches = [names[i] for i in exercises._best_match(out[..., 0], templates)]
    assert not any(flipped for flipped, _ in matches), "an augmented F matched a mirrored F"
    assert all(abs(degrees) <= 15 for _, degrees in matches), matches
    mirrored = images[:, :, ::-1]  # the check itself tells a flip apart
    assert all(names[i][0] for i in exercises._best_match(mirrored[..., 0], templates))


def test_small_labelled_set_is_balanced_and_fixed_by_its_seed():
    labels = np.repeat(np.arange(10), 30)
    images = np.arange(300, dtype="float32")[:, None, None, None] * np.ones((1, 28, 28, 1), "float32")
    x, y = capstone.small_labelled_set(images, labels, 5, seed=1)
    assert np.bincount(y).tolist() == [5] * 10
    np.testing.assert_array_equal(labels[x[:, 0, 0, 0].astype(int)], y)
    np.testing.assert_array_equal(x, capstone.small_labelled_set(images, labels, 5, seed=1)[0])
    with pytest.raises(ValueError, match="fewer than per_class"):
        capstone.small_labelled_set(images, labels, 31)


def test_arm_both_takes_half_its_synthetic_images_from_each_pool():
    real = (np.zeros((4, 28, 28, 1), "float32"), np.zeros(4, "int32"))
    aug = (np.ones((8, 28, 28, 1), "float32"), np.ones(8, "int32"))
    gan = (-np.ones((8, 28, 28, 1), "float32"), np.full(8, 2, "int32"))
    x, y = capstone.arm_data("both", real, aug, gan, 2, seed=0)
    assert len(x) == 12 and (y == 1).sum() == 4 and (y == 2).sum() == 4
    np.testing.assert_array_equal(x[:, 0, 0, 0], np.select([y == 1, y == 2], [1.0, -1.0], 0.0))
    assert capstone.arm_data("real", real, aug, gan, 0, seed=0) is real


def test_every_kept_standard_run_says_what_its_table_shows():
    """Each kept run's tables against the sentences the notebook printed, recomputed from the raw accuracies."""
    runs = expect.kept_runs("05_capstone")
    assert len(runs) >= 3, "the default seed and two more"
    for run in runs:
        records = run["records"]
        for table_key, sentence_key in (("table", "conclusion"), ("more_table", "more_conclusion")):
            table, sentence = records[table_key], records[sentence_key]
            assert min(len(row["accuracies"]) for row in table) >= 3, "at least 3 seeds per point"
            assert {row["arm"] for row in table} == set(capstone.ARMS)
            assert {row["ratio"] for row in table if row["arm"] in capstone.ONE_POINT} == {0.0}
            # recomputed here from the raw accuracies, not read from the recorded means
            means = {(r["arm"], r["ratio"]): np.mean(r["accuracies"]) for r in table}
            stds = {(r["arm"], r["ratio"]): np.std(r["accuracies"], ddof=1) for r in table}
            best = max(means, key=means.get)
            base = ("real", 0.0)
            lead, spread = means[best] - means[base], stds[best] + stds[base]
            assert capstone.ARMS[best[0]] in sentence
            assert ("larger than the spread" in sentence) == (best != base and lead > spread), (sentence, lead, spread)
            assert f"{100 * means[base]:.1f}%" in sentence
            assert sentence == capstone.conclusion(table)
        assert records["paired_conclusion"] == capstone.paired_conclusion(records["table"])


# -- arm (e): augmented afresh on every pass -----------------------------------------------------

def _marking_augment(calls):
    """An augment that adds 10 * (its call's number + 1) to the images, so each pass can be told apart."""
    def augment(images, seed=0):
        calls.append(seed)
        return np.asarray(images) + 10.0 * len(calls)
    return augment


def test_fresh_augmentation_gives_every_pass_its_own_copy_in_the_same_order():
    images = np.arange(10, dtype="float32")[:, None, None, None] * np.ones((1, 28, 28, 1), "float32")
    labels = np.arange(10) % 3
    plain_x, plain_y = capstone.training_stream(images, labels, steps=7, batch_size=4, seed=3)
    calls = []
    fresh_x, fresh_y = capstone.training_stream(images, labels, steps=7, batch_size=4, seed=3,
                                                augment=_marking_augment(calls))
    assert len(plain_x) == len(fresh_x) == 28  # exactly steps x batch, the last pass cut short
    assert len(calls) == 3 and len(set(calls)) == 3, calls  # 3 passes of 10, each with its own seed
    np.testing.assert_array_equal(fresh_y, plain_y)  # the same order, labels kept with their images
    offsets = fresh_x[:, 0, 0, 0] - plain_x[:, 0, 0, 0]
    np.testing.assert_array_equal(offsets, np.repeat([10.0, 20.0, 30.0], 10)[:28])  # pass k is the k-th copy
    for p in range(2):  # every full pass shows each image once; the cut one, 8 different ones
        assert sorted(plain_x[10 * p:10 * p + 10, 0, 0, 0].tolist()) == list(range(10))
    assert len(set(plain_x[20:, 0, 0, 0].tolist())) == 8
    again = []
    capstone.training_stream(images, labels, steps=7, batch_size=4, seed=3, augment=_marking_augment(again))
    assert again == calls  # fixed by the seed
    other = []
    capstone.training_stream(images, labels, steps=7, batch_size=4, seed=4, augment=_marking_augment(other))
    assert other != calls


def test_the_sweep_runs_the_fresh_arm_once_per_seed_with_the_augment_it_is_given():
    rng = np.random.default_rng(0)
    real = (rng.uniform(-1, 1, (20, 28, 28, 1)).astype("float32"), np.arange(20) % 10)
    test = (rng.uniform(-1, 1, (30, 28, 28, 1)).astype("float32"), np.arange(30) % 10)
    calls = []

    def augment(images, seed=0):
        calls.append((len(images), seed))
        return np.asarray(images)

    def make_fakes(n, seed):
        return np.zeros((n, 28, 28, 1), "float32"), np.arange(n) % 10

    table = capstone.sweep(real, test, make_fakes, ratios=[0, 1], seeds=[5], steps=3, batch_size=10,
                           augment=augment, log=None, progress=False)
    assert {(r["arm"], r["ratio"]) for r in table} == {("real", 0.0), ("fresh", 0.0), ("augmented", 1.0),
                                                       ("gan", 1.0), ("both", 1.0)}
    # one call makes the augmented pool (the real set, once for ratio 1); then one per pass of arm "fresh"
    assert [n for n, _ in calls] == [20, 20, 20]
    assert calls[0][1] not in {seed for _, seed in calls[1:]}


def test_a_fresh_arm_is_named_without_a_ratio():
    table = _table(real=BASE, augmented={1: [0.82, 0.83, 0.81]}, gan={1: [0.78, 0.79, 0.77]}, both=SMALL,
                   fresh={0: [0.86, 0.87, 0.85]})
    sentence = capstone.conclusion(table)
    assert sentence.startswith("Best: augmented afresh each pass, 86.0% ± 1.0") and "0x" not in sentence
    assert capstone.claim_holds(table, sentence)
    paired = capstone.paired_conclusion(table)
    assert paired.startswith("Best: augmented afresh each pass, +6.00 points above real only")
    assert capstone.paired_claim_holds(table, paired)
    text = capstone.format_table(table)
    assert text.splitlines()[-1].startswith("augmented afresh each pass") and "86.00 ± 1.00" in text


def test_fresh_against_the_largest_pool_seed_by_seed():
    table = _table(real=BASE, augmented={1: [0.82, 0.83, 0.81], 4: [0.84, 0.85, 0.83]}, gan={1: [0.78, 0.79, 0.77]},
                   both=SMALL, fresh={0: [0.85, 0.86, 0.84]})
    row = capstone.fresh_against_pool(table)
    assert row["pool"] == 4.0 and row["mean"] == pytest.approx(0.01) and row["verdict"] == "higher"
    sentence = capstone.fresh_sentence(table)
    assert sentence.startswith("Augmented afresh each pass minus real + classic augmentation at 4x, seed by seed: "
                               "+1.00 points over 3 seeds")
    assert sentence.endswith("augmenting afresh beat the pool, and the seeds agree on it.")
    tie = _table(real=BASE, augmented={1: [0.82, 0.83, 0.81]}, fresh={0: [0.83, 0.82, 0.81]})
    assert capstone.fresh_sentence(tie).endswith("level: the interval includes 0.")
    lower = _table(real=BASE, augmented={1: [0.82, 0.83, 0.81]}, fresh={0: [0.80, 0.81, 0.79]})
    assert "the pool beat augmenting afresh" in capstone.fresh_sentence(lower)
    assert capstone.fresh_against_pool(_table(real=BASE, augmented=SMALL)) is None
    assert "one seed" in capstone.fresh_sentence(_table(real={0: [0.8]}, augmented={1: [0.9]}, fresh={0: [0.85]}))


# -- paired by seed ------------------------------------------------------------------------------

PAIRED = dict(real={0: [0.80, 0.82, 0.78]},
              augmented={1: [0.81, 0.83, 0.79]},   # +1 point on every seed: the SDs overlap, the pairs agree
              gan={1: [0.79, 0.83, 0.77]},         # -1, +1, -1 points: a tie
              both={1: [0.77, 0.80, 0.76]})        # -3, -2, -2 points


def test_paired_differences_by_hand():
    rows = {(r["arm"], r["ratio"]): r for r in capstone.paired_differences(_table(**PAIRED))}
    assert set(rows) == {("augmented", 1.0), ("gan", 1.0), ("both", 1.0)}  # every row but the baseline
    aug, gan, both = rows["augmented", 1.0], rows["gan", 1.0], rows["both", 1.0]
    np.testing.assert_allclose(aug["differences"], [0.01, 0.01, 0.01])
    assert aug["mean"] == pytest.approx(0.01) and aug["se"] == pytest.approx(0.0, abs=1e-12)
    assert aug["verdict"] == "higher" and aug["n"] == 3
    # gan: differences -0.01, +0.01, -0.01; mean -1/300; sample std sqrt(((2/3)^2 * 2 + (4/3)^2) / 2) / 100
    #      = 0.011547; SE = 0.011547 / sqrt(3) = 0.0066667; 95% interval mean ± 4.303 SE (t, 2 degrees of freedom)
    assert gan["mean"] == pytest.approx(-1 / 300)
    assert gan["se"] == pytest.approx(0.02 / 3)
    assert gan["low"] == pytest.approx(-1 / 300 - 4.303 * 0.02 / 3)
    assert gan["high"] == pytest.approx(-1 / 300 + 4.303 * 0.02 / 3)
    assert gan["verdict"] == "tie"
    # both: -0.03, -0.02, -0.02; mean -0.07/3; sample std 0.0057735; SE 0.0033333
    assert both["mean"] == pytest.approx(-0.07 / 3) and both["se"] == pytest.approx(0.01 / 3)
    assert both["high"] == pytest.approx(-0.07 / 3 + 4.303 * 0.01 / 3) and both["verdict"] == "lower"


def test_pairing_finds_a_gain_that_the_spread_calls_a_tie():
    table = _table(**PAIRED)
    assert "a tie" in capstone.conclusion(table)  # 1.0 point lead, within 2 + 2 points of spread
    sentence = capstone.paired_conclusion(table)
    assert sentence.startswith("Best: real + classic augmentation at 1x, +1.00 points above real only")
    assert "a gain the seeds agree on" in sentence and "GAN images hurt" not in sentence
    assert capstone.paired_claim_holds(table, sentence)
    assert not capstone.paired_claim_holds(table, sentence.replace("a gain the seeds agree on", "a tie"))


def test_paired_conclusion_says_gan_images_hurt_with_the_study_s_scope():
    table = _table(real={0: [0.80, 0.82, 0.78]}, augmented={1: [0.81, 0.83, 0.77]},
                   gan={1: [0.79, 0.815, 0.77], 2: [0.75, 0.77, 0.74]}, both={1: [0.80, 0.82, 0.78]})
    sentence = capstone.paired_conclusion(table)
    assert "GAN images hurt in this study" in sentence and capstone.SCOPE in sentence
    assert "at 1x, 2x" in sentence and capstone.paired_claim_holds(table, sentence)
    assert "No clear winner" in sentence  # augmented: +1, +1, -1 points


def test_paired_differences_need_the_same_seeds_and_one_seed_gives_no_verdict():
    with pytest.raises(ValueError, match="same seeds"):
        capstone.paired_differences(_table(real={0: [0.8, 0.81]}, gan={1: [0.8]}))
    one = _table(real={0: [0.8]}, augmented={1: [0.9]}, gan={1: [0.6]}, both={1: [0.85]})
    (row,) = [r for r in capstone.paired_differences(one) if r["arm"] == "gan"]
    assert row["se"] is None and row["verdict"] == "one seed"
    sentence = capstone.paired_conclusion(one)
    assert sentence.startswith("One seed per point") and "hurt" not in sentence
    assert capstone.t95(4) == pytest.approx(2.776) and capstone.t95(100) == 1.96


# -- variety within a class ----------------------------------------------------------------------

def test_within_class_spread_by_hand():
    features = np.array([[0, 0], [3, 4],            # class 0: one pair, 5 apart
                         [0, 0], [1, 0], [0, 1],    # class 1: 1, 1 and sqrt(2) apart
                         [7, 7]], "float64")        # class 2: a single item
    labels = np.array([0, 0, 1, 1, 1, 2])
    spread = capstone.within_class_spread(features, labels, num_classes=4)
    assert spread[0] == pytest.approx(5.0)
    assert spread[1] == pytest.approx((2 + np.sqrt(2)) / 3)
    assert np.isnan(spread[2]) and np.isnan(spread[3])
    # one digit drawn again and again: no spread, however right it is read
    copies = np.repeat(features[:1], 4, axis=0)
    assert capstone.within_class_spread(copies, np.zeros(4, int), 1)[0] == pytest.approx(0.0)
    ratio = capstone.spread_ratio(features[:2] / 2, labels[:2], features[:2], labels[:2], num_classes=1)
    assert ratio[0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="one label per item"):
        capstone.within_class_spread(features, labels[:3])
