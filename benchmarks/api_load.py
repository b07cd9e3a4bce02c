"""API under load: GET job and POST job at 1/16/64/256 concurrent clients.

Usage:
    python benchmarks/api_load.py [--url URL --key KEY] [--seconds 5] [--clients 1,16,64,256]

Without a URL (or HORN_URL / HORN_API_KEY in the environment) it starts its own `horn up` in a
temporary data dir (SQLite, embedded broker) and stops it afterwards. With
`--database-url postgresql://...` it starts `horn migrate` and one `horn api` on that database
instead (broker and events on `--redis-url`, default redis://127.0.0.1:6379/13), with no worker:
the POSTed jobs stay queued and are cancelled at the end. The database should be an empty one of
its own (`createdb horn_load`). For each level it prints
requests per second, p50 and p99 latency and errors (any status other than 200/202, or a
transport error). Targets (issue 12): 0 errors at 256 clients; GET job >= 500 requests/s and
p99 under 1 s at 64 clients. The load generator shares the machine's cores with the server.

The load comes from `wrk` when it is installed (Debian's package `wrk`): a Python client is
itself the bottleneck past ~16 connections on a small machine (seen here: an httpx client
reached 214 requests/s on `/healthz` at 64 connections, where wrk reached 3,291). Without wrk
an asyncio httpx client runs, and its figures say more about itself than about the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service_latency import MODEL_SOURCE, REPO_ROOT, horn_up  # noqa: E402


async def load(
    url: str, key: str, clients: int, seconds: float, request: dict
) -> tuple[int, list[float], Counter]:
    """`clients` concurrent loops sending `request` for `seconds`.

    Returns:
        (requests done, latencies in seconds, errors by status or exception name).
    """
    latencies: list[float] = []
    errors: Counter = Counter()
    deadline = time.perf_counter() + seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.request(**request)
            except httpx.HTTPError as error:
                errors[type(error).__name__] += 1
                continue
            latencies.append(time.perf_counter() - started)
            if response.status_code not in (200, 202):
                errors[response.status_code] += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60
    ) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    return len(latencies), latencies, errors


WRK_SCRIPT = """
wrk.method = "{method}"
wrk.body = [==[{body}]==]
wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/json"
"""


def load_with_wrk(
    url: str, key: str, clients: int, seconds: float, request: dict
) -> tuple[float, float, float, str]:
    """Runs wrk; returns (requests/s, p50 s, p99 s, errors as text)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        body = json.dumps(request.get("json")) if "json" in request else ""
        script.write(WRK_SCRIPT.format(method=request["method"], body=body, key=key))
    try:
        duration = f"-d{max(1, round(seconds))}s"
        result = subprocess.run(
            ["wrk", f"-t{min(clients, 4)}", f"-c{clients}", duration, "--latency",
             "--timeout", "30s", "-s", script.name, url + request["url"]],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    text = result.stdout

    def number(pattern: str) -> float:
        match = re.search(pattern, text)
        return float(match.group(1)) if match else float("nan")

    def latency(line: str) -> float:
        match = re.search(rf"^\s*{line}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not match:
            return float("nan")
        return float(match.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[match.group(2)]

    errors = []
    if "Non-2xx" in text:
        non_2xx = int(number(r"Non-2xx or 3xx responses: (\d+)"))
        errors.append(f"non-2xx {non_2xx}")
    if "Socket errors" in text:
        errors.append(re.search(r"Socket errors: (.*)", text).group(1))
    return number(r"Requests/sec:\s+([\d.]+)"), latency("50"), latency("99"), "; ".join(errors)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def run(url: str, key: str, levels: list[int], seconds: float) -> None:
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    np.savez(buffer, x=rng.random((64, 64), dtype=np.float32), y=rng.integers(0, 10, 64))
    dataset = client.post("/v1/datasets", files={"file": ("d.npz", buffer.getvalue())}).json()
    model = client.post("/v1/models", files={"file": ("m.py", MODEL_SOURCE.encode())}).json()
    body = {"model_id": model["id"], "dataset_id": dataset["id"], "training": {"epochs": 1}}
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    requests = {
        "GET /v1/jobs/{id}": {"method": "GET", "url": f"/v1/jobs/{job_id}"},
        "POST /v1/jobs": {"method": "POST", "url": "/v1/jobs", "json": body},
    }
    use_wrk = shutil.which("wrk") is not None
    print(f"load generator: {'wrk' if use_wrk else 'httpx (asyncio, one process)'}")
    print(f"{'request':<20} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  errors")
    for name, request in requests.items():
        for clients in levels:
            if use_wrk:
                rps, p50, p99, errors = load_with_wrk(url, key, clients, seconds, request)
            else:
                started = time.perf_counter()
                done, latencies, counted = asyncio.run(load(url, key, clients, seconds, request))
                rps = done / (time.perf_counter() - started)
                p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
                errors = str(dict(counted)) if counted else ""
            print(
                f"{name:<20} {clients:>7} {rps:>8.0f} {p50 * 1000:>8.0f} {p99 * 1000:>8.0f}  "
                f"{errors or 0}",
                flush=True,
            )
    # The jobs created above would keep the worker busy: cancel them.
    for item in client.get("/v1/jobs", params={"status": "queued", "limit": 500}).json()["items"]:
        client.post(f"/v1/jobs/{item['id']}/cancel")


@contextlib.contextmanager
def horn_api(database_url: str, redis_url: str):
    """Starts `horn migrate` and `horn api` on `database_url`; yields (url, key)."""
    key = "horn_api_load_benchmark_key_0123456789"
    with tempfile.TemporaryDirectory() as data_dir, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
        env.update(
            HORN_DATA_DIR=data_dir,
            HORN_DATABASE_URL=database_url,
            HORN_BROKER_URL=redis_url,
            HORN_REDIS_URL=redis_url,
            HORN_BOOTSTRAP_API_KEY=key,
        )
        horn = [sys.executable, "-m", "server.cli"]
        subprocess.run([*horn, "migrate"], cwd=REPO_ROOT, env=env, check=True, capture_output=True)
        process = subprocess.Popen(
            [*horn, "api", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("HORN_URL"))
    parser.add_argument("--key", default=os.environ.get("HORN_API_KEY"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", default="1,16,64,256")
    parser.add_argument("--database-url", help="run `horn api` on this (PostgreSQL) database")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    levels = [int(level) for level in args.clients.split(",")]
    if args.url and args.key:
        run(args.url, args.key, levels, args.seconds)
        return
    if args.database_url:
        with horn_api(args.database_url, args.redis_url) as (url, key):
            print(f"started horn api on {args.database_url} at {url}")
            run(url, key, levels, args.seconds)
        return
    with horn_up() as (url, key):
        print(f"started horn up at {url}")
        run(url, key, levels, args.seconds)


if __name__ == "__main__":
    main()
