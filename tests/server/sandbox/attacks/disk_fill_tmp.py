"""Attack: fill /tmp and /dev/shm (tmpfs, counted against the host's memory).

Both are size-capped tmpfs mounts of the box: writing must fail with ENOSPC long before the
256 MiB this attack tries; the test compares what it wrote with the box's tmp_mb.
"""

import errno
import os

NAME = "disk_fill_tmp"
TRY_MB = 256


def fill(folder):
    chunk = b"x" * (1 << 20)
    path = os.path.join(folder, "fill.bin")
    written, error = 0, None
    try:
        with open(path, "wb") as file:
            for _ in range(TRY_MB):
                file.write(chunk)
                file.flush()
                written += len(chunk)
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
    finally:
        if os.path.exists(path):
            os.remove(path)
    return {"written_mb": written / (1 << 20), "error": error}


def attack():
    results = {folder: fill(folder) for folder in ("/tmp", "/dev/shm")}
    escaped = any(result["error"] is None for result in results.values())
    report(escaped, results)


attack()
