"""Attack: walk up from the work folder (`../..`) and look for other jobs' files.

Everything the box shows is walked except /proc, /sys, /dev and the read-only views of the
host's system and interpreter folders. Nothing of another job (its folder name, a checkpoint)
or of the data folder (horn.db) may turn up.
"""

import os
import sys

NAME = "walk_up"
victim_dir = "VICTIM_DIR"
data_dir = "DATA_DIR"
SKIPPED = {"/proc", "/sys", "/dev", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64"}


def attack():
    if victim_dir == "VICTIM" + "_DIR":
        raise RuntimeError("the test did not fill in the placeholders")
    wanted = {
        os.path.basename(os.path.dirname(victim_dir)),  # the victim job's folder
        "checkpoint.bin",
        "notes.txt",
        "horn.db",
        os.path.basename(data_dir),
    }
    skipped = SKIPPED | {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    start = os.path.join(os.getcwd(), "..", "..")
    found, walked = [], 0
    for folder, subfolders, files in os.walk(start):
        real = os.path.realpath(folder)
        subfolders[:] = [
            name for name in subfolders if os.path.join(real, name).rstrip("/") not in skipped
        ]
        walked += len(files) + len(subfolders)
        found += [os.path.join(real, n) for n in subfolders + files if n in wanted]
    report(bool(found), {"found": found, "entries_walked": walked, "start": start})


attack()
