"""The live event bus: a per-job ordered log of status, metric and log events.

Two implementations share one interface: `DatabaseEventBus` (the `events` table; ids are
per-job sequence numbers "1", "2", ...) and `RedisEventBus` (one Redis Stream per job; ids are
stream ids such as "1732812345678-0"). In both, ids increase within a job, so a client resumes
with the last id it saw (SSE `Last-Event-ID`) and gets only what came after.
"""

from __future__ import annotations

import abc
import asyncio
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.store.db import Event, json_dumps, session_scope


class EventType:
    """Event types."""

    STATUS = "status"
    METRIC = "metric"
    LOG = "log"

    ALL = (STATUS, METRIC, LOG)


class InvalidEventIdError(ValueError):
    """An event id (e.g. a `Last-Event-ID` header) that this bus never produces."""


@dataclass(frozen=True)
class BusEvent:
    """One event: its id (a string), type and JSON data."""

    id: str
    type: str
    data: dict[str, Any]


class EventBus(abc.ABC):
    """Per-job ordered event log with resumable reads."""

    @abc.abstractmethod
    def publish(self, job_id: str, type: str, data: dict[str, Any]) -> str:
        """Appends an event to a job's log.

        Args:
            job_id: the job's id.
            type: one of `EventType.ALL`.
            data: JSON-able data (non-finite floats become "NaN"/"Infinity" strings).

        Returns:
            The new event's id.
        """

    @abc.abstractmethod
    def read(self, job_id: str, after_id: str | None = None, limit: int = 500) -> list[BusEvent]:
        """Returns up to `limit` events of a job after `after_id` (from the start if None).

        Raises:
            InvalidEventIdError: if `after_id` is not an id of this bus.
        """

    @abc.abstractmethod
    def wait(
        self, job_id: str, after_id: str | None = None, timeout: float = 15.0, limit: int = 500
    ) -> list[BusEvent]:
        """Like `read`, but blocks up to `timeout` seconds until there is at least one event."""

    @abc.abstractmethod
    async def wait_async(
        self, job_id: str, after_id: str | None = None, timeout: float = 15.0, limit: int = 500
    ) -> list[BusEvent]:
        """`wait` for asyncio code, without holding a thread while it waits."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raises if the bus's backing store is unreachable."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Releases connections."""

    @staticmethod
    def _check_type(type: str) -> None:
        if type not in EventType.ALL:
            raise ValueError(f"Expected an event type in {EventType.ALL}. Received: type={type!r}")


class DatabaseEventBus(EventBus):
    """Event bus on the `events` table; ids are per-job sequence numbers.

    Args:
        sessions: a session factory.
        poll_interval: seconds between polls while waiting.
    """

    _ID_PATTERN = re.compile(r"^\d{1,18}$")

    def __init__(self, sessions: sessionmaker[Session], poll_interval: float = 0.2):
        self.sessions = sessions
        self.poll_interval = poll_interval

    def publish(self, job_id: str, type: str, data: dict[str, Any]) -> str:
        self._check_type(type)
        data = json.loads(json_dumps(data))
        # Two publishers may pick the same next seq; the unique (job_id, seq) constraint makes
        # one of them fail and retry, so a seq becomes visible only after all smaller ones.
        for _ in range(50):
            try:
                with session_scope(self.sessions) as session:
                    last = session.scalar(select(func.max(Event.seq)).where(Event.job_id == job_id))
                    seq = (last or 0) + 1
                    session.add(Event(job_id=job_id, seq=seq, type=type, data=data))
                return str(seq)
            except IntegrityError as error:
                if "seq" not in str(error) and "uq_events_job_seq" not in str(error):
                    raise
        raise RuntimeError(f"Could not append an event to job {job_id} after 50 attempts.")

    def read(self, job_id: str, after_id: str | None = None, limit: int = 500) -> list[BusEvent]:
        after = self._parse_id(after_id)
        with self.sessions() as session:
            rows = session.execute(
                select(Event.seq, Event.type, Event.data)
                .where(Event.job_id == job_id, Event.seq > after)
                .order_by(Event.seq)
                .limit(limit)
            ).all()
        return [BusEvent(id=str(seq), type=type, data=data) for seq, type, data in rows]

    def wait(
        self, job_id: str, after_id: str | None = None, timeout: float = 15.0, limit: int = 500
    ) -> list[BusEvent]:
        deadline = time.monotonic() + timeout
        while True:
            events = self.read(job_id, after_id, limit)
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                return events
            time.sleep(min(self.poll_interval, remaining))

    async def wait_async(
        self, job_id: str, after_id: str | None = None, timeout: float = 15.0, limit: int = 500
    ) -> list[BusEvent]:
        deadline = time.monotonic() + timeout
        while True:
            events = await anyio.to_thread.run_sync(self.read, job_id, after_id, limit)
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                return events
            await asyncio.sleep(min(self.poll_interval, remaining))

    def ping(self) -> None:
        with self.sessions() as session:
            session.execute(select(1))

    def _parse_id(self, event_id: str | None) -> int:
        if event_id is None or event_id == "":
            return 0
        if not self._ID_PATTERN.match(event_id):
            raise InvalidEventIdError(
                f"Expected an event id that is a non-negative integer (as sent in the stream's "
                f"`id:` lines). Received: {event_id!r}"
            )
        return int(event_id)


