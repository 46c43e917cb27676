"""Realistic wrong answers to notebook 01 (A first GAN: MLP on MNIST).

Each entry replaces one solution cell of the released notebook with a mistake learners
really make; the autograder must take away exactly the points of the tests in `loses`,
and the failing test's feedback must contain `says`.
"""

ASSIGNMENT = "01_mlp_gan"

WRONG = [
    # The classic Keras 2 recipe, copied as is: D.trainable stays False, so in Keras 3 the
    # discriminator's training step is built with no weights and D never learns.
    dict(
        name="frozen_discriminator",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, gan, latent_dim):
    n = real_images.shape[0]
    fake_images = generator(keras.random.normal((n, latent_dim)), training=False)
    images = keras.ops.concatenate([real_images, fake_images], axis=0)
    labels = np.concatenate([np.full((n, 1), 0.9), np.zeros((n, 1))]).astype("float32")
    d_loss = discriminator.train_on_batch(images, labels)
    noise = keras.random.normal((n, latent_dim))
    g_loss = gan.train_on_batch(noise, np.ones((n, 1), dtype="float32"))
    return float(d_loss), float(g_loss)
''',
        loses=["test_train_step"],
        says="discriminator's weights did not change",
    ),
    # Half the fix: D is unfrozen for its own update but never frozen again, so the
    # generator's update through `gan` also trains D towards calling fakes real.
    dict(
        name="discriminator_left_trainable",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, gan, latent_dim):
    n = real_images.shape[0]
    discriminator.trainable = True
    fake_images = generator(keras.random.normal((n, latent_dim)), training=False)
    images = keras.ops.concatenate([real_images, fake_images], axis=0)
    labels = np.concatenate([np.full((n, 1), 0.9), np.zeros((n, 1))]).astype("float32")
    d_loss = discriminator.train_on_batch(images, labels)
    noise = keras.random.normal((n, latent_dim))
    g_loss = gan.train_on_batch(noise, np.ones((n, 1), dtype="float32"))
    return float(d_loss), float(g_loss)
''',
        loses=["test_train_step"],
        says="during the generator's update",
    ),
    # Real images labelled 0 and fakes 1 in the discriminator's update.
    dict(
        name="swapped_labels",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, gan, latent_dim):
    n = real_images.shape[0]
    fake_images = generator(keras.random.normal((n, latent_dim)), training=False)
    images = keras.ops.concatenate([real_images, fake_images], axis=0)
    labels = np.concatenate([np.zeros((n, 1)), np.full((n, 1), 0.9)]).astype("float32")
    discriminator.trainable = True
    d_loss = discriminator.train_on_batch(images, labels)
    discriminator.trainable = False
    noise = keras.random.normal((n, latent_dim))
    g_loss = gan.train_on_batch(noise, np.ones((n, 1), dtype="float32"))
    return float(d_loss), float(g_loss)
