"""The box: builds one isolated sandbox and runs one command in it (the launcher).

One file on purpose (880 lines): it runs as a script while privileged and may import nothing
but the standard library, so it cannot share helpers with the rest of the package.

Run as a script by a trusted parent (the worker or the predictor pool), never imported by user
code: `python -I -S server/workers/box.py --spec-fd N`. `-I -S` keeps the launcher's imports to
the interpreter's own standard library, so nothing from a writable folder runs while it still
holds privileges. It reads a JSON spec (see `BoxSpec` in `server.workers.sandbox`) from the fd,
then:

1. As root: takes a free uid from the sandbox range (an flock held until the box is gone), gives
   it the box's writable folders, and makes a cgroup (v2 where delegated, else v1 memory and
   pids) with the memory and process limits. As an ordinary user: a user namespace maps the
   user onto the box's uid 1000 instead (limits come from rlimits then).
2. Unshares mount, PID, IPC, UTS and (unless disabled) network namespaces, and forks the box's
   init (PID 1 of the new PID namespace).
3. The init builds a new root on a tmpfs: the interpreter, its standard library and
   site-packages, Horn's packages and the system libraries read-only at their own paths, a few
   files of /etc, the spec's binds (inputs read-only, the work folder read-write), a size-capped
   /tmp and /dev/shm, a minimal /dev and its own /proc; pivots into it and drops the old root.
4. It forks the payload, which drops every capability and its uid, sets no_new_privs, installs
   a seccomp filter (no namespaces, mounts, ptrace, bpf, keyrings, module or kexec calls), and
   execs the command. The init forwards SIGTERM/SIGINT to the payload, reaps orphans, and exits
   with the payload's status; the kernel then kills whatever is left in the PID namespace.
5. The launcher waits, enforcing the disk and process limits and the lifeline (when the parent
   closes its end, the box dies), then writes one JSON line on the status fd
   (`returncode`, `limit` hit or null, `uid`, `mode`, `cgroup`) and exits like the payload did.

Stdlib only, on purpose.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import platform
import random
import re
import resource
import select
import signal
import stat
import struct
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (
    CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
) | CLONE_NEWNET

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
MOUNT_FLAG_NAMES = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_KILL_PROCESS = 0x80000000

# The uid (and gid) user code has inside a box built by an ordinary user.
BOX_INNER_UID = 1000
BOX_HOSTNAME = "horn-box"
# Read-only views of the host that every box gets (when they exist on the host).
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_ENTRIES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "pki",
    "alternatives",
    "localtime",
    "nsswitch.conf",
)
DEVICES = ("null", "zero", "full", "random", "urandom")

# Denied inside the box (EPERM): namespaces and mounts, tracing other processes, kernel
# keyrings, BPF, perf, modules, kexec, raw handles, io_uring, clock and swap changes.
# System calls added since Linux 5.1 have one number on every architecture.
_SAME_NUMBER_EVERYWHERE = {
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_getfd": 438,
    "mount_setattr": 442,
}
DENIED_SYSCALLS = {
    "x86_64": {
        "ptrace": 101,
        "syslog": 103,
        "uselib": 134,
        "vhangup": 153,
        "pivot_root": 155,
        "_sysctl": 156,
        "adjtimex": 159,
        "chroot": 161,
        "acct": 163,
        "settimeofday": 164,
        "mount": 165,
        "umount2": 166,
        "swapon": 167,
        "swapoff": 168,
        "reboot": 169,
        "iopl": 172,
        "ioperm": 173,
        "create_module": 174,
        "init_module": 175,
        "delete_module": 176,
        "quotactl": 179,
        "lookup_dcookie": 212,
        "clock_settime": 227,
        "kexec_load": 246,
        "add_key": 248,
        "request_key": 249,
        "keyctl": 250,
        "unshare": 272,
        "perf_event_open": 298,
        "name_to_handle_at": 303,
        "open_by_handle_at": 304,
        "clock_adjtime": 305,
        "setns": 308,
        "process_vm_readv": 310,
        "process_vm_writev": 311,
        "kcmp": 312,
        "finit_module": 313,
        "kexec_file_load": 320,
        "bpf": 321,
        "userfaultfd": 323,
        **_SAME_NUMBER_EVERYWHERE,
    },  # fmt: skip
    "aarch64": {
        "lookup_dcookie": 18,
        "umount2": 39,
        "mount": 40,
        "pivot_root": 41,
        "chroot": 51,
        "vhangup": 58,
        "quotactl": 60,
        "acct": 89,
        "unshare": 97,
        "kexec_load": 104,
        "init_module": 105,
        "delete_module": 106,
        "clock_settime": 112,
        "syslog": 116,
        "ptrace": 117,
        "reboot": 142,
        "settimeofday": 170,
        "adjtimex": 171,
        "add_key": 217,
        "request_key": 218,
        "keyctl": 219,
        "swapon": 224,
        "swapoff": 225,
        "perf_event_open": 241,
        "name_to_handle_at": 264,
        "open_by_handle_at": 265,
        "clock_adjtime": 266,
        "setns": 268,
        "process_vm_readv": 270,
        "process_vm_writev": 271,
        "kcmp": 272,
        "finit_module": 273,
        "bpf": 280,
        "userfaultfd": 282,
        "kexec_file_load": 294,
        **_SAME_NUMBER_EVERYWHERE,
    },  # fmt: skip
}
CLONE_SYSCALL = {"x86_64": 56, "aarch64": 220}
CLONE3_SYSCALL = 435
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4


class BoxError(Exception):
    """The box could not be built; the message says which step failed and why."""


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise BoxError(f"{what} failed: {os.strerror(code)} (errno {code})")


def _encode(path: str | None) -> bytes | None:
    return None if path is None else os.fsencode(path)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    """mount(2) with an error that names the target."""
    _check(
        _libc.mount(_encode(source), _encode(target), _encode(fstype), flags, _encode(data)),
        f"mount {source} on {target}",
    )


def unmount(target: str) -> None:
    """umount2(2) with MNT_DETACH."""
    _check(_libc.umount2(_encode(target), MNT_DETACH), f"unmount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    """pivot_root(2) (no libc wrapper on every system: called by number)."""
    number = {"x86_64": 155, "aarch64": 41}[machine()]
    _check(_libc.syscall(number, _encode(new_root), _encode(put_old)), "pivot_root")


def machine() -> str:
    """The kernel's architecture name, normalised (`x86_64`, `aarch64`)."""
    name = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name)


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0) -> None:
    """prctl(2) that raises on failure."""
    _check(_libc.prctl(option, arg2, arg3, arg4, 0), f"prctl({option})")


