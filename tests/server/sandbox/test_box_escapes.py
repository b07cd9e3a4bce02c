"""Escape attempts against the box: every attack in `attacks/` runs in a real box and must fail.

Each attack is a model source (it defines `build_model`) whose top-level code attacks the host
or another tenant and prints one line `ATTACK {"name", "escaped", "detail"}`. The tests run
them while a second tenant's box (the victim) runs beside them, then check both what the attack
says and what the host sees: the victim's files byte for byte, its processes alive, no process
left over, the limit the launcher reports.

Every test runs in two modes: `root` (this process is root and calls `start_box` itself: the
box gets its own uid and a cgroup) and `user` (a driver process under uid 65534 calls
`start_box`: the box gets a user namespace). The user mode needs root, `unshare` and `setpriv`
to set that process up; without them it is skipped, or fails when CI=true.
"""

from __future__ import annotations

import ast
import dataclasses
import glob
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import skip_or_fail

HERE = Path(__file__).resolve().parent
ATTACKS = HERE / "attacks"


def attack_source(name: str) -> str:
    """The model source of attack `name`: `attacks/_model.py`, then `attacks/<name>.py`."""
    return (ATTACKS / "_model.py").read_text() + "\n\n" + (ATTACKS / f"{name}.py").read_text()


NOBODY = 65534
SECRET_NAME = "HORN_TEST_SECRET"
TMP_MB = 32
# Attacks that need no limit of their own run one after the other in a single box.
BATCH = (
    "data_dir",
    "disk_fill_tmp",
    "etc_shadow",
    "network",
    "proc_environ_fd",
    "ptrace",
    "setuid_root",
    "signal_others",
    "unshare_mount",
    "walk_up",
    "worker_environ",
    "write_victim",
)
OWN_BOX = (
    "daemon",
    "disk_fill_work",
    "fork_bomb",
    "memory_bomb",
    "shadow_modules",
    "sigterm_ignore",
)
# The victim: another tenant's job, holding its checkpoint open, until the tests are done.
VICTIM_PROBE = (
    "import os, time\n"
    "held = open('/job/work/checkpoint.bin', 'rb')\n"
    "print('VICTIM READY', os.getpid(), flush=True)\n"
    "time.sleep(900)\n"
)


class SandboxBug(AssertionError):
    """A check of the sandbox failed: an attack escaped or a limit did not hold."""


