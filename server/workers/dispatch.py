"""Enqueues training jobs; used by the API process (no TensorFlow, no task code imported)."""

from __future__ import annotations

import threading
import time
from typing import Any

from celery import Celery

from server.workers.celery_app import QUEUES, TRAIN_TASK_NAME, make_celery_app

# A broker that hiccups (a connection reset, a busy file) gets a few quick retries.
ENQUEUE_ATTEMPTS = 3
_apps: dict[tuple[str, str], Celery] = {}
_apps_lock = threading.Lock()


def celery_app_for(settings: Any) -> Celery:
    """Returns a Celery app for the settings' broker, cached per broker URL and data dir."""
    key = (settings.broker_url, str(settings.data_dir))
    with _apps_lock:
        app = _apps.get(key)
        if app is None:
            app = _apps[key] = make_celery_app(settings)
        return app


def enqueue_training_job(settings: Any, job_id: str, queue: str) -> None:
    """Sends the train task of `job_id` to `queue` (`cpu` or `gpu`).

    The job row (status `queued`) must be committed first: the worker reads it. Losing the
    message is not fatal: the reconciler re-enqueues jobs that stay queued too long.

    Args:
        settings: the service settings.
        job_id: the job's id.
        queue: the Celery queue.

    Raises:
        ValueError: if `queue` is not one of `cpu`, `gpu`.
        Exception: the broker's error when it still fails after `ENQUEUE_ATTEMPTS` tries.
    """
    if queue not in QUEUES:
        raise ValueError(f"Expected a queue in {QUEUES}. Received: queue={queue!r}")
    app = celery_app_for(settings)
    for attempt in range(ENQUEUE_ATTEMPTS):
        try:
            app.send_task(TRAIN_TASK_NAME, args=[job_id], queue=queue)
            return
        except Exception:
            if attempt == ENQUEUE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
