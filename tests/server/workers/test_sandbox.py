"""The sandbox of user code: environment, limits, user, network, lifeline, process groups."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.workers.sandbox import (
    SandboxPolicy,
    check_sandbox_user,
    child_environment,
    kill_process_group,
    make_owned_dir,
    start_sandboxed,
)

IS_ROOT = os.geteuid() == 0


def run_probe(workdir: Path, policy: SandboxPolicy) -> dict:
    """Starts `python -m server.workers.sandbox` in the sandbox; returns what it saw."""
    process = start_sandboxed(
        "server.workers.sandbox", [], workdir=workdir, policy=policy, stdout=subprocess.PIPE
    )
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return json.loads(output)


def test_child_environment_keeps_no_secrets(monkeypatch, tmp_path):
    monkeypatch.setenv("HORN_DATABASE_URL", "postgresql://u:p@db/horn")
    monkeypatch.setenv("HORN_BOOTSTRAP_API_KEY", "horn_secret")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://broker")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    env = child_environment(tmp_path)
    assert not [name for name in env if name.startswith(("HORN_", "CELERY", "AWS"))]
    assert env["HOME"] == str(tmp_path)
    assert env["CUDA_VISIBLE_DEVICES"] == ""  # no GPUs asked for: none visible
    assert Path(env["PYTHONPATH"], "server", "workers", "runner.py").is_file()


@pytest.mark.skipif(not IS_ROOT, reason="dropping to the sandbox user needs root")
def test_sandbox_applies_user_limits_and_network(tmp_path):
    problem = check_sandbox_user("nobody")
    assert problem is None, problem
    workdir = make_owned_dir(tmp_path / "private" / "work", "nobody")
    os.chmod(tmp_path / "private", 0o700)  # the sandbox user cannot walk down to its folder
    policy = SandboxPolicy(
        user="nobody", cpu_seconds=120, memory_mb=2048, max_file_mb=8, open_files=64
    )
    seen = run_probe(workdir, policy)
    assert (seen["uid"], seen["user"], seen["groups"]) == (65534, "nobody", [])
    assert seen["limits"] == {
        "RLIMIT_CPU": 120,
        "RLIMIT_DATA": 2048 * 1024 * 1024,
        "RLIMIT_FSIZE": 8 * 1024 * 1024,
        "RLIMIT_NOFILE": 64,
    }
    assert seen["applied"]["network"] == "isolated"
    assert seen["network"] == "OSError: Network is unreachable"
    assert not [name for name in seen["environment"] if name.startswith("HORN_")]


def test_sandbox_without_user_drop_keeps_user(tmp_path):
    seen = run_probe(tmp_path, SandboxPolicy(user=None, isolate_network=False))
    assert seen["uid"] == os.getuid()
    assert seen["network"] != "OSError: Network is unreachable"


@pytest.mark.skipif(not IS_ROOT, reason="checking another user's access needs root")
def test_check_reports_untraversable_interpreter_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    python = locked / "python3"
    python.symlink_to(sys.executable)
    problem = check_sandbox_user("nobody", str(python))
    assert problem is not None
    assert f"cannot run the Python interpreter {python}" in problem
    assert f"`chmod o+x {tmp_path}`" in problem or "chmod o+x" in problem
    assert "HORN_SANDBOX_ALLOW_UNPRIVILEGED_FALLBACK" in problem


def test_check_reports_missing_user():
    problem = check_sandbox_user("horn-no-such-user")
    assert "does not exist" in problem and "HORN_SANDBOX_USER" in problem


def test_lifeline_kills_the_child_when_the_parent_goes(tmp_path):
    lifeline_read, lifeline_write = os.pipe()
    process = start_sandboxed(
        "server.workers.sandbox",
        ["--lifeline-fd", str(lifeline_read), "--hold", "60"],
        workdir=tmp_path,
        policy=SandboxPolicy(user=None, isolate_network=False),
        pass_fds=(lifeline_read,),
        stdout=subprocess.PIPE,
    )
    os.close(lifeline_read)
    try:
        assert json.loads(process.stdout.readline())["uid"] == os.getuid()
        started = time.monotonic()
        os.close(lifeline_write)  # what happens when the worker process dies
        process.wait(timeout=10)
        assert time.monotonic() - started < 5
        assert process.returncode == -signal.SIGKILL
    finally:
        kill_process_group(process, grace_s=0.1)


def test_kill_process_group_stops_grandchildren(tmp_path):
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True
    )
    grandchild = int(process.stdout.readline())
    kill_process_group(process, grace_s=1.0)
    assert process.poll() is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not IS_ROOT, reason="starts the probe as another user")
def test_network_isolation_for_a_worker_without_root(tmp_path):
    os.chmod(tmp_path, 0o777)
    result = subprocess.run(
        [sys.executable, "-m", "server.workers.sandbox", "--sandbox", SandboxPolicy().to_json()],
        user=65534,
        group=65534,
        extra_groups=[],
        env=child_environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["applied"]["network"] == "isolated"
    assert seen["network"] == "OSError: Network is unreachable"
    assert (seen["uid"], seen["gid"]) == (65534, 65534)  # mapped onto itself, not "root"
