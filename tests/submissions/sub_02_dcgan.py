"""Realistic wrong answers for notebook 02 (DCGAN); see tests/test_autograde.py.

Each entry replaces one solution cell (`cell`, its grade_id) with `source`. Graded, the
notebook must lose exactly the points of the test cells in `loses`, and the feedback must
contain `says`; its visible check (the call in CHECKS, run in the fast tier by
tests/test_visible_checks.py) must fail with a message that contains `visible`.
"""

ASSIGNMENT = "02_dcgan"

PRELUDE = '''
import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops
from gankit.exercises import dcgan as exercises
'''

CHECKS = {
    "ex_build_generator": "exercises.check_generator(build_generator)",
    "ex_build_discriminator": "exercises.check_discriminator(build_discriminator)",
    "ex_discriminator_loss": "exercises.check_discriminator_loss(discriminator_loss)",
    "ex_generator_loss": "exercises.check_generator_loss(generator_loss)",
    "ex_train_step": "exercises.check_train_step(train_step)",
}

WRONG = [
    dict(
        name="reshape_mismatch",
        cell="ex_build_generator",
        source='''def build_generator(latent_dim):
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 128, use_bias=False),  # 128 channels here ...
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Reshape((7, 7, 64)),  # ... but 64 here
        layers.Conv2DTranspose(64, 4, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ])
''',
        loses=["test_build_generator"],
        says="reshape",
        visible="fails at the reshape layer: the dense layer before it makes 6272 values",
    ),
    dict(
        name="generator_sigmoid_output",
        cell="ex_build_generator",
        source='''def build_generator(latent_dim):
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 64, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(64, 4, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),  # images are in [-1, 1]
    ])
''',
        loses=["test_build_generator"],
        says="tanh",
        visible="tanh",
    ),
    dict(
        name="generator_wrong_size",
        cell="ex_build_generator",
        source='''def build_generator(latent_dim):
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 64, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(64, 4, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=1, padding="same", activation="tanh"),  # stride 1: stays 14x14
    ])
''',
        loses=["test_build_generator"],
        says="expected (none, 28, 28, 1)",
        visible="expected (none, 28, 28, 1)",
    ),
    dict(
        name="discriminator_batchnorm_on_input",
        cell="ex_build_discriminator",
        source='''def build_discriminator():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 4, strides=2, padding="same"),
        layers.BatchNormalization(),  # copied from the generator
        layers.LeakyReLU(0.2),
        layers.Dropout(0.3),
        layers.Conv2D(64, 4, strides=2, padding="same"),
        layers.BatchNormalization(),
        layers.LeakyReLU(0.2),
        layers.Dropout(0.3),
        layers.Conv2D(128, 4, strides=2, padding="same"),
        layers.BatchNormalization(),
        layers.LeakyReLU(0.2),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ])
''',
        loses=["test_build_discriminator"],
        says="input layer",
        visible="input layer",
    ),
    dict(
        name="discriminator_sigmoid_output",
        cell="ex_build_discriminator",
        source='''def build_discriminator():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Dropout(0.3),
        layers.Conv2D(64, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Dropout(0.3),
        layers.Conv2D(128, 4, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1, activation="sigmoid"),  # probabilities, but the losses expect logits
    ])
''',
        loses=["test_build_discriminator"],
        says="sigmoid would be applied twice",
        visible="sigmoid would be applied twice",
    ),
    dict(
        name="discriminator_max_pooling",
        cell="ex_build_discriminator",
        source='''def build_discriminator():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 4, padding="same"),
        layers.LeakyReLU(0.2),
        layers.MaxPooling2D(),
        layers.Dropout(0.3),
        layers.Conv2D(64, 4, padding="same"),
        layers.LeakyReLU(0.2),
        layers.MaxPooling2D(),
        layers.Dropout(0.3),
        layers.Conv2D(128, 4, padding="same"),
        layers.LeakyReLU(0.2),
        layers.MaxPooling2D(padding="same"),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ])
''',
        loses=["test_build_discriminator"],
        says="no pooling",
        visible="no pooling",
    ),
    dict(
        name="d_loss_on_probabilities",
        cell="ex_discriminator_loss",
        source='''def discriminator_loss(real_logits, fake_logits):
    bce = keras.losses.BinaryCrossentropy()  # from_logits defaults to False
    return 0.5 * (bce(ops.ones_like(real_logits), real_logits) + bce(ops.zeros_like(fake_logits), fake_logits))
''',
        loses=["test_discriminator_loss"],
        says="treats the logits as probabilities",
        visible="treats the logits as probabilities",
    ),
    dict(
        name="d_loss_labels_swapped",
        cell="ex_discriminator_loss",
        source='''def discriminator_loss(real_logits, fake_logits):
    real_loss = ops.binary_crossentropy(ops.zeros_like(real_logits), real_logits, from_logits=True)
    fake_loss = ops.binary_crossentropy(ops.ones_like(fake_logits), fake_logits, from_logits=True)
    return 0.5 * (ops.mean(real_loss) + ops.mean(fake_loss))
''',
        loses=["test_discriminator_loss"],
        says="swapped",
        visible="swapped",
    ),
    dict(
        name="d_loss_sum_of_halves",
        cell="ex_discriminator_loss",
        source='''def discriminator_loss(real_logits, fake_logits):
    real_loss = ops.binary_crossentropy(ops.ones_like(real_logits), real_logits, from_logits=True)
    fake_loss = ops.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True)
    return ops.mean(real_loss) + ops.mean(fake_loss)
''',
        loses=["test_discriminator_loss"],
        says="take their mean",
        visible="take their mean",
    ),
    dict(
        name="g_loss_towards_fake",
        cell="ex_generator_loss",
        source='''def generator_loss(fake_logits):
    return ops.mean(ops.binary_crossentropy(ops.zeros_like(fake_logits), fake_logits, from_logits=True))
''',
        loses=["test_generator_loss"],
        says="trained towards the",
        visible="trained towards the",
    ),
    dict(
        name="g_loss_saturating",
        cell="ex_generator_loss",
        source='''def generator_loss(fake_logits):
    # minimise log(1 - D(G(z))), straight from the minimax value function
    return ops.mean(ops.log(1.0 - ops.sigmoid(fake_logits)))
''',
        loses=["test_generator_loss"],
        says="saturating",
        visible="saturating",
    ),
    dict(
        name="step_never_updates_discriminator",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, g_optimizer, d_optimizer, latent_dim):
    n = ops.shape(real_images)[0]
    fake_images = generator(keras.random.normal((n, latent_dim)), training=True)
    with tf.GradientTape() as tape:
        scores = discriminator(ops.concatenate([real_images, fake_images], axis=0), training=True)
        d_loss = discriminator_loss(scores[:n], scores[n:])
    d_gradients = tape.gradient(d_loss, discriminator.trainable_variables)  # computed, never applied
    with tf.GradientTape() as tape:
        g_loss = generator_loss(discriminator(generator(keras.random.normal((n, latent_dim)), training=True)))
    g_optimizer.apply(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
    return d_loss, g_loss
''',
        loses=["test_train_step"],
        says="discriminator's weights did not change",
        visible="discriminator's weights did not change",
    ),
    dict(
        name="step_generator_follows_d_loss",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, g_optimizer, d_optimizer, latent_dim):
    n = ops.shape(real_images)[0]
    with tf.GradientTape(persistent=True) as tape:
        fake_images = generator(keras.random.normal((n, latent_dim)), training=True)
        scores = discriminator(ops.concatenate([real_images, fake_images], axis=0), training=True)
        d_loss = discriminator_loss(scores[:n], scores[n:])
        g_loss = generator_loss(scores[n:])
    d_optimizer.apply(tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
    g_optimizer.apply(tape.gradient(d_loss, generator.trainable_variables), generator.trainable_variables)
    return d_loss, g_loss
''',
        loses=["test_train_step"],
        says="gradients of d_loss",
        visible="gradients of d_loss",
    ),
    dict(
        name="step_generator_gets_discriminator_gradients",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, g_optimizer, d_optimizer, latent_dim):
    n = ops.shape(real_images)[0]
    fake_images = generator(keras.random.normal((n, latent_dim)), training=True)
    with tf.GradientTape() as tape:
        scores = discriminator(ops.concatenate([real_images, fake_images], axis=0), training=True)
        d_loss = discriminator_loss(scores[:n], scores[n:])
    gradients = tape.gradient(d_loss, discriminator.trainable_variables)
    d_optimizer.apply(gradients, discriminator.trainable_variables)
    with tf.GradientTape() as tape:
        g_loss = generator_loss(discriminator(generator(keras.random.normal((n, latent_dim)), training=True)))
    g_optimizer.apply(gradients, generator.trainable_variables)  # the discriminator's gradients again
    return d_loss, g_loss
''',
        loses=["test_train_step"],
        says="its own model's gradients",
        visible="its own model's gradients",
    ),
    dict(
        name="step_optimizers_swapped",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, g_optimizer, d_optimizer, latent_dim):
    n = ops.shape(real_images)[0]
    fake_images = generator(keras.random.normal((n, latent_dim)), training=True)
    with tf.GradientTape() as tape:
        scores = discriminator(ops.concatenate([real_images, fake_images], axis=0), training=True)
        d_loss = discriminator_loss(scores[:n], scores[n:])
    g_optimizer.apply(tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
    with tf.GradientTape() as tape:
        g_loss = generator_loss(discriminator(generator(keras.random.normal((n, latent_dim)), training=True)))
    d_optimizer.apply(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
    return d_loss, g_loss
''',
        loses=["test_train_step"],
        says="optimisers look swapped",
        visible="optimisers look swapped",
    ),
    dict(
        name="generator_valid_padding_32x32",
        cell="ex_build_generator",
        source='''def build_generator(latent_dim):
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 64, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(32, 4, strides=2, use_bias=False),  # padding left at its default, "valid": 16x16
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),  # 32x32
    ])
''',
        loses=["test_build_generator"],
        says='padding="same"',
        visible='(none, 32, 32, 1), expected (none, 28, 28, 1). the layer(s) conv2d_transpose',
    ),
    dict(
        name="discriminator_batchnorm_inside",
        cell="ex_build_discriminator",
        source='''def build_discriminator():
    images = keras.Input((28, 28, 1))
    x = layers.Conv2D(32, 4, strides=2, padding="same")(images)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(64, 4, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)  # not on the input layer, as the paper says, but the exercise forbids it
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Conv2D(128, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dropout(0.3)(x)
    return keras.Model(images, layers.Dense(1)(layers.Flatten()(x)))
''',
        loses=["test_build_discriminator"],
        says="has a batchnormalization layer",
        visible="has a batchnormalization layer",
    ),
    dict(
        name="g_loss_on_probabilities",
        cell="ex_generator_loss",
        source='''def generator_loss(fake_logits):
    return keras.losses.BinaryCrossentropy()(ops.ones_like(fake_logits), fake_logits)
''',
        loses=["test_generator_loss"],
        says="treats the logits as probabilities",
        visible="treats the logits as probabilities",
    ),
    dict(
        name="step_fakes_outside_generator_tape",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, g_optimizer, d_optimizer, latent_dim):
    n = ops.shape(real_images)[0]
    fake_images = generator(keras.random.normal((n, latent_dim)), training=True)
    with tf.GradientTape() as tape:
        scores = discriminator(ops.concatenate([real_images, fake_images], axis=0), training=True)
        d_loss = discriminator_loss(scores[:n], scores[n:])
    d_optimizer.apply(tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
    with tf.GradientTape() as tape:  # the fakes above were made before this tape started
        g_loss = generator_loss(discriminator(fake_images, training=True))
    g_optimizer.apply(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
    return d_loss, g_loss
''',
        loses=["test_train_step"],
        says="fakes made outside the generator's tape",
        visible="no gradients provided for any variable",
    ),
]
