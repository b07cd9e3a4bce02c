"""The sandbox of every process that runs user code: the training runner and the predictor.

The worker (or the API's predictor pool) starts such a process with `start_sandboxed`: a fresh
interpreter in its own session and process group, with an environment stripped to what Python
and TensorFlow need, working directory the job's own folder. The child enters the sandbox
itself with `enter_sandbox` before it reads any user input: resource limits, an empty network
namespace where the kernel allows it, then (when started as root) the unprivileged sandbox
user. It keeps a "lifeline" pipe from its parent and kills its whole process group when the
parent goes away, so no training outlives its worker.

This module never imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import pwd
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

# The folder that holds the `server` and `kerascore` packages (the child imports them from it).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
# Variables a child keeps from its parent; everything else (HORN_*, broker and database URLs,
# cloud credentials, ...) is dropped.
_KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "LD_LIBRARY_PATH")
_GPU_VARIABLES = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "XLA_FLAGS")


class SandboxUnavailableError(RuntimeError):
    """The sandbox user cannot run the interpreter, and falling back was not allowed."""


@dataclasses.dataclass(frozen=True)
class SandboxPolicy:
    """What `enter_sandbox` applies in a child process.

    Args:
        user: name of the user to drop to when the child starts as root; None keeps the user.
        isolate_network: whether to move into a network namespace without interfaces.
        cpu_seconds: RLIMIT_CPU (seconds of CPU time), None for no limit.
        memory_mb: RLIMIT_DATA in MiB (heap and private mappings), None for no limit.
        max_file_mb: RLIMIT_FSIZE in MiB, None for no limit.
        open_files: RLIMIT_NOFILE, None for no limit.
    """

    user: str | None = None
    isolate_network: bool = True
    cpu_seconds: int | None = None
    memory_mb: int | None = None
    max_file_mb: int | None = None
    open_files: int | None = None

    def to_json(self) -> str:
        """Returns the policy as a JSON string (passed to the child on its command line)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SandboxPolicy:
        """Builds a policy from `to_json` output."""
        return cls(**json.loads(text))


def sandbox_user_for(settings: Any) -> str | None:
    """Returns the user user code runs as, checking once that it can run the interpreter.

    Only root drops privileges; a worker started as another user runs user code as itself.

    Args:
        settings: the service settings (`sandbox_user`, `sandbox_allow_unprivileged_fallback`).

    Returns:
        The user name to drop to, or None to keep the current user.

    Raises:
        SandboxUnavailableError: if the sandbox user cannot run the interpreter and the
            fallback is not allowed; the message says what to do.
    """
    user = settings.sandbox_user or None
    if user is None or os.geteuid() != 0:
        return None
    problem = check_sandbox_user(user)
    if problem is None:
        return user
    if settings.sandbox_allow_unprivileged_fallback:
        print(
            f"horn: WARNING: {problem} Running user code as root instead, because "
            "HORN_SANDBOX_ALLOW_UNPRIVILEGED_FALLBACK is set.",
            file=sys.stderr,
        )
        return None
    raise SandboxUnavailableError(problem)


