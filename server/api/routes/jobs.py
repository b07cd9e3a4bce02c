"""`/v1/jobs`: create, list, get, cancel, metrics, logs, checkpoints (predict: `predict.py`)."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.api.deps import (
    ArtifactsDep,
    CurrentTenant,
    DispatcherDep,
    EventBusDep,
    SessionDep,
    SessionReleasingRoute,
    SettingsDep,
)
from server.api.errors import ApiError, not_found
from server.api.paging import DEFAULT_LIMIT, MAX_LIMIT, page_of, paginate
from server.api.routes.datasets import get_tenant_dataset
from server.api.routes.models import get_tenant_model
from server.api.schemas import (
    AttemptOut,
    CheckpointOut,
    JobCreate,
    JobError,
    JobOut,
    MetricOut,
    Page,
    Progress,
    Waiting,
)
from server.store.artifacts import ArtifactStore
from server.store.db import Attempt, Checkpoint, Job, JobStatus, Metric, utcnow
from server.store.events import EventType
from server.store.fairshare import waiting_of
from server.store.jobs import mark_enqueued, queue_for_resources, request_cancel
from server.store.workers import most_gpus_of_live_workers

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], route_class=SessionReleasingRoute)
logger = logging.getLogger("horn.api")

MAX_LOG_TAIL = 100_000
SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def job_out(job: Job, attempts: list[Attempt], waiting: Waiting | None = None) -> JobOut:
    """The response body of a job row and its attempts (and, if queued, why it waits)."""
    return JobOut(
        id=job.id,
        name=job.name,
        status=job.status,
        reason=job.reason,
        message=job.message,
        model_id=job.model_id,
        dataset_id=job.dataset_id,
        hyperparameters=job.hyperparameters,
        training=job.training,
        resources=job.resources,
        max_runtime_s=job.max_runtime_s,
        queue=job.queue,
        progress=Progress(epoch=job.epoch, epochs=job.epochs),
        metrics=job.metrics,
        error=(
            JobError(reason=job.reason, message=job.message)
            if job.status == JobStatus.FAILED
            else None
        ),
        cancel_requested=job.cancel_requested,
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        attempts=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts],
        priority=job.priority,
        sweep_id=job.sweep_id,
        trial_index=job.trial_index,
        waiting=waiting,
    )


def load_job_out(session: SessionDep, job: Job, settings: Any = None) -> JobOut:
    """`job_out` with the job's attempts read from the database; with `settings`, a queued
    job also says why it waits."""
    attempts = session.scalars(
        select(Attempt).where(Attempt.job_id == job.id).order_by(Attempt.number)
    ).all()
    waiting = None
    if settings is not None:
        found = waiting_of(session, job, settings.tenant_max_running_jobs)
        waiting = Waiting(**dataclasses.asdict(found)) if found is not None else None
    return job_out(job, list(attempts), waiting)


def get_tenant_job(session: SessionDep, tenant_id: str, job_id: str) -> Job:
    """Returns a job of the tenant, or raises 404."""
    job = session.get(Job, job_id)
    if job is None or job.tenant_id != tenant_id:
        raise not_found("Job", job_id)
    return job


def publish_status(events: EventBusDep, job: Job) -> None:
    """Publishes the job's current status as a `status` event.

    The database holds the status either way: an event bus that is down (Redis restarting)
    costs this one event, never the request.
    """
    try:
        events.publish(
            job.id,
            EventType.STATUS,
            {"status": job.status, "reason": job.reason, "message": job.message},
        )
    except Exception as error:
        logger.warning("Could not publish the status of job %s: %s", job.id, error)


@router.post("", status_code=202, responses={200: {"description": "Idempotent replay"}})
def create_job(
    body: JobCreate,
    tenant: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    events: EventBusDep,
    dispatch: DispatcherDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JobOut:
    """Creates a training job and puts it on its queue (`gpu` when it asks for GPUs).

    The same `Idempotency-Key` for the same tenant returns the job it created first (200).
    """
    if idempotency_key:
        existing = _job_by_idempotency_key(session, tenant.id, idempotency_key)
        if existing is not None:
            return _replayed(session, existing)
    get_tenant_model(session, tenant.id, body.model_id)
    get_tenant_dataset(session, tenant.id, body.dataset_id)
    max_runtime_s = max_runtime_of(settings, body.max_runtime_s)
    resources = body.resources.model_dump()
    queue = queue_for_resources(resources)
    if resources["gpus"]:
        check_some_worker_has_gpus(session, resources["gpus"])
    job = Job(
        tenant_id=tenant.id,
        model_id=body.model_id,
        dataset_id=body.dataset_id,
        name=body.name,
        status=JobStatus.QUEUED,
        reason="created",
        message=f"Waiting for a worker on the {queue!r} queue.",
        hyperparameters=body.hyperparameters,
        training=body.training.model_dump(),
        resources=resources,
        max_runtime_s=max_runtime_s,
        queue=queue,
        idempotency_key=idempotency_key or None,
        epochs=body.training.epochs,
        enqueued_at=utcnow(),
        priority=body.priority,
    )
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = idempotency_key and _job_by_idempotency_key(session, tenant.id, idempotency_key)
        if not existing:
            raise
        return _replayed(session, existing)
    publish_status(events, job)
    try:
        dispatch(settings, job.id, queue)
    except Exception as error:
        # The job stays queued; the workers' reconciler enqueues it once the broker is back
        # (an empty `enqueued_at` marks it as never sent).
        logger.warning("Could not enqueue job %s: %s", job.id, error)
        mark_enqueued(
            session,
            job.id,
            sent=False,
            message=f"Waiting for a worker on the {queue!r} queue (the broker could not be "
            "reached; the job will be enqueued when it is).",
        )
        session.commit()
        session.refresh(job)
    return load_job_out(session, job, settings)


def max_runtime_of(settings: Any, asked: int | None) -> int:
    """A job's time limit: the one asked for, else the server's; 422 above the server's."""
    max_runtime_s = asked or settings.job_max_runtime_s
    if max_runtime_s > settings.job_max_runtime_s:
        raise ApiError(
            422,
            "validation_error",
            f"max_runtime_s may be at most {settings.job_max_runtime_s} seconds on this server "
            f"(HORN_JOB_MAX_RUNTIME_S). Received: max_runtime_s={max_runtime_s}",
            {"max_runtime_s": max_runtime_s, "limit": settings.job_max_runtime_s},
        )
    return max_runtime_s


