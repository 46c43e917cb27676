"""Realistic wrong answers to notebook 01 (A first GAN: MLP on MNIST).

Each entry replaces one solution cell of the released notebook with a mistake learners
really make. The visible check must fail with a message containing ``visible``
(tests/test_visible_checks.py, fast); autograding must take away exactly the points of
the tests in ``loses``, with feedback that contains ``says`` (tests/test_autograde.py, slow:
wrong answers to different exercises share a submission).
"""

ASSIGNMENT = "01_mlp_gan"

PRELUDE = '''
import keras
import numpy as np
from keras import layers
from gankit import checks
from gankit.checks import ExerciseError
from gankit.exercises import mlp_gan as exercises
'''

CHECKS = {
    "ex_prepare_images": "exercises.check_prepare_images(prepare_images)",
    "ex_generator": "exercises.check_generator(build_generator)",
    "ex_discriminator": "exercises.check_discriminator(build_discriminator)",
    "ex_compile_gan": "exercises.check_compile_gan(compile_gan)",
    "ex_train_step": "exercises.check_train_step(train_step)",
    "ex_diagnosis": "exercises.check_diagnosis(diagnosis)",
}

_STEP = '''def train_step(real_images, generator, discriminator, gan, latent_dim):
    n = real_images.shape[0]
    fake_images = generator(keras.random.normal((n, {width})), training=False)
    images = keras.ops.concatenate([real_images, fake_images], axis=0)
    labels = np.concatenate([np.full((n, 1), {real}), np.full((n, 1), {fake})]).astype("float32")
    {before_d}
    d_loss = discriminator.train_on_batch(images, labels)
    {before_g}
    noise = keras.random.normal((n, {width}))
    g_loss = gan.train_on_batch(noise, np.full((n, 1), {target}, dtype="float32"))
    return float(d_loss), float(g_loss)
'''


def _step(width="latent_dim", real=0.9, fake=0.0, target=1.0,
          before_d="discriminator.trainable = True", before_g="discriminator.trainable = False"):
    return _STEP.format(width=width, real=real, fake=fake, target=target, before_d=before_d, before_g=before_g)


_GENERATOR = '''def build_generator(latent_dim):
    return keras.Sequential(
        [
            keras.Input(({width},)),
            layers.Dense(128),
            layers.LeakyReLU(0.2),
            layers.Dense(256),
            layers.LeakyReLU(0.2),
            layers.Dense(512),
            layers.LeakyReLU(0.2),
            layers.Dense(784, activation="{activation}"),{extra}
        ]
    )
'''

_DISCRIMINATOR = '''def build_discriminator():
    return keras.Sequential(
        [
            keras.Input({shape}),{flatten}
            layers.Dense(512),
            layers.LeakyReLU(0.2),{dropout}
            layers.Dense(256),
            layers.LeakyReLU(0.2),{dropout}
            layers.Dense(1{activation}),
        ]
    )
'''


def _discriminator(shape="(784,)", flatten="", dropout="\n            layers.Dropout(0.3),", activation=""):
    return _DISCRIMINATOR.format(shape=shape, flatten=flatten, dropout=dropout, activation=activation)


