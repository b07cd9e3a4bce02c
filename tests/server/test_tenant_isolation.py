"""Two tenants on one real `horn up`: an attacker's training job and predictor against a victim's.

Run with the service as root (a uid per box) and again as an ordinary user (user namespaces),
as a new user of Horn would run it. The attacks on the box itself, one by one, are in
`tests/server/sandbox/`; here they run through the whole service, while the victim trains.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import skip_or_fail

ORDINARY_UID = 65534
# Daemons started from predictors: they must be gone once Horn stopped.
DAEMON_MARKERS: list[str] = []


ATTACK_SOURCE = """
import ctypes, json, os, signal, socket, subprocess, sys, time

VICTIM_DIR = {victim_dir!r}
DATA_DIR = {data_dir!r}
VICTIM_PIDS = {victim_pids!r}
MARKER = {marker!r}
SECRET = {secret!r}
results = {{}}


def attempt(name, action):
    try:
        value = action()
    except Exception as exc:
        results[name] = "blocked: " + type(exc).__name__
    else:
        results[name] = "ESCAPED: " + repr(value)[:200]


def read_everything_for_secrets():
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if SECRET.encode() in open(f"/proc/{{pid}}/environ", "rb").read():
                    found.append(pid)
            except OSError:
                pass
    if found or SECRET in str(os.environ):
        return found or "os.environ"
    raise PermissionError("no secret anywhere")


def kill_victims():
    for pid in VICTIM_PIDS:
        os.kill(pid, signal.SIGKILL)  # the victim's pids do not exist in this box
    return VICTIM_PIDS


def setuid_root():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setuid(0) != 0:
        raise PermissionError(os.strerror(ctypes.get_errno()))
    return os.getuid()


def new_namespace():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000 | 0x00020000) != 0:
        raise PermissionError(os.strerror(ctypes.get_errno()))
    return "unshared"


def start_daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", MARKER])
        os._exit(0)
    raise PermissionError("started; the test checks it died with the box")


attempt("read_victim_checkpoints", lambda: os.listdir(VICTIM_DIR + "/checkpoints"))
attempt("read_data_dir", lambda: os.listdir(DATA_DIR))
attempt("read_database", lambda: open(DATA_DIR + "/horn.db", "rb").read(16))
attempt("read_api_key", lambda: open(DATA_DIR + "/api-key").read())
attempt("walk_up_to_jobs", lambda: os.listdir("../../jobs"))
attempt("poison_checkpoint", lambda: open(VICTIM_DIR + "/checkpoints/epoch-0001.keras", "wb"))
attempt("read_shadow", lambda: open("/etc/shadow").read())
attempt("find_secret", read_everything_for_secrets)
attempt("kill_victim", kill_victims)
attempt("tcp_postgres", lambda: socket.create_connection(("127.0.0.1", 5432), timeout=2))
attempt("tcp_redis", lambda: socket.create_connection(("127.0.0.1", 6379), timeout=2))
attempt("unix_postgres", lambda: socket.socket(socket.AF_UNIX).connect(
    "/var/run/postgresql/.s.PGSQL.5432"))
attempt("setuid_root", setuid_root)
attempt("new_namespace", new_namespace)
attempt("daemon", start_daemon)
print("ATTACK_RESULTS " + json.dumps(results), flush=True)
if os.getcwd() == "/box/work" and {hang_in_predictor!r}:
    while True:  # a predictor whose import never returns
        time.sleep(1)
