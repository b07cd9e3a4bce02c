"""Claiming jobs with a lease, and the reconciler, on a real SQLite database."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from datetime import timedelta

import pytest

from server.config import Settings
from server.store.artifacts import ArtifactStore
from server.store.db import (
    Attempt,
    Checkpoint,
    Job,
    JobStatus,
    Metric,
    Tenant,
    make_engine,
    session_factory,
    session_scope,
)
from server.store.db import utcnow as now
from server.store.events import DatabaseEventBus
from server.store.jobs import claim_job
from server.store.migrate import upgrade_database
from server.workers.reconciler import reconcile_jobs
from server.workers.resources import WorkerResources
from server.workers.supervisor import JobSupervisor


@pytest.fixture
def resources(tmp_path) -> WorkerResources:
    settings = Settings(data_dir=tmp_path, lease_seconds=30, queued_timeout_s=60)
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    yield WorkerResources(
        settings=settings,
        sessions=sessions,
        bus=DatabaseEventBus(sessions),
        artifacts=ArtifactStore(tmp_path),
    )
    engine.dispose()


def add_job(resources: WorkerResources, **values) -> str:
    with session_scope(resources.sessions) as session:
        tenant = session.query(Tenant).filter_by(name="t").one_or_none()
        if tenant is None:
            tenant = Tenant(name="t")
            session.add(tenant)
            session.flush()
        job = Job(tenant_id=tenant.id, max_runtime_s=60, epochs=1, **values)
        session.add(job)
    return job.id


def get_job(resources: WorkerResources, job_id: str) -> Job:
    with session_scope(resources.sessions) as session:
        return session.get(Job, job_id)


def test_claim_is_exclusive_while_the_lease_lives(resources):
    job_id = add_job(resources)
    with session_scope(resources.sessions) as session:
        assert claim_job(session, job_id, "worker-a", 30)
    with session_scope(resources.sessions) as session:
        assert not claim_job(session, job_id, "worker-b", 30)
    job = get_job(resources, job_id)
    assert (job.status, job.lease_owner, job.attempt_count) == (JobStatus.STARTING, "worker-a", 1)
    with session_scope(resources.sessions) as session:
        session.get(Job, job_id).lease_expires_at = now() - timedelta(seconds=1)
    with session_scope(resources.sessions) as session:
        assert claim_job(session, job_id, "worker-b", 30)
    job = get_job(resources, job_id)
    assert (job.lease_owner, job.attempt_count) == ("worker-b", 2)


def test_racing_claims_have_one_winner(resources):
    job_id = add_job(resources)
    wins = []
    barrier = threading.Barrier(6)

    def claim(owner: str) -> None:
        barrier.wait()
        with session_scope(resources.sessions) as session:
            if claim_job(session, job_id, owner, 30):
                wins.append(owner)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
    assert get_job(resources, job_id).lease_owner == wins[0]


def test_second_delivery_does_nothing_while_leased(resources):
    job_id = add_job(
        resources,
        status=JobStatus.RUNNING,
        lease_owner="other-worker",
        lease_expires_at=now() + timedelta(seconds=30),
        attempt_count=1,
    )
    assert JobSupervisor(resources, job_id).run() == "not_claimed"
    job = get_job(resources, job_id)
    assert (job.status, job.lease_owner, job.attempt_count) == (
        JobStatus.RUNNING,
        "other-worker",
        1,
    )


def test_cancelled_job_is_not_run(resources):
    job_id = add_job(resources, status=JobStatus.CANCELLED)
    assert JobSupervisor(resources, job_id).run() == "not_claimed"


def test_claimed_job_without_its_inputs_fails_with_a_message(resources):
    job_id = add_job(resources)
    assert JobSupervisor(resources, job_id).run() == JobStatus.FAILED
    job = get_job(resources, job_id)
    assert job.reason == "missing_input"
    assert job.message == "The job's dataset was deleted before it could run."
    statuses = [e.data["status"] for e in resources.bus.read(job_id) if e.type == "status"]
    assert statuses == [JobStatus.STARTING, JobStatus.FAILED]


def test_reconciler_requeues_lost_jobs_and_finishes_stale_cancels(resources):
    past = now() - timedelta(seconds=5)
    lost = add_job(resources, status=JobStatus.RUNNING, lease_owner="dead", lease_expires_at=past)
    cancelling = add_job(
        resources, status=JobStatus.CANCELLING, lease_owner="dead", lease_expires_at=past
    )
    alive = add_job(
        resources,
        status=JobStatus.RUNNING,
        lease_owner="alive",
        lease_expires_at=now() + timedelta(seconds=30),
    )
    forgotten = add_job(
        resources,
        created_at=now() - timedelta(seconds=600),
        enqueued_at=now() - timedelta(seconds=600),
    )
    fresh = add_job(resources, enqueued_at=now())
    enqueued = []
    ids = reconcile_jobs(resources, lambda job_id, queue: enqueued.append((job_id, queue)))
    assert sorted(ids) == sorted([lost, forgotten])
    assert sorted(enqueued) == sorted([(lost, "cpu"), (forgotten, "cpu")])
    requeued = get_job(resources, lost)
    assert (requeued.status, requeued.reason, requeued.lease_owner) == (
        JobStatus.QUEUED,
        "lease_expired",
        None,
    )
    assert get_job(resources, cancelling).status == JobStatus.CANCELLED
    assert get_job(resources, alive).status == JobStatus.RUNNING
    assert get_job(resources, fresh).status == JobStatus.QUEUED
    (event,) = resources.bus.read(lost)
    assert event.data["status"] == JobStatus.QUEUED
    # A second pass right away finds nothing new to do.
    assert reconcile_jobs(resources, lambda *_: None) == []


class DownEventBus:
    """An event bus whose server is down: every publish raises, as Redis's client does."""

    def publish(self, *_: object, **__: object) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_reconciler_enqueues_even_when_events_cannot_be_published(resources):
    # Issue 12, item 4: a failed status publish aborted the enqueue; the job stayed queued.
    down = dataclasses.replace(resources, bus=DownEventBus())
    lost = add_job(
        resources,
        status=JobStatus.RUNNING,
        lease_owner="dead",
        lease_expires_at=now() - timedelta(seconds=5),
        attempt_count=1,
    )
    with session_scope(resources.sessions) as session:
        session.add(Attempt(job_id=lost, number=1, worker="dead"))
    enqueued = []
    assert reconcile_jobs(down, lambda job_id, queue: enqueued.append(job_id)) == [lost]
    assert enqueued == [lost]
    # Issue 12, item 11: the dead worker's attempt is closed.
    with session_scope(resources.sessions) as session:
        (attempt,) = session.query(Attempt).filter_by(job_id=lost).all()
        assert attempt.outcome == "lease_expired" and attempt.finished_at is not None


