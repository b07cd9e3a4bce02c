"""Attack: read another tenant's job folder and the service's data folder.

The test writes the victim's host paths into this source (the "VICTIM_DIR" and "DATA_DIR"
placeholders). They must not be readable or listable from the box, directly or through
/proc/*/root or /proc/*/cwd.
"""

import os

NAME = "data_dir"
victim_dir = "VICTIM_DIR"
data_dir = "DATA_DIR"


def attack():
    if victim_dir == "VICTIM" + "_DIR" or data_dir == "DATA" + "_DIR":
        raise RuntimeError("the test did not fill in the placeholders")
    targets = [
        data_dir,
        data_dir + "/horn.db",
        data_dir + "/jobs",
        os.path.dirname(victim_dir),
        victim_dir,
        victim_dir + "/checkpoint.bin",
        victim_dir + "/notes.txt",
    ]
    prefixes = ["", "/proc/self/root", "/proc/1/root", "/proc/1/cwd/../../..", "/job/work/../.."]
    got, refused = {}, {}
    for prefix in prefixes:
        for target in targets:
            path = prefix + target
            try:
                if os.path.isdir(path):
                    got[path] = sorted(os.listdir(path))
                else:
                    with open(path, "rb") as file:
                        got[path] = file.read(256).decode(errors="replace")
            except OSError as exc:
                refused[path] = f"{type(exc).__name__}: {exc.strerror}"
    # What the box shows of the parents of the victim's folder (its own /tmp, say) is no leak.
    parents = {}
    parent = os.path.dirname(os.path.dirname(victim_dir))
    while parent not in ("/", ""):
        try:
            parents[parent] = sorted(os.listdir(parent))[:20]
        except OSError as exc:
            parents[parent] = f"{type(exc).__name__}: {exc.strerror}"
        parent = os.path.dirname(parent)
    report(bool(got), {"got": got, "refused": len(refused), "parents": parents})


attack()
