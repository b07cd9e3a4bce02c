"""`get_file`: download a file once into the Keras cache, check its hash, extract archives."""

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from kerascore.utils.progbar import Progbar

_DOWNLOAD_CHUNK_BYTES = 1 << 16


def keras_home():
    """Returns the Keras cache root: `$KERAS_HOME` if set, `~/.keras` otherwise."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def resolve_hasher(algorithm, file_hash=None):
    """Returns a fresh hashlib object: sha256 for `"sha256"` or a 64-character `"auto"` hash,
    md5 otherwise (as Keras does)."""
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """Returns the hex digest of the file at `fpath`.

    Args:
        fpath: Path to the file.
        algorithm: `"sha256"`, `"md5"`, `"auto"` (sha256) or a hashlib object.
        chunk_size: Bytes read at a time.
    """
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Returns whether the file at `fpath` has the sha256 or md5 hash `file_hash`.

    Args:
        fpath: Path to the file.
        file_hash: Expected hex digest.
        algorithm: `"sha256"`, `"md5"`, or `"auto"` (sha256 for a 64-character hash, md5
            otherwise).
        chunk_size: Bytes read at a time.
    """
    hasher = resolve_hasher(algorithm, file_hash)
    return hash_file(fpath, hasher, chunk_size) == str(file_hash)


def _hash_name(algorithm, file_hash):
    return resolve_hasher(algorithm, file_hash).name


def _inside(base_dir, relative_path):
    path = os.path.realpath(os.path.join(base_dir, relative_path))
    try:
        return os.path.commonpath([path, base_dir]) == base_dir
    except ValueError:  # Different drives on Windows.
        return False


def _safe_zip_members(archive, base_dir):
    for info in archive.infolist():
        if _inside(base_dir, info.filename):
            yield info
        else:
            warnings.warn(
                f"Skipping archive member '{info.filename}': it would land outside {base_dir}.",
                stacklevel=3,
            )


