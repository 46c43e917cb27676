"""A progress bar for training loops, in notebooks and in logs alike."""

from __future__ import annotations

import keras


def progress_bar(total: int, title: str = "") -> keras.utils.Progbar:
    """A Keras progress bar for ``total`` steps; call ``.update(step, [("d_loss", x), ...])``.

    Under papermill, nbgrader or CI (no live display) it prints one line per
    update interval instead of redrawing, so logs stay short.
    """
    if title:
        print(title)
    return keras.utils.Progbar(total, stateful_metrics=None, interval=2.0)
