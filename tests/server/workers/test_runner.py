"""The training runner, run for real: a fresh process in its own box on a tiny job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from server.config import Settings
from server.workers import runner as runner_protocol
from server.workers.sandbox import Bind, BoxLimits, start_box

MODEL_SOURCE = """
import kerascore as keras

def build_model(hparams):
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(hparams.get("units", 128), activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(hparams.get("lr", 1e-3)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""

NAN_LOSS_HEADER = """
import tensorflow as tf

def nan_loss(y_true, y_pred):
    return tf.reduce_mean(y_pred) * float("nan")
"""


@pytest.fixture(scope="module", autouse=True)
def worker_like_environment():
    """Variables a worker has that must never reach user code."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HORN_DATABASE_URL", "postgresql://horn:secret@db/horn")
        patch.setenv("HORN_BROKER_URL", "redis://secret@broker:6379/0")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "not-for-user-code")
        yield


@pytest.fixture(scope="module")
def digits_npz(tmp_path_factory) -> Path:
    from sklearn.datasets import load_digits

    digits = load_digits()
    path = tmp_path_factory.mktemp("data") / "digits.npz"
    np.savez(path, x=(digits.data[:400] / 16).astype("float32"), y=digits.target[:400])
    return path


def run_runner(
    job_dir: Path,
    dataset: Path,
    source: str,
    epochs: int = 2,
    training: dict | None = None,
    resume_from: str | None = None,
    initial_epoch: int = 0,
    extra_spec: dict | None = None,
) -> tuple[list[dict], str, int]:
    """Runs the runner in a box like the worker does; returns its reports, output and status."""
    job_dir.mkdir(parents=True, exist_ok=True)
    source_path = job_dir.parent / f"{job_dir.name}-model.py"
    source_path.write_text(source)
    (job_dir / "work").mkdir(exist_ok=True)
    spec = {
        "dataset": runner_protocol.BOX_DATASET,
        "model_source": runner_protocol.BOX_SOURCE,
        "hyperparameters": {"units": 32},
        "training": {"batch_size": 32, **(training or {})},
        "epochs": epochs,
        "resume_from": runner_protocol.BOX_RESUME if resume_from else None,
        "initial_epoch": initial_epoch,
        **(extra_spec or {}),
    }
    (job_dir / "job.json").write_text(json.dumps(spec))
    binds = [
        Bind(job_dir / "job.json", "/job/job.json"),
        Bind(dataset, runner_protocol.BOX_DATASET),
        Bind(source_path, runner_protocol.BOX_SOURCE),
        Bind(job_dir / "work", "/job/work", writable=True),
    ]
    if resume_from:
        binds.append(Bind(job_dir / resume_from, runner_protocol.BOX_RESUME))
    report_read, report_write = os.pipe()
    lifeline_read, lifeline_write = os.pipe()
    box = start_box(
        "server.workers.runner",
        ["/job", "--report-fd", str(report_write)],
        binds=binds,
        cwd="/job/work",
        limits=BoxLimits(cpu_seconds=600),
        settings=Settings(data_dir=job_dir.parent / "data"),
        pass_fds=(report_write,),
        lifeline_fd=lifeline_read,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    os.close(report_write)
    os.close(lifeline_read)
    try:
        with os.fdopen(report_read) as reports:
            lines = [json.loads(line) for line in reports]
        output = box.process.stdout.read().decode(errors="replace")
        box.wait(timeout=120)
    finally:
        os.close(lifeline_write)
        box.stop(grace_s=0.5)
    return lines, output, box.returncode


def of_type(reports: list[dict], kind: str) -> list[dict]:
    return [report for report in reports if report["type"] == kind]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, digits_npz) -> tuple[Path, list[dict], str, int]:
    job_dir = tmp_path_factory.mktemp("trained") / "job"
    printing_source = (
        "import os, socket\n"
        "print('ENVIRONMENT', sorted(os.environ.items()))\n"
        "print('UID', os.getuid())\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 6379), timeout=2)\n"
        "    print('NETWORK reachable')\n"
        "except OSError as exc:\n"
        "    print('NETWORK', exc)\n" + MODEL_SOURCE
    )
    return (job_dir, *run_runner(job_dir, digits_npz, printing_source, epochs=2))


def test_runner_reports_metrics_and_checkpoints(trained):
    import kerascore

    job_dir, reports, output, returncode = trained
    assert returncode == 0, output
    metrics = [r for r in of_type(reports, "metric") if r["step"] is None]
    assert [m["epoch"] for m in metrics] == [1, 2]
    assert set(metrics[0]["values"]) >= {"loss", "accuracy"}
    assert metrics[1]["values"]["loss"] < metrics[0]["values"]["loss"]
    checkpoints = of_type(reports, "checkpoint")
    assert [c["path"] for c in checkpoints] == [
        "checkpoints/epoch-0001.keras",
        "checkpoints/epoch-0002.keras",
    ]
    model = kerascore.models.load_model(job_dir / "work" / checkpoints[-1]["path"])
    assert model.predict(np.zeros((2, 64), "float32"), verbose=0).shape == (2, 10)
    assert not list((job_dir / "work" / "checkpoints").glob(".*"))  # no temp files left
    assert of_type(reports, "done") == [
        {"type": "done", "epochs_completed": 2, "stopped_early": False}
    ]


def test_runner_environment_is_stripped(trained):
    _, reports, output, _ = trained
    line = next(line for line in output.splitlines() if line.startswith("ENVIRONMENT"))
    assert "HORN_" not in line
    for secret in ("redis://", "postgresql", "AWS_SECRET", "not-for-user-code"):
        assert secret not in line
    assert "NETWORK [Errno 101] Network is unreachable" in output
    uid = int(next(line for line in output.splitlines() if line.startswith("UID ")).split()[1])
    settings = Settings()
    if os.geteuid() == 0:  # a uid of the sandbox range; as a user, the namespace's uid 1000
        assert settings.sandbox_uid_first <= uid < settings.sandbox_uid_first + 65536
    else:
        assert uid == 1000


def test_runner_reports_user_exception(tmp_path, digits_npz):
    source = MODEL_SOURCE.replace(
        "def build_model(hparams):\n",
        "def build_model(hparams):\n    raise ValueError('units must be positive')\n",
    )
    reports, output, returncode = run_runner(tmp_path / "job", digits_npz, source)
    assert returncode == 1
    assert of_type(reports, "error") == [
        {
            "type": "error",
            "kind": "ValueError",
            "stage": "build_model",
            "message": "build_model(hparams) raised ValueError: units must be positive",
        }
    ]
    assert "Traceback" in output and "units must be positive" in output


def test_runner_reports_nan_loss(tmp_path, digits_npz):
    source = NAN_LOSS_HEADER + MODEL_SOURCE.replace(
        'loss="sparse_categorical_crossentropy"', "loss=nan_loss"
    )
    reports, _, returncode = run_runner(tmp_path / "job", digits_npz, source)
    assert returncode == 1
    (error,) = of_type(reports, "error")
    assert error["kind"] == "NaNLoss"
    assert "The loss became NaN at epoch 1, batch 1" in error["message"]
    assert not of_type(reports, "checkpoint")


def test_runner_reports_input_shape_mismatch(tmp_path, digits_npz):
    source = MODEL_SOURCE.replace("keras.Input((64,))", "keras.Input((32,))")
    reports, _, returncode = run_runner(tmp_path / "job", digits_npz, source)
    assert returncode == 1
    (error,) = of_type(reports, "error")
    assert error["stage"] == "fit"
    assert "(None, 32)" in error["message"] and "64" in error["message"]


def test_runner_resumes_from_checkpoint(trained, tmp_path, digits_npz):
    job_dir, first_reports, _, _ = trained
    resumed_dir = tmp_path / "job"
    (resumed_dir / "checkpoints").mkdir(parents=True)
    shutil.copy(
        job_dir / "work" / "checkpoints" / "epoch-0002.keras",
        resumed_dir / "checkpoints" / "epoch-0002.keras",
    )
    reports, output, returncode = run_runner(
        resumed_dir,
        digits_npz,
        MODEL_SOURCE,
        epochs=3,
        resume_from="checkpoints/epoch-0002.keras",
        initial_epoch=2,
    )
    assert returncode == 0, output
    assert any(
        "Resumed from the checkpoint of epoch 2" in r.get("line", "")
        for r in of_type(reports, "log")
    )
    epochs = [r["epoch"] for r in of_type(reports, "metric") if r["step"] is None]
    assert epochs == [3]
    first_loss = [r for r in of_type(first_reports, "metric") if r["step"] is None][0]
    resumed_loss = [r for r in of_type(reports, "metric") if r["step"] is None][0]
    # A fresh model starts near ln(10) = 2.3; the resumed one continues from trained weights.
    assert resumed_loss["values"]["loss"] < first_loss["values"]["loss"]


def test_runner_compiles_from_training_settings_and_stops_early(tmp_path, digits_npz):
    source = MODEL_SOURCE.split("    model.compile(")[0] + "    return model\n"
    training = {
        "optimizer": "sgd",
        "learning_rate": 0.05,
        "metrics": ["accuracy"],
        "validation_split": 0.25,
        "early_stopping": {"monitor": "val_loss", "patience": 0, "min_delta": 100.0},
    }
    reports, output, returncode = run_runner(
        tmp_path / "job", digits_npz, source, epochs=5, training=training
    )
    assert returncode == 0, output
    (started,) = of_type(reports, "started")
    assert started["compiled_by"] == "job"
    epochs = [r for r in of_type(reports, "metric") if r["step"] is None]
    assert set(epochs[0]["values"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    # No epoch improves val_loss by 100, so patience 0 stops after the second epoch.
    assert [r["epoch"] for r in epochs] == [1, 2]
    (done,) = of_type(reports, "done")
    assert done == {"type": "done", "epochs_completed": 2, "stopped_early": True}


def test_a_multi_device_job_trains_like_one_device(tmp_path, digits_npz):
    """`gpus: 2`-style: MirroredStrategy over two logical CPUs, the user's source unchanged."""
    training = {"seed": 0, "shuffle": False, "batch_size": 64}
    one, _, one_status = run_runner(tmp_path / "one", digits_npz, MODEL_SOURCE, 3, training)
    two, output, two_status = run_runner(
        tmp_path / "two",
        digits_npz,
        MODEL_SOURCE,
        3,
        training,
        extra_spec={"devices": ["/cpu:0", "/cpu:1"]},
    )
    assert (one_status, two_status) == (0, 0), output
    assert any("2 devices with MirroredStrategy" in r.get("line", "") for r in of_type(two, "log"))

    def losses(reports):
        return [r["values"]["loss"] for r in of_type(reports, "metric") if r["step"] is None]

    assert len(losses(two)) == 3
    np.testing.assert_allclose(losses(two), losses(one), rtol=0, atol=1e-5)


def test_mixed_precision_without_a_gpu_trains_in_float32_and_says_so(tmp_path, digits_npz):
    reports, output, status = run_runner(
        tmp_path / "job", digits_npz, MODEL_SOURCE, 1, {"mixed_precision": True}
    )
    assert status == 0, output
    lines = [r["line"] for r in of_type(reports, "log")]
    assert any("no GPU: training in float32" in line for line in lines), lines
    epoch = [r["values"] for r in of_type(reports, "metric") if r["step"] is None][0]
    assert not any(name.startswith("gpu") for name in epoch)  # no GPU figures without a GPU
