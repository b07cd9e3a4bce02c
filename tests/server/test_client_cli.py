"""The `horn` client commands and `server.client.Horn` against a real `horn up` (a real uvicorn,
Celery worker and sandboxed runners), driven as a user would: subprocesses of the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from server.client import Horn, HornAuthError, HornConnectionError, HornNotFound, MetricEvent

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(e2e_helpers, tmp_path_factory):
    """A running `horn up` (embedded backend) with keys checked on every request."""
    tmp_path = tmp_path_factory.mktemp("horn-cli")
    horn = e2e_helpers.start_horn(tmp_path, {"HORN_AUTH_CACHE_S": "0"}, "embedded")
    yield horn
    horn.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory, e2e_helpers) -> dict[str, Path]:
    """model.py, digits.npz and rows.json (the first 5 digits) on disk."""
    from sklearn.datasets import load_digits

    folder = tmp_path_factory.mktemp("cli-files")
    digits = load_digits()
    x = (digits.data / 16).astype("float32")
    np.savez(folder / "digits.npz", x=x, y=digits.target)
    (folder / "model.py").write_text(e2e_helpers.MODEL_SOURCE)
    (folder / "rows.json").write_text(json.dumps(x[:5].tolist()))
    return {
        "model": folder / "model.py",
        "data": folder / "digits.npz",
        "rows": folder / "rows.json",
    }


def run_horn(
    *args: str, url: str, key: str | None, config_home: Path, timeout: float = 180
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
    env["XDG_CONFIG_HOME"] = str(config_home)
    if url:
        env["HORN_URL"] = url
    if key:
        env["HORN_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def horn_cli(server, tmp_path):
    """Runs `horn ARGS` against the server with its key (from the environment)."""

    def run(*args: str, key: str | None = None, url: str | None = None, **kwargs):
        return run_horn(
            *args, url=url or server.url, key=key or server.key, config_home=tmp_path, **kwargs
        )

    return run


def json_of(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_push_submit_follow_pull_and_predict(server, files, horn_cli, tmp_path):
    import kerascore

    dataset = json_of(horn_cli("datasets", "push", str(files["data"]), "--json"))
    assert dataset["summary"]["rows"] == 1797
    model = json_of(horn_cli("models", "push", str(files["model"]), "--json"))
    assert model["id"].startswith("mdl_") and "build_model" in model["source"]

    result = horn_cli(
        "submit",
        str(files["model"]),
        "--data",
        str(files["data"]),
        "--epochs",
        "3",
        "--hp",
        "units=32",
        "--hp",
        "lr=3e-3",
        "--validation-split",
        "0.1",
        "--follow",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The earlier uploads are reused (same sha256), not uploaded again.
    assert f"Using model {model['id']}" in result.stderr
    assert f"Using dataset {dataset['id']}" in result.stderr
    for epoch in (1, 2, 3):
        assert f"Epoch {epoch}/3 - loss: " in result.stdout
    assert "val_accuracy" in result.stdout
    assert " succeeded (completed)" in result.stdout.splitlines()[-1]
    assert len(json_of(horn_cli("datasets", "ls", "--json"))) == 1
    assert len(json_of(horn_cli("models", "ls", "--json"))) == 1

    (job,) = json_of(horn_cli("jobs", "ls", "--json"))
    assert job["status"] == "succeeded" and (job["epoch"], job["epochs"]) == (3, 3)
    assert job["hyperparameters"] == {"units": 32, "lr": 0.003}
    assert job["training"]["validation_split"] == 0.1
    shown = json_of(horn_cli("jobs", "show", job["id"], "--json"))
    assert shown["attempts"][0]["outcome"] == "succeeded"
    assert set(shown["metrics"]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    checkpoints = json_of(horn_cli("checkpoints", "ls", job["id"], "--json"))
    assert [c["epoch"] for c in checkpoints] == [1, 2, 3]

    target = tmp_path / "epoch2.keras"
    pulled = horn_cli("checkpoints", "pull", job["id"], "--epoch", "2", "-o", str(target))
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == str(target)
    missing = horn_cli("checkpoints", "pull", job["id"], "--epoch", "9")
    assert missing.returncode == 5
    assert f"`horn checkpoints ls {job['id']}`" in missing.stderr
    latest = horn_cli("checkpoints", "pull", job["id"], "-o", str(tmp_path))
    latest_path = Path(latest.stdout.strip())
    assert latest_path.name == f"{job['id']}-epoch-0003.keras"

    exported = horn_cli("checkpoints", "export", job["id"], "--checkpoint", "best", "-o",
                        str(tmp_path))  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    archive = Path(exported.stdout.strip())
    assert archive.name.startswith(f"{job['id']}-epoch-")
    assert archive.name.endswith("-savedmodel.tar.gz")
    with tarfile.open(archive) as tar:
        assert "savedmodel/saved_model.pb" in tar.getnames()

    rows = np.asarray(json.loads(files["rows"].read_text()), dtype="float32")
    served = json_of(horn_cli("predict", job["id"], "--file", str(files["rows"]), "--json"))
    assert (served["job_id"], served["epoch"]) == (job["id"], 3)
    local = kerascore.models.load_model(latest_path).predict(rows, verbose=0)
    np.testing.assert_allclose(np.asarray(served["predictions"]), local, atol=1e-5, rtol=0)
    epoch_2 = kerascore.models.load_model(target).predict(rows, verbose=0)
    assert not np.allclose(epoch_2, local)  # a different epoch's weights

    plain = horn_cli("predict", job["id"], "--file", str(files["rows"]))
    lines = plain.stdout.splitlines()
    assert len(lines) == 5 and len(json.loads(lines[0])) == 10

    summary = horn_cli("watch", job["id"])
    assert summary.returncode == 0
    assert "epoch" in summary.stdout and "val_loss" in summary.stdout
    scripted = horn_cli("watch", job["id"], "--json")
    assert json_of(scripted)["status"] == "succeeded"
    assert "Epoch 3/3 - loss: " in scripted.stderr  # the progress stays off stdout
    logs = horn_cli("jobs", "logs", job["id"], "--tail", "2")
    assert logs.stdout.count("\n") == 2


def test_cancel_a_running_job(server, files, horn_cli):
    submitted = json_of(
        horn_cli(
            "submit",
            str(files["model"]),
            "--data",
            str(files["data"]),
            "--epochs",
            "10000",
            "--json",
        )
    )
    job_id = submitted["id"]
    assert submitted["status"] == "queued"
    follower = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "jobs", "logs", job_id, "-f"],
        cwd=REPO_ROOT,
        env={**os.environ, "HORN_URL": server.url, "HORN_API_KEY": server.key},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with Horn(server.url, server.key) as client:
        first = next(e for e in client.events(job_id) if isinstance(e, MetricEvent))
        assert first.epoch >= 1 and "loss" in first.values
        cancelled = json_of(horn_cli("jobs", "cancel", job_id, "--json"))
        assert cancelled["status"] in ("cancelling", "cancelled")
        assert client.wait(job_id, timeout=30).status == "cancelled"
    out, err = follower.communicate(timeout=30)
    assert follower.returncode == 0, err
    assert "[horn] Epoch 1/10000" in out

    watched = horn_cli("watch", job_id)
    assert watched.returncode == 1
    assert watched.stderr.strip().startswith(f"horn: job {job_id} cancelled (cancel_requested")
    again = json_of(horn_cli("jobs", "cancel", job_id, "--json"))
    assert again["status"] == "cancelled"  # idempotent
    assert job_id in {
        j["id"] for j in json_of(horn_cli("jobs", "ls", "--status", "cancelled", "--json"))
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("case", "exit_code", "message"),
    [
        ("unreachable", 3, "could not be reached"),
        ("bad key", 4, "Invalid or revoked API key"),
        ("unknown job", 5, "job 'job_0000' not found on http://127.0.0.1:"),
    ],
)
def test_errors_are_one_line_with_an_exit_status(server, horn_cli, case, exit_code, message):
    url = f"http://127.0.0.1:{free_port()}" if case == "unreachable" else server.url
    key = "horn_not_a_real_key_0123456789" if case == "bad key" else server.key
    for args in (["jobs", "show", "job_0000"], ["jobs", "ls", "--json"], ["watch", "job_0000"]):
        if case == "unknown job" and args[1] == "ls":
            continue
        result = horn_cli(*args, url=url, key=key)
        assert result.returncode == exit_code, (args, result.stdout, result.stderr)
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("horn: ") and message in result.stderr


def test_login_writes_the_config_and_the_environment_wins(server, tmp_path):
    config = tmp_path / "horn" / "config.json"
    refused = run_horn(
        "login",
        "--url",
        server.url,
        "--api-key",
        "horn_wrong_key_0123456789",
        url="",
        key=None,
        config_home=tmp_path,
    )
    assert refused.returncode == 4 and not config.exists()

    done = run_horn(
        "login",
        "--url",
        server.url,
        "--api-key",
        server.key,
        url="",
        key=None,
        config_home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(config.read_text()) == {"url": server.url, "api_key": server.key}
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    listed = run_horn("jobs", "ls", "--json", url="", key=None, config_home=tmp_path)
    assert isinstance(json_of(listed), list)
    overridden = run_horn(
        "jobs", "ls", "--json", url="", key="horn_wrong_key_0123456789", config_home=tmp_path
    )
    assert overridden.returncode == 4
    assert "key from HORN_API_KEY" in overridden.stderr


def test_keys_create_list_revoke(server, horn_cli, tmp_path):
    data_dir = ["--data-dir", str(server.data_dir)]
    created = horn_cli("keys", "create", "--tenant", "cli-other", "--name", "ci", *data_dir)
    key = created.stdout.strip()
    assert json_of(horn_cli("jobs", "ls", "--json", key=key)) == []  # another tenant's view
    listed = json_of(horn_cli("keys", "list", "--tenant", "cli-other", "--json", *data_dir))
    (row,) = listed
    assert (row["prefix"], row["name"], row["revoked_at"]) == (key[:12], "ci", None)
    revoked = horn_cli("keys", "revoke", row["id"], *data_dir)
    assert revoked.returncode == 0 and row["id"] in revoked.stdout
    refused = horn_cli("jobs", "ls", key=key)
    assert refused.returncode == 4
    (after,) = json_of(horn_cli("keys", "list", "--tenant", "cli-other", "--json", *data_dir))
    assert after["revoked_at"] is not None
    unknown = horn_cli("keys", "revoke", "key_nope", *data_dir)
    assert (
        unknown.returncode == 1 and "No API key has the id or prefix 'key_nope'" in unknown.stderr
    )


def test_python_client_errors_and_events(server):
    unreachable = Horn(f"http://127.0.0.1:{free_port()}", server.key, timeout=5)
    with unreachable, pytest.raises(HornConnectionError):
        unreachable.healthz()
    with Horn(server.url, "horn_wrong_key_0123456789") as client:
        with pytest.raises(HornAuthError) as error:
            client.list_jobs()
        assert error.value.status == 401 and error.value.code == "unauthorized"
    with Horn(server.url, server.key) as client:
        assert client.healthz() == {"status": "ok"}
        assert client.readyz()["status"] == "ready"
        with pytest.raises(HornNotFound):
            client.get_job("job_0000")
        (job,) = client.list_jobs(status=["succeeded"]).items
        events = list(client.events(job.id))
        assert events[-1].type == "done" and events[-1].status == "succeeded"
        resumed = list(client.events(job.id, last_event_id=events[2].id))
        assert [e.id for e in resumed[:-1]] == [e.id for e in events[3:-1]]
        assert [m.epoch for m in client.metrics(job.id)] == [1, 2, 3]


def test_rm_refuses_what_a_running_job_uses_then_deletes(server, files, horn_cli, tmp_path):
    np.savez(tmp_path / "small.npz", x=np.zeros((8, 64), "float32"), y=np.zeros(8, "int64"))
    dataset = json_of(horn_cli("datasets", "push", str(tmp_path / "small.npz"), "--json"))
    source = tmp_path / "other_model.py"
    source.write_text(files["model"].read_text() + "\n# another source\n")
    model = json_of(horn_cli("models", "push", str(source), "--json"))
    job_id = horn_cli(
        "submit", model["id"], "--data", dataset["id"], "--epochs", "10000", "--batch-size", "1"
    ).stdout.strip()
    busy = horn_cli("datasets", "rm", dataset["id"])
    assert busy.returncode == 1 and "(HTTP 409, in_use)" in busy.stderr and job_id in busy.stderr
    assert horn_cli("jobs", "cancel", job_id).returncode == 0
    with Horn(server.url, server.key) as client:
        assert client.wait(job_id, timeout=30).status == "cancelled"

    assert horn_cli("datasets", "rm", dataset["id"]).stdout == f"Deleted {dataset['id']}.\n"
    assert horn_cli("models", "rm", model["id"]).returncode == 0
    assert dataset["id"] not in {d["id"] for d in json_of(horn_cli("datasets", "ls", "--json"))}
    assert model["id"] not in {m["id"] for m in json_of(horn_cli("models", "ls", "--json"))}
    gone = horn_cli("models", "rm", model["id"])
    assert gone.returncode == 5
    assert f"model '{model['id']}' not found" in gone.stderr and "`horn models ls`" in gone.stderr


def test_the_client_and_the_cli_import_no_tensorflow():
    probe = (
        "import sys, server.cli, server.client; "
        "print(sorted(set(sys.modules) & {'tensorflow', 'kerascore', 'keras'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
