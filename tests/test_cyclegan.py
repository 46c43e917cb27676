"""gankit.cyclegan: the losses against NumPy, the history pool, and the game's step on tiny images (TF and JAX)."""

import keras
import numpy as np
import pytest

from gankit import cyclegan, data, images
from gankit.seeding import seed_everything


def numpy_of(x):
    return keras.ops.convert_to_numpy(x)


def test_losses_match_numpy():
    rng = np.random.default_rng(0)
    real_scores, fake_scores = rng.normal(size=(2, 3, 3, 1)), rng.normal(size=(2, 3, 3, 1))
    a, back = rng.uniform(-1, 1, (2, 4, 4, 3)), rng.uniform(-1, 1, (2, 4, 4, 3))
    f32 = lambda x: x.astype("float32")  # noqa: E731
    assert float(cyclegan.lsgan_discriminator_loss(f32(real_scores), f32(fake_scores))) == pytest.approx(
        0.5 * (((real_scores - 1) ** 2).mean() + (fake_scores ** 2).mean()), rel=1e-5)
    assert float(cyclegan.lsgan_generator_loss(f32(fake_scores))) == pytest.approx(
        ((fake_scores - 1) ** 2).mean(), rel=1e-5)
    assert float(cyclegan.cycle_loss(f32(a), f32(back))) == pytest.approx(np.abs(back - a).mean(), rel=1e-5)
    assert float(cyclegan.identity_loss(f32(a), f32(back))) == pytest.approx(np.abs(back - a).mean(), rel=1e-5)
    # A perfect discriminator scores 0; a generator that fools it completely scores 0.
    assert float(cyclegan.lsgan_discriminator_loss(np.ones(4, "float32"), np.zeros(4, "float32"))) == 0.0
    assert float(cyclegan.lsgan_generator_loss(np.ones(4, "float32"))) == 0.0


def query(pool, values):
    """Pass images whose pixels all equal ``values`` through ``pool``; return the values that come back."""
    batch = np.asarray(values, "float32")[:, None, None, None] * np.ones((1, 2, 2, 1), "float32")
    out = numpy_of(pool(batch))
    assert (out == out[:, :1, :1]).all(), "the pool mixed the pixels of different images"
    return out[:, 0, 0, 0].tolist()


@pytest.mark.backends
def test_pool_stores_then_swaps_old_images_half_of_the_time():
    pool = cyclegan.ImagePool(capacity=4, image_shape=(2, 2, 1), seed=3)
    # Filling up: each image is stored and comes straight back.
    assert query(pool, [0, 1]) + query(pool, [2, 3]) == [0, 1, 2, 3]
    assert int(numpy_of(pool.count)) == 4 and sorted(numpy_of(pool.images)[:, 0, 0, 0]) == [0, 1, 2, 3]
    # Full: each image comes back itself or is swapped for an OLDER one, which then leaves the pool.
    fed = list(range(4, 404))
    # Batches of 20: the pool takes them image by image anyway, and few calls keep eager JAX quick.
    returned = [v for i in range(0, len(fed), 20) for v in query(pool, fed[i:i + 20])]
    stored = numpy_of(pool.images)[:, 0, 0, 0].tolist()
    old = [got for got, new in zip(returned, fed) if got != new]
    assert all(got < new for got, new in zip(returned, fed) if got != new), "an image came back before it went in"
    assert 0.4 < len(old) / len(fed) < 0.6, f"{len(old)} of {len(fed)} images were swapped; expected about half"
    assert sorted(returned + stored) == list(range(404)), "each image must come back once or stay in the pool"
    ages = [new - got for got, new in zip(returned, fed) if got != new]
    assert max(ages) > 8, "the pool only ever returns its newest images"


def test_pool_of_size_zero_passes_the_batch_through_and_checks_shapes():
    pool = cyclegan.ImagePool(capacity=0, image_shape=(2, 2, 1))
    assert query(pool, [5, 6, 7]) == [5, 6, 7]
    with pytest.raises(ValueError, match="Fix: give ImagePool"):
        cyclegan.ImagePool(capacity=2, image_shape=(4, 4, 3))(np.zeros((1, 2, 2, 1), "float32"))