def check_some_worker_has_gpus(session: SessionDep, gpus: int) -> None:
    """Refuses a job no live worker could ever run: more GPUs than any of them has.

    Raises:
        ApiError: 422 naming the largest worker (or that none takes GPU jobs).
    """
    most = most_gpus_of_live_workers(session)
    if most is not None and most >= gpus:
        return
    if most is None:
        have = "no live worker takes GPU jobs"
    elif most == 0:
        have = "the live workers that take GPU jobs have no GPUs"
    else:
        have = f"the live workers have at most {most} GPUs each"
    instead = f"ask for at most {most}, or " if most else ""
    raise ApiError(
        422,
        "no_worker_for_gpus",
        f"The job asks for {gpus} GPU{'s' if gpus != 1 else ''}, but {have}. Instead, "
        f"{instead}start a worker with enough: `horn worker --queues gpu --gpus 0,1,...`.",
        {"gpus": gpus, "most_gpus_of_a_worker": most or 0},
    )


def _job_by_idempotency_key(session: SessionDep, tenant_id: str, key: str) -> Job | None:
    return session.scalar(select(Job).where(Job.tenant_id == tenant_id, Job.idempotency_key == key))


def _replayed(session: SessionDep, job: Job) -> JSONResponse:
    body = load_job_out(session, job).model_dump(mode="json")
    return JSONResponse(body, status_code=200, headers={"Idempotent-Replayed": "true"})


