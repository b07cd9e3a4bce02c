"""`/v1/sweeps`: hyperparameter sweeps whose trials are ordinary jobs (docs/experiments.md)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import ValidationError
from sqlalchemy import select

from server.api.deps import (
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
from server.api.routes.jobs import check_some_worker_has_gpus, max_runtime_of, publish_status
from server.api.routes.models import get_tenant_model
from server.api.schemas import Page, SweepCreate, SweepOut, TrainingSettings, TrialOut
from server.store import sweeps as sweep_store
from server.store.db import Job, Sweep, SweepStatus
from server.store.jobs import mark_enqueued

router = APIRouter(prefix="/v1/sweeps", tags=["sweeps"], route_class=SessionReleasingRoute)
logger = logging.getLogger("horn.api")


def trial_out(trial: sweep_store.Trial) -> TrialOut:
    job = trial.job
    return TrialOut(
        index=trial.index,
        job_id=job.id,
        hyperparameters=trial.hyperparameters,
        status=job.status,
        reason=job.reason,
        message=job.message,
        epoch=job.epoch,
        epochs=job.epochs,
        best_metric=trial.best_metric,
        best_epoch=trial.best_epoch,
        metrics=job.metrics,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def sweep_out(session: SessionDep, sweep: Sweep, with_trials: bool) -> SweepOut:
    """The response body of a sweep (with its trials for one sweep, without in lists)."""
    trials = sweep_store.trials_of(session, sweep)
    best = sweep_store.best_of(trials, sweep.mode)
    return SweepOut(
        id=sweep.id,
        name=sweep.name,
        status=sweep.status,
        reason=sweep.reason,
        message=sweep.message,
        model_id=sweep.model_id,
        dataset_id=sweep.dataset_id,
        hyperparameters=sweep.hyperparameters,
        training=sweep.training,
        resources=sweep.resources,
        max_runtime_s=sweep.max_runtime_s,
        space=sweep.space,
        searcher=sweep.searcher,
        metric=sweep.metric,
        mode=sweep.mode,
        max_trials=sweep.max_trials,
        max_concurrent_trials=sweep.max_concurrent_trials,
        priority=sweep.priority,
        created_at=sweep.created_at,
        updated_at=sweep.updated_at,
        finished_at=sweep.finished_at,
        counts=sweep_store.trial_counts(trials),
        best_trial=trial_out(best) if best is not None else None,
        trials=[trial_out(trial) for trial in trials] if with_trials else None,
    )


def get_tenant_sweep(session: SessionDep, tenant_id: str, sweep_id: str) -> Sweep:
    """Returns a sweep of the tenant, or raises 404."""
    sweep = session.get(Sweep, sweep_id)
    if sweep is None or sweep.tenant_id != tenant_id:
        raise not_found("Sweep", sweep_id)
    return sweep


def send_trials(session: SessionDep, settings: Any, dispatch: Any, created: list) -> None:
    """Sends the messages of new trials; a trial whose message could not go stays unsent (the
    reconciler sends it once the broker answers)."""
    for job_id, queue in created:
        try:
            dispatch(settings, job_id, queue)
        except Exception as error:
            logger.warning("Could not enqueue trial %s: %s", job_id, error)
            continue
        mark_enqueued(session, job_id, sent=True)
    session.commit()


def _invalid(message: str, details: dict[str, Any]) -> ApiError:
    return ApiError(422, "validation_error", message, details)


def check_sweep(body: SweepCreate) -> int:
    """Checks what the body's schema cannot check alone; returns the sweep's `max_trials`.

    Raises:
        ApiError: 422 naming the field and what to do.
    """
    searcher = body.searcher.name
    max_trials = body.max_trials
    if searcher == "grid":
        try:
            size = sweep_store.grid_size(body.space)
        except ValueError as error:
            raise _invalid(str(error), {"searcher": searcher}) from None
        max_trials = min(max_trials or size, size)
    elif max_trials is None:
        raise _invalid(
            f"The {searcher} searcher needs `max_trials`: how many trials to draw.",
            {"searcher": searcher},
        )
    if searcher == "asha" and not sweep_store.rungs(
        body.searcher.model_dump(), body.training.epochs
    ):
        raise _invalid(
            f"ASHA stops trials at rungs of min_epochs * reduction_factor**k epochs below "
            f"training.epochs; with min_epochs={body.searcher.min_epochs} and "
            f"training.epochs={body.training.epochs} there is none. Raise training.epochs.",
            {"min_epochs": body.searcher.min_epochs, "epochs": body.training.epochs},
        )
    training = body.training.model_dump()
    for name, spec in body.space.items():
        if not name.startswith(sweep_store.TRAINING_PREFIX):
            continue
        setting = name[len(sweep_store.TRAINING_PREFIX) :]
        if setting not in TrainingSettings.model_fields:
            raise _invalid(
                f"Parameter {name!r} names no training setting. Expected one of "
                f"{sorted(TrainingSettings.model_fields)}.",
                {"parameter": name},
            )
        values = spec["values"] if spec["type"] == "choice" else [spec["low"], spec["high"]]
        for value in values:
            try:
                TrainingSettings.model_validate({**training, setting: value})
            except ValidationError as error:
                problem = error.errors()[0]["msg"]
                raise _invalid(
                    f"Parameter {name!r}: the value {value!r} is not a valid {setting}: {problem}.",
                    {"parameter": name, "value": value},
                ) from None
    return max_trials


@router.post("", status_code=201)
def create_sweep(
    body: SweepCreate,
    tenant: CurrentTenant,
    session: SessionDep,
    settings: SettingsDep,
    events: EventBusDep,
    dispatch: DispatcherDep,
) -> SweepOut:
    """Creates a sweep and queues its first `max_concurrent_trials` trials."""
    get_tenant_model(session, tenant.id, body.model_id)
    get_tenant_dataset(session, tenant.id, body.dataset_id)
    max_trials = check_sweep(body)
    max_runtime_s = max_runtime_of(settings, body.max_runtime_s)
    resources = body.resources.model_dump()
    if resources["gpus"]:
        check_some_worker_has_gpus(session, resources["gpus"])
    sweep = Sweep(
        tenant_id=tenant.id,
        model_id=body.model_id,
        dataset_id=body.dataset_id,
        name=body.name,
        status=SweepStatus.RUNNING,
        reason="created",
        message=f"Running up to {body.max_concurrent_trials} of {max_trials} trials at a time.",
        hyperparameters=body.hyperparameters,
        training=body.training.model_dump(),
        resources=resources,
        max_runtime_s=max_runtime_s,
        space=body.space,
        searcher=body.searcher.model_dump(),
        metric=body.metric,
        mode=body.mode,
        max_trials=max_trials,
        max_concurrent_trials=body.max_concurrent_trials,
        priority=body.priority,
    )
    session.add(sweep)
    session.flush()
    advanced = sweep_store.advance_sweep(session, sweep.id)
    session.commit()
    for job_id, _ in advanced.created:
        publish_status(events, session.get(Job, job_id))
    send_trials(session, settings, dispatch, advanced.created)
    session.refresh(sweep)
    return sweep_out(session, sweep, with_trials=True)


@router.get("")
def list_sweeps(
    tenant: CurrentTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[SweepOut]:
    """Lists the tenant's sweeps, newest first, without their trials."""
    query = select(Sweep).where(Sweep.tenant_id == tenant.id)
    rows, next_cursor = page_of(list(session.scalars(paginate(query, Sweep, cursor, limit))), limit)
    return Page[SweepOut](
        items=[sweep_out(session, row, with_trials=False) for row in rows], next=next_cursor
    )


@router.get("/{sweep_id}")
def get_sweep(sweep_id: str, tenant: CurrentTenant, session: SessionDep) -> SweepOut:
    """A sweep with its trials (sampled values, state, best metric) and its best trial."""
    return sweep_out(session, get_tenant_sweep(session, tenant.id, sweep_id), with_trials=True)


@router.post("/{sweep_id}/cancel")
def cancel_sweep(
    sweep_id: str, tenant: CurrentTenant, session: SessionDep, events: EventBusDep
) -> SweepOut:
    """Cancels a sweep and its unfinished trials. Idempotent: an ended sweep stays as it is."""
    sweep = get_tenant_sweep(session, tenant.id, sweep_id)
    changed = sweep_store.cancel_sweep(session, sweep_id)
    session.commit()
    for job_id in changed:
        publish_status(events, session.get(Job, job_id))
    session.refresh(sweep)
    return sweep_out(session, sweep, with_trials=True)
