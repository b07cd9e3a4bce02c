"""Every change of a job's state: creation, claim, lease, metrics, checkpoints, the end, recovery.

The API and the workers change jobs only through these functions, so the rules live in one
place:

- A transition happens in one conditional UPDATE (`update_job_if`, `claim_job`): of two racing
  processes only one changes the row.
- A worker writes only under a `Lease`, its fencing token: the lease owner *and* the attempt
  number are part of the WHERE clause of every write (`update_owned_job`), and a metric or
  checkpoint row is inserted in the same transaction as that check. A worker that lost its lease
  (frozen past it, cut off from the database) can therefore write nothing, whatever it believes.
- Recovery (`expire_leases`, `take_unsent_jobs`) is for the reconciler: jobs whose worker stopped
  renewing its lease go back to the queue, attempts that will never end on their own are closed.

Callers own the transaction (they commit); nothing here publishes events or enqueues messages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from server.store.db import Attempt, Checkpoint, Job, JobStatus, Metric, utcnow


@dataclasses.dataclass(frozen=True)
class Lease:
    """What a worker holds on a running job: its fencing token.

    Attributes:
        job_id: the job.
        owner: the worker's unique name for this attempt (host, pid, random suffix).
        attempt: the attempt number the claim gave (`jobs.attempt_count` at the claim).
    """

    job_id: str
    owner: str
    attempt: int


def update_job_if(session: Session, job_id: str, statuses: Iterable[str], **values: Any) -> bool:
    """Updates a job only if its status is one of `statuses`, atomically (one UPDATE statement).

    Two processes racing for the same transition (e.g. a cancel and a worker's claim) cannot both
    win: the database applies the condition and the change together. The caller commits.

    Args:
        session: the session to run the statement in.
        job_id: the job's id.
        statuses: the statuses the job must be in for the update to happen.
        **values: column values to set, e.g. `status=JobStatus.CANCELLED`.

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


# --- the API's transitions ---------------------------------------------------------------------


def mark_enqueued(session: Session, job_id: str, sent: bool, message: str | None = None) -> None:
    """Records whether a queued job's message reached the broker.

    An empty `enqueued_at` marks a job as never sent: the reconciler sends it once the broker
    answers again.
    """
    values: dict[str, Any] = {"enqueued_at": utcnow() if sent else None}
    if message is not None:
        values["message"] = message
    update_job_if(session, job_id, [JobStatus.QUEUED], **values)


def request_cancel(session: Session, job_id: str) -> bool:
    """Cancels a queued job at once, or asks the worker of a starting/running one to stop.

    Returns:
        Whether the job changed (False for a job that already finished or is cancelling).
    """
    return update_job_if(
        session,
        job_id,
        [JobStatus.QUEUED],
        status=JobStatus.CANCELLED,
        reason="cancelled",
        message="Cancelled before it started.",
        cancel_requested=True,
        finished_at=utcnow(),
    ) or update_job_if(
        session,
        job_id,
        [JobStatus.STARTING, JobStatus.RUNNING],
        status=JobStatus.CANCELLING,
        reason="cancel_requested",
        message="Cancellation requested; stopping the training process.",
        cancel_requested=True,
    )


# --- a worker's transitions, all fenced by its lease -------------------------------------------


def claim_job(session: Session, job_id: str, owner: str, lease_seconds: float) -> Lease | None:
    """Claims a job for `owner`: queued, or active with an expired lease -> `starting`.

    One UPDATE with the condition in its WHERE clause: of two racing deliveries only one
    changes the row. The claim counts one more attempt; the new attempt number is the fencing
    token of every later write.

    Returns:
        The lease, or None when the job is not claimable (held by a live lease, finished, gone).
    """
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.status == JobStatus.QUEUED,
                and_(
                    Job.status.in_([JobStatus.STARTING, JobStatus.RUNNING]),
                    Job.lease_expires_at < now,
                ),
            ),
        )
        .values(
            status=JobStatus.STARTING,
            reason="claimed",
            message=f"Claimed by worker {owner}.",
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempt_count=Job.attempt_count + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    attempt = session.scalar(select(Job.attempt_count).where(Job.id == job_id))
    return Lease(job_id=job_id, owner=owner, attempt=int(attempt))


def update_owned_job(
    session: Session, lease: Lease, statuses: Iterable[str] | None = None, **values: Any
) -> bool:
    """Updates a job only while `lease` holds it (and, if given, it is in `statuses`).

    The UPDATE also locks the row until the transaction ends, so what the caller writes after
    it in the same transaction (a metric, a checkpoint row) is written under the lease.

    Returns:
        Whether the row changed.
    """
    values.setdefault("updated_at", utcnow())
    conditions = [
        Job.id == lease.job_id,
        Job.lease_owner == lease.owner,
        Job.attempt_count == lease.attempt,
    ]
    if statuses is not None:
        conditions.append(Job.status.in_(list(statuses)))
    result = session.execute(
        update(Job).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def open_attempt(session: Session, lease: Lease) -> None:
    """Records the attempt the claim started, closing earlier ones still open.

    A claim may take a job straight from a worker that died (its lease expired before the
    reconciler saw it); that worker's attempt never closes itself.
    """
    session.execute(
        update(Attempt)
        .where(
            Attempt.job_id == lease.job_id,
            Attempt.number < lease.attempt,
            Attempt.finished_at.is_(None),
        )
        .values(
            finished_at=utcnow(),
            outcome="lease_expired",
            message=f"Its worker stopped renewing the lease; attempt {lease.attempt} took over.",
        )
        .execution_options(synchronize_session=False)
    )
    session.add(Attempt(job_id=lease.job_id, number=lease.attempt, worker=lease.owner))


def close_attempt(session: Session, lease: Lease, outcome: str, message: str) -> None:
    """Ends the lease's attempt row with its outcome (idempotent: a closed row stays)."""
    session.execute(
        update(Attempt)
        .where(
            Attempt.job_id == lease.job_id,
            Attempt.number == lease.attempt,
            Attempt.finished_at.is_(None),
        )
        .values(finished_at=utcnow(), outcome=outcome, message=message)
        .execution_options(synchronize_session=False)
    )


def forget_metrics_after(session: Session, job_id: str, epoch: int) -> None:
    """Deletes metrics past `epoch`: a lost attempt's, which the resuming one reports again."""
    session.execute(delete(Metric).where(Metric.job_id == job_id, Metric.epoch > epoch))


def latest_checkpoints(session: Session, job_id: str) -> list[Checkpoint]:
    """The job's checkpoint rows, newest epoch first."""
    return list(
        session.scalars(
            select(Checkpoint).where(Checkpoint.job_id == job_id).order_by(Checkpoint.epoch.desc())
        )
    )


def mark_running(session: Session, lease: Lease, epochs: int, message: str) -> bool:
    """`starting` -> `running` once the runner started."""
    started_at = session.scalar(select(Job.started_at).where(Job.id == lease.job_id))
    return update_owned_job(
        session,
        lease,
        statuses=[JobStatus.STARTING],
        status=JobStatus.RUNNING,
        reason="runner_started",
        message=message,
        started_at=started_at or utcnow(),
        epochs=epochs,
    )


def renew_lease(session: Session, lease: Lease, lease_seconds: float) -> bool:
    """Extends the lease; False when it was lost (another attempt holds the job)."""
    return update_owned_job(
        session, lease, lease_expires_at=utcnow() + timedelta(seconds=lease_seconds)
    )


def record_metric(
    session: Session, lease: Lease, epoch: int, step: int | None, values: dict[str, Any]
) -> bool:
    """Stores one epoch's (`step` None) or one step's metrics, under the lease.

    Returns:
        False when the lease was lost: nothing was written.
    """
    latest = {"epoch": epoch, "metrics": values} if step is None else {}
    if not update_owned_job(session, lease, **latest):
        return False
    session.add(Metric(job_id=lease.job_id, epoch=epoch, step=step, values=values))
    return True


def record_checkpoint(
    session: Session, lease: Lease, epoch: int, path: str, size_bytes: int
) -> bool:
    """Stores (or replaces) the row of epoch `epoch`'s checkpoint, under the lease.

    The row keeps the epoch's metrics, so `?checkpoint=best` needs no join.

    Returns:
        False when the lease was lost: nothing was written.
    """
    if not update_owned_job(session, lease):
        return False
    row = session.scalar(
        select(Checkpoint).where(Checkpoint.job_id == lease.job_id, Checkpoint.epoch == epoch)
    )
    metrics = session.scalar(
        select(Metric.values)
        .where(Metric.job_id == lease.job_id, Metric.epoch == epoch, Metric.step.is_(None))
        .order_by(Metric.id.desc())
        .limit(1)
    )
    if row is None:
        row = Checkpoint(job_id=lease.job_id, epoch=epoch)
        session.add(row)
    row.path = path
    row.size_bytes = size_bytes
    row.metrics = metrics
    row.created_at = utcnow()
    return True


def requeue_owned(session: Session, lease: Lease, reason: str, message: str) -> bool:
    """Gives the job back to the queue for a new attempt (it resumes from its checkpoint).

    `enqueued_at` is left empty: the job counts as never sent until the worker (or else the
    reconciler) has sent its message.
    """
    return update_owned_job(
        session,
        lease,
        status=JobStatus.QUEUED,
        reason=reason,
        message=message,
        lease_owner=None,
        lease_expires_at=None,
        enqueued_at=None,
    )


def finish_owned(session: Session, lease: Lease, status: str, reason: str, message: str) -> bool:
    """Writes a final status, under the lease; the lease ends with it."""
    if status not in JobStatus.TERMINAL:
        raise ValueError(f"Expected a final status from {sorted(JobStatus.TERMINAL)}: {status!r}")
    return update_owned_job(
        session,
        lease,
        status=status,
        reason=reason,
        message=message,
        finished_at=utcnow(),
        lease_owner=None,
        lease_expires_at=None,
    )


def job_queue(session: Session, job_id: str) -> str:
    """The Celery queue a job is sent to."""
    return session.scalar(select(Job.queue).where(Job.id == job_id)) or "cpu"


# --- recovery (the reconciler) -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Recovered:
    """A job the reconciler changed: requeued (`queue` set) or cancelled."""

    job_id: str
    queue: str | None
    values: dict[str, Any]


def expire_leases(session: Session, now: datetime) -> list[Recovered]:
    """Takes back jobs whose worker stopped renewing the lease.

    `starting`/`running` -> `queued` (the next attempt resumes from the latest checkpoint);
    `cancelling` -> `cancelled`. Their open attempts are closed with `lease_expired`: their
    worker never will.
    """
    expired = session.scalars(
        select(Job).where(
            Job.status.in_([JobStatus.STARTING, JobStatus.RUNNING, JobStatus.CANCELLING]),
            or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < now),
        )
    ).all()
    recovered = []
    for job in expired:
        if job.status == JobStatus.CANCELLING:
            values = {
                "status": JobStatus.CANCELLED,
                "reason": "cancel_requested",
                "message": "Cancelled on request (its worker had stopped).",
                "finished_at": now,
            }
        else:
            values = {
                "status": JobStatus.QUEUED,
                "reason": "lease_expired",
                "message": "Its worker stopped renewing the lease; queued again to resume "
                "from the latest checkpoint.",
                "enqueued_at": now,
            }
        changed = session.execute(
            update(Job)
            .where(
                Job.id == job.id,
                Job.status == job.status,
                or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < now),
            )
            .values(lease_owner=None, lease_expires_at=None, updated_at=now, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            continue
        requeued = values["status"] == JobStatus.QUEUED
        recovered.append(Recovered(job.id, job.queue if requeued else None, values))
        session.execute(
            update(Attempt)
            .where(Attempt.job_id == job.id, Attempt.finished_at.is_(None))
            .values(
                finished_at=now,
                outcome="lease_expired",
                message="Its worker stopped renewing the lease.",
            )
            .execution_options(synchronize_session=False)
        )
    return recovered


def close_dead_attempts(session: Session, now: datetime) -> int:
    """Closes attempts left open by a worker that died: of a finished job, or superseded.

    Returns:
        How many attempts it closed.
    """
    finished_jobs = select(Job.id).where(Job.status.in_(list(JobStatus.TERMINAL)))
    superseded = select(Job.attempt_count).where(Job.id == Attempt.job_id).scalar_subquery()
    closed = session.execute(
        update(Attempt)
        .where(
            Attempt.finished_at.is_(None),
            or_(Attempt.job_id.in_(finished_jobs), Attempt.number < superseded),
        )
        .values(
            finished_at=now,
            outcome="lease_expired",
            message="Its worker stopped before closing it; the job went on without it.",
        )
        .execution_options(synchronize_session=False)
    )
    return closed.rowcount


def take_unsent_jobs(session: Session, now: datetime, queued_timeout_s: float) -> list[Recovered]:
    """Queued jobs to send (again): never sent, or sent long ago and still unclaimed.

    Each is marked sent now; the caller marks it unsent again if sending fails.
    """
    stale_before = now - timedelta(seconds=queued_timeout_s)
    stale = session.scalars(
        select(Job).where(
            Job.status == JobStatus.QUEUED,
            or_(
                Job.enqueued_at.is_(None),
                and_(Job.enqueued_at < stale_before, Job.created_at < stale_before),
            ),
        )
    ).all()
    taken = []
    for job in stale:
        if update_job_if(session, job.id, [JobStatus.QUEUED], enqueued_at=now, updated_at=now):
            taken.append(Recovered(job.id, job.queue, {}))
    return taken
