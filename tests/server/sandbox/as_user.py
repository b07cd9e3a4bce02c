"""Runs a command as an ordinary uid that can still reach this interpreter.

Usage (as root): `unshare -m --propagation private python as_user.py UID -- COMMAND...`

The interpreter often lives in a home folder other users cannot enter (pyenv under a mode-700
/root). In its private mount namespace this helper covers every such home with a fresh tmpfs
that shows only the folders the interpreter needs (bind-mounted back at their own paths), then
becomes `UID` with no groups and no capabilities (`setpriv`) and execs COMMAND.
"""

from __future__ import annotations

import importlib.util
import os
import site
import subprocess
import sys
import tempfile


def needed_paths() -> list[str]:
    """The folders of the interpreter, the installed packages, Horn's packages and this file."""
    paths = {
        os.path.dirname(os.path.abspath(__file__)),
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))),
        *site.getsitepackages(),
    }
    for package in ("server", "kerascore"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            paths.update(spec.submodule_search_locations)
    return sorted({os.path.realpath(path) for path in paths if os.path.isdir(path)})


def blocked_home(path: str) -> tuple[str, str] | None:
    """(the first folder on `path` others cannot traverse, its child on the way to `path`)."""
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts)):
        folder = "/" + "/".join(parts[:depth])
        if not os.stat(folder).st_mode & 0o001:
            return folder, folder + "/" + parts[depth]
    return None


def expose(paths: list[str]) -> list[str]:
    """Covers each home above `paths` with a tmpfs that shows only what the paths need."""
    shown: dict[str, set[str]] = {}
    for path in paths:
        found = blocked_home(path)
        if found is not None:
            shown.setdefault(found[0], set()).add(found[1])
    for home, children in shown.items():
        hold = tempfile.mkdtemp(prefix="horn-hold-")
        held = []
        for index, child in enumerate(sorted(children)):
            target = os.path.join(hold, str(index))
            os.mkdir(target)
            subprocess.run(["mount", "--bind", child, target], check=True)
            held.append((target, child))
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", home], check=True)
        for target, child in held:
            os.makedirs(child, mode=0o755)
            subprocess.run(["mount", "--move", target, child], check=True)
            os.rmdir(target)
        os.rmdir(hold)
    return sorted(shown)


def main() -> None:
    uid = int(sys.argv[1])
    if sys.argv[2] != "--":
        sys.exit("usage: as_user.py UID -- COMMAND...")
    expose(needed_paths())
    os.execvp(
        "setpriv",
        [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            *sys.argv[3:],
        ],
    )


if __name__ == "__main__":
    main()
