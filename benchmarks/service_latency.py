"""Service latency: job created -> running, created -> first metric, GET job requests per second.

Usage:
    python benchmarks/service_latency.py [--url URL --key KEY] [--jobs 10] [--clients 20]

Without a URL (or HORN_URL / HORN_API_KEY in the environment) it starts its own `horn up` in a
temporary data dir and stops it afterwards. Targets (issue 3): created -> running under 1 s
once the worker is idle; GET /v1/jobs/{id} at least 500 requests/s with 20 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL_SOURCE = """
import kerascore as keras

def build_model(hparams):
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
"""


@contextlib.contextmanager
def horn_up():
    """Starts `horn up` on a free port in a temporary data dir; yields (url, key)."""
    with tempfile.TemporaryDirectory() as data_dir, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "up", "--port", str(port), "--data-dir", data_dir],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            key = next(
                line.split(": ", 1)[1].strip()
                for line in process.stdout
                if line.startswith("API key: ")
            )
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                time.sleep(0.2)
            yield url, key
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def measure_jobs(client: httpx.Client, jobs: int) -> tuple[list[float], list[float], list[float]]:
    """Runs `jobs` one-epoch jobs one after another on an idle worker.

    Returns:
        created -> running as seen by a client on the event stream, the same from the job's
        server-side timestamps, and created -> first metric on the event stream (seconds).
    """
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    np.savez(buffer, x=rng.random((256, 64), dtype=np.float32), y=rng.integers(0, 10, 256))
    dataset = client.post("/v1/datasets", files={"file": ("d.npz", buffer.getvalue())})
    model = client.post("/v1/models", files={"file": ("m.py", MODEL_SOURCE.encode())})
    body = {
        "model_id": model.json()["id"],
        "dataset_id": dataset.json()["id"],
        "training": {"epochs": 1, "batch_size": 32},
    }
    to_running, to_running_server, to_metric = [], [], []
    for _ in range(jobs):
        started = time.perf_counter()
        job = client.post("/v1/jobs", json=body).json()
        running_at = metric_at = None
        with client.stream("GET", f"/v1/jobs/{job['id']}/events", timeout=120) as stream:
            event = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: ") and event == "status" and running_at is None:
                    if '"running"' in line:
                        running_at = time.perf_counter()
                elif line.startswith("data: ") and event == "metric" and metric_at is None:
                    metric_at = time.perf_counter()
                elif event == "done":
                    break
        final = client.get(f"/v1/jobs/{job['id']}").json()
        to_running.append(running_at - started)
        to_metric.append(metric_at - started)
        to_running_server.append(parse_time(final["started_at"]) - parse_time(final["created_at"]))
    return to_running, to_running_server, to_metric


async def measure_get_rps(url: str, key: str, job_id: str, clients: int, seconds: float) -> float:
    """GET /v1/jobs/{id} from `clients` concurrent clients for `seconds`; returns requests/s."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            response = await client.get(f"/v1/jobs/{job_id}")
            response.raise_for_status()
            done += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:
        await client.get(f"/v1/jobs/{job_id}")
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        return done / (time.perf_counter() - started)


def run(url: str, key: str, jobs: int, clients: int, seconds: float) -> None:
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    to_running, to_running_server, to_metric = measure_jobs(client, jobs)
    job_id = client.get("/v1/jobs", params={"limit": 1}).json()["items"][0]["id"]
    rps = asyncio.run(measure_get_rps(url, key, job_id, clients, seconds))
    median = statistics.median
    print(f"jobs measured: {jobs} (one after another, worker idle before each)")
    print(
        f"job created -> running (event stream): median {median(to_running):.3f} s, "
        f"max {max(to_running):.3f} s   [target < 1 s]"
    )
    print(f"job created -> running (server timestamps): median {median(to_running_server):.3f} s")
    print(f"job created -> first metric (event stream): median {median(to_metric):.3f} s")
    print(
        f"GET /v1/jobs/{{id}} with {clients} concurrent clients: {rps:.0f} requests/s"
        "   [target >= 500/s]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("HORN_URL"))
    parser.add_argument("--key", default=os.environ.get("HORN_API_KEY"))
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.url and args.key:
        run(args.url, args.key, args.jobs, args.clients, args.seconds)
        return
    with horn_up() as (url, key):
        print(f"started horn up at {url}")
        run(url, key, args.jobs, args.clients, args.seconds)


if __name__ == "__main__":
    main()