def weights(model):
    return [numpy_of(v) for v in model.trainable_variables]


def moved(before, after):
    return any(not np.allclose(b, a) for b, a in zip(before, after))


@pytest.mark.backends
def test_one_step_on_the_shared_monet_subset_moves_exactly_the_right_variables():
    """A tiny 32x32 CycleGAN fed by ImageBatches from the shared monet2photo subset; D_B's rate is 0."""
    seed_everything(0)
    monet, photos = images.load_unpaired(data.image_dataset("monet2photo"), "train", size=images.jitter_size(32),
                                         limit=4)
    batches = images.ImageBatches(monet, photos, paired=False, batch_size=2, crop=32, seed=0)
    gan = cyclegan.CycleGAN(32, width=4, blocks=1, d_width=4, d_layers=2, pool_size=3, seed=1)
    gan.compile(cyclegan.adam(total_steps=4, rate=1e-2), keras.optimizers.SGD(0.0), cyclegan.adam(4, 1e-2))
    parts = {name: getattr(gan, name) for name in ("g_ab", "g_ba", "d_a", "d_b")}
    before = {name: weights(model) for name, model in parts.items()}
    shown = images.to_tanh_range(photos[:3, 2:34, 2:34])
    snapshots = cyclegan.Snapshots({"photo -> Monet": ("g_ba", shown)})
    history = gan.fit(batches, epochs=2, steps_per_epoch=1, callbacks=[snapshots], verbose=0).history

    # the same photos before training and after each epoch (one step each), by the generator named
    assert snapshots.steps == [0, 1, 2] and len(snapshots.seconds) == 3
    frames = snapshots.frames["photo -> Monet"]
    assert [f.shape for f in frames] == [(3, 32, 32, 3)] * 3 and not np.allclose(frames[0], frames[-1])
    np.testing.assert_allclose(frames[-1], numpy_of(gan.g_ba(shown, training=False)), atol=1e-5)
    np.testing.assert_allclose(cyclegan.translate(gan.g_ba, shown, batch_size=2), frames[-1], atol=1e-5)
    assert set(history) == {"d_a_loss", "d_b_loss", "g_loss", "cycle", "identity"}
    assert all(np.isfinite(v).all() for v in history.values())
    for name, model in parts.items():
        assert moved(before[name], weights(model)) == (name != "d_b"), f"{name} moved wrongly"
    for pool in (gan.pool_a, gan.pool_b):  # 2 steps x 2 images, capacity 3: full, written inside the step
        assert int(numpy_of(pool.count)) == 3 and np.abs(numpy_of(pool.images)).max() > 0
    assert [int(numpy_of(opt.iterations)) for opt in gan.optimizers] == [2, 2, 2]
    assert float(numpy_of(gan.optimizers[0].learning_rate)) == pytest.approx(1e-2)  # 2 of 4 steps: still held


def test_learning_rate_holds_for_the_first_half_then_falls_linearly_to_zero():
    rate = cyclegan.learning_rate(total_steps=200)
    got = [float(numpy_of(rate(step))) for step in (0, 100, 150, 200)]
    np.testing.assert_allclose(got, [2e-4, 2e-4, 1e-4, 0.0], atol=1e-9)


def test_schedule_fills_in_what_a_profile_leaves_to_the_paper():
    # notebook 03's standard profile: all given; a round is cut to one pass over the data
    assert cyclegan.schedule(30, 720, 90, 180) == (720, 30, 180)
    # the full profile: the paper's 200 passes, rounds of one pass, 10 passes for the identity comparison
    assert cyclegan.schedule(1072, None, None, None) == (214_400, 1072, 10_720)
    # full with steps overridden (03's Colab advice): no TypeError, rounds of one pass
    assert cyclegan.schedule(1072, 60000, None, None) == (60000, 1072, 10_720)
    assert cyclegan.schedule(1072, 500, None, None) == (500, 500, 500)  # short runs: capped at steps
    with pytest.raises(ValueError, match="whole number"):
        cyclegan.schedule(30, 0)


