"""Which queued job a free worker slot takes: fair between tenants, by priority within one.

A Celery message only wakes a worker: the worker then claims the job this module picks, whatever
job the message named. Messages are one per queued job, so every job still gets a claim, in an
order the broker cannot spoil (a tenant's 100 trials sent first do not go first):

- a tenant at its running-job limit (`Tenant.max_running_jobs`, else
  HORN_TENANT_MAX_RUNNING_JOBS; 0 is none) gets nothing until one of its jobs ends;
- of the others, the tenant with the fewest running jobs goes first, ties to the one served
  least recently (its latest claim is oldest): round robin between tenants with queued work;
- within a tenant, the highest `priority`, then the oldest job.

`claim_order` is the rule as a pure function; `next_jobs` feeds it from the database and
`waiting_of` uses it to tell a queued job's position. The limit is enforced at the claim itself
(`claim_within_limit`), under a lock on the tenant's row, so two workers claiming at once
cannot both take a tenant's last slot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.store.db import Attempt, Job, JobStatus, Tenant, Worker, utcnow
from server.store.jobs import Lease, claim_job
from server.store.workers import WORKER_GONE_AFTER_S

RUNNING_STATUSES = (JobStatus.STARTING, JobStatus.RUNNING, JobStatus.CANCELLING)
NEVER = datetime.min.replace(tzinfo=timezone.utc)
# Queued jobs read to compute one job's position; further back it says "more than this".
POSITION_HORIZON = 5000


@dataclasses.dataclass(frozen=True)
class QueuedJob:
    """What the order needs of a queued job."""

    id: str
    tenant_id: str
    priority: int
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class Waiting:
    """Why a queued job waits: `reason` (`queued`, `tenant_limit`, `no_worker`), its 1-based
    `position` among the jobs a free slot of its queue takes next (None when it cannot start
    now), and a sentence saying so."""

    reason: str
    position: int | None
    message: str


def claim_order(
    queued: Sequence[QueuedJob],
    running: dict[str, int],
    limits: dict[str, int],
    last_served: dict[str, datetime],
) -> list[QueuedJob]:
    """The order in which free slots would take `queued`, if no job ended meanwhile.

    Args:
        queued: the queued jobs of one queue.
        running: running jobs per tenant (missing: none).
        limits: running-job limit per tenant (missing or 0: none).
        last_served: when each tenant's latest job was claimed (missing: never).

    Returns:
        The jobs in claim order; the jobs of a tenant at its limit are left out.
    """
    per_tenant: dict[str, list[QueuedJob]] = {}
    for job in sorted(queued, key=lambda job: (-job.priority, job.created_at, job.id)):
        per_tenant.setdefault(job.tenant_id, []).append(job)
    running = {tenant: running.get(tenant, 0) for tenant in per_tenant}
    served = {tenant: (last_served.get(tenant) or NEVER, 0) for tenant in per_tenant}
    order: list[QueuedJob] = []
    for turn in range(1, len(queued) + 1):
        open_tenants = [
            tenant
            for tenant, jobs in per_tenant.items()
            if jobs and not 0 < limits.get(tenant, 0) <= running[tenant]
        ]
        if not open_tenants:
            break
        tenant = min(
            open_tenants,
            key=lambda tenant: (running[tenant], served[tenant], per_tenant[tenant][0].created_at),
        )
        order.append(per_tenant[tenant].pop(0))
        running[tenant] += 1
        served[tenant] = (datetime.max.replace(tzinfo=timezone.utc), turn)
    return order


def tenant_limit(session: Session, tenant_id: str, default_limit: int) -> int:
    """The tenant's running-job limit: its override, else the setting (0: none)."""
    override = session.scalar(select(Tenant.max_running_jobs).where(Tenant.id == tenant_id))
    return default_limit if override is None else override


