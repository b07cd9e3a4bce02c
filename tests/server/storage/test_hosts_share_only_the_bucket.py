"""End to end on S3 with no shared folder: `horn api`, `horn worker` and `horn serve` each with
its own empty data dir (three hosts), Redis as broker and event bus, PostgreSQL, and a real moto
S3 server. A job whose inputs exist only in the bucket trains; its checkpoints and log land in
the bucket; the API serves the checkpoint and the log from it; predictions work.

Skips when Redis or PostgreSQL is not reachable on 127.0.0.1, except under `CI=true`.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import skip_or_fail
from tests.server.storage.conftest import free_port

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# A Redis database of its own: the broker's queues (`cpu`, `gpu`) have fixed names.
REDIS_URL = os.environ.get("HORN_TEST_STORAGE_REDIS_URL", "redis://127.0.0.1:6379/12")
API_KEY = "horn_storage_test_key_0123456789abcdef"
SERVING_TOKEN = "serving-token-for-the-storage-test"
MODEL_SOURCE = """
import kerascore as keras

def build_model(hparams):
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(hparams.get("units", 16), activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""


def require(name: str, port: int) -> None:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as error:
        skip_or_fail(f"{name} is not reachable on 127.0.0.1:{port} ({error}).")


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


def artifact_files(data_dir: Path) -> list[str]:
    """Artifact files (datasets, sources, checkpoints, logs) in a data dir."""
    if not data_dir.is_dir():
        return []
    return sorted(
        path.relative_to(data_dir).as_posix()
        for path in data_dir.rglob("*")
        if path.is_file()
        and path.relative_to(data_dir).parts[0] in ("tenants", "jobs")
        and path.suffix in (".npz", ".py", ".keras", ".log")
    )


@pytest.fixture
def hosts(tmp_path, s3_env):
    """`horn api`, `horn worker` and `horn serve`, each with its own data dir, on S3."""
    require("Redis", 6379)
    require("PostgreSQL", 5432)
    import psycopg
    import redis

    database = f"horn_storage_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
    env.update(
        s3_env,
        HORN_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{database}",
        HORN_BROKER_URL=REDIS_URL,
        HORN_REDIS_URL=REDIS_URL,
        HORN_BOOTSTRAP_API_KEY=API_KEY,
        HORN_PREDICTOR_WARM_SPARES="0",
        HORN_SERVING_URL=f"http://127.0.0.1:{free_port()}",
        HORN_SERVING_TOKEN=SERVING_TOKEN,
    )
    data_dirs = {name: tmp_path / f"{name}-data" for name in ("api", "worker", "serving")}
    processes: dict[str, subprocess.Popen] = {}

    def start(name: str, *args: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (the process keeps it)
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *args], cwd=REPO_ROOT,
            env={**env, "HORN_DATA_DIR": str(data_dirs[name])}, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return processes[name]

    try:
        migrated = subprocess.run(
            [sys.executable, "-m", "server.cli", "migrate"],
            cwd=REPO_ROOT,
            env={**env, "HORN_DATA_DIR": str(data_dirs["api"])},
            capture_output=True,
            text=True,
        )
        assert migrated.returncode == 0, migrated.stderr
        port = free_port()
        api = start("api", "api", "--host", "127.0.0.1", "--port", str(port))
        serving = start("serving", "serve")
        worker = start("worker", "worker", "--queues", "cpu", "--concurrency", "1")
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert api.poll() is None, (tmp_path / "api.log").read_text()
            try:
                return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 60, "the API")

        def serving_ready() -> bool:
            assert serving.poll() is None, (tmp_path / "serving.log").read_text()
            try:
                return httpx.get(f"{env['HORN_SERVING_URL']}/healthz", timeout=2).is_success
            except httpx.HTTPError:
                return False

        wait_for(serving_ready, 60, "the serving process")
        worker_log = tmp_path / "worker.log"
        wait_for(
            lambda: worker.poll() is None and b" ready." in worker_log.read_bytes(),
            60,
            "the worker to be ready",
        )
        yield {"url": url, "data_dirs": data_dirs, "logs": tmp_path}
    finally:
        for name, process in processes.items():
            stop(process, signal.SIGINT if name == "api" else signal.SIGTERM)
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        redis.Redis.from_url(REDIS_URL).flushdb()