def test_a_job_never_sent_is_sent_by_the_next_reconciler_pass(resources):
    # Issue 12, item 5: the broker was down when the API created it (enqueued_at left empty).
    never_sent = add_job(resources, status=JobStatus.QUEUED, enqueued_at=None)

    def broker_down(job_id: str, queue: str) -> None:
        raise ConnectionError("broker down")

    assert reconcile_jobs(resources, broker_down) == []
    assert get_job(resources, never_sent).enqueued_at is None  # still marked never sent
    enqueued = []
    assert reconcile_jobs(resources, lambda job_id, queue: enqueued.append(job_id)) == [never_sent]
    assert enqueued == [never_sent]
    assert get_job(resources, never_sent).enqueued_at is not None


def test_log_lines_sent_through_the_report_pipe_count_toward_the_log_limit(resources, tmp_path):
    # User code can write to the report pipe too; its `log` lines must not fill the disk.
    settings = resources.settings.model_copy(update={"sandbox_log_mb": 1})
    supervisor = JobSupervisor(
        dataclasses.replace(resources, settings=settings), add_job(resources)
    )
    limit = 1024 * 1024
    log_path = tmp_path / "runner.log"
    supervisor.log.open(log_path)
    line = json.dumps({"type": "log", "line": "x" * 60_000}).encode()
    for _ in range(limit // 60_000 + 5):
        supervisor._handle_report(line)
    supervisor.log.output("stdout", b"printed after the limit\n")
    supervisor.log.close()
    text = log_path.read_text()
    assert log_path.stat().st_size <= limit + 200
    assert text.rstrip().endswith("later output is dropped.")
    assert "printed after the limit" not in text


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"type": "metric", "epoch": 10**9, "step": None, "values": {}}).encode(),
        json.dumps({"type": "metric", "epoch": 1, "step": -3, "values": {}}).encode(),
        json.dumps({"type": "metric", "epoch": 1, "step": None, "values": {"loss": "x"}}).encode(),
        json.dumps({"type": "metric", "epoch": "1", "step": None, "values": {}}).encode(),
        json.dumps({"type": "checkpoint", "epoch": 0, "path": "x"}).encode(),
    ],
)
def test_an_invalid_report_fails_that_job_only(resources, line):
    supervisor = JobSupervisor(resources, add_job(resources))
    supervisor.epochs = 3
    supervisor._handle_report(line)
    assert supervisor.kill_reason == "invalid_report"
    assert "invalid report" in supervisor.protocol_error
    with session_scope(resources.sessions) as session:
        assert session.query(Metric).filter_by(job_id=supervisor.job_id).count() == 0


