"""gankit.data: loading MNIST, and clear errors for missing or damaged files."""

import pathlib
import shutil

import numpy as np
import pytest

from gankit import data
from gankit.data import DataError, load_mnist


def test_mnist_train_is_full_and_scaled_for_tanh():
    images, labels = load_mnist("train")
    assert images.shape == (60000, 28, 28, 1) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    # the well-known MNIST mean 0.1307 on [0, 1] becomes 2 * 0.1307 - 1 on [-1, 1]
    assert float(images.mean()) == pytest.approx(2 * 0.130660 - 1, abs=1e-4)


def test_mnist_test_split_limit_and_raw_pixels():
    images, labels = load_mnist("test", limit=100, scaled=False)
    assert images.shape == (100, 28, 28, 1) and images.dtype == np.uint8
    assert labels.shape == (100,) and labels.dtype == np.int64 and labels.max() <= 9
    assert images.max() == 255


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")


def _fake_data_dir(tmp_path, monkeypatch, content: bytes | None):
    (tmp_path / "mnist").mkdir()
    if content is not None:
        (tmp_path / "mnist" / "mnist.npz").write_bytes(content)
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path))
    return tmp_path / "mnist" / "mnist.npz"


def test_missing_file_names_the_path_and_the_fix(tmp_path, monkeypatch):
    path = _fake_data_dir(tmp_path, monkeypatch, None)
    with pytest.raises(DataError) as error:
        load_mnist()
    assert str(path) in str(error.value) and "Fix:" in str(error.value)


def test_corrupt_file_names_the_path_and_the_fix(tmp_path, monkeypatch):
    path = _fake_data_dir(tmp_path, monkeypatch, b"this is not a zip archive")
    with pytest.raises(DataError) as error:
        load_mnist()
    assert str(path) in str(error.value) and "delete it" in str(error.value)


def test_wrong_shapes_are_reported(tmp_path, monkeypatch):
    path = _fake_data_dir(tmp_path, monkeypatch, None)
    np.savez(path, x_train=np.zeros((5, 32, 32), "uint8"), y_train=np.zeros(5, "uint8"))
    with pytest.raises(DataError, match=r"expected \(n, 28, 28\)"):
        load_mnist()


def test_checksum_mismatch_is_caught(tmp_path, monkeypatch):
    real = data.fetch("mnist")
    path = _fake_data_dir(tmp_path, monkeypatch, None)
    shutil.copy(real, path)
    (tmp_path / "SHA256SUMS").write_text("0" * 64 + "  mnist/mnist.npz\n")
    with pytest.raises(DataError, match="damaged"):
        load_mnist()
    (tmp_path / "SHA256SUMS").write_text(data.sha256_of(path) + "  mnist/mnist.npz\n")
    assert load_mnist("test", limit=3)[0].shape == (3, 28, 28, 1)


def test_data_variable_pointing_nowhere_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path / "nope"))
    with pytest.raises(DataError, match="is not a folder"):
        load_mnist()


def test_download_path_uses_the_registered_checksum(monkeypatch, tmp_path):
    """Without GANKIT_DATA the file comes from keras.utils.get_file with url and sha256."""
    import keras

    seen = {}

    def fake_get_file(fname, origin, file_hash, hash_algorithm):
        seen.update(fname=fname, origin=origin, file_hash=file_hash, hash_algorithm=hash_algorithm)
        return str(tmp_path / fname)

    monkeypatch.delenv("GANKIT_DATA", raising=False)
    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    path = data.fetch("mnist")
    assert path == tmp_path / "mnist.npz"
    assert seen["file_hash"] == data.REGISTRY["mnist"].sha256 and seen["hash_algorithm"] == "sha256"
    assert seen["origin"].endswith("mnist.npz")


def test_failed_download_says_what_to_do(monkeypatch):
    import keras

    def offline(**kwargs):
        raise OSError("network is unreachable")

    monkeypatch.delenv("GANKIT_DATA", raising=False)
    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(DataError, match="GANKIT_DATA"):
        data.fetch("mnist")
