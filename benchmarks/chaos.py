"""Chaos run: 20 jobs through workers, Redis and PostgreSQL that fail on purpose.

Usage:
    python benchmarks/chaos.py [--jobs-per-fault 4] [--epochs 6] [--faults worker_kill,...]

Starts everything it needs on loopback and free ports, in a temporary folder it removes at the
end: its own PostgreSQL (Debian's `initdb`/`pg_ctl`; as root they run as the `postgres` user) and
Redis (`redis-server`, append-only file as in docker-compose.yml), `horn migrate`, one `horn api`
and two `horn worker` (concurrency 1 each) with a 10 s lease and a 3 s reconciler pass. Nothing
outside it is touched.

Then, fault by fault, it submits a batch of jobs, waits until one of them is mid-training and
injects the fault:

- `worker_kill`: SIGKILL of a busy worker's whole process tree (restarted 2 s later);
- `runner_kill`: SIGKILL of one runner only, what the kernel's OOM killer does;
- `worker_freeze`: SIGSTOP of a busy worker's whole process tree for 1.5 leases, then SIGCONT;
- `redis_restart`: SIGKILL of Redis, 5 s down, started again;
- `postgres_restart`: immediate stop of PostgreSQL, 20 s down, started again.

It waits for the batch to end and prints one row per fault: jobs that succeeded, lost (not
finished within the time limit), failed; jobs whose epochs are exactly 1..N; duplicate epoch
metric rows; recovery time (from the end of the fault until every job that was active at the
fault had reported a new epoch or finished); and jobs found `running`/`starting` without a live,
unfrozen runner two leases after the fault ended. The target (issue 12): every job succeeds,
epochs exactly N, no duplicates, nothing stuck.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psycopg

REPO_ROOT = Path(__file__).resolve().parents[1]
API_KEY = "horn_chaos_benchmark_key_0123456789"
LEASE_S = 10
RECONCILE_S = 3
FAULTS = ("worker_kill", "runner_kill", "worker_freeze", "redis_restart", "postgres_restart")
MODEL_SOURCE = """
import kerascore as keras


