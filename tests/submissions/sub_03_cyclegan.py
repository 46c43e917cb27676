"""Realistic wrong answers for notebook 03 (CycleGAN); see tests/test_autograde.py.

Each entry replaces one solution cell (`cell`, its grade_id) with `source`. Graded, the
notebook must lose exactly the points of the test cells in `loses`, and the feedback must
contain `says`; its visible check (the call in CHECKS, run in the fast tier by
tests/test_visible_checks.py) must fail with a message that contains `visible`.
"""

ASSIGNMENT = "03_cyclegan"

PRELUDE = '''
import keras
import numpy as np
from keras import ops
from gankit.exercises import cyclegan as exercises
'''

CHECKS = {
    "ex_lsgan_discriminator_loss": "exercises.check_lsgan_discriminator_loss(lsgan_discriminator_loss)",
    "ex_lsgan_generator_loss": "exercises.check_lsgan_generator_loss(lsgan_generator_loss)",
    "ex_cycle_term": "exercises.check_cycle_term(cycle_term)",
    "ex_identity_term": "exercises.check_identity_term(identity_term)",
    "ex_generator_objective": "exercises.check_generator_objective(generator_objective)",
    "ex_pool_query": "exercises.check_pool_query(pool_query)",
    "ex_receptive_fields": "exercises.check_receptive_fields(receptive_fields)",
}

