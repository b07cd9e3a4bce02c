"""docs/deploy.md's scale-out walked through outside containers: one `horn api`, two
`horn serve` on TCP, found by the API through Redis, and two `horn worker` processes with their
own host names, sharing Redis (broker, events, the serving registry), PostgreSQL and one data
dir; jobs submitted with `horn submit` spread over both workers, and predictions spread over
both serving processes and fail over when one stops.

Skips when Redis or PostgreSQL is not reachable on 127.0.0.1, except under `CI=true`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from server.client import Horn
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# A Redis database of its own: the broker's queues (`cpu`, `gpu`) have fixed names.
REDIS_URL = os.environ.get("HORN_TEST_SCALE_OUT_REDIS_URL", "redis://127.0.0.1:6379/11")
API_KEY = "horn_scale_out_test_key_0123456789"
WORKER_NAMES = ("horn-worker-a", "horn-worker-b")
SERVING_TOKEN = "serving-token-for-the-scale-out-test"
JOBS = 6


def require(name: str, port: int) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as error:
        skip_or_fail(f"{name} is not reachable on 127.0.0.1:{port} ({error}).")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def can_set_hostname() -> bool:
    """Whether a process can get its own host name (a UTS namespace: root and `unshare`)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--uts", "hostname", "probe"], capture_output=True)
    return probe.returncode == 0


def horn_command(*args: str, hostname: str | None = None) -> list[str]:
    command = [sys.executable, "-m", "server.cli", *args]
    if hostname is None:
        return command
    # A host of its own, as on another machine: `hostname NAME && exec horn ...`.
    script = 'hostname "$0" && exec "$@"'
    return ["unshare", "--uts", "sh", "-c", script, hostname, *command]


