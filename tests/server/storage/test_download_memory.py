"""A 200 MB checkpoint in S3 downloads through a real `horn api` process whose memory stays
flat: the route streams the object, it never holds it whole."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.server.storage.conftest import free_port

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]
API_KEY = "horn_storage_memory_key_0123456789abcdef"
CHECKPOINT_MB = 200
MAX_GROWTH_MB = 60
MODEL_SOURCE = b"def build_model(hparams):\n    return None\n"


def resident_mb(pid: int) -> float:
    """The process's resident memory (VmRSS) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


@pytest.fixture
def api(tmp_path, s3_env):
    """`horn api` on SQLite with its artifacts in the bucket (no worker: jobs stay queued)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
    data_dir = tmp_path / "api-data"
    env.update(s3_env, HORN_DATA_DIR=str(data_dir), HORN_BOOTSTRAP_API_KEY=API_KEY)
    port = free_port()
    log = open(tmp_path / "api.log", "wb")  # noqa: SIM115 (the process keeps it)
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "api", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "api.log").read_text()
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the API did not start in 60 s"
            time.sleep(0.2)
        yield {"url": url, "pid": process.pid, "data_dir": data_dir}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_a_200_mb_checkpoint_streams_through_the_api(api, tmp_path, moto_server, bucket):
    from sqlalchemy import select

    from server.store.db import Checkpoint, Job, make_engine, session_factory, session_scope

    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=api["url"], headers=headers, timeout=120) as client:
        model = client.post("/v1/models", files={"file": ("m.py", MODEL_SOURCE)})
        dataset = client.post(
            "/v1/datasets",
            files={"file": ("d.csv", b"a,label\n" + b"".join(b"%d,1\n" % i for i in range(9)))},
        )
        job = client.post(
            "/v1/jobs", json={"model_id": model.json()["id"], "dataset_id": dataset.json()["id"]}
        )
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]

        # The checkpoints a worker on another host would have put in the bucket.
        big = tmp_path / "big.keras"
        digest = hashlib.sha256()
        with open(big, "wb") as handle:
            for _ in range(CHECKPOINT_MB):
                block = os.urandom(1024 * 1024)
                digest.update(block)
                handle.write(block)
        s3 = moto_server.client()
        key = f"jobs/{job_id}/checkpoints/epoch-0002.keras"
        s3.upload_file(str(big), bucket, f"artifacts/{key}")
        small_key = f"jobs/{job_id}/checkpoints/epoch-0001.keras"
        s3.put_object(Bucket=bucket, Key=f"artifacts/{small_key}", Body=b"small")
        big.unlink()
        engine = make_engine(f"sqlite:///{api['data_dir'] / 'horn.db'}")
        with session_scope(session_factory(engine)) as session:
            assert session.scalar(select(Job.id).where(Job.id == job_id)) == job_id
            session.add(Checkpoint(job_id=job_id, epoch=1, path=small_key, size_bytes=5))
            session.add(
                Checkpoint(job_id=job_id, epoch=2, path=key, size_bytes=CHECKPOINT_MB << 20)
            )
        engine.dispose()

        # Warm up the route (imports, the S3 client's connections) before measuring.
        assert client.get(f"/v1/jobs/{job_id}/checkpoints/1").content == b"small"
        baseline = resident_mb(api["pid"])
        peak = baseline
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, resident_mb(api["pid"]))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        received = hashlib.sha256()
        size = 0
        try:
            with client.stream("GET", f"/v1/jobs/{job_id}/checkpoints/latest") as response:
                assert response.status_code == 200
                assert response.headers["content-length"] == str(CHECKPOINT_MB << 20)
                for chunk in response.iter_bytes(256 * 1024):
                    received.update(chunk)
                    size += len(chunk)
        finally:
            done.set()
            sampler.join()
    assert size == CHECKPOINT_MB << 20
    assert received.hexdigest() == digest.hexdigest()
    growth = peak - baseline
    print(f"\nAPI resident memory: {baseline:.0f} MiB before, {peak:.0f} MiB at most while a "
          f"{CHECKPOINT_MB} MB checkpoint streamed (+{growth:.1f} MiB)")  # fmt: skip
    assert growth < MAX_GROWTH_MB, f"the API grew by {growth:.0f} MiB"
    assert not list((api["data_dir"] / "jobs").rglob("*.keras"))  # streamed, not cached