""" + (
    "\nimport kerascore as keras\n\n"
    "def build_model(hparams):\n"
    "    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, "
    "activation='softmax')])\n"
    "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
    "    return model\n"
)

MEMORY_BOMB = (
    "chunks = []\n"
    "while True:\n"
    "    chunks.append(bytearray(64 << 20))\n"
    "    chunks[-1][::4096] = b'x' * len(chunks[-1][::4096])\n"
)
FORK_BOMB = (
    "import os, time\n"
    "children = []\n"
    "while True:\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        time.sleep(60)\n"
    "        os._exit(0)\n"
    "    children.append(pid)\n"
)
DISK_FILL = (
    "block = b'x' * (1 << 20)\n"
    "with open('fill.bin', 'wb') as out:\n"
    "    while True:\n"
    "        out.write(block)\n"
    "        out.flush()\n"
)


def ordinary_user_wrapper() -> tuple[str, ...]:
    """A command prefix that runs the rest as uid 65534, who can still run this interpreter.

    On this machine the interpreter lives under root's mode-700 home; an ordinary user has one
    of their own. `sandbox/as_user.py` shows the interpreter's folders through a private mount
    namespace, then drops to the uid.
    """
    helper = Path(__file__).with_name("sandbox") / "as_user.py"
    return (
        "unshare",
        "-m",
        "--propagation",
        "private",
        sys.executable,
        str(helper),
        str(ORDINARY_UID),
        "--",
    )


@pytest.fixture(scope="module", params=["root", "ordinary-user"])
def tenants(request, e2e_helpers):
    if os.geteuid() != 0:
        pytest.skip("starts Horn as root and as an ordinary user: run the suite as root")
    wrapper: tuple[str, ...] = ()
    root = Path(tempfile.mkdtemp(prefix="horn-tenants-"))
    if request.param == "ordinary-user":
        missing = [tool for tool in ("unshare", "setpriv") if shutil.which(tool) is None]
        if missing:
            skip_or_fail(f"util-linux's {missing} are needed to start Horn as another user")
        os.chown(root, ORDINARY_UID, ORDINARY_UID)
        wrapper = ordinary_user_wrapper()
    os.chmod(root, 0o755)
    secret = f"horn-secret-{uuid.uuid4().hex}"
    env = {
        "HORN_TEST_SECRET": secret,
        "HORN_SANDBOX_MEMORY_MB": "1536",
        "HORN_SANDBOX_MAX_PROCESSES": "256",
        "HORN_SANDBOX_DISK_MB": "64",
        "HORN_PREDICTOR_TIMEOUT_S": "10",
    }
    horn = e2e_helpers.start_horn(
        root, env, request.param, args=("--concurrency", "2"), wrapper=wrapper
    )
    other = subprocess.run(
        [sys.executable, "-m", "server.cli", "keys", "create", "--tenant", "mallory"],
        env={**os.environ, "HORN_DATA_DIR": str(horn.data_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    attacker = httpx.Client(
        base_url=horn.url,
        headers={"Authorization": f"Bearer {other.stdout.strip()}"},
        timeout=60,
    )
    try:
        yield horn, attacker, secret, request.param
    finally:
        attacker.close()
        code = horn.stop(signal.SIGINT)
        shutil.rmtree(root, ignore_errors=True)
        assert code == 0, root / "horn-up.log"


def upload(client: httpx.Client, source: str) -> tuple[str, str]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    import io

    buffer = io.BytesIO()
    np.savez(buffer, x=(digits.data / 16).astype("float32"), y=digits.target)
    dataset = client.post("/v1/datasets", files={"file": ("d.npz", buffer.getvalue())})
    model = client.post("/v1/models", files={"file": ("m.py", source.encode())})
    assert dataset.status_code == 201 and model.status_code == 201, (dataset.text, model.text)
    return model.json()["id"], dataset.json()["id"]


def submit(client: httpx.Client, source: str, epochs: int = 1) -> str:
    model_id, dataset_id = upload(client, source)
    body = {
        "model_id": model_id,
        "dataset_id": dataset_id,
        "training": {"epochs": epochs, "batch_size": 32},
    }
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def wait_terminal(client: httpx.Client, job_id: str, timeout_s: float = 180) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"{job_id} did not finish: {job}")


def box_pids(label: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if label.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            break
        found.add(pid)
    return found


def checkpoint_digests(data_dir: Path, job_id: str) -> dict[str, str]:
    folder = data_dir / "jobs" / job_id / "checkpoints"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.keras")}


def test_attacker_cannot_touch_a_victim_that_trains_at_the_same_time(tenants, e2e_helpers):
    horn, attacker, secret, _ = tenants
    horn_module = e2e_helpers
    victim = horn.client
    victim_job = submit(victim, horn_module.MODEL_SOURCE, epochs=6)
    horn.events(victim_job, until=lambda e: e.type == "metric")
    victim_dir = horn.data_dir / "jobs" / victim_job
    marker = f"horn-daemon-{uuid.uuid4().hex}"
    source = ATTACK_SOURCE.format(
        victim_dir=str(victim_dir),
        data_dir=str(horn.data_dir),
        victim_pids=box_pids(f"runner of {victim_job}") + [horn.process.pid],
        marker=marker,
        secret=secret,
        hang_in_predictor=False,
    )
    attack_job = submit(attacker, source)
    attack = wait_terminal(attacker, attack_job)
    assert attack["status"] == "succeeded", attack
    logs = attacker.get(f"/v1/jobs/{attack_job}/logs").text
    line = next(line for line in logs.splitlines() if line.startswith("ATTACK_RESULTS "))
    results = json.loads(line.split(" ", 1)[1])
    assert len(results) == 15
    escaped = {name: result for name, result in results.items() if result.startswith("ESCAPED")}
    assert not escaped

    # The attacker's predictor runs the same source (its import) in a box of its own.
    predicted = attacker.post(f"/v1/jobs/{attack_job}/predict", json={"instances": [[0.0] * 64]})
    assert predicted.status_code == 200, predicted.text
    # The predictor's own log (on the host, out of its reach) has its attempts: all blocked.
    logs = [path.read_text() for path in (horn.data_dir / "predictors").glob("*/predictor.log")]
    lines = [line for log in logs for line in log.splitlines() if line.startswith("ATTACK_")]
    assert lines
    for line in lines:
        from_predictor = json.loads(line.split(" ", 1)[1])
        assert len(from_predictor) == 15
        assert not [name for name, got in from_predictor.items() if got.startswith("ESCAPED")]
    time.sleep(1)
    # The training box's daemon died with it; the predictor's lives as long as its box does.
    predictor_boxes = box_pids(f"predictor in {horn.data_dir}")
    for pid in box_pids(marker):
        assert ancestors(pid) & set(predictor_boxes), pid
    DAEMON_MARKERS.append(marker)

    done = wait_terminal(victim, victim_job)
    assert done["status"] == "succeeded", done
    history = victim.get(f"/v1/jobs/{victim_job}/metrics").json()["items"]
    assert [row["epoch"] for row in history] == list(range(1, 7))
    assert done["attempts"][-1]["number"] == 1  # never killed, never restarted
    digests = checkpoint_digests(horn.data_dir, victim_job)
    assert len(digests) == 6

    import kerascore

    rows = np.random.default_rng(0).random((4, 64)).astype("float32")
    model = kerascore.models.load_model(victim_dir / "checkpoints" / "epoch-0006.keras")
    served = victim.post(f"/v1/jobs/{victim_job}/predict", json={"instances": rows.tolist()})
    assert served.status_code == 200, served.text
    np.testing.assert_allclose(
        served.json()["predictions"], model.predict(rows, verbose=0), atol=1e-5
    )
    # The attacker sees none of it through the API either.
    assert attacker.get(f"/v1/jobs/{victim_job}").status_code == 404


@pytest.mark.parametrize(
    ("attack", "reason"),
    [(MEMORY_BOMB, "out_of_memory"), (FORK_BOMB, "too_many_processes"), (DISK_FILL, "disk_quota")],
    ids=["memory-bomb", "fork-bomb", "disk-fill"],
)
def test_a_job_over_a_limit_fails_with_its_reason_and_the_next_job_runs(
    tenants, e2e_helpers, attack, reason
):
    horn, attacker, _, _ = tenants
    horn_module = e2e_helpers
    job = wait_terminal(attacker, submit(attacker, attack + horn_module.MODEL_SOURCE))
    assert (job["status"], job["reason"]) == ("failed", reason), job
    assert "HORN_SANDBOX_" in job["message"]
    following = wait_terminal(attacker, submit(attacker, horn_module.MODEL_SOURCE))
    assert following["status"] == "succeeded", following


def test_a_hung_predictor_answers_504_and_others_are_served(tenants, e2e_helpers):
    horn, attacker, secret, _ = tenants
    horn_module = e2e_helpers
    source = ATTACK_SOURCE.format(
        victim_dir="/nonexistent",
        data_dir=str(horn.data_dir),
        victim_pids=[],
        marker="unused",
        secret=secret,
        hang_in_predictor=True,
    )
    hung_job = submit(attacker, source)
    assert wait_terminal(attacker, hung_job)["status"] == "succeeded"
    good_job = submit(horn.client, horn_module.MODEL_SOURCE)
    assert wait_terminal(horn.client, good_job)["status"] == "succeeded"

    answers: dict[str, object] = {}

    def hung() -> None:
        started = time.monotonic()
        response = attacker.post(f"/v1/jobs/{hung_job}/predict", json={"instances": [[0.0] * 64]})
        answers["hung"] = (response.status_code, time.monotonic() - started, response.json())

    thread = threading.Thread(target=hung)
    thread.start()
    time.sleep(1)
    good = horn.client.post(f"/v1/jobs/{good_job}/predict", json={"instances": [[0.0] * 64]})
    assert good.status_code == 200, good.text
    thread.join(60)
    status, seconds, body = answers["hung"]
    assert status == 504, body
    assert body["error"]["code"] == "prediction_timeout"
    assert seconds < 10 + 15  # HORN_PREDICTOR_TIMEOUT_S, plus starting a predictor
    assert horn.client.get("/v1/jobs").status_code == 200  # the API is unharmed


def test_ci_runs_both_modes():
    if os.environ.get("CI", "").lower() == "true":
        assert shutil.which("unshare") and shutil.which("setpriv")
