"""Files Horn keeps: datasets, model sources, checkpoints, logs, exports.

Every file has a path relative to the data dir, which the database stores and which is also its
key in the object store (`server.store.objects`): the data dir itself by default, or an
S3-compatible bucket (`HORN_ARTIFACTS_URL`), in which case the data dir is this process's
working area and cache. Layout (relative to the root):

    tenants/<tenant_id>/datasets/<dataset_id>.npz
    tenants/<tenant_id>/models/<model_id>.py
    jobs/<job_id>/runner.log
    jobs/<job_id>/checkpoints/epoch-0001.keras
    jobs/<job_id>/export/

Every local write goes to a temporary name in the destination's folder and is renamed into
place, so a reader never sees a half-written file; `put` then stores the complete file (a no-op
for the data dir, a managed multipart upload for S3), and `fetch` brings an object into place
before a box or a predictor reads it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import stat
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.store.objects import (
    LocalObjectStore,
    ObjectInfo,
    ObjectStore,
    make_object_store,
)

CHUNK_SIZE = 1024 * 1024


class UploadTooLargeError(Exception):
    """An upload went past the size limit while it was being streamed."""

    def __init__(self, limit_bytes: int):
        self.limit_bytes = limit_bytes
        super().__init__(
            f"The upload is larger than the limit of {limit_bytes} bytes "
            f"({limit_bytes / 1024 / 1024:g} MiB). Upload a smaller file or raise "
            "HORN_MAX_UPLOAD_MB."
        )


@dataclass(frozen=True)
class StoredFile:
    """A file written by `ArtifactStore`: its path, sha256 (hex) and size."""

    path: Path
    sha256: str
    size_bytes: int


class PendingUpload:
    """A streamed upload in a temporary file, hashed and size-checked as it is written.

    Use `commit(dest)` to rename it into place or `discard()` to delete it; `discard` after
    `commit` does nothing, so `try: ... finally: upload.discard()` leaves nothing behind.
    """

    def __init__(self, temp_path: Path, limit_bytes: int | None):
        self.temp_path = temp_path
        self.limit_bytes = limit_bytes
        self.size_bytes = 0
        self._hash = hashlib.sha256()
        # Held open across write() calls; commit() or discard() closes it.
        self._file = open(temp_path, "xb")  # noqa: SIM115
        self._done = False

    def write(self, chunk: bytes) -> None:
        """Appends a chunk; raises `UploadTooLargeError` as soon as the limit is passed."""
        self.size_bytes += len(chunk)
        if self.limit_bytes is not None and self.size_bytes > self.limit_bytes:
            raise UploadTooLargeError(self.limit_bytes)
        self._hash.update(chunk)
        self._file.write(chunk)

    @property
    def sha256(self) -> str:
        """The hex sha256 of what was written so far."""
        return self._hash.hexdigest()

    def close(self) -> None:
        """Flushes and closes the temporary file (it stays on disk)."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def commit(self, dest: Path) -> StoredFile:
        """Renames the temporary file to `dest` (same folder or file system) and returns it."""
        self.close()
        dest.parent.mkdir(parents=True, exist_ok=True)
        # Readable by a box's user (a bound dataset, a checkpoint to resume) and by the data
        # dir's owner; the private folders above keep everyone else out.
        os.chmod(self.temp_path, 0o644)
        os.replace(self.temp_path, dest)
        self._done = True
        return StoredFile(path=dest, sha256=self.sha256, size_bytes=self.size_bytes)

    def discard(self) -> None:
        """Deletes the temporary file unless it was committed."""
        if self._done:
            return
        if not self._file.closed:
            self._file.close()
        self.temp_path.unlink(missing_ok=True)
        self._done = True


