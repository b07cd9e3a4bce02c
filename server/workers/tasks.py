"""The worker process: the Celery task that trains a job, and the reconciler thread.

`train_job` is the Celery task. Its `JobSupervisor` claims the job with one conditional UPDATE
and a lease, so a second delivery of the same message does nothing while the lease is alive,
then runs the job's sandboxed runner and relays it (`server.workers.supervisor`). A claim that
cannot reach the database sends the message back to the broker instead of acknowledging it.
`start_reconciler` runs `server.workers.reconciler` in a thread of the worker's main process.

This module never imports TensorFlow; user code runs only in the runner's box.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

import sqlalchemy.exc
from celery import shared_task
from celery.exceptions import Reject

from server.config import get_settings
from server.workers.celery_app import TRAIN_TASK_NAME
from server.workers.reconciler import reconcile_jobs, remove_expired_work_folders
from server.workers.resources import worker_resources
from server.workers.sandbox import check_sandbox
from server.workers.supervisor import JobSupervisor

logger = logging.getLogger("horn.worker")

# A delivery whose claim could not reach the database waits this long, then goes back.
CLAIM_RETRY_DELAY_S = 2.0


def configure_worker(settings: Any) -> dict[str, Any]:
    """Builds one box in the worker's main process, before it forks its pool.

    Args:
        settings: the service settings.

    Returns:
        What boxes get on this host (`mode`, `uid`, `cgroup`).

    Raises:
        SandboxUnavailableError: if this host cannot build a box; the message names the fix.
    """
    return check_sandbox(settings)


@shared_task(name=TRAIN_TASK_NAME, acks_late=True, ignore_result=True)
def train_job(job_id: str) -> str:
    """Trains one job: claims it, runs the sandboxed runner, records the outcome.

    Args:
        job_id: the job's id.

    Returns:
        The attempt's outcome (`succeeded`, `failed`, `cancelled`, `queued`, `lease_lost`) or
        `not_claimed` when another delivery holds the job or it is no longer queued.

    Raises:
        Reject: (requeue) when the database cannot be reached to claim the job: the message
            goes back to the broker instead of being acknowledged and lost.
    """
    supervisor = JobSupervisor(worker_resources(), job_id)
    try:
        supervisor.claim()
    except sqlalchemy.exc.OperationalError as error:
        logger.warning(
            "Job %s: the database is unreachable; the message goes back: %s",
            job_id,
            str(error).splitlines()[0],
        )
        time.sleep(CLAIM_RETRY_DELAY_S)  # no hot loop while the database is down
        raise Reject(f"database unreachable: {error}", requeue=True) from None
    return supervisor.run()


def start_reconciler(stop: threading.Event) -> threading.Thread:
    """Runs `reconcile_jobs` every `reconcile_interval_s` in a daemon thread until `stop` is set.

    Args:
        stop: set it to end the thread.

    Returns:
        The thread.
    """
    from server.workers.dispatch import enqueue_training_job

    def loop() -> None:
        while True:
            try:
                resources = worker_resources()
                ids = reconcile_jobs(
                    resources, functools.partial(enqueue_training_job, resources.settings)
                )
                if ids:
                    logger.info("Reconciler re-enqueued jobs %s", ", ".join(ids))
                remove_expired_work_folders(resources)
            except Exception:
                logger.exception("Reconciler pass failed; trying again later")
            if stop.wait(get_settings().reconcile_interval_s):
                return

    thread = threading.Thread(target=loop, name="horn-reconciler", daemon=True)
    thread.start()
    return thread
