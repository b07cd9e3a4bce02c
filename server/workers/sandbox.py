"""Starting user code in a box: the worker's and the predictor pool's side of the sandbox.

Every process that imports a user's source (the training runner, a predictor) runs inside its
own box, built by the launcher `server/workers/box.py` (see its docstring for the steps): its
own mount, PID, IPC, UTS and network namespaces; a read-only view of the interpreter, Horn's
packages and the system libraries at their own paths; only its job's inputs (read-only) and its
own work folder (read-write); a size-capped /tmp; its own unprivileged uid; no capabilities,
no_new_privs and a seccomp filter; limits on memory, processes, disk, CPU time and open files.

`start_box` starts a module of Horn's inside a box and returns a `BoxProcess`; `check_sandbox`
builds one box at start-up and says what to fix when this host cannot. This module never
imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import json
import os
import signal
import site
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.workers.devices import device_nodes

# The folder that holds the `server` and `kerascore` packages.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = Path(__file__).resolve().with_name("box.py")
# Variables a box keeps from its parent; everything else (HORN_*, broker and database URLs,
# cloud credentials, ...) is dropped.
_KEPT_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "LD_LIBRARY_PATH")
# Passed on to a box with GPUs (CUDA_VISIBLE_DEVICES is set to the box's own devices).
_GPU_VARIABLES = ("XLA_FLAGS", "TF_FORCE_GPU_ALLOW_GROWTH")
# Runs a module with a clean sys.path: the interpreter's own folders and Horn's packages, never
# the working folder (which user code can write).
_BOOTSTRAP = (
    "import os, runpy, sys\n"
    "sys.path[:] = [{root!r}] + [p for p in sys.path if p and os.path.isabs(p)]\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
)
# How a box's limit shows up in a job's failure, with the setting that raises it.
LIMIT_SETTINGS = {
    "out_of_memory": "HORN_SANDBOX_MEMORY_MB",
    "too_many_processes": "HORN_SANDBOX_MAX_PROCESSES",
    "disk_quota": "HORN_SANDBOX_DISK_MB",
}


class SandboxUnavailableError(RuntimeError):
    """This host cannot build a box; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Bind:
    """A host path shown inside a box.

    Args:
        source: the host path (a file or folder).
        target: where the box sees it (absolute).
        writable: read-write (only a box's own work folder); read-only otherwise.
    """

    source: Path
    target: str
    writable: bool = False


@dataclasses.dataclass(frozen=True)
class BoxLimits:
    """The limits of one box; None or 0 means none.

    Args:
        memory_mb: memory (cgroup memory.max; without a cgroup, an address-space limit).
        max_processes: processes and threads (cgroup pids.max, else RLIMIT_NPROC).
        disk_mb: bytes in the box's writable folders (checked twice a second).
        tmp_mb: size of the box's private /tmp (and /dev/shm gets a quarter of it).
        cpu_seconds: RLIMIT_CPU.
        max_file_mb: RLIMIT_FSIZE, the largest file.
        open_files: RLIMIT_NOFILE.
        address_space_slack_mb: added to `memory_mb` when it becomes an address-space limit
            (TensorFlow on the CPU maps about 1.9 GB of address space for 0.6 GB resident;
            boxes with GPUs get no address-space limit: CUDA maps far more).
    """

    memory_mb: int | None = 4096
    max_processes: int | None = 512
    disk_mb: int | None = 4096
    tmp_mb: int = 256
    cpu_seconds: int | None = None
    max_file_mb: int | None = 2048
    open_files: int | None = 1024
    address_space_slack_mb: int = 4096

    @classmethod
    def from_settings(cls, settings: Any, cpu_seconds: int | None = None) -> BoxLimits:
        """The limits the settings give (`sandbox_*`, `runner_max_file_mb`, ...)."""
        return cls(
            memory_mb=settings.sandbox_memory_mb or None,
            max_processes=settings.sandbox_max_processes or None,
            disk_mb=settings.sandbox_disk_mb or None,
            tmp_mb=settings.sandbox_tmp_mb,
            cpu_seconds=cpu_seconds,
            max_file_mb=settings.runner_max_file_mb,
            open_files=settings.runner_open_files,
        )