def ensure_private_folder(path: Path) -> Path:
    """Creates `path` (mode 700) or takes group and other permissions off it.

    The data dir holds every tenant's files, the database and the API key: nobody but Horn's
    own user reads it. A shared folder (sticky bit, like /tmp) or another user's is left as it
    is.

    Returns:
        The folder.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.geteuid() and info.st_mode & 0o077 and not info.st_mode & stat.S_ISVTX:
        os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    return path


# A temporary file untouched this long belongs to a write that died.
TEMP_FILE_MAX_AGE_S = 3600.0
TEMP_SWEEP_INTERVAL_S = 600.0


# Most keys whose last fetch `fetch(..., recheck_s=...)` remembers.
MAX_REMEMBERED_FETCHES = 10_000


class ArtifactStore:
    """Paths, atomic writes and the object store of every file Horn keeps.

    Args:
        root: the root folder (`Settings.data_dir`); created if missing. With a remote object
            store it is this process's working area and cache.
        objects: where the files are kept; default the root folder itself
            (`LocalObjectStore`).
    """

    def __init__(self, root: str | os.PathLike[str], objects: ObjectStore | None = None):
        self.root = ensure_private_folder(Path(root).expanduser().resolve())
        self.objects = objects if objects is not None else LocalObjectStore(self.root)
        self._fetched_at: dict[str, float] = {}
        info = self.root.stat()
        # Workers and serving processes run as root (to build boxes); the API may run as the
        # data dir's owner (compose: uid 10001). What root writes is handed over to that owner.
        self._owner = (info.st_uid, info.st_gid) if os.geteuid() == 0 and info.st_uid != 0 else None

    def hand_over(self, path: str | os.PathLike[str]) -> None:
        """Gives a file or folder root wrote under the root, and the folders above it, to the
        data dir's owner, so an API running as that user can read it.

        Does nothing unless this process is root and the data dir belongs to another user.
        Only root-owned entries change: a box's work folder keeps its own uid.
        """
        if self._owner is None:
            return
        current = Path(path)
        while current != self.root and self.root in current.parents:
            with contextlib.suppress(FileNotFoundError):
                if os.lstat(current).st_uid == 0:
                    os.lchown(current, *self._owner)
            current = current.parent

    @classmethod
    def from_settings(cls, settings: Any) -> ArtifactStore:
        """The store the settings select: `HORN_ARTIFACTS_URL` (S3), else `HORN_DATA_DIR`.

        Raises:
            ArtifactStoreUnavailableError: the bucket cannot be reached or refuses the
                credentials; the message names the setting to check.
        """
        root = Path(settings.data_dir).expanduser().resolve()
        store = cls(root, make_object_store(settings, root))
        store.objects.check()
        return store

    @property
    def is_remote(self) -> bool:
        """Whether files are kept outside the data dir (then the data dir is a cache)."""
        return self.objects.is_remote

    def key(self, path: str | os.PathLike[str]) -> str:
        """The object key of a file: its path relative to the root (absolute paths too)."""
        return self.relative(self.resolve(path))

    def resolve(self, relative: str | os.PathLike[str]) -> Path:
        """Returns the absolute path of a path stored relative to the root.

        Raises:
            ValueError: if the path leaves the root (e.g. `../x`).
        """
        path = (self.root / relative).resolve()
        if path != self.root and self.root not in path.parents:
            raise ValueError(f"Expected a path inside {self.root}. Received: {relative!s}")
        return path

    def relative(self, path: str | os.PathLike[str]) -> str:
        """Returns `path` relative to the root, as stored in the database."""
        return Path(path).resolve().relative_to(self.root).as_posix()

    def _tenant_dir(self, tenant_id: str) -> Path:
        """Folder of a tenant's uploads."""
        return self.root / "tenants" / _safe_name(tenant_id)

    def dataset_path(self, tenant_id: str, dataset_id: str) -> Path:
        """Where a dataset's `.npz` is stored."""
        return self._tenant_dir(tenant_id) / "datasets" / f"{_safe_name(dataset_id)}.npz"

    def model_source_path(self, tenant_id: str, model_id: str) -> Path:
        """Where a model source `.py` is stored."""
        return self._tenant_dir(tenant_id) / "models" / f"{_safe_name(model_id)}.py"

    def job_dir(self, job_id: str) -> Path:
        """A job's own folder (the runner's working directory)."""
        return self.root / "jobs" / _safe_name(job_id)

    def checkpoint_dir(self, job_id: str) -> Path:
        """Folder of a job's checkpoints."""
        return self.job_dir(job_id) / "checkpoints"

    def checkpoint_path(self, job_id: str, epoch: int) -> Path:
        """Checkpoint file of a job after `epoch` (1-based): `epoch-0001.keras`."""
        if epoch < 0:
            raise ValueError(f"Expected a non-negative epoch. Received: epoch={epoch}")
        return self.checkpoint_dir(job_id) / f"epoch-{epoch:04d}.keras"

    def log_path(self, job_id: str) -> Path:
        """The runner's log file of a job (stdout and stderr, tracebacks included)."""
        return self.job_dir(job_id) / "runner.log"

    def temp_path_for(self, dest: Path) -> Path:
        """A fresh temporary name in `dest`'s folder (created), for write-then-rename."""
        self._dir(dest.parent)
        return dest.parent / f".{dest.name}.{secrets.token_hex(6)}.tmp"

    def sweep_temp_files(self, older_than_s: float = TEMP_FILE_MAX_AGE_S) -> list[Path]:
        """Removes temporary files (`.<name>.<hex>.tmp`) older than `older_than_s` seconds.

        A process killed mid-write (an upload when the API died, a checkpoint copy when a worker
        did) leaves its temporary file; a live write keeps touching its file, so age tells them
        apart. The API sweeps at start and every `TEMP_SWEEP_INTERVAL_S`.

        Returns:
            The files removed.
        """
        cutoff = time.time() - older_than_s
        removed = []
        # Only Horn's own folders: never a box's work folder, where user code makes the files.
        patterns = (
            "tenants/*/datasets/.*.tmp",
            "tenants/*/models/.*.tmp",
            "jobs/*/.*.tmp",
            "jobs/*/checkpoints/.*.tmp",
            "tmp/.*.tmp",
        )
        for pattern in patterns:
            for path in self.root.glob(pattern):
                with contextlib.suppress(OSError):
                    info = path.lstat()
                    if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                        path.unlink()
                        removed.append(path)
        return removed

    def start_upload(self, dest: Path, limit_bytes: int | None = None) -> PendingUpload:
        """Opens a `PendingUpload` with a temporary file beside `dest`."""
        return PendingUpload(self.temp_path_for(dest), limit_bytes)

    async def write_stream(
        self, chunks: AsyncIterator[bytes], dest: Path, limit_bytes: int | None = None
    ) -> StoredFile:
        """Streams `chunks` into `dest` atomically, hashing and enforcing `limit_bytes`.

        Raises:
            UploadTooLargeError: as soon as more than `limit_bytes` arrived (nothing is kept).
        """
        upload = self.start_upload(dest, limit_bytes)
        try:
            async for chunk in chunks:
                upload.write(chunk)
            return upload.commit(dest)
        finally:
            upload.discard()

    def write_bytes_atomic(self, dest: Path, data: bytes) -> StoredFile:
        """Writes `data` to `dest` through a temporary file and a rename."""
        upload = self.start_upload(dest)
        try:
            upload.write(data)
            stored = upload.commit(dest)
        finally:
            upload.discard()
        self.hand_over(dest)
        return stored

    def write_chunks_atomic(self, dest: Path, chunks: Iterable[bytes]) -> StoredFile:
        """Writes `chunks` to `dest` through a temporary file and a rename."""
        upload = self.start_upload(dest)
        try:
            for chunk in chunks:
                upload.write(chunk)
            stored = upload.commit(dest)
        finally:
            upload.discard()
        self.hand_over(dest)
        return stored

    def put(self, path: str | os.PathLike[str]) -> None:
        """Stores the complete local file `path` (under the root) under its key.

        A no-op for the data dir; an upload (multipart when large) for S3, after which the
        local file stays as a current cached copy.

        Raises:
            ArtifactStoreUnavailableError: the object store cannot be reached.
        """
        local = self.resolve(path)
        self.objects.put_file(self.relative(local), local)

    def evict(self, path: str | os.PathLike[str]) -> None:
        """Drops the local cached copy of a file (or folder) kept in a remote store; a no-op
        when the data dir is the store."""
        if not self.is_remote:
            return
        target = self.resolve(path)
        if target == self.root:
            raise ValueError(f"Refusing to delete the artifact root {self.root}.")
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
        self._fetched_at.pop(self.relative(target), None)

    def fetch(self, path: str | os.PathLike[str], recheck_s: float = 0.0) -> Path:
        """Returns the local path of a stored file, downloading it first when the local copy
        is missing or stale (into place atomically: a temporary name, then a rename).

        Args:
            path: the file (relative to the root, as the database stores it, or absolute).
            recheck_s: a copy this process fetched less than `recheck_s` seconds ago is used
                without asking the object store again (the serving process's predictions).

        Raises:
            ArtifactMissingError: the store has no such file (a `FileNotFoundError`).
            ArtifactStoreUnavailableError: the object store cannot be reached.
        """
        local = self.resolve(path)
        key = self.relative(local)
        fetched_at = self._fetched_at.get(key)
        recent = fetched_at is not None and time.monotonic() - fetched_at < recheck_s
        if recent and self.is_remote and local.is_file():
            return local
        self.objects.fetch(key, local)
        if self.is_remote:
            if len(self._fetched_at) >= MAX_REMEMBERED_FETCHES:
                self._fetched_at.clear()
            self._fetched_at[key] = time.monotonic()
        return local

    def open_chunks(
        self, path: str | os.PathLike[str], start: int = 0, end: int | None = None
    ) -> Iterator[bytes]:
        """Streams a stored file, bytes `start` to `end` (inclusive; None: to its end), in
        chunks of at most 1 MiB; the file is opened before this returns.

        Raises:
            ArtifactMissingError: the store has no such file.
            ArtifactStoreUnavailableError: the object store cannot be reached.
        """
        return self.objects.open_chunks(self.key(path), start, end)

    def info(self, path: str | os.PathLike[str]) -> ObjectInfo | None:
        """Size and last change of a stored file; None when the store has none."""
        return self.objects.info(self.key(path))

    def delete(self, path: str | os.PathLike[str]) -> None:
        """Deletes a stored file or folder (absolute, or relative to the root): its objects
        and its local copy.

        Raises:
            ArtifactStoreUnavailableError: the object store cannot be reached.
        """
        target = self.resolve(path)
        if target == self.root:
            raise ValueError(f"Refusing to delete the artifact root {self.root}.")
        self.objects.delete(self.relative(target))
        self.evict(target)

    @staticmethod
    def _dir(path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        return path


def _safe_name(name: str) -> str:
    """Returns `name` if it is usable as one path component; raises ValueError otherwise."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise ValueError(f"Expected an id usable as a file name. Received: {name!r}")
    return name
