"""Progress for long loops: steps done and time left, in JupyterLab, Colab, a terminal and a log.

One implementation serves the whole package (downloads, training, measuring):

* :class:`Progress` -- ``bar = Progress(total, "training")``, then ``bar.update(done, d_loss=...)``
  and ``bar.close()``; it shows ``done / total``, the share, the time per step and the
  time left;
* :class:`TrainingProgress` -- the same as a Keras callback: ``fit(..., callbacks=[TrainingProgress(steps)])``;
* :func:`progress_bar` -- the older name, kept for notebooks that call it.

How it is shown depends on where it runs (``mode``), first match wins:

1. ``GANKIT_PROGRESS`` = ``lines``, ``live`` or ``off`` (``python -m gankit.run`` sets ``lines``);
2. a terminal: ``live``, one line redrawn in place;
3. a notebook kernel (JupyterLab, Colab): ``display``, one line of output updated in place;
4. anything else (a log, papermill, the autograder): ``lines``, a plain line at most every
   ``interval`` seconds (30 by default) and at the end, so that a log shows the run moving
   without growing by a line per step.

In ``lines`` mode a loop can stall between two updates: a first step that compiles, the work
at the end of an epoch, another program taking the CPU. So, once a loop has begun, a
background thread writes the current line again, marked "(no step finished for N s)", when
``interval`` seconds pass without one. It stops when the loop closes, when the notebook runs
another cell or an error was shown, and after ``HEARTBEATS`` such lines in a row.
"""

from __future__ import annotations

import os
import sys
import threading
import time

PROGRESS_ENV = "GANKIT_PROGRESS"
INTERVAL = 30.0  # the most seconds between two lines in ``lines`` mode: a log never sits silent for a minute
MODES = ("live", "display", "lines", "off")
HEARTBEATS = 20  # the most "no step finished" lines in a row (10 minutes at the default interval)