def _safe_tar_members(archive, base_dir):
    for info in archive:
        if info.islnk():
            safe = _inside(base_dir, info.name) and _inside(base_dir, info.linkname)
        elif info.issym():
            # A symlink's target resolves relative to the folder holding the link.
            safe = _inside(base_dir, info.name) and _inside(
                base_dir, os.path.join(os.path.dirname(info.name), info.linkname)
            )
        else:
            safe = (info.isfile() or info.isdir()) and _inside(base_dir, info.name)
        if safe:
            yield info
        else:
            warnings.warn(
                f"Skipping archive member '{info.name}': it would land outside {base_dir} "
                "or is not a regular file, folder or link.",
                stacklevel=3,
            )


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extracts a tar (`.tar`, `.tar.gz`, `.tar.bz2`) or zip archive into `path`.

    Members that would land outside `path` (absolute names, `..`, links pointing out) are
    skipped with a warning.

    Args:
        file_path: Path to the archive.
        path: Folder to extract into.
        archive_format: `"auto"` (tar, then zip), `"tar"`, `"zip"`, a list of those, or `None`.

    Returns:
        `True` if the file matched one of the formats and was extracted, `False` otherwise.

    Raises:
        ValueError: for an unknown `archive_format`.
    """
    if not archive_format:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = os.fspath(file_path), os.fspath(path)
    for archive_type in archive_format:
        if archive_type not in ("tar", "zip"):
            raise ValueError(
                'Expected archive_format to be "auto", "tar", "zip" or a list of those. '
                f"Received: archive_format={archive_type!r}"
            )
        is_tar = archive_type == "tar"
        if not (tarfile.is_tarfile(file_path) if is_tar else zipfile.is_zipfile(file_path)):
            continue
        os.makedirs(path, exist_ok=True)
        base_dir = os.path.realpath(path)
        try:
            if is_tar:
                with tarfile.open(file_path) as archive:
                    # The "data" filter (Python 3.12, backported to 3.10.12) is a second guard.
                    extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    archive.extractall(path, members=_safe_tar_members(archive, base_dir), **extra)
            else:
                with zipfile.ZipFile(file_path) as archive:
                    archive.extractall(path, members=_safe_zip_members(archive, base_dir))
        except (tarfile.TarError, zipfile.BadZipFile, RuntimeError, KeyboardInterrupt):
            # A half-extracted folder would pass for a complete one on the next call.
            shutil.rmtree(path, ignore_errors=True)
            raise
        return True
    return False


def _cache_folder(cache_dir, cache_subdir):
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    with contextlib.suppress(OSError):  # An unwritable parent is handled by the fallback below.
        os.makedirs(base, exist_ok=True)
    if not os.access(base, os.W_OK):
        # Same fallback as Keras: a read-only home still gets a usable cache.
        base = os.path.join(tempfile.gettempdir(), ".keras")
    folder = os.path.join(base, cache_subdir)
    os.makedirs(folder, exist_ok=True)
    return folder


def _download(origin, target, file_hash, hash_algorithm):
    """Streams `origin` to a temporary file beside `target`, checks the hash, then renames it
    onto `target` so an interrupted download never leaves a half file in the cache."""
    print(f"Downloading data from {origin}")
    folder = os.path.dirname(target)
    handle, partial = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                response = urllib.request.urlopen(origin)
            except urllib.error.HTTPError as error:
                reason = f"HTTP {error.code} {error.msg}"
                raise _fetch_error(origin, target, file_hash, reason) from error
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise _fetch_error(origin, target, file_hash, str(reason)) from error
            with response:
                length = response.headers.get("Content-Length")
                progbar = Progbar(int(length) if length else None, unit_name="byte")
                received = 0
                for chunk in iter(lambda: response.read(_DOWNLOAD_CHUNK_BYTES), b""):
                    out.write(chunk)
                    received += len(chunk)
                    progbar.update(received)
                progbar.update(received, finalize=True)
        if file_hash is not None and not validate_file(partial, file_hash, hash_algorithm):
            actual = hash_file(partial, resolve_hasher(hash_algorithm, file_hash))
            raise ValueError(
                f"Incomplete or corrupted file downloaded from {origin}: its "
                f"{_hash_name(hash_algorithm, file_hash)} hash is {actual}, expected {file_hash}. "
                "The file was not kept; check the URL and the expected hash."
            )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _fetch_error(origin, target, file_hash, reason):
    expected = f" with hash {file_hash}" if file_hash else ""
    return OSError(
        f"URL fetch failure on {origin}: {reason}. No usable copy is cached at {target}. On a "
        f"machine without internet access, copy the file{expected} there and call again: a "
        "cached file is used without any network access."
    )


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from a URL unless it is already in the cache, and returns its path.

    The file lands in `<cache_dir>/<cache_subdir>/<fname>`; `cache_dir` defaults to
    `$KERAS_HOME` or `~/.keras`. A file already there (with the right hash, when one is given)
    is returned without any network access. Archives are extracted when `extract=True`.

    Args:
        fname: Local file name; defaults to the last part of `origin`'s path. With
            `extract=True`, a name without an extension names the extraction folder.
        origin: URL of the file (`https://`, `http://`, `file://`).
        untar: Deprecated: same as `extract=True, archive_format="tar"`.
        md5_hash: Deprecated: same as `file_hash` with `hash_algorithm="md5"`.
        file_hash: Expected sha256 or md5 hex digest of the file.
        cache_subdir: Folder under the cache root; an absolute path is used as is.
        hash_algorithm: `"sha256"`, `"md5"` or `"auto"` (decided by the hash's length).
        extract: Whether to extract the file as a tar or zip archive.
        archive_format: `"auto"`, `"tar"`, `"zip"`, a list of those, or `None`.
        cache_dir: Cache root; defaults to `$KERAS_HOME` or `~/.keras`.
        force_download: Download again even if the file is cached.

    Returns:
        Path to the file, or to the extraction folder when `extract` or `untar` is set.

    Raises:
        ValueError: without `origin`, with a path as `fname`, or when the downloaded file's
            hash differs from `file_hash`.
        OSError: when the file is not cached and cannot be downloaded; the message names the
            URL and the path to copy the file to.

    Example:

    ```python
    path = get_file(origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz")
    ```
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = _cache_folder(cache_dir, cache_subdir)

    provided_fname = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. "
                "Please specify the `fname` argument."
            )
    elif os.sep in fname:
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's "
            f"parent directory, use the `cache_dir` argument. Received: fname={fname}"
        )

    # Names as Keras 3 lays them out, so a cache filled by Keras is found here and vice versa.
    if extract or untar:
        if provided_fname and "." in fname:
            download_target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            download_target = os.path.join(datadir, f"{fname}_archive")
    else:
        download_target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(download_target)
    if (
        not download
        and file_hash is not None
        and not validate_file(download_target, file_hash, algorithm=hash_algorithm)
    ):
        print(
            f"A local file was found at {download_target}, but its "
            f"{_hash_name(hash_algorithm, file_hash)} hash does not match the expected "
            f"value {file_hash}, so it will be downloaded again."
        )
        download = True
    if download:
        _download(origin, download_target, file_hash, hash_algorithm)

    if extract or untar:
        if untar:
            archive_format = "tar"
        if not extract_archive(download_target, extraction_dir, archive_format):
            warnings.warn(
                f"Could not extract {download_target} as archive_format={archive_format!r}.",
                stacklevel=2,
            )
        return extraction_dir
    return download_target
