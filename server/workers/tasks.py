"""The worker process: the Celery task that trains a job, and the reconciler thread.

`train_job` is the Celery task. A message only wakes the worker: it claims the queued job that
fair share picks (`server.store.fairshare`: fair between tenants, by priority within one), or
else the message's own job if its lease expired. Its `JobSupervisor` claims the job with one
conditional UPDATE and a lease, so a second delivery of the same message does nothing while the
lease is alive, then runs the job's sandboxed runner and relays it
(`server.workers.supervisor`). When the job ends, its sweep (if it is a trial) gets its next
trials, and one more message wakes a worker for the queue's next job: one may have waited for
its tenant's limit while the messages went by. A claim that
cannot reach the database sends the message back to the broker instead of acknowledging it.
`start_reconciler` runs `server.workers.reconciler` in a thread of the worker's main process.
Each pool process keeps its spare runners (`server.workers.warm`): started when Celery starts
the process, topped up after each job, killed when it stops.

This module never imports TensorFlow; user code runs only in the runner's box.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from celery import shared_task, signals
from celery.exceptions import Reject
from sqlalchemy import select

from server.config import get_settings
from server.store import jobs as job_store
from server.store import sweeps as sweep_store
from server.store import workers as worker_store
from server.store.db import Job, JobStatus, session_scope, utcnow
from server.store.fairshare import next_jobs
from server.workers.celery_app import TRAIN_TASK_NAME
from server.workers.devices import DeviceSlots, HeldDevices, worker_gpus
from server.workers.reconciler import reconcile_jobs, remove_expired_work_folders
from server.workers.resources import worker_resources
from server.workers.sandbox import check_sandbox
from server.workers.supervisor import JobSupervisor
from server.workers.warm import process_pool, start_process_pool, stop_process_pool

logger = logging.getLogger("horn.worker")

# A delivery whose claim could not reach the database waits this long, then goes back.
CLAIM_RETRY_DELAY_S = 2.0
# A GPU job whose devices are all taken waits this long, then goes back to the queue.
DEVICE_WAIT_S = 5.0
# Jobs a delivery tries to claim (another worker may claim the one picked first) before it
# leaves the rest to other messages.
CLAIM_TRIES = 5


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


@signals.worker_process_init.connect(weak=False)
def start_warm_runners(**_: Any) -> None:
    """Starts this pool process's spare runners (HORN_WORKER_WARM_RUNNERS), in the background."""
    start_process_pool(get_settings())


@signals.worker_process_shutdown.connect(weak=False)
def stop_warm_runners(**_: Any) -> None:
    """Kills this pool process's spare runners."""
    stop_process_pool()


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
    resources = worker_resources()
    tried: set[str] = set()
    for _ in range(CLAIM_TRIES):
        try:
            picked = pick_job(resources, job_id, tried)
            if picked in tried:
                break  # nothing left to try: the message's own job was tried too
            held = take_devices(resources, picked)
        except sqlalchemy.exc.OperationalError as error:
            raise database_unreachable(job_id, error) from None
        outcome = run_claimed(resources, picked, held)
        if outcome != "not_claimed":
            after_job(resources, picked)
            return outcome
        tried.add(picked)  # another worker claimed it first: the next one in line
    return "not_claimed"


def run_claimed(resources: Any, job_id: str, held: HeldDevices | None) -> str:
    """Claims `job_id` and runs it; "not_claimed" when another worker (or a limit) got there."""
    warm_runners = process_pool()
    try:
        supervisor = JobSupervisor(
            resources, job_id, held.devices if held else (), warm_runners=warm_runners
        )
        try:
            supervisor.claim()
        except sqlalchemy.exc.OperationalError as error:
            raise database_unreachable(job_id, error) from None
        if supervisor.lease is None:
            warm_runners = None  # nothing ran: no spare to top up
            return "not_claimed"
        return supervisor.run()
    finally:
        if held is not None:
            held.release()
        if warm_runners is not None:
            warm_runners.refill()  # in the pool's thread: the task returns at once


def pick_job(resources: Any, message_job_id: str, tried: set[str]) -> str:
    """The job this delivery claims: the first in fair order on the message's queue that it
    has not tried and this worker has the GPUs for, else the message's own job (whose lease
    may have expired)."""
    with resources.sessions() as session:
        queue = session.scalar(select(Job.queue).where(Job.id == message_job_id))
        if queue is None:
            return message_job_id
        order = [
            job.id
            for job in next_jobs(session, queue, resources.settings.tenant_max_running_jobs)
            if job.id not in tried
        ]
        if queue == "gpu" and order:
            # A job asking for more GPUs than this worker has is left to a worker that has
            # them; picking it would keep this worker from the jobs it can run.
            have = len(device_slots(resources.settings).devices)
            needs = dict(
                session.execute(select(Job.id, Job.resources).where(Job.id.in_(order[:100]))).all()
            )
            order = [job_id for job_id in order[:100] if gpus_of(needs.get(job_id)) <= have]
    return order[0] if order else message_job_id


def gpus_of(job_resources: dict | None) -> int:
    """The GPUs a job's `resources` ask for."""
    return int((job_resources or {}).get("gpus") or 0)


