"""Dependencies of the routes, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server.api.errors import ApiError
from server.config import Settings
from server.store.artifacts import ArtifactStore
from server.store.db import Tenant
from server.store.events import EventBus
from server.store.keys import authenticate

JobDispatcher = Callable[[Settings, str, str], None]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request (closed afterwards; routes commit themselves)."""
    with request.app.state.sessions() as session:
        yield session


def get_artifacts(request: Request) -> ArtifactStore:
    """The artifact store."""
    return request.app.state.artifacts


def get_event_bus(request: Request) -> EventBus:
    """The live event bus."""
    return request.app.state.events


def get_job_dispatcher() -> JobDispatcher:
    """The function that puts a job on its Celery queue (the workers' `enqueue_training_job`)."""
    from server.workers.dispatch import enqueue_training_job

    return enqueue_training_job


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifacts)]
EventBusDep = Annotated[EventBus, Depends(get_event_bus)]
DispatcherDep = Annotated[JobDispatcher, Depends(get_job_dispatcher)]


def get_current_tenant(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Tenant:
    """The tenant of the request's API key.

    Raises:
        ApiError: 401 when the key is missing, malformed, unknown or revoked.
    """
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401,
            "unauthorized",
            "Missing API key. Send the header `Authorization: Bearer <api key>` (create a key "
            "with `horn keys create --tenant NAME`).",
            headers=challenge,
        )
    tenant = authenticate(session, credentials.credentials)
    if tenant is None:
        raise ApiError(
            401,
            "unauthorized",
            "Invalid or revoked API key. Check the key, or create one with "
            "`horn keys create --tenant NAME`.",
            headers=challenge,
        )
    return tenant


CurrentTenant = Annotated[Tenant, Depends(get_current_tenant)]
