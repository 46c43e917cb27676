"""The notebook runner (gankit.run), its bars file, the CI workflow that calls it, and the gallery."""

from __future__ import annotations

import json
import pathlib
import shlex
import shutil

import nbformat
import numpy as np
import pytest
import yaml

import test_notebooks
from gankit import run
from notebook_tools import ROOT, notebooks

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"

# What notebook 02's smoke run records (values from a real run; only the bars' metrics matter here)
RECORDED_02 = {"backend": "tensorflow", "final_d_loss": 0.637, "final_g_loss": 0.70, "train_seconds": 5.2,
               "judge": {"n": 1000, "recognised": 0.0, "classes_present": 1}, "classes_present": 1,
               "frechet_distance": 250.0, "frechet_distance_real_digits": 1.7, "frechet_distance_untrained": 458.0}


# -- the bars file -----------------------------------------------------------------------------

def test_every_notebook_has_bars_for_every_profile_and_the_file_is_well_formed():
    bars = run.load_bars()
    for name in notebooks():
        assert name in bars, f"{name} has no entry in {run.BARS_FILE}"
        assert bars[name].get("headline"), f"{name}: the gallery needs a headline list"
        assert bars[name].get("any") or all(bars[name].get(p) for p in run.PROFILES), name


def test_a_missed_bar_names_notebook_profile_metric_bar_and_value():
    recorded = dict(RECORDED_02, judge=dict(RECORDED_02["judge"], recognised=0.70), classes_present=10,
                    kl_from_uniform=0.02, frechet_distance=500.0)  # worse than the untrained generator
    messages = run.check_bars("02_dcgan", "standard", recorded)
    assert any(m.startswith("02_dcgan (profile standard): judge.recognised = 0.7 misses its bar >= 0.73")
               for m in messages), messages
    assert any(m.startswith("02_dcgan (profile standard): frechet_distance = 500.0 misses its bar "
                            "< frechet_distance_untrained = 458.0") for m in messages), messages
    assert len(messages) == 3  # and the distance's upper bar of 10
    assert run.check_bars("02_dcgan", "smoke", RECORDED_02) == []


def test_metrics_that_were_not_recorded_or_are_not_numbers_fail_with_a_fix():
    recorded = {k: v for k, v in RECORDED_02.items() if k != "frechet_distance"}
    messages = run.check_bars("02_dcgan", "smoke", recorded)
    assert any("compares it with frechet_distance, which was not recorded" in m for m in messages), messages
    recorded = dict(RECORDED_02, judge={"n": "many"})
    messages = run.check_bars("02_dcgan", "smoke", recorded)
    assert any("judge.n = 'many' is not a number" in m for m in messages)
    del recorded["judge"]
    assert any("judge.n was not recorded" in m and "Fix:" in m for m in run.check_bars("02_dcgan", "smoke", recorded))
    assert "no entry" in run.check_bars("99_new", "smoke", {})[0]


def test_a_malformed_bars_file_is_refused_with_the_file_named(tmp_path):
    bad = tmp_path / "bars.yaml"
    bad.write_text("02_dcgan:\n  smoke:\n    - {metric: judge.recognised, min: 0.1, max: 0.9}\n")
    with pytest.raises(ValueError, match=r"bars.yaml: 02_dcgan / smoke: .* exactly one of"):
        run.load_bars(bad)
    with pytest.raises(ValueError, match="does not exist"):
        run.load_bars(tmp_path / "missing.yaml")


def test_one_edit_of_the_bars_file_moves_the_bar_for_the_runner_and_the_notebook_test(tmp_path, monkeypatch):
    # with the course's bars file, a realistic smoke record passes both checks
    assert run.check_bars("02_dcgan", "smoke", RECORDED_02) == []
    test_notebooks.check_recorded("02_dcgan", "smoke", RECORDED_02)
    # a copy with one bar raised: both the runner and the notebook test now fail, naming it
    copy = tmp_path / "bars.yaml"
    shutil.copyfile(run.BARS_FILE, copy)
    bars = yaml.safe_load(copy.read_text())
    (bar,) = [b for b in bars["02_dcgan"]["any"] if b["metric"] == "judge.n"]
    bar["min"] = 2000
    copy.write_text(yaml.safe_dump(bars))
    monkeypatch.setenv(run.BARS_ENV, str(copy))
    (runner_message,) = run.check_bars("02_dcgan", "smoke", RECORDED_02)
    assert "judge.n = 1000 misses its bar >= 2000" in runner_message
    with pytest.raises(AssertionError, match=r"judge.n = 1000 misses its bar >= 2000"):
        test_notebooks.check_recorded("02_dcgan", "smoke", RECORDED_02)
    # the runner's command line reads the copy too
    assert run.build_parser().parse_args([]).bars is None and run.bars_path() == copy


