"""The course subsets (gankit.subsets): the exact images 03, 04 and A state their numbers for.

A learner's copy of a dataset is rarely the shared subset alone: a full download holds
thousands of other files, some with the same names as subset files but other bytes, and a
copy from elsewhere may have renamed them. These tests build such copies from the real
shared subsets and check that exactly the subset is chosen, by content, every time.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import tomllib

import pytest

from gankit import data, subsets
from gankit.data import DataError
from gankit.download import DownloadError

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = pathlib.Path(os.environ.get("GANKIT_DATA") or ROOT.parent / "shared" / "datasets")


def _digest(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(folder: pathlib.Path) -> dict:
    """{relative path: sha256} of every file in the split folders under ``folder``."""
    return {str(p.relative_to(folder)): _digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module", params=["monet2photo", "edges2shoes"])
def subset(request) -> subsets.Subset:
    chosen = subsets.load(request.param)
    if not (SHARED / chosen.dataset).is_dir():
        raise FileNotFoundError(f"{SHARED / chosen.dataset} is missing: these tests need the shared datasets folder")
    return chosen


def _full_copy(subset: subsets.Subset, where: pathlib.Path) -> pathlib.Path:
    """A copy laid out like a full download: the subset, plus decoys a real archive has."""
    root = where / subset.dataset
    shutil.copytree(SHARED / subset.dataset, root)
    first_split = sorted(subset.counts())[0]
    some = sorted(subset.files)[:3]
    for number in range(40):  # other images of the dataset
        (root / first_split / f"extra_{number:04d}.jpg").write_bytes(os.urandom(2000 + number))
    # a file with a subset file's name and size but other bytes (another release of the dataset)
    (root / some[0]).write_bytes(os.urandom((root / some[0]).stat().st_size))
    pathlib.Path(root / "elsewhere").mkdir()
    shutil.copyfile(SHARED / subset.dataset / some[0], root / "elsewhere" / "renamed copy.jpg")
    # a file that moved to another split folder, keeping its bytes
    moved = root / some[1]
    target = root / sorted(subset.counts())[-1] / f"moved_{moved.name}"
    os.replace(moved, target)
    return root


def test_the_manifests_describe_the_shared_subsets_file_by_file(subset):
    shared = _tree(SHARED / subset.dataset)
    assert {path: entry["sha256"] for path, entry in subset.files.items()} == shared
    assert subset.size == sum((SHARED / subset.dataset / p).stat().st_size for p in subset.files)
    assert subset.archive.url.endswith(f"/{subset.dataset}-course.zip") and len(subset.archive.sha256) == 64


def test_a_folder_that_holds_only_the_subset_is_used_as_it_is(subset, tmp_path):
    assert subsets.select(SHARED / subset.dataset, subset, tmp_path / "picked") == SHARED / subset.dataset
    assert not (tmp_path / "picked").exists()


def test_from_a_full_copy_exactly_the_subset_is_chosen_by_content(subset, tmp_path):
    root = _full_copy(subset, tmp_path / "download")
    picked = subsets.select(root, subset, tmp_path / "picked" / subset.dataset)
    assert picked == tmp_path / "picked" / subset.dataset
    assert _tree(picked) == {path: entry["sha256"] for path, entry in subset.files.items()}
    assert not any("extra_" in p.name or "moved_" in p.name for p in picked.rglob("*"))
    # a second call finds its earlier selection and leaves it as it is
    stamp = picked.stat().st_mtime_ns
    assert subsets.select(root, subset, picked) == picked and picked.stat().st_mtime_ns == stamp


def test_a_copy_lacking_subset_files_is_refused_with_their_names(subset, tmp_path):
    root = tmp_path / subset.dataset
    shutil.copytree(SHARED / subset.dataset, root)
    gone = sorted(subset.files)[:2]
    for relative in gone:
        (root / relative).write_bytes(b"not the file")
    with pytest.raises(subsets.SubsetError, match=f"2 of the {len(subset.files)} files") as error:
        subsets.select(root, subset, tmp_path / "picked")
    assert all(relative in str(error.value) for relative in gone)
    assert not (tmp_path / "picked").exists()


def test_image_dataset_reads_the_course_subset_out_of_a_full_data_folder(subset, tmp_path, monkeypatch):
    _full_copy(subset, tmp_path / "data")
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    picked = data.image_dataset(subset.dataset, data="course")
    assert _tree(picked) == {path: entry["sha256"] for path, entry in subset.files.items()}
    everything = data.image_dataset(subset.dataset, data="all")
    assert everything == tmp_path / "data" / subset.dataset
    assert len(_tree(everything)) == len(subset.files) + 40 + 1  # the extras and the renamed copy too


def test_without_the_subset_the_whole_dataset_is_used_and_a_warning_says_why(subset, tmp_path, monkeypatch):
    """A learner's run never stops for want of the subset: the whole data, with a warning that names the fix."""
    root = tmp_path / "data" / subset.dataset
    shutil.copytree(SHARED / subset.dataset, root)
    for relative in sorted(subset.files)[:2]:
        (root / relative).write_bytes(b"another file")
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.warns(UserWarning, match=r"(?s)2 of the .*Using the whole .* yours will differ. Fix: put the "):
        assert data.image_dataset(subset.dataset, data="course") == root
    # no data folder, the subset's download unreachable, a full copy already downloaded: that copy
    monkeypatch.delenv("GANKIT_DATA")
    shutil.copytree(root, data.downloads_dir() / subset.dataset)

    def unreachable(*args, **kwargs):
        raise DownloadError("every source failed (test)")

    monkeypatch.setattr(data, "fetch_first", unreachable)
    with pytest.warns(UserWarning, match=r"(?s)every source failed \(test\).*Using the whole .*Fix: place "):
        assert data.image_dataset(subset.dataset, data="course") == data.downloads_dir() / subset.dataset
    with pytest.warns(UserWarning, match="download=False"):
        assert data.image_dataset(subset.dataset, data="course", download=False) == data.downloads_dir() / subset.dataset


