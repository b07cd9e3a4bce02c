"""`kerascore.utils.get_file`: cache hits without network, downloads from a local HTTP server,
extraction (and refusal of members escaping the folder), hash checks and the offline error."""

import functools
import hashlib
import http.server
import io
import os
import pathlib
import tarfile
import threading
import urllib.request
import zipfile

import pytest

from kerascore.utils import file_utils, get_file


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def offline(monkeypatch):
    """Any network access fails the way it does on a machine without internet."""
    calls = []

    def refuse(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return calls


@pytest.fixture
def server(tmp_path):
    """A static HTTP server on 127.0.0.1 serving `tmp_path / "served"`; yields
    `(folder, base_url, requested_paths)`."""
    folder = tmp_path / "served"
    folder.mkdir()
    requested = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requested.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}/", requested
    httpd.shutdown()
    httpd.server_close()


def make_tar_gz(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def make_zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_cache_hit_returns_the_path_without_network(tmp_path, offline):
    cached = tmp_path / "datasets" / "notes.txt"
    cached.parent.mkdir()
    cached.write_bytes(b"hello")
    path = get_file("notes.txt", origin="https://example.com/notes.txt", cache_dir=tmp_path)
    assert path == str(cached)
    checked = get_file(
        "notes.txt",
        origin="https://example.com/notes.txt",
        cache_dir=tmp_path,
        file_hash=sha256(b"hello"),
    )
    assert checked == str(cached)
    md5 = hashlib.md5(b"hello").hexdigest()
    assert get_file(origin="https://example.com/notes.txt", cache_dir=tmp_path, md5_hash=md5)
    assert offline == []


def test_keras_home_and_cache_subdir_locate_the_cache(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    cached = tmp_path / "home" / "models" / "weights.h5"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"w")
    path = get_file(origin="https://example.com/a/weights.h5", cache_subdir="models")
    assert path == str(cached)
    absolute = tmp_path / "elsewhere"
    absolute.mkdir()
    (absolute / "weights.h5").write_bytes(b"w")
    assert get_file(origin="https://x/weights.h5", cache_subdir=str(absolute)) == str(
        absolute / "weights.h5"
    )


def test_miss_downloads_once_then_hits(tmp_path, server, capsys):
    folder, base_url, requested = server
    (folder / "data.bin").write_bytes(b"x" * 200_000)
    cache = tmp_path / "cache"
    path = get_file(origin=base_url + "data.bin", cache_dir=cache, file_hash=sha256(b"x" * 200_000))
    assert path == str(cache / "datasets" / "data.bin")
    assert pathlib.Path(path).read_bytes() == b"x" * 200_000
    assert os.listdir(cache / "datasets") == ["data.bin"]  # No partial file left behind.
    assert f"Downloading data from {base_url}data.bin" in capsys.readouterr().out
    assert get_file(origin=base_url + "data.bin", cache_dir=cache) == path
    assert requested == ["/data.bin"]
    get_file(origin=base_url + "data.bin", cache_dir=cache, force_download=True)
    assert requested == ["/data.bin", "/data.bin"]


def test_file_url_origin(tmp_path):
    source = tmp_path / "source.txt"
    source.write_bytes(b"local")
    path = get_file("copy.txt", origin=source.as_uri(), cache_dir=tmp_path / "cache")
    assert pathlib.Path(path).read_bytes() == b"local"


def test_cached_file_with_a_stale_hash_is_downloaded_again(tmp_path, server):
    folder, base_url, requested = server
    (folder / "f.txt").write_bytes(b"new")
    cached = tmp_path / "datasets" / "f.txt"
    cached.parent.mkdir()
    cached.write_bytes(b"old")
    get_file(origin=base_url + "f.txt", cache_dir=tmp_path, file_hash=sha256(b"new"))
    assert cached.read_bytes() == b"new"
    assert requested == ["/f.txt"]


@pytest.mark.parametrize("archive", ["tar.gz", "zip"])
def test_extract_returns_the_folder_named_as_keras_does(tmp_path, server, archive):
    folder, base_url, _ = server
    members = {"top/a.txt": b"A", "top/sub/b.txt": b"B"}
    data = make_tar_gz(members) if archive == "tar.gz" else make_zip(members)
    (folder / f"pack.{archive}").write_bytes(data)
    cache = tmp_path / "cache"

    path = get_file("pack", origin=f"{base_url}pack.{archive}", cache_dir=cache, extract=True)
    assert path == str(cache / "datasets" / "pack")
    assert (cache / "datasets" / "pack_archive").read_bytes() == data
    assert pathlib.Path(path, "top", "sub", "b.txt").read_bytes() == b"B"

    dotted = get_file(
        f"pack.{archive}", origin=f"{base_url}pack.{archive}", cache_dir=cache, extract=True
    )
    assert dotted == str(cache / "datasets" / "pack_extracted")
    assert pathlib.Path(dotted, "top", "a.txt").read_bytes() == b"A"

    other = tmp_path / "other"
    unnamed = get_file(origin=f"{base_url}pack.{archive}", cache_dir=other, extract=True)
    assert unnamed == str(other / "datasets" / f"pack.{archive}")
    assert os.path.isfile(other / "datasets" / f"pack.{archive}_archive")


def test_untar_extracts_a_tar(tmp_path):
    source = tmp_path / "t.tar.gz"
    source.write_bytes(make_tar_gz({"x.txt": b"X"}))
    path = get_file("t", origin=source.as_uri(), cache_dir=tmp_path / "c", untar=True)
    assert pathlib.Path(path, "x.txt").read_bytes() == b"X"


def test_extraction_skips_members_escaping_the_folder(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in ("ok.txt", "../escaped.txt", "/tmp/absolute-escape.txt"):
            info = tarfile.TarInfo(name)
            info.size = 1
            archive.addfile(info, io.BytesIO(b"!"))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../outside"
        archive.addfile(link)
    source = tmp_path / "evil.tar.gz"
    source.write_bytes(buffer.getvalue())
    cache = tmp_path / "cache"
    with pytest.warns(UserWarning, match="Skipping archive member"):
        path = get_file("evil", origin=source.as_uri(), cache_dir=cache, extract=True)
    assert os.listdir(path) == ["ok.txt"]
    assert not (cache / "datasets" / "escaped.txt").exists()

    zipped = tmp_path / "evil.zip"
    zipped.write_bytes(make_zip({"ok.txt": b"1", "../escaped-zip.txt": b"2"}))
    with pytest.warns(UserWarning, match="escaped-zip.txt"):
        path = get_file("evilzip", origin=zipped.as_uri(), cache_dir=cache, extract=True)
    assert os.listdir(path) == ["ok.txt"]
    assert not (cache / "datasets" / "escaped-zip.txt").exists()


def test_hash_mismatch_names_both_hashes_and_keeps_nothing(tmp_path, server):
    folder, base_url, _ = server
    (folder / "f.txt").write_bytes(b"actual")
    wrong = sha256(b"expected")
    with pytest.raises(ValueError) as error:
        get_file(origin=base_url + "f.txt", cache_dir=tmp_path, file_hash=wrong)
    assert wrong in str(error.value)
    assert sha256(b"actual") in str(error.value)
    assert "sha256" in str(error.value)
    assert os.listdir(tmp_path / "datasets") == []

    md5_wrong = hashlib.md5(b"expected").hexdigest()
    with pytest.raises(ValueError, match=hashlib.md5(b"actual").hexdigest()):
        get_file(origin=base_url + "f.txt", cache_dir=tmp_path, file_hash=md5_wrong)


def test_offline_and_not_cached_names_the_url_and_the_cache_path(tmp_path, offline):
    url = "https://storage.example.com/data/mnist.npz"
    digest = sha256(b"anything")
    with pytest.raises(OSError) as error:
        get_file(origin=url, cache_dir=tmp_path, file_hash=digest)
    message = str(error.value)
    assert url in message
    assert str(tmp_path / "datasets" / "mnist.npz") in message
    assert digest in message
    assert "network is unreachable" in message
    assert os.listdir(tmp_path / "datasets") == []


def test_http_error_names_the_status(tmp_path, server):
    _, base_url, _ = server
    with pytest.raises(OSError, match="404"):
        get_file(origin=base_url + "missing.txt", cache_dir=tmp_path)


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="origin"):
        get_file("x.txt", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="fname=a/b.txt"):
        get_file("a/b.txt", origin="https://example.com/b.txt", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="file name"):
        get_file(origin="https://example.com/", cache_dir=tmp_path)


def test_validate_file_picks_the_algorithm_by_hash_length(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert file_utils.validate_file(path, sha256(b"abc"))
    assert file_utils.validate_file(path, hashlib.md5(b"abc").hexdigest())
    assert not file_utils.validate_file(path, sha256(b"abd"))
    assert file_utils.hash_file(path, "md5") == hashlib.md5(b"abc").hexdigest()


@pytest.mark.parametrize("extract", [False, True])
def test_same_cache_layout_as_keras(tmp_path, extract):
    reference = pytest.importorskip("keras")
    source = tmp_path / "bundle.tar.gz"
    source.write_bytes(make_tar_gz({"inner/f.txt": b"F"}))
    for index, fname in enumerate(("bundle", "bundle.tar.gz", None)):
        ours_dir, theirs_dir = tmp_path / f"a{index}", tmp_path / f"b{index}"
        ours_dir.mkdir()
        theirs_dir.mkdir()  # Keras falls back to /tmp/.keras for a cache_dir that is missing.
        ours = get_file(fname, origin=source.as_uri(), cache_dir=ours_dir, extract=extract)
        theirs = reference.utils.get_file(
            fname, origin=source.as_uri(), cache_dir=theirs_dir, extract=extract
        )
        assert os.path.relpath(ours, ours_dir) == os.path.relpath(theirs, theirs_dir)
        assert sorted(os.listdir(ours_dir / "datasets")) == sorted(
            os.listdir(theirs_dir / "datasets")
        )