def check_sandbox_user(user: str, python: str | None = None) -> str | None:
    """Checks that `user` can start the interpreter and find the packages user code needs.

    Args:
        user: the sandbox user's name.
        python: the interpreter to check; defaults to the running one.

    Returns:
        None if it works, otherwise a message that says what failed and what to do.
    """
    python = python or sys.executable
    try:
        record = pwd.getpwnam(user)
    except KeyError:
        return (
            f"The sandbox user {user!r} does not exist. Create it (`useradd --system {user}`) "
            "or set HORN_SANDBOX_USER to an existing unprivileged user."
        )
    probe = (
        "import importlib.util, numpy, server.workers.runner\n"
        "missing = [m for m in ('tensorflow', 'kerascore')\n"
        "           if importlib.util.find_spec(m) is None]\n"
        "assert not missing, f'cannot find packages {missing}'\n"
    )
    try:
        result = subprocess.run(
            [python, "-c", probe],
            env=child_environment(Path("/")),
            cwd="/",
            user=record.pw_uid,
            group=record.pw_gid,
            extra_groups=[],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = f"{type(exc).__name__}: {exc}"
    else:
        if result.returncode == 0:
            return None
        lines = (result.stderr or result.stdout).strip().splitlines()
        detail = lines[-1] if lines else f"exit status {result.returncode}"
    blocked = _first_untraversable_folder(Path(python))
    hint = (
        f"`chmod o+x {blocked}` lets it through"
        if blocked is not None
        else "make the interpreter and its packages readable by that user"
    )
    return (
        f"The sandbox user {user!r} cannot run the Python interpreter {python} with Horn's "
        f"packages ({detail}). User code runs as that user, so it must be able to: {hint}, or "
        "set HORN_SANDBOX_USER to a user that can, or set "
        "HORN_SANDBOX_ALLOW_UNPRIVILEGED_FALLBACK=true to run user code as the worker's user "
        "(weaker isolation)."
    )


def _first_untraversable_folder(path: Path) -> Path | None:
    """Returns the first folder above `path` that other users cannot enter, if any."""
    for folder in reversed([*path.parents, PROJECT_ROOT, *PROJECT_ROOT.parents]):
        try:
            mode = folder.stat().st_mode
        except OSError:
            continue
        if not mode & stat.S_IXOTH:
            return folder
    return None


def child_environment(workdir: Path, gpus: int = 0) -> dict[str, str]:
    """Returns the environment of a sandboxed child: no secrets, no service addresses.

    Args:
        workdir: the child's working folder (also its HOME).
        gpus: GPUs the child may use; with none, CUDA devices are hidden.

    Returns:
        The environment mapping.
    """
    env = {name: os.environ[name] for name in _KEPT_VARIABLES if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    if gpus > 0:
        env.update({name: os.environ[name] for name in _GPU_VARIABLES if name in os.environ})
    else:
        env["CUDA_VISIBLE_DEVICES"] = ""
    env.update(
        HOME=str(workdir),
        PYTHONPATH=str(PROJECT_ROOT),
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        MPLCONFIGDIR=str(workdir / ".config"),
    )
    return env


def start_sandboxed(
    module: str,
    args: list[str],
    *,
    workdir: Path,
    policy: SandboxPolicy,
    gpus: int = 0,
    pass_fds: tuple[int, ...] = (),
    stdin: Any = subprocess.DEVNULL,
    stdout: Any = subprocess.DEVNULL,
    stderr: Any = subprocess.STDOUT,
) -> subprocess.Popen:
    """Starts `python -m module --sandbox <policy> *args` as a sandboxed child.

    The child gets a fresh interpreter, its own session and process group (so the whole group
    can be killed), the stripped environment of `child_environment`, and `workdir` as working
    directory; it must call `enter_sandbox` before it touches user input.

    Args:
        module: the module to run, e.g. `server.workers.runner`.
        args: further command-line arguments.
        workdir: the child's working directory.
        policy: the sandbox policy the child applies.
        gpus: GPUs the child may use.
        pass_fds: file descriptors the child inherits (pipes to its parent).
        stdin: the child's standard input.
        stdout: the child's standard output.
        stderr: the child's standard error.

    Returns:
        The child process.
    """
    command = [sys.executable, "-m", module, "--sandbox", policy.to_json(), *args]
    return subprocess.Popen(
        command,
        cwd=workdir,
        env=child_environment(workdir, gpus),
        start_new_session=True,
        pass_fds=pass_fds,
        close_fds=True,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
    )


def enter_sandbox(policy: SandboxPolicy) -> dict[str, Any]:
    """Applies `policy` to the calling process; called first thing in a sandboxed child.

    Order matters: limits and the network namespace need root's privileges, so the user drop
    comes last; after it nothing can be undone.

    Args:
        policy: the policy to apply.

    Returns:
        What was applied, for the job's log (`user`, `network`, `limits`).

    Raises:
        PermissionError: if dropping to the sandbox user fails (the child must not go on).
    """
    os.umask(0o022)
    limits = {}
    for name, value, scale in (
        ("RLIMIT_CPU", policy.cpu_seconds, 1),
        ("RLIMIT_DATA", policy.memory_mb, 1024 * 1024),
        ("RLIMIT_FSIZE", policy.max_file_mb, 1024 * 1024),
        ("RLIMIT_NOFILE", policy.open_files, 1),
    ):
        if value:
            resource.setrlimit(getattr(resource, name), (value * scale, value * scale))
            limits[name] = value * scale
    network = "shared"
    if policy.isolate_network:
        network = _isolate_network()
    user = pwd.getpwuid(os.geteuid()).pw_name
    if policy.user and os.geteuid() == 0:
        record = pwd.getpwnam(policy.user)
        os.setgroups([])
        os.setgid(record.pw_gid)
        os.setuid(record.pw_uid)
        if os.getuid() != record.pw_uid or os.geteuid() != record.pw_uid:
            raise PermissionError(f"Could not drop privileges to {policy.user!r}.")
        user = policy.user
    return {"user": user, "network": network, "limits": limits}


def _isolate_network() -> str:
    """Moves the process into a new, empty network namespace; returns what happened."""
    libc = ctypes.CDLL(None, use_errno=True)
    if os.geteuid() == 0:
        if libc.unshare(_CLONE_NEWNET) == 0:
            return "isolated"
        return f"shared (unshare failed: {os.strerror(ctypes.get_errno())})"
    # Without root, a network namespace needs a user namespace; map the user onto itself.
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        return f"shared (unshare failed: {os.strerror(ctypes.get_errno())})"
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{uid} {uid} 1"),
        ("gid_map", f"{gid} {gid} 1"),
    ):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)
    return "isolated"


