"""gankit.pix2pix: the conditional input and the losses against NumPy, the game's step on tiny pairs (TF and JAX),
and the learner's functions in the training (notebook 04 passes them to Pix2Pix)."""

import ast

import keras
import numpy as np
import pytest

from gankit import data, images, pix2pix
from gankit.seeding import seed_everything
from notebook_tools import notebook_path, solution_sources


def numpy_of(x):
    return keras.ops.convert_to_numpy(x)


def softplus(x):
    return np.logaddexp(0.0, x)


def test_discriminator_sees_input_then_image_on_channels():
    condition = np.zeros((2, 4, 4, 1), "float32")
    image = np.ones((2, 4, 4, 3), "float32")
    joined = numpy_of(pix2pix.conditional_input(condition, image))
    assert joined.shape == (2, 4, 4, 4)
    assert not joined[..., :1].any() and (joined[..., 1:] == 1).all()
    with pytest.raises(ValueError, match="Fix: crop both halves"):
        pix2pix.conditional_input(condition, np.ones((2, 8, 8, 3), "float32"))


def test_losses_match_numpy():
    rng = np.random.default_rng(0)
    real_scores, fake_scores = rng.normal(size=(2, 3, 3, 1)), rng.normal(size=(2, 3, 3, 1))
    fake, target = rng.uniform(-1, 1, (2, 4, 4, 3)), rng.uniform(-1, 1, (2, 4, 4, 3))
    f32 = lambda x: x.astype("float32")  # noqa: E731
    # Cross-entropy of a logit s against label 1 is softplus(-s), against label 0 softplus(s).
    want_d = 0.5 * (softplus(-real_scores).mean() + softplus(fake_scores).mean())
    assert float(pix2pix.discriminator_loss(f32(real_scores), f32(fake_scores))) == pytest.approx(want_d, rel=1e-5)
    condition = rng.uniform(-1, 1, (2, 4, 4, 3))
    total, gan, l1 = pix2pix.generator_loss(f32(fake_scores), f32(fake), f32(condition), f32(target))
    want_gan, want_l1 = softplus(-fake_scores).mean(), np.abs(fake - target).mean()
    assert float(gan) == pytest.approx(want_gan, rel=1e-5)
    assert float(l1) == pytest.approx(want_l1, rel=1e-5)
    assert float(total) == pytest.approx(want_gan + 100 * want_l1, rel=1e-5)  # the weight is on L1, not on the GAN term
    assert float(pix2pix.generator_loss(f32(fake_scores), f32(fake), f32(condition), f32(target), l1_weight=0)[0]) == \
        pytest.approx(want_gan, rel=1e-5)


