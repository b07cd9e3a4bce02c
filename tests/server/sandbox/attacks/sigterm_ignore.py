"""Attack: ignore SIGTERM (and SIGINT, SIGHUP) and keep running, with a child doing the same.

`BoxProcess.stop(grace_s=0.5)` must still end the box within a few seconds and leave no
`horn-sigterm` process behind.
"""

import ctypes
import os
import signal
import time

NAME = "sigterm_ignore"
PR_SET_NAME = 15


def attack():
    ctypes.CDLL(None).prctl(PR_SET_NAME, b"horn-sigterm", 0, 0, 0)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        os.setsid()
    else:
        # Whether it escaped shows only when the test stops the box.
        report(False, {"ignoring": ["SIGTERM", "SIGINT", "SIGHUP"], "child": child})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.01)
    os._exit(0)


attack()