def _duration(seconds: float) -> str:
    """``75`` -> ``"1 min 15 s"``; ``4000`` -> ``"1 h 07 min"``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _now() -> float:
    """The clock progress reads (seconds); tests replace it."""
    return time.monotonic()


_REAL_NOW = _now  # a test that replaces _now replaces time: no heartbeat thread then


def _shell():
    """The running IPython shell, or None (IPython is not imported here unless something else did)."""
    return sys.modules.get("IPython") and getattr(sys.modules["IPython"], "get_ipython", lambda: None)()


def _in_notebook_kernel() -> bool:
    """True inside an IPython kernel (JupyterLab, Colab, papermill), not in a plain terminal IPython."""
    shell = _shell()
    return shell is not None and getattr(shell, "kernel", None) is not None


def choose_mode(stream=None) -> str:
    """How progress is shown here: ``live``, ``display``, ``lines`` or ``off`` (see the module docstring)."""
    wanted = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if wanted:
        if wanted not in MODES:
            raise ValueError(f"{PROGRESS_ENV} is {wanted!r}. Fix: set it to one of {', '.join(MODES)}, or unset it.")
        return wanted
    if os.environ.get("NBGRADER_EXECUTION"):
        return "lines"
    stream = stream if stream is not None else sys.stdout
    if bool(getattr(stream, "isatty", lambda: False)()):
        return "live"
    return "display" if _in_notebook_kernel() else "lines"


class Progress:
    """Steps done and time left for a loop of ``total`` steps (``total=None``: unknown length).

    ``update(done, **values)`` reports the count so far (and values to show, e.g. losses);
    ``close()`` shows the last state. ``interval`` is the most seconds between two lines in
    ``lines`` mode (:data:`INTERVAL` by default); ``clock`` returns seconds (:func:`_now` by default). ``unit`` names a step and ``scale``
    divides counts for display (e.g. ``unit="MB", scale=1e6`` for bytes).
    """

    def __init__(self, total: int | None, title: str = "", *, interval: float | None = None, stream=None,
                 mode: str | None = None, clock=None, unit: str = "steps", scale: float = 1.0):
        self.total = None if total is None else int(total)
        self.title, self.unit, self.scale = title, unit, float(scale)
        self.interval = float(INTERVAL if interval is None else interval)
        self.stream = stream if stream is not None else sys.stdout
        self.mode = mode or choose_mode(self.stream)
        if self.mode not in MODES:
            raise ValueError(f"mode is {self.mode!r}. Fix: use one of {', '.join(MODES)}.")
        self.clock = clock or (lambda: _now())
        self._real_clock = clock is None and _now is _REAL_NOW  # a test's clock does not move by itself
        self.start = self.clock()
        self.done, self.values = 0, {}
        self.lines = []  # every line shown, for tests and for a summary
        self._last_shown, self._first_done, self._first_time = None, None, None
        self._last_update = None
        self._handle = None
        self._closed = False
        self._lock = threading.RLock()  # the heartbeat thread reads what the loop writes
        self._heartbeat = None

    def text(self, now: float | None = None) -> str:
        """The current line: ``title: 120/720 steps (17%), 2.10 s/step, 21 min 00 s left; d_loss 0.69``."""
        now = self.clock() if now is None else now
        elapsed = now - self.start
        count = f"{self.done / self.scale:.1f}" if self.scale != 1 else f"{self.done}"
        parts = [f"{self.title}: " if self.title else "", count]
        if self.total:
            total = f"{self.total / self.scale:.1f}" if self.scale != 1 else f"{self.total}"
            parts.append(f"/{total} {self.unit} ({min(self.done / self.total, 1.0):.0%})")
        else:
            parts.append(f" {self.unit}")
        rate = self._rate(now)
        if rate is not None and self.scale != 1:
            parts.append(f", {rate / self.scale:.1f} {self.unit}/s")
        elif rate is not None:
            parts.append(f", {1.0 / rate:.2f} s/step" if rate < 1 else f", {rate:.1f} steps/s")
        if self.total and self.done < self.total:
            parts.append(f", {_duration((self.total - self.done) / rate)} left" if rate else ", time left unknown yet")
        else:
            parts.append(f", {_duration(elapsed)} in all")
        if self.values:
            parts.append("; " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                          for k, v in self.values.items()))
        return "".join(parts)

    def _rate(self, now):
        """Steps per second since the first update (so a first step that compiles does not skew it)."""
        if self._first_done is None or self.done <= self._first_done or now <= self._first_time:
            return None
        return (self.done - self._first_done) / (now - self._first_time)

    def begin(self) -> None:
        """Show the opening line (nothing done yet), once, before a first step that may take a while
        (a first training step compiles), so that a log shows the loop has started."""
        if self.mode != "off" and self._last_shown is None and not self._closed:
            self._show(self.clock())
        self._start_heartbeat()

    def _start_heartbeat(self) -> None:
        """In ``lines`` mode with the real clock, a thread that speaks up when the loop goes quiet."""
        if (self.mode != "lines" or self._closed or self._heartbeat is not None or self.interval <= 0
                or not self._real_clock):
            return
        self._heartbeat = threading.Thread(target=self._beat, args=(_cell_marks(),), daemon=True,
                                           name=f"progress heartbeat {self.title}")
        self._heartbeat.start()

    def _beat(self, marks) -> None:
        try:
            self._beat_until_done(marks)
        except Exception:  # noqa: BLE001 - a progress line is never worth a traceback in the learner's cell
            return

    def _beat_until_done(self, marks) -> None:
        quiet, seen = 0, self._last_update
        tick = min(self.interval, 5.0)
        while quiet < HEARTBEATS:
            time.sleep(tick)
            with self._lock:
                if self._closed or _cell_marks() != marks:
                    return  # the loop ended, or the kernel moved on (another cell, an error shown)
                if self._last_update != seen:  # steps finished since the last look
                    quiet, seen = 0, self._last_update
                now = self.clock()
                since = now - (self._last_update if self._last_update is not None else self.start)
                # a line is due and no step has finished for a while: the loop is stalled, say so
                if self._last_shown is not None and now - self._last_shown >= self.interval and since >= tick:
                    self._write(f"{self.text(now)} (no step finished for {_duration(since)})", now)
                    quiet += 1

    def update(self, done: int, pairs=(), *, now: float | None = None, **values) -> None:
        """Report ``done`` steps so far and values to show (``d_loss=0.7``, or Keras-style pairs
        ``[("d_loss", 0.7)]``); draws when the mode's rate allows, and always at ``total``."""
        with self._lock:
            self._update(done, pairs, now, values)

    def _update(self, done, pairs, now, values) -> None:
        if self._closed:
            return
        now = self.clock() if now is None else now
        self._last_update = now
        self.done = int(done)
        values = {**dict(pairs or ()), **values}
        self.values.update({k: (float(v) if not isinstance(v, (str, int)) else v) for k, v in values.items()})
        if self.total and self.done >= self.total:
            self._closed = self.mode == "off"
            if not self._closed:
                self._closed = True
                self._show(now)
                if self.mode == "live":
                    self.stream.write("\n")
                    self.stream.flush()
            return
        if self._first_done is None:
            self._first_done, self._first_time = self.done, now
        if self.mode == "off":
            return
        gap = {"live": 0.2, "display": 1.0}.get(self.mode, self.interval)
        if self._last_shown is None or now - self._last_shown >= gap:
            self._show(now)
        if self._heartbeat is None:
            self._start_heartbeat()

    def _show(self, now) -> None:
        with self._lock:
            self._write(self.text(now), now)

    def _write(self, line: str, now) -> None:
        self.lines.append(line)
        self._last_shown = now
        if self.mode == "live":
            self.stream.write("\r" + line + " " * 8)
            self.stream.flush()
        elif self.mode == "display":
            from IPython.display import display

            if self._handle is None:
                self._handle = display({"text/plain": line}, raw=True, display_id=True)
            else:
                self._handle.update({"text/plain": line}, raw=True)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self, done: int | None = None) -> None:
        """Show the final state (once)."""
        if self._closed:
            return
        self._closed = True
        if done is not None:
            self.done = int(done)
        if self.mode == "off":
            return
        now = self.clock()
        if not self.lines or self.lines[-1] != self.text(now):
            self._show(now)
        if self.mode == "live":
            self.stream.write("\n")
            self.stream.flush()


