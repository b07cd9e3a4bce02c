"""Attack: trace or poke into other processes: ptrace, process_vm_readv, /proc/PID/mem.

The seccomp filter refuses ptrace and process_vm_readv/writev. /proc/PID/mem needs the same
access as ptrace: the box's init (PID 1, outside the seccomp filter) and the victim's pids
("VICTIM_PID") must not be writable through it.
"""

import ctypes
import os
import time

NAME = "ptrace"
victim_pids = "VICTIM_PID"
PTRACE_TRACEME = 0
PTRACE_ATTACH = 16
PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206


def call(libc, *args):
    ctypes.set_errno(0)
    result = libc.ptrace(*args)
    return result, os.strerror(ctypes.get_errno())


def poke_mem(pid):
    """Opens /proc/PID/mem read-write and writes back the bytes at the process's code."""
    with open(f"/proc/{pid}/maps") as file:
        for line in file:
            fields = line.split()
            if "x" in fields[1]:
                address = int(fields[0].split("-")[0], 16)
                break
        else:
            return "no code mapping"
    fd = os.open(f"/proc/{pid}/mem", os.O_RDWR)
    try:
        data = os.pread(fd, 16, address)
        written = os.pwrite(fd, data, address)  # the same bytes: proof, no harm
        return f"wrote {written} bytes at {address:#x}"
    finally:
        os.close(fd)


def attack():
    if isinstance(victim_pids, str):
        raise RuntimeError("the test did not fill in the placeholders")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    libc.ptrace.restype = ctypes.c_long
    results, succeeded = {}, []
    # PTRACE_TRACEME in a child, so a success does not leave this process traced.
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        result, error = call(libc, PTRACE_TRACEME, 0, None, None)
        os.write(write, f"{result} {error}".encode())
        os._exit(0)
    os.waitpid(child, 0)
    os.close(write)
    results["PTRACE_TRACEME"] = os.read(read, 200).decode()
    os.close(read)
    if results["PTRACE_TRACEME"].startswith("0 "):
        succeeded.append("PTRACE_TRACEME")
    sleeper = os.fork()
    if sleeper == 0:
        time.sleep(30)
        os._exit(0)
    try:
        for label, pid in [
            ("own child", sleeper),
            ("init", 1),
            *[("victim", p) for p in victim_pids],
        ]:
            for request, name in ((PTRACE_ATTACH, "ATTACH"), (PTRACE_SEIZE, "SEIZE")):
                result, error = call(libc, request, pid, None, None)
                results[f"{name} {label} {pid}"] = f"returned {result} ({error})"
                if result == 0:
                    succeeded.append(f"{name} {label} {pid}")
                    call(libc, PTRACE_DETACH, pid, None, None)
            buffer = ctypes.create_string_buffer(16)
            local = (ctypes.c_void_p * 2)(ctypes.addressof(buffer), 16)
            remote = (ctypes.c_void_p * 2)(0x400000, 16)
            ctypes.set_errno(0)
            result = libc.process_vm_readv(pid, local, 1, remote, 1, 0)
            error = ctypes.get_errno()
            results[f"process_vm_readv {label} {pid}"] = f"returned {result} ({os.strerror(error)})"
            if result >= 0 or error not in (1, 3):  # only EPERM and ESRCH are refusals
                succeeded.append(f"process_vm_readv {label} {pid}")
            if label == "own child":
                continue
            try:
                results[f"/proc/{pid}/mem {label}"] = poke_mem(pid)
                succeeded.append(f"/proc/{pid}/mem {label}")
            except OSError as exc:
                results[f"/proc/{pid}/mem {label}"] = f"{type(exc).__name__}: {exc.strerror}"
    finally:
        os.kill(sleeper, 9)
        os.waitpid(sleeper, 0)
    try:
        with open("/proc/1/status") as file:
            init = dict(line.rstrip("\n").split(":\t", 1) for line in file if ":\t" in line)
        results["init"] = {key: init.get(key) for key in ("Seccomp", "NoNewPrivs", "CapEff")}
    except OSError as exc:
        results["init"] = f"{type(exc).__name__}: {exc.strerror}"
    report(bool(succeeded), {"succeeded": succeeded, "results": results})


attack()