@functools.lru_cache(maxsize=1)
def interpreter_paths() -> tuple[str, ...]:
    """Host folders a box needs read-only to run this interpreter with Horn's packages.

    The interpreter's prefixes (a virtual environment's and its base's), its site-packages,
    and the `kerascore` and `server` package folders (not the project folder around them,
    which may hold a data folder).
    """
    paths = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))),
        *site.getsitepackages(),
    }
    with contextlib.suppress(AttributeError):
        user_site = site.getusersitepackages()
        if os.path.isdir(user_site):
            paths.add(user_site)
    for package in ("kerascore", "server"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            paths.update(spec.submodule_search_locations)
    resolved = {os.path.realpath(path) for path in paths if path and os.path.isdir(path)}
    resolved |= {path for path in paths if path and os.path.isdir(path)}
    ordered = sorted(resolved, key=lambda path: (path.count("/"), path))
    kept: list[str] = []
    for path in ordered:
        if not any(path == other or path.startswith(other.rstrip("/") + "/") for other in kept):
            kept.append(path)
    return tuple(kept)  # the same for the life of the process: computed once


def check_private_paths(private: list[Path]) -> None:
    """Refuses to run when a folder user code must never see lies inside a read-only view.

    Raises:
        SandboxUnavailableError: naming the folder and what to move.
    """
    shown = interpreter_paths()
    for folder in private:
        real = os.path.realpath(folder)
        for path in shown:
            if real == path or real.startswith(path.rstrip("/") + "/"):
                raise SandboxUnavailableError(
                    f"The data folder {real} lies inside {path}, which every sandbox shows "
                    "read-only (the interpreter or Horn's packages). Set HORN_DATA_DIR to a "
                    "folder outside it."
                )


def box_environment(home: str, gpu_devices: Sequence[str] = ()) -> dict[str, str]:
    """The environment of a boxed process: no secrets, no service addresses.

    Args:
        home: the process's working folder inside the box (also its HOME).
        gpu_devices: the GPU indices the process may use (`CUDA_VISIBLE_DEVICES`); with none,
            CUDA devices are hidden.
    """
    env = {name: os.environ[name] for name in _KEPT_VARIABLES if name in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    if gpu_devices:
        env.update({name: os.environ[name] for name in _GPU_VARIABLES if name in os.environ})
    env["CUDA_VISIBLE_DEVICES"] = ",".join(gpu_devices)
    env.update(
        PATH="/usr/local/bin:/usr/bin:/bin",
        HOME=home,
        TMPDIR="/tmp",
        TF_CPP_MIN_LOG_LEVEL="2",
        MPLCONFIGDIR="/tmp/matplotlib",
    )
    return env


def _uid_lock_dir() -> str:
    if os.path.isdir("/run") and os.access("/run", os.W_OK):
        return "/run/horn-sandbox"
    return f"/tmp/horn-sandbox-{os.geteuid()}"


@dataclasses.dataclass
class BoxProcess:
    """A running box: the launcher process and, once it ended, how it ended.

    Attributes:
        process: the launcher (its exit status is the command's: -N for signal N).
        status: after exit, the launcher's report: `returncode`, `limit` (`out_of_memory`,
            `too_many_processes`, `disk_quota`, `lifeline` or None), `uid`, `mode`, `cgroup`.
    """

    process: subprocess.Popen
    status_read: int
    status: dict[str, Any] | None = None

    @property
    def pid(self) -> int:
        """The launcher's process id."""
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """The command's exit status once the box ended (-N: killed by signal N)."""
        return self.process.returncode

    def poll(self) -> int | None:
        """Like `Popen.poll`; reads the launcher's report once it exited."""
        code = self.process.poll()
        if code is not None:
            self._read_status()
        return code

    def wait(self, timeout: float | None = None) -> int:
        """Like `Popen.wait`."""
        code = self.process.wait(timeout)
        self._read_status()
        return code

    def limit(self) -> str | None:
        """The limit that ended the box, if one did."""
        self._read_status()
        return (self.status or {}).get("limit")

    def stop(self, grace_s: float = 3.0) -> None:
        """Stops the box: SIGTERM to its command, then after `grace_s` SIGKILL to everything."""
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGUSR2, 5.0), (signal.SIGKILL, 5)):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(wait_s)
        self.poll()

    def _read_status(self) -> None:
        if self.status is not None or self.status_read < 0:
            return
        with os.fdopen(self.status_read, "rb") as file:
            line = file.readline()
        self.status_read = -1
        try:
            self.status = json.loads(line) if line else {}
        except ValueError:
            self.status = {}


