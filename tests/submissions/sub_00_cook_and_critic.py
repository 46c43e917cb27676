"""Realistic wrong answers to notebook 00, for the autograding round-trip tests.

Each entry replaces one solution cell (``cell``, its grade_id) of an otherwise
correct submission with code a learner might really write. Autograding must then
fail exactly the graded tests in ``loses``, with feedback that contains ``says``.
Two per exercise, to keep the (slow) round trip short; the graded tests also name
other mistakes (a missing minus sign, a sum instead of a mean, one mean over both
batches, the ratio p_data / p_g, the std used as a variance).
"""

ASSIGNMENT = "00_cook_and_critic"

WRONG = [
    # --- Exercise 1: discriminator_loss -------------------------------------------------
    dict(name="swapped_labels_discriminator_loss",
         cell="ex_discriminator_loss",
         source='''def discriminator_loss(real_logits, fake_logits):
    """The critic's loss."""
    real_loss = keras.losses.binary_crossentropy(ops.zeros_like(real_logits), real_logits, from_logits=True)
    fake_loss = keras.losses.binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True)
    return ops.mean(real_loss) + ops.mean(fake_loss)
''',
         loses=["test_discriminator_loss"],
         says="swapped"),
    dict(name="logits_as_probabilities_discriminator_loss",
         cell="ex_discriminator_loss",
         source='''def discriminator_loss(real_logits, fake_logits):
    """The critic's loss."""
    real_loss = keras.losses.binary_crossentropy(ops.ones_like(real_logits), real_logits)
    fake_loss = keras.losses.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits)
    return ops.mean(real_loss) + ops.mean(fake_loss)
''',
         loses=["test_discriminator_loss"],
         says="probabilities"),
    # --- Exercise 2: generator_loss -----------------------------------------------------
    dict(name="saturating_generator_loss",
         cell="ex_generator_loss",
         source='''def generator_loss(fake_logits):
    """The cook minimises log(1 - D(G(z))), as in the minimax game."""
    fake_probabilities = ops.sigmoid(fake_logits)
    return ops.mean(ops.log(1.0 - fake_probabilities))
''',
         loses=["test_generator_loss"],
         says="saturating"),
    dict(name="generator_trained_towards_fake_label",
         cell="ex_generator_loss",
         source='''def generator_loss(fake_logits):
    """The cook's loss."""
    labels = ops.zeros_like(fake_logits)
    return ops.mean(keras.losses.binary_crossentropy(labels, fake_logits, from_logits=True))
''',
         loses=["test_generator_loss"],
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
         says="normalising factor"),
]
