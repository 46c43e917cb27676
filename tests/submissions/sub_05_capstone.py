"""Realistic wrong answers for notebook 05 (the capstone); see tests/test_autograde.py.

Each entry replaces one solution cell (`cell`, its grade_id) with `source`. Graded, the
notebook must lose exactly the points of the test cells in `loses`, and the feedback must
contain `says`; its visible check (the call in CHECKS, run in the fast tier by
tests/test_visible_checks.py) must fail with a message that contains `visible`.
"""

ASSIGNMENT = "05_capstone"

PRELUDE = '''
import keras
import numpy as np
from keras import layers, ops
from gankit.exercises import capstone as exercises
'''

CHECKS = {
    "ex_join_label": "exercises.check_join_label(join_label)",
    "ex_mix": "exercises.check_mix(mix)",
    "ex_augment": "exercises.check_augment(augment)",
    "ex_runs": "exercises.check_study_names(diagnosis)",
}

_MIX = '''def mix(real_images, real_labels, fake_images, fake_labels, ratio, seed=0):
    count = {count}
    picked = {picked}
    return np.concatenate([real_images, fake_images[picked]]), np.concatenate([real_labels, fake_labels[picked]])
'''

_AUGMENT = '''def augment(images, seed=0):
    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value={fill}, seed={seed})(images, training={training})
    x = layers.RandomRotation({factor}, fill_mode="constant", fill_value={fill}, seed={seed})(x, training={training})
    x = x + {noise} * keras.random.normal(ops.shape(x), seed={seed})
    return ops.clip(x, -1.0, 1.0)
'''


def _augment(fill="-1.0", seed="seed", training="True", factor="10 / 360", noise="0.1"):
    return _AUGMENT.format(fill=fill, seed=seed, training=training, factor=factor, noise=noise)


