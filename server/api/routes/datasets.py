"""`/v1/datasets`: upload, list, get, delete."""

from __future__ import annotations

import os
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
from server.api.schemas import DatasetOut, Page
from server.api.uploads import (
    delete_unless_in_use,
    receive_upload,
    store_upload,
    storing,
    upload_request_body,
)
from server.store.datasets import (
    NPZ_MAX_EXPANSION,
    DatasetError,
    detect_format,
    save_npz,
    validate_dataset,
)
from server.store.db import ACTIVE_STATUSES, Dataset, Job, Sweep, SweepStatus, new_id

router = APIRouter(prefix="/v1/datasets", tags=["datasets"], route_class=SessionReleasingRoute)

_UPLOAD_BODY = upload_request_body(
    {
        "name": {"type": "string"},
        "label_column": {"type": "string", "default": "label"},
        "format": {"type": "string", "enum": ["npz", "csv"]},
    }
)


def dataset_out(dataset: Dataset) -> DatasetOut:
    """The response body of a dataset row."""
    return DatasetOut.model_validate(dataset, from_attributes=True)


@router.post("", status_code=201, openapi_extra=_UPLOAD_BODY)
async def upload_dataset(
    request: Request,
    tenant: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    artifacts: ArtifactsDep,
) -> DatasetOut:
    """Uploads a dataset (`.npz` or `.csv`), validates it and answers its summary."""
    dataset_id = new_id("ds")
    dest = artifacts.dataset_path(tenant.id, dataset_id)
    upload = await receive_upload(
        request,
        artifacts,
        dest,
        settings.max_upload_bytes,
        "HORN_MAX_UPLOAD_MB",
        {"name", "label_column", "format"},
    )
    async with storing(upload, dest, artifacts):
        try:
            fmt = detect_format(upload.filename, upload.fields.get("format") or None)
            label_column = upload.fields.get("label_column") or "label"
            validated = await run_in_threadpool(
                validate_dataset,
                upload.file.temp_path,
                fmt,
                label_column,
                settings.max_upload_bytes * NPZ_MAX_EXPANSION,
            )
        except DatasetError as error:
            raise ApiError(422, "invalid_dataset", error.message, error.details) from None
        if validated.arrays is not None:
            converted = artifacts.temp_path_for(dest)
            try:
                await run_in_threadpool(save_npz, converted, validated.arrays)
                os.replace(converted, dest)
            finally:
                converted.unlink(missing_ok=True)
        else:
            upload.file.commit(dest)
        await store_upload(artifacts, dest)
        dataset = Dataset(
            id=dataset_id,
            tenant_id=tenant.id,
            name=upload.fields.get("name") or upload.filename or dataset_id,
            filename=upload.filename or f"{dataset_id}.{fmt}",
            format=fmt,
            sha256=upload.file.sha256,
            size_bytes=upload.file.size_bytes,
            summary=validated.summary,
            path=artifacts.relative(dest),
        )
        session.add(dataset)
        await run_in_threadpool(session.commit)
        artifacts.evict(dest)
        return dataset_out(dataset)


@router.get("")
def list_datasets(
    tenant: CurrentTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[DatasetOut]:
    """Lists the tenant's datasets, newest first."""
    query = paginate(select(Dataset).where(Dataset.tenant_id == tenant.id), Dataset, cursor, limit)
    rows, next_cursor = page_of(list(session.scalars(query)), limit)
    return Page[DatasetOut](items=[dataset_out(row) for row in rows], next=next_cursor)


def get_tenant_dataset(session: SessionDep, tenant_id: str, dataset_id: str) -> Dataset:
    """Returns a dataset of the tenant, or raises 404."""
    dataset = session.get(Dataset, dataset_id)
    if dataset is None or dataset.tenant_id != tenant_id:
        raise not_found("Dataset", dataset_id)
    return dataset


@router.get("/{dataset_id}")
def get_dataset(dataset_id: str, tenant: CurrentTenant, session: SessionDep) -> DatasetOut:
    """One dataset with its summary."""
    return dataset_out(get_tenant_dataset(session, tenant.id, dataset_id))


@router.delete("/{dataset_id}", status_code=204)
def delete_dataset(
    dataset_id: str, tenant: CurrentTenant, session: SessionDep, artifacts: ArtifactsDep
) -> Response:
    """Deletes a dataset and its file; 409 while a job that is not finished uses it."""
    dataset = get_tenant_dataset(session, tenant.id, dataset_id)
    jobs = session.scalars(
        select(Job.id).where(Job.dataset_id == dataset_id, Job.status.in_(ACTIVE_STATUSES))
    )
    sweeps = session.scalars(
        select(Sweep.id).where(Sweep.dataset_id == dataset_id, Sweep.status == SweepStatus.RUNNING)
    )
    return delete_unless_in_use(session, artifacts, dataset, "Dataset", jobs, sweeps)
