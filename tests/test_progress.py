"""Progress: steps done and time left, at a bounded rate, from one implementation.

A fake clock stands in for time: every reading advances it, as slow steps would. The
tests assert on the lines a log receives: never more than ``INTERVAL`` fake seconds (plus
one step) apart, the count and the time left right, and the last line at the end.
"""

import io
import re

import numpy as np
import pytest

from gankit import progress


class FakeClock:
    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


class Log(io.StringIO):
    """A log that notes the fake time of each line written to it."""

    def __init__(self, clock):
        super().__init__()
        self.clock, self.times = clock, []

    def write(self, text):
        self.times.extend([self.clock.now] * text.count("\n"))
        return super().write(text)


def test_lines_come_at_a_bounded_rate_with_the_count_and_the_time_left():
    clock = FakeClock(2.0)
    log = Log(clock)
    bar = progress.Progress(100, "train", stream=log, mode="lines", clock=clock, interval=30)
    for done in range(1, 101):
        bar.update(done, d_loss=0.5)
    lines = log.getvalue().splitlines()
    assert 5 <= len(lines) <= 10, lines  # one every ~15 steps of 2 s, not one per step
    assert max(np.diff(log.times)) <= 30 + 2 * 2.0
    assert lines[-1].startswith("train: 100/100 steps (100%)") and "in all" in lines[-1]
    middle = next(line for line in lines if line.startswith("train: 16/100"))
    assert "2.00 s/step" in middle and "2 min 48 s left" in middle and "d_loss 0.5" in middle  # 84 steps x 2 s
    bar.update(100)
    assert log.getvalue().splitlines() == lines  # closed: nothing more


def test_the_environment_chooses_the_mode(monkeypatch):
    monkeypatch.setenv(progress.PROGRESS_ENV, "lines")
    assert progress.choose_mode() == "lines"
    monkeypatch.setenv(progress.PROGRESS_ENV, "off")
    bar = progress.Progress(3, stream=io.StringIO())
    bar.update(3)
    assert bar.stream.getvalue() == ""
    monkeypatch.setenv(progress.PROGRESS_ENV, "loud")
    with pytest.raises(ValueError, match="Fix"):
        progress.choose_mode()
    monkeypatch.delenv(progress.PROGRESS_ENV)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert progress.choose_mode() == "lines"


def test_keras_style_pairs_still_work_for_notebook_01():
    log = io.StringIO()
    bar = progress.progress_bar(2, "Epoch 1/1")
    bar.stream, bar.mode = log, "lines"
    bar.update(1, [("d_loss", 0.25), ("g_loss", 1.5)])
    bar.update(2, [("d_loss", 0.75), ("g_loss", 1.0)])
    assert log.getvalue().splitlines()[-1].startswith("Epoch 1/1: 2/2 steps (100%)")
    assert "d_loss 0.75, g_loss 1" in log.getvalue()


def test_a_training_helper_is_never_silent_for_longer_than_the_interval(monkeypatch, capsys):
    """conditional.train, the capstone's GAN training, prints progress lines under a log (GANKIT_PROGRESS=lines)."""
    import keras

    from gankit import conditional

    clock = FakeClock(7.0)  # each reading: 7 s later, as a slow CPU step would be
    monkeypatch.setattr(progress, "_now", clock)
    monkeypatch.setenv(progress.PROGRESS_ENV, "lines")
    keras.utils.set_random_seed(0)
    gan = conditional.ConditionalGAN(conditional.conditional_generator(8), conditional.conditional_discriminator(),
                                     8, seed=1)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    images = np.random.default_rng(0).uniform(-1, 1, (40, 28, 28, 1)).astype("float32")
    conditional.train(gan, images, np.arange(40) % 10, steps=24, batch_size=4)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("conditional GAN:")]
    steps = [int(re.match(r"conditional GAN: (\d+)/24", line).group(1)) for line in lines]
    # an opening line before the first step (which compiles), then the count as it grows
    assert steps[0] == 0 and steps.count(0) == 1 and steps[-1] == 24 and steps == sorted(steps)
    # one reading per step, 7 s each: a line at least every 30 s means at most 5 steps between lines
    assert max(np.diff(steps)) <= 5, steps
    assert "d_loss" in lines[-1] and "g_loss" in lines[-1]


def _heartbeats(bar):
    return [line for line in bar.lines if "no step finished for" in line]


def test_a_stalled_loop_still_writes_a_line_and_the_heartbeat_stops_with_it(monkeypatch):
    """Real time, short interval: a stall between two updates is reported, and nothing after close()."""
    import time

    log = io.StringIO()
    bar = progress.Progress(10, "demo", interval=0.3, stream=log, mode="lines")
    bar.begin()
    bar.update(1)
    time.sleep(1.5)  # no step finishes: the heartbeat speaks
    stalled = _heartbeats(bar)
    assert stalled and all(line.startswith("demo: 1/10 steps") for line in stalled), bar.lines
    bar.update(2)
    bar.close(2)
    written = log.getvalue()
    time.sleep(1.0)
    assert log.getvalue() == written, "the heartbeat wrote after the loop closed"


def test_the_heartbeat_gives_up_after_its_limit_and_when_the_kernel_moves_on(monkeypatch):
    import time

    monkeypatch.setattr(progress, "HEARTBEATS", 2)
    capped = progress.Progress(10, "capped", interval=0.2, stream=io.StringIO(), mode="lines")
    capped.update(1)
    time.sleep(1.5)
    assert len(_heartbeats(capped)) == 2, capped.lines

    marks = iter([("cell", 1)] + [("cell", 2)] * 100)  # the notebook ran another cell after the first look
    monkeypatch.setattr(progress, "_cell_marks", lambda: next(marks))
    moved = progress.Progress(10, "moved", interval=0.2, stream=io.StringIO(), mode="lines")
    moved.update(1)
    time.sleep(1.0)
    assert _heartbeats(moved) == [], moved.lines


def test_no_heartbeat_outside_lines_mode_or_with_a_test_clock():
    import time

    for bar in (progress.Progress(10, "off", interval=0.2, mode="off"),
                progress.Progress(10, "fake", interval=0.2, stream=io.StringIO(), mode="lines", clock=FakeClock(0.01))):
        bar.update(1)
        time.sleep(0.6)
        assert _heartbeats(bar) == [] and bar._heartbeat is None