def wait_for(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(0.2)


def stop(process: subprocess.Popen, sig: int) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def pool_parents(workers: dict[str, subprocess.Popen]) -> dict[int, str]:
    """Pool process pid -> worker name (a job's attempt records the pool process's pid)."""
    parents = {process.pid: name for name, process in workers.items()}
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid in parents:
                found[int(entry.name)] = parents[ppid]
    return found


@pytest.fixture
def cluster(tmp_path):
    """`horn migrate`, `horn api`, `horn serve` and two `horn worker`s on Redis and PostgreSQL."""
    require("Redis", 6379)
    require("PostgreSQL", 5432)
    import psycopg
    import redis

    database = f"horn_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
    env.update(
        HORN_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{database}",
        HORN_BROKER_URL=REDIS_URL,
        HORN_REDIS_URL=REDIS_URL,
        HORN_DATA_DIR=str(tmp_path / "shared-data"),
        HORN_BOOTSTRAP_API_KEY=API_KEY,
        HORN_PREDICTOR_WARM_SPARES="0",
        # Room for all six jobs' predictors on one serving process: rendezvous hashing sends
        # 5 or 6 of them to the same one about one run in five, and the default 4 evicted one.
        HORN_PREDICTOR_MAX_PROCESSES="6",
        HORN_SERVING_URL=f"http://127.0.0.1:{free_port()}",
        HORN_SERVING_TOKEN=SERVING_TOKEN,
    )
    processes: dict[str, subprocess.Popen] = {}

    def start(name: str, command: list[str], **own_env: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (the process keeps it)
        processes[name] = subprocess.Popen(
            command, cwd=REPO_ROOT, env={**env, **own_env}, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return processes[name]

    try:
        migrated = subprocess.run(
            horn_command("migrate"), cwd=REPO_ROOT, env=env, capture_output=True, text=True
        )
        assert migrated.returncode == 0, migrated.stderr
        port = free_port()
        api = start("api", horn_command("api", "--host", "127.0.0.1", "--port", str(port)))
        # Two serving processes, each on its own port; the API finds them in Redis.
        serving_urls = {
            "serving-a": f"http://127.0.0.1:{free_port()}",
            "serving-b": f"http://127.0.0.1:{free_port()}",
        }
        servings = {
            name: start(name, horn_command("serve"), HORN_SERVING_URL=url)
            for name, url in serving_urls.items()
        }
        own_hosts = can_set_hostname()
        workers = {
            name: start(
                name,
                horn_command(
                    "worker",
                    "--queues",
                    "cpu",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "INFO",
                    hostname=name if own_hosts else None,
                ),
            )  # fmt: skip
            for name in WORKER_NAMES
        }
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert api.poll() is None, (tmp_path / "api.log").read_text()
            try:
                return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 60, "the API")

        def serving_ready(name: str) -> bool:
            process = servings[name]
            assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
            try:
                return (
                    redis.Redis.from_url(REDIS_URL).exists(f"horn:serving:{serving_urls[name]}")
                    == 1
                )
            except redis.RedisError:
                return False

        for name in servings:
            wait_for(lambda name=name: serving_ready(name), 60, f"{name} to register")
        for name, process in workers.items():
            log = tmp_path / f"{name}.log"
            wait_for(
                lambda p=process, log=log: p.poll() is None and b" ready." in log.read_bytes(),
                60,
                f"{name} to be ready",
            )
        yield {
            "url": url,
            "env": env,
            "workers": workers,
            "own_hosts": own_hosts,
            "servings": servings,
            "serving_urls": serving_urls,
        }
    finally:
        for name, process in processes.items():
            stop(process, signal.SIGINT if name == "api" else signal.SIGTERM)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        redis.Redis.from_url(REDIS_URL).flushdb()


def test_jobs_spread_over_two_workers(cluster, tmp_path, e2e_helpers):
    import numpy as np
    from sklearn.datasets import load_digits

    digits = load_digits()
    np.savez(tmp_path / "digits.npz", x=(digits.data / 16).astype("float32"), y=digits.target)
    (tmp_path / "model.py").write_text(e2e_helpers.MODEL_SOURCE)
    client_env = {**cluster["env"], "HORN_URL": cluster["url"], "HORN_API_KEY": API_KEY}
    job_ids = []
    for _ in range(JOBS):
        submitted = subprocess.run(
            [sys.executable, "-m", "server.cli", "submit", str(tmp_path / "model.py"),
             "--data", str(tmp_path / "digits.npz"), "--epochs", "2", "--hp", "units=16"],
            cwd=REPO_ROOT, env=client_env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr
        job_ids.append(submitted.stdout.strip())

    with Horn(cluster["url"], API_KEY) as client:
        jobs = [client.wait(job_id, timeout=240) for job_id in job_ids]
        assert [job.status for job in jobs] == ["succeeded"] * JOBS, [j.message for j in jobs]
        owners = pool_parents(cluster["workers"])
        ran_by, attempts = {}, {}
        for job in jobs:
            (attempt,) = job.attempts
            host, pid = attempt.worker.split(":")[:2]
            ran_by[job.id] = host if cluster["own_hosts"] else owners.get(int(pid), host)
            attempts[job.id] = attempt.worker
        assert len(list(client.iter_datasets())) == 1  # uploaded once, then reused
    table = "\n".join(f"{job}  {worker}  ({attempts[job]})" for job, worker in ran_by.items())
    print(f"\njob -> worker\n{table}")
    assert set(ran_by.values()) == set(WORKER_NAMES), table

    # Predictions: the API forwards to the serving processes it found in Redis, with the shared
    # token; each job goes to the one rendezvous hashing picks for it.
    from server.api.serving import TOKEN_HEADER, rendezvous_score

    rows = (digits.data[:3] / 16).astype("float32").tolist()
    headers = {"Authorization": f"Bearer {API_KEY}"}
    for job_id in job_ids:
        answer = httpx.post(
            f"{cluster['url']}/v1/jobs/{job_id}/predict",
            json={"instances": rows},
            headers=headers,
            timeout=120,
        )
        assert answer.status_code == 200, answer.text
        assert np.asarray(answer.json()["predictions"]).shape == (3, 10)
    urls = cluster["serving_urls"]
    owner = {
        job_id: max(urls, key=lambda name: rendezvous_score(urls[name], job_id))
        for job_id in job_ids
    }
    for name, serving_url in urls.items():
        health = httpx.get(
            f"{serving_url}/healthz", headers={TOKEN_HEADER: SERVING_TOKEN}, timeout=10
        ).json()
        loaded = {item["job_id"] for item in health["predictors"]}
        assert loaded == {job for job, chosen in owner.items() if chosen == name}, (name, owner)
        forged = httpx.post(f"{serving_url}/predict", json={}, timeout=10)
        assert forged.status_code == 401  # only the API, with the token, is served
        assert "predictors" not in httpx.get(f"{serving_url}/healthz", timeout=10).json()

    # The serving process of the first job stops: its jobs go to the other one.
    gone = owner[job_ids[0]]
    stop(cluster["servings"][gone], signal.SIGKILL)
    answer = httpx.post(
        f"{cluster['url']}/v1/jobs/{job_ids[0]}/predict",
        json={"instances": rows},
        headers=headers,
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