def watch_lifeline(fd: int) -> None:
    """Kills the process group when the parent closes (or loses) its end of the pipe `fd`.

    Args:
        fd: read end of a pipe whose write end only the parent holds.
    """

    def wait_for_parent() -> None:
        while True:
            try:
                data = os.read(fd, 1024)
            except InterruptedError:
                continue
            except OSError:
                data = b""
            if not data:
                os.killpg(os.getpgid(0), signal.SIGKILL)

    threading.Thread(target=wait_for_parent, name="horn-lifeline", daemon=True).start()


def kill_process_group(process: subprocess.Popen, grace_s: float = 3.0) -> None:
    """Stops a sandboxed child and everything it started: SIGTERM, then SIGKILL after `grace_s`.

    Args:
        process: a child started by `start_sandboxed` (leader of its process group).
        grace_s: seconds to wait between SIGTERM and SIGKILL.
    """
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if process.poll() is not None and not _group_alive(process.pid):
                return
            time.sleep(0.05)
    process.poll()


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group `pgid` still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_owned_dir(path: Path, user: str | None) -> Path:
    """Creates `path` (and parents) and gives it to `user`, so a sandboxed child can write it.

    Args:
        path: the folder.
        user: the sandbox user, or None to leave ownership as it is.

    Returns:
        The folder.
    """
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        record = pwd.getpwnam(user)
        os.chown(path, record.pw_uid, record.pw_gid)
    return path


def describe_process() -> dict[str, Any]:
    """Reports what a process in the sandbox sees: user, limits, network, environment names."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
        network = "connected to 127.0.0.1:9"
    except OSError as exc:
        network = f"{type(exc).__name__}: {exc.strerror or exc}"
    return {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "groups": os.getgroups(),
        "user": pwd.getpwuid(os.getuid()).pw_name,
        "limits": {
            name: resource.getrlimit(getattr(resource, name))[0]
            for name in ("RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_NOFILE")
        },
        "network": network,
        "environment": sorted(os.environ),
        "cwd": os.getcwd(),
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m server.workers.sandbox --sandbox POLICY`: enters the sandbox and prints a report.

    Operators use it to see what user code gets on a host; `--hold S` keeps the process alive
    for S seconds afterwards (with `--lifeline-fd`, until the parent goes away).
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m server.workers.sandbox")
    parser.add_argument("--sandbox", default=None, help="SandboxPolicy as JSON")
    parser.add_argument("--lifeline-fd", type=int, default=None)
    parser.add_argument("--hold", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.lifeline_fd is not None:
        watch_lifeline(args.lifeline_fd)
    applied = enter_sandbox(SandboxPolicy.from_json(args.sandbox)) if args.sandbox else {}
    print(json.dumps({"applied": applied, **describe_process()}), flush=True)
    time.sleep(args.hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