def next_jobs(
    session: Session, queue: str, default_limit: int, horizon: int = POSITION_HORIZON
) -> list[QueuedJob]:
    """The queued jobs of `queue` in claim order (at most `horizon` of them are considered)."""
    queued = [
        QueuedJob(*row)
        for row in session.execute(
            select(Job.id, Job.tenant_id, Job.priority, Job.created_at)
            .where(Job.queue == queue, Job.status == JobStatus.QUEUED)
            .order_by(Job.priority.desc(), Job.created_at, Job.id)
            .limit(horizon)
        )
    ]
    tenants = sorted({job.tenant_id for job in queued})
    if not tenants:
        return []
    running = dict(
        session.execute(
            select(Job.tenant_id, func.count())
            .where(Job.tenant_id.in_(tenants), Job.status.in_(RUNNING_STATUSES))
            .group_by(Job.tenant_id)
        ).all()
    )
    limits = {
        tenant: default_limit if override is None else override
        for tenant, override in session.execute(
            select(Tenant.id, Tenant.max_running_jobs).where(Tenant.id.in_(tenants))
        )
    }
    last_served = dict(
        session.execute(
            select(Job.tenant_id, func.max(Attempt.started_at))
            .join(Attempt, Attempt.job_id == Job.id)
            .where(Job.tenant_id.in_(tenants))
            .group_by(Job.tenant_id)
        ).all()
    )
    return claim_order(queued, running, limits, last_served)


def running_jobs(session: Session, tenant_id: str) -> int:
    """How many jobs the tenant runs (starting, running or cancelling)."""
    return session.scalar(
        select(func.count()).where(Job.tenant_id == tenant_id, Job.status.in_(RUNNING_STATUSES))
    )


def claim_within_limit(
    session: Session, job_id: str, owner: str, lease_seconds: float, default_limit: int
) -> Lease | None:
    """`claim_job`, unless the job is queued and its tenant already runs its limit of jobs.

    The tenant's row is written first (a no-op UPDATE): on PostgreSQL that locks the row, on
    SQLite it takes the database's write lock, so concurrent claims of one tenant count its
    running jobs one after the other. A job with an expired lease (already counted as running)
    is taken back whatever the limit.
    """
    row = session.execute(select(Job.tenant_id, Job.status).where(Job.id == job_id)).one_or_none()
    if row is None:
        return None
    limit = tenant_limit(session, row.tenant_id, default_limit)
    if limit > 0 and row.status == JobStatus.QUEUED:
        session.execute(
            update(Tenant)
            .where(Tenant.id == row.tenant_id)
            .values(max_running_jobs=Tenant.max_running_jobs)
            .execution_options(synchronize_session=False)
        )
        if running_jobs(session, row.tenant_id) >= limit:
            return None
    return claim_job(session, job_id, owner, lease_seconds)


def waiting_of(session: Session, job: Job, default_limit: int) -> Waiting | None:
    """Why a queued job waits; None for a job that is not queued."""
    if job.status != JobStatus.QUEUED:
        return None
    if not _has_live_worker(session, job.queue):
        return Waiting(
            "no_worker",
            None,
            f"No live worker has registered for the {job.queue!r} queue yet; it starts once one "
            f"does (a worker registers within seconds of starting: `horn worker --queues "
            f"{job.queue}`).",
        )
    limit = tenant_limit(session, job.tenant_id, default_limit)
    if limit > 0:
        running = running_jobs(session, job.tenant_id)
        if running >= limit:
            return Waiting(
                "tenant_limit",
                None,
                f"Your tenant runs {running} job{'s' if running != 1 else ''}, its limit "
                "(HORN_TENANT_MAX_RUNNING_JOBS or `horn tenants limit`); it starts when "
                f"{'one of them' if running != 1 else 'it'} ends.",
            )
    order = [queued.id for queued in next_jobs(session, job.queue, default_limit)]
    if job.id not in order:
        return Waiting(
            "queued",
            None,
            f"More than {POSITION_HORIZON} jobs are ahead of it on the {job.queue!r} queue.",
        )
    position = order.index(job.id) + 1
    ahead = "next" if position == 1 else f"number {position}"
    return Waiting(
        "queued",
        position,
        f"Waiting for a free slot on the {job.queue!r} queue: it is {ahead} in line "
        "(fair between tenants, by priority within one).",
    )


def _has_live_worker(session: Session, queue: str) -> bool:
    cutoff = utcnow().timestamp() - WORKER_GONE_AFTER_S
    return any(
        queue in (queues or []) and seen_at.timestamp() >= cutoff
        for queues, seen_at in session.execute(select(Worker.queues, Worker.seen_at))
    )
