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
    return seed