WRONG = [
    dict(
        name="d_loss_cross_entropy",
        cell="ex_lsgan_discriminator_loss",
        source='''def lsgan_discriminator_loss(real_scores, fake_scores):
    real = ops.binary_crossentropy(ops.ones_like(real_scores), real_scores, from_logits=True)
    fake = ops.binary_crossentropy(ops.zeros_like(fake_scores), fake_scores, from_logits=True)
    return 0.5 * (ops.mean(real) + ops.mean(fake))
''',
        loses=["test_lsgan_discriminator_loss"],
        says="cross-entropy",
        visible="not the least-squares one",
    ),
    dict(
        name="d_loss_swapped",
        cell="ex_lsgan_discriminator_loss",
        source='''def lsgan_discriminator_loss(real_scores, fake_scores):
    return 0.5 * (ops.mean(ops.square(real_scores)) + ops.mean(ops.square(fake_scores - 1.0)))
''',
        loses=["test_lsgan_discriminator_loss"],
        says="swapped",
        visible="real and fake are swapped",
    ),
    dict(
        name="d_loss_no_half",
        cell="ex_lsgan_discriminator_loss",
        source='''def lsgan_discriminator_loss(real_scores, fake_scores):
    return ops.mean(ops.square(real_scores - 1.0)) + ops.mean(ops.square(fake_scores))
''',
        loses=["test_lsgan_discriminator_loss"],
        says="0.5 is missing",
        visible="the factor 0.5 is missing",
    ),
    dict(
        name="g_loss_towards_zero",
        cell="ex_lsgan_generator_loss",
        source='''def lsgan_generator_loss(fake_scores):
    return ops.mean(ops.square(fake_scores))
''',
        loses=["test_lsgan_generator_loss"],
        says="trained towards 0",
        visible="your generator is trained towards 0",
    ),
    dict(
        name="g_loss_cross_entropy",
        cell="ex_lsgan_generator_loss",
        source='''def lsgan_generator_loss(fake_scores):
    return ops.mean(ops.binary_crossentropy(ops.ones_like(fake_scores), fake_scores, from_logits=True))
''',
        loses=["test_lsgan_generator_loss"],
        says="cross-entropy",
        visible="not the least-squares one",
    ),
    dict(
        name="cycle_wrong_domain",
        cell="ex_cycle_term",
        source='''def cycle_term(g_ab, g_ba, a, b, weight):
    back_a = g_ba(g_ab(a))
    back_b = g_ab(g_ba(b))
    return weight * (ops.mean(ops.abs(back_a - b)) + ops.mean(ops.abs(back_b - a)))
''',
        loses=["test_cycle_term"],
        says="other domain",
        visible="compared with the other domain's images",
    ),
    dict(
        name="cycle_l2",
        cell="ex_cycle_term",
        source='''def cycle_term(g_ab, g_ba, a, b, weight):
    back_a = g_ba(g_ab(a))
    back_b = g_ab(g_ba(b))
    return weight * (ops.mean(ops.square(back_a - a)) + ops.mean(ops.square(back_b - b)))
''',
        loses=["test_cycle_term"],
        says="L2",
        visible="squares the differences (L2)",
    ),
    dict(
        name="cycle_no_weight",
        cell="ex_cycle_term",
        source='''def cycle_term(g_ab, g_ba, a, b, weight):
    back_a = g_ba(g_ab(a))
    back_b = g_ab(g_ba(b))
    return ops.mean(ops.abs(back_a - a)) + ops.mean(ops.abs(back_b - b))
''',
        loses=["test_cycle_term"],
        says="weight is missing",
        visible="the weight is missing",
    ),
    dict(
        name="identity_other_domain",
        cell="ex_identity_term",
        source='''def identity_term(g_ab, g_ba, a, b, weight):
    return weight * (ops.mean(ops.abs(g_ab(a) - a)) + ops.mean(ops.abs(g_ba(b) - b)))
''',
        loses=["test_identity_term"],
        says="other domain's images",
        visible="fed the other domain's images",
    ),
    dict(
        name="identity_no_weight",
        cell="ex_identity_term",
        source='''def identity_term(g_ab, g_ba, a, b, weight):
    return ops.mean(ops.abs(g_ab(b) - b)) + ops.mean(ops.abs(g_ba(a) - a))
''',
        loses=["test_identity_term"],
        says="weight is missing",
        visible="the weight is missing",
    ),
    dict(
        name="identity_one_direction",
        cell="ex_identity_term",
        source='''def identity_term(g_ab, g_ba, a, b, weight):
    return weight * ops.mean(ops.abs(g_ab(b) - b))
''',
        loses=["test_identity_term"],
        says="only g_ab",
        visible="only g_ab is checked",
    ),
    dict(
        name="pool_always_newest",
        cell="ex_pool_query",
        source='''def pool_query(pool, images, capacity, rng):
    for image in images:
        if len(pool) < capacity:
            pool.append(image)
        elif rng.random() < 0.5:
            pool[rng.integers(capacity)] = image
    return images
''',
        loses=["test_pool_query"],
        says="newest image every time",
        visible="returns the newest image every time",
    ),
    dict(
        name="pool_never_stores",
        cell="ex_pool_query",
        source='''def pool_query(pool, images, capacity, rng):
    chosen = []
    for image in images:
        if len(pool) == capacity and rng.random() < 0.5:
            i = rng.integers(capacity)
            chosen.append(pool[i])
            pool[i] = image
        else:
            chosen.append(image)
    return np.stack(chosen)
''',
        loses=["test_pool_query"],
        says="never stores",
        visible="your pool never stores",
    ),
    dict(
        name="pool_never_replaces",
        cell="ex_pool_query",
        source='''def pool_query(pool, images, capacity, rng):
    chosen = []
    for image in images:
        if len(pool) < capacity:
            pool.append(image)
            chosen.append(image)
        elif rng.random() < 0.5:
            chosen.append(pool[rng.integers(capacity)])  # the new image is never stored
        else:
            chosen.append(image)
    return np.stack(chosen)
''',
        loses=["test_pool_query"],
        says="never takes in new images",
        visible="never takes in new images",
    ),
    # --- Exercise 5: the generators' objective ---------------------------------------------------
    dict(
        name="objective_identity_without_lambda",
        cell="ex_generator_objective",
        source='''def generator_objective(adversarial, cycle, identity, cycle_weight, identity_weight):
    return adversarial + cycle_weight * cycle + identity_weight * identity
''',
        loses=["test_generator_objective"],
        says="identity_weight alone",
        visible="identity_weight alone",
    ),
    dict(
        name="objective_drops_the_cycle",
        cell="ex_generator_objective",
        source='''def generator_objective(adversarial, cycle, identity, cycle_weight, identity_weight):
    return adversarial + identity_weight * cycle_weight * identity
''',
        loses=["test_generator_objective"],
        says="cycle term is missing",
        visible="cycle term is missing",
    ),
    dict(  # right for the paper's weights only: the hidden tests change them
        name="objective_hard_coded_weights",
        cell="ex_generator_objective",
        source='''def generator_objective(adversarial, cycle, identity, cycle_weight, identity_weight):
    return adversarial + 10.0 * cycle + 5.0 * identity
''',
        loses=["test_generator_objective"],
        says="expected",
    ),
    # --- Exercise 7: the receptive field -------------------------------------------------------
    dict(
        name="field_scaled_with_the_image",
        cell="ex_receptive_fields",
        source='''receptive_fields = {3: 18, 2: 9}
''',
        loses=["test_receptive_fields"],
        says="does not shrink with the image",
    ),
    dict(
        name="field_stride_2_layers_only",
        cell="ex_receptive_fields",
        source='''receptive_fields = {3: 22, 2: 10}
''',
        loses=["test_receptive_fields"],
        says="stride-1 convolutions",
    ),
    dict(
        name="field_left_blank",
        cell="ex_receptive_fields",
        source='''receptive_fields = {3: 70, 2: None}
''',
        loses=["test_receptive_fields"],
        says="still None",
        visible="still None",
    ),
]
