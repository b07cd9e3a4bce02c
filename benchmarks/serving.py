"""Prediction serving: Horn's predict route against a naive FastAPI + Keras 3 handler, one run.

Usage:
    python benchmarks/serving.py [--seconds 5] [--clients 1,16,64,256]

Starts its own `horn up` in a temporary data dir, trains the digits model (64 features -> 32
relu -> 10 softmax) for 2 epochs, then loads `POST /v1/jobs/{id}/predict` with one row per
request at each client count (p50, p99, requests/s, errors) and with 256-row requests at 16
clients (rows/s). Then it starts a naive server in the same run: a FastAPI app under uvicorn
whose handler calls Keras 3's `model.predict` on each request (the same architecture), and
loads it the same way. It prints both and their ratio.

The load comes from `wrk` (Debian's package) when installed, else from an asyncio httpx client
(which is itself the bottleneck past ~16 clients; see api_load.py). Targets (issue 11), on the
2-core machine: p50 <= 5 ms at one client; >= 800 requests/s at 64 clients; >= 50,000 rows/s
with 256-row requests; 0 errors at 256 clients; >= 20x the naive handler's requests/s at 64.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import load, load_with_wrk, percentile  # noqa: E402
from service_latency import MODEL_SOURCE, horn_up  # noqa: E402

NAIVE_SERVER = """
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras
import numpy as np
from fastapi import FastAPI, Request

model = keras.Sequential([
    keras.Input((64,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
app = FastAPI()


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    rows = np.asarray(body["instances"], dtype="float32")
    return {"predictions": model.predict(rows, verbose=0).tolist()}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def naive_server():
    """The naive FastAPI + Keras 3 handler under uvicorn (one process); yields its URL."""
    folder = Path(tempfile.mkdtemp(prefix="horn-naive-"))
    (folder / "naive_keras_server.py").write_text(NAIVE_SERVER)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "naive_keras_server:app", "--port", str(port),
         "--log-level", "warning"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.post(f"{url}/predict", json={"instances": [[0.0] * 64]}).is_success:
                    break
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def train_digits(client: httpx.Client) -> str:
    """Uploads digits and the model, trains 2 epochs; returns the job id."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    buffer = io.BytesIO()
    np.savez(buffer, x=(digits.data / 16).astype("float32"), y=digits.target)
    dataset = client.post("/v1/datasets", files={"file": ("digits.npz", buffer.getvalue())})
    model = client.post("/v1/models", files={"file": ("model.py", MODEL_SOURCE.encode())})
    body = {
        "model_id": model.json()["id"],
        "dataset_id": dataset.json()["id"],
        "training": {"epochs": 2},
    }
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    deadline = time.monotonic() + 300
    while client.get(f"/v1/jobs/{job_id}").json()["status"] != "succeeded":
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} did not succeed: {client.get(f'/v1/jobs/{job_id}')}")
        time.sleep(0.5)
    return job_id


def measure(url: str, key: str, path: str, rows: int, clients: int, seconds: float):
    """(requests/s, p50 s, p99 s, errors) of POST `path` with `rows` rows per request."""
    instances = np.random.default_rng(0).random((rows, 64)).round(4).tolist()
    request = {"method": "POST", "url": path, "json": {"instances": instances}}
    if shutil.which("wrk"):
        return load_with_wrk(url, key, clients, seconds, request)
    started = time.perf_counter()
    done, latencies, errors = asyncio.run(load(url, key, clients, seconds, request))
    rps = done / (time.perf_counter() - started)
    text = str(dict(errors)) if errors else ""
    return rps, percentile(latencies, 0.5), percentile(latencies, 0.99), text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="1,16,64,256")
    args = parser.parse_args()
    levels = [int(level) for level in args.clients.split(",")]
    # The 256-row case first: after 256 clients the naive server is still working through a
    # backlog of requests its clients gave up on, and answers nothing for a while.
    cases = [(256, 16)] + [(1, clients) for clients in levels]
    results: dict[str, dict] = {}
    with horn_up() as (url, key):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
            job_id = train_digits(client)
            path = f"/v1/jobs/{job_id}/predict"
            warm = client.post(path, json={"instances": [[0.0] * 64]}, timeout=120)
            warm.raise_for_status()
        results["horn"] = {case: measure(url, key, path, *case, args.seconds) for case in cases}
    with naive_server() as naive_url:
        results["naive"] = {
            case: measure(naive_url, "none", "/predict", *case, args.seconds) for case in cases
        }
    print(f"load generator: {'wrk' if shutil.which('wrk') else 'httpx (asyncio)'}")
    print(f"{'server':<7} {'rows':>5} {'clients':>7} {'req/s':>8} {'rows/s':>9} {'p50 ms':>8} "
          f"{'p99 ms':>8}  errors")  # fmt: skip
    for server, by_case in results.items():
        for (rows, clients), (rps, p50, p99, errors) in by_case.items():
            print(f"{server:<7} {rows:>5} {clients:>7} {rps:>8.0f} {rps * rows:>9.0f} "
                  f"{p50 * 1000:>8.1f} {p99 * 1000:>8.1f}  {errors or 0}")  # fmt: skip
    for rows, clients in cases:
        horn_rps, naive_rps = (
            results["horn"][(rows, clients)][0],
            results["naive"][(rows, clients)][0],
        )
        ratio = f"{horn_rps / naive_rps:.1f}x" if naive_rps >= 1 else "n/a (naive: no answer)"
        print(f"horn / naive requests/s, {rows} rows at {clients} clients: {ratio}")


if __name__ == "__main__":
    main()
