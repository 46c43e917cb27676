"""Small helpers the package's modules share."""

from __future__ import annotations

import numpy as np


def to_numpy(value) -> np.ndarray:
    """Turn a tensor of any backend (or a number or list) into a NumPy array."""
    import keras

    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        try:
            return np.asarray(value.numpy())
        except Exception:  # e.g. a symbolic tensor
            pass
    return np.asarray(keras.ops.convert_to_numpy(value))