def start_box(
    module: str,
    args: list[str],
    *,
    binds: list[Bind],
    cwd: str,
    limits: BoxLimits,
    settings: Any,
    gpu_devices: Sequence[str] = (),
    pass_fds: tuple[int, ...] = (),
    lifeline_fd: int | None = None,
    stdin: Any = subprocess.DEVNULL,
    stdout: Any = subprocess.DEVNULL,
    stderr: Any = subprocess.STDOUT,
    label: str = "",
) -> BoxProcess:
    """Starts `python -m module *args` inside a new box.

    Args:
        module: the module to run, e.g. `server.workers.runner` (imported from Horn's
            read-only package folders, never from the working folder).
        args: further command-line arguments.
        binds: the box's own files: inputs read-only, its work folder writable.
        cwd: the working folder inside the box (also HOME).
        limits: the box's limits.
        settings: the service settings (`sandbox_network`, `sandbox_uid_first`, ...).
        gpu_devices: the GPU indices the box may use (`server.workers.devices`): only their
            device nodes are shown and `CUDA_VISIBLE_DEVICES` names them; none hides CUDA.
        pass_fds: descriptors the command inherits (pipes to its parent), same numbers inside.
        lifeline_fd: read end of a pipe whose write end only the parent holds; when it closes,
            the box is killed.
        stdin: the command's standard input.
        stdout: the command's standard output.
        stderr: the command's standard error.
        label: names the box in `ps` (e.g. the job id and data dir).

    Returns:
        The running box.
    """
    command = [sys.executable, "-I", "-B", "-u", "-c", _BOOTSTRAP.format(root=str(PROJECT_ROOT))]
    status_read, status_write = os.pipe()
    spec_read, spec_write = os.pipe()
    spec = {
        "command": [*command, module, *args],
        "env": box_environment(cwd, gpu_devices),
        "cwd": cwd,
        "home": cwd,
        "binds": [
            {"source": os.path.realpath(b.source), "target": b.target, "writable": b.writable}
            for b in binds
        ],
        "read_only_paths": list(interpreter_paths()),
        "devices": device_nodes(gpu_devices),
        "isolate_network": settings.sandbox_network,
        "memory_mb": limits.memory_mb,
        "address_space_slack_mb": None if gpu_devices else limits.address_space_slack_mb,
        "max_processes": limits.max_processes,
        "disk_mb": limits.disk_mb,
        "tmp_mb": limits.tmp_mb,
        "shm_mb": max(limits.tmp_mb // 4, 16),
        "cpu_seconds": limits.cpu_seconds,
        "max_file_mb": limits.max_file_mb,
        "open_files": limits.open_files,
        "pass_fds": list(pass_fds),
        "status_fd": status_write,
        "lifeline_fd": lifeline_fd,
        "uid_lock_dir": _uid_lock_dir(),
        "uid_first": settings.sandbox_uid_first,
        "uid_count": settings.sandbox_uid_count,
    }
    data = json.dumps(spec).encode()
    fds = (*pass_fds, status_write, spec_read, *((lifeline_fd,) if lifeline_fd is not None else ()))
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-S",
                str(LAUNCHER),
                "--spec-fd",
                str(spec_read),
                *(["--label", label] if label else []),
            ],
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            start_new_session=True,
            pass_fds=fds,
            close_fds=True,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
        )
    except BaseException:
        os.close(status_read)
        raise
    finally:
        os.close(status_write)
        os.close(spec_read)
    with os.fdopen(spec_write, "wb") as file, contextlib.suppress(BrokenPipeError):
        file.write(data)
    return BoxProcess(process, status_read)


