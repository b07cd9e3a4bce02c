"""Files out of a box (checkpoints, exported models): copied, never trusted, never moved.

The runner's work folder belongs to the box's user: anything in it may be a link, a FIFO or a
file another process still writes. A checkpoint is read through descriptors that follow no link
(its folder included: a link to another job's checkpoints would hand them over) and copied into
a fresh file of the worker's under a temporary name, then renamed; the runner's file is removed
after.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import shutil
import stat
import tarfile
from pathlib import Path

from server.store.artifacts import ArtifactStore, StoredFile

logger = logging.getLogger("horn.worker")


class DiskFullError(Exception):
    """The host's disk filled while storing a checkpoint; nothing partial was kept."""


def copy_checkpoint_out(
    artifacts: ArtifactStore, source: Path, dest: Path, epoch: int
) -> StoredFile | None:
    """Copies the runner's checkpoint at `source` to `dest` (the job's checkpoint folder).

    Returns:
        The stored file, or None when `source` is not a plain file of the runner's folder (a
        link, a FIFO, missing): the event is logged and the epoch has no checkpoint.

    Raises:
        DiskFullError: the disk under `dest` filled; its message names the folder and the free
            space.
    """
    try:
        folder_fd = os.open(source.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        logger.warning("Cannot open checkpoint %s: %s", source, error)
        return None
    try:
        try:
            # O_NONBLOCK: opening a planted FIFO must not hang the worker.
            fd = os.open(source.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
        except OSError as error:
            logger.warning("Cannot open checkpoint %s: %s", source, error)
            return None
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                logger.warning("Checkpoint %s is not a plain file", source)
                return None
            try:
                stored = artifacts.write_chunks_atomic(dest, iter(lambda: file.read(1 << 20), b""))
            except OSError as error:
                if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                # The partial copy is gone (it was written under a temporary name).
                raise DiskFullError(disk_full_message(dest.parent, epoch)) from None
        with contextlib.suppress(OSError):
            os.unlink(source.name, dir_fd=folder_fd)
        return stored
    finally:
        os.close(folder_fd)


def disk_full_message(folder: Path, epoch: int) -> str:
    """The failure message of a job stopped because the host's disk under `folder` is full."""
    free = shutil.disk_usage(folder).free
    return (
        f"The disk holding {folder} is full ({free} bytes free) while saving epoch {epoch}; the "
        "job was stopped and nothing partial was kept. Free space on the worker and resubmit "
        "(it resumes from its last checkpoint)."
    )


def archive_box_folder(folder: Path, arcname: str, limit_bytes: int) -> bytes:
    """A `.tar.gz` of a folder a box wrote (an exported SavedModel), read without following links.

    Every folder and file is opened relative to its parent's descriptor with `O_NOFOLLOW`, so a
    link planted (or swapped in) by the box's code cannot hand over a file of the host; links,
    FIFOs and devices are left out.

    Raises:
        ValueError: the files add up to more than `limit_bytes`, or `folder` is not a folder.
    """
    buffer = io.BytesIO()
    total = 0
    flags = os.O_RDONLY | os.O_NOFOLLOW

    def add_folder(folder_fd: int, prefix: str, tar: tarfile.TarFile) -> None:
        nonlocal total
        for name in sorted(os.listdir(folder_fd)):
            member = f"{prefix}/{name}"
            info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                child = os.open(name, flags | os.O_DIRECTORY, dir_fd=folder_fd)
                try:
                    entry = tarfile.TarInfo(member)
                    entry.type, entry.mode, entry.mtime = tarfile.DIRTYPE, 0o755, int(info.st_mtime)
                    tar.addfile(entry)
                    add_folder(child, member, tar)
                finally:
                    os.close(child)
            elif stat.S_ISREG(info.st_mode):
                fd = os.open(name, flags | os.O_NONBLOCK, dir_fd=folder_fd)
                with os.fdopen(fd, "rb") as file:
                    opened = os.fstat(file.fileno())
                    if not stat.S_ISREG(opened.st_mode):
                        continue
                    total += opened.st_size
                    if total > limit_bytes:
                        raise ValueError(f"The export is larger than {limit_bytes} bytes.")
                    entry = tarfile.TarInfo(member)
                    entry.size, entry.mode = opened.st_size, 0o644
                    entry.mtime = int(opened.st_mtime)
                    tar.addfile(entry, file)

    root = os.open(folder, flags | os.O_DIRECTORY)
    try:
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            add_folder(root, arcname, tar)
    finally:
        os.close(root)
    return buffer.getvalue()