def test_an_unusable_data_folder_is_still_an_error_that_names_it(subset, tmp_path, monkeypatch):
    (tmp_path / "data" / subset.dataset / "somewhere").mkdir(parents=True)
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.warns(UserWarning), pytest.raises(DataError, match=f"{subset.dataset}.*no .*folder"):
        data.image_dataset(subset.dataset, data="course")
    with pytest.raises(KeyError, match="no subset 'tiny'.*known"):
        data.image_dataset(subset.dataset, data="tiny")


def test_the_subsets_zip_is_reproducible_and_is_what_a_learner_unpacks(subset, tmp_path, monkeypatch):
    made = tmp_path / "release"
    assert subsets.main(["zip", subset.dataset, str(made), "--from", str(SHARED / subset.dataset)]) == 0
    archive = made / f"{subset.dataset}-course.zip"
    assert _digest(archive) == subset.archive.sha256 and archive.stat().st_size == subset.archive.size
    # without GANKIT_DATA, a zip already in the downloads folder is checked and unpacked, no network
    monkeypatch.delenv("GANKIT_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    downloads = data.downloads_dir()
    downloads.mkdir(parents=True)
    shutil.copyfile(archive, downloads / archive.name)
    picked = data.image_dataset(subset.dataset, data="course")
    assert picked == downloads / "subsets" / f"{subset.dataset}-course" / subset.dataset
    assert _tree(picked) == {path: entry["sha256"] for path, entry in subset.files.items()}
    assert data.image_dataset(subset.dataset, data="course", download=False) == picked  # found again, offline


def test_the_subsets_download_address_is_the_configured_repository():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["gankit"]
    expected = f"{config['repository']}/releases/download/{subsets.DATA_TAG}"
    assert subsets.RELEASES == expected
    for manifest in sorted(subsets.MANIFESTS.glob("*.json")):
        dataset, name = manifest.stem.rsplit("-", 1)
        assert subsets.load(dataset, name).archive.url == f"{expected}/{manifest.stem}.zip"