def test_checkpoints_are_taken_only_from_the_runners_own_folder(resources, tmp_path):
    artifacts = resources.artifacts
    victim_id = add_job(resources)
    victim = artifacts.checkpoint_path(victim_id, 1)
    artifacts.write_bytes_atomic(victim, b"another tenant's model")
    job_id = add_job(resources)
    supervisor = JobSupervisor(resources, job_id)
    with session_scope(resources.sessions) as session:
        supervisor.lease = claim_job(session, job_id, supervisor.owner, 30)
        assert supervisor.lease is not None
    work = supervisor.work_dir
    work.mkdir(parents=True)
    report = {"type": "checkpoint", "epoch": 1, "path": "checkpoints/epoch-0001.keras"}

    # User code links its checkpoint folder to another job's: nothing is copied or deleted.
    (work / "checkpoints").symlink_to(victim.parent, target_is_directory=True)
    supervisor._dispatch_report(report)
    assert not artifacts.checkpoint_path(job_id, 1).exists()
    assert victim.read_bytes() == b"another tenant's model"
    with session_scope(resources.sessions) as session:
        assert session.query(Checkpoint).filter_by(job_id=job_id).count() == 0

    (work / "checkpoints").unlink()
    (work / "checkpoints").mkdir()
    # A FIFO in its place must not block the worker on open().
    os.mkfifo(work / "checkpoints" / "epoch-0001.keras")
    relay = threading.Thread(target=supervisor._dispatch_report, args=(report,), daemon=True)
    relay.start()
    relay.join(10)
    assert not relay.is_alive()
    assert not artifacts.checkpoint_path(job_id, 1).exists()
    (work / "checkpoints" / "epoch-0001.keras").unlink()
    (work / "checkpoints" / "epoch-0001.keras").write_bytes(b"own model")
    supervisor._dispatch_report(report)
    assert artifacts.checkpoint_path(job_id, 1).read_bytes() == b"own model"
    assert not (work / "checkpoints" / "epoch-0001.keras").exists()
    with session_scope(resources.sessions) as session:
        (row,) = session.query(Checkpoint).filter_by(job_id=job_id).all()
        assert (row.epoch, row.size_bytes) == (1, len(b"own model"))


