"""The Monet style judge passes its known cases before it judges anything else.

Real Monet test paintings read as Monet and real test photos as photos (the test split is
never trained on); noise and an untrained generator's output do not read as Monet; a blurred
or colour-matched photo reads as Monet less often than a real painting does.
"""

import os
import pathlib
import warnings

import numpy as np
import pytest

from gankit import data, images, quality, style


@pytest.fixture(scope="module")
def monet_judge():
    return style.monet_judge()


@pytest.fixture(scope="module")
def test_split():
    paintings, photos = images.load_unpaired(data.image_dataset("monet2photo"), "test", 64)
    return images.to_tanh_range(paintings), images.to_tanh_range(photos)


def test_judge_is_accurate_on_the_test_split(monet_judge, test_split):
    paintings, photos = test_split
    errors = int((monet_judge.monet_probability(paintings) < 0.5).sum()
                 + (monet_judge.monet_probability(photos) >= 0.5).sum())
    assert monet_judge.test_count == len(paintings) + len(photos) == 40
    assert monet_judge.test_errors == errors <= 6  # accuracy >= 85%
    assert monet_judge.accuracy == pytest.approx(1 - errors / 40)
    assert monet_judge.reads_as_monet(paintings) >= 0.85
    assert monet_judge.reads_as_monet(photos) <= 0.2
    assert f"{errors} wrong of 40" in str(monet_judge)


def test_probabilities_are_per_image_in_unit_interval_at_any_resolution(monet_judge, test_split):
    paintings, _ = test_split
    p = monet_judge.monet_probability(paintings)
    assert p.shape == (len(paintings),) and (p >= 0).all() and (p <= 1).all()
    larger = quality.resize(paintings, 128)  # resized inside: about the same verdicts
    assert monet_judge.reads_as_monet(larger) >= 0.8


def test_noise_and_flat_images_are_not_monet(monet_judge):
    rng = np.random.default_rng(7)
    uniform = rng.uniform(-1, 1, (20, 64, 64, 3))
    gaussian = np.clip(rng.normal(0, 0.5, (20, 64, 64, 3)), -1, 1)
    grey = np.zeros((4, 64, 64, 3))
    checkerboard = np.broadcast_to((np.indices((64, 64)).sum(0) % 2 * 2 - 1.0)[None, ..., None], (4, 64, 64, 3))
    for junk in (uniform, gaussian, grey, checkerboard):
        assert monet_judge.reads_as_monet(junk) == 0.0
    assert monet_judge.style_probability(uniform).mean() > 0.5  # the style alone likes noise: the gate is needed
    assert monet_judge.in_distribution(uniform).max() < 0.01


def _untrained_output(size, width, blocks, photos, seed):
    import keras

    from gankit.blocks import resnet_generator

    keras.utils.set_random_seed(seed)
    generator = resnet_generator(size, width=width, blocks=blocks)
    return generator.predict(quality.resize(photos, size), batch_size=len(photos), verbose=0)


@pytest.mark.backends
def test_an_untrained_generator_does_not_read_as_monet(monet_judge, test_split):
    _, photos = test_split
    assert monet_judge.reads_as_monet(_untrained_output(64, 16, 2, photos, seed=0)) <= 0.1


def test_untrained_generators_of_other_sizes_do_not_read_as_monet(monet_judge, test_split):
    _, photos = test_split
    # at the resolution the judge works at, and below and above it (outputs are resized inside)
    for seed, (size, width, blocks) in enumerate([(64, 8, 1), (64, 32, 3), (32, 8, 1), (32, 64, 9),
                                                  (128, 8, 1), (128, 16, 2)], start=1):
        share = monet_judge.reads_as_monet(_untrained_output(size, width, blocks, photos, seed))
        assert share <= 0.1, f"an untrained generator at {size} px, width {width}, {blocks} blocks: {share:.0%} Monet"