def _cell_marks():
    """What changes when a notebook kernel moves on: its execution count and its last error shown
    (None outside a kernel, and the same for as long as the process runs)."""
    return (getattr(_shell(), "execution_count", None), id(getattr(sys, "last_value", None)))


def _training_progress_class():
    """Build :class:`TrainingProgress` on first use, so that importing this module does not import Keras."""
    import keras

    class TrainingProgress(keras.callbacks.Callback):
        """:class:`Progress` as a Keras callback: ``fit(..., callbacks=[TrainingProgress(total_steps, "CycleGAN")])``.

        Counts every training step over all ``fit`` calls it is passed to (so a loop of
        several ``fit`` calls shows one bar) and shows the latest logged values of ``show``
        (by default every logged value). ``start`` is the count to begin from (after a resume).
        """

        def __init__(self, total: int | None, title: str = "training", *, show=None, start: int = 0, **options):
            super().__init__()
            self.bar = Progress(total, title, **options)
            self.show, self.step = show, int(start)

        def on_train_begin(self, logs=None):
            self.bar.begin()  # the first step compiles: say that training has started

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.bar.mode == "off":
                return
            wanted = {k: v for k, v in (logs or {}).items() if self.show is None or k in self.show}
            now = self.bar.clock()
            due = (self.bar._last_shown is None or (self.bar.total and self.step >= self.bar.total)
                   or now - self.bar._last_shown >= {"live": 0.2, "display": 1.0}.get(self.bar.mode, self.bar.interval))
            # reading a logged value waits for the step (JAX runs ahead): only when a line is due
            self.bar.update(self.step, now=now, **({k: float(keras.ops.convert_to_numpy(v))
                                                    for k, v in wanted.items()} if due else {}))

        def on_train_end(self, logs=None):
            if self.bar.total is None or self.step >= self.bar.total:
                self.bar.close(self.step)

        def close(self) -> None:
            """Show the final line (e.g. when a run stops before ``total``)."""
            self.bar.close(self.step)

    return TrainingProgress


def __getattr__(name):
    if name == "TrainingProgress":
        globals()[name] = _training_progress_class()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def progress_bar(total: int, title: str = "") -> Progress:
    """A :class:`Progress` for ``total`` steps; call ``.update(step, d_loss=x, ...)`` and ``.close()``."""
    return Progress(total, title)