# --- the new root ------------------------------------------------------------------------------


def _mount_flags(target: str) -> dict[str, int]:
    """Flags of every mount at or below `target` (from /proc/self/mountinfo), by mount point."""
    found = {}
    prefix = target.rstrip("/") + "/"
    proc = "/oldroot/proc" if os.path.isdir("/oldroot/proc/self") else "/proc"
    with open(f"{proc}/self/mountinfo", encoding="utf-8", errors="surrogateescape") as file:
        for line in file:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            if point == target or point.startswith(prefix):
                options = fields[5].split(",")
                found[point] = sum(MOUNT_FLAG_NAMES.get(option, 0) for option in options)
    return found


def bind(source: str, target: str, writable: bool) -> None:
    """Bind-mounts `source` (a path under the old root) on `target`, read-only unless `writable`.

    Every mount below the target is made read-only too, keeping the flags the kernel locks
    (nosuid, nodev, noexec) where a user namespace inherited them.
    """
    mount(source, target, None, MS_BIND | MS_REC)
    extra = MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY)
    for point, flags in _mount_flags(target).items():
        mount(None, point, None, MS_BIND | MS_REMOUNT | flags | extra)


def _make_mount_point(path: str, like: str) -> None:
    """Creates `path` in the new root as an empty folder or file, the kind of `like`."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    if os.path.isdir(like):
        os.makedirs(path, mode=0o755, exist_ok=True)
    elif not os.path.exists(path):
        with open(path, "w"):
            pass


def _write_file(path: str, text: str, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, mode)


def build_root(spec: dict, uid: int) -> None:
    """Builds the box's root file system and pivots into it (in the box's init, privileged).

    Args:
        spec: the box spec (`binds`, `read_only_paths`, `devices`, `tmp_mb`, `shm_mb`).
        uid: the uid user code runs as (owner of /tmp's files, named in /etc/passwd).
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # As bubblewrap does: a scratch tmpfs becomes the root, the old root stays at /oldroot while
    # the new one is assembled at /newroot from it.
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    os.mkdir("/tmp/newroot", 0o755)
    os.mkdir("/tmp/oldroot", 0o755)
    mount("tmpfs", "/tmp/newroot", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=8m")
    pivot_root("/tmp", "/tmp/oldroot")
    os.chdir("/")
    new = "/newroot"
    old = "/oldroot"

    for folder in SYSTEM_FOLDERS:
        host = old + folder
        if os.path.islink(host):
            os.symlink(os.readlink(host), new + folder)
        elif os.path.isdir(host):
            _make_mount_point(new + folder, host)
            bind(host, new + folder, writable=False)
    os.makedirs(new + "/etc", mode=0o755)
    for name in ETC_ENTRIES:
        host = f"{old}/etc/{name}"
        if os.path.islink(host):
            os.symlink(os.readlink(host), f"{new}/etc/{name}")
        elif os.path.exists(host):
            _make_mount_point(f"{new}/etc/{name}", host)
            bind(host, f"{new}/etc/{name}", writable=False)
    _write_file(
        new + "/etc/passwd",
        f"root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
        f"horn:x:{uid}:{uid}:Horn box:{spec.get('home', '/tmp')}:/usr/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    )
    _write_file(new + "/etc/group", f"root:x:0:\nhorn:x:{uid}:\nnogroup:x:65534:\n")
    _write_file(new + "/etc/hosts", f"127.0.0.1 localhost {BOX_HOSTNAME}\n::1 localhost\n")
    _write_file(new + "/etc/hostname", BOX_HOSTNAME + "\n")

    os.makedirs(new + "/dev", mode=0o755)
    mount("tmpfs", new + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k")
    for name in (*DEVICES, *spec.get("devices", ())):
        device = name if name.startswith("/dev/") else "/dev/" + name
        _make_mount_point(new + device, old + device)
        bind(old + device, new + device, writable=True)
        # bind() adds nodev; devices need it cleared, so remount this one without it.
        mount(None, new + device, None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NOEXEC)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{new}/dev/{name}")
    os.makedirs(new + "/dev/shm")
    shm = f"mode=1777,size={int(spec.get('shm_mb', 64))}m"
    mount("tmpfs", new + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm)
    os.makedirs(new + "/tmp")
    mount("tmpfs", new + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={spec['tmp_mb']}m")
    os.makedirs(new + "/proc")
    mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)

    # The interpreter and packages, at their own paths (parents are fresh folders of the new
    # root, so a mode-700 home above them needs no chmod; under /tmp they sit on the box's
    # tmpfs, as read-only mount points its user cannot move).
    for path in spec["read_only_paths"]:
        if os.path.exists(new + path):
            continue  # already visible through a folder bound before it
        _make_mount_point(new + path, old + path)
        bind(old + path, new + path, writable=False)

    for entry in spec["binds"]:
        target = new + entry["target"]
        _make_mount_point(target, old + entry["source"])
        bind(old + entry["source"], target, writable=bool(entry.get("writable")))

    # Nothing of the scaffolding stays writable: the root tmpfs becomes read-only.
    mount(None, new, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    unmount(old)
    os.chdir(new)
    pivot_root(".", ".")
    unmount(".")
    os.chdir("/")


# --- privileges -------------------------------------------------------------------------------


def seccomp_program(arch: str) -> bytes:
    """Returns the BPF program of the box's seccomp filter for `arch` (see DENIED_SYSCALLS)."""

    def statement(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    load_word, jump_eq, jump_ge, jump_set, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    eperm = SECCOMP_RET_ERRNO | errno.EPERM
    namespace_flags = NAMESPACE_FLAGS
    program = [
        statement(load_word, 4),  # seccomp_data.arch
        statement(jump_eq, AUDIT_ARCH[arch], jt=1),
        statement(ret, SECCOMP_RET_KILL_PROCESS),
        statement(load_word, 0),  # seccomp_data.nr
    ]
    if arch == "x86_64":
        program += [statement(jump_ge, X32_SYSCALL_BIT, jf=1), statement(ret, eperm)]
    for number in sorted(DENIED_SYSCALLS[arch].values()):
        program += [statement(jump_eq, number, jf=1), statement(ret, eperm)]
    # clone3 passes its flags in memory the filter cannot read: ENOSYS makes libc use clone.
    program += [
        statement(jump_eq, CLONE3_SYSCALL, jf=1),
        statement(ret, SECCOMP_RET_ERRNO | errno.ENOSYS),
        statement(jump_eq, CLONE_SYSCALL[arch], jf=3),
        statement(load_word, 16),  # low word of args[0], clone's flags
        statement(jump_set, namespace_flags, jf=1),
        statement(ret, eperm),
        statement(ret, SECCOMP_RET_ALLOW),
    ]
    return b"".join(program)


def install_seccomp(arch: str) -> None:
    """Installs the box's seccomp filter on the calling thread (no_new_privs must be set)."""
    program = seccomp_program(arch)
    buffer = ctypes.create_string_buffer(program)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program) // 8, ctypes.addressof(buffer))
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog))


def drop_privileges(uid: int, as_root: bool) -> None:
    """Drops every capability (bounding set too) and becomes `uid`; sets no_new_privs."""
    last_cap = 40
    with contextlib.suppress(OSError, ValueError), open("/proc/sys/kernel/cap_last_cap") as file:
        last_cap = int(file.read())
    for cap in range(last_cap + 1):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    if as_root:
        os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    # In a user namespace the creator keeps its capabilities until exec; clear them now.
    header = struct.pack("II", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)
    _check(_libc.capset(ctypes.c_char_p(header), data), "capset")
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if os.getuid() != uid or os.geteuid() != uid:
        raise BoxError(f"Could not become uid {uid}.")


def apply_rlimits(spec: dict, with_memory_cgroup: bool, with_pids_cgroup: bool) -> None:
    """Sets the box's resource limits (the cgroup, where there is one, rules memory and pids)."""
    limits = {
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_CPU: spec.get("cpu_seconds"),
        resource.RLIMIT_FSIZE: (spec.get("max_file_mb") or 0) * 1024 * 1024 or None,
        resource.RLIMIT_NOFILE: spec.get("open_files"),
    }
    if spec.get("memory_mb") and spec.get("address_space_slack_mb") and not with_memory_cgroup:
        # No cgroup: an address-space limit, with room for what TensorFlow maps but never uses.
        limits[resource.RLIMIT_AS] = (spec["memory_mb"] + spec["address_space_slack_mb"]) << 20
    if spec.get("max_processes") and not with_pids_cgroup:
        limits[resource.RLIMIT_NPROC] = spec["max_processes"]
    for name, value in limits.items():
        if value is not None:
            resource.setrlimit(name, (value, value))


# --- cgroups ----------------------------------------------------------------------------------


class Cgroup:
    """A cgroup for one box: v2 (memory.max, pids.max) or v1 (memory and pids hierarchies).

    Args:
        name: the group's name (unique per box).
        memory_mb: memory limit, or None.
        max_processes: process limit, or None.
    """

    def __init__(self, name: str, memory_mb: int | None, max_processes: int | None):
        self.folders: dict[str, str] = {}
        self.version = None
        memory = str(memory_mb << 20) if memory_mb else "max"
        pids = str(max_processes) if max_processes else "max"
        own = _own_cgroups()
        v2 = "/sys/fs/cgroup" + own.get("", "/")
        if "" in own and {"memory", "pids"} <= set(_read(v2 + "/cgroup.subtree_control").split()):
            folder = os.path.join(v2, name)
            _make_cgroup(folder)
            self.folders = {"memory": folder, "pids": folder}
            self.version = 2
            _write(folder + "/memory.max", memory)
            with contextlib.suppress(OSError):
                _write(folder + "/memory.swap.max", "0")
            _write(folder + "/pids.max", pids)
            return
        for controller in ("memory", "pids"):
            base = f"/sys/fs/cgroup/{controller}"
            if controller not in own or not os.access(base + own[controller], os.W_OK):
                continue
            folder = os.path.join(base + own[controller], name)
            try:
                _make_cgroup(folder)
                if controller == "memory":
                    _write(folder + "/memory.limit_in_bytes", memory if memory_mb else "-1")
                    with contextlib.suppress(OSError):
                        _write(folder + "/memory.swappiness", "0")
                else:
                    _write(folder + "/pids.max", pids)
            except OSError:
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
                continue
            self.folders[controller] = folder
            self.version = 1

    def add(self, pid: int) -> None:
        """Moves process `pid` into the group."""
        for folder in set(self.folders.values()):
            _write(folder + "/cgroup.procs", str(pid))

    def limit_hit(self) -> str | None:
        """`out_of_memory` or `too_many_processes` when the kernel enforced a limit, else None."""
        if "memory" in self.folders:
            name = "memory.events" if self.version == 2 else "memory.oom_control"
            if _event_count(self.folders["memory"] + "/" + name, "oom_kill"):
                return "out_of_memory"
        if "pids" in self.folders and _event_count(self.folders["pids"] + "/pids.events", "max"):
            return "too_many_processes"
        return None

    def remove(self) -> None:
        """Kills what is left in the group and removes it."""
        for folder in set(self.folders.values()):
            _remove_cgroup(folder)


def _remove_cgroup(folder: str) -> None:
    """Kills the processes of a cgroup and removes it (gone already is fine)."""
    for _ in range(50):
        try:
            os.rmdir(folder)
            return
        except FileNotFoundError:
            return
        except OSError:  # busy: processes left, or not yet reaped
            for pid in _read(folder + "/cgroup.procs").split():
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
            time.sleep(0.02)


def _make_cgroup(folder: str) -> None:
    """Creates a cgroup folder, first removing a stale one a killed launcher left behind."""
    _remove_cgroup(folder)
    os.mkdir(folder, 0o755)


def _own_cgroups() -> dict[str, str]:
    """The calling process's cgroup path per v1 controller, and under "" for v2."""
    found = {}
    with contextlib.suppress(OSError):
        for line in _read("/proc/self/cgroup").splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                found[controller] = path
    if found.get("") is not None and not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        found.pop("")  # a hybrid system: v2 is mounted elsewhere and holds no controllers
    return found


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError:
        return ""


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def _event_count(path: str, key: str) -> int:
    for line in _read(path).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return 0


# --- uids -------------------------------------------------------------------------------------


def lock_free_uid(lock_dir: str, first: int, count: int) -> tuple[int, int]:
    """Takes a uid of [first, first + count) that no other box on this host holds.

    Returns:
        (uid, fd of the held lock; closing it frees the uid).
    """
    os.makedirs(lock_dir, mode=0o700, exist_ok=True)
    info = os.lstat(lock_dir)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise BoxError(f"The uid lock folder {lock_dir} is not a private folder of this user.")
    start = random.randrange(count)
    for offset in range(count):
        uid = first + (start + offset) % count
        fd = os.open(f"{lock_dir}/{uid}", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return uid, fd
    raise BoxError(f"All {count} sandbox uids from {first} are in use.")


# --- watching a running box -------------------------------------------------------------------


def folder_bytes(path: str) -> int:
    """Bytes allocated by the files below `path` (links not followed)."""
    total = 0
    stack = [path]
    while stack:
        with contextlib.suppress(OSError), os.scandir(stack.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    total += info.st_blocks * 512
                    if stat.S_ISDIR(info.st_mode):
                        stack.append(entry.path)
    return total


def box_process_count(pid_namespace: str) -> int:
    """Processes whose PID namespace is `pid_namespace` (the box's, as /proc names it)."""
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{name}/ns/pid") == pid_namespace:
                    count += 1
    return count


# --- the launcher -----------------------------------------------------------------------------


def run_init(spec: dict, uid: int, as_root: bool, go_read: int) -> None:
    """PID 1 of the box: builds the root, starts the payload, reaps, exits with its status."""
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.read(go_read, 1) != b"1":
            os._exit(125)
        os.close(go_read)
        flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS
        if spec.get("isolate_network", True):
            flags |= CLONE_NEWNET
        _check(_libc.unshare(flags), "unshare (creating the box's namespaces)")
        build_root(spec, uid)
        name = BOX_HOSTNAME.encode()
        _check(_libc.sethostname(name, len(name)), "sethostname")
        apply_rlimits(spec, spec["_memory_cgroup"], spec["_pids_cgroup"])
    except Exception as exc:  # noqa: BLE001 - reported to the parent through stderr
        print(f"horn box: {exc}", file=sys.stderr, flush=True)
        os._exit(126)
    payload = os.fork()
    if payload == 0:
        try:
            drop_privileges(uid, as_root)
            install_seccomp(machine())
            os.chdir(spec["cwd"])
            keep = set(spec.get("pass_fds", ()))
            for fd in range(3, 1024):
                if fd not in keep:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            for fd in keep:
                os.set_inheritable(fd, True)
            os.execve(spec["command"][0], spec["command"], spec["env"])
        except BaseException as exc:  # noqa: BLE001
            print(f"horn box: starting the command failed: {exc}", file=sys.stderr, flush=True)
            os._exit(127)
    for fd in spec.get("pass_fds", ()):
        with contextlib.suppress(OSError):
            os.close(fd)
    # The init shares the payload's uid: it takes the same filter and refuses to be traced or
    # have its memory written (/proc/1/mem) by it.
    try:
        drop_privileges(uid, as_root)
        prctl(PR_SET_DUMPABLE, 0)
        install_seccomp(machine())
    except Exception as exc:  # noqa: BLE001
        print(f"horn box: the init could not drop privileges: {exc}", file=sys.stderr, flush=True)
        os.kill(payload, signal.SIGKILL)
        os._exit(126)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            os.kill(payload, signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if pid == payload:
            code = os.waitstatus_to_exitcode(status)
            os._exit(128 - code if code < 0 else code)


def launch(spec: dict) -> int:
    """Builds the box of `spec`, runs its command, waits; returns the exit code to use."""
    as_root = os.geteuid() == 0
    os.umask(0o022)
    status_fd = spec.get("status_fd")
    lifeline_fd = spec.get("lifeline_fd")
    cgroup = None
    lock_fd = None
    if as_root:
        uid, lock_fd = lock_free_uid(spec["uid_lock_dir"], spec["uid_first"], spec["uid_count"])
        for entry in spec["binds"]:
            if entry.get("writable"):
                os.chown(entry["source"], uid, uid)
        name = f"horn-box-{uid}"
        try:
            cgroup = Cgroup(name, spec.get("memory_mb"), spec.get("max_processes"))
        except OSError:
            cgroup = None
    else:
        uid = BOX_INNER_UID
    spec["_memory_cgroup"] = bool(cgroup and "memory" in cgroup.folders)
    spec["_pids_cgroup"] = bool(cgroup and "pids" in cgroup.folders)
    # The launcher itself stays in the host's mount namespace (it watches the box's folders and
    # cgroup from there): it only makes the PID namespace its child will be init of (and, as an
    # ordinary user, the user namespace that owns the box); the init unshares the rest.
    outer_uid, outer_gid = os.getuid(), os.getgid()
    flags = CLONE_NEWPID if as_root else CLONE_NEWPID | CLONE_NEWUSER
    _check(_libc.unshare(flags), "unshare (creating the box's PID namespace)")
    if not as_root:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {outer_uid} 1")
        _write("/proc/self/gid_map", f"{uid} {outer_gid} 1")
    go_read, go_write = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(go_write)
        for fd in (status_fd, lifeline_fd, lock_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        run_init(spec, uid, as_root, go_read)
        os._exit(125)
    os.close(go_read)
    for fd in spec.get("pass_fds", ()):
        with contextlib.suppress(OSError):
            os.close(fd)
    if cgroup is not None:
        cgroup.add(init)
    os.write(go_write, b"1")
    os.close(go_write)
    pid_namespace = None
    for _ in range(100):
        with contextlib.suppress(OSError):
            pid_namespace = os.readlink(f"/proc/{init}/ns/pid")
            if pid_namespace != os.readlink("/proc/self/ns/pid"):
                break
        time.sleep(0.005)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            os.kill(init, signum)

    def kill_box(_signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            os.kill(init, signal.SIGKILL)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    signal.signal(signal.SIGUSR2, kill_box)
    limit = None
    disk_bytes = (spec.get("disk_mb") or 0) << 20
    writable = [entry["source"] for entry in spec["binds"] if entry.get("writable")]
    status = None
    next_check = 0.0
    while status is None:
        watched = [lifeline_fd] if lifeline_fd is not None else []
        try:
            ready, _, _ = select.select(watched, [], [], 0.1)
        except InterruptedError:
            ready = []
        if ready and not os.read(lifeline_fd, 1024):
            limit = limit or "lifeline"
            os.kill(init, signal.SIGKILL)
            lifeline_fd = None
        pid, raw = os.waitpid(init, os.WNOHANG)
        if pid == init:
            status = raw
            break
        now = time.monotonic()
        if now < next_check or limit is not None:
            continue
        next_check = now + 0.5
        if disk_bytes and sum(folder_bytes(folder) for folder in writable) > disk_bytes:
            limit = "disk_quota"
        elif (
            cgroup is not None
            and cgroup.limit_hit() == "too_many_processes"
            or (
                not spec["_pids_cgroup"]
                and spec.get("max_processes")
                and pid_namespace
                and box_process_count(pid_namespace) >= spec["max_processes"]
            )
        ):
            limit = "too_many_processes"
        if limit is not None:
            os.kill(init, signal.SIGKILL)
    code = os.waitstatus_to_exitcode(status)
    if code > 128:
        code = -(code - 128)  # the init's encoding of "killed by signal N"
    if limit is None and cgroup is not None:
        limit = cgroup.limit_hit()
    if cgroup is not None:
        cgroup.remove()
    report = {
        "returncode": code,
        "limit": limit,
        "uid": uid if as_root else os.getuid(),
        "mode": "root" if as_root else "user_namespace",
        "cgroup": cgroup.version if cgroup is not None and cgroup.folders else None,
    }
    if status_fd is not None:
        with contextlib.suppress(OSError):
            os.write(status_fd, (json.dumps(report) + "\n").encode())
    if lock_fd is not None:
        os.close(lock_fd)
    return code


def main() -> None:
    """Reads the spec from `--spec-fd N` and runs the box; exits like its command did.

    `--label TEXT` only names the box in `ps` (the job or predictor it runs).
    """
    if len(sys.argv) not in (3, 5) or sys.argv[1] != "--spec-fd":
        print("usage: python -I -S box.py --spec-fd N [--label TEXT]", file=sys.stderr)
        sys.exit(2)
    with os.fdopen(int(sys.argv[2]), "rb") as file:
        spec = json.loads(file.read())
    try:
        code = launch(spec)
    except BoxError as exc:
        print(f"horn box: {exc}", file=sys.stderr, flush=True)
        sys.exit(125)
    sys.stdout.flush()
    if code < 0:
        if -code not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        time.sleep(1)
    os._exit(code)


if __name__ == "__main__":
    main()
