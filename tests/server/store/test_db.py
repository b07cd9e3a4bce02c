"""The database layer on SQLite and PostgreSQL: migrations, CRUD, constraints, atomic updates."""

from __future__ import annotations

import threading
from datetime import timezone

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from server.store.db import (
    Attempt,
    Base,
    Checkpoint,
    Dataset,
    Job,
    JobStatus,
    Metric,
    ModelSource,
    Tenant,
    make_engine,
    session_factory,
    session_scope,
    utcnow,
)
from server.store.jobs import claim_job, close_dead_attempts, open_attempt, update_job_if
from server.store.keys import authenticate, create_api_key, hash_api_key, revoke_api_key
from server.store.migrate import upgrade_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A migrated database URL: a fresh SQLite file, or the test PostgreSQL schema emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'horn.db'}"
        upgrade_database(url)
        yield url
        return
    yield request.getfixturevalue("postgres_db")


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


def _add_job(session, tenant_name="acme", **values):
    tenant = Tenant(name=tenant_name)
    session.add(tenant)
    session.flush()
    model = ModelSource(
        tenant_id=tenant.id, name="m", filename="m.py", sha256="0" * 64, size_bytes=1, path="m.py"
    )
    dataset = Dataset(
        tenant_id=tenant.id,
        name="d",
        filename="d.npz",
        format="npz",
        sha256="1" * 64,
        size_bytes=2,
        summary={"rows": 3},
        path="d.npz",
    )
    session.add_all([model, dataset])
    session.flush()
    job = Job(
        tenant_id=tenant.id, model_id=model.id, dataset_id=dataset.id, max_runtime_s=60, **values
    )
    session.add(job)
    session.flush()
    return job


def test_migrations_match_models_and_are_idempotent(db_url):
    upgrade_database(db_url)  # a second upgrade is a no-op
    engine = make_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == "0003"
        assert compare_metadata(context, Base.metadata) == []
        tables = set(sqlalchemy.inspect(connection).get_table_names())
    engine.dispose()
    assert {"tenants", "api_keys", "datasets", "model_sources", "jobs", "attempts"} <= tables
    assert {"checkpoints", "metrics", "events", "workers"} <= tables


def test_crud_round_trip_keeps_utc_datetimes_and_json(sessions):
    with session_scope(sessions) as session:
        job = _add_job(
            session, hyperparameters={"units": 8}, training={"epochs": 2}, metrics={"loss": 0.5}
        )
        job_id = job.id
        session.add(Attempt(job_id=job_id, number=1, worker="w1"))
        session.add(Checkpoint(job_id=job_id, epoch=1, path="c.keras", size_bytes=10))
        session.add(Metric(job_id=job_id, epoch=1, values={"loss": float("nan"), "acc": 0.5}))
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job.id.startswith("job_")
        assert job.status == JobStatus.QUEUED
        assert job.hyperparameters == {"units": 8}
        assert job.created_at.tzinfo is not None
        assert job.created_at.utcoffset() == timezone.utc.utcoffset(None)
        metric = session.scalars(sqlalchemy.select(Metric)).one()
        # NaN is stored as a string: strict JSON (PostgreSQL) has no NaN.
        assert metric.values == {"loss": "NaN", "acc": 0.5}
        assert session.scalars(sqlalchemy.select(Checkpoint.epoch)).all() == [1]
        assert session.scalars(sqlalchemy.select(Attempt.worker)).all() == ["w1"]


def test_idempotency_key_is_unique_per_tenant(sessions):
    with session_scope(sessions) as session:
        job = _add_job(session, idempotency_key="k1")
        tenant_id, model_id, dataset_id = job.tenant_id, job.model_id, job.dataset_id
        other = Tenant(name="other")
        session.add(other)
        session.flush()
        # The same key in another tenant, and several jobs without a key, are fine.
        session.add(Job(tenant_id=other.id, max_runtime_s=1, idempotency_key="k1"))
        session.add(Job(tenant_id=tenant_id, max_runtime_s=1))
        session.add(Job(tenant_id=tenant_id, max_runtime_s=1))
    with pytest.raises(IntegrityError), session_scope(sessions) as session:
        session.add(
            Job(
                tenant_id=tenant_id,
                model_id=model_id,
                dataset_id=dataset_id,
                max_runtime_s=1,
                idempotency_key="k1",
            )
        )
    with sessions() as session:
        assert session.scalar(sqlalchemy.select(sqlalchemy.func.count(Job.id))) == 4


