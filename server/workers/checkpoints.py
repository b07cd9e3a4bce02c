"""Checkpoints out of a runner's box: copied, never trusted, never moved.

The runner's work folder belongs to the box's user: anything in it may be a link, a FIFO or a
file another process still writes. A checkpoint is read through descriptors that follow no link
(its folder included: a link to another job's checkpoints would hand them over) and copied into
a fresh file of the worker's under a temporary name, then renamed; the runner's file is removed
after.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import stat
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
        os.chmod(dest, 0o644)  # a resumed runner reads it as the box's user
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
