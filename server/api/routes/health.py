"""`/healthz`, `/readyz` and `/metrics` (Prometheus text format)."""

from __future__ import annotations

import hmac
import os
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import func, select, text
from starlette.concurrency import run_in_threadpool

from server.api.deps import SessionReleasingRoute
from server.api.errors import ApiError, error_response
from server.config import Settings
from server.store.db import Job, JobStatus

router = APIRouter(tags=["health"], route_class=SessionReleasingRoute)
# Clients allowed to read /metrics without HORN_METRICS_TOKEN.
LOOPBACK_CLIENTS = frozenset({"127.0.0.1", "::1"})


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database or broker unreachable"}})
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database, the broker and the event bus are reachable."""
    state = request.app.state
    checks = {
        "database": await run_in_threadpool(_check_database, state.sessions),
        "broker": await run_in_threadpool(check_broker, state.settings),
        "events": await run_in_threadpool(_check_events, state.events),
    }
    if all(check["ok"] for check in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failing = [name for name, check in checks.items() if not check["ok"]]
    return error_response(
        503, "not_ready", f"Not ready: {', '.join(failing)} unreachable.", {"checks": checks}
    )


def _check_database(sessions: Any) -> dict[str, Any]:
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as error:
        return {"ok": False, "error": str(error)}


def _check_events(bus: Any) -> dict[str, Any]:
    try:
        bus.ping()
        return {"ok": True}
    except Exception as error:
        return {"ok": False, "error": str(error)}


def check_broker(settings: Settings) -> dict[str, Any]:
    """Whether the Celery broker is reachable (for the filesystem broker: its folders)."""
    if settings.is_filesystem_broker:
        folders = [settings.broker_dir / "queue", settings.broker_dir / "processed"]
        missing = [str(folder) for folder in folders if not os.access(folder, os.W_OK)]
        if missing:
            return {"ok": False, "error": f"broker folders missing or not writable: {missing}"}
        return {"ok": True}
    try:
        from kombu import Connection

        with Connection(settings.broker_url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True}
    except Exception as error:
        return {"ok": False, "error": str(error)}


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics: jobs by status and HTTP requests by route and status code.

    They count every tenant's jobs: with `HORN_METRICS_TOKEN` set the request must carry it as
    a Bearer token; without, only loopback clients are answered.
    """
    token = request.app.state.settings.metrics_token
    sent = request.headers.get("authorization", "")
    if token:
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise ApiError(
                401,
                "unauthorized",
                "/metrics needs `Authorization: Bearer <HORN_METRICS_TOKEN>`.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif (request.client.host if request.client else "") not in LOOPBACK_CLIENTS:
        raise ApiError(
            403,
            "forbidden",
            "/metrics answers loopback clients only; set HORN_METRICS_TOKEN on the API and send "
            "it as a Bearer token to scrape from elsewhere.",
        )
    counts = await run_in_threadpool(_job_counts, request.app.state.sessions)
    lines = [
        "# HELP horn_jobs Jobs by status.",
        "# TYPE horn_jobs gauge",
        *(f'horn_jobs{{status="{status}"}} {counts.get(status, 0)}' for status in JobStatus.ALL),
        "# HELP horn_http_requests_total HTTP requests by method, route and status code.",
        "# TYPE horn_http_requests_total counter",
    ]
    requests: Counter = request.app.state.http_requests
    for (method, route, status), count in sorted(requests.items()):
        lines.append(
            f'horn_http_requests_total{{method="{method}",route="{_escape(route)}",'
            f'status="{status}"}} {count}'
        )
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


def _job_counts(sessions: Any) -> dict[str, int]:
    with sessions() as session:
        rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {status: count for status, count in rows}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
