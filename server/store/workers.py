"""Live workers: each worker process registers its queues and GPUs and refreshes them.

The API reads them to refuse at once a job that no live worker could ever run (more GPUs than
any has), instead of leaving it queued forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server.store.db import Worker, utcnow

# A worker refreshes its row on every reconciler pass; one unseen this long is gone.
WORKER_GONE_AFTER_S = 120.0


def register_worker(
    session: Session, worker_id: str, hostname: str, queues: list[str], gpus: int
) -> None:
    """Creates or refreshes a worker's row (the caller commits)."""
    now = utcnow()
    changed = session.execute(
        update(Worker)
        .where(Worker.id == worker_id)
        .values(hostname=hostname, queues=list(queues), gpus=gpus, seen_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        session.add(
            Worker(
                id=worker_id,
                hostname=hostname,
                queues=list(queues),
                gpus=gpus,
                started_at=now,
                seen_at=now,
            )
        )


def forget_worker(session: Session, worker_id: str) -> None:
    """Removes a worker's row (it is stopping)."""
    session.execute(delete(Worker).where(Worker.id == worker_id))


def forget_gone_workers(session: Session, now: datetime) -> int:
    """Removes rows of workers unseen for `WORKER_GONE_AFTER_S`; returns how many."""
    cutoff = now - timedelta(seconds=WORKER_GONE_AFTER_S)
    return session.execute(delete(Worker).where(Worker.seen_at < cutoff)).rowcount


def most_gpus_of_live_workers(session: Session, now: datetime | None = None) -> int | None:
    """The most GPUs one live worker of the `gpu` queue has, or None when there is none."""
    cutoff = (now or utcnow()) - timedelta(seconds=WORKER_GONE_AFTER_S)
    rows = session.execute(select(Worker.queues, Worker.gpus).where(Worker.seen_at >= cutoff)).all()
    gpus = [count for queues, count in rows if "gpu" in queues]
    return max(gpus) if gpus else None