def test_blurred_and_colour_matched_photos_read_as_monet_less_than_paintings(monet_judge, test_split):
    paintings, photos = test_split
    made = style.baselines(photos, monet_judge)
    assert set(made) == {"photo", "blurred", "colour-matched"}
    real = monet_judge.reads_as_monet(paintings)
    for name in ("blurred", "colour-matched"):
        assert monet_judge.reads_as_monet(made[name]) <= real - 0.5, name


def test_baselines_do_what_they_say(test_split):
    paintings, photos = test_split
    made = style.baselines(photos, paintings)
    assert np.array_equal(made["photo"], photos)
    assert quality.sharpness_ratio(made["blurred"], photos) < 0.6
    matched = made["colour-matched"]
    assert matched.mean(axis=(0, 1, 2)) == pytest.approx(paintings.mean(axis=(0, 1, 2)), abs=0.05)
    assert quality.ssim(matched, photos) > 0.3  # the structure stays


def test_report_has_one_row_per_candidate(monet_judge, test_split):
    paintings, photos = test_split
    rows = style.report(monet_judge, photos, photos, reconstructed=photos, untrained=np.zeros_like(photos),
                        monet=paintings)
    assert list(rows) == ["translated", "photo", "blurred", "colour-matched", "untrained", "monet"]
    assert rows["translated"]["ssim_to_input"] == pytest.approx(1.0) and rows["translated"]["cycle_l1"] == 0.0
    assert rows["blurred"]["ssim_to_input"] < 0.9 and "cycle_l1" not in rows["photo"]
    assert rows["monet"]["reads_as_monet"] >= 0.85 and rows["untrained"]["reads_as_monet"] == 0.0
    judged = monet_judge.monet_probability(paintings)  # the mean probability and its spread, beside the share
    assert rows["monet"]["monet_probability"] == pytest.approx(float(np.mean(judged)))
    assert rows["monet"]["monet_probability_sd"] == pytest.approx(float(np.std(judged)))
    assert rows["monet"]["monet_probability"] > 0.5 > rows["photo"]["monet_probability"]
    table = style.format_report(rows)
    assert "colour-matched" in table and "cycle_l1" in table
    with pytest.raises(ValueError, match="translate each photo once"):
        style.report(monet_judge, photos, photos[:3])


def test_the_judge_is_cached_and_reloads_unchanged(monet_judge):
    again = style.monet_judge()
    for name, value in monet_judge.to_arrays().items():
        assert np.array_equal(value, again.to_arrays()[name], equal_nan=True), name
    stored = list((images.cache_dir() / "style").glob("monet-judge-64px-*.npz"))
    assert stored


def test_an_unwritable_cache_trains_in_memory_with_one_warning(monet_judge, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be: nothing can be written under it")
    monkeypatch.setenv("GANKIT_CACHE", str(blocker))
    monkeypatch.setattr(style, "_warned_read_only", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        judge = style.monet_judge()
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and "cannot be written" in messages[0], messages
    assert judge.test_errors == monet_judge.test_errors
    assert np.allclose(judge.weights, monet_judge.weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second failure to store stays quiet
        style._store(judge, blocker / "style" / "judge.npz")


def test_a_damaged_cache_file_is_retrained(monet_judge, tmp_path, monkeypatch):
    root = data.image_dataset("monet2photo")
    monet, photos = images.load_unpaired(root, "train", 64)
    path = style._cache_path(monet, photos, 64, 0)
    original = path.read_bytes()
    try:
        path.write_bytes(b"not an npz file")
        with pytest.warns(UserWarning, match="is damaged"):
            judge = style.monet_judge()
        assert judge.accuracy == monet_judge.accuracy
    finally:
        path.write_bytes(original)


def test_too_few_training_images_are_refused():
    few = np.zeros((4, 64, 64, 3))
    with pytest.raises(ValueError, match="at least 10 images"):
        style.train_judge(few, few)


def test_features_are_finite_and_fixed_in_number():
    rng = np.random.default_rng(0)
    batch = np.concatenate([rng.uniform(-1, 1, (2, 32, 32, 3)), np.zeros((1, 32, 32, 3)), np.ones((1, 32, 32, 3))])
    values = style.features(batch)
    assert values.shape == (4, 92) and np.isfinite(values).all()
