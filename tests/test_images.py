"""gankit.images: folders of images, pairs, the decode-once cache, bad files, and ImageBatches."""

import os
import pathlib
import warnings

import numpy as np
import pytest
from PIL import Image

from gankit import images
from gankit.data import DataError
from gankit.images import ImageBatches

# the course datasets folder: GANKIT_DATA (conftest sets it to ../shared/datasets when that exists)
SHARED = pathlib.Path(os.environ.get("GANKIT_DATA")
                      or pathlib.Path(__file__).resolve().parents[2] / "shared" / "datasets")
MONET = SHARED / "monet2photo"
SHOES = SHARED / "edges2shoes"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test decodes into its own cache folder, so cache hits are the test's own."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "images"


def _image(path: pathlib.Path, size, color=(200, 30, 30), mode="RGB", fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path, format=fmt)
    return path


def test_monet_domains_load_at_the_chosen_size_and_are_cached(private_cache, monkeypatch):
    monet, photos = images.load_unpaired(MONET, "train", size=24)
    assert monet.shape == (120, 24, 24, 3) and photos.shape == (120, 24, 24, 3) and monet.dtype == np.uint8
    test_monet, test_photos = images.load_unpaired(MONET, "test", size=24)
    assert len(test_monet) == 20 and len(test_photos) == 20
    assert len(list(private_cache.glob("folder-24px-*/array0.npy"))) == 4
    # a second load reads the cache and decodes nothing
    monkeypatch.setattr(images, "read_image", lambda *a: pytest.fail("decoded again despite the cache"))
    again, _ = images.load_unpaired(MONET, "train", size=24)
    assert np.array_equal(again, monet)


def test_names_with_spaces_are_loaded_in_a_stable_order():
    photos, names = images.load_folder(MONET / "trainB", size=16)
    assert names == sorted(names) and len(names) == 120
    spaced = [i for i, name in enumerate(names) if " " in name]
    assert spaced, "the shared subset has photos with spaces in their names"
    direct = images.read_image(MONET / "trainB" / names[spaced[0]], 16)
    assert np.array_equal(photos[spaced[0]], direct)


def test_a_changed_folder_is_decoded_again(tmp_path, private_cache):
    folder = tmp_path / "faces"
    _image(folder / "a.png", (20, 20))
    first, _ = images.load_folder(folder, size=8)
    _image(folder / "b.png", (20, 20), color=(0, 0, 255))
    second, names = images.load_folder(folder, size=8)
    assert len(first) == 1 and len(second) == 2 and names == ["a.png", "b.png"]
    assert len(list(private_cache.glob("folder-8px-*/meta.json"))) == 2  # one entry per folder content
    assert not list(private_cache.glob(".*"))  # no temporary folder left behind


def test_pairs_are_split_into_edge_map_left_and_photo_right():
    edges, photos, names = images.load_pairs(SHOES / "train", size=32)
    assert edges.shape == photos.shape == (100, 32, 32, 3) and len(names) == 100
    # edge maps are black lines on white; shoe photos are not mostly white
    white = lambda x: float((x.min(axis=-1) > 200).mean())  # noqa: E731
    assert white(edges) > 0.8 and white(photos) < white(edges) - 0.2
    # the halves are those of the file itself
    with Image.open(SHOES / "train" / names[0]) as whole:
        left = np.asarray(whole.convert("RGB").crop((0, 0, 256, 256)).resize((32, 32), Image.Resampling.BICUBIC))
    assert np.abs(edges[0].astype(int) - left.astype(int)).mean() < 12  # same picture, resampled
    inputs, targets = images.load_paired(SHOES, "val", size=32)
    assert inputs.shape == targets.shape == (20, 32, 32, 3)


def test_a_generic_folder_with_nested_folders_mixed_sizes_and_formats(tmp_path):
    folder = tmp_path / "my photos"
    _image(folder / "z last.jpg", (64, 48), color=(10, 200, 10))
    _image(folder / "b" / "deep" / "9.png", (30, 30), color=(0, 0, 0, 0), mode="RGBA")  # transparent
    _image(folder / "b" / "10.bmp", (17, 40), color=(0, 0, 255))
    _image(folder / "gray.gif", (50, 50), color=128, mode="L")
    _image(folder / ".hidden" / "skip.png", (8, 8))
    pictures, names = images.load_folder(folder, size=12)
    assert names == ["b/10.bmp", "b/deep/9.png", "gray.gif", "z last.jpg"]
    assert pictures.shape == (4, 12, 12, 3)
    assert pictures[0, 6, 6].tolist() == [0, 0, 255]
    assert pictures[1].min() == 255  # transparent becomes white, not black
    assert pictures[2, 6, 6].tolist() == [128, 128, 128]
    assert abs(int(pictures[3, 6, 6, 1]) - 200) < 6  # JPEG: close to the green it was saved as


