"""Exercise checks: small tests that explain, in plain words, what is wrong.

Visible "try it" cells and hidden graded tests both call these. Each check
raises :class:`ExerciseError` (an ``AssertionError``, so nbgrader counts it as
a failed test) whose message says what was expected and what was found.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np

from .utils import to_numpy  # noqa: F401  (notebooks import it from here)


class ExerciseError(AssertionError):
    """An exercise answer is wrong; the message says how."""


def shape_text(shape) -> str:
    """A shape as a learner reads it in Keras's summaries: ``(None, 28, 28, 1)``."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def error_text(error: BaseException, limit: int = 300) -> str:
    """An exception's message on one line, without terminal colour codes, cut to ``limit`` characters."""
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def call_answer(function, name: str, *args, fix: str, **kwargs):
    """Call a learner's function; an error from inside it becomes an ExerciseError naming it and ending in ``fix``.

    ``NotImplementedError`` (the untouched exercise) and ``ExerciseError`` pass through as they are.
    """
    try:
        return function(*args, **kwargs)
    except (NotImplementedError, ExerciseError):
        raise
    except Exception as error:
        raise ExerciseError(f"{name} raised {type(error).__name__}: {error_text(error)}. Fix: {fix}") from None


def softplus(x) -> np.ndarray:
    """log(1 + e^x) in float64 without overflow: the checks' reference for cross-entropy on logits."""
    return np.logaddexp(0.0, np.asarray(x, dtype="float64"))


def check_shape(value, expected, what: str = "output") -> None:
    """``value`` (a tensor, array or model) has the expected shape; None matches any size."""
    shape = tuple(value.output_shape if hasattr(value, "output_shape") else np.shape(value))
    expected = tuple(expected)
    same = len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))
    if not same:
        raise ExerciseError(f"{what} has shape {shape_text(shape)}, expected {shape_text(expected)}")


def check_model_io(model, input_shape, output_shape, name: str = "model") -> None:
    """A Keras model takes ``input_shape`` and returns ``output_shape`` (batch dim excluded)."""
    import keras

    if not isinstance(model, keras.Model):
        raise ExerciseError(f"{name} should be a keras.Model, got {type(model).__name__}")
    got_in = tuple(model.input_shape)[1:] if hasattr(model, "input_shape") else None
    if got_in is not None and got_in != tuple(input_shape):
        raise ExerciseError(
            f"{name} input has shape {shape_text((None,) + got_in)}, expected {shape_text((None,) + tuple(input_shape))}"
        )
    probe = np.zeros((2,) + tuple(input_shape), dtype="float32")
    out = to_numpy(model(probe, training=False))
    if out.shape[1:] != tuple(output_shape):
        raise ExerciseError(
            f"{name} output has shape {shape_text((None,) + out.shape[1:])}, "
            f"expected {shape_text((None,) + tuple(output_shape))}"
        )


def check_range(values, low: float, high: float, what: str = "values", hint: str = "") -> None:
    """Every entry of ``values`` lies in [low, high]."""
    array = to_numpy(values)
    lo, hi = float(array.min()), float(array.max())
    if lo < low - 1e-6 or hi > high + 1e-6:
        raise ExerciseError(f"{what} range from {lo:.3g} to {hi:.3g}, expected within [{low}, {high}]. {hint}".strip())


def check_close(value, expected, what: str = "value", rtol: float = 1e-4, atol: float = 1e-5,
                hint: str = "") -> None:
    """``value`` equals ``expected`` within tolerance, with the first mismatch in the message."""
    got = to_numpy(value).astype("float64")
    want = np.asarray(expected, dtype="float64")
    if got.shape != want.shape and got.size == want.size == 1:
        got, want = got.reshape(()), want.reshape(())
    if got.shape != want.shape:
        raise ExerciseError(f"{what} has shape {shape_text(got.shape)}, expected {shape_text(want.shape)}")
    if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=False):
        index = np.unravel_index(np.argmax(np.abs(got - want)), got.shape) if got.ndim else ()
        where = f" at index {tuple(int(i) for i in index)}" if got.ndim else ""
        raise ExerciseError(
            f"{what} is {got[index]:.6g}{where}, expected {want[index]:.6g}. {hint}".strip()
        )


