"""Full shapes proven on CPU: each notebook's ``full`` settings, built and stepped (the ``fullshape`` tier).

For 03, 04, 05 and A, :func:`gankit.fullshape.measure` (in its own process) builds the
models at the ``full`` profile's size, depth, widths and batch, read from the notebook,
keeps what the full run keeps (pools, a Snapshots frame of every watched set, MNIST), takes
a training step after the compiling one, and projects the whole run's memory. The models
must be the papers' (their weight counts), the step must run, and the projection must be
reported against the 12 GB bar. The benchmark with more steps is ``python -m gankit.bench
fullshape``; its table is in docs/notes_fullshape.md.
"""

import pytest

from gankit import fullshape

pytestmark = [pytest.mark.slow, pytest.mark.fullshape]

# full-size weight counts: CycleGAN's ResNet-9 generator 11,378,179 and 70x70 PatchGAN 2,764,737 (x2 each),
# the counts of the authors' PyTorch code; pix2pix's 8-level U-Net and 6-channel PatchGAN as gankit.blocks
# builds them (57,177,412 together), pinned so that a full profile cannot shrink unnoticed
WEIGHTS = {"03": 2 * 11_378_179 + 2 * 2_764_737, "04": 57_177_412}


@pytest.mark.parametrize("notebook", ["03", "04", "05", "A"])
def test_full_settings_build_and_step_on_cpu(notebook):
    row = fullshape.measure_in_subprocess(notebook, steps=1)
    assert row["notebook"] == notebook and row["seconds_per_step"] > 0 and row["steps"] > 0
    if notebook in WEIGHTS:
        assert row["size"] == 256 and row["batch"] == {"03": 1, "04": 4}[notebook]  # the papers' batches
        assert row["params"] == WEIGHTS[notebook], row
    assert row["peak_rss_mb"] * 1e6 > 4 * row["params"]  # at least the float32 weights were held
    # projected_gb is rounded to 0.01 GB (10 MB)
    assert row["projected_gb"] * 1000 >= row["peak_rss_mb"] + row["data_mb"] + row["snapshots_mb"] - 10
    assert row["fits_12_gb"] == (row["projected_gb"] <= fullshape.BAR_GB)
    if notebook == "03":  # 03's Snapshots: every test image of the full run, counted though few are translated
        assert row["snapshot_images"] == 200 and row["snapshots_translated"] <= row["snapshot_images"]
        assert row["snapshots_mb"] * 1e6 >= 5 * 200 * 256 * 256 * 3 * 4  # float32 inputs and newest frames
    if notebook == "04":  # 2 x 49,825 pairs at 286 px (12.2 GB each) are read from disk as batches need them
        assert row["mapped_gb"] == pytest.approx(24.5, abs=0.1) and row["data_mb"] == 0


def test_snapshot_memory_counts_float32_inputs_and_newest_frames_and_caps_the_8_bit_ones():
    import inspect

    from gankit.cyclegan import Snapshots

    assert fullshape.SNAPSHOT_MEMORY_MB == inspect.signature(Snapshots).parameters["memory_mb"].default
    image = 8 * 8 * 3
    # 10 images, 2 frames of 3 sets: all 8-bit frames fit under the cap
    assert fullshape.snapshot_bytes(10, 8, frames=2) == 5 * 10 * image * 4 + 2 * 3 * 10 * image
    # a long run: the 8-bit frames stop at Snapshots' memory limit (the rest go to disk)
    long_run = fullshape.snapshot_bytes(200, 256, frames=10_000)
    assert long_run == 5 * 200 * 256 * 256 * 3 * 4 + fullshape.SNAPSHOT_MEMORY_MB * 10 ** 6