def test_conditional_update_lets_exactly_one_claimer_win(sessions):
    with session_scope(sessions) as session:
        job_id = _add_job(session).id
    winners = []
    barrier = threading.Barrier(6)

    def claim(worker: str) -> None:
        with sessions() as session:
            barrier.wait()
            if update_job_if(
                session, job_id, [JobStatus.QUEUED], status=JobStatus.STARTING, lease_owner=worker
            ):
                winners.append(worker)
            session.commit()

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    with sessions() as session:
        job = session.get(Job, job_id)
        assert (job.status, job.lease_owner) == (JobStatus.STARTING, winners[0])
        assert not update_job_if(session, job_id, [JobStatus.QUEUED], status=JobStatus.RUNNING)
        with pytest.raises(ValueError, match="Received: \\['bogus'\\]"):
            update_job_if(session, job_id, ["bogus"], status=JobStatus.RUNNING)


def test_a_dead_workers_attempt_is_closed_when_another_takes_over(sessions):
    with session_scope(sessions) as session:
        job_id = _add_job(session).id
    with session_scope(sessions) as session:
        first = claim_job(session, job_id, "worker-a", lease_seconds=-1)  # dies at once
        open_attempt(session, first)
    with session_scope(sessions) as session:
        second = claim_job(session, job_id, "worker-b", lease_seconds=30)
        assert second is not None and second.attempt == 2
        open_attempt(session, second)
    with sessions() as session:
        attempts = session.scalars(
            sqlalchemy.select(Attempt).where(Attempt.job_id == job_id).order_by(Attempt.number)
        ).all()
        assert [(a.number, a.outcome, a.finished_at is None) for a in attempts] == [
            (1, "lease_expired", False),
            (2, None, True),
        ]


def test_the_reconciler_closes_attempts_of_finished_jobs(sessions):
    with session_scope(sessions) as session:
        job = _add_job(session, status=JobStatus.SUCCEEDED, attempt_count=2)
        session.add_all(
            [Attempt(job_id=job.id, number=1), Attempt(job_id=job.id, number=2, outcome="x")]
        )
        open_job = _add_job(session, "other", status=JobStatus.RUNNING, attempt_count=1)
        session.add(Attempt(job_id=open_job.id, number=1))
    with session_scope(sessions) as session:
        assert close_dead_attempts(session, utcnow()) == 2
        assert close_dead_attempts(session, utcnow()) == 0
    with sessions() as session:
        still_open = session.scalars(
            sqlalchemy.select(Attempt.job_id).where(Attempt.finished_at.is_(None))
        ).all()
        assert still_open == [open_job.id]


def test_deleting_a_dataset_keeps_its_finished_jobs(sessions):
    with session_scope(sessions) as session:
        job = _add_job(session, status=JobStatus.SUCCEEDED)
        job_id, dataset_id = job.id, job.dataset_id
    with session_scope(sessions) as session:
        session.delete(session.get(Dataset, dataset_id))
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.dataset_id is None


def test_api_keys_are_hashed_and_revocable(sessions):
    with session_scope(sessions) as session:
        key = create_api_key(session, "acme")
    assert key.startswith("horn_") and len(key) > 30
    with sessions() as session:
        stored = session.execute(sqlalchemy.text("SELECT key_hash, prefix FROM api_keys")).one()
        assert stored.key_hash == hash_api_key(key) and key not in stored
        assert authenticate(session, key).name == "acme"
        assert authenticate(session, key + "x") is None
        assert revoke_api_key(session, key)
        session.commit()
        assert authenticate(session, key) is None
