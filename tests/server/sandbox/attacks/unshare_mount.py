"""Attack: make a user namespace (where one is root) and mount things, via ctypes.

The box's seccomp filter refuses unshare, setns, mount, umount, pivot_root, chroot, clone with
namespace flags, and clone3; the `unshare` program fails the same way.
"""

import ctypes
import os
import subprocess

NAME = "unshare_mount"
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
SIGCHLD = 17
MS_BIND = 4096
MS_REMOUNT = 32
SYSCALLS = {"x86_64": {"clone": 56, "clone3": 435}, "aarch64": {"clone": 220, "clone3": 435}}


def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    libc.syscall.restype = ctypes.c_long
    os.makedirs("/tmp/mnt", exist_ok=True)
    calls = {
        "unshare(CLONE_NEWUSER)": lambda: libc.unshare(CLONE_NEWUSER),
        "unshare(CLONE_NEWUSER|CLONE_NEWNS)": lambda: libc.unshare(CLONE_NEWUSER | CLONE_NEWNS),
        "unshare(CLONE_NEWNS)": lambda: libc.unshare(CLONE_NEWNS),
        "unshare(CLONE_NEWNET)": lambda: libc.unshare(CLONE_NEWNET),
        "mount tmpfs /tmp/mnt": lambda: libc.mount(b"tmpfs", b"/tmp/mnt", b"tmpfs", 0, None),
        "remount / read-write": lambda: libc.mount(None, b"/", None, MS_REMOUNT | MS_BIND, None),
        "mount proc /tmp/mnt": lambda: libc.mount(b"proc", b"/tmp/mnt", b"proc", 0, None),
        "umount2 /proc": lambda: libc.umount2(b"/proc", 2),
        "chroot /tmp": lambda: libc.chroot(b"/tmp"),
        "setns /proc/1/ns/mnt": lambda: setns("/proc/1/ns/mnt", libc),
    }
    results, succeeded = {}, []
    for name, call in calls.items():
        ctypes.set_errno(0)
        result = call()
        results[name] = f"returned {result} ({os.strerror(ctypes.get_errno())})"
        if result == 0:
            succeeded.append(name)
    machine = os.uname().machine
    numbers = SYSCALLS.get(machine)
    if numbers:
        for flags_name, flags in (
            ("CLONE_NEWUSER", CLONE_NEWUSER),
            ("CLONE_NEWUSER|CLONE_NEWPID", CLONE_NEWUSER | CLONE_NEWPID),
        ):
            # A raw clone without a new stack behaves like fork: the child returns 0 here.
            ctypes.set_errno(0)
            child = libc.syscall(numbers["clone"], flags | SIGCHLD, 0, 0, 0, 0)
            if child == 0:
                os._exit(0)
            error = ctypes.get_errno()
            results[f"clone({flags_name})"] = f"returned {child} ({os.strerror(error)})"
            if child > 0:
                succeeded.append(f"clone({flags_name})")
                os.waitpid(child, 0)
        # clone3 takes its flags in a struct the seccomp filter cannot read.
        args = (ctypes.c_uint64 * 8)(CLONE_NEWUSER, 0, 0, 0, SIGCHLD, 0, 0, 0)
        ctypes.set_errno(0)
        child = libc.syscall(numbers["clone3"], ctypes.byref(args), ctypes.sizeof(args))
        if child == 0:
            os._exit(0)
        results["clone3(CLONE_NEWUSER)"] = f"returned {child} ({os.strerror(ctypes.get_errno())})"
        if child > 0:
            succeeded.append("clone3(CLONE_NEWUSER)")
            os.waitpid(child, 0)
    for command in (["unshare", "-U", "-r", "id", "-u"], ["unshare", "-m", "true"]):
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=10)
            results[" ".join(command)] = (run.returncode, (run.stdout + run.stderr)[-200:])
            if run.returncode == 0:
                succeeded.append(" ".join(command))
        except OSError as exc:
            results[" ".join(command)] = f"{type(exc).__name__}: {exc}"
    report(bool(succeeded), {"succeeded": succeeded, "results": results})


def setns(path, libc):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        ctypes.set_errno(exc.errno)
        return -1
    try:
        return libc.setns(fd, 0)
    finally:
        os.close(fd)


attack()