def test_a_checkpoint_that_fills_the_disk_stops_the_job_with_disk_full(resources):
    # Issue 12, item 9: a full disk failed the job `worker_error` with a raw ENOSPC text and
    # left an 11 MB partial checkpoint.
    import shutil
    import subprocess

    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounts a small tmpfs for the checkpoints: run as root")
    artifacts = resources.artifacts
    job_id = add_job(resources)
    supervisor = JobSupervisor(resources, job_id)
    supervisor.epochs = 1
    with session_scope(resources.sessions) as session:
        supervisor.lease = claim_job(session, job_id, supervisor.owner, 30)
        assert supervisor.lease is not None
    work = supervisor.work_dir / "checkpoints"
    work.mkdir(parents=True)
    (work / "epoch-0001.keras").write_bytes(os.urandom(3 << 20))
    checkpoints = artifacts.checkpoint_dir(job_id)
    checkpoints.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(checkpoints)], check=True)
    try:
        supervisor._dispatch_report(
            {"type": "checkpoint", "epoch": 1, "path": "checkpoints/epoch-0001.keras"}
        )
        assert supervisor.kill_reason == "disk_full"
        assert str(checkpoints) in supervisor.disk_full_message
        assert "bytes free" in supervisor.disk_full_message
        assert list(checkpoints.iterdir()) == []  # no partial copy
    finally:
        subprocess.run(["umount", "-l", str(checkpoints)], check=False)
    with session_scope(resources.sessions) as session:
        assert session.query(Checkpoint).filter_by(job_id=job_id).count() == 0


def test_a_worker_that_lost_its_lease_writes_nothing(resources):
    # Issue 12, item 7: a worker frozen past its lease, then resumed, wrote 5 duplicate metric
    # rows beside the new attempt's, and the new attempt deleted the old runner's folder.
    job_id = add_job(resources)
    old = JobSupervisor(resources, job_id)
    with session_scope(resources.sessions) as session:
        old.lease = claim_job(session, job_id, old.owner, 0.01)
        assert old.lease is not None
    old.epochs = 3
    old._dispatch_report({"type": "metric", "epoch": 1, "step": None, "values": {"loss": 1.0}})
    old.work_dir.mkdir(parents=True)
    time.sleep(0.05)  # the old lease expires; a new worker claims the job
    new = JobSupervisor(resources, job_id)
    with session_scope(resources.sessions) as session:
        new.lease = claim_job(session, job_id, new.owner, 30)
        assert new.lease is not None
    new.epochs = 3
    assert (old.attempt_number, new.attempt_number) == (1, 2)
    assert new.work_dir != old.work_dir  # each attempt has a folder of its own
    new._dispatch_report({"type": "metric", "epoch": 2, "step": None, "values": {"loss": 0.5}})

    old._dispatch_report({"type": "metric", "epoch": 2, "step": None, "values": {"loss": 0.9}})
    assert old.kill_reason == "lease_lost"
    (old.work_dir / "checkpoints").mkdir()
    (old.work_dir / "checkpoints" / "epoch-0002.keras").write_bytes(b"stale model")
    old._dispatch_report({"type": "checkpoint", "epoch": 2, "path": "checkpoints/epoch-0002.keras"})
    with session_scope(resources.sessions) as session:
        rows = session.query(Metric).filter_by(job_id=job_id).order_by(Metric.id).all()
        assert [(row.epoch, row.values["loss"]) for row in rows] == [(1, 1.0), (2, 0.5)]
        assert session.query(Checkpoint).filter_by(job_id=job_id).count() == 0
    assert not resources.artifacts.checkpoint_path(job_id, 2).exists()
    assert get_job(resources, job_id).lease_owner == new.owner


