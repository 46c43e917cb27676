"""Appendix A's plumbing: any folder of images (bad files, fits, greyscale) and the DCGAN at any size."""

import io
import pathlib
import warnings

import numpy as np
import pytest
from PIL import Image

from gankit import images, models
from gankit.data import DataError


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test decodes into its own cache folder."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))


def _save(path: pathlib.Path, image: Image.Image, **kwargs) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **kwargs)
    return path


def _jpeg_bytes(size=(40, 30), colour=(20, 120, 220)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _messy_folder(root: pathlib.Path) -> pathlib.Path:
    """Nested folders, mixed sizes and formats, names with spaces and out of sequence, two bad files."""
    folder = root / "my paintings"
    _save(folder / "IMG 0012.jpg", Image.new("RGB", (60, 40), (200, 30, 30)), quality=95)  # landscape JPEG
    _save(folder / "2" / "portrait (copy).png", Image.new("RGB", (20, 50), (30, 200, 30)))  # portrait PNG
    _save(folder / "old" / "scans" / "grey 7.png", Image.new("L", (33, 33), 90))  # greyscale
    _save(folder / "old" / "logo.png", Image.new("RGBA", (16, 16), (0, 0, 255, 0)))  # fully transparent RGBA
    palette = Image.new("P", (24, 24), 0)
    palette.putpalette([250, 200, 10] + [0, 0, 0] * 255)
    _save(folder / "10.gif", palette)  # palette image: every pixel is palette entry 0, yellow
    (folder / "2" / "cut off.jpg").write_bytes(_jpeg_bytes()[:300])  # truncated JPEG
    (folder / "notes.jpg").write_text("a text file with a .jpg name")
    return folder


def _messages(caught) -> str:
    return "\n".join(str(w.message) for w in caught)


def test_a_messy_folder_loads_its_good_images_and_names_each_bad_file(tmp_path):
    folder = _messy_folder(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pictures, names = images.load_folder(folder, size=16)
    assert names == ["10.gif", "2/portrait (copy).png", "IMG 0012.jpg", "old/logo.png", "old/scans/grey 7.png"]
    assert pictures.shape == (5, 16, 16, 3) and pictures.dtype == np.uint8
    said = _messages(caught)
    assert f"{folder / '2' / 'cut off.jpg'} is damaged or truncated" in said
    assert f"{folder / 'notes.jpg'} is not an image" in said
    assert pictures[0, 8, 8].tolist() == [250, 200, 10]  # palette colours, not palette indices
    assert pictures[1, 8, 8].tolist() == [30, 200, 30]
    assert abs(int(pictures[2, 8, 8, 0]) - 200) < 8  # JPEG: close to the red it was saved as
    assert pictures[3].min() == 255  # transparent becomes white
    assert pictures[4, 8, 8].tolist() == [90, 90, 90]  # greyscale in three equal channels
    grey, _ = images.load_folder(folder, size=16, channels=1)
    assert grey.shape == (5, 16, 16, 1) and grey[4, 8, 8, 0] == 90
    assert grey[1, 8, 8, 0] == round(0.299 * 30 + 0.587 * 200 + 0.114 * 30)


def test_an_empty_folder_and_a_folder_without_images_name_the_folder_and_the_fix(tmp_path):
    empty = tmp_path / "empty folder"
    empty.mkdir()
    with pytest.raises(DataError) as caught:
        images.load_folder(empty, size=16)
    assert str(empty) in str(caught.value) and "Fix:" in str(caught.value) and "It is empty" in str(caught.value)
    documents = tmp_path / "documents"
    (documents / "deep").mkdir(parents=True)
    (documents / "deep" / "list.csv").write_text("a,b\n")
    (documents / "read me.txt").write_text("no pictures here")
    with pytest.warns(UserWarning, match="list.csv"):
        with pytest.raises(DataError) as caught:
            images.load_folder(documents, size=16)
    message = str(caught.value)
    assert f"{documents} holds no image files. Fix:" in message and "2 other file(s)" in message
    with pytest.raises(DataError, match="is not a folder. Fix:"):
        images.load_folder(tmp_path / "no such folder", size=16)


def _portrait(width=40, height=80) -> Image.Image:
    """A portrait whose top quarter is red, bottom quarter blue and middle green."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 4] = (255, 0, 0)
    pixels[height // 4: 3 * height // 4] = (0, 255, 0)
    pixels[3 * height // 4:] = (0, 0, 255)
    return Image.fromarray(pixels)


def test_pad_crop_and_resize_make_squares_and_treat_a_portrait_as_documented(tmp_path):
    folder = tmp_path / "one portrait"
    path = _save(folder / "portrait.png", _portrait())
    shapes = {fit: images.read_image(path, 32, fit=fit) for fit in images.FITS}
    assert all(square.shape == (32, 32, 3) for square in shapes.values())
    crop, pad, resize = shapes["crop"], shapes["pad"], shapes["resize"]
    # crop keeps the centre square: only green is left, the red top and blue bottom are cut off
    assert (crop[..., 1] > 200).mean() > 0.9 and crop[..., 0].max() < 60 and crop[..., 2].max() < 60
    # pad keeps the whole picture at its aspect (1:2): 16 columns of picture, black bars of 8 each side
    assert pad[:, :7].max() == 0 and pad[:, -7:].max() == 0
    picture = pad[:, 8:24]
    assert (picture[:6, :, 0] > 200).all() and (picture[-6:, :, 2] > 200).all()  # red top, blue bottom kept
    columns = np.flatnonzero(pad.max(axis=(0, 2)) > 0)
    assert len(columns) == 16  # width : height = 16 : 32, the portrait's 1 : 2
    # resize keeps everything but stretches: red top and blue bottom, full width, no bars
    assert (resize[:6, :, 0] > 200).all() and (resize[-6:, :, 2] > 200).all() and resize[:, 0].max() > 200
    for fit in images.FITS:
        loaded, _ = images.load_folder(folder, size=32, fit=fit)
        assert np.array_equal(loaded[0], shapes[fit])  # the folder loader gives the same squares
    with pytest.raises(ValueError, match="fit is 'squash'; choose one of 'crop'"):
        images.load_folder(folder, size=32, fit="squash")


def test_batches_can_jitter_without_flipping():
    grid = np.zeros((4, 12, 12, 3), np.uint8)
    grid[..., 2] = np.arange(12)[None, None, :] * 20  # blue grows left to right
    flipped_any = unflipped_all = True
    for seed in range(5):
        with_flips = images.ImageBatches(grid, batch_size=4, crop=10, seed=seed)[0]
        without = images.ImageBatches(grid, batch_size=4, crop=10, seed=seed, flip=False)[0]
        blue = lambda batch: np.diff(batch[:, 0, :, 2], axis=1)  # noqa: E731
        unflipped_all &= bool((blue(without) > 0).all())
        flipped_any &= bool((blue(with_flips) < 0).any())
        # the crops are the same either way: only the flips differ
        assert np.array_equal(np.sort(without[:, 0, :, 2], axis=1), np.sort(with_flips[:, 0, :, 2], axis=1))
    assert unflipped_all and flipped_any


@pytest.mark.parametrize("resolution", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_at_any_power_of_two_size_makes_and_judges_the_right_shapes(resolution, channels):
    generator = models.dcgan_generator_at(resolution, channels, latent_dim=8, width=8)
    discriminator = models.dcgan_discriminator_at(resolution, channels, width=8)
    fakes = generator(np.random.default_rng(0).normal(size=(2, 8)).astype("float32"), training=False)
    assert tuple(fakes.shape) == (2, resolution, resolution, channels)
    values = np.asarray(fakes)
    assert values.min() >= -1.0 and values.max() <= 1.0  # tanh
    assert tuple(discriminator(fakes, training=False).shape) == (2, 1)


@pytest.mark.backends
def test_dcgan_at_any_size_trains_a_step_on_every_backend():
    from gankit.trainer import GAN, train

    import keras

    generator = models.dcgan_generator_at(16, 1, latent_dim=8, width=8)
    discriminator = models.dcgan_discriminator_at(16, 1, width=8)
    gan = GAN(generator, discriminator, latent_dim=8, seed=0)
    gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    before = [w.copy() for w in discriminator.get_weights()]
    x = np.random.default_rng(1).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    history = train(gan, x, epochs=1, batch_size=4, verbose=0)
    assert len(history.steps["d_loss"]) == 2 and np.isfinite(history.steps["d_loss"]).all()
    assert any(not np.array_equal(a, b) for a, b in zip(before, discriminator.get_weights()))
    assert tuple(gan.generator(np.zeros((3, 8), "float32")).shape) == (3, 16, 16, 1)


@pytest.mark.parametrize("bad", [28, 4, 48, 0])
def test_a_size_that_is_not_a_power_of_two_says_how_to_fix_it(bad):
    with pytest.raises(ValueError, match=f"resolution is {bad}; .*power of two.*Fix:"):
        models.dcgan_generator_at(bad)
    with pytest.raises(ValueError, match="power of two"):
        models.dcgan_discriminator_at(bad)
    with pytest.raises(ValueError, match="channels is 4"):
        models.dcgan_generator_at(32, channels=4)


def test_batches_refuse_images_already_scaled_to_tanh_range():
    scaled = images.to_tanh_range(np.zeros((4, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="takes the uint8 pixels .* Fix: pass the images as loaded"):
        images.ImageBatches(scaled, batch_size=2)


# -- the appendix's text: practice sets you can find, and what pictures of people ask -------------

def _appendix_text() -> str:
    import nbformat

    from notebook_tools import notebook_path

    notebook = nbformat.read(notebook_path("A_own_dataset"), as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_the_five_practice_sets_have_kaggle_identifiers_and_links():
    import re

    text = _appendix_text()
    for identifier in ("bryanb/abstract-art-gallery", "kmader/high-content-screening-celegans",
                       "kmader/pulmonary-chest-xray-abnormalities", "hyperclaw79/fakefaces",
                       "jeffheaton/glasses-or-no-glasses"):
        assert f"(https://www.kaggle.com/datasets/{identifier})" in text, f"no link to Kaggle's {identifier}"
    assert re.search(r"kaggle datasets download -d", text)
    assert "keras.utils.image_dataset_from_directory" in text  # Keras's own loader, beside the course's


def test_the_appendix_speaks_of_consent_disclosure_licences_and_the_kernel_s_origin():
    text = _appendix_text()
    for word in ("*Consent*", "*Disclosure*", "*Licences*", "licence"):
        assert word in text, f"appendix A says nothing under {word!r}"
    assert "5×5 kernels" in text and "dcgan.torch" in text  # the paper's figure, and where 4x4 comes from