class _Copy(keras.Model):
    """A stand-in 'generator' whose output is its input, for Snapshots without training."""

    def __init__(self):
        super().__init__()
        self.g_ba = lambda x, training=False: keras.ops.convert_to_tensor(x) * 0.5


def test_snapshots_keep_8_bit_frames_and_move_to_disk_past_their_memory(tmp_path, capsys):
    rng = np.random.default_rng(0)
    shown = rng.uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    snapshots = cyclegan.Snapshots({"photo -> Monet": ("g_ba", shown)}, memory_mb=2 * shown.size / 1e6)
    snapshots.set_model(_Copy())
    snapshots.on_train_begin()
    for epoch in range(4):
        snapshots.on_epoch_end(epoch)
    frames = snapshots.frames["photo -> Monet"]
    assert len(frames) == 5 and snapshots.directory is not None  # two frames' worth in memory, then a folder
    assert "go to" in capsys.readouterr().out
    assert len(list(snapshots.directory.glob("*.npy"))) == 3
    np.testing.assert_array_equal(frames[-1], shown * 0.5)  # the newest frame exactly
    for frame in (frames[0], frames[2]):  # older ones as 8-bit pixels, from memory or disk
        assert frame.dtype == np.float32 and np.abs(frame - shown * 0.5).max() <= 1 / 127.5
    on_disk = cyclegan.Snapshots({"x": ("g_ba", shown)}, directory=tmp_path / "runs" / "snapshots")
    on_disk.set_model(_Copy())
    on_disk.on_train_begin()
    assert [p.name for p in (tmp_path / "runs" / "snapshots").iterdir()] == ["x_0000.npy"]
    assert np.load(tmp_path / "runs" / "snapshots" / "x_0000.npy").dtype == np.uint8


# -- the losses are arguments: a learner's functions train the model -------------------------------

def tiny_run(compiled=False, **losses):
    """Two steps of a 16x16 CycleGAN (width 8, one block) on fixed random images: (history, weights).

    On TensorFlow the step runs eagerly unless ``compiled`` (a few seconds instead of a graph's
    compile time); JAX always compiles it.
    """
    seed_everything(0)
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, (4, 16, 16, 3)).astype("float32") for _ in range(2))
    gan = cyclegan.CycleGAN(16, width=8, blocks=1, d_width=8, d_layers=2, pool_size=3, seed=1, **losses)
    eager = not compiled and keras.backend.backend() == "tensorflow"
    gan.compile(cyclegan.adam(4), cyclegan.adam(4), cyclegan.adam(4), run_eagerly=eager)
    history = gan.fit(a, b, batch_size=2, epochs=1, shuffle=False, verbose=0).history
    return history, {f"{name}/{i}": numpy_of(v) for name in ("g_ab", "g_ba", "d_a", "d_b", "pool_a", "pool_b")
                     for i, v in enumerate(getattr(gan, name).weights)}


@pytest.fixture(scope="module")
def default_run():
    return tiny_run()


REFERENCE = dict(discriminator_loss=cyclegan.lsgan_discriminator_loss, generator_loss=cyclegan.lsgan_generator_loss,
                 cycle_term=cyclegan.cycle_term, identity_term=cyclegan.identity_term,
                 generator_objective=cyclegan.generator_objective)


class _HandWritten(cyclegan.CycleGAN):
    """The generators' loss as the package wrote it before the losses became arguments."""

    def g_loss(self, batch):
        a, b, _, _ = batch
        fake_b, fake_a = self.g_ab(a, training=True), self.g_ba(b, training=True)
        adversarial = (cyclegan.lsgan_generator_loss(self.d_b(fake_b, training=True))
                       + cyclegan.lsgan_generator_loss(self.d_a(fake_a, training=True)))
        cycle = (cyclegan.cycle_loss(a, self.g_ba(fake_b, training=True))
                 + cyclegan.cycle_loss(b, self.g_ab(fake_a, training=True)))
        total = adversarial + self.cycle_weight * cycle
        identity = (cyclegan.identity_loss(b, self.g_ab(b, training=True))
                    + cyclegan.identity_loss(a, self.g_ba(a, training=True)))
        total = total + self.identity_weight * self.cycle_weight * identity
        return total, {"cycle": cycle, "identity": identity}