def test_a_heartbeat_that_cannot_reach_the_database_stops_the_runner(resources, tmp_path):
    # Issue 12, item 1: with PostgreSQL down the heartbeat thread went on, and the job stayed
    # `running` with no runner; here SQLite is held locked by another connection instead.
    import sqlite3

    settings = resources.settings.model_copy(update={"lease_seconds": 2, "heartbeat_s": 0.2})
    job_id = add_job(resources)
    supervisor = JobSupervisor(dataclasses.replace(resources, settings=settings), job_id)
    with session_scope(resources.sessions) as session:
        supervisor.lease = claim_job(session, job_id, supervisor.owner, 2)
        assert supervisor.lease is not None
    supervisor.deadline = time.monotonic() + 600
    blocker = sqlite3.connect(settings.data_dir / "horn.db", timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        heartbeat = threading.Thread(target=supervisor._heartbeat, daemon=True)
        started = time.monotonic()
        heartbeat.start()
        while supervisor.kill_reason is None and time.monotonic() - started < 30:
            supervisor.check_lease()  # what the relay loop does every half second
            time.sleep(0.1)
        assert supervisor.kill_reason == "lease_unconfirmed"
        assert time.monotonic() - started < settings.lease_seconds + 10
        blocker.rollback()  # the database is back
        heartbeat.join(timeout=5)
        # It renews that lease no more (the chaos run found a job `running` for minutes with no
        # runner: the heartbeat went on after its supervisor gave up).
        assert not heartbeat.is_alive()
        lease_before = get_job(resources, job_id).lease_expires_at
        time.sleep(settings.heartbeat_s * 3)
        assert get_job(resources, job_id).lease_expires_at == lease_before
    finally:
        supervisor.stop_heartbeat.set()
        blocker.rollback()
        blocker.close()


def test_a_delivery_that_cannot_reach_the_database_goes_back_to_the_broker(monkeypatch, tmp_path):
    # Issue 12, item 3: with PostgreSQL down each delivery failed at the claim and was
    # acknowledged anyway; the jobs came back only after HORN_QUEUED_TIMEOUT_S.
    from celery.exceptions import Reject

    from server.config import get_settings
    from server.workers import resources as resources_module
    from server.workers import tasks

    monkeypatch.setenv("HORN_DATA_DIR", str(tmp_path))
    # A PostgreSQL that is down: nothing listens on this port.
    monkeypatch.setenv("HORN_DATABASE_URL", "postgresql://horn@127.0.0.1:9/horn")
    monkeypatch.setattr(tasks, "CLAIM_RETRY_DELAY_S", 0.0)
    monkeypatch.setattr(resources_module, "_resources", {})
    get_settings.cache_clear()
    try:
        with pytest.raises(Reject) as rejected:
            tasks.train_job("job_0123456789abcdef01234567")
        assert rejected.value.requeue is True
    finally:
        get_settings.cache_clear()


def test_a_database_restart_mid_epoch_is_waited_out(private_postgres, tmp_path):
    # Issue 12, item 2: PostgreSQL restarted in 0.7 s mid-epoch failed two running jobs for
    # good (`worker_error`): a report's write raised instead of waiting for the database.
    settings = Settings(data_dir=tmp_path, database_url=private_postgres.url, lease_seconds=20)
    upgrade_database(settings.database_url)
    sessions = session_factory(make_engine(settings.database_url))
    resources = WorkerResources(
        settings=settings,
        sessions=sessions,
        bus=DatabaseEventBus(sessions),
        artifacts=ArtifactStore(tmp_path),
    )
    job_id = add_job(resources)
    supervisor = JobSupervisor(resources, job_id)
    with session_scope(sessions) as session:
        supervisor.lease = claim_job(session, job_id, supervisor.owner, 20)
        assert supervisor.lease is not None
    supervisor.epochs = 1

    private_postgres.stop()
    threading.Timer(1.5, private_postgres.start).start()  # back 1.5 s later
    started = time.monotonic()
    report = {"type": "metric", "epoch": 1, "step": None, "values": {"loss": 0.5}}
    supervisor._handle_report(json.dumps(report).encode())
    assert time.monotonic() - started >= 1.0  # it waited for the database
    assert supervisor.kill_reason is None and supervisor.protocol_error is None
    with session_scope(sessions) as session:
        (metric,) = session.query(Metric).filter_by(job_id=job_id).all()
        assert metric.values == {"loss": 0.5}
    assert supervisor._finish(JobStatus.SUCCEEDED, "completed", "Trained 1 epochs.") == "succeeded"
