"""The worker's side of the sandbox: what a box is given and how it reports.

The attacks on a box live in `tests/server/sandbox/`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import Settings
from server.workers import box
from server.workers.sandbox import (
    PROJECT_ROOT,
    Bind,
    BoxLimits,
    SandboxUnavailableError,
    box_environment,
    check_private_paths,
    check_sandbox,
    interpreter_paths,
    start_box,
)


def run_probe(tmp_path: Path, code: str, **limits) -> tuple[dict, dict]:
    """Runs `code` in a box; returns what the box saw and the launcher's report."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    settings = Settings(data_dir=tmp_path / "data")
    started = start_box(
        "server.workers.sandbox",
        ["--probe", code],
        binds=[Bind(work, "/job/work", writable=True)],
        cwd="/job/work",
        limits=BoxLimits(**{"cpu_seconds": 60, **limits}),
        settings=settings,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output, _ = started.process.communicate(timeout=120)
    started.poll()
    lines = output.decode().strip().splitlines()
    seen = json.loads(lines[-1]) if started.returncode == 0 else {"output": lines}
    return seen, started.status


def test_box_environment_keeps_no_secrets(monkeypatch):
    monkeypatch.setenv("HORN_DATABASE_URL", "postgresql://horn:secret@db/horn")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("PYTHONPATH", "/somewhere/writable")
    env = box_environment("/job/work")
    assert not [name for name in env if name.startswith(("HORN_", "AWS_", "PYTHON"))]
    assert env["HOME"] == "/job/work" and env["CUDA_VISIBLE_DEVICES"] == ""


def test_interpreter_paths_show_packages_not_the_project_folder():
    paths = interpreter_paths()
    assert str(PROJECT_ROOT) not in paths  # it may hold ./horn-data
    assert str(PROJECT_ROOT / "server") in paths and str(PROJECT_ROOT / "kerascore") in paths
    # The interpreter is shown (its prefix or a folder above it), but never the whole host.
    assert "/" not in paths and "/root" not in paths and "/home" not in paths
    prefix = os.path.realpath(sys.base_prefix)
    assert any(prefix == path or prefix.startswith(path + "/") for path in paths), paths


def test_data_dir_inside_a_shown_folder_is_refused():
    with pytest.raises(SandboxUnavailableError, match="HORN_DATA_DIR"):
        check_private_paths([PROJECT_ROOT / "server" / "horn-data"])
    check_private_paths([PROJECT_ROOT / "horn-data"])  # beside the packages: fine


def test_box_sees_only_its_own_view(tmp_path):
    seen, status = run_probe(tmp_path, "open('/job/work/out.txt', 'w').write('hi')")
    assert status["returncode"] == 0
    assert (tmp_path / "work" / "out.txt").read_text() == "hi"
    assert seen["pid"] == 2  # the box's init is 1
    assert "Network is unreachable" in seen["network"]
    shown_folders = {Path(path).parts[1] for path in interpreter_paths()}
    system_folders = {"bin", "dev", "etc", "job", "lib", "lib64", "lib32", "libx32", "proc"}
    system_folders |= {"sbin", "tmp", "usr"}
    assert set(seen["root"]) <= system_folders | shown_folders
    assert "run" not in seen["root"] and "var" not in seen["root"]
    assert not [name for name in seen["environment"] if name.startswith("HORN_")]
    if os.geteuid() == 0:
        assert status["mode"] == "root" and seen["uid"] == status["uid"] != 0
        assert seen["user"] == "horn"


def test_two_running_boxes_get_different_uids(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("uids per box are a root feature; as a user the namespaces separate boxes")
    settings = Settings(data_dir=tmp_path / "data")
    boxes = [
        start_box(
            "server.workers.sandbox",
            ["--probe", "import time; time.sleep(2)"],
            binds=[],
            cwd="/tmp",
            limits=BoxLimits(cpu_seconds=30),
            settings=settings,
        )
        for _ in range(2)
    ]
    for started in boxes:
        started.wait(timeout=60)
    assert boxes[0].status["uid"] != boxes[1].status["uid"]


def test_limits_reach_the_box(tmp_path):
    seen, _ = run_probe(tmp_path, "pass", max_file_mb=5, open_files=64)
    assert seen["limits"]["RLIMIT_FSIZE"] == 5 * 1024 * 1024
    assert seen["limits"]["RLIMIT_NOFILE"] == 64


def test_seccomp_program_denies_namespace_calls():
    program = box.seccomp_program("x86_64")
    assert len(program) % 8 == 0
    codes = [program[i : i + 8] for i in range(0, len(program), 8)]
    denied = {int.from_bytes(code[4:8], "little") for code in codes if code[0] == 0x15}
    assert {272, 308, 165, 101, 321}.issubset(denied)  # unshare, setns, mount, ptrace, bpf


def test_check_sandbox_reports_what_boxes_get(tmp_path):
    report = check_sandbox(Settings(data_dir=tmp_path / "data"))
    assert report["returncode"] == 0
    assert report["mode"] == ("root" if os.geteuid() == 0 else "user_namespace")


def test_read_only_folders_under_tmp_are_shown(tmp_path, monkeypatch):
    # A clone or a virtual environment under /tmp: its folders sit on the box's own /tmp.
    from server.workers import sandbox

    shown = tmp_path / "venv-like"
    shown.mkdir()
    (shown / "module.py").write_text("VALUE = 42\n")
    everything = sandbox.interpreter_paths()
    monkeypatch.setattr(sandbox, "interpreter_paths", lambda: [*everything, str(shown)])
    code = (
        f"import sys; sys.path.insert(0, {str(shown)!r}); import module\n"
        "assert module.VALUE == 42\n"
        f"try:\n    open({str(shown / 'new.txt')!r}, 'w')\nexcept OSError as e:\n"
        "    print('READ-ONLY', e.errno)\n"
    )
    seen, status = run_probe(tmp_path, code)
    assert status["returncode"] == 0, seen
    assert not (shown / "new.txt").exists()
