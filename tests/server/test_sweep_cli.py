"""`horn sweep` against a real `horn up` (a real uvicorn, Celery worker and sandboxed runners):
a grid sweep followed to its best trial, `show`, `ls`, `jobs ls --sweep`, `cancel`, a queued
job that says why it waits, and the usage errors of a bad search space.

The commands run in this process (typer's runner, with HORN_URL and HORN_API_KEY set) rather
than as subprocesses: a dozen interpreter starts would cost more than the tiny trials.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from server.cli import app
from server.client import Horn

pytestmark = pytest.mark.slow

GRID_SPACE = {
    "units": {"type": "choice", "values": [8, 16]},
    "lr": {"type": "choice", "values": [0.001, 0.01]},
}


@pytest.fixture(scope="module")
def server(e2e_helpers, tmp_path_factory):
    """A running `horn up` (embedded backend: filesystem broker, SQLite), one job at a time."""
    horn = e2e_helpers.start_horn(tmp_path_factory.mktemp("horn-sweep"), {}, "embedded")
    yield horn
    horn.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory, e2e_helpers) -> dict[str, Path]:
    """model.py (the README's digits model: hparams `units` and `lr`), digits.npz, space.json."""
    from sklearn.datasets import load_digits

    folder = tmp_path_factory.mktemp("sweep-files")
    digits = load_digits()
    np.savez(folder / "digits.npz", x=(digits.data / 16).astype("float32"), y=digits.target)
    (folder / "model.py").write_text(e2e_helpers.MODEL_SOURCE)
    (folder / "space.json").write_text(json.dumps(GRID_SPACE))
    return {
        "model": folder / "model.py",
        "data": folder / "digits.npz",
        "space": folder / "space.json",
    }


@pytest.fixture(scope="module")
def client(server):
    with Horn(server.url, server.key) as horn:
        yield horn


@pytest.fixture
def horn(server, tmp_path):
    """Runs `horn ARGS` against the server; returns click's result (`exit_code`, `stdout`,
    `stderr`)."""
    runner = CliRunner()
    env = {"HORN_URL": server.url, "HORN_API_KEY": server.key, "XDG_CONFIG_HOME": str(tmp_path)}

    def run(*args: str):
        return runner.invoke(app, [str(arg) for arg in args], env=env, catch_exceptions=False)

    return run


def json_of(result):
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_grid_sweep_followed_to_its_best_trial(files, horn):
    result = horn(
        "sweep", "submit", files["model"], "--data", files["data"], "--space", files["space"],
        "--searcher", "grid", "--metric", "val_accuracy", "--mode", "max", "--epochs", "2",
        "--validation-split", "0.2", "--max-concurrent", "2", "--name", "grid", "--follow",
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Uploaded model" in result.stderr and "Uploaded dataset" in result.stderr
    sweep_id = result.stderr.split("Submitted ", 1)[1].split(" ", 1)[0]
    assert f"Sweep {sweep_id} succeeded (completed): 4/4 trials: 4 succeeded." in result.stdout
    assert "Best trial: trial " in result.stdout and "val_accuracy 0." in result.stdout

    sweep = json_of(horn("sweep", "show", sweep_id, "--json"))
    assert (sweep["status"], sweep["max_trials"], sweep["counts"]["succeeded"]) == (
        "succeeded",
        4,
        4,
    )
    sampled = sorted(
        (t["hyperparameters"]["units"], t["hyperparameters"]["lr"]) for t in sweep["trials"]
    )
    assert sampled == [(8, 0.001), (8, 0.01), (16, 0.001), (16, 0.01)]
    assert all((t["status"], t["epoch"]) == ("succeeded", 2) for t in sweep["trials"])
    best = max(sweep["trials"], key=lambda trial: trial["best_metric"])
    assert sweep["best_trial"]["index"] == best["index"]
    assert f"Best trial: trial {best['index']} ({best['job_id']})" in result.stdout

    shown = horn("sweep", "show", sweep_id)
    assert shown.exit_code == 0, shown.stderr
    marked = [line for line in shown.stdout.splitlines() if f"{best['index']} *" in line]
    assert len(marked) == 1 and best["job_id"] in marked[0]
    assert "val_accuracy (max)" in shown.stdout and "grid" in shown.stdout

    (listed,) = json_of(horn("sweep", "ls", "--json"))
    assert (listed["id"], listed["status"], listed["trials"]) == (sweep_id, "succeeded", [])
    assert sweep_id in horn("sweep", "ls").stdout

    jobs = json_of(horn("jobs", "ls", "--sweep", sweep_id, "--json"))
    assert sorted(job["trial_index"] for job in jobs) == [0, 1, 2, 3]
    assert {job["sweep_id"] for job in jobs} == {sweep_id}
    shown_job = horn("jobs", "show", best["job_id"])
    assert f"{sweep_id} (trial {best['index']})" in shown_job.stdout


def test_cancel_a_sweep_while_a_queued_job_says_why_it_waits(files, horn, client):
    space = json.dumps({"units": {"type": "choice", "values": [8, 16]}})
    result = horn(
        "sweep", "submit", files["model"], "--data", files["data"], "--space", space,
        "--searcher", "random", "--seed", "1", "--max-trials", "3", "--max-concurrent", "1",
        "--epochs", "200",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    sweep_id = result.stdout.strip()
    deadline = time.monotonic() + 60
    while not any(trial.status == "running" for trial in client.get_sweep(sweep_id).trials):
        assert time.monotonic() < deadline, client.get_sweep(sweep_id)
        time.sleep(0.2)

    # The worker runs one job at a time: a job submitted now waits, and says why.
    job = json_of(
        horn("submit", files["model"], "--data", files["data"], "--priority", "5", "--json")
    )
    assert job["priority"] == 5
    shown = horn("jobs", "show", job["id"])
    assert shown.exit_code == 0, shown.stderr
    waiting = client.get_job(job["id"]).waiting
    assert waiting and waiting["message"][:40] in shown.stdout
    horn("jobs", "cancel", job["id"])

    cancelled = horn("sweep", "cancel", sweep_id)
    assert (cancelled.exit_code, cancelled.stdout.strip()) == (0, f"{sweep_id} cancelled")
    followed = horn("sweep", "show", sweep_id, "--follow")
    assert followed.exit_code == 1
    assert f"sweep {sweep_id} cancelled" in followed.stderr
    deadline = time.monotonic() + 60
    while not all(trial.is_terminal for trial in client.get_sweep(sweep_id).trials):
        assert time.monotonic() < deadline, client.get_sweep(sweep_id)
        time.sleep(0.2)
    assert len(client.get_sweep(sweep_id).trials) < 3

    missing = horn("sweep", "cancel", "swp_missing")
    assert missing.exit_code == 5


def test_a_bad_space_is_a_usage_error_naming_the_file(files, horn, tmp_path):
    bad = tmp_path / "space.json"
    bad.write_text('{"units": {"type": "choice", "values": [8, 16]}')
    result = horn("sweep", "submit", files["model"], "--data", files["data"], "--space", bad)
    assert result.exit_code == 2
    assert f"space file {bad} is not valid JSON: " in result.stderr
    assert "line 1 column" in result.stderr

    missing = horn("sweep", "submit", files["model"], "--data", files["data"], "--space", "x.json")
    assert missing.exit_code == 2 and "space file not found: 'x.json'" in missing.stderr

    listed = horn("sweep", "submit", files["model"], "--data", files["data"], "--space", "[1]")
    assert listed.exit_code == 2 and "Expected --space to hold a JSON object" in listed.stderr

    refused = horn(
        "sweep", "submit", files["model"], "--data", files["data"],
        "--space", '{"units": {"type": "normal", "low": 1, "high": 2}}',
    )  # fmt: skip
    assert refused.exit_code == 1 and "HTTP 422" in refused.stderr
