"""Attack: kill -9 every process in sight, everything at once (kill -1), and another tenant.

The test writes the victim box's host pids (its launcher and its payload) into this source
("VICTIM_PID"). A box has its own PID namespace: host pids name nothing (or, by chance, one of
the box's own processes), and the test checks that the victim lives on.
"""

import os
import signal

NAME = "signal_others"
victim_pids = "VICTIM_PID"


def send(pid, sig):
    try:
        os.kill(pid, sig)
        return "sent"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror}"


def attack():
    if isinstance(victim_pids, str):
        raise RuntimeError("the test did not fill in the placeholders")
    own = os.getpid()
    visible = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    to_victim = {pid: send(pid, signal.SIGKILL) for pid in victim_pids}
    # A host pid that is also one of the box's own pids is no way out.
    reached = [pid for pid, result in to_victim.items() if result == "sent" and pid not in visible]
    everyone = {pid: send(pid, signal.SIGKILL) for pid in visible if pid != own}
    everyone["-1"] = send(-1, signal.SIGKILL)
    report(
        bool(reached),
        {"visible": visible, "victim": to_victim, "reached": reached, "everyone": everyone},
    )


attack()
