"""`GET /v1/jobs/{id}/events`: the job's live events as Server-Sent Events."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from server.api.deps import (
    CurrentTenant,
    EventBusDep,
    SessionDep,
    SessionReleasingRoute,
    SettingsDep,
)
from server.api.errors import ApiError
from server.api.routes.jobs import get_tenant_job
from server.store.db import Job, JobStatus, utcnow
from server.store.events import BusEvent, EventBus, EventType, InvalidEventIdError

router = APIRouter(prefix="/v1/jobs", tags=["events"], route_class=SessionReleasingRoute)

# How long after a job finished the stream waits for its terminal status event before it ends
# anyway (the worker commits the status, then publishes the event).
TERMINAL_GRACE_S = 2.0
POLL_S = 1.0


def format_event(event: BusEvent) -> str:
    """One SSE message: `id:`, `event:` and a one-line JSON `data:`."""
    data = json.dumps(event.data, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_events(
    job_id: str,
    request: Request,
    tenant: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    bus: EventBusDep,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id: Annotated[str | None, Query()] = None,
) -> StreamingResponse:
    """Streams `status`, `metric` and `log` events, then `done` once the job has finished.

    Resume after a disconnection with the `Last-Event-ID` header (or `last_event_id` query
    parameter) set to the last id received: only later events are sent.
    """
    await run_in_threadpool(get_tenant_job, session, tenant.id, job_id)
    session.close()  # the stream may last hours: give the connection back now
    after = last_event_id_header or last_event_id or None
    try:
        first = await run_in_threadpool(bus.read, job_id, after, 500)
    except InvalidEventIdError as error:
        raise ApiError(400, "invalid_event_id", str(error), {"last_event_id": after}) from None
    sessions = request.app.state.sessions
    stream = _event_stream(bus, sessions, job_id, after, first, settings.sse_heartbeat_s)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _event_stream(
    bus: EventBus,
    sessions: sessionmaker[Session],
    job_id: str,
    after: str | None,
    first: list[BusEvent],
    heartbeat_s: float,
) -> AsyncIterator[str]:
    # The stream ends by itself once the job is done; Starlette cancels it if the client leaves.
    yield "retry: 2000\n\n"
    last_sent = time.monotonic()
    events = first
    terminal_sent = False
    while True:
        for event in events:
            yield format_event(event)
            after = event.id
            last_sent = time.monotonic()
            if event.type == EventType.STATUS and event.data.get("status") in JobStatus.TERMINAL:
                terminal_sent = True
        if events:
            events = await run_in_threadpool(bus.read, job_id, after, 500)
            if events:
                continue
        job_state = await run_in_threadpool(_job_state, sessions, job_id)
        if job_state is None:
            return
        status, reason, message, finished_long_ago = job_state
        if status in JobStatus.TERMINAL and (terminal_sent or finished_long_ago):
            done = {"status": status, "reason": reason, "message": message}
            id_line = f"id: {after}\n" if after else ""
            yield f"{id_line}event: done\ndata: {json.dumps(done, separators=(',', ':'))}\n\n"
            return
        if time.monotonic() - last_sent >= heartbeat_s:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        events = await bus.wait_async(job_id, after, timeout=POLL_S)


JobState = tuple[str, str | None, str | None, bool]


def _job_state(sessions: sessionmaker[Session], job_id: str) -> JobState | None:
    """The job's status, reason, message and whether it finished over the grace period ago."""
    with sessions() as session:
        row = session.execute(
            select(Job.status, Job.reason, Job.message, Job.finished_at, Job.updated_at).where(
                Job.id == job_id
            )
        ).first()
    if row is None:
        return None
    status, reason, message, finished_at, updated_at = row
    ended = finished_at or updated_at
    finished_long_ago = ended is not None and utcnow() - ended > timedelta(seconds=TERMINAL_GRACE_S)
    return status, reason, message, finished_long_ago
