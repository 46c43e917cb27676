"""Realistic wrong answers to notebook 00, for the visible-check and autograding tests.

Each entry replaces one solution cell (``cell``, its grade_id) of an otherwise correct
submission with code a learner might really write. The visible check must fail with a
message containing ``visible`` (tests/test_visible_checks.py, fast); autograding must fail
exactly the graded tests in ``loses``, with feedback that contains ``says``
(tests/test_autograde.py, slow: wrong answers to different exercises share a submission).
The course's convention for the discriminator's loss is half the sum of the two means.
"""

ASSIGNMENT = "00_cook_and_critic"

PRELUDE = '''
import keras
import numpy as np
from keras import ops
from gankit.exercises import cook_and_critic as exercises
'''

CHECKS = {
    "ex_discriminator_loss": "exercises.check_discriminator_loss(discriminator_loss)",
    "ex_generator_loss": "exercises.check_generator_loss(generator_loss)",
    "ex_optimal_discriminator": "exercises.check_optimal_discriminator(optimal_discriminator)",
}

WRONG = [
    # --- Exercise 1: discriminator_loss -------------------------------------------------
    dict(name="swapped_labels_discriminator_loss",
         cell="ex_discriminator_loss",
         source='''def discriminator_loss(real_logits, fake_logits):
    """The critic's loss."""
    real_loss = keras.losses.binary_crossentropy(ops.zeros_like(real_logits), real_logits, from_logits=True)
    fake_loss = keras.losses.binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True)
    return 0.5 * (ops.mean(real_loss) + ops.mean(fake_loss))
''',
         loses=["test_discriminator_loss"],
         visible="labels are swapped",
         says="labels are swapped"),
    dict(name="logits_as_probabilities_discriminator_loss",
         cell="ex_discriminator_loss",
         source='''def discriminator_loss(real_logits, fake_logits):
    """The critic's loss."""
    real_loss = keras.losses.binary_crossentropy(ops.ones_like(real_logits), real_logits)
    fake_loss = keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits)
    return 0.5 * (ops.mean(real_loss) + ops.mean(fake_loss))
''',
         loses=["test_discriminator_loss"],
         visible="treated as probabilities",
         says="probabilities"),
    # One expectation over both batches: the per-sample losses added across the two batches,
    # which only works when they have the same size (the visible check uses 3 real, 5 fake).
    dict(name="one_expectation_over_both_batches",
         cell="ex_discriminator_loss",
         source='''def discriminator_loss(real_logits, fake_logits):
    """E[-log D(x) - log(1 - D(G(z)))], halved."""
    real_loss = ops.softplus(-real_logits)
    fake_loss = ops.softplus(fake_logits)
    return 0.5 * ops.mean(real_loss + fake_loss)
''',
         loses=["test_discriminator_loss"],
         visible="one expectation over both batches",
         says="one expectation over both batches"),
    # The sum of the two means: what many tutorials write, twice this course's convention.
    dict(name="sum_not_half_discriminator_loss",
         cell="ex_discriminator_loss",
         source='''def discriminator_loss(real_logits, fake_logits):
    """The critic's loss."""
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))
''',
         loses=["test_discriminator_loss"],
         visible="twice the course's convention",
         says="half the sum"),
    # --- Exercise 2: generator_loss -----------------------------------------------------
    dict(name="saturating_generator_loss",
         cell="ex_generator_loss",
         source='''def generator_loss(fake_logits):
    """The cook minimises log(1 - D(G(z))), as in the minimax game."""
    fake_probabilities = ops.sigmoid(fake_logits)
    return ops.mean(ops.log(1.0 - fake_probabilities))
''',
         loses=["test_generator_loss"],
         visible="saturating loss",
         says="saturating"),
    dict(name="generator_trained_towards_fake_label",
         cell="ex_generator_loss",
         source='''def generator_loss(fake_logits):
    """The cook's loss."""
    labels = ops.zeros_like(fake_logits)
    return ops.mean(keras.losses.binary_crossentropy(labels, fake_logits, from_logits=True))
''',
         loses=["test_generator_loss"],
         visible="pushed towards the label 'fake'",
         says="pushed towards the label"),
    # --- Exercise 3: optimal_discriminator ----------------------------------------------
    dict(name="swapped_densities_optimal_discriminator",
         cell="ex_optimal_discriminator",
         source='''def optimal_discriminator(x, data_mean, data_std, fake_mean, fake_std):
    """The best critic for two Gaussians."""
    x = ops.convert_to_tensor(x, "float32")
    p_data = ops.exp(-0.5 * ops.square((x - data_mean) / data_std)) / (data_std * np.sqrt(2 * np.pi))
    p_fake = ops.exp(-0.5 * ops.square((x - fake_mean) / fake_std)) / (fake_std * np.sqrt(2 * np.pi))
    return p_fake / (p_data + p_fake)
''',
         loses=["test_optimal_discriminator"],
         visible="densities are swapped",
         says="swapped"),
    dict(name="unnormalised_densities_optimal_discriminator",
         cell="ex_optimal_discriminator",
         source='''def optimal_discriminator(x, data_mean, data_std, fake_mean, fake_std):
    """The best critic for two Gaussians."""
    x = ops.convert_to_tensor(x, "float32")
    p_data = ops.exp(-((x - data_mean) ** 2) / (2 * data_std ** 2))
    p_fake = ops.exp(-((x - fake_mean) ** 2) / (2 * fake_std ** 2))
    return p_data / (p_data + p_fake)
''',
         loses=["test_optimal_discriminator"],
         visible="normalising factor",
         says="normalising factor"),
]