def _bad_files(folder: pathlib.Path, good: pathlib.Path):
    """A folder with two good images and one of each kind of bad file."""
    folder.mkdir(parents=True)
    blob = good.read_bytes()
    (folder / "good 1.jpg").write_bytes(blob)
    (folder / "good 2.jpg").write_bytes(blob)
    (folder / "truncated.jpg").write_bytes(blob[: len(blob) // 2])
    (folder / "notes.jpg").write_text("this is text, not a picture")
    (folder / "README.txt").write_text("about these images")


def _messages(caught):
    return "\n".join(str(w.message) for w in caught)


def test_bad_files_are_skipped_with_a_warning_naming_each(tmp_path):
    folder = tmp_path / "trainA"
    _bad_files(folder, MONET / "trainA" / "00001.jpg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pictures, names = images.load_folder(folder, size=16)
    assert names == ["good 1.jpg", "good 2.jpg"] and len(pictures) == 2
    said = _messages(caught)
    assert f"{folder / 'truncated.jpg'} is damaged or truncated" in said
    assert f"{folder / 'notes.jpg'} is not an image" in said
    assert f"{folder / 'README.txt'}: not an image file" in said
    # the warnings come again when the cache is used, so nobody misses them
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images.load_folder(folder, size=16)
    assert "truncated.jpg" in _messages(caught) and "notes.jpg" in _messages(caught)


def test_a_pair_file_of_the_wrong_shape_is_skipped_and_named(tmp_path):
    folder = tmp_path / "train"
    folder.mkdir()
    good = sorted((SHOES / "train").iterdir())[0]
    (folder / good.name).write_bytes(good.read_bytes())
    _image(folder / "square.jpg", (256, 256))
    (folder / "cut_AB.jpg").write_bytes(good.read_bytes()[:3000])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        edges, photos, names = images.load_pairs(folder, size=16)
    assert names == [good.name] and edges.shape == (1, 16, 16, 3)
    said = _messages(caught)
    assert f"{folder / 'square.jpg'} is 256x256 (width x height); a pair file must be twice as wide" in said
    assert f"{folder / 'cut_AB.jpg'} is damaged or truncated" in said


def test_a_missing_split_names_the_folder_and_the_layout(tmp_path):
    root = tmp_path / "monet2photo"
    _image(root / "trainA" / "1.jpg", (8, 8))
    with pytest.raises(DataError) as caught:
        images.load_unpaired(root, "train", size=8)
    message = str(caught.value)
    assert f"{root / 'trainB'} is missing (found: trainA" in message
    assert "trainA/ trainB/ testA/ testB/" in message and "Fix:" in message


def test_an_empty_folder_and_a_folder_of_only_bad_files_are_explained(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=f"{empty} holds no image files. Fix:"):
        images.load_folder(empty, size=8)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    with pytest.warns(UserWarning, match="a.jpg"):
        with pytest.raises(DataError, match=f"{broken}: none of its 1 image files could be read"):
            images.load_folder(broken, size=8)


def _numbered(n, size=10):
    """Images whose pixel (y, x) of image i holds (i, y, x): every crop and flip is traceable."""
    grid = np.zeros((n, size, size, 3), np.uint8)
    grid[..., 0] = np.arange(n)[:, None, None]
    grid[..., 1] = np.arange(size)[None, :, None]
    grid[..., 2] = np.arange(size)[None, None, :]
    return grid


def _decode(batch):
    return np.rint((batch + 1.0) * 127.5).astype(int)


def test_pairs_get_the_same_jitter_and_flip(tmp_path):
    a = _numbered(12)
    b = 255 - a
    batches = ImageBatches(a, b, batch_size=4, crop=8, seed=3)
    assert len(batches) == 3
    flips = 0
    for index in range(len(batches)):
        x, y = batches[index]
        assert x.dtype == np.float32 and x.shape == (4, 8, 8, 3) and -1.0 <= x.min() and x.max() <= 1.0
        assert np.allclose(_decode(x) + _decode(y), 255)  # the very same crop and flip in both halves
        columns = _decode(x)[:, 0, :, 2]
        flips += int((np.diff(columns, axis=1) < 0).all(axis=1).sum())
        assert ((np.abs(np.diff(columns, axis=1)) == 1).all())  # a contiguous crop, maybe mirrored
    assert 0 < flips < 12  # some flipped, some not


def test_jitter_varies_by_epoch_and_is_repeatable_with_the_seed():
    a = _numbered(8, size=20)
    first = ImageBatches(a, batch_size=8, crop=16, seed=5)
    epoch_0 = first[0]
    first.on_epoch_end()
    epoch_1 = first[0]
    assert not np.array_equal(epoch_0, epoch_1)
    assert np.array_equal(ImageBatches(a, batch_size=8, crop=16, seed=5)[0], epoch_0)
    assert sorted(_decode(epoch_0)[:, 0, 0, 0].tolist()) == list(range(8))  # each image once per epoch
    centre = ImageBatches(a, batch_size=8, crop=16, jitter=False, shuffle=False)[0]
    assert _decode(centre)[0, 0, 0].tolist() == [0, 2, 2]  # the centre crop, unflipped, in order


def test_unpaired_domains_are_drawn_independently_over_the_larger_one():
    a, b = _numbered(10), _numbered(4) + 100
    batches = ImageBatches(a, b, paired=False, batch_size=2, crop=10, jitter=False)
    assert len(batches) == 5
    seen_a = np.concatenate([_decode(batches[i][0])[:, 0, 0, 0] for i in range(5)])
    seen_b = np.concatenate([_decode(batches[i][1])[:, 0, 0, 0] for i in range(5)])
    assert sorted(seen_a.tolist()) == list(range(10))
    assert set(seen_b.tolist()) == {100, 101, 102, 103}


def test_bad_batch_settings_are_explained():
    with pytest.raises(ValueError, match="batch_size=9 is larger than the number of images"):
        ImageBatches(_numbered(4), batch_size=9)
    with pytest.raises(ValueError, match=r"jitter_size\(16\) = 18"):
        ImageBatches(_numbered(4, size=10), crop=16)
    with pytest.raises(ValueError, match="paired arrays must match"):
        ImageBatches(_numbered(4), _numbered(5), paired=True)
    assert images.jitter_size(256) == 286


@pytest.mark.backends
def test_batches_feed_keras_fit_on_this_backend():
    """ImageBatches is a PyDataset: model.fit takes it on TensorFlow and on JAX alike."""
    import keras

    edges, photos = images.load_paired(SHOES, "val", size=images.jitter_size(16))
    batches = ImageBatches(edges, photos, batch_size=5, crop=16, seed=0)
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(3, 3, padding="same")])
    model.compile(optimizer="adam", loss="mae")
    history = model.fit(batches, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_limit_keeps_the_first_files_and_a_phone_photo_is_turned_upright(tmp_path):
    inputs, targets = images.load_paired(SHOES, "train", size=8, limit=10)
    assert inputs.shape == targets.shape == (10, 8, 8, 3)
    # a landscape picture, red left and blue right, stored with EXIF "rotate 90 degrees clockwise"
    picture = np.zeros((10, 20, 3), np.uint8)
    picture[:, :10, 0] = 255
    picture[:, 10:, 2] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(picture).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    upright = images.read_image(tmp_path / "phone.jpg", 10)
    assert upright[1, 5, 0] > 200 and upright[8, 5, 2] > 200  # red on top, blue below, as displayed


def test_large_arrays_are_memory_mapped_and_still_batch(monkeypatch, private_cache):
    monkeypatch.setattr(images, "MMAP_BYTES", 1000)  # pretend 100 pairs at 20 px are "large"
    edges, photos, _ = images.load_pairs(SHOES / "train", size=20)  # decoded now, then mapped
    assert isinstance(edges, np.memmap) and not edges.flags.writeable and edges.shape == (100, 20, 20, 3)
    in_memory, _, _ = images.load_pairs(SHOES / "train", size=20, mmap=False)
    assert not isinstance(in_memory, np.memmap) and np.array_equal(in_memory, edges)
    x, y = ImageBatches(edges, photos, batch_size=10, crop=16)[0]
    assert x.shape == y.shape == (10, 16, 16, 3) and x.dtype == np.float32
    uncached, _, _ = images.load_pairs(SHOES / "train", size=12, cache=False)
    assert not isinstance(uncached, np.memmap) and not list(private_cache.glob("pairs-12px-*"))
