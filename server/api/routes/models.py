"""`/v1/models`: upload a model source, list, get (with source), delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from server.api.deps import (
    ArtifactsDep,
    CurrentTenant,
    SessionDep,
    SessionReleasingRoute,
    SettingsDep,
)
from server.api.errors import ApiError, not_found
from server.api.paging import DEFAULT_LIMIT, MAX_LIMIT, page_of, paginate
from server.api.schemas import ModelOut, Page
from server.api.uploads import (
    delete_unless_in_use,
    receive_upload,
    store_upload,
    storing,
    upload_request_body,
)
from server.store.db import ACTIVE_STATUSES, Job, ModelSource, Sweep, SweepStatus, new_id
from server.store.sources import ENTRY_POINT, SourceError, check_model_source

router = APIRouter(prefix="/v1/models", tags=["models"], route_class=SessionReleasingRoute)

_UPLOAD_BODY = upload_request_body({"name": {"type": "string"}})


def model_out(model: ModelSource, source: str | None = None) -> ModelOut:
    """The response body of a model source row."""
    body = ModelOut.model_validate(model, from_attributes=True)
    body.source = source
    return body


@router.post("", status_code=201, openapi_extra=_UPLOAD_BODY)
async def upload_model(
    request: Request,
    tenant: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    artifacts: ArtifactsDep,
) -> ModelOut:
    """Uploads a Python model source; it is parsed (never run) and must define `build_model`."""
    model_id = new_id("mdl")
    dest = artifacts.model_source_path(tenant.id, model_id)
    upload = await receive_upload(
        request, artifacts, dest, settings.max_source_bytes, "HORN_MAX_SOURCE_KB", {"name"}
    )
    async with storing(upload, dest, artifacts):
        filename = upload.filename or "model.py"
        if not filename.endswith(".py"):
            raise ApiError(
                422,
                "invalid_model_source",
                f"Expected a Python file ending in .py. Received: filename={filename!r}",
                {"filename": filename},
            )
        source = await run_in_threadpool(upload.file.temp_path.read_bytes)
        try:
            text = check_model_source(source, filename)
        except SourceError as error:
            raise ApiError(422, "invalid_model_source", error.message, error.details) from None
        upload.file.commit(dest)
        await store_upload(artifacts, dest)
        model = ModelSource(
            id=model_id,
            tenant_id=tenant.id,
            name=upload.fields.get("name") or filename,
            filename=filename,
            sha256=upload.file.sha256,
            size_bytes=upload.file.size_bytes,
            entry_point=ENTRY_POINT,
            path=artifacts.relative(dest),
        )
        session.add(model)
        await run_in_threadpool(session.commit)
        artifacts.evict(dest)
        return model_out(model, text)


@router.get("")
def list_models(
    tenant: CurrentTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[ModelOut]:
    """Lists the tenant's model sources, newest first (without source text)."""
    query = paginate(
        select(ModelSource).where(ModelSource.tenant_id == tenant.id), ModelSource, cursor, limit
    )
    rows, next_cursor = page_of(list(session.scalars(query)), limit)
    return Page[ModelOut](items=[model_out(row) for row in rows], next=next_cursor)


def get_tenant_model(session: SessionDep, tenant_id: str, model_id: str) -> ModelSource:
    """Returns a model source of the tenant, or raises 404."""
    model = session.get(ModelSource, model_id)
    if model is None or model.tenant_id != tenant_id:
        raise not_found("Model", model_id)
    return model


@router.get("/{model_id}")
def get_model(
    model_id: str, tenant: CurrentTenant, session: SessionDep, artifacts: ArtifactsDep
) -> ModelOut:
    """One model source, with its source text."""
    model = get_tenant_model(session, tenant.id, model_id)
    try:
        data = b"".join(artifacts.open_chunks(model.path))  # at most HORN_MAX_SOURCE_KB
    except FileNotFoundError:
        raise ApiError(
            404,
            "not_found",
            f"The source file of model {model_id!r} is missing from the artifact store. Upload "
            "it again.",
            {"model_id": model_id},
        ) from None
    return model_out(model, data.decode("utf-8-sig", errors="replace"))


@router.delete("/{model_id}", status_code=204)
def delete_model(
    model_id: str, tenant: CurrentTenant, session: SessionDep, artifacts: ArtifactsDep
) -> Response:
    """Deletes a model source; 409 while a job that is not finished uses it."""
    model = get_tenant_model(session, tenant.id, model_id)
    jobs = session.scalars(
        select(Job.id).where(Job.model_id == model_id, Job.status.in_(ACTIVE_STATUSES))
    )
    sweeps = session.scalars(
        select(Sweep.id).where(Sweep.model_id == model_id, Sweep.status == SweepStatus.RUNNING)
    )
    return delete_unless_in_use(session, artifacts, model, "Model", jobs, sweeps)