@router.get("")
def list_jobs(
    tenant: CurrentTenant,
    session: SessionDep,
    status: Annotated[list[str] | None, Query()] = None,
    sweep_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[JobOut]:
    """Lists the tenant's jobs, newest first; `status` filters (repeat it or comma-separate),
    `sweep_id` keeps one sweep's trials."""
    query = select(Job).where(Job.tenant_id == tenant.id)
    if sweep_id:
        query = query.where(Job.sweep_id == sweep_id)
    if status:
        wanted = [item.strip() for value in status for item in value.split(",") if item.strip()]
        unknown = [item for item in wanted if item not in JobStatus.ALL]
        if unknown:
            raise ApiError(
                422,
                "validation_error",
                f"Unknown job status {unknown}. Expected some of {list(JobStatus.ALL)}.",
                {"status": unknown, "allowed": list(JobStatus.ALL)},
            )
        query = query.where(Job.status.in_(wanted))
    rows, next_cursor = page_of(list(session.scalars(paginate(query, Job, cursor, limit))), limit)
    attempts: dict[str, list[Attempt]] = {row.id: [] for row in rows}
    if rows:
        for attempt in session.scalars(
            select(Attempt).where(Attempt.job_id.in_(attempts)).order_by(Attempt.number)
        ):
            attempts[attempt.job_id].append(attempt)
    return Page[JobOut](items=[job_out(row, attempts[row.id]) for row in rows], next=next_cursor)


@router.get("/{job_id}")
def get_job(
    job_id: str, tenant: CurrentTenant, session: SessionDep, settings: SettingsDep
) -> JobOut:
    """A job's full status: progress, latest metrics, error, attempts; for a queued job, why it
    waits (`waiting`: its place in line, its tenant's limit, or no worker for its queue)."""
    return load_job_out(session, get_tenant_job(session, tenant.id, job_id), settings)


@router.post("/{job_id}/cancel")
def cancel_job(
    job_id: str, tenant: CurrentTenant, session: SessionDep, events: EventBusDep
) -> JobOut:
    """Cancels a job. Idempotent: a finished job is returned unchanged.

    A queued job is cancelled at once; a starting or running one becomes `cancelling` until its
    worker has stopped the runner.
    """
    job = get_tenant_job(session, tenant.id, job_id)
    if request_cancel(session, job_id):
        session.commit()
    else:
        return load_job_out(session, job)
    session.refresh(job)
    publish_status(events, job)
    return load_job_out(session, job)


@router.get("/{job_id}/metrics")
def list_metrics(
    job_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    steps: bool = False,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    cursor: str | None = None,
) -> Page[MetricOut]:
    """The job's metric history in order: one entry per epoch (and per step with `steps=true`)."""
    get_tenant_job(session, tenant.id, job_id)
    query = select(Metric).where(Metric.job_id == job_id)
    if not steps:
        query = query.where(Metric.step.is_(None))
    if cursor:
        if not _is_small_number(cursor):
            raise ApiError(
                400,
                "invalid_cursor",
                f"The `cursor` parameter is not a cursor from a previous page's `next`. "
                f"Received: cursor={cursor!r}",
            )
        query = query.where(Metric.id > int(cursor))
    rows = list(session.scalars(query.order_by(Metric.id).limit(limit + 1)))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    items = [MetricOut.model_validate(row, from_attributes=True) for row in rows[:limit]]
    return Page[MetricOut](items=items, next=next_cursor)


@router.get("/{job_id}/logs", response_class=PlainTextResponse)
def get_logs(
    job_id: str,
    request: Request,
    tenant: CurrentTenant,
    session: SessionDep,
    artifacts: ArtifactsDep,
    tail: Annotated[int | None, Query(ge=1, le=MAX_LOG_TAIL)] = None,
) -> Response:
    """The runner's output (stdout, stderr, tracebacks); `tail=N` for the last N lines.

    The whole log is streamed from the artifact store and honours `Range: bytes=...`; `tail`
    reads only the end of the file. With S3, a running job's log is as of its last upload
    (every checkpoint, at most every 30 s, and when the attempt ends).
    """
    get_tenant_job(session, tenant.id, job_id)
    path = artifacts.log_path(job_id)
    info = artifacts.info(path)
    if info is None:
        return PlainTextResponse("")
    if tail:
        if not artifacts.is_remote:
            return PlainTextResponse(last_lines(path, tail))

        def read(start: int, end: int) -> bytes:
            return b"".join(artifacts.open_chunks(path, start, end - 1))

        return PlainTextResponse(tail_lines(read, info.size_bytes, tail))
    return artifact_response(
        artifacts,
        path,
        info.size_bytes,
        "text/plain; charset=utf-8",
        request.headers,
        growing=True,
    )


def last_lines(path: Path, count: int, block: int = 64 * 1024) -> str:
    """The last `count` lines of a text file, read backwards a block at a time."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)

        def read(start: int, end: int) -> bytes:
            handle.seek(start)
            return handle.read(end - start)

        return tail_lines(read, size, count, block)


def tail_lines(
    read: Callable[[int, int], bytes], size: int, count: int, block: int = 64 * 1024
) -> str:
    """The last `count` lines of `size` bytes that `read(start, end)` returns, read backwards
    a block at a time."""
    position = size
    data = b""
    while position > 0 and data.count(b"\n") <= count:
        step = min(block, position)
        position -= step
        data = read(position, position + step) + data
    lines = data.splitlines(keepends=True)[-count:]
    return b"".join(lines).decode("utf-8", errors="replace")


def artifact_response(
    artifacts: ArtifactStore,
    path: Path,
    size: int,
    media_type: str,
    headers: Mapping[str, str] | None = None,
    filename: str | None = None,
    growing: bool = False,
) -> Response:
    """Streams a stored file: a `FileResponse` from the data dir, or chunks of the object in
    S3 (never the whole object in memory); a single `Range: bytes=...` answers 206.

    A file that may grow while it is sent (a running job's log) is sent in chunks up to the
    `size` it had, as in S3: a `FileResponse` would send what it reads past its own
    Content-Length, and the server would drop the connection.

    Args:
        artifacts: the artifact store.
        path: the file's local path (its key is the path relative to the data dir).
        size: the file's size in bytes.
        media_type: the response's content type.
        headers: the request's headers (for `Range`).
        filename: the download's name (`Content-Disposition: attachment`), if any.
        growing: whether the file may grow meanwhile.
    """
    if not artifacts.is_remote and not growing:
        return FileResponse(path, media_type=media_type, filename=filename)
    answer_headers = {"accept-ranges": "bytes"}
    if filename is not None:
        quoted = urllib.parse.quote(filename)
        answer_headers["content-disposition"] = (
            f'attachment; filename="{filename}"'
            if quoted == filename
            else f"attachment; filename*=utf-8''{quoted}"
        )
    start, end = 0, size - 1
    status = 200
    requested = SINGLE_RANGE.match((headers or {}).get("range", "").strip())
    if requested and any(requested.groups()):
        first, last = requested.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:
            start = max(0, size - int(last))
        if start >= size or start > end:
            return Response(
                status_code=416, headers={**answer_headers, "content-range": f"bytes */{size}"}
            )
        status = 206
        answer_headers["content-range"] = f"bytes {start}-{end}/{size}"
    answer_headers["content-length"] = str(end - start + 1)
    chunks = artifacts.open_chunks(path, start, end) if size else iter(())
    return StreamingResponse(
        chunks, status_code=status, media_type=media_type, headers=answer_headers
    )


@router.get("/{job_id}/checkpoints")
def list_checkpoints(
    job_id: str, tenant: CurrentTenant, session: SessionDep
) -> Page[CheckpointOut]:
    """The job's checkpoints, by epoch."""
    get_tenant_job(session, tenant.id, job_id)
    rows = session.scalars(
        select(Checkpoint).where(Checkpoint.job_id == job_id).order_by(Checkpoint.epoch)
    ).all()
    return Page[CheckpointOut](
        items=[CheckpointOut.model_validate(row, from_attributes=True) for row in rows]
    )


# Metric names that `auto` maximises (Keras's EarlyStopping and ModelCheckpoint rule).
MAXIMISED_METRICS = ("acc", "auc", "precision", "recall", "f1", "iou")


def best_checkpoint(job: Job, checkpoints: list[Checkpoint]) -> Checkpoint:
    """The checkpoint with the best value of the job's monitored metric (409 if none has it)."""
    early_stopping = (job.training or {}).get("early_stopping") or {}
    monitor = early_stopping.get("monitor")
    if monitor is None:
        has_val_loss = any((row.metrics or {}).get("val_loss") is not None for row in checkpoints)
        monitor = "val_loss" if has_val_loss else "loss"
    mode = early_stopping.get("mode") or "auto"
    if mode == "auto":
        maximised = any(part in monitor.removeprefix("val_") for part in MAXIMISED_METRICS)
        mode = "max" if maximised else "min"
    scored = [row for row in checkpoints if (row.metrics or {}).get(monitor) is not None]
    if not scored:
        raise ApiError(
            409,
            "no_metric",
            f"No checkpoint of job {job.id!r} has the metric {monitor!r} to pick the best by. "
            "Ask for 'latest' or an epoch number.",
            {"job_id": job.id, "monitor": monitor},
        )
    sign = 1.0 if mode == "max" else -1.0
    # Ties go to the earliest epoch, as a callback that saves only improvements would keep.
    return max(scored, key=lambda row: (sign * float(row.metrics[monitor]), -row.epoch))


def _is_small_number(text: str) -> bool:
    """Whether `text` is ASCII digits that fit a 64-bit integer ("²" is a digit to Python)."""
    return text.isascii() and text.isdigit() and int(text) < 2**63


def find_checkpoint(session: SessionDep, job: Job, epoch: str) -> Checkpoint:
    """The checkpoint of `epoch` (a number, `latest` or `best`), or raises 404/409/422.

    `best` is the checkpoint with the best value of the job's monitored metric: early
    stopping's `monitor` and `mode` when the job has them, else `val_loss` where the
    checkpoints have it, else `loss`; `auto` maximises accuracy-like names (as Keras does).
    """
    query = select(Checkpoint).where(Checkpoint.job_id == job.id)
    if epoch in ("latest", "best"):
        checkpoints = list(session.scalars(query.order_by(Checkpoint.epoch.desc())))
        if not checkpoints:
            raise ApiError(
                409,
                "no_checkpoint",
                f"Job {job.id!r} has no checkpoint yet (status {job.status!r}); one is saved "
                "at the end of every epoch.",
                {"job_id": job.id, "status": job.status},
            )
        return checkpoints[0] if epoch == "latest" else best_checkpoint(job, checkpoints)
    if not _is_small_number(epoch):
        raise ApiError(
            422,
            "validation_error",
            f"Expected an epoch number, 'latest' or 'best'. Received: {epoch!r}",
            {"epoch": epoch},
        )
    checkpoint = session.scalar(query.where(Checkpoint.epoch == int(epoch)))
    if checkpoint is None:
        raise not_found("Checkpoint", f"{job.id}/epoch {epoch}")
    return checkpoint


@router.get(
    "/{job_id}/checkpoints/{epoch}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_checkpoint(
    job_id: str,
    epoch: str,
    request: Request,
    tenant: CurrentTenant,
    session: SessionDep,
    artifacts: ArtifactsDep,
) -> Response:
    """Downloads the `.keras` checkpoint of an epoch (or `latest`, or `best`), streamed from
    the artifact store."""
    job = get_tenant_job(session, tenant.id, job_id)
    checkpoint = find_checkpoint(session, job, epoch)
    path = artifacts.resolve(checkpoint.path)
    info = artifacts.info(path)
    if info is None:
        raise ApiError(
            404,
            "not_found",
            f"The file of checkpoint epoch {checkpoint.epoch} of job {job_id!r} is missing "
            "from the artifact store.",
            {"job_id": job_id, "epoch": checkpoint.epoch},
        )
    return artifact_response(
        artifacts,
        path,
        info.size_bytes,
        "application/octet-stream",
        request.headers,
        filename=f"{job_id}-epoch-{checkpoint.epoch:04d}.keras",
    )
