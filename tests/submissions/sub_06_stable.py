"""Realistic wrong answers for notebook 06 (stable GANs); see tests/test_autograde.py.

Each entry replaces one solution cell (`cell`, its grade_id) with `source`. Graded, the
notebook must lose exactly the points of the test cells in `loses`, and the feedback must
contain `says`; its visible check (the call in CHECKS, run in the fast tier by
tests/test_visible_checks.py) must fail with a message that contains `visible`.
"""

ASSIGNMENT = "06_stable"

PRELUDE = '''
import keras
import numpy as np
from keras import layers, ops
from gankit import stable, steps
from gankit.exercises import stable as exercises


def interpolates(real, fake, seed=None):  # the solution's, for the penalty's check
    shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
    return real + keras.random.uniform(shape, seed=seed) * (fake - real)
'''

CHECKS = {
    "ex_critic_loss": "exercises.check_critic_loss(critic_loss)",
    "ex_clip_critic": "exercises.check_clip_critic(clip_critic)",
    "ex_interpolates": "exercises.check_interpolates(interpolates)",
    "ex_gradient_penalty": "exercises.check_gradient_penalty(gradient_penalty, interpolates)",
    "ex_augmented_losses": "exercises.check_augmented_losses(augmented_losses)",
    "ex_diagnosis": "exercises.check_diagnosis(diagnosis)",
}

WRONG = [
    dict(
        name="critic_loss_signs_swapped",
        cell="ex_critic_loss",
        source='''def critic_loss(real_scores, fake_scores):
    return ops.mean(real_scores) - ops.mean(fake_scores)  # "real minus fake", as the distance is written
''',
        loses=["test_critic_loss"],
        says="sign flipped",
        visible="its sign flipped",
    ),
    dict(
        name="critic_loss_as_cross_entropy",
        cell="ex_critic_loss",
        source='''def critic_loss(real_scores, fake_scores):
    return 0.5 * (ops.mean(ops.softplus(-real_scores)) + ops.mean(ops.softplus(fake_scores)))  # notebook 02's
''',
        loses=["test_critic_loss"],
        says="cross-entropy",
        visible="cross-entropy",
    ),
    dict(
        name="clipping_applied_to_the_generator",
        cell="ex_clip_critic",
        source='''def clip_critic(gan, clip):
    for variable in gan.trainable_variables:  # every weight of the game: the generator's too
        variable.assign(ops.clip(variable, -clip, clip))
''',
        loses=["test_clip_critic"],
        says="generator's weights",
        visible="changed the generator's weights",
    ),
    dict(
        name="clipped_value_not_assigned",
        cell="ex_clip_critic",
        source='''def clip_critic(gan, clip):
    for variable in gan.discriminator.trainable_variables:
        variable = ops.clip(variable, -clip, clip)  # rebinds the name; the weight keeps its value
''',
        loses=["test_clip_critic"],
        says="written back",
        visible="unchanged",
    ),
    dict(
        name="one_interpolation_weight_for_the_batch",
        cell="ex_interpolates",
        source='''def interpolates(real, fake, seed=None):
    eps = keras.random.uniform((), seed=seed)  # one number, broadcast over everything
    return real + eps * (fake - real)
''',
        loses=["test_interpolates"],
        says="whole batch",
        visible="one interpolation weight for the whole batch",
    ),
    dict(
        name="one_interpolation_weight_per_value",
        cell="ex_interpolates",
        source='''def interpolates(real, fake, seed=None):
    eps = keras.random.uniform(ops.shape(real), seed=seed)  # a weight for every pixel
    return real + eps * (fake - real)
''',
        loses=["test_interpolates"],
        says="not on the straight line",
        visible="not on the straight line",
    ),
    dict(
        name="penalty_on_the_real_images",
        cell="ex_gradient_penalty",
        source='''def gradient_penalty(critic, real, fake, seed=None):
    gradients = steps.input_gradients(critic, real)  # the slope where the data is
    flat = ops.reshape(gradients, (ops.shape(gradients)[0], -1))
    norms = ops.sqrt(ops.sum(ops.square(flat), axis=1) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))
''',
        loses=["test_gradient_penalty"],
        says="measured at the real images",
        visible="measured at the real images",
    ),
    dict(
        name="gradient_with_respect_to_the_weights",
        cell="ex_gradient_penalty",
        source='''import tensorflow as tf


def gradient_penalty(critic, real, fake, seed=None):
    x_hat = interpolates(real, fake, seed)
    with tf.GradientTape() as tape:
        scores = critic(x_hat, training=True)
    gradients = tape.gradient(scores, critic.trainable_variables)  # the weights' gradient
    norm = ops.sqrt(sum(ops.sum(ops.square(g)) for g in gradients) + 1e-12)
    return ops.square(norm - 1.0)
''',
        loses=["test_gradient_penalty"],
        says="with respect to the critic's weights",
        visible="with respect to the critic's weights",
    ),
    dict(
        name="one_norm_for_the_whole_batch",
        cell="ex_gradient_penalty",
        source='''def gradient_penalty(critic, real, fake, seed=None):
    gradients = steps.input_gradients(critic, interpolates(real, fake, seed))
    norm = ops.sqrt(ops.sum(ops.square(gradients)) + 1e-12)  # over everything at once
    return ops.square(norm - 1.0)
''',
        loses=["test_gradient_penalty"],
        says="whole batch at once",
        visible="the norm was taken over the whole batch",
    ),
    dict(
        name="augmenting_only_the_real_images",
        cell="ex_augmented_losses",
        source='''def augmented_losses(discriminator, real, fake, augment, d_loss_fn, g_loss_fn):
    real_scores = discriminator(augment(real), training=True)  # more (augmented) real data ...
    fake_scores = discriminator(fake, training=True)
    return d_loss_fn(real_scores, fake_scores), g_loss_fn(fake_scores)
''',
        loses=["test_augmented_losses"],
        says="only the real images",
        visible="only the real images are augmented",
    ),
    dict(
        name="generator_loss_without_augmentation",
        cell="ex_augmented_losses",
        source='''def augmented_losses(discriminator, real, fake, augment, d_loss_fn, g_loss_fn):
    real_scores = discriminator(augment(real), training=True)
    fake_scores = discriminator(augment(fake), training=True)
    return d_loss_fn(real_scores, fake_scores), g_loss_fn(discriminator(fake, training=True))  # G: plain fakes
''',
        loses=["test_augmented_losses"],
        says="both players' losses",
        visible="without augmentation",
    ),
    dict(
        name="collapse_and_too_fast_confused",
        cell="ex_diagnosis",
        source='''diagnosis = {"A": "mode collapse", "B": "healthy", "C": "discriminator overfits", "D": "discriminator wins too fast"}
''',
        loses=["test_diagnosis"],
        says="run a is not 'mode collapse'",
    ),
    dict(
        name="one_name_twice",
        cell="ex_diagnosis",
        source='''diagnosis = {"A": "discriminator wins too fast", "B": "healthy", "C": "healthy", "D": "mode collapse"}
''',
        loses=["test_diagnosis"],
        says="more than one run",
        visible="more than one run",
    ),
]