WRONG = [
    # --- Exercise 1: prepare_images --------------------------------------------------------
    dict(name="images_left_in_0_1", cell="ex_prepare_images",
         source='''def prepare_images(images):
    return (images.reshape(len(images), 784) / 255.0).astype("float32")
''',
         loses=["test_prepare_images"], visible="left in [0, 1]", says="left in [0, 1]"),
    dict(name="images_left_in_0_255", cell="ex_prepare_images",
         source='''def prepare_images(images):
    return images.reshape(len(images), 784).astype("float32")
''',
         loses=["test_prepare_images"], visible="left in [0, 255]", says="left in [0, 255]"),
    dict(name="images_not_flattened", cell="ex_prepare_images",
         source='''def prepare_images(images):
    return (images / 127.5 - 1.0).astype("float32")
''',
         loses=["test_prepare_images"], visible="not flattened", says="not flattened"),
    # --- Exercise 2: build_generator -------------------------------------------------------
    dict(name="sigmoid_generator", cell="ex_generator",
         source=_GENERATOR.format(width="latent_dim", activation="sigmoid", extra=""),
         loses=["test_generator"], visible="as with a sigmoid", says="tanh"),
    dict(name="generator_ignores_latent_dim", cell="ex_generator",
         source=_GENERATOR.format(width="100", activation="tanh", extra=""),
         loses=["test_generator"], visible="keras.Input((latent_dim,))", says="latent_dim"),
    dict(name="generator_outputs_images", cell="ex_generator",
         source=_GENERATOR.format(width="latent_dim", activation="tanh", extra="\n            layers.Reshape((28, 28, 1)),"),
         loses=["test_generator"], visible="flat images", says="flat images"),
    # --- Exercise 3: build_discriminator ---------------------------------------------------
    dict(name="unflattened_discriminator_input", cell="ex_discriminator",
         source=_discriminator(shape="(28, 28, 1)", flatten="\n            layers.Flatten(),"),
         loses=["test_discriminator"], visible="unflattened 28x28 images", says="784"),
    dict(name="sigmoid_discriminator", cell="ex_discriminator",
         source=_discriminator(activation=', activation="sigmoid"'),
         loses=["test_discriminator"], visible="applied twice", says="logit"),
    dict(name="discriminator_without_dropout", cell="ex_discriminator",
         source=_discriminator(dropout=""),
         loses=["test_discriminator"], visible="no dropout", says="dropout"),
    # --- Exercise 4: compile_gan -----------------------------------------------------------
    # The widely copied post's 0.02, read as the learning rate.
    dict(name="learning_rate_0_02", cell="ex_compile_gan",
         source='''def compile_gan(generator, discriminator, learning_rate=2e-4, beta_1=0.5):
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    discriminator.compile(optimizer=keras.optimizers.Adam(0.02, beta_1=beta_1), loss=loss)
    discriminator.trainable = False
    gan = keras.Sequential([generator, discriminator])
    gan.compile(optimizer=keras.optimizers.Adam(0.02, beta_1=beta_1), loss=loss)
    return gan
''',
         loses=["test_compile_gan"], visible="0.02", says="typo"),
    # --- Exercise 5: train_step ------------------------------------------------------------
    # The classic Keras 2 recipe, copied as is: D.trainable stays False, so in Keras 3 the
    # discriminator's training step is built with no weights and D never learns.
    dict(name="frozen_discriminator", cell="ex_train_step",
         source=_step(before_d="pass", before_g="pass"),
         loses=["test_train_step"], visible="frozen-discriminator recipe",
         says="discriminator's weights did not change"),
    # Half the fix: D is unfrozen for its own update but never frozen again, so the
    # generator's update through `gan` also trains D towards calling fakes real.
    dict(name="discriminator_left_trainable", cell="ex_train_step",
         source=_step(before_g="pass"),
         loses=["test_train_step"], visible="during the generator's update", says="during the generator's update"),
    dict(name="swapped_labels", cell="ex_train_step",
         source=_step(real=0.0, fake=0.9),
         loses=["test_train_step"], visible="labels are swapped", says="swapped"),
    # Label smoothing forgotten (1.0) or overdone (0.7): the exercise asks for 0.9.
    dict(name="real_label_not_smoothed", cell="ex_train_step",
         source=_step(real=1.0),
         loses=["test_train_step"], visible="not 0.9", says="label smoothing"),
    dict(name="generator_trained_towards_fake", cell="ex_train_step",
         source=_step(target=0.0),
         loses=["test_train_step"], visible="fool the discriminator", says="fool the discriminator"),
    # Noise of a fixed width of 100 inside train_step, whatever latent_dim says.
    dict(name="train_step_fixed_noise_width", cell="ex_train_step",
         source=_step(width="100"),
         loses=["test_train_step"], visible="wrong width", says="latent_dim"),
    # --- Exercise 6: diagnosis -------------------------------------------------------------
    dict(name="frozen_and_collapse_confused", cell="ex_diagnosis",
         source='''diagnosis = {"A": "wrong pixel range", "B": "healthy", "C": "mode collapse", "D": "frozen discriminator"}
''',
         loses=["test_diagnosis"], says="run c is not 'mode collapse'"),
    dict(name="one_name_twice", cell="ex_diagnosis",
         source='''diagnosis = {"A": "healthy", "B": "healthy", "C": "frozen discriminator", "D": "mode collapse"}
''',
         loses=["test_diagnosis"], visible="more than one run", says="more than one run"),
]
