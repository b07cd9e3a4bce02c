"""Attack: leave a daemon behind (double fork + setsid) that outlives the job.

The daemon ignores SIGTERM and SIGHUP, names itself `horn-daemon` and appends to `heartbeat`
in the work folder every 50 ms for a minute. When the box's command ends, the box's PID
namespace ends with it: the test checks that the heartbeat stops and no `horn-daemon` is left.
"""

import ctypes
import os
import signal
import time

NAME = "daemon"
PR_SET_NAME = 15


def daemon(heartbeat):
    ctypes.CDLL(None).prctl(PR_SET_NAME, b"horn-daemon", 0, 0, 0)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(heartbeat, "a") as file:
            file.write(".")
        time.sleep(0.05)


def attack():
    heartbeat = os.path.join(os.getcwd(), "heartbeat")
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() > 0:
            os._exit(0)
        try:
            daemon(heartbeat)
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if os.path.exists(heartbeat) and os.path.getsize(heartbeat) >= 3:
            break
        time.sleep(0.02)
    beats = os.path.getsize(heartbeat) if os.path.exists(heartbeat) else 0
    # Whether it escaped shows only after the box ended: the test watches the heartbeat.
    report(False, {"daemon_started": beats >= 3, "beats": beats})


attack()
