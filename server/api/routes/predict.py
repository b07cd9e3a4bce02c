"""Predictions: `/v1/jobs/{id}/predict` and TensorFlow Serving's `/v1/models/{id}:predict`.

The API authenticates, resolves the job's checkpoint (`?checkpoint=latest|best|<epoch>`; the
answer is remembered for `PREDICT_TARGET_TTL_S`), lets go of its database connection and
forwards the client's body, unparsed, to the serving process, which owns the boxed predictors
(`server.workers.serving`): the rows are parsed once, there, and the serving process's answer is
the response body. Bodies take TensorFlow Serving's REST shapes: `{"instances": [row, ...]}`
(rows; answered as `predictions`) or `{"inputs": ...}` (columns: an object by input name, or for
a single input its rows; answered as `outputs` on the TF Serving route), so a TF Serving client
works unchanged against the second route.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server.api.deps import CurrentTenant, SessionDep, SessionReleasingRoute, SettingsDep
from server.api.errors import ApiError
from server.api.routes.jobs import find_checkpoint, get_tenant_job
from server.api.schemas import PredictRequest, PredictResponse
from server.api.serving import (
    TARGET_HEADER,
    TOKEN_HEADER,
    ServingDirectory,
    ServingResponse,
    ServingUnreachableError,
)
from server.store.db import ModelSource

router = APIRouter(tags=["predict"], route_class=SessionReleasingRoute)
logger = logging.getLogger("horn.api")
# How long the API remembers where a (tenant, job, checkpoint choice) predicts.
PREDICT_TARGET_TTL_S = 1.0

_PREDICT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
    }
}
CHECKPOINT_QUERY = Query(
    "latest", max_length=20, description="`latest`, `best` (by the monitored metric) or an epoch"
)


@router.post(
    "/v1/jobs/{job_id}/predict", openapi_extra=_PREDICT_BODY, response_model=PredictResponse
)
async def predict(
    job_id: str,
    request: Request,
    tenant: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    checkpoint: str = CHECKPOINT_QUERY,
) -> Response:
    """Predicts with one of the job's checkpoints (the latest unless `?checkpoint=` says).

    Body: `{"instances": [row, ...]}` or `{"inputs": {"name": [...], ...}}`. Answer:
    `{"predictions": [...], "job_id", "epoch"}`.
    """
    return await _predict(request, tenant, session, settings, job_id, checkpoint, "horn")


@router.post("/v1/models/{job_id}:predict", openapi_extra=_PREDICT_BODY)
async def predict_tf_serving(
    job_id: str,
    request: Request,
    tenant: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    checkpoint: str = CHECKPOINT_QUERY,
) -> Response:
    """TensorFlow Serving's predict route: the job's id is the model name.

    Answers `{"predictions": [...]}` to rows (`instances`) and `{"outputs": [...]}` to columns
    (`inputs`), as TensorFlow Serving does.
    """
    return await _predict(request, tenant, session, settings, job_id, checkpoint, "tf_serving")


async def _predict(
    request: Request,
    tenant: Any,
    session: Any,
    settings: Any,
    job_id: str,
    checkpoint: str,
    answer: str,
) -> Response:
    """Resolves the checkpoint and relays the body to the serving process and its answer back.

    The body is read (within HORN_PREDICT_MAX_BODY_MB) but not parsed: the serving process
    parses it once, and its answer is the response body.
    """
    body = await _read_body(request, settings)
    targets: TargetCache = request.app.state.predict_targets
    key = (tenant.id, job_id, checkpoint)
    target = targets.get(key)
    if target is None:
        target = await run_in_threadpool(_resolve_target, session, tenant.id, job_id, checkpoint)
        targets.put(key, target)
    forwarded = {**target.forwarded, "epoch": target.epoch, "answer": answer}
    content = await forward_to_serving(
        request.app.state.serving, settings, "/predict", forwarded, body
    )
    return Response(content, media_type="application/json")


@router.get(
    "/v1/jobs/{job_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/gzip": {}}}},
)
async def export_model(
    job_id: str,
    request: Request,
    tenant: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    format: str = Query("savedmodel", max_length=20),  # noqa: A002 (the query's name)
    checkpoint: str = CHECKPOINT_QUERY,
) -> Response:
    """A TensorFlow SavedModel of a checkpoint (`serving_default` signature), as a `.tar.gz`
    that `tf.saved_model.load` and TensorFlow Serving load (`savedmodel/` inside)."""
    if format != "savedmodel":
        raise ApiError(
            422,
            "validation_error",
            f"Expected format=savedmodel. Received: format={format!r}",
            {"format": format},
        )
    target = await run_in_threadpool(_resolve_target, session, tenant.id, job_id, checkpoint)
    archive = await forward_to_serving(
        request.app.state.serving, settings, "/export", target.forwarded, what="export"
    )
    name = f"{job_id}-epoch-{target.epoch:04d}-savedmodel.tar.gz"
    return Response(
        archive,
        media_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a tenant's predict request for (job, checkpoint choice) goes."""

    forwarded: dict[str, Any]
    epoch: int


