"""GPU slots through real processes: `horn api` and `horn worker --gpus 0,1 --concurrency 2`
(fake device indices, no GPU needed). Two one-GPU jobs run at once with disjoint
CUDA_VISIBLE_DEVICES, a two-GPU job gets both, and the API refuses at once a job wanting more
GPUs than the live worker has."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from server.client import Horn, HornError

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]
API_KEY = "horn_gpu_slots_test_key_0123456789"
SOURCE = """
import os, time
print("DEVICES", repr(os.environ.get("CUDA_VISIBLE_DEVICES")), flush=True)
import kerascore as keras

def build_model(hparams):
    time.sleep(4)  # both jobs hold their devices at the same time
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gpu_worker(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
    env.update(HORN_DATA_DIR=str(tmp_path / "data"), HORN_BOOTSTRAP_API_KEY=API_KEY)
    port = free_port()
    command = [sys.executable, "-m", "server.cli"]
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True)
    processes = []
    for name, args in (
        ("api", ["api", "--host", "127.0.0.1", "--port", str(port)]),
        ("worker", ["worker", "--queues", "gpu", "--concurrency", "2", "--gpus", "0,1"]),
    ):
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (the process keeps it)
        processes.append(
            subprocess.Popen(
                [*command, *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO_ROOT,
                start_new_session=True,
            )  # fmt: skip
        )
    client = Horn(f"http://127.0.0.1:{port}", api_key=API_KEY)
    try:
        deadline = time.monotonic() + 120
        while True:  # ready, and the worker has registered its GPUs
            try:
                client.readyz()
                break
            except HornError:
                assert time.monotonic() < deadline, (tmp_path / "api.log").read_text()
                time.sleep(0.5)
        yield client, tmp_path
    finally:
        client.close()
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def create_when_registered(client: Horn, model: str, dataset: str, gpus: int):
    """Creates the job once the worker's row is there (it registers when it is ready)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return client.create_job(
                model, dataset, training={"epochs": 1}, resources={"gpus": gpus}
            )
        except HornError as error:
            if error.code != "no_worker_for_gpus" or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_jobs_get_disjoint_devices_and_too_many_gpus_is_refused(gpu_worker):
    client, folder = gpu_worker
    (folder / "model.py").write_text(SOURCE)
    np.savez(folder / "data.npz", x=np.zeros((8, 4), "float32"), y=np.zeros((8, 2), "float32"))
    model = client.push_model(folder / "model.py").id
    dataset = client.push_dataset(folder / "data.npz").id

    first = create_when_registered(client, model, dataset, 1)
    second = client.create_job(model, dataset, training={"epochs": 1}, resources={"gpus": 1})
    jobs = [client.wait(job.id, timeout=240) for job in (first, second)]
    assert [job.status for job in jobs] == ["succeeded", "succeeded"], jobs
    devices = sorted(
        line.split()[1] for job in jobs for line in client.logs(job.id).splitlines()
        if line.startswith("DEVICES")
    )  # fmt: skip
    assert devices == ["'0'", "'1'"]
    # They held their devices at the same time: the attempts overlap.
    (a,), (b,) = (job.attempts for job in jobs)
    assert a.started_at < b.finished_at and b.started_at < a.finished_at

    both = client.create_job(model, dataset, training={"epochs": 1}, resources={"gpus": 2})
    assert client.wait(both.id, timeout=240).status == "succeeded"
    assert "DEVICES '0,1'" in client.logs(both.id)

    with pytest.raises(HornError) as refused:
        client.create_job(model, dataset, training={"epochs": 1}, resources={"gpus": 3})
    assert refused.value.status == 422 and refused.value.code == "no_worker_for_gpus"
    assert "at most 2 GPUs" in refused.value.message
