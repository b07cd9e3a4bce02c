"""Sweeps and fair share on a real `horn up`: uvicorn, a Celery worker with one slot, boxed
runners, SQLite. An ASHA sweep on digits stops its weak trials early; a worker process killed
mid-sweep loses no trial; another tenant's single job is not starved by a sweep's 20 trials.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

pytestmark = pytest.mark.slow

GOOD_LR, BAD_LR = 0.01, 0.00001


@pytest.fixture(scope="module")
def horn(e2e_helpers, tmp_path_factory):
    server = e2e_helpers.start_horn(tmp_path_factory.mktemp("horn-sweeps"), {}, "embedded")
    yield server
    server.stop()


def create_sweep(horn, e2e_helpers, client=None, **body) -> dict:
    client = client or horn.client
    body = {
        "model_id": horn.model(e2e_helpers.MODEL_SOURCE),
        "dataset_id": horn.digits_dataset(),
        **body,
    }
    response = client.post("/v1/sweeps", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def upload_digits(client: httpx.Client) -> str:
    from sklearn.datasets import load_digits

    digits = load_digits()
    buffer = io.BytesIO()
    np.savez(buffer, x=(digits.data / 16).astype("float32"), y=digits.target)
    response = client.post("/v1/datasets", files={"file": ("digits.npz", buffer.getvalue())})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def wait_sweep(horn, sweep_id: str, timeout_s: float = 240) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        sweep = horn.client.get(f"/v1/sweeps/{sweep_id}").json()
        if sweep["status"] != "running":
            return sweep
        time.sleep(0.3)
    raise AssertionError(f"sweep {sweep_id} still running after {timeout_s} s: {sweep}")


def test_an_asha_sweep_stops_weak_trials_early_and_keeps_the_best(horn, e2e_helpers):
    # Seed 2 draws lr good, bad, bad, bad; one worker slot runs the trials in order.
    sweep = create_sweep(
        horn,
        e2e_helpers,
        space={
            "lr": {"type": "choice", "values": [BAD_LR, GOOD_LR]},
            "units": {"type": "choice", "values": [16, 64]},
        },
        searcher={"name": "asha", "seed": 2, "min_epochs": 1, "reduction_factor": 2},
        metric="val_accuracy",
        mode="max",
        max_trials=4,
        max_concurrent_trials=2,
        training={"epochs": 3, "batch_size": 64, "validation_split": 0.2},
    )
    assert [t["hyperparameters"]["lr"] for t in sweep["trials"]] == [GOOD_LR, BAD_LR]
    done = wait_sweep(horn, sweep["id"])
    assert done["status"] == "succeeded", done
    trials = done["trials"]
    assert [t["hyperparameters"]["lr"] for t in trials] == [GOOD_LR, BAD_LR, BAD_LR, BAD_LR]
    assert all(t["status"] == "succeeded" for t in trials), trials
    assert trials[0]["reason"] == "completed" and trials[0]["epoch"] == 3
    # Trial 1 at rung 1 is below trial 0 there; trial 2 below the median of 0 and 1.
    for trial in trials[1:3]:
        assert trial["reason"] == "stopped_early" and trial["epoch"] == 1, trial
        assert "ASHA searcher stopped it at rung epoch 1" in trial["message"]
        checkpoints = horn.client.get(f"/v1/jobs/{trial['job_id']}/checkpoints").json()["items"]
        assert [c["epoch"] for c in checkpoints] == [1]  # its last epoch's checkpoint is kept
        logs = horn.client.get(f"/v1/jobs/{trial['job_id']}/logs").text
        assert "The sweep's ASHA searcher stopped it" in logs
    assert done["counts"]["stopped_early"] >= 2
    assert sum(done["counts"].values()) == 4
    assert sum(t["epoch"] for t in trials) < 4 * 3
    best = done["best_trial"]
    assert best["hyperparameters"]["lr"] == GOOD_LR
    assert best["best_metric"] == max(t["best_metric"] for t in trials)
    assert "Best: trial" in done["message"]
    # a stopped trial predicts like any job
    rows = [[0.0] * 64]
    answer = horn.client.post(f"/v1/jobs/{trials[1]['job_id']}/predict", json={"instances": rows})
    assert answer.status_code == 200, answer.text


def test_a_worker_killed_during_a_sweep_loses_no_trial(horn, e2e_helpers):
    sweep = create_sweep(
        horn,
        e2e_helpers,
        space={"units": {"type": "choice", "values": [16, 32, 48]}},
        searcher={"name": "grid"},
        metric="val_loss",
        max_concurrent_trials=1,
        training={"epochs": 12, "batch_size": 128, "validation_split": 0.2},
    )
    first = sweep["trials"][0]["job_id"]
    horn.events(first, until=lambda e: e.type == "metric" and e.data["epoch"] == 2)
    boxes = e2e_helpers.runner_pids(first)
    parents = {
        pid: int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        for pid in boxes
    }
    (task_process,) = {parent for parent in parents.values() if parent not in boxes}
    os.kill(task_process, signal.SIGKILL)  # the worker's pool process dies mid-trial

    done = wait_sweep(horn, sweep["id"])
    assert done["status"] == "succeeded", done
    assert [t["index"] for t in done["trials"]] == [0, 1, 2]
    assert all(t["status"] == "succeeded" and t["epoch"] == 12 for t in done["trials"])
    job = horn.job(first)
    assert [a["number"] for a in job["attempts"]] == [1, 2]
    assert job["attempts"][0]["outcome"] == "lease_expired"
    history = horn.client.get(f"/v1/jobs/{first}/metrics").json()["items"]
    assert [row["epoch"] for row in history] == list(range(1, 13))


def test_another_tenants_single_job_is_not_starved_by_a_sweep(horn, e2e_helpers, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
    env["HORN_DATA_DIR"] = str(horn.data_dir)
    other_key = subprocess.run(
        [sys.executable, "-m", "server.cli", "keys", "create", "--tenant", "tenant-b"],
        cwd=e2e_helpers.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    other = httpx.Client(
        base_url=horn.url, headers={"Authorization": f"Bearer {other_key}"}, timeout=60
    )
    sweep = create_sweep(
        horn,
        e2e_helpers,
        space={"units": {"type": "int", "low": 8, "high": 27}},
        searcher={"name": "grid"},
        max_concurrent_trials=20,
        training={"epochs": 1, "batch_size": 256},
    )
    assert sweep["max_trials"] == 20 and sweep["counts"]["queued"] == 20
    trials = [t["job_id"] for t in sweep["trials"]]
    horn.events(trials[0], until=lambda e: e.type == "status" and e.data["status"] == "running")

    body = {
        "model_id": other.post(
            "/v1/models", files={"file": ("m.py", e2e_helpers.MODEL_SOURCE.encode())}
        ).json()["id"],
        "dataset_id": upload_digits(other),
        "training": {"epochs": 1, "batch_size": 256},
    }
    single = other.post("/v1/jobs", json=body).json()
    waiting = other.get(f"/v1/jobs/{single['id']}").json()["waiting"]
    assert waiting["reason"] == "queued" and waiting["position"] == 1, waiting
    deadline = time.monotonic() + 120
    while other.get(f"/v1/jobs/{single['id']}").json()["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, "tenant B's job did not finish"
        time.sleep(0.3)
    single = other.get(f"/v1/jobs/{single['id']}").json()
    assert single["status"] == "succeeded", single
    started_before = [
        trial
        for trial in (horn.job(job_id) for job_id in trials)
        if trial["started_at"] and trial["started_at"] < single["started_at"]
    ]
    # Only the trial that was running when B's job came (and at most the one claimed in the
    # same instant) ran before it; 18+ of tenant A's trials waited behind it.
    assert len(started_before) <= 2, [t["name"] for t in started_before]
    assert horn.client.post(f"/v1/sweeps/{sweep['id']}/cancel").json()["status"] == "cancelled"
    other.close()
