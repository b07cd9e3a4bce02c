"""Job state changes shared by the API and the workers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from server.store.db import Job, JobStatus, utcnow


def update_job_if(session: Session, job_id: str, statuses: Iterable[str], **values: Any) -> bool:
    """Updates a job only if its status is one of `statuses`, atomically (one UPDATE statement).

    Two processes racing for the same transition (e.g. two deliveries of one message claiming a
    queued job) cannot both win: the database applies the condition and the change together.
    The caller commits.

    Args:
        session: the session to run the statement in.
        job_id: the job's id.
        statuses: the statuses the job must be in for the update to happen.
        **values: column values to set, e.g. `status=JobStatus.STARTING, lease_owner="w1"`.

    Returns:
        True if the job was updated, False if it was in another status (or does not exist).
    """
    statuses = list(statuses)
    unknown = [status for status in statuses if status not in JobStatus.ALL]
    if unknown:
        raise ValueError(f"Expected job statuses from {JobStatus.ALL}. Received: {unknown}")
    values.setdefault("updated_at", utcnow())
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def queue_for_resources(resources: dict[str, Any]) -> str:
    """Returns the Celery queue of a job: `gpu` when it asks for GPUs, `cpu` otherwise."""
    return "gpu" if int(resources.get("gpus") or 0) > 0 else "cpu"
