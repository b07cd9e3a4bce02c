"""Attack: fill the host's disk through the work folder (512 MiB in 64 MiB files).

With a 64 MiB disk quota the launcher must end the box with limit `disk_quota` (it checks
twice a second, so the attack stays alive for 2 s after writing), or the writes must fail.
"""

import errno
import time

NAME = "disk_fill_work"
FILES = 8
FILE_MB = 64


def attack():
    chunk = b"x" * (1 << 20)
    written, error = 0, None
    try:
        for index in range(FILES):
            with open(f"fill-{index}.bin", "wb") as file:
                for _ in range(FILE_MB):
                    file.write(chunk)
                    written += len(chunk)
    except OSError as exc:
        error = errno.errorcode.get(exc.errno, str(exc.errno))
    if error is None:
        time.sleep(2)
    report(error is None, {"written_mb": written >> 20, "error": error})


attack()
