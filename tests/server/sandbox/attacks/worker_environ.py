"""Attack: find the worker's secrets (its HORN_* variables) in this process or any other.

The test sets HORN_TEST_SECRET in the worker's environment; a box starts with a fresh
environment, so neither os.environ nor any /proc/*/environ or cmdline may hold it.
"""

import os

NAME = "worker_environ"
SECRET = "HORN_TEST_SECRET"


def attack():
    found = [f"os.environ:{name}" for name in os.environ if name.startswith("HORN_")]
    if SECRET in os.environ:
        found.append(f"os.environ:{SECRET}")
    searched = []
    places = ["/proc/self/environ", "/proc/1/environ", "/proc/self/cmdline"]
    places += [
        f"/proc/{pid}/{what}"
        for pid in os.listdir("/proc")
        if pid.isdigit()
        for what in ("environ", "cmdline")
    ]
    for path in places:
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError:
            continue
        searched.append(path)
        if b"HORN_" in data or SECRET.encode() in data:
            found.append(path)
    report(bool(found), {"found": found, "searched": searched, "environ": sorted(os.environ)})


attack()