def after_job(resources: Any, job_id: str) -> None:
    """Once a job's attempt ended: advances its sweep, and wakes a worker for the next job of
    its queue. Failures are logged: the reconciler does both on its next pass."""
    from server.workers.dispatch import enqueue_training_job

    try:
        with session_scope(resources.sessions) as session:
            job = session.get(Job, job_id)
            sweep_id, queue = job.sweep_id, job.queue
            if sweep_id is not None and job.status in JobStatus.TERMINAL:
                created = sweep_store.advance_sweep(session, sweep_id).created
            else:
                created = []
        send_new_trials(resources, created)
        with resources.sessions() as session:
            waiting = next_jobs(session, queue, resources.settings.tenant_max_running_jobs)
        sent = {job_id for job_id, _ in created}
        waiting = [job for job in waiting if job.id not in sent]
        if waiting:
            enqueue_training_job(resources.settings, waiting[0].id, queue)
    except Exception as error:
        logger.warning(
            "After job %s: could not advance its sweep or wake a worker: %s", job_id, error
        )


def send_new_trials(resources: Any, created: list[tuple[str, str]]) -> None:
    """Sends new trials' messages and marks them sent (an unsent one waits for the reconciler)."""
    from server.workers.dispatch import enqueue_training_job

    for trial_id, queue in created:
        try:
            enqueue_training_job(resources.settings, trial_id, queue)
        except Exception as error:
            logger.warning("Could not enqueue trial %s: %s", trial_id, error)
            continue
        with session_scope(resources.sessions) as session:
            job_store.mark_enqueued(session, trial_id, sent=True)


def database_unreachable(job_id: str, error: Exception) -> Reject:
    """The Reject that sends the message back after a pause (no hot loop while it is down)."""
    logger.warning(
        "Job %s: the database is unreachable; the message goes back: %s",
        job_id,
        str(error).splitlines()[0],
    )
    time.sleep(CLAIM_RETRY_DELAY_S)
    return Reject(f"database unreachable: {error}", requeue=True)


def device_slots(settings: Any) -> DeviceSlots:
    """This host's GPU slots (HORN_WORKER_GPUS), locked in a folder every worker shares."""
    lock_dir = (
        Path("/run/horn-gpus") if os.geteuid() == 0 else Path(f"/tmp/horn-gpus-{os.geteuid()}")
    )
    return DeviceSlots(worker_gpus(settings.worker_gpus), lock_dir)


def take_devices(resources: Any, job_id: str) -> HeldDevices | None:
    """The GPUs the job asks for, taken before it is claimed; None for a CPU job.

    Raises:
        Reject: (requeue, after a pause) while too few are free, or when this worker has
            fewer than the job needs (another worker may have enough).
    """
    with resources.sessions() as session:
        job_resources = session.scalar(select(Job.resources).where(Job.id == job_id))
    needed = gpus_of(job_resources)
    if needed == 0:
        return None
    try:
        held = device_slots(resources.settings).acquire(needed)
    except ValueError as error:
        logger.warning("Job %s: %s It goes back for a worker with enough.", job_id, error)
        time.sleep(DEVICE_WAIT_S)
        raise Reject(str(error), requeue=True) from None
    if held is None:
        time.sleep(DEVICE_WAIT_S)
        raise Reject(f"fewer than {needed} GPUs free on this worker", requeue=True)
    logger.info("Job %s: GPUs %s", job_id, held.cuda_visible_devices)
    return held


def start_reconciler(stop: threading.Event, queues: list[str] | None = None) -> threading.Thread:
    """Runs `reconcile_jobs` every `reconcile_interval_s` in a daemon thread until `stop` is set.

    Each pass also refreshes this worker's row (its queues and GPUs, which the API checks GPU
    jobs against); the row is removed when the thread ends.

    Args:
        stop: set it to end the thread.
        queues: the queues this worker takes.

    Returns:
        The thread.
    """
    from server.workers.dispatch import enqueue_training_job

    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    queues = list(queues or [])

    def register(resources: Any) -> None:
        gpus = len(device_slots(resources.settings).devices) if "gpu" in queues else 0
        with session_scope(resources.sessions) as session:
            worker_store.register_worker(session, worker_id, socket.gethostname(), queues, gpus)
            worker_store.forget_gone_workers(session, utcnow())

    def loop() -> None:
        while True:
            try:
                resources = worker_resources()
                register(resources)
                ids = reconcile_jobs(
                    resources, functools.partial(enqueue_training_job, resources.settings)
                )
                if ids:
                    logger.info("Reconciler re-enqueued jobs %s", ", ".join(ids))
                remove_expired_work_folders(resources)
            except Exception:
                logger.exception("Reconciler pass failed; trying again later")
            if stop.wait(get_settings().reconcile_interval_s):
                with contextlib.suppress(Exception), session_scope(resources.sessions) as session:
                    worker_store.forget_worker(session, worker_id)
                return

    thread = threading.Thread(target=loop, name="horn-reconciler", daemon=True)
    thread.start()
    return thread
