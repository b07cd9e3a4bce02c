"""Attack: become root: setuid(0), setresuid(0, 0, 0) and friends via ctypes, setuid programs.

The box's user has no capabilities and no_new_privs is set; its mounts are nosuid.
"""

import ctypes
import os
import subprocess

NAME = "setuid_root"


def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    before = (os.getuid(), os.geteuid(), os.getgid(), os.getegid())
    calls = {
        "setuid(0)": lambda: libc.setuid(0),
        "seteuid(0)": lambda: libc.seteuid(0),
        "setreuid(0, 0)": lambda: libc.setreuid(0, 0),
        "setresuid(0, 0, 0)": lambda: libc.setresuid(0, 0, 0),
        "setgid(0)": lambda: libc.setgid(0),
        "setresgid(0, 0, 0)": lambda: libc.setresgid(0, 0, 0),
        "setgroups([0])": lambda: libc.setgroups(1, (ctypes.c_uint * 1)(0)),
        "setfsuid(0)": lambda: libc.setfsuid(0),
    }
    results = {}
    for name, call in calls.items():
        ctypes.set_errno(0)
        result = call()
        error = ctypes.get_errno()
        results[name] = f"returned {result}" + (f" ({os.strerror(error)})" if error else "")
    # setfsuid returns the previous fsuid, never an error: check what it left.
    ctypes.set_errno(0)
    fsuid = libc.setfsuid(-1)
    after = (os.getuid(), os.geteuid(), os.getgid(), os.getegid())
    with open("/proc/self/status") as file:
        caps = {line.split(":")[0]: line.split()[1] for line in file if line.startswith("Cap")}
    setuid_programs = {}
    for program in ("/usr/bin/sudo", "/bin/sudo"):
        if os.path.exists(program):
            try:
                run = subprocess.run(
                    [program, "-n", "id", "-u"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                    stdin=subprocess.DEVNULL,
                )
                setuid_programs[program] = (run.returncode, (run.stdout + run.stderr)[-200:])
            except (OSError, subprocess.SubprocessError) as exc:
                setuid_programs[program] = f"{type(exc).__name__}: {exc}"
    became_root = 0 in after or fsuid == 0
    sudo_root = any(
        isinstance(run, tuple) and run[0] == 0 and run[1].strip() == "0"
        for run in setuid_programs.values()
    )
    effective_caps = int(caps.get("CapEff", "0"), 16)
    report(
        became_root or sudo_root or effective_caps != 0,
        {
            "before": before,
            "after": after,
            "fsuid": fsuid,
            "calls": results,
            "caps": caps,
            "setuid_programs": setuid_programs,
        },
    )


attack()