class TargetCache:
    """(tenant, job, checkpoint choice) -> `Target`, for `ttl_s` seconds.

    A steady stream of predictions then costs the database nothing; `latest` and `best` may lag
    a new checkpoint by `ttl_s`, and a deleted job answers for as long.
    """

    def __init__(self, ttl_s: float = PREDICT_TARGET_TTL_S, max_entries: int = 10_000):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.entries: dict[tuple, tuple[float, Target]] = {}

    def get(self, key: tuple) -> Target | None:
        found = self.entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: tuple, target: Target) -> None:
        if len(self.entries) >= self.max_entries:
            self.entries.clear()
        self.entries[key] = (time.monotonic() + self.ttl_s, target)


def _resolve_target(session: Any, tenant_id: str, job_id: str, checkpoint: str) -> Target:
    """Looks the target up and gives the database connection back, in one thread hop.

    Closing in a later hop would hold the connection while the request waits for a free thread
    behind others that each want one: 300 concurrent predicts then ran the pool dry.
    """
    try:
        job = get_tenant_job(session, tenant_id, job_id)
        found = find_checkpoint(session, job, checkpoint)
        source = session.get(ModelSource, job.model_id) if job.model_id else None
    finally:
        session.close()
    forwarded = {
        "job_id": job_id,
        "checkpoint": found.path,
        "source": source.path if source is not None else None,
    }
    return Target(forwarded=forwarded, epoch=found.epoch)


async def _read_body(request: Request, settings: Any) -> bytes:
    """The body's bytes, read within HORN_PREDICT_MAX_BODY_MB."""
    limit = int(settings.predict_max_body_mb * 1024 * 1024)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _predict_body_too_large(limit)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise _predict_body_too_large(limit)
    return bytes(raw)


async def forward_to_serving(
    directory: ServingDirectory,
    settings: Any,
    path: str,
    target: dict[str, Any],
    body: bytes = b"",
    what: str = "prediction",
) -> bytes:
    """Sends a body and its target to the job's serving process; returns the answer's bytes.

    Args:
        path: `/predict` or `/export`.
        what: what the request is, for the 504's code and message (`prediction`, `export`).

    Raises:
        ApiError: the serving process's 4xx/5xx (422 for a body or rows that do not fit the
            model, 413 for too many rows, 504 when the model does not answer in time, 502 when
            its predictor crashed); 503 when no serving process answers.
    """
    headers = {TARGET_HEADER: json.dumps(target), "content-type": "application/json"}
    if settings.serving_token:
        headers[TOKEN_HEADER] = settings.serving_token
    try:
        response = await _post_to_serving(
            directory, target["job_id"], path, content=body, headers=headers,
            timeout=settings.predictor_timeout_s + 10,
        )  # fmt: skip
    except TimeoutError:
        raise ApiError(
            504,
            f"{what}_timeout",
            f"The {what} took longer than {settings.predictor_timeout_s:g} s "
            "(HORN_PREDICTOR_TIMEOUT_S). "
            + ("Send fewer instances or retry." if what == "prediction" else "Retry."),
        ) from None
    except ConnectionError as error:
        raise _unreachable(error) from None
    if response.status_code == 200:
        return response.content
    raise _relayed_error(response)


async def _post_to_serving(
    directory: ServingDirectory, job_id: str, path: str, **request: Any
) -> ServingResponse:
    """POSTs to the job's serving process; one that cannot be reached passes the request on to
    the next in the job's order (a timeout does not: the model may be the slow part)."""
    candidates = await directory.candidates(job_id)
    for number, client in enumerate(candidates, start=1):
        try:
            return await client.post(path, **request)
        except ServingUnreachableError:
            if number == len(candidates):
                raise
            logger.warning("Serving process %s unreachable; trying the next", client.base_url)
    raise AssertionError("unreachable")  # candidates is never empty


def _unreachable(error: ConnectionError) -> ApiError:
    return ApiError(
        503,
        "serving_unavailable",
        f"The serving process does not answer ({type(error).__name__}); predictions are "
        "unavailable until it runs (`horn serve`, started by `horn up`).",
        headers={"Retry-After": "5"},
    )


def _relayed_error(response: ServingResponse) -> ApiError:
    """The serving process's error answer as the API's (an unknown status becomes 502)."""
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    status = response.status_code if response.status_code in (413, 422, 502, 503, 504) else 502
    return ApiError(
        status,
        str(error.get("code") or "predictor_error"),
        str(error.get("message") or f"The serving process answered {response.status_code}."),
        error.get("details"),
        headers={"Retry-After": "1"} if status == 503 else None,
    )


def _predict_body_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"The predict request body is larger than {limit} bytes (HORN_PREDICT_MAX_BODY_MB). "
        "Split the request.",
        {"limit_bytes": limit},
    )
