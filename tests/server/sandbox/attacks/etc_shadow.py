"""Attack: read the host's password hashes and other root-only files.

A box shows only its own /etc (a passwd with root, horn and nobody); the host's /etc/shadow
must be out of reach, directly or through /proc/*/root.
"""

NAME = "etc_shadow"
BOX_USERS = {"root", "horn", "nobody"}


def attack():
    read, refused = {}, {}
    paths = [
        "/etc/shadow",
        "/etc/gshadow",
        "/etc/sudoers",
        "/root/.bash_history",
        "/root/.ssh/id_rsa",
        "/proc/1/root/etc/shadow",
        "/proc/self/root/etc/shadow",
        "/oldroot/etc/shadow",
        "/../../etc/shadow",
    ]
    for path in paths:
        try:
            with open(path, "rb") as file:
                read[path] = file.read(4096).decode(errors="replace")
        except OSError as exc:
            refused[path] = f"{type(exc).__name__}: {exc.strerror}"
    # The box's own passwd is allowed; host accounts in it are not.
    host_users = []
    try:
        with open("/etc/passwd") as file:
            host_users = [line.split(":")[0] for line in file if line.strip()]
        host_users = [user for user in host_users if user not in BOX_USERS]
    except OSError:
        pass
    escaped = bool(read) or bool(host_users)
    report(escaped, {"read": read, "host_users": host_users, "refused": refused})


attack()