def check_changed(before, after, what: str, hint: str = "") -> None:
    """Some weights in ``after`` differ from ``before`` (lists of arrays): training moved them."""
    moved = any(not np.array_equal(to_numpy(b), to_numpy(a)) for b, a in zip(before, after))
    if not moved:
        raise ExerciseError(f"{what} did not change. {hint}".strip())


def check_unchanged(before, after, what: str, hint: str = "") -> None:
    """All weights in ``after`` equal ``before``: nothing trained them."""
    moved = any(not np.allclose(to_numpy(b), to_numpy(a)) for b, a in zip(before, after))
    if moved:
        raise ExerciseError(f"{what} changed, but should not have. {hint}".strip())


def weights_of(model) -> list[np.ndarray]:
    """A snapshot (copies) of a model's weights, for check_changed / check_unchanged."""
    return [np.array(w) for w in model.get_weights()]


def passed(message: str = "All checks passed.") -> None:
    """Print a friendly line after a visible check cell succeeds."""
    print("\u2714 " + message)


# -- naming recorded runs (the diagnosis exercises of notebooks 01 and 06) ---------------------

def _run_name(answer) -> str:
    return " ".join(str(answer).lower().replace("-", " ").replace("_", " ").split())


def shipped_file(path, what: str = "the recorded runs ship") -> pathlib.Path:
    """``path`` as a Path, once it is there: the recorded data a diagnosis exercise reads ships with
    gankit, so a missing file means a broken install, which the message says how to mend."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {what} with gankit. "
                                "Fix: reinstall the course package (pip install -e . in the repository).")
    return path


def check_run_names(diagnosis, diagnoses, signs: dict, runs=None, look_at: str = "curves") -> None:
    """``diagnosis``: {"A": ..., "B": ..., ...}, each one of ``diagnoses``, each used once.

    Checks the form only and prints, for each run, what its name predicts (``signs``); the
    graded test (:func:`grade_run_names`) checks the names.
    """
    names = sorted(runs or ("A", "B", "C", "D"))
    if not isinstance(diagnosis, dict):
        raise ExerciseError(f"diagnosis should be a dict {{run: name}}, got {type(diagnosis).__name__}. "
                            'Fix: diagnosis = {"A": "...", "B": "...", "C": "...", "D": "..."}.')
    keys = sorted(str(k).upper() for k in diagnosis)
    if keys != names:
        raise ExerciseError(f"diagnosis names the runs {keys}, expected {names}. Fix: one entry per run.")
    unknown = [str(v) for v in diagnosis.values() if _run_name(v) not in diagnoses]
    if unknown:
        raise ExerciseError(f"{unknown} is not one of the four diagnoses. Fix: use exactly these names: "
                            f"{', '.join(repr(d) for d in diagnoses)}.")
    used = [_run_name(v) for v in diagnosis.values()]
    if len(set(used)) != len(used):
        twice = sorted({u for u in used if used.count(u) > 1})
        raise ExerciseError(f"{twice} is used for more than one run, but each run shows a different case. "
                            "Fix: give each of the four diagnoses to exactly one run.")
    for run in names:
        given = _run_name(diagnosis.get(run, diagnosis.get(run.lower())))
        print(f"Run {run}, '{given}': you expect that {signs[given]}.")
    passed(f"diagnosis: four runs, four different names. Check each sentence above against its run's {look_at}; "
           "the graded test checks the names.")


def grade_run_names(diagnosis, answer: dict, diagnoses, signs: dict, look_at: str = "curves",
                    look_again: str = "curves") -> None:
    """The graded comparison: name each misread run, and what its signs would have been."""
    check_run_names(diagnosis, diagnoses, signs, answer, look_at)
    wrong = []
    for run in sorted(answer):
        given = _run_name(diagnosis.get(run, diagnosis.get(run.lower())))
        if given != answer[run]:
            wrong.append(f"run {run} is not '{given}': {given} would show when {signs[given]}")
    if wrong:
        raise ExerciseError("; ".join(wrong) + f". Fix: look again at those runs' {look_again}.")