class RedisEventBus(EventBus):
    """Event bus on Redis Streams: one stream per job, `<prefix>:events:<job_id>`.

    Args:
        url: Redis URL, e.g. `redis://127.0.0.1:6379/0`.
        prefix: key prefix.
        maxlen: approximate number of events kept per job.
    """

    _ID_PATTERN = re.compile(r"^\d{1,20}-\d{1,20}$")

    def __init__(self, url: str, prefix: str = "horn", maxlen: int = 100_000):
        import redis
        import redis.asyncio

        self.url = url
        self.prefix = prefix
        self.maxlen = maxlen
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self._async_client: redis.asyncio.Redis | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    def key(self, job_id: str) -> str:
        """The stream key of a job."""
        return f"{self.prefix}:events:{job_id}"

    def publish(self, job_id: str, type: str, data: dict[str, Any]) -> str:
        self._check_type(type)
        return self.client.xadd(
            self.key(job_id),
            {"type": type, "data": json_dumps(data)},
            maxlen=self.maxlen,
            approximate=True,
        )

    def read(self, job_id: str, after_id: str | None = None, limit: int = 500) -> list[BusEvent]:
        start = "-" if not after_id else "(" + self._check_id(after_id)
        entries = self.client.xrange(self.key(job_id), min=start, max="+", count=limit)
        return [self._to_event(entry_id, fields) for entry_id, fields in entries]

    def wait(
        self, job_id: str, after_id: str | None = None, timeout: float = 15.0, limit: int = 500
    ) -> list[BusEvent]:
        start = self._check_id(after_id) if after_id else "0-0"
        reply = self.client.xread(
            {self.key(job_id): start}, count=limit, block=max(1, int(timeout * 1000))
        )
        return self._events_from_xread(reply)

    async def wait_async(
        self, job_id: str, after_id: str | None = None, timeout: float = 15.0, limit: int = 500
    ) -> list[BusEvent]:
        start = self._check_id(after_id) if after_id else "0-0"
        client = self._client_for_loop()
        reply = await client.xread(
            {self.key(job_id): start}, count=limit, block=max(1, int(timeout * 1000))
        )
        return self._events_from_xread(reply)

    def ping(self) -> None:
        self.client.ping()

    def close(self) -> None:
        self.client.close()
        self._async_client = None

    async def aclose(self) -> None:
        """Closes the asyncio connection pool (call from the loop that used it)."""
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    def _client_for_loop(self) -> Any:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        # An asyncio connection pool is bound to one event loop; tests run several loops.
        if self._async_client is None or self._async_loop is not loop:
            self._async_client = redis.asyncio.Redis.from_url(self.url, decode_responses=True)
            self._async_loop = loop
        return self._async_client

    def _events_from_xread(self, reply: Any) -> list[BusEvent]:
        events = []
        for _stream, entries in reply or []:
            events.extend(self._to_event(entry_id, fields) for entry_id, fields in entries)
        return events

    @staticmethod
    def _to_event(entry_id: str, fields: dict[str, str]) -> BusEvent:
        return BusEvent(id=entry_id, type=fields["type"], data=json.loads(fields["data"]))

    def _check_id(self, event_id: str) -> str:
        if not self._ID_PATTERN.match(event_id):
            raise InvalidEventIdError(
                f"Expected an event id such as '1732812345678-0' (as sent in the stream's `id:` "
                f"lines). Received: {event_id!r}"
            )
        return event_id


def make_event_bus(settings: Any, sessions: sessionmaker[Session] | None = None) -> EventBus:
    """Returns the Redis Streams bus if `settings.redis_url` is set, else the database bus.

    Args:
        settings: a `server.config.Settings`.
        sessions: session factory for the database bus (a new engine on
            `settings.database_url` if None).
    """
    if settings.redis_url:
        return RedisEventBus(settings.redis_url, maxlen=settings.redis_events_maxlen)
    if sessions is None:
        from server.store.db import make_engine, session_factory

        sessions = session_factory(make_engine(settings.database_url))
    return DatabaseEventBus(sessions)
