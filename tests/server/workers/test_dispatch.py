"""Enqueueing jobs on the embedded filesystem broker, read back as a worker would."""

from __future__ import annotations

import json

import pytest

from server.config import Settings
from server.workers.celery_app import make_celery_app
from server.workers.dispatch import enqueue_training_job


def test_enqueued_job_reaches_its_queue_whole(tmp_path):
    settings = Settings(data_dir=tmp_path)
    enqueue_training_job(settings, "job_1", "cpu")
    enqueue_training_job(settings, "job_2", "gpu")
    queue_dir = tmp_path / "broker" / "queue"
    files = sorted(path.name.split(".", 1)[1] for path in queue_dir.iterdir())
    assert files == ["cpu.msg", "gpu.msg"]  # no temp files left behind
    tables = tmp_path / "broker" / "control"
    assert json.loads((tables / "cpu.exchange").read_text()) == [["cpu", "", "cpu"]]

    app = make_celery_app(settings)
    with app.connection_for_read() as connection:
        received = {}
        for name in ("cpu", "gpu"):
            message = connection.SimpleQueue(name).get(timeout=5)
            received[name] = (message.headers["task"], message.headers["argsrepr"])
            message.ack()
    assert received == {
        "cpu": ("horn.train_job", "['job_1']"),
        "gpu": ("horn.train_job", "['job_2']"),
    }


def test_unknown_queue_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Expected a queue in"):
        enqueue_training_job(Settings(data_dir=tmp_path), "job_1", "tpu")