# -- the workflow ------------------------------------------------------------------------------

def _workflow():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow.get("on", workflow.get(True)), "the workflow has no triggers"
    return workflow["jobs"]


def _workflow_triggers() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True


def _commands(job) -> list[str]:
    return [line.strip() for step in job["steps"] for line in step.get("run", "").splitlines() if line.strip()]


def test_the_cpu_job_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "```bash\nbin/test\n```" in readme, "the README's test command changed: update the workflow and this test"
    jobs = _workflow()
    cpu = [name for name, job in jobs.items() if "self-hosted" not in str(job["runs-on"])]
    assert cpu and any(c == "bin/test" for name in cpu for c in _commands(jobs[name]))


def test_the_gpu_job_runs_the_suites_runner_command_with_the_gpu_profile_under_both_backends(tmp_path):
    jobs = _workflow()
    (gpu,) = [job for job in jobs.values() if {"self-hosted", "gpu"} <= set(np.atleast_1d(job["runs-on"]))]
    # gpu unless started by hand with profile full (the papers' schedules take days)
    assert gpu["env"]["PROFILE"] == "${{ github.event.inputs.profile || 'gpu' }}"
    dispatch = _workflow_triggers()["workflow_dispatch"]["inputs"]["profile"]
    assert dispatch["default"] == "gpu" and set(dispatch["options"]) == {"gpu", "full"}
    runs = []
    for command in _commands(gpu):
        words = shlex.split(command.replace("$PROFILE", "gpu"))
        if words[1:3] == ["-m", "gankit.run"] and words[3:4] != ["gallery"]:
            runs.append(run.build_parser().parse_args(words[3:]))  # the runner's own parser must accept it
    assert {(a.profile, a.backend) for a in runs} == {("gpu", "tensorflow"), ("gpu", "jax")}
    assert all(not a.notebooks for a in runs), "the GPU job runs every notebook present"
    # the suite calls the same command line, with smoke: same parser, same options
    suite = run.build_parser().parse_args(test_notebooks.suite_command("02_dcgan", tmp_path))
    for a in runs:
        assert set(vars(a)) == set(vars(suite)) and a.bars is None and suite.bars is None
    uploads = [step for step in gpu["steps"] if str(step.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and all(a.out.rstrip("/").startswith("build/notebook-runs") for a in runs)
    assert "build/notebook-runs/" in uploads[0]["with"]["path"]
    assert any("requirements/" in c for c in _commands(gpu)), "the GPU stack comes from the lock file"


# -- the gallery -------------------------------------------------------------------------------

def _digit_grid(rows=8, columns=8, side=28) -> np.ndarray:
    """A sample grid as gankit.plots.grid draws it: tiles of ``side`` px between 1-px white lines."""
    tiles = np.random.default_rng(0).integers(0, 256, (rows * columns, side, side), dtype=np.uint8)
    canvas = np.full((rows * (side + 1) + 1, columns * (side + 1) + 1), 255, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        canvas[1 + r * (side + 1): 1 + r * (side + 1) + side, 1 + c * (side + 1): 1 + c * (side + 1) + side] = tile
    return canvas


def _fake_result(folder: pathlib.Path, gpus=()):
    from PIL import Image

    (folder / "02_dcgan").mkdir(parents=True)
    Image.fromarray(_digit_grid()).save(folder / "02_dcgan" / "sample.png")  # 64 digits of 28 px, as 02 saves them
    result = {"notebook": "02_dcgan", "profile": "standard", "backend": "tensorflow", "status": "passed",
              "wall_seconds": 840.0, "headline": {"judge.recognised": 0.773, "frechet_distance": 4.9},
              "command": "python -m gankit.run 02_dcgan --profile standard --backend tensorflow",
              "sample_image": "sample.png", "finished": "2026-11-30T09:00:00+00:00",
              "records": dict(RECORDED_02, judge={"n": 1000, "recognised": 0.773}, classes_present=10,
                              kl_from_uniform=0.02, frechet_distance=4.9),
              "machine": {"cpu": "Example CPU", "cpu_count": 2, "gpus": list(gpus), "versions": {"keras": "3.15.1"},
                          "commit": "abc1234"}}
    (folder / "02_dcgan" / "metrics.json").write_text(json.dumps(result))


def test_the_gallery_labels_command_profile_and_hardware_and_keeps_images_small(tmp_path):
    _fake_result(tmp_path / "cpu")
    page = tmp_path / "docs" / "gallery.md"
    text = run.write_gallery([tmp_path / "cpu"], page, tmp_path / "docs" / "gallery")
    assert "## 02_dcgan: profile `standard`, tensorflow, CPU" in text
    assert "`python -m gankit.run 02_dcgan --profile standard --backend tensorflow`" in text
    assert "Example CPU x 2 CPUs (CPU only)" in text and "| judge.recognised | 0.773 |" in text
    assert "| bars of `standard` in gankit/bars.yaml | all met |" in text
    assert "no device was lent to this work" in text  # no GPU result yet
    image = tmp_path / "docs" / "gallery" / "02_dcgan-standard-tensorflow.png"
    assert "](gallery/02_dcgan-standard-tensorflow.png)" in text
    assert image.stat().st_size < run.MAX_IMAGE_BYTES
    with pytest.raises(ValueError, match="holds no"):
        run.write_gallery([tmp_path / "docs"], page, tmp_path / "docs" / "gallery")


def test_a_rerun_replaces_its_own_gallery_entry_and_keeps_the_others(tmp_path):
    _fake_result(tmp_path / "first")
    page, images = tmp_path / "docs" / "gallery.md", tmp_path / "docs" / "gallery"
    first = run.write_gallery([tmp_path / "first"], page, images)
    other = first.replace("02_dcgan", "05_capstone").replace("0.773", "0.5")  # an entry of another notebook
    page.write_text(first + "\n" + other[other.index("## 05_capstone"):other.index("## GPU results")])
    (images / "02_dcgan-standard-tensorflow.png").rename(images / "05_capstone-standard-tensorflow.png")
    result = json.loads((tmp_path / "first" / "02_dcgan" / "metrics.json").read_text())
    result["headline"]["judge.recognised"] = 0.8  # the rerun
    (tmp_path / "first" / "02_dcgan" / "metrics.json").write_text(json.dumps(result))
    text = run.write_gallery([tmp_path / "first"], page, images)
    assert text.count("## 02_dcgan: profile") == 1 and "| judge.recognised | 0.8 |" in text
    assert "## 05_capstone: profile `standard`" in text and "| judge.recognised | 0.5 |" in text
    assert text.index("## 02_dcgan") < text.index("## 05_capstone") < text.index("## GPU results")
    assert {p.name for p in images.iterdir()} == {"02_dcgan-standard-tensorflow.png", "05_capstone-standard-tensorflow.png"}
    fresh = run.write_gallery([tmp_path / "first"], page, images, keep=False)
    assert "05_capstone" not in fresh and not (images / "05_capstone-standard-tensorflow.png").exists()


def test_the_longest_silence_is_the_longest_gap_inside_one_cell():
    silences = run._Silences()
    silences.events = [(0.0, None), (1.0, 1), (2.0, None), (10.0, None), (11.0, 2), (30.0, None), (31.0, 3)]
    # cell 1: 1 s, then 8 s with nothing; cell 2 ran 19 s before its first output; cell 3 is quiet to the end
    assert silences.longest(end=40.0) == {"seconds": 19.0, "cell": 2}
    assert silences.longest(end=60.5) == {"seconds": 29.5, "cell": 3}
    assert run._Silences().longest(end=5.0) == {"seconds": 0.0, "cell": None}


def test_gallery_pictures_show_each_image_at_128_px_without_smoothing(tmp_path):
    from PIL import Image

    source = tmp_path / "sample.png"
    grid = _digit_grid()  # 233 x 233 px: 29 px a digit
    Image.fromarray(grid).save(source)
    written = run._gallery_picture(source, tmp_path / "out" / "02", tiles=[8, 8])
    shown = np.asarray(Image.open(written))
    assert written.suffix == ".png" and shown.shape == (233 * 5, 233 * 5)  # enlarged 5x: 145 px a digit
    assert np.array_equal(shown[::5, ::5], grid), "enlarged with square pixels, nothing smoothed or lost"
    big = tmp_path / "big.png"  # already large enough: kept at its size, never shrunk
    Image.fromarray(np.kron(grid, np.ones((2, 2), dtype=np.uint8))[:, :, None].repeat(3, axis=2)).save(big)
    assert Image.open(run._gallery_picture(big, tmp_path / "out" / "big", tiles=[2, 2])).size == (466, 466)


def test_a_photographic_gallery_picture_becomes_a_jpeg_under_the_limit_and_a_hopeless_one_is_refused(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    smooth = np.kron(rng.integers(0, 256, (60, 80, 3), dtype=np.uint8), np.ones((12, 12, 1), dtype=np.uint8))
    photo = tmp_path / "photo.png"  # 960 x 720 px of colour blocks with noise: a PNG far over the limit
    Image.fromarray(np.clip(smooth + rng.normal(0, 6, smooth.shape), 0, 255).astype(np.uint8)).save(photo)
    assert photo.stat().st_size > run.MAX_IMAGE_BYTES
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "04.png").write_bytes(b"an older picture")  # replaced, not left beside the new one
    written = run._gallery_picture(photo, tmp_path / "out" / "04", tiles=[4, 6])  # 160 px a tile
    assert written.suffix == ".jpg" and written.stat().st_size < run.MAX_IMAGE_BYTES
    assert Image.open(written).size == (960, 720) and not (tmp_path / "out" / "04.png").exists()
    noise = tmp_path / "noise.png"
    Image.fromarray(rng.integers(0, 256, (1500, 1500, 3), dtype=np.uint8)).save(noise)
    with pytest.raises(ValueError, match="show fewer images"):
        run._gallery_picture(noise, tmp_path / "out" / "noise")


def test_the_sample_can_be_a_saved_grid_a_gif_s_last_frame_or_a_folder_s_last_png(tmp_path):
    from PIL import Image

    (tmp_path / "runs" / "progress").mkdir(parents=True)
    frames = [Image.fromarray(np.full((9, 9), value, dtype=np.uint8)) for value in (0, 100, 200)]
    frames[0].save(tmp_path / "runs" / "progress.gif", save_all=True, append_images=frames[1:])
    for epoch, frame in enumerate(frames):
        frame.save(tmp_path / "runs" / "progress" / f"epoch_{epoch:04d}.png")
    executed = tmp_path / "missing.ipynb"
    for sample in ("runs/progress.gif", "runs/progress/"):
        assert run._sample_image(tmp_path, executed, sample) == "sample.png"
        assert np.asarray(Image.open(tmp_path / "sample.png").convert("L")).max() == 200, sample  # the last one
    assert run._sample_image(tmp_path, executed, "runs/not_saved.png") is None


def test_the_committed_gallery_has_provenance_and_small_images():
    text = (ROOT / "docs" / "gallery.md").read_text()
    assert "docs/gallery.md" in (ROOT / "README.md").read_text(), "the README links the gallery"
    for name in notebooks():
        assert f"## {name}: profile" in text, f"the gallery has no entry for {name}"
    entries = text.count(": profile `")
    assert text.count("- Command: `python -m gankit.run") == entries
    assert text.count("- Hardware: ") == entries
    assert "(CPU only)" in text or "(GPU)" in text
    for image in (ROOT / "docs" / "gallery").glob("*"):
        assert image.suffix in (".png", ".jpg") and image.stat().st_size < run.MAX_IMAGE_BYTES, image


def test_no_cell_of_a_standard_run_in_the_gallery_went_a_minute_without_output():
    """Every notebook's standard entry says its longest silent cell, and it is within the limit.

    The runner times, from papermill's log, the gaps between a cell's start, each output it shows
    (progress lines included) and its end (gankit.run._Silences); the gallery writes the longest.
    tests/test_expect.py checks the same for the kept runs that the notebooks' texts state.
    """
    import re

    text = (ROOT / "docs" / "gallery.md").read_text()
    for name in notebooks():
        entry = text.split(f"## {name}: profile `standard`", 1)
        assert len(entry) == 2, f"the gallery has no standard entry for {name}"
        entry = entry[1].split("\n## ", 1)[0]
        found = re.search(r"\| longest a cell showed nothing new \| ([\d.]+) s \(cell (\d+)", entry)
        assert found, f"{name}'s gallery entry does not say its longest silent cell. Fix: run it again and regenerate."
        assert float(found.group(1)) <= run.SILENCE_LIMIT, (
            f"{name}: cell {found.group(2)} of its standard run showed nothing for {found.group(1)} s. "
            f"Fix: give that cell progress output (gankit.progress), then run it again.")


def test_the_committed_gallery_shows_each_image_at_least_128_px():
    from PIL import Image

    text = (ROOT / "docs" / "gallery.md").read_text()
    bars = run.load_bars()
    tiled = [name for name in notebooks() if bars[name].get("tiles")]
    assert {"01_mlp_gan", "02_dcgan", "03_cyclegan", "04_pix2pix", "A_own_dataset"} <= set(tiled)
    for name in tiled:
        rows, columns = bars[name]["tiles"]
        pictures = sorted((ROOT / "docs" / "gallery").glob(f"{name}-*"))
        assert pictures, f"the gallery has no picture of {name}"
        for picture in pictures:
            assert f"](gallery/{picture.name})" in text, picture
            width, height = Image.open(picture).size
            assert width / columns >= run.SHOWN_PIXELS and height / rows >= run.SHOWN_PIXELS, \
                f"{picture.name}: {width}x{height} px for {rows}x{columns} images"


# -- the runner end to end, on tiny notebooks ------------------------------------------------------

def _notebook(path: pathlib.Path, source: str):
    path.parent.mkdir(parents=True)
    cells = [nbformat.v4.new_code_cell("profile = None", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell(source)]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), path)


@pytest.mark.slow
def test_the_runner_fails_a_broken_notebook_and_a_missed_bar_naming_both(tmp_path, capsys, monkeypatch):
    notebooks = tmp_path / "notebooks"
    record = "from gankit.report import record\nrecord('backend', 'tensorflow')\n"
    _notebook(notebooks / "good" / "good.ipynb", record + "record('score', 0.75)\nimport time\nprint('working')\n"
              "time.sleep(3)")  # 3 s with nothing new on screen
    _notebook(notebooks / "weak" / "weak.ipynb", record + "record('score', 0.25)\nimport os\nos.makedirs('runs')\n"
              "from PIL import Image\nImage.new('L', (8, 8)).save('runs/grid.png')")
    _notebook(notebooks / "broken" / "broken.ipynb", "1 / 0")
    bars = tmp_path / "bars.yaml"
    score = {"headline": ["score"], "smoke": [{"metric": "score", "min": 0.5}]}
    bars.write_text(yaml.safe_dump({"good": score, "weak": score, "broken": score}))
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)  # --out relative, as the docs write it: the kernels run in out/<name>/
    status = run.main(["--notebooks-dir", str(notebooks), "--bars", str(bars), "--out", "out", "--jobs", "2",
                       "--no-judge", "--backend", "tensorflow"])
    printed = capsys.readouterr()
    assert status == 1
    assert "FAILED weak (profile smoke): score = 0.25 misses its bar >= 0.5" in printed.err
    assert "FAILED broken (profile smoke, tensorflow) raised ZeroDivisionError: division by zero (cell [" \
        in printed.err
    assert "FAILED good" not in printed.err
    summary = json.loads((out / "summary.json").read_text())
    assert {n["notebook"]: n["status"] for n in summary["notebooks"]} == {
        "broken": "error", "good": "passed", "weak": "missed bars"}
    weak = json.loads((out / "weak" / "metrics.json").read_text())
    assert weak["records"]["score"] == 0.25 and weak["images"] == ["runs/grid.png"] and weak["parameters"] == {}
    assert weak["sample_image"] == "sample.png" and (out / "weak" / "sample.png").is_file()
    assert weak["machine"]["cpu_count"] >= 1 and "keras" in weak["machine"]["versions"]
    assert (out / "broken" / "broken.ipynb").is_file()  # the executed copy, to read the traceback in
    good = json.loads((out / "good" / "metrics.json").read_text())
    assert good["longest_silence"]["cell"] == 3 and good["longest_silence"]["starts"].startswith("from gankit")
    # cell 3 (after papermill's parameters) slept 3 s; a busy machine may deliver "working" a little late
    assert 2.0 <= good["longest_silence"]["seconds"] < 15
    assert "good" in printed.out and "passed" in printed.out  # the table


def test_a_metric_name_reads_recorded_dicts_and_lists():
    recorded = {"judge": {"recognised": 0.7}, "table": [{"recipe": "gan", "steps": 260}, {"recipe": "wgan", "steps": 110}]}
    assert run.metric_value(recorded, "judge.recognised") == 0.7
    assert run.metric_value(recorded, "table.1.steps") == 110
    for missing in ("judge.classes", "table.2.steps", "table.x", "score"):
        with pytest.raises(KeyError):
            run.metric_value(recorded, missing)