@pytest.mark.backends
def test_one_step_on_the_shared_shoe_pairs_moves_exactly_the_right_variables():
    """A tiny 32x32 pix2pix fed by ImageBatches from the shared edges2shoes pairs; the generator's rate is 0."""
    seed_everything(0)
    edges, shoes = images.load_paired(data.image_dataset("edges2shoes"), "train", size=images.jitter_size(32), limit=4)
    pairs = images.ImageBatches(edges, shoes, batch_size=2, crop=32, seed=0)
    gan = pix2pix.Pix2Pix(32, width=4, levels=3, d_width=4, d_layers=2)
    assert gan.discriminator.input_shape == (None, 32, 32, 6)  # input and image stacked on channels
    gan.compile(pix2pix.adam(1e-2), keras.optimizers.SGD(0.0))
    d_before, g_before = [numpy_of(v) for v in gan.discriminator.trainable_variables], \
        [numpy_of(v) for v in gan.generator.trainable_variables]
    history = gan.fit(pairs, epochs=1, steps_per_epoch=2, verbose=0).history

    assert set(history) == {"d_loss", "g_loss", "gan", "l1"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert any(not np.allclose(b, numpy_of(a)) for b, a in zip(d_before, gan.discriminator.trainable_variables))
    for b, a in zip(g_before, gan.generator.trainable_variables):  # read by D's loss and its own, rate 0: unchanged
        np.testing.assert_array_equal(b, numpy_of(a))
    np.testing.assert_allclose(history["g_loss"], np.add(history["gan"], np.multiply(100, history["l1"])), rtol=1e-4)
    assert [int(numpy_of(o.iterations)) for o in (gan.d_optimizer, gan.g_optimizer)] == [2, 2]


def test_generator_learns_from_its_l1_term():
    """With the discriminator frozen (rate 0), a few steps on 4 pairs pull the generator towards the targets."""
    seed_everything(0)
    rng = np.random.default_rng(0)
    condition = rng.uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    target = np.clip(-condition, -1, 1)
    gan = pix2pix.Pix2Pix(16, width=4, levels=2, d_width=2, d_layers=1, dropout=0.0)
    gan.compile(keras.optimizers.SGD(0.0), pix2pix.adam(1e-2))
    history = gan.fit(condition, target, batch_size=4, epochs=15, verbose=0).history
    assert history["l1"][-1] < 0.7 * history["l1"][0], history["l1"]


def test_the_exercise_unet_parts_wired_skip_first_compute_the_package_unet():
    """What notebook 04's Exercise 2 wires is blocks.unet_generator: the same layers, the same numbers."""
    from gankit.exercises import pix2pix as exercises

    down, up, out = exercises.unet_parts(image_size=32, levels=3, width=4)
    unet = pix2pix.blocks.unet_generator(32, levels=3, width=4, dropout=0.0)
    convs = {layer.name: layer for layer in unet.layers if "conv" in layer.name}
    pairs = [(step, convs[f"down{i}_conv"]) for i, step in enumerate(down, start=1)]
    pairs += [(step, convs[f"{step.name}_conv"]) for step in up] + [(out, convs["out_conv"])]
    for step, conv in pairs:  # give the package's U-Net the parts' weights
        (mine,) = [layer for layer in step.layers if layer.weights]
        conv.set_weights(mine.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    right = numpy_of(unet(x, training=False))
    np.testing.assert_allclose(numpy_of(exercises.wire_unet(x, down, up, out)), right, atol=1e-5)
    swapped = numpy_of(exercises.wire_unet(x, down, up, out, skip_first=False))
    assert np.abs(swapped - right).max() > 1e-3  # the order of a join changes what the next step computes


# -- the learner's functions drive the training ----------------------------------------------------

def _tiny_run(**objectives):
    """A 32x32 pix2pix (3 levels, width 8) trained 2 steps on 4 fixed pairs from seed 0: its weights and logs."""
    seed_everything(0)
    rng = np.random.default_rng(0)
    condition = rng.uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    target = np.tanh(condition[..., ::-1] + rng.normal(0, 0.3, condition.shape)).astype("float32")
    gan = pix2pix.Pix2Pix(32, width=8, levels=3, d_width=8, d_layers=2, **objectives)
    gan.compile(pix2pix.adam(1e-3), pix2pix.adam(1e-3))
    history = gan.fit(condition, target, batch_size=2, epochs=1, verbose=0).history
    return [numpy_of(v) for v in gan.generator.weights + gan.discriminator.weights], history


@pytest.fixture(scope="module")
def default_run():
    return _tiny_run()


def _learner_functions(**replaced):
    """The solution notebook's exercise functions (what a learner with full marks wrote), some replaced."""
    namespace = {"ops": keras.ops, "keras": keras, "np": np}
    sources = solution_sources("04_pix2pix")
    for grade_id in ("ex_discriminator_input", "ex_discriminator_loss", "ex_generator_loss"):
        exec(replaced.get(grade_id, sources[grade_id]), namespace)
    return dict(conditional_input=namespace["discriminator_input"],
                discriminator_loss=namespace["discriminator_loss"], generator_loss=namespace["generator_loss"])


def _same(run, other):
    (weights, history), (other_weights, other_history) = run, other
    return history == other_history and all(np.array_equal(a, b) for a, b in zip(weights, other_weights))


@pytest.mark.slow  # trains a tiny model: the whole suite, not the fast tier
def test_the_reference_functions_passed_explicitly_train_exactly_as_the_default(default_run):
    explicit = _tiny_run(conditional_input=pix2pix.conditional_input, discriminator_loss=pix2pix.discriminator_loss,
                         generator_loss=pix2pix.generator_loss)
    assert _same(explicit, default_run)
    assert np.isfinite(default_run[1]["g_loss"]).all()


@pytest.mark.slow  # trains a tiny model: the whole suite, not the fast tier
def test_the_notebooks_solution_functions_train_exactly_as_the_reference(default_run):
    """The standard run's kept numbers (docs/expected) stay the notebook's: its answers are the reference, op for op."""
    assert _same(_tiny_run(**_learner_functions()), default_run)


WRONG_FUNCTIONS = {
    "L1 weight 1 (a fixed weight)": ("ex_generator_loss", """
def generator_loss(fake_scores, fake, edges, photos, l1_weight=100.0):
    gan = ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
    l1 = ops.mean(ops.abs(fake - photos))
    return gan + l1, gan, l1
"""),
    "L2 instead of L1": ("ex_generator_loss", """
def generator_loss(fake_scores, fake, edges, photos, l1_weight=100.0):
    gan = ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
    l1 = ops.mean(ops.square(fake - photos))
    return gan + l1_weight * l1, gan, l1
"""),
    "photo first in the discriminator's input": ("ex_discriminator_input", """
def discriminator_input(edges, photos):
    return ops.concatenate([photos, edges], axis=-1)
"""),
    "labels swapped in the discriminator's loss": ("ex_discriminator_loss", """
def discriminator_loss(real_scores, fake_scores):
    real = ops.mean(ops.binary_crossentropy(ops.zeros_like(real_scores), real_scores, from_logits=True))
    fake = ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
    return 0.5 * (real + fake)
"""),
}


@pytest.mark.slow  # trains a tiny model: the whole suite, not the fast tier
@pytest.mark.parametrize("mistake", sorted(WRONG_FUNCTIONS))
def test_a_wrong_learner_function_trains_differently(default_run, mistake):
    grade_id, source = WRONG_FUNCTIONS[mistake]
    weights, history = _tiny_run(**_learner_functions(**{grade_id: source}))
    assert not _same((weights, history), default_run), f"{mistake}: the training did not change"
    assert any(not np.allclose(a, b) for a, b in zip(weights, default_run[0])), f"{mistake}: same weights"


def test_a_generator_loss_of_one_number_is_refused_with_a_fix():
    def one_number(fake_scores, fake, condition, target, l1_weight=100.0):
        return pix2pix.generator_loss(fake_scores, fake, condition, target, l1_weight)[0]

    with pytest.raises(ValueError, match="three values"):
        _tiny_run(generator_loss=one_number)


def test_the_notebook_trains_with_the_learners_functions():
    """Notebook 04's training cell passes the functions its exercises define to Pix2Pix, by name."""
    import nbformat

    cells = [cell.source for cell in nbformat.read(notebook_path("04_pix2pix"), as_version=4).cells
             if cell.cell_type == "code"]
    defined = {node.name for grade_id, code in solution_sources("04_pix2pix").items()
               for node in ast.parse(code).body if isinstance(node, ast.FunctionDef)}
    calls = [node for source in cells for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "Pix2Pix"]
    assert len(calls) == 1, f"one Pix2Pix(...) call expected in the notebook, found {len(calls)}"
    passed = {k.arg: k.value.id for k in calls[0].keywords if isinstance(k.value, ast.Name)}
    want = {"conditional_input": "discriminator_input", "discriminator_loss": "discriminator_loss",
            "generator_loss": "generator_loss"}
    assert {k: passed.get(k) for k in want} == want, passed
    assert set(want.values()) <= defined, f"the exercises define {sorted(defined)}"


# -- Exercise 6: the recorded table it asks about --------------------------------------------------

def test_the_shipped_rows_are_the_kept_runs_and_the_signs_hold_for_them():
    """pix2pix_rows.json is the kept standard run (docs/expected), shuffled as the notebook's answer says, and each
    name's sign (what the visible check says it predicts) is true of its row."""
    import json

    from gankit.exercises import pix2pix as exercises
    from gankit.expect import expected_path

    namespace = {}
    exec(solution_sources("04_pix2pix")["ex_diagnosis"], namespace)
    answer = {run: " ".join(name.lower().split()) for run, name in namespace["diagnosis"].items()}
    shipped = exercises.load_rows()
    kept = json.loads(expected_path("04_pix2pix").read_text())["records"]
    keys = {"edge map": "edges", "mean photo": "mean_photo", "l1 alone": "l1only", "pix2pix": "gan"}
    rows = {answer[run]: row for run, row in shipped["rows"].items()}
    for name, row in rows.items():
        assert row == {m: kept[f"{keys[name]}_{m}"] for m in exercises.MEASURES}, name
    assert (shipped["steps"], shipped["val_pairs"], shipped["image_size"]) == \
        (kept["steps"], kept["val_pairs"], kept["image_size"])
    assert [name for name in keys.values()] != [keys[answer[run]] for run in sorted(answer)], "rows not shuffled"
    edge, mean, l1only, gan = (rows[k] for k in ("edge map", "mean photo", "l1 alone", "pix2pix"))
    by = lambda m: sorted(rows, key=lambda k: rows[k][m])  # noqa: E731
    assert by("l1")[-1] == "edge map" and by("psnr")[0] == "edge map" and by("sharpness")[0] != "edge map"
    assert by("sharpness")[0] == "mean photo" and by("ssim")[0] == "mean photo" and mean["l1"] < edge["l1"]
    assert set(by("l1")[:2]) == set(by("ssim")[-2:]) == set(by("psnr")[-2:]) == {"l1 alone", "pix2pix"}
    assert l1only["sharpness"] < gan["sharpness"] - 0.1  # "clearly the sharper of those two"
    assert all(abs(l1only[m] - gan[m]) < 0.05 for m in ("l1", "ssim")) and abs(l1only["psnr"] - gan["psnr"]) < 1