WRONG = [
    dict(
        name="label_joined_as_an_integer",
        cell="ex_join_label",
        source='''def join_label(noise, labels, num_classes=10):
    column = ops.expand_dims(ops.cast(labels, noise.dtype), -1)  # the class number itself, as one more input
    return ops.concatenate([noise, column], axis=-1)
''',
        loses=["test_join_label"],
        says="joined as one number",
        visible="the label is joined as one number",
    ),
    dict(
        name="label_added_to_the_noise",
        cell="ex_join_label",
        source='''def join_label(noise, labels, num_classes=10):
    return noise + ops.cast(ops.expand_dims(labels, -1), noise.dtype) / num_classes  # shifts every noise value
''',
        loses=["test_join_label"],
        says="added to the noise",
        visible="was added to the noise",
    ),
    dict(
        name="ten_classes_hard_coded",
        cell="ex_join_label",
        source='''def join_label(noise, labels, num_classes=10):
    return ops.concatenate([noise, ops.one_hot(labels, 10)], axis=-1)  # MNIST has 10 classes ... here
''',
        loses=["test_join_label"],
        says="num_classes=4 was asked",
    ),
    dict(
        name="fakes_shuffled_apart_from_their_labels",
        cell="ex_mix",
        source='''def mix(real_images, real_labels, fake_images, fake_labels, ratio, seed=0):
    rng = np.random.default_rng(seed)
    count = int(round(ratio * len(real_images)))
    images = rng.permutation(fake_images)[:count]  # a random choice of fakes ...
    labels = fake_labels[:count]  # ... but the labels of the first ones
    return np.concatenate([real_images, images]), np.concatenate([real_labels, labels])
''',
        loses=["test_mix"],
        says="picked apart from their labels",
        visible="carry another image's label",
    ),
    dict(
        name="ratio_on_the_wrong_side",
        cell="ex_mix",
        source='''def mix(real_images, real_labels, fake_images, fake_labels, ratio, seed=0):
    count = int(round(len(real_images) / ratio))  # "ratio" read as real images per generated one
    picked = np.random.default_rng(seed).choice(len(fake_images), count, replace=False)
    return np.concatenate([real_images, fake_images[picked]]), np.concatenate([real_labels, fake_labels[picked]])
''',
        loses=["test_mix"],
        says="wrong side",
        visible="the ratio is applied to the wrong side",
    ),
    dict(
        name="real_images_dropped",
        cell="ex_mix",
        source='''def mix(real_images, real_labels, fake_images, fake_labels, ratio, seed=0):
    count = int(round(ratio * len(real_images)))
    picked = np.random.default_rng(seed).choice(len(fake_images), count, replace=False)
    return fake_images[picked], fake_labels[picked]  # the generated images only
''',
        loses=["test_mix"],
        says="never replaces it",
        visible="mix kept 0 of the 10 real images",
    ),
    dict(
        name="augmentation_flips_digits",
        cell="ex_augment",
        source='''def augment(images, seed=0):
    x = layers.RandomFlip("horizontal", seed=seed)(images, training=True)  # the photo recipe's first step
    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value=-1.0, seed=seed)(x, training=True)
    x = x + 0.1 * keras.random.normal(ops.shape(x), seed=seed)
    return ops.clip(x, -1.0, 1.0)
''',
        loses=["test_augment"],
        says="mirrored",
        visible="look like a mirrored f",
    ),
    dict(
        name="rotation_factor_read_as_degrees_fraction",
        cell="ex_augment",
        source='''def augment(images, seed=0):
    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value=-1.0, seed=seed)(images, training=True)
    x = layers.RandomRotation(0.5, fill_mode="constant", fill_value=-1.0, seed=seed)(x, training=True)  # up to 180 degrees
    x = x + 0.1 * keras.random.normal(ops.shape(x), seed=seed)
    return ops.clip(x, -1.0, 1.0)
''',
        loses=["test_augment"],
        says="far too large",
        visible="the rotations are far too large",
    ),
    dict(
        name="noise_left_unclipped",
        cell="ex_augment",
        source='''def augment(images, seed=0):
    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value=-1.0, seed=seed)(images, training=True)
    x = layers.RandomRotation(10 / 360, fill_mode="constant", fill_value=-1.0, seed=seed)(x, training=True)
    return x + 0.1 * keras.random.normal(ops.shape(x), seed=seed)  # no clip: pixels beyond [-1, 1]
''',
        loses=["test_augment"],
        says="outside [-1, 1]",
        visible="outside [-1, 1]",
    ),
    # -- found by general hidden tests: each keeps the visible check's inputs happy -----------------
    dict(
        name="one_hot_depth_from_the_batch",
        cell="ex_join_label",
        source='''def join_label(noise, labels, num_classes=10):
    one_hot = keras.utils.to_categorical(ops.convert_to_numpy(labels))  # depth: the largest label in the batch + 1
    return ops.concatenate([noise, ops.cast(one_hot, noise.dtype)], axis=-1)
''',
        loses=["test_join_label"],
        says="read from the labels present",
    ),
    dict(
        name="picks_from_the_global_random_state",
        cell="ex_mix",
        source=_MIX.format(count="int(round(ratio * len(real_images)))",
                           picked="np.random.choice(len(fake_images), count, replace=False)  # the seed is never used"),
        loses=["test_mix"],
        says="same seed picks different",
        visible="picks different generated images",
    ),
    dict(
        name="takes_the_first_fakes",
        cell="ex_mix",
        source=_MIX.format(count="int(round(ratio * len(real_images)))",
                           picked="np.arange(count)  # the pool is random anyway ... but the same for every seed"),
        loses=["test_mix"],
        says="whatever the seed",
        visible="whatever the seed",
    ),
    dict(
        name="count_cut_down_not_rounded",
        cell="ex_mix",
        source=_MIX.format(count="int(ratio * len(real_images))  # 1.75 becomes 1",
                           picked="np.random.default_rng(seed).choice(len(fake_images), count, replace=False)"),
        loses=["test_mix"],
        says="instead of rounded",
    ),
    dict(
        name="random_layers_outside_training",
        cell="ex_augment",
        source=_augment(training="False"),
        loses=["test_augment"],
        says="training mode",
        visible="neither move nor turn",
    ),
    dict(
        name="no_noise",
        cell="ex_augment",
        source=_augment(noise="0.0"),
        loses=["test_augment"],
        says="little or no noise",
        visible="little or no noise",
    ),
    dict(
        name="border_filled_with_grey",
        cell="ex_augment",
        source=_augment(fill="0.0"),
        loses=["test_augment"],
        says="filled with 0",
        visible="grey, not background",
    ),
    dict(
        name="rotation_factor_of_half_a_turn",
        cell="ex_augment",
        source=_augment(factor="10 / 180"),
        loses=["test_augment"],
        says="15 degrees or more",
        visible="15 degrees or more",
    ),
    dict(
        name="seed_ignored",
        cell="ex_augment",
        source=_augment(seed="None"),
        loses=["test_augment"],
        says="same seed gives different copies",
        visible="same seed gives different copies",
    ),
    # -- Exercise 4: reading runs seed by seed -----------------------------------------------------
    dict(
        name="runs_read_by_their_mean_lead",
        cell="ex_runs",
        source='''diagnosis = {"A": "consistent gain", "B": "consistent loss", "C": "tie", "D": "one lucky seed"}
''',
        loses=["test_runs"],
        says="run a is not 'consistent gain'",
    ),
    dict(
        name="one_name_twice",
        cell="ex_runs",
        source='''diagnosis = {"A": "consistent gain", "B": "consistent loss", "C": "tie", "D": "consistent gain"}
''',
        loses=["test_runs"],
        says="more than one run",
        visible="more than one run",
    ),
]
