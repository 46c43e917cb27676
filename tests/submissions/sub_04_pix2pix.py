"""Realistic wrong answers for notebook 04 (pix2pix); see tests/test_autograde.py.

Each entry replaces one solution cell (`cell`, its grade_id) with `source`. Graded, the
notebook must lose exactly the points of the test cells in `loses`, and the feedback must
contain `says`; its visible check (the call in CHECKS, run in the fast tier by
tests/test_visible_checks.py) must fail with a message that contains `visible`.
"""

ASSIGNMENT = "04_pix2pix"

PRELUDE = '''
import keras
import numpy as np
from keras import ops
from gankit.exercises import pix2pix as exercises
'''

CHECKS = {
    "ex_split_pair": "exercises.check_split_pair(split_pair)",
    "ex_unet": "exercises.check_unet(unet)",
    "ex_discriminator_input": "exercises.check_discriminator_input(discriminator_input)",
    "ex_discriminator_loss": "exercises.check_discriminator_loss(discriminator_loss)",
    "ex_generator_loss": "exercises.check_generator_loss(generator_loss)",
    "ex_diagnosis": "exercises.check_diagnosis(diagnosis)",
}

WRONG = [
    dict(
        name="halves_swapped",
        cell="ex_split_pair",
        source='''def split_pair(pair):
    width = pair.shape[1]
    photo, edge = pair[:, :width // 2], pair[:, width // 2:]  # the photo is on the left?
    return edge, photo
''',
        loses=["test_split_pair"],
        says="swapped",
        visible="halves swapped",
    ),
    dict(
        name="split_top_bottom",
        cell="ex_split_pair",
        source='''def split_pair(pair):
    height = pair.shape[0]
    return pair[:height // 2], pair[height // 2:]
''',
        loses=["test_split_pair"],
        says="top from bottom",
        visible="top from bottom",
    ),
    dict(
        name="skip_after_the_decoder_output",
        cell="ex_unet",
        source='''def unet(images, down, up, out):
    x, skips = images, []
    for step in down:
        x = step(x)
        skips.append(x)
    for step, skip in zip(up, reversed(skips[:-1])):
        x = step(x)
        x = ops.concatenate([x, skip], axis=-1)  # decoder output first
    return out(x)
''',
        loses=["test_unet"],
        says="other order than the course's convention",
        visible="other order than the course's convention",
    ),
    dict(
        name="skips_not_reversed",
        cell="ex_unet",
        source='''def unet(images, down, up, out):
    x, skips = images, []
    for step in down:
        x = step(x)
        skips.append(x)
    for step, skip in zip(up, skips[:-1]):  # finest skip first: down1 meets up2
        x = step(x)
        x = ops.concatenate([skip, x], axis=-1)
    return out(x)
''',
        loses=["test_unet"],
        says="belongs to another level",
        visible="must be joined with down2",
    ),
    dict(
        name="target_alone",
        cell="ex_discriminator_input",
        source='''def discriminator_input(edges, photos):
    return photos  # the discriminator judges the photo
''',
        loses=["test_discriminator_input"],
        says="photo alone",
        visible="returns the photo alone",
    ),
    dict(
        name="batch_axis",
        cell="ex_discriminator_input",
        source='''def discriminator_input(edges, photos):
    return ops.concatenate([edges, photos], axis=0)
''',
        loses=["test_discriminator_input"],
        says="batch axis",
        visible="batch axis",
    ),
    dict(
        name="l1_against_the_input",
        cell="ex_generator_loss",
        source='''def generator_loss(fake_scores, fake, edges, photos, l1_weight=100.0):
    gan = ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
    l1 = ops.mean(ops.abs(fake - edges))  # distance to the input
    return gan + l1_weight * l1, gan, l1
''',
        loses=["test_generator_loss"],
        says="input",
        visible="compares the generated photo with the input",
    ),
    dict(
        name="weight_on_the_gan_term",
        cell="ex_generator_loss",
        source='''def generator_loss(fake_scores, fake, edges, photos, l1_weight=100.0):
    gan = ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
    l1 = ops.mean(ops.abs(fake - photos))
    return l1_weight * gan + l1, gan, l1
''',
        loses=["test_generator_loss"],
        says="multiplies the gan term",
        visible="multiplies the gan term instead of the l1 term",
    ),
    # -- mistakes that kept full marks before the hidden tests were widened --
    dict(
        name="half_width_from_the_height",
        cell="ex_split_pair",
        source='''def split_pair(pair):
    side = pair.shape[0]  # edges2shoes: 256 high, two halves of 256
    return pair[:, :side], pair[:, side:]
''',
        loses=["test_split_pair"],
        says="as wide as the file is high",
    ),
    dict(
        name="halves_as_floats",
        cell="ex_split_pair",
        source='''def split_pair(pair):
    width = pair.shape[1]
    pair = pair.astype("float32")
    return pair[:, :width // 2], pair[:, width // 2:]
''',
        loses=["test_split_pair"],
        says="changed the pixels' type",
        visible="changed the pixels' type",
    ),
    dict(
        name="join_without_an_axis",
        cell="ex_unet",
        source='''def unet(images, down, up, out):
    x, skips = images, []
    for step in down:
        x = step(x)
        skips.append(x)
    for step, skip in zip(up, reversed(skips[:-1])):
        x = step(x)
        x = ops.concatenate([skip, x])  # no axis given
    return out(x)
''',
        loses=["test_unet"],
        says="batch axis",
        visible="joined on the batch axis",
    ),
    dict(
        name="numpy_join",
        cell="ex_discriminator_input",
        source='''def discriminator_input(edges, photos):
    return np.concatenate([edges, photos], axis=-1)
''',
        loses=["test_discriminator_input"],
        says="compiled training step",
        visible="not inside the compiled training step",
    ),
    dict(
        name="photo_first",
        cell="ex_discriminator_input",
        source='''def discriminator_input(edges, photos):
    return ops.concatenate([photos, edges], axis=-1)
''',
        loses=["test_discriminator_input"],
        says="convention",
        visible="photo's channels first",
    ),
    dict(
        name="d_labels_swapped",
        cell="ex_discriminator_loss",
        source='''def discriminator_loss(real_scores, fake_scores):
    real = ops.mean(ops.binary_crossentropy(ops.zeros_like(real_scores), real_scores, from_logits=True))
    fake = ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
    return 0.5 * (real + fake)
''',
        loses=["test_discriminator_loss"],
        says="labels are swapped",
        visible="labels are swapped",
    ),
    dict(
        name="d_not_halved",
        cell="ex_discriminator_loss",
        source='''def discriminator_loss(real_scores, fake_scores):
    real = ops.mean(ops.binary_crossentropy(ops.ones_like(real_scores), real_scores, from_logits=True))
    fake = ops.mean(ops.binary_crossentropy(ops.zeros_like(fake_scores), fake_scores, from_logits=True))
    return real + fake
''',
        loses=["test_discriminator_loss"],
        says="not halved",
        visible="not halved",
    ),
    dict(
        name="d_probabilities",
        cell="ex_discriminator_loss",
        source='''def discriminator_loss(real_scores, fake_scores):
    real = ops.mean(ops.binary_crossentropy(ops.ones_like(real_scores), real_scores))  # the default: probabilities
    fake = ops.mean(ops.binary_crossentropy(ops.zeros_like(fake_scores), fake_scores))
    return 0.5 * (real + fake)
''',
        loses=["test_discriminator_loss"],
        says="probabilities",
        visible="read the scores as probabilities",
    ),
    dict(
        name="numpy_l1_term",
        cell="ex_generator_loss",
        source='''def generator_loss(fake_scores, fake, edges, photos, l1_weight=100.0):
    gan = ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
    l1 = np.mean(np.abs(fake - photos))
    return gan + l1_weight * l1, gan, l1
''',
        loses=["test_generator_loss"],
        says="compiled training step",
        visible="not inside the compiled training step",
    ),
    dict(
        name="weighted_l1_returned",
        cell="ex_generator_loss",
        source='''def generator_loss(fake_scores, fake, edges, photos, l1_weight=100.0):
    gan = ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
    l1 = l1_weight * ops.mean(ops.abs(fake - photos))
    return gan + l1, gan, l1
''',
        loses=["test_generator_loss"],
        says="weighted l1 term",
        visible="weighted l1 term",
    ),
    dict(
        name="l1_alone_and_pix2pix_swapped",
        cell="ex_diagnosis",
        source='''diagnosis = {"A": "pix2pix", "B": "edge map", "C": "L1 alone", "D": "mean photo"}
''',
        loses=["test_diagnosis"],
        says="is not 'pix2pix'",
    ),
    dict(
        name="baselines_swapped",
        cell="ex_diagnosis",
        source='''diagnosis = {"A": "L1 alone", "B": "mean photo", "C": "pix2pix", "D": "edge map"}
''',
        loses=["test_diagnosis"],
        says="would show when",
    ),
]
