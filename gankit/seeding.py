"""One place to seed every random number generator a notebook uses."""

from __future__ import annotations

import random

import numpy as np


def seed_everything(seed: int = 42) -> int:
    """Seed Python, NumPy and Keras (and with it the active backend); return the seed.

    Call it once, near the top of a notebook. Same seed, same backend, same
    machine: same numbers. (String hashing is not seeded: ``PYTHONHASHSEED`` only
    takes effect when set before Python starts, and nothing here depends on it.)
    """
    import keras

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    # keras.random draws without a seed come from one global SeedGenerator. Keras 3.15 drops it
    # in set_random_seed so that it restarts from the new seed; older Keras (Colab's, Python
    # 3.10's) keeps the old one, so a second seed_everything would not repeat the draws.
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator

        name = getattr(seed_generator, "GLOBAL_SEED_GENERATOR", "global_seed_generator")
        global_state.set_global_attribute(name, None)
    except (ImportError, AttributeError):  # a Keras whose internals moved: nothing to drop
        pass
    return seed
