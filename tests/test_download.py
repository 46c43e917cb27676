"""gankit.download and the image-dataset registry, tested without the network.

A small HTTP server on 127.0.0.1 serves a zip built from the shared monet2photo subset. It
answers Range requests, can cut its first response short, and stops when the test ends (or
after 60 seconds, whichever comes first).
"""

import dataclasses
import http.server
import io
import os
import pathlib
import sys
import tarfile
import threading
import types
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image

from gankit import data, download
from gankit.data import DataError
from gankit.download import ChecksumError, DownloadError, Source, UnsafeArchive

# the course datasets folder: GANKIT_DATA (conftest sets it to ../shared/datasets when that exists)
SHARED = pathlib.Path(os.environ.get("GANKIT_DATA")
                      or pathlib.Path(__file__).resolve().parents[2] / "shared" / "datasets")
MONET = SHARED / "monet2photo"
PER_SPLIT = 3


@pytest.fixture(scope="module")
def monet_zip() -> bytes:
    """A monet2photo.zip in the archive's own layout, with 3 real images per split."""
    if not MONET.is_dir():
        raise FileNotFoundError(f"{MONET} is missing: these tests need the course's shared datasets folder")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as bundle:
        for split in ("trainA", "trainB", "testA", "testB"):
            names = sorted((MONET / split).iterdir())
            for path in names[:1] + names[-(PER_SPLIT - 1):]:  # the first names have spaces in trainB
                bundle.write(path, f"monet2photo/{split}/{path.name}")
    return buffer.getvalue()


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output quiet
        pass

    def do_GET(self):
        server = self.server
        server.log.append((self.path, self.headers.get("Range")))
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        if self.headers.get("Range", "").startswith("bytes="):
            start = int(self.headers["Range"][6:].split("-")[0])
            if start >= len(body):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        rest = body[start:]
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        if self.path in server.cut_once:  # promise everything, send a third, hang up
            server.cut_once.discard(self.path)
            self.wfile.write(rest[: len(rest) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(rest)


@pytest.fixture()
def server():
    """A loopback HTTP server: ``.files`` maps paths to bytes, ``.log`` records requests."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.files, httpd.log, httpd.cut_once = {}, [], set()
    httpd.url = lambda path: f"http://127.0.0.1:{httpd.server_address[1]}{path}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    deadline = threading.Timer(60.0, httpd.shutdown)  # never outlives a stuck test
    deadline.daemon = True
    deadline.start()
    yield httpd
    deadline.cancel()
    httpd.shutdown()
    httpd.server_close()


def _sha(blob: bytes) -> str:
    import hashlib

    return hashlib.sha256(blob).hexdigest()


def test_sources_are_tried_in_order_until_one_is_good(server, monet_zip, tmp_path):
    server.files["/good.zip"] = monet_zip
    server.files["/corrupt.zip"] = monet_zip[:-10] + b"0123456789"  # same size, other bytes
    sources = [
        Source(server.url("/missing.zip"), sha256=_sha(monet_zip), size=len(monet_zip)),
        Source(server.url("/corrupt.zip"), sha256=_sha(monet_zip), size=len(monet_zip)),
        Source(server.url("/good.zip"), sha256=_sha(monet_zip), size=len(monet_zip)),
    ]
    path, used = download.fetch_first("monet2photo.zip", sources, tmp_path, progress=False)
    assert used is sources[2] and path == tmp_path / "monet2photo.zip"
    assert path.read_bytes() == monet_zip
    assert [p for p, _ in server.log] == ["/missing.zip", "/corrupt.zip", "/good.zip"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monet2photo.zip"]  # no .part left behind


def test_a_corrupt_file_is_rejected_by_its_checksum_and_deleted(server, monet_zip, tmp_path):
    server.files["/monet2photo.zip"] = monet_zip[:-1] + b"X"
    source = Source(server.url("/monet2photo.zip"), sha256=_sha(monet_zip), size=len(monet_zip))
    with pytest.raises(ChecksumError, match="does not match"):
        download.download(source, tmp_path / "monet2photo.zip", progress=False)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a .part


def test_a_wrong_size_is_rejected_before_hashing(server, monet_zip, tmp_path):
    server.files["/short.zip"] = monet_zip[:100]
    source = Source(server.url("/short.zip"), sha256=_sha(monet_zip), size=len(monet_zip))
    with pytest.raises(ChecksumError, match=f"got 100 bytes, expected {len(monet_zip)}"):
        download.download(source, tmp_path / "m.zip", progress=False, retries=0)


def test_a_broken_transfer_is_resumed_with_a_range_request(server, monet_zip, tmp_path, capsys):
    server.files["/monet2photo.zip"] = monet_zip
    server.cut_once.add("/monet2photo.zip")
    source = Source(server.url("/monet2photo.zip"), sha256=_sha(monet_zip), size=len(monet_zip))
    path = download.download(source, tmp_path / "monet2photo.zip", progress=True)
    assert path.read_bytes() == monet_zip
    (first, range_1), (second, range_2) = server.log
    assert range_1 is None and range_2 == f"bytes={len(monet_zip) // 3}-"  # resumed, not restarted
    shown = capsys.readouterr().err
    assert "resuming from byte" in shown and "(100%)" in shown  # the progress bar reached the end


def test_a_part_file_left_by_an_earlier_run_is_resumed(server, monet_zip, tmp_path):
    server.files["/monet2photo.zip"] = monet_zip
    source = Source(server.url("/monet2photo.zip"), sha256=_sha(monet_zip), size=len(monet_zip))
    dest = tmp_path / "monet2photo.zip"
    download._part_path(dest, source).write_bytes(monet_zip[:1000])
    download.download(source, dest, progress=False)
    assert dest.read_bytes() == monet_zip and server.log == [("/monet2photo.zip", "bytes=1000-")]


def test_when_every_source_fails_the_message_names_each_error_and_where_to_put_the_file(server, tmp_path):
    sources = [
        Source(server.url("/gone.zip"), sha256="a" * 64, size=10),
        Source("http://127.0.0.1:9/refused.zip", sha256="a" * 64, size=10),  # discard port: refused
    ]
    with pytest.raises(DownloadError) as caught:
        download.fetch_first("monet2photo.zip", sources, tmp_path, manual_url="https://example.org/m.zip",
                             put_it="set GANKIT_DATA", progress=False, retries=0, timeout=5)
    message = str(caught.value)
    assert f"{server.url('/gone.zip')}: HTTPError: HTTP Error 404" in message
    assert "http://127.0.0.1:9/refused.zip: URLError" in message
    assert "Fix: download it by hand from https://example.org/m.zip" in message
    assert f"put the file at {tmp_path / 'monet2photo.zip'}" in message and "set GANKIT_DATA" in message
    assert "a" * 64 in message  # the sha256 a hand-made copy must have


def _use_local_sources(monkeypatch, tmp_path, sources, hub=None):
    """Point monet2photo at local sources (and a local hub copy, or none): nothing leaves 127.0.0.1."""
    entry = data.IMAGE_DATASETS["monet2photo"]
    monkeypatch.setitem(data.IMAGE_DATASETS, "monet2photo",
                        data.ImageArchive(entry.name, entry.filename, entry.splits, entry.counts,
                                          tuple(sources), entry.terms))
    if hub is None:
        monkeypatch.delitem(data.HUB_COPIES, "monet2photo")
    else:
        monkeypatch.setitem(data.HUB_COPIES, "monet2photo", hub)
    monkeypatch.delenv("GANKIT_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))


def test_image_dataset_downloads_unpacks_and_then_stays_offline(server, monet_zip, tmp_path, monkeypatch):
    server.files["/monet2photo.zip"] = monet_zip
    _use_local_sources(monkeypatch, tmp_path, [
        Source(server.url("/monet2photo.zip"), sha256=_sha(monet_zip), size=len(monet_zip))])
    folder = data.image_dataset("monet2photo")
    assert folder == tmp_path / "datasets" / "monet2photo"
    for split in ("trainA", "trainB", "testA", "testB"):
        assert len(list((folder / split).iterdir())) == PER_SPLIT
    assert any(" " in p.name for p in (folder / "trainB").iterdir())
    assert data.image_dataset("monet2photo") == folder and len(server.log) == 1  # no second download
    assert not list((tmp_path / "datasets").glob(".*"))  # no staging folder or .part left


def test_an_archive_placed_by_hand_is_checked_and_used_without_downloading(monet_zip, tmp_path, monkeypatch):
    _use_local_sources(monkeypatch, tmp_path, [
        Source("http://127.0.0.1:9/unreachable.zip", sha256=_sha(monet_zip), size=len(monet_zip))])
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "monet2photo.zip").write_bytes(monet_zip)
    folder = data.image_dataset("monet2photo")
    assert len(list((folder / "testB").iterdir())) == PER_SPLIT


def test_image_dataset_failure_says_where_to_put_the_archive(tmp_path, monkeypatch):
    hub = dataclasses.replace(data.HUB_COPIES["monet2photo"], repo="nobody/nothing")
    _use_local_sources(monkeypatch, tmp_path, [Source("http://127.0.0.1:9/m.zip", sha256="b" * 64, size=1)], hub)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as on this machine: the hub copy cannot be read
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(DataError) as caught:
        data.image_dataset("monet2photo")
    message = str(caught.value)
    assert str(tmp_path / "datasets" / "monet2photo.zip") in message
    assert "GANKIT_DATA" in message and "Terms of use" in message
    assert "nobody/nothing" in message and "needs pyarrow" in message and "pip install pyarrow" in message


def _hub_rows(split_files):
    """Rows like the HugGAN parquet files: one per B image, the A images repeated to fill."""
    rows = []
    for i, photo in enumerate(split_files["B"]):
        painting = split_files["A"][i % len(split_files["A"])]
        rows.append({"imageA": {"bytes": painting.read_bytes(), "path": None},
                     "imageB": {"bytes": photo.read_bytes(), "path": None}})
    return rows


def test_the_hub_copy_is_the_last_resort_and_is_rewritten_into_the_layout(server, tmp_path, monkeypatch):
    files = {split: {d: sorted((MONET / f"{split}{d}").iterdir())[:n] for d, n in (("A", 2), ("B", 5))}
             for split in ("train", "test")}
    rows = {f"/hub/{split}.parquet": _hub_rows(files[split]) for split in ("train", "test")}
    for path in rows:
        server.files[path] = path.encode()  # stand-in bytes; the reader below maps them to rows
    hub = data.HubCopy(repo="local/monet", revision="main", paired=False,
                       files={"train": ("train.parquet",), "test": ("test.parquet",)}, note="a test copy")
    monkeypatch.setattr(data.HubCopy, "url", lambda self, path: server.url(f"/hub/{path}"))
    monkeypatch.setattr(download, "parquet_rows", lambda path, columns: iter(rows[pathlib.Path(path).read_text()]))
    monkeypatch.setitem(sys.modules, "pyarrow", types.ModuleType("pyarrow"))
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", types.ModuleType("pyarrow.parquet"))
    _use_local_sources(monkeypatch, tmp_path, [Source(server.url("/no-archive.zip"), sha256="c" * 64)], hub)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = data.image_dataset("monet2photo")
    said = "\n".join(str(w.message) for w in caught)
    assert "train.parquet came from an unverified source" in said
    assert "built from the unverified Hugging Face copy local/monet" in said
    assert [p for p, _ in server.log] == ["/no-archive.zip", "/hub/train.parquet", "/hub/test.parquet"]
    for split in ("train", "test"):
        paintings = sorted((folder / f"{split}A").iterdir())
        assert len(paintings) == 2  # each painting once, although the rows repeat them
        assert sorted(p.read_bytes() for p in paintings) == sorted(p.read_bytes() for p in files[split]["A"])
        assert len(list((folder / f"{split}B").iterdir())) == 5


def test_paired_hub_rows_become_side_by_side_files_and_the_holdout_split(tmp_path):
    pairs = sorted((SHARED / "edges2shoes" / "val").iterdir())[:4]
    rows = []
    for path in pairs:
        with Image.open(path) as whole:
            halves = [whole.crop(box) for box in ((0, 0, 256, 256), (256, 0, 512, 256))]
        blobs = []
        for half in halves:
            buffer = io.BytesIO()
            half.save(buffer, format="PNG")
            blobs.append(buffer.getvalue())
        rows.append({"imageA": {"bytes": blobs[0]}, "imageB": {"bytes": blobs[1]}})
    copy = data.HubCopy(repo="x/y", revision="main", paired=True, files={}, holdout=("val", 1))
    counts = data.hub_rows_to_layout({"train": iter(rows)}, tmp_path, copy)
    assert counts == {"train": 3, "val": 1}
    assert sorted(p.name for p in (tmp_path / "train").iterdir()) == ["1_AB.jpg", "2_AB.jpg", "3_AB.jpg"]
    with Image.open(tmp_path / "val" / "4_AB.jpg") as rebuilt, Image.open(pairs[3]) as original:
        assert rebuilt.size == original.size == (512, 256)
        difference = np.abs(np.asarray(rebuilt, int) - np.asarray(original.convert("RGB"), int))
    assert difference[:, :256].mean() < 3 and difference[:, 256:].mean() < 3  # the same pair, re-encoded


def test_the_registered_hub_copies_match_their_published_descriptions():
    monet, shoes = data.HUB_COPIES["monet2photo"], data.HUB_COPIES["edges2shoes"]
    assert monet.repo == "huggan/monet2photo" and not monet.paired and set(monet.files) == {"train", "test"}
    assert shoes.repo == "huggan/edges2shoes" and shoes.paired and shoes.holdout == ("val", 200)
    assert len(shoes.files["train"]) == 6
    assert monet.url("data/x.parquet") == "https://huggingface.co/datasets/huggan/monet2photo/resolve/main/data/x.parquet"


def test_an_unverified_source_is_used_only_if_it_has_the_layout(server, monet_zip, tmp_path, monkeypatch):
    server.files["/m.zip"] = monet_zip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("monet2photo/readme.txt", "not the dataset")
    server.files["/wrong.zip"] = buffer.getvalue()
    _use_local_sources(monkeypatch, tmp_path, [Source(server.url("/wrong.zip")), Source(server.url("/m.zip"))])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = data.image_dataset("monet2photo")
    said = [str(w.message) for w in caught]
    assert len(said) == 2 and "/wrong.zip" in said[0] and f"sha256 {_sha(monet_zip)}" in said[1]
    assert len(list((folder / "trainA").iterdir())) == PER_SPLIT
    assert [p for p, _ in server.log] == ["/wrong.zip", "/m.zip"]


def test_the_registry_records_the_confirmed_checksum_and_marks_the_rest_unverified():
    monet = data.IMAGE_DATASETS["monet2photo"]
    assert monet.sources[0].url == "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/monet2photo.zip"
    assert all(s.sha256 == "88f91b00fc228f97c9411fbf1880ec1d119c98f1722e4cfcfaa2fb35fac05b04" and
               s.size == 305231073 for s in monet.sources)
    shoes = data.IMAGE_DATASETS["edges2shoes"]
    assert shoes.sources[0].url == "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/edges2shoes.tar.gz"
    assert not any(s.verified for s in shoes.sources)


def test_gankit_data_serves_the_shared_subsets_and_names_a_missing_one(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_DATA", str(SHARED))
    assert data.image_dataset("edges2shoes") == SHARED / "edges2shoes"
    monkeypatch.setenv("GANKIT_DATA", str(tmp_path))
    with pytest.raises(DataError, match=f"{tmp_path / 'monet2photo'} does not exist.*unset GANKIT_DATA"):
        data.image_dataset("monet2photo")
    (tmp_path / "monet2photo" / "trainA").mkdir(parents=True)
    with pytest.raises(DataError, match="no trainB/, testA/, testB/ folder"):
        data.image_dataset("monet2photo")


def _zip_with(name: str, external_attr: int = 0) -> pathlib.Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        info = zipfile.ZipInfo(name)
        info.external_attr = external_attr
        bundle.writestr(info, "x")
    return buffer.getvalue()


@pytest.mark.parametrize("member", ["../evil.txt", "ok/../../evil.txt", "/tmp/evil.txt"])
def test_unpack_refuses_zip_members_outside_the_target(tmp_path, member):
    archive = tmp_path / "bad.zip"
    archive.write_bytes(_zip_with(member))
    with pytest.raises(UnsafeArchive):
        download.unpack(archive, tmp_path / "out" / "data")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out" / "data").exists()
    assert list((tmp_path / "out").iterdir()) == []  # the staging folder is gone too


def test_unpack_refuses_links_in_zip_and_tar(tmp_path):
    archive = tmp_path / "link.zip"
    archive.write_bytes(_zip_with("link", external_attr=0o120777 << 16))
    with pytest.raises(UnsafeArchive, match="symbolic link"):
        download.unpack(archive, tmp_path / "z")
    tar_path = tmp_path / "link.tar.gz"
    with tarfile.open(tar_path, "w:gz") as bundle:
        info = tarfile.TarInfo("edges2shoes/train/escape")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        bundle.addfile(info)
    with pytest.raises(UnsafeArchive, match="link or special file"):
        download.unpack(tar_path, tmp_path / "t")


def test_unpack_tar_gz_into_the_layout(tmp_path):
    tar_path = tmp_path / "edges2shoes.tar.gz"
    files = sorted((SHARED / "edges2shoes" / "val").iterdir())[:2]
    with tarfile.open(tar_path, "w:gz") as bundle:
        for path in files:
            bundle.add(path, f"edges2shoes/val/{path.name}")
    out = download.unpack(tar_path, tmp_path / "out")
    assert sorted(p.name for p in (out / "edges2shoes" / "val").iterdir()) == [p.name for p in files]
    assert (out / "edges2shoes" / "val" / files[0].name).read_bytes() == files[0].read_bytes()
