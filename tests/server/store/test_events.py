"""The event buses (database and Redis Streams): ordering, resume after an id, waiting."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time

import pytest

from server.store.db import Job, Tenant, make_engine, session_factory, session_scope
from server.store.events import (
    DatabaseEventBus,
    EventType,
    InvalidEventIdError,
    RedisEventBus,
)
from server.store.migrate import upgrade_database


def _make_job(sessions) -> str:
    with session_scope(sessions) as session:
        tenant = Tenant(name=f"t-{secrets.token_hex(3)}")
        session.add(tenant)
        session.flush()
        job = Job(tenant_id=tenant.id, max_runtime_s=60)
        session.add(job)
        session.flush()
        return job.id


@pytest.fixture(params=["database-sqlite", "database-postgresql", "redis"])
def bus_and_job(request, tmp_path):
    if request.param == "database-postgresql":
        url = request.getfixturevalue("postgres_db")
    else:
        url = f"sqlite:///{tmp_path / 'horn.db'}"
        upgrade_database(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    job_id = _make_job(sessions)
    if request.param.startswith("database"):
        bus = DatabaseEventBus(sessions, poll_interval=0.05)
        yield bus, job_id
    else:
        bus = RedisEventBus(request.getfixturevalue("redis_url"), prefix=secrets.token_hex(6))
        yield bus, job_id
        bus.client.delete(bus.key(job_id))
    bus.close()
    engine.dispose()


def test_events_are_ordered_and_resume_after_an_id(bus_and_job):
    bus, job_id = bus_and_job
    ids = [bus.publish(job_id, EventType.METRIC, {"epoch": i, "loss": 1.0 / i}) for i in (1, 2, 3)]
    bus.publish(job_id, EventType.LOG, {"line": "hello", "stream": "stdout"})
    events = bus.read(job_id)
    assert [event.data.get("epoch") for event in events] == [1, 2, 3, None]
    assert [event.id for event in events[:3]] == ids
    assert [event.type for event in events] == ["metric", "metric", "metric", "log"]
    resumed = bus.read(job_id, after_id=ids[1])
    assert [event.id for event in resumed] == [ids[2], events[3].id]
    assert bus.read(job_id, after_id=events[-1].id) == []
    assert [event.id for event in bus.read(job_id, limit=2)] == ids[:2]


def test_non_finite_values_are_strict_json(bus_and_job):
    bus, job_id = bus_and_job
    bus.publish(job_id, EventType.METRIC, {"epoch": 1, "loss": float("nan")})
    assert bus.read(job_id)[0].data == {"epoch": 1, "loss": "NaN"}


def test_invalid_ids_and_types_are_refused(bus_and_job):
    bus, job_id = bus_and_job
    with pytest.raises(InvalidEventIdError, match="Received: 'abc'"):
        bus.read(job_id, after_id="abc")
    with pytest.raises(ValueError, match="type='bogus'"):
        bus.publish(job_id, "bogus", {})


def test_wait_returns_an_event_published_while_waiting(bus_and_job):
    bus, job_id = bus_and_job
    first = bus.publish(job_id, EventType.STATUS, {"status": "queued"})
    start = time.monotonic()
    assert bus.wait(job_id, after_id=first, timeout=0.3) == []
    assert time.monotonic() - start >= 0.25

    timer = threading.Timer(0.2, bus.publish, (job_id, EventType.STATUS, {"status": "running"}))
    timer.start()
    events = bus.wait(job_id, after_id=first, timeout=5)
    timer.join()
    assert [event.data["status"] for event in events] == ["running"]

    async def wait_async() -> list:
        later = asyncio.get_running_loop().run_in_executor(
            None, lambda: (time.sleep(0.2), bus.publish(job_id, EventType.LOG, {"line": "x"}))
        )
        found = await bus.wait_async(job_id, after_id=events[0].id, timeout=5)
        await later
        return found

    assert [event.type for event in asyncio.run(wait_async())] == ["log"]


def test_concurrent_publishers_get_distinct_increasing_ids(bus_and_job):
    bus, job_id = bus_and_job

    def publish_many(worker: int) -> None:
        for i in range(10):
            bus.publish(job_id, EventType.LOG, {"line": f"{worker}-{i}"})

    threads = [threading.Thread(target=publish_many, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = bus.read(job_id)
    assert len(events) == 30
    assert len({event.id for event in events}) == 30
    for worker in range(3):
        lines = [e.data["line"] for e in events if e.data["line"].startswith(f"{worker}-")]
        assert lines == [f"{worker}-{i}" for i in range(10)]
