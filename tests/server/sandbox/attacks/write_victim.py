"""Attack: write into another tenant's job folder and replace its checkpoint.

Every way in (the host path, /proc/1/root, a rename, a symlink, a chmod) must fail; the test
also compares the victim's folder byte for byte afterwards.
"""

import os

NAME = "write_victim"
victim_dir = "VICTIM_DIR"
data_dir = "DATA_DIR"


def overwrite(path):
    with open(path, "r+b") as file:
        file.write(b"POISONED")


def create(path):
    with open(path, "xb") as file:
        file.write(b"planted by another tenant")


def replace(path):
    fake = os.path.join(os.getcwd(), "fake-checkpoint.bin")
    with open(fake, "wb") as file:
        file.write(b"POISONED")
    try:
        os.replace(fake, path)
    finally:
        if os.path.exists(fake):
            os.remove(fake)


def attack():
    if victim_dir == "VICTIM" + "_DIR":
        raise RuntimeError("the test did not fill in the placeholders")
    done, refused = [], {}
    for prefix in ("", "/proc/self/root", "/proc/1/root", "/proc/1/cwd/../../.."):
        folder = prefix + victim_dir
        attempts = [
            ("overwrite", overwrite, folder + "/checkpoint.bin"),
            ("create", create, folder + "/planted.txt"),
            ("replace", replace, folder + "/checkpoint.bin"),
            ("symlink", lambda p: os.symlink("/etc/shadow", p), folder + "/link"),
            ("chmod", lambda p: os.chmod(p, 0o777), folder),
            ("unlink", os.unlink, folder + "/notes.txt"),
            ("create in data dir", create, prefix + data_dir + "/planted.txt"),
        ]
        for what, action, path in attempts:
            try:
                action(path)
                done.append(f"{what} {path}")
            except OSError as exc:
                refused[f"{what} {path}"] = f"{type(exc).__name__}: {exc.strerror}"
    report(bool(done), {"done": done, "refused": refused})


attack()