''',
        loses=["test_train_step"],
        says="swapped",
    ),
    # The generator trained towards "fake": it learns to look fake, never to fool D.
    dict(
        name="generator_trained_towards_fake",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, gan, latent_dim):
    n = real_images.shape[0]
    fake_images = generator(keras.random.normal((n, latent_dim)), training=False)
    images = keras.ops.concatenate([real_images, fake_images], axis=0)
    labels = np.concatenate([np.full((n, 1), 0.9), np.zeros((n, 1))]).astype("float32")
    discriminator.trainable = True
    d_loss = discriminator.train_on_batch(images, labels)
    discriminator.trainable = False
    noise = keras.random.normal((n, latent_dim))
    g_loss = gan.train_on_batch(noise, np.zeros((n, 1), dtype="float32"))
    return float(d_loss), float(g_loss)
''',
        loses=["test_train_step"],
        says="fool the discriminator",
    ),
    # Noise of a fixed width of 100 inside train_step, whatever latent_dim says.
    dict(
        name="train_step_fixed_noise_width",
        cell="ex_train_step",
        source='''def train_step(real_images, generator, discriminator, gan, latent_dim):
    n = real_images.shape[0]
    fake_images = generator(keras.random.normal((n, 100)), training=False)
    images = keras.ops.concatenate([real_images, fake_images], axis=0)
    labels = np.concatenate([np.full((n, 1), 0.9), np.zeros((n, 1))]).astype("float32")
    discriminator.trainable = True
    d_loss = discriminator.train_on_batch(images, labels)
    discriminator.trainable = False
    g_loss = gan.train_on_batch(keras.random.normal((n, 100)), np.ones((n, 1), dtype="float32"))
    return float(d_loss), float(g_loss)
''',
        loses=["test_train_step"],
        says="latent_dim",
    ),
    # A sigmoid output while the real images are scaled to [-1, 1].
    dict(
        name="sigmoid_generator",
        cell="ex_generator",
        source='''def build_generator(latent_dim):
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(128),
            layers.LeakyReLU(0.2),
            layers.Dense(256),
            layers.LeakyReLU(0.2),
            layers.Dense(512),
            layers.LeakyReLU(0.2),
            layers.Dense(784, activation="sigmoid"),
        ]
    )
''',
        loses=["test_generator"],
        says="tanh",
    ),
    # The noise width hard-coded to 100 instead of latent_dim.
    dict(
        name="generator_ignores_latent_dim",
        cell="ex_generator",
        source='''def build_generator(latent_dim):
    return keras.Sequential(
        [
            keras.Input((100,)),
            layers.Dense(128),
            layers.LeakyReLU(0.2),
            layers.Dense(256),
            layers.LeakyReLU(0.2),
            layers.Dense(512),
            layers.LeakyReLU(0.2),
            layers.Dense(784, activation="tanh"),
        ]
    )
''',
        loses=["test_generator"],
        says="latent_dim",
    ),
    # The generator outputs 28x28x1 images, but the MLP pipeline works with flat rows.
    dict(
        name="generator_outputs_images",
        cell="ex_generator",
        source='''def build_generator(latent_dim):
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(128),
            layers.LeakyReLU(0.2),
            layers.Dense(256),
            layers.LeakyReLU(0.2),
            layers.Dense(512),
            layers.LeakyReLU(0.2),
            layers.Dense(784, activation="tanh"),
            layers.Reshape((28, 28, 1)),
        ]
    )
''',
        loses=["test_generator"],
        says="flat images",
    ),
    # The discriminator built for 28x28x1 images, while training feeds flat rows.
    dict(
        name="unflattened_discriminator_input",
        cell="ex_discriminator",
        source='''def build_discriminator():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Flatten(),
            layers.Dense(512),
            layers.LeakyReLU(0.2),
            layers.Dropout(0.3),
            layers.Dense(256),
            layers.LeakyReLU(0.2),
            layers.Dropout(0.3),
            layers.Dense(1),
        ]
    )
''',
        loses=["test_discriminator"],
        says="784",
    ),
    # A sigmoid on the discriminator, while the loss expects logits.
    dict(
        name="sigmoid_discriminator",
        cell="ex_discriminator",
        source='''def build_discriminator():
    return keras.Sequential(
        [
            keras.Input((784,)),
            layers.Dense(512),
            layers.LeakyReLU(0.2),
            layers.Dropout(0.3),
            layers.Dense(256),
            layers.LeakyReLU(0.2),
            layers.Dropout(0.3),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
''',
        loses=["test_discriminator"],
        says="logit",
    ),
    # The tanh output shown as is: values in [-1, 1] instead of [0, 1].
    dict(
        name="grid_not_rescaled",
        cell="ex_sample_grid",
        source='''def sample_grid(generator, noise, rows):
    images = keras.ops.convert_to_numpy(generator(noise, training=False)).reshape(-1, 28, 28)
    cols = len(images) // rows
    return images.reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)
''',
        loses=["test_sample_grid"],
        says="[0, 1]",
    ),
    # A straight reshape to the grid's shape, which cuts the digits into stripes.
    dict(
        name="grid_without_transpose",
        cell="ex_sample_grid",
        source='''def sample_grid(generator, noise, rows):
    images = keras.ops.convert_to_numpy(generator(noise, training=False))
    images = (images + 1) / 2
    cols = len(images) // rows
    return images.reshape(rows * 28, cols * 28)
''',
        loses=["test_sample_grid"],
        says="stripes",
    ),
]