def check_sandbox(settings: Any) -> dict[str, Any]:
    """Builds one box with Horn's packages importable in it; run by `horn up`/`worker`/`serve`.

    Returns:
        What the box got: `uid`, `mode` (`root` or `user_namespace`), `cgroup` (1, 2, None).

    Raises:
        SandboxUnavailableError: if no box can be built here; the message names the fix.
    """
    check_private_paths([Path(settings.data_dir)])
    probe = "import importlib.util, numpy, server.workers.runner; import kerascore.utils"
    box = start_box(
        "server.workers.sandbox",
        ["--probe", probe],
        binds=[],
        cwd="/tmp",
        limits=BoxLimits(memory_mb=None, cpu_seconds=120),
        settings=settings,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        output, _ = box.process.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        box.stop(0.1)
        output = b"(no answer within 180 s)"
    box.poll()
    if box.returncode == 0:
        return box.status or {}
    detail = output.decode(errors="replace").strip().splitlines()
    hint = (
        "Run Horn as root (the usual server and container case), or as a user on a kernel "
        "that allows unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
        "user.max_user_namespaces > 0). In a container, the worker needs CAP_SYS_ADMIN and a "
        "seccomp profile that allows unshare and mount."
    )
    raise SandboxUnavailableError(
        "Horn cannot build a sandbox for user code on this host "
        f"({detail[-1] if detail else f'exit status {box.returncode}'}). {hint}"
    )


def describe_process() -> dict[str, Any]:
    """What a process in a box sees: user, limits, network, environment names, root folder."""
    import pwd
    import resource
    import socket

    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
        network = "connected to 127.0.0.1:9"
    except OSError as exc:
        network = f"{type(exc).__name__}: {exc.strerror or exc}"
    return {
        "uid": os.getuid(),
        "user": pwd.getpwuid(os.getuid()).pw_name,
        "pid": os.getpid(),
        "limits": {
            name: resource.getrlimit(getattr(resource, name))[0]
            for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE")
        },
        "network": network,
        "environment": sorted(os.environ),
        "root": sorted(os.listdir("/")),
        "cwd": os.getcwd(),
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m server.workers.sandbox`: prints what a box on this host gets.

    Inside a box (`--probe CODE`) it runs CODE and prints `describe_process()` as JSON; outside,
    it starts such a box with the current settings and prints the launcher's report too.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m server.workers.sandbox")
    parser.add_argument("--probe", default=None, help="code to run inside the box first")
    args = parser.parse_args(argv)
    if args.probe is not None:
        exec(compile(args.probe, "<probe>", "exec"), {})
        print(json.dumps(describe_process()), flush=True)
        return 0
    from server.config import get_settings

    settings = get_settings()
    box = start_box(
        "server.workers.sandbox",
        ["--probe", "pass"],
        binds=[],
        cwd="/tmp",
        limits=BoxLimits.from_settings(settings),
        settings=settings,
        stdout=subprocess.PIPE,
    )
    output, _ = box.process.communicate()
    box.poll()
    print(output.decode(errors="replace").strip())
    print(json.dumps({"launcher": box.status}))
    return 0 if box.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
