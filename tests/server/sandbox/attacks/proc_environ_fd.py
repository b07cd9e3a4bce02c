"""Attack: read other processes' environments and open their file descriptors via /proc.

A box has its own /proc (its own PID namespace): it may see its init and itself, with no
HORN_* variable in any environment, and no descriptor that leads outside the box.
"""

import os
import stat

NAME = "proc_environ_fd"
# Descriptor targets that are no way out of the box: its own files, pipes, sockets, anon inodes.
HARMLESS = ("/job/", "/tmp/", "/dev/", "pipe:", "socket:", "anon_inode:", "/proc/")


def attack():
    own = os.getpid()
    pids = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    environments, secrets, descriptors, ways_out, refused = {}, [], {}, [], {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/environ", "rb") as file:
                names = [item.split(b"=", 1)[0].decode() for item in file.read().split(b"\0")]
            environments[pid] = [name for name in names if name]
            secrets += [f"{pid}:{name}" for name in names if name.startswith("HORN_")]
        except OSError as exc:
            refused[f"{pid}/environ"] = f"{type(exc).__name__}: {exc.strerror}"
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError as exc:
            refused[f"{pid}/fd"] = f"{type(exc).__name__}: {exc.strerror}"
            continue
        for fd in fds:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                target = os.readlink(path)
            except OSError:
                continue
            descriptors[f"{pid}:{fd}"] = target
            if pid == own:
                continue
            try:
                opened = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                kind = os.fstat(opened).st_mode
                if stat.S_ISDIR(kind) or (stat.S_ISREG(kind) and not target.startswith(HARMLESS)):
                    ways_out.append(f"{path} -> {target}")
            finally:
                os.close(opened)
    escaped = bool(secrets) or bool(ways_out)
    report(
        escaped,
        {
            "pids": pids,
            "secrets": secrets,
            "ways_out": ways_out,
            "environments": environments,
            "descriptors": descriptors,
            "refused": refused,
        },
    )


attack()
