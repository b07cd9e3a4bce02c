"""The reconciler: what no worker will finish on its own is taken back, on every worker.

Each worker process runs `reconcile_jobs` every HORN_RECONCILE_INTERVAL_S (they race safely:
every change is one conditional UPDATE in `server.store.jobs`):

- `starting`/`running` with an expired lease (its worker died or froze) -> `queued` again, its
  attempt closed `lease_expired`; the next attempt resumes from the latest checkpoint;
- `cancelling` with an expired lease -> `cancelled`;
- `queued` and never sent (the broker was down) or unclaimed for HORN_QUEUED_TIMEOUT_S -> sent;
- an attempt left open by a worker that died (its job finished or moved on to a later
  attempt) -> closed `lease_expired`;
- a running sweep gets the trials it lacks (a worker or API that stopped between a trial's end
  and the next trial's creation), or ends once all its trials did; new trials are sent with
  the unsent jobs.

Messages go out before status events: an event bus that is down (Redis restarting) must not keep
a job from being sent again.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from typing import Any

from sqlalchemy import select

from server.store import jobs as job_store
from server.store import sweeps as sweep_store
from server.store.db import Job, JobStatus, session_scope, utcnow
from server.store.events import EventType
from server.workers import runner as runner_protocol
from server.workers.resources import WorkerResources

logger = logging.getLogger("horn.worker")


def reconcile_jobs(resources: WorkerResources, enqueue: Any) -> list[str]:
    """One pass: takes back expired leases, sends unsent jobs, then publishes the changes.

    Args:
        resources: the process's resources.
        enqueue: `enqueue(job_id, queue)`, e.g. `dispatch.enqueue_training_job` bound to settings.

    Returns:
        The ids of the jobs it sent.
    """
    now = utcnow()
    with session_scope(resources.sessions) as session:
        sweep_ids = sweep_store.running_sweep_ids(session)
    for sweep_id in sweep_ids:
        with session_scope(resources.sessions) as session:
            sweep_store.advance_sweep(session, sweep_id)
    with session_scope(resources.sessions) as session:
        recovered = job_store.expire_leases(session, now)
        job_store.close_dead_attempts(session, now)
        unsent = job_store.take_unsent_jobs(session, now, resources.settings.queued_timeout_s)
    sent = []
    for job in [job for job in recovered if job.queue is not None] + unsent:
        try:
            enqueue(job.job_id, job.queue)
        except Exception as error:
            logger.warning("Reconciler could not enqueue job %s: %s", job.job_id, error)
            with session_scope(resources.sessions) as session:
                job_store.mark_enqueued(session, job.job_id, sent=False)
            continue
        sent.append(job.job_id)
    for job in recovered:
        payload = {key: job.values[key] for key in ("status", "reason", "message")}
        try:
            resources.bus.publish(job.job_id, EventType.STATUS, payload)
        except Exception as error:
            logger.warning(
                "Reconciler could not publish the status of job %s: %s", job.job_id, error
            )
    return sent


def remove_expired_work_folders(resources: WorkerResources) -> list[str]:
    """Removes work folders of finished jobs kept longer than `sandbox_keep_work_h` hours.

    Returns:
        The ids of the jobs whose work folder was removed.
    """
    keep_s = resources.settings.sandbox_keep_work_h * 3600
    jobs_root = resources.artifacts.job_dir("x").parent
    if keep_s <= 0 or not jobs_root.is_dir():
        return []
    cutoff = time.time() - keep_s
    candidates: dict[str, list] = {}
    for job_dir in jobs_root.iterdir():
        for work_dir in job_dir.glob(f"{runner_protocol.WORK_FOLDER}-*"):
            with contextlib.suppress(OSError):
                if work_dir.lstat().st_mtime < cutoff:
                    candidates.setdefault(job_dir.name, []).append(work_dir)
    if not candidates:
        return []
    with session_scope(resources.sessions) as session:
        finished = set(
            session.scalars(
                select(Job.id).where(
                    Job.id.in_(list(candidates)), Job.status.in_(list(JobStatus.TERMINAL))
                )
            )
        )
    for job_id in finished:
        for work_dir in candidates[job_id]:
            shutil.rmtree(work_dir, ignore_errors=True)
    return sorted(finished)