def same_run(one, other):
    (history, weights), (history_2, weights_2) = one, other
    assert history.keys() == history_2.keys() and weights.keys() == weights_2.keys()
    return (all(np.array_equal(history[k], history_2[k]) for k in history)
            and all(np.array_equal(weights[k], weights_2[k]) for k in weights))


@pytest.mark.slow  # trains a tiny model: the whole suite, not the fast tier
def test_the_reference_functions_given_explicitly_train_exactly_as_the_defaults(default_run):
    assert same_run(tiny_run(**REFERENCE), default_run)


@pytest.mark.slow  # trains a tiny model: the whole suite, not the fast tier
@pytest.mark.backends
def test_the_composed_loss_trains_bit_for_bit_as_the_hand_written_one_did(monkeypatch):
    """Compiled, as fit runs it: each translation is made once per step and summed in the same order as before."""
    composed = tiny_run(compiled=True, **REFERENCE)
    monkeypatch.setattr(cyclegan, "CycleGAN", _HandWritten)
    assert same_run(tiny_run(compiled=True), composed)


def _cycle_l2(g_ab, g_ba, a, b, weight):
    return weight * (keras.ops.mean(keras.ops.square(g_ba(g_ab(a)) - a))
                     + keras.ops.mean(keras.ops.square(g_ab(g_ba(b)) - b)))


def _objective_without_cycle(adversarial, cycle, identity, cycle_weight, identity_weight):
    return adversarial + identity_weight * cycle_weight * identity


@pytest.mark.slow  # trains a tiny model: the whole suite, not the fast tier
@pytest.mark.parametrize("wrong", [dict(cycle_term=_cycle_l2), dict(generator_objective=_objective_without_cycle)],
                         ids=["cycle_term_l2", "objective_without_cycle"])
def test_one_wrong_learner_function_trains_differently(default_run, wrong):
    history, weights = tiny_run(**{**REFERENCE, **wrong})
    right_history, right_weights = default_run
    generators = [k for k in weights if k.startswith(("g_ab/", "g_ba/"))]
    assert generators and any(not np.array_equal(weights[k], right_weights[k]) for k in generators)
    assert not np.allclose(history["g_loss"], right_history["g_loss"])


def test_the_solution_notebook_trains_with_the_learners_functions():
    """Static: every CycleGAN(...) in notebook 03 gets the learner's five functions, and every model fitted is one."""
    import ast

    import nbformat
    from notebook_tools import notebook_path, solution_sources

    learner = {"discriminator_loss": "lsgan_discriminator_loss", "generator_loss": "lsgan_generator_loss",
               "cycle_term": "cycle_term", "identity_term": "identity_term",
               "generator_objective": "generator_objective"}
    defined = {node.name for code in solution_sources("03_cyclegan").values()
               for node in ast.walk(ast.parse(code)) if isinstance(node, ast.FunctionDef)}
    assert set(learner.values()) <= defined, "the exercises no longer define these functions"
    cells = [c.source for c in nbformat.read(notebook_path("03_cyclegan"), as_version=4).cells
             if c.cell_type == "code"]
    tree = ast.parse("\n".join(line for cell in cells for line in cell.splitlines() if not line.startswith(("%", "!"))))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "CycleGAN"]
    assert calls, "the notebook builds no CycleGAN"
    for call in calls:
        given = {k.arg: getattr(k.value, "id", None) for k in call.keywords}
        assert {k: given.get(k) for k in learner} == learner, f"line {call.lineno}: CycleGAN(...) without the learner's losses"
    builders = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                and any(c in ast.walk(n) for c in calls)}
    made = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            and getattr(n.value.func, "id", None) in builders for t in n.targets if isinstance(t, ast.Name)}
    fitted = [n.func.value.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
              and n.func.attr == "fit" and isinstance(n.func.value, ast.Name)]
    assert len(fitted) >= 2 and set(fitted) <= made, f"models fitted: {fitted}; built with the learner's losses: {made}"