def test_a_job_trains_with_its_artifacts_only_in_the_bucket(
    hosts, tmp_path, moto_server, bucket, object_keys
):
    from sklearn.datasets import load_digits

    url, data_dirs = hosts["url"], hosts["data_dirs"]
    headers = {"Authorization": f"Bearer {API_KEY}"}
    digits = load_digits()
    buffer = io.BytesIO()
    np.savez(buffer, x=(digits.data / 16).astype("float32"), y=digits.target)
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        dataset = client.post("/v1/datasets", files={"file": ("digits.npz", buffer.getvalue())})
        model = client.post("/v1/models", files={"file": ("model.py", MODEL_SOURCE.encode())})
        assert dataset.status_code == 201 and model.status_code == 201, (dataset.text, model.text)
        dataset_id, model_id = dataset.json()["id"], model.json()["id"]
        assert artifact_files(data_dirs["api"]) == []  # only in the bucket
        assert artifact_files(data_dirs["worker"]) == []

        job = client.post(
            "/v1/jobs",
            json={
                "model_id": model_id,
                "dataset_id": dataset_id,
                "hyperparameters": {"units": 16},
                "training": {"epochs": 2, "batch_size": 64},
            },
        )
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]
        deadline = time.monotonic() + 300
        while (state := client.get(f"/v1/jobs/{job_id}").json())["status"] not in (
            "succeeded",
            "failed",
            "cancelled",
        ):
            assert time.monotonic() < deadline, state
            time.sleep(0.5)
        assert state["status"] == "succeeded", (
            state,
            (hosts["logs"] / "worker.log").read_text()[-3000:],
        )

        keys = object_keys()
        tenant_keys = [key for key in keys if key.startswith("artifacts/tenants/")]
        assert [key.rsplit("/", 1)[-1] for key in tenant_keys] == sorted(
            [f"{dataset_id}.npz", f"{model_id}.py"]
        )
        assert [key for key in keys if key.startswith(f"artifacts/jobs/{job_id}/")] == [
            f"artifacts/jobs/{job_id}/checkpoints/epoch-0001.keras",
            f"artifacts/jobs/{job_id}/checkpoints/epoch-0002.keras",
            f"artifacts/jobs/{job_id}/runner.log",
        ]
        # The worker fetched the inputs into its own data dir; the job's outputs went to the
        # bucket and its local copies went once the job finished. The API keeps nothing.
        worker_files = artifact_files(data_dirs["worker"])
        assert any(name.endswith(f"{dataset_id}.npz") for name in worker_files), worker_files
        assert not any(name.startswith(f"jobs/{job_id}/checkpoints/") for name in worker_files)
        assert artifact_files(data_dirs["api"]) == []

        latest = client.get(f"/v1/jobs/{job_id}/checkpoints/latest")
        assert latest.status_code == 200, latest.text
        stored = (
            moto_server.client()
            .get_object(Bucket=bucket, Key=f"artifacts/jobs/{job_id}/checkpoints/epoch-0002.keras")[
                "Body"
            ]
            .read()
        )
        assert latest.content == stored
        with zipfile.ZipFile(io.BytesIO(latest.content)) as archive:
            assert "config.json" in archive.namelist()
        listed = client.get(f"/v1/jobs/{job_id}/checkpoints").json()["items"]
        assert [item["size_bytes"] for item in listed][-1] == len(stored)

        log = client.get(f"/v1/jobs/{job_id}/logs")
        assert log.status_code == 200 and "--- attempt 1" in log.text, log.text[-2000:]
        assert "Training started" in client.get(f"/v1/jobs/{job_id}/logs?tail=50").text

        rows = (digits.data[:3] / 16).astype("float32").tolist()
        answer = client.post(f"/v1/jobs/{job_id}/predict", json={"instances": rows})
        assert answer.status_code == 200, answer.text
        predictions = np.asarray(answer.json()["predictions"])
        assert predictions.shape == (3, 10)
        np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
        serving_files = artifact_files(data_dirs["serving"])
        assert f"jobs/{job_id}/checkpoints/epoch-0002.keras" in serving_files, serving_files

        # Deleting the inputs removes their objects (the finished job no longer needs them).
        assert client.delete(f"/v1/datasets/{dataset_id}").status_code == 204
        assert client.delete(f"/v1/models/{model_id}").status_code == 204
        assert not [key for key in object_keys() if key.startswith("artifacts/tenants/")]
