"""Attack: a fork bomb (capped at 2000 processes, all named `horn-forkbomb`).

The box's process limit (a pids cgroup, else RLIMIT_NPROC) must make fork fail, or the
launcher must end the box with limit `too_many_processes`, long before 2000.
"""

import ctypes
import os
import time

NAME = "fork_bomb"
PR_SET_NAME = 15
CAP = 2000


def attack():
    ctypes.CDLL(None).prctl(PR_SET_NAME, b"horn-forkbomb", 0, 0, 0)
    forked, error = 0, None
    started = time.monotonic()
    while forked < CAP:
        try:
            pid = os.fork()
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc.strerror}"
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        forked += 1
    report(
        error is None,
        {"forked": forked, "error": error, "seconds": round(time.monotonic() - started, 2)},
    )
    time.sleep(1)  # a polling process limit gets its chance before the box ends


attack()