def build_model(hp):
    model = keras.Sequential([
        keras.Input(shape=(32,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.2)


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def signal_tree(pid: int, sig: int) -> None:
    for process in descendants(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(process, sig)


def processes_with(text: str) -> list[tuple[int, str]]:
    """(pid, state) of processes whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    found.append((int(entry.name), state))
    return found


class Postgres:
    """A PostgreSQL cluster of this run's own, on a free port."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        folder.mkdir()
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        self._run("initdb", "-D", str(folder / "data"), "-A", "trust", "-U", "postgres")

    def _run(self, program: str, *args: str) -> None:
        binary = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"))[-1]
        as_postgres = []
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")
            as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"]
        subprocess.run([*as_postgres, binary, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-o", options,
                  "-l", str(self.folder / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")


class Redis:
    """A Redis server of this run's own, with an append-only file as in docker-compose.yml."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, 30, "Redis")

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            return True
        return False

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@dataclasses.dataclass
class Row:
    fault: str
    jobs: int
    succeeded: int
    lost: int
    failed: int
    exact_epochs: int
    duplicate_rows: int
    recovery_s: float
    stuck: int
    attempts: int
    ended_attempts: str


class Cluster:
    """`horn api` and two `horn worker` on this run's Redis and PostgreSQL."""

    def __init__(self, folder: Path, postgres: Postgres, redis: Redis):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
        self.env.update(
            HORN_DATABASE_URL=postgres.url,
            HORN_BROKER_URL=f"{redis.url}/0",
            HORN_REDIS_URL=f"{redis.url}/1",
            HORN_DATA_DIR=str(folder / "data"),
            HORN_BOOTSTRAP_API_KEY=API_KEY,
            HORN_LEASE_SECONDS=str(LEASE_S),
            HORN_HEARTBEAT_S="1",
            HORN_RECONCILE_INTERVAL_S=str(RECONCILE_S),
            HORN_QUEUED_TIMEOUT_S="30",
            HORN_MAX_ATTEMPTS="5",
            HORN_PREDICTOR_WARM_SPARES="0",
        )
        self.postgres_url = postgres.url
        self.processes: dict[str, subprocess.Popen] = {}

    def horn(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "server.cli", *args]

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (the process keeps it)
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes[name] = process
        return process

    def start_worker(self, name: str) -> None:
        log = self.folder / f"{name}.log"
        offset = log.stat().st_size if log.exists() else 0
        process = self.start(
            name, self.horn("worker", "--queues", "cpu", "--concurrency", "1", "--loglevel", "INFO")
        )
        wait_for(
            lambda: process.poll() is None and b" ready." in log.read_bytes()[offset:],
            90,
            f"{name} to be ready",
        )

    def up(self) -> None:
        subprocess.run(self.horn("migrate"), cwd=REPO_ROOT, env=self.env, check=True,
                       capture_output=True)  # fmt: skip
        self.start("api", self.horn("api", "--host", "127.0.0.1", "--port", str(self.port)))

        def ready() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
            return False

        wait_for(ready, 90, "the API")
        for name in ("worker-a", "worker-b"):
            self.start_worker(name)

    def down(self) -> None:
        for process in self.processes.values():
            signal_tree(process.pid, signal.SIGCONT)
            signal_tree(process.pid, signal.SIGKILL)
            process.wait()

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.postgres_url, connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()


def submit_batch(client: httpx.Client, model_id: str, dataset_id: str, count: int, epochs: int):
    ids = []
    for _ in range(count):
        response = client.post(
            "/v1/jobs",
            json={"model_id": model_id, "dataset_id": dataset_id,
                  "training": {"epochs": epochs, "batch_size": 32}},
        )  # fmt: skip
        response.raise_for_status()
        ids.append(response.json()["id"])
    return ids


def busy_worker(cluster: Cluster, job_id: str) -> str:
    """The name of the worker whose process tree runs `job_id`'s runner."""
    runners = {pid for pid, _ in processes_with(f"runner of {job_id}")}
    for name in ("worker-a", "worker-b"):
        if runners & set(descendants(cluster.processes[name].pid)):
            return name
    raise RuntimeError(f"no worker runs job {job_id}")


def inject(fault: str, cluster: Cluster, postgres: Postgres, redis: Redis, job_id: str) -> None:
    """Injects `fault` on the job `job_id` (mid-training); returns when the fault is over."""
    if fault == "worker_kill":
        name = busy_worker(cluster, job_id)
        signal_tree(cluster.processes[name].pid, signal.SIGKILL)
        cluster.processes[name].wait()
        time.sleep(2)
        cluster.start_worker(name)
    elif fault == "runner_kill":
        # The payload inside the box (what the OOM killer picks): the deepest runner process.
        (launcher, _), *_ = processes_with(f"runner of {job_id}")
        payload = descendants(launcher)[-1]
        os.kill(payload, signal.SIGKILL)
    elif fault == "worker_freeze":
        name = busy_worker(cluster, job_id)
        pid = cluster.processes[name].pid
        signal_tree(pid, signal.SIGSTOP)
        time.sleep(LEASE_S * 1.5)
        signal_tree(pid, signal.SIGCONT)
    elif fault == "redis_restart":
        redis.kill()
        time.sleep(5)
        redis.start()
    elif fault == "postgres_restart":
        postgres.stop()
        time.sleep(20)
        postgres.start()
    else:
        raise ValueError(f"Unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")


def stuck_jobs(cluster: Cluster, job_ids: list[str]) -> int:
    """Jobs `running`/`starting` without a live runner that is not frozen."""
    rows = cluster.query(
        "SELECT id FROM jobs WHERE id = ANY(%s) AND status IN ('running', 'starting')", job_ids
    )
    stuck = 0
    for (job_id,) in rows:
        runners = processes_with(f"runner of {job_id}")
        if not runners or all(state == "T" for _, state in runners):
            stuck += 1
    return stuck


def run_fault(fault, cluster, postgres, redis, client, model_id, dataset_id, args) -> Row:
    job_ids = submit_batch(client, model_id, dataset_id, args.jobs_per_fault, args.epochs)
    # Mid-training: one of the batch has finished its first epoch.
    target = []

    def one_trained() -> bool:
        rows = cluster.query(
            "SELECT id FROM jobs WHERE id = ANY(%s) AND status = 'running' AND epoch >= 1 "
            "AND epoch < epochs", job_ids
        )  # fmt: skip
        target[:] = [row[0] for row in rows]
        return bool(target)

    wait_for(one_trained, 300, f"a job of the {fault} batch to train")
    active = [
        row[0]
        for row in cluster.query(
            "SELECT id FROM jobs WHERE id = ANY(%s) AND status IN ('running', 'starting')", job_ids
        )
    ]
    inject(fault, cluster, postgres, redis, target[0])
    fault_ended = time.monotonic()
    wait_for(lambda: _answers(cluster), 120, "PostgreSQL")
    ended_at_db = cluster.query("SELECT now()")[0][0]
    recovery_s = None
    stuck = None
    deadline = time.monotonic() + args.timeout_s
    while time.monotonic() < deadline:
        now = time.monotonic()
        if stuck is None and now - fault_ended >= 2 * LEASE_S:
            stuck = stuck_jobs(cluster, job_ids)
        if recovery_s is None:
            progressed = cluster.query(
                "SELECT j.id FROM jobs j WHERE j.id = ANY(%s) AND (j.status IN "
                "('succeeded', 'failed', 'cancelled') OR EXISTS (SELECT 1 FROM metrics m "
                "WHERE m.job_id = j.id AND m.step IS NULL AND m.created_at > %s))",
                active, ended_at_db,
            )  # fmt: skip
            if len(progressed) == len(active):
                recovery_s = now - fault_ended
        finished = cluster.query(
            "SELECT count(*) FROM jobs WHERE id = ANY(%s) AND status IN "
            "('succeeded', 'failed', 'cancelled')", job_ids
        )[0][0]  # fmt: skip
        if finished == len(job_ids) and stuck is not None:
            break
        time.sleep(0.5)
    statuses = dict(cluster.query("SELECT id, status FROM jobs WHERE id = ANY(%s)", job_ids))
    epochs = cluster.query(
        "SELECT job_id, array_agg(epoch ORDER BY epoch) FROM metrics WHERE job_id = ANY(%s) "
        "AND step IS NULL GROUP BY job_id", job_ids
    )  # fmt: skip
    epochs_by_job = dict(epochs)
    expected = list(range(1, args.epochs + 1))
    duplicates = sum(len(found) - len(set(found)) for found in epochs_by_job.values())
    attempts = cluster.query("SELECT count(*) FROM attempts WHERE job_id = ANY(%s)", job_ids)
    # How the attempts that did not finish the job ended (lease_expired, runner_killed, ...).
    ended = cluster.query(
        "SELECT outcome, count(*) FROM attempts WHERE job_id = ANY(%s) AND outcome IS DISTINCT "
        "FROM 'succeeded' GROUP BY outcome ORDER BY outcome", job_ids
    )  # fmt: skip
    return Row(
        fault=fault,
        jobs=len(job_ids),
        succeeded=sum(status == "succeeded" for status in statuses.values()),
        lost=sum(
            status not in ("succeeded", "failed", "cancelled") for status in statuses.values()
        ),
        failed=sum(status == "failed" for status in statuses.values()),
        exact_epochs=sum(sorted(epochs_by_job.get(job, [])) == expected for job in job_ids),
        duplicate_rows=duplicates,
        recovery_s=recovery_s if recovery_s is not None else float("nan"),
        stuck=stuck if stuck is not None else -1,
        attempts=attempts[0][0],
        ended_attempts=", ".join(f"{outcome} {count}" for outcome, count in ended) or "-",
    )


def _answers(cluster: Cluster) -> bool:
    try:
        cluster.query("SELECT 1")
        return True
    except psycopg.Error:
        return False


def print_table(rows: list[Row]) -> None:
    header = ("fault", "jobs", "ok", "lost", "failed", "epochs = N", "dup. metric rows",
              "recovery (s)", "stuck after 2 leases", "attempts",
              "other attempts ended")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |")
    for row in rows:
        cells = (row.fault, row.jobs, row.succeeded, row.lost, row.failed, row.exact_epochs,
                 row.duplicate_rows, f"{row.recovery_s:.1f}", row.stuck, row.attempts,
                 row.ended_attempts)  # fmt: skip
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
    total = sum(row.jobs for row in rows)
    ok = sum(row.succeeded for row in rows)
    print(f"\n{ok}/{total} jobs succeeded; {sum(r.duplicate_rows for r in rows)} duplicate rows.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs-per-fault", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--rows", type=int, default=16000, help="rows of the synthetic dataset")
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--timeout-s", type=float, default=600, help="per fault, for its batch")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs) at the end")
    args = parser.parse_args()
    faults = [fault.strip() for fault in args.faults.split(",") if fault.strip()]
    unknown = [fault for fault in faults if fault not in FAULTS]
    if unknown:
        parser.error(f"unknown faults {unknown}; expected some of {', '.join(FAULTS)}")

    # A SIGTERM (timeout, kill) still stops everything this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Not under a mode-700 folder: the postgres user must reach its data folder.
    folder = Path(tempfile.mkdtemp(prefix="horn-chaos-"))
    os.chmod(folder, 0o755)
    postgres = Postgres(folder / "postgres")
    redis = Redis(folder / "redis")
    cluster = Cluster(folder, postgres, redis)
    rows = []
    try:
        postgres.start()
        redis.start()
        cluster.up()
        print(f"cluster up in {folder} (API {cluster.url}); lease {LEASE_S} s", flush=True)
        generator = np.random.default_rng(0)
        x = generator.normal(size=(args.rows, 32)).astype("float32")
        y = (x[:, :10].argmax(axis=1)).astype("int64")
        np.savez(folder / "data.npz", x=x, y=y)
        headers = {"Authorization": f"Bearer {API_KEY}"}
        with httpx.Client(base_url=cluster.url, headers=headers, timeout=60) as client:
            with open(folder / "data.npz", "rb") as file:
                dataset = client.post("/v1/datasets", files={"file": ("data.npz", file)})
            dataset.raise_for_status()
            model = client.post("/v1/models", files={"file": ("model.py", MODEL_SOURCE.encode())})
            model.raise_for_status()
            for fault in faults:
                started = time.monotonic()
                row = run_fault(fault, cluster, postgres, redis, client, model.json()["id"],
                                dataset.json()["id"], args)  # fmt: skip
                rows.append(row)
                print(f"{fault}: {row} ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        cluster.down()
        redis.kill()
        with contextlib.suppress(Exception):
            postgres.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"logs kept in {folder}")
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