def _load_driver() -> Any:
    spec = importlib.util.spec_from_file_location("horn_sandbox_test_driver", HERE / "driver.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


driver = _load_driver()


def require(ok: bool, message: str) -> None:
    """Skips the test when a prerequisite is missing; fails instead under CI."""
    if not ok:
        skip_or_fail(message)


# --- the host's view ----------------------------------------------------------------------------


def _start_time(pid: int) -> str | None:
    """Start time of a running process (None when gone or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def processes_named(comm: str, wait_s: float = 3.0) -> list[int]:
    """Live processes whose name is `comm`, after waiting up to `wait_s` for them to go."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    named = Path(f"/proc/{name}/comm").read_text().strip() == comm
                except OSError:
                    continue
                if named and _start_time(int(name)) is not None:
                    found.append(int(name))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry below `folder`: mode, owner and content (None for folders)."""
    found = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = path.lstat()
        content = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        found[str(path.relative_to(folder))] = (info.st_mode, info.st_uid, content)
    return found


def _chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid)
    for entry in path.rglob("*"):
        os.chown(entry, uid, uid, follow_symlinks=False)


# --- one mode's world: folders, the victim box, host services ----------------------------------


@dataclasses.dataclass
class World:
    """A data folder with a victim job whose box runs, host listeners, and the mode's boxes."""

    mode: str
    base: Path
    data: Path
    owner: int
    boxes: Any
    secret: str
    token: str
    contents: str
    victim_job: Path
    victim_work: Path
    victim_pids: list[int]
    victim_started: dict[int, str]
    victim_files: dict[str, tuple]
    data_entries: list[str]
    db_bytes: bytes
    tcp: socket.socket
    unix_path: Path
    unix: socket.socket
    abstract_name: str
    abstract: socket.socket
    count: int = 0

    def fill(self, source: str) -> str:
        """The attack source with the placeholders replaced."""
        values = {
            '"VICTIM_DIR"': json.dumps(str(self.victim_work)),
            '"DATA_DIR"': json.dumps(str(self.data)),
            '"VICTIM_PID"': repr(self.victim_pids),
            '"HOST_TCP_PORT"': str(self.tcp.getsockname()[1]),
            '"HOST_UNIX_SOCKET"': json.dumps(str(self.unix_path)),
            '"HOST_ABSTRACT_SOCKET"': json.dumps(self.abstract_name),
        }
        for placeholder, value in values.items():
            source = source.replace(placeholder, value)
        return source

    def new_job(self, label: str) -> tuple[str, Path, Path]:
        """A fresh attacker job: (box name, its sources folder, its work folder)."""
        self.count += 1
        name = f"{label}-{self.count}"
        job = self.data / "jobs" / name
        (job / "sources").mkdir(parents=True)
        (job / "work").mkdir()
        _chown_tree(job, self.owner)
        return name, job / "sources", job / "work"

    def start(
        self,
        label: str,
        attacks: tuple[str, ...],
        limits: dict[str, Any] | None = None,
        work: Path | None = None,
    ) -> tuple[str, Path]:
        """Starts a box running `attacks` with the box's own work folder (or `work`)."""
        name, sources, own_work = self.new_job(label)
        for attack in attacks:
            path = sources / f"{attack}.py"
            path.write_text(self.fill(attack_source(attack)))
            os.chown(path, self.owner, self.owner)
        work = work or own_work
        binds = [[str(sources), "/job/attacks", False], [str(work), "/job/work", True]]
        self.boxes.start(name, binds, "/job/work", limits=limits)
        return name, work

    def run(
        self,
        label: str,
        attacks: tuple[str, ...],
        limits: dict[str, Any] | None = None,
        timeout: float = 60,
        work: Path | None = None,
    ) -> dict[str, Any]:
        """Runs `attacks` in one box until it ends; returns how it ended and its ATTACK lines."""
        name, work = self.start(label, attacks, limits, work)
        result = self.boxes.wait(name, timeout)
        return {**result, "work": work, "attacks": attack_lines(result["output"])}

    def victim_alive(self) -> bool:
        """Whether the victim's launcher and payload still run (the same processes)."""
        return all(_start_time(pid) == self.victim_started[pid] for pid in self.victim_pids)

    def assert_victim_intact(self) -> None:
        """The victim's processes run and its files, the database and the data folder's
        entries are as they were, byte for byte."""
        assert self.victim_alive(), f"the victim box {self.victim_pids} was killed"
        assert snapshot(self.victim_job) == self.victim_files, "the victim's files changed"
        assert (self.data / "horn.db").read_bytes() == self.db_bytes
        assert sorted(os.listdir(self.data)) == self.data_entries

    def assert_no_leftovers(self, run: dict[str, Any], comm: str) -> None:
        """No process named `comm` and (as root) no cgroup of the ended box is left."""
        assert processes_named(comm) == []
        if self.mode == "root":
            name = f"horn-box-{run['status']['uid']}"
            patterns = [f"/sys/fs/cgroup/{'*/' * depth}{name}" for depth in range(4)]
            assert not [path for pattern in patterns for path in glob.glob(pattern)]

    def assert_no_connection(self) -> None:
        """No box reached the host's listeners."""
        for listener in (self.tcp, self.unix, self.abstract):
            with pytest.raises(BlockingIOError):
                listener.accept()


def attack_lines(output: str) -> dict[str, dict[str, Any]]:
    """The `ATTACK {...}` lines of a box's output, by attack name."""
    found = {}
    for line in output.splitlines():
        if line.startswith("ATTACK "):
            record = json.loads(line[len("ATTACK ") :])
            found[record["name"]] = record
    return found


def outcome(run: dict[str, Any], name: str) -> dict[str, Any]:
    """The ATTACK record of `name` in `run`, asserting that the attack ran and failed."""
    record = run["attacks"].get(name)
    assert record is not None, f"{name} printed no ATTACK line:\n{run['output'][-4000:]}"
    if record["escaped"] is not False:
        raise SandboxBug(f"{name} escaped: {json.dumps(record['detail'])[:4000]}")
    return record


def _listener(family: int, address: Any) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind(address)
    sock.listen(16)
    sock.setblocking(False)
    return sock


def _user_mode_command() -> list[str]:
    return [
        "unshare",
        "-m",
        "--propagation",
        "private",
        sys.executable,
        "-B",
        str(HERE / "as_user.py"),
        str(NOBODY),
        "--",
    ]


@pytest.fixture(scope="module", params=["root", "user"])
def world(request):
    """One mode's world, with the victim's box running."""
    mode = request.param
    is_root = os.geteuid() == 0
    if mode == "root":
        require(is_root, "The root mode runs boxes as root; this test process is not root.")
    else:
        require(is_root, "The user mode needs root to set up its unprivileged driver.")
        missing = [tool for tool in ("unshare", "setpriv") if shutil.which(tool) is None]
        require(not missing, f"The user mode needs {' and '.join(missing)} (util-linux).")
    owner = 0 if mode == "root" else NOBODY
    token = secrets.token_hex(8)  # in names the attacks may print
    contents = secrets.token_hex(16)  # only in the contents of the victim's and data files
    secret = f"horn-secret-{secrets.token_hex(16)}"
    saved_secret = os.environ.get(SECRET_NAME)
    os.environ[SECRET_NAME] = secret
    base = Path(tempfile.mkdtemp(prefix="horn-sandbox-test-"))
    base.chmod(0o711)
    sockets: list[socket.socket] = []
    boxes = None
    try:
        data = base / "data"
        data.mkdir(mode=0o700)
        (data / "horn.db").write_bytes(b"SQLite format 3\0" + f"db-secret-{contents}".encode())
        victim_job = data / "jobs" / f"victim-{token}"
        victim_work = victim_job / "work"
        victim_work.mkdir(parents=True)
        (victim_work / "checkpoint.bin").write_bytes(os.urandom(4096) + contents.encode())
        (victim_work / "notes.txt").write_text(f"the victim's notes {contents}\n")
        _chown_tree(data, owner)
        tcp = _listener(socket.AF_INET, ("127.0.0.1", 0))
        unix_path = base / "host.sock"
        unix = _listener(socket.AF_UNIX, str(unix_path))
        unix_path.chmod(0o777)
        abstract_name = f"horn-test-{token}"
        abstract = _listener(socket.AF_UNIX, "\0" + abstract_name)
        sockets += [tcp, unix, abstract]
        if mode == "root":
            boxes = driver.Boxes(str(data))
        else:
            boxes = driver.RemoteBoxes(_user_mode_command(), str(data), dict(os.environ), str(base))
            assert boxes.hello == {"uid": NOBODY, "gid": NOBODY, "groups": []}
        victim_binds = [[str(victim_work), "/job/work", True]]
        launcher = boxes.start("victim", victim_binds, "/job/work", probe=VICTIM_PROBE)["pid"]
        ready = boxes.readline("victim", "VICTIM READY", 30)
        assert ready["line"], f"the victim's box did not start: {ready}"
        payload = None
        for _ in range(100):
            inits = _children(launcher)
            payloads = _children(inits[0]) if inits else []
            if payloads:
                payload = payloads[0]
                break
            time.sleep(0.02)
        assert payload is not None, "the victim's payload was not found"
        pids = [launcher, payload]
        world = World(
            mode=mode,
            base=base,
            data=data,
            owner=owner,
            boxes=boxes,
            secret=secret,
            token=token,
            contents=contents,
            victim_job=victim_job,
            victim_work=victim_work,
            victim_pids=pids,
            victim_started={pid: _start_time(pid) for pid in pids},
            victim_files=snapshot(victim_job),
            data_entries=sorted(os.listdir(data)),
            db_bytes=(data / "horn.db").read_bytes(),
            tcp=tcp,
            unix_path=unix_path,
            unix=unix,
            abstract_name=abstract_name,
            abstract=abstract,
        )
        yield world
        stopped = boxes.stop("victim", 0.5)
        # The victim was never disturbed: it ends by the stop's SIGTERM, not by SIGKILL.
        assert stopped["returncode"] == -15, stopped
    finally:
        if boxes is not None:
            boxes.close()
        for sock in sockets:
            sock.close()
        shutil.rmtree(base, ignore_errors=True)
        if saved_secret is None:
            os.environ.pop(SECRET_NAME, None)
        else:
            os.environ[SECRET_NAME] = saved_secret


@pytest.fixture(scope="module")
def batch(world):
    """The attacks of BATCH, run one after the other in one box beside the victim."""
    run = world.run("batch", BATCH, limits={"tmp_mb": TMP_MB}, timeout=120)
    assert not run["timed_out"], run["output"][-4000:]
    return run


# --- the attack sources --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BATCH + OWN_BOX))
def test_attack_source_is_a_model_that_imports_kerascore_lazily(name):
    tree = ast.parse(attack_source(name))
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "build_model" in functions
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = {alias.name.split(".")[0] for node in top_level for alias in node.names}
    names |= {node.module.split(".")[0] for node in top_level if isinstance(node, ast.ImportFrom)}
    assert not names & {"kerascore", "tensorflow", "keras"}, "import kerascore in build_model"
    inner = [node for node in ast.walk(functions["build_model"]) if isinstance(node, ast.Import)]
    assert any(alias.name == "kerascore" for node in inner for alias in node.names)


def test_every_attack_runs():
    assert {path.stem for path in ATTACKS.glob("[a-z]*.py")} == set(BATCH + OWN_BOX)


def test_runner_imports_an_attack_as_its_model(world):
    """The real runner's import of a model source runs the attack (and fails it), and the
    source's build_model gives a kerascore model."""
    name, sources, work = world.new_job("runner")
    source = sources / "model.py"
    source.write_text(world.fill(attack_source("etc_shadow")))
    os.chown(source, world.owner, world.owner)
    probe = (
        "from server.workers.runner import build_user_model, load_user_module\n"
        "module = load_user_module('/job/model.py')\n"
        "model = build_user_model(module.build_model, {})\n"
        "print('MODEL', type(model).__name__, flush=True)\n"
    )
    world.boxes.start(
        name,
        [[str(source), "/job/model.py", False], [str(work), "/job/work", True]],
        "/job/work",
        probe=probe,
    )
    result = world.boxes.wait(name, 180)
    run = {**result, "attacks": attack_lines(result["output"])}
    outcome(run, "etc_shadow")
    assert "MODEL Sequential" in result["output"], result["output"][-4000:]
    assert result["returncode"] == 0
    world.assert_victim_intact()


# --- attacks that share one box ------------------------------------------------------------------


def test_etc_shadow(world, batch):
    record = outcome(batch, "etc_shadow")
    assert "/etc/shadow" in record["detail"]["refused"]
    for line in Path("/etc/shadow").read_text().splitlines():
        secret = line.split(":")[1] if line.count(":") > 1 else ""
        if len(secret) > 2:  # a password hash, not "*" or "!"
            assert secret not in batch["output"]
    world.assert_victim_intact()


def test_data_dir(world, batch):
    outcome(batch, "data_dir")
    assert world.contents not in batch["output"]
    world.assert_victim_intact()


def test_walk_up(world, batch):
    record = outcome(batch, "walk_up")
    assert record["detail"]["entries_walked"] > 0
    world.assert_victim_intact()


def test_write_victim(world, batch):
    record = outcome(batch, "write_victim")
    assert record["detail"]["refused"]
    world.assert_victim_intact()


def test_proc_environ_fd(world, batch):
    record = outcome(batch, "proc_environ_fd")
    seen = record["detail"]["pids"]
    assert 1 in seen and len(seen) < 10, seen  # only the box's own processes
    assert not set(seen) & {*world.victim_pids, os.getpid()}
    assert world.secret not in batch["output"]
    world.assert_victim_intact()


def test_signal_others(world, batch):
    record = outcome(batch, "signal_others")
    assert record["detail"]["victim"]
    world.assert_victim_intact()


def test_network(world, batch):
    record = outcome(batch, "network")
    assert record["detail"]["results"]
    world.assert_no_connection()
    world.assert_victim_intact()


def test_setuid_root(world, batch):
    record = outcome(batch, "setuid_root")
    uid = 1000 if world.mode == "user" else batch["status"]["uid"]
    assert record["detail"]["after"][:2] == [uid, uid]
    world.assert_victim_intact()


def test_unshare_mount(world, batch):
    record = outcome(batch, "unshare_mount")
    assert record["detail"]["results"]["unshare(CLONE_NEWUSER)"].startswith("returned -1")
    world.assert_victim_intact()


def test_ptrace(world, batch):
    # Also /proc/1/mem: the box's init shares the payload's uid but is not dumpable.
    outcome(batch, "ptrace")
    world.assert_victim_intact()


def test_worker_environ(world, batch):
    outcome(batch, "worker_environ")
    assert world.secret not in batch["output"]
    # The secret is there to find: in this process (root) or in the driver process (user).
    assert os.environ[SECRET_NAME] == world.secret
    if world.mode == "user":
        driver_environ = Path(f"/proc/{world.boxes.process.pid}/environ").read_bytes()
        assert world.secret.encode() in driver_environ
    world.assert_victim_intact()


def test_disk_fill_tmp(world, batch):
    record = outcome(batch, "disk_fill_tmp")
    assert record["detail"]["/tmp"]["error"] == "ENOSPC"
    assert record["detail"]["/tmp"]["written_mb"] <= TMP_MB
    assert record["detail"]["/dev/shm"]["written_mb"] <= max(TMP_MB // 4, 16)
    world.assert_victim_intact()


# --- attacks with a box of their own -------------------------------------------------------------


def test_daemon(world):
    run = world.run("daemon", ("daemon",), timeout=30)
    assert not run["timed_out"]
    record = outcome(run, "daemon")
    assert record["detail"]["daemon_started"], record
    world.assert_no_leftovers(run, "horn-daemon")
    heartbeat = run["work"] / "heartbeat"
    beats = heartbeat.stat().st_size
    time.sleep(0.5)
    assert heartbeat.stat().st_size == beats, "the daemon outlived its box"
    world.assert_victim_intact()


def test_fork_bomb(world):
    run = world.run("fork_bomb", ("fork_bomb",), limits={"max_processes": 64}, timeout=60)
    assert not run["timed_out"]
    record = run["attacks"].get("fork_bomb")
    if run["status"]["limit"] != "too_many_processes":
        outcome(run, "fork_bomb")
        assert record["detail"]["error"], record
    world.assert_no_leftovers(run, "horn-forkbomb")
    world.assert_victim_intact()


def test_memory_bomb(world):
    # A box built by an ordinary user has no cgroup: memory_mb + address_space_slack_mb
    # becomes an address-space limit, and the allocation ends with MemoryError.
    run = world.run("memory_bomb", ("memory_bomb",), limits={"memory_mb": 512}, timeout=120)
    assert not run["timed_out"]
    world.assert_no_leftovers(run, "horn-membomb")
    world.assert_victim_intact()
    if run["status"]["limit"] != "out_of_memory":
        if "memory_bomb" not in run["attacks"]:
            raise SandboxBug(
                f"the box ended with {run['status']} and no MemoryError:\n{run['output'][-2000:]}"
            )
        record = outcome(run, "memory_bomb")
        assert record["detail"]["error"] == "MemoryError", record


def test_disk_fill_work(world):
    run = world.run("disk_fill_work", ("disk_fill_work",), limits={"disk_mb": 64}, timeout=60)
    for path in run["work"].glob("fill-*.bin"):
        path.unlink()
    assert not run["timed_out"]
    world.assert_victim_intact()
    if run["status"]["limit"] != "disk_quota":
        outcome(run, "disk_fill_work")


def test_sigterm_ignore(world):
    name, _ = world.start("sigterm_ignore", ("sigterm_ignore",))
    ready = world.boxes.readline(name, "ATTACK ", 30)
    assert ready["line"], ready
    stopped = world.boxes.stop(name, 0.5)
    assert stopped["elapsed"] < 5, stopped
    assert stopped["status"]["returncode"] == -signal.SIGKILL, stopped
    world.assert_no_leftovers(stopped, "horn-sigterm")
    world.assert_victim_intact()
    # The launcher ends like its command did: killed by SIGKILL.
    if stopped["returncode"] != -signal.SIGKILL:
        raise SandboxBug(f"the launcher exited with {stopped['returncode']}: {stopped['output']}")


def test_shadow_modules(world):
    plant = world.run("shadow_modules", ("shadow_modules",), timeout=60)
    assert outcome(plant, "shadow_modules")["detail"]["phase"] == "plant"
    check = world.run("shadow_modules", ("shadow_modules",), timeout=60, work=plant["work"])
    record = outcome(check, "shadow_modules")
    assert record["detail"]["phase"] == "check"
    assert "HIJACKED" not in plant["output"] + check["output"]
    assert not list(plant["work"].glob("HIJACKED-*"))
    assert check["returncode"] == 0, check["output"][-4000:]
    world.assert_victim_intact()
