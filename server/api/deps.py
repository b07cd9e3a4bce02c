"""Dependencies of the routes, as `Annotated` aliases."""

from __future__ import annotations

import collections
import functools
import inspect
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from server.api.errors import ApiError
from server.api.sessions import SESSION_COOKIE, check_csrf, get_signer
from server.config import Settings
from server.store.artifacts import ArtifactStore
from server.store.db import ApiKey, Tenant
from server.store.events import EventBus
from server.store.keys import authenticate, hash_api_key

JobDispatcher = Callable[[Settings, str, str], None]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A database session for one request (closed afterwards; routes commit themselves).

    Opening and closing run on the event loop: opening does no I/O and closing only hands the
    connection back to the pool (a rollback), which never waits for another request. Queries
    run in worker threads (sync routes, `run_in_threadpool`), so a wait for a pooled connection
    never blocks the loop.
    """
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


async def get_artifacts(request: Request) -> ArtifactStore:
    """The artifact store."""
    return request.app.state.artifacts


async def get_event_bus(request: Request) -> EventBus:
    """The live event bus."""
    return request.app.state.events


async def get_job_dispatcher() -> JobDispatcher:
    """The function that puts a job on its Celery queue (the workers' `enqueue_training_job`)."""
    from server.workers.dispatch import enqueue_training_job

    return enqueue_training_job


# Dependencies without I/O are `async def` so that FastAPI does not send them to a thread.
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


class SessionReleasingRoute(APIRoute):
    """A route whose sync endpoint closes its database session as soon as it returns.

    FastAPI runs a sync endpoint in a worker thread and then validates its response in another
    worker thread, before the session dependency closes. Under load every worker thread can be
    an endpoint waiting for a connection while every connection belongs to a finished endpoint
    waiting for a thread: nothing moves until the pool times out (issue 12: 500s at 60 clients).
    Closing the session in the endpoint's own thread hands the connection back first. Routes
    build their response models inside the endpoint, so nothing lazy-loads after the close.
    """

    def __init__(self, path: str, endpoint: Any, **kwargs: Any):
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _closing_sessions(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _closing_sessions(endpoint: Any) -> Any:
    @functools.wraps(endpoint)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in (*args, *kwargs.values()):
                if isinstance(value, Session):
                    value.close()

    return call


ArtifactsDep = Annotated[ArtifactStore, Depends(get_artifacts)]
EventBusDep = Annotated[EventBus, Depends(get_event_bus)]
DispatcherDep = Annotated[JobDispatcher, Depends(get_job_dispatcher)]


class AuthCache:
    """Remembers recently validated API keys (by hash) for `ttl_s` seconds.

    A revoked key keeps working for at most `ttl_s` seconds (`HORN_AUTH_CACHE_S`).
    """

    def __init__(self, ttl_s: float, max_entries: int = 10_000):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Tenant]] = {}

    def get(self, key_hash: str) -> Tenant | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key_hash: str, tenant: Tenant) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key_hash] = (time.monotonic() + self.ttl_s, tenant)


class FailedAuthLimiter:
    """Counts failed key checks per client address over a sliding minute.

    Args:
        per_minute: failures allowed per address and minute; the next ones answer 429.
        max_clients: addresses remembered at once (the oldest are forgotten first).
    """

    def __init__(self, per_minute: int, max_clients: int = 10_000):
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._failures: dict[str, collections.deque[float]] = {}

    def check(self, request: Request) -> None:
        """Raises 429 when the request's address failed too often in the last minute."""
        failures = self._recent(request)
        if len(failures) >= self.per_minute:
            retry_after = max(1, int(failures[0] + 60 - time.monotonic()) + 1)
            raise ApiError(
                429,
                "too_many_failed_attempts",
                f"More than {self.per_minute} wrong or missing API keys from this address in a "
                f"minute (HORN_AUTH_FAILURES_PER_MINUTE). Try again in {retry_after} s.",
                {"retry_after_s": retry_after},
                headers={"Retry-After": str(retry_after)},
            )

    def failed(self, request: Request) -> None:
        """Records a failed key check of the request's address."""
        self._recent(request).append(time.monotonic())
        while len(self._failures) > self.max_clients:
            self._failures.pop(next(iter(self._failures)))

    def _recent(self, request: Request) -> collections.deque[float]:
        address = request.client.host if request.client else "unknown"
        failures = self._failures.setdefault(address, collections.deque())
        while failures and failures[0] < time.monotonic() - 60:
            failures.popleft()
        return failures


def auth_limiter(request: Request) -> FailedAuthLimiter:
    """The app's limiter of failed key checks (made on first use)."""
    limiter = getattr(request.app.state, "auth_limiter", None)
    if limiter is None:
        settings = request.app.state.settings
        limiter = request.app.state.auth_limiter = FailedAuthLimiter(
            settings.auth_failures_per_minute
        )
    return limiter


def released(session: Session, query: Any, *args: Any) -> Any:
    """Runs `query(session, *args)` and ends the session's transaction at once.

    Its connection goes back to the pool before the route runs: a request that waits for a
    thread then holds no connection that a running thread may be waiting for.
    """
    try:
        return query(session, *args)
    finally:
        # A commit, not a rollback: a rollback would expire the tenant it read (and cached).
        session.commit()


async def get_current_tenant(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Tenant:
    """The tenant of the request's API key, or of the web page's session cookie.

    A Bearer key wins over the cookie. A cookie-authenticated request that changes state must
    come from this server's own page (see `server.api.sessions.check_csrf`).

    Raises:
        ApiError: 401 when the key is missing, malformed, unknown or revoked; 403 when a
            cookie-authenticated request fails the CSRF check.
    """
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None and request.cookies.get(SESSION_COOKIE):
        return await tenant_of_session_cookie(request, session)
    limiter = auth_limiter(request)
    if credentials is None or not credentials.credentials:
        limiter.check(request)
        limiter.failed(request)
        raise ApiError(
            401,
            "unauthorized",
            "Missing API key. Send the header `Authorization: Bearer <api key>` (create a key "
            "with `horn keys create --tenant NAME`).",
            headers=challenge,
        )
    cache: AuthCache = request.app.state.auth_cache
    key_hash = hash_api_key(credentials.credentials)
    tenant = cache.get(key_hash)
    if tenant is not None:
        return tenant
    limiter.check(request)
    tenant = await run_in_threadpool(released, session, authenticate, credentials.credentials)
    if tenant is None:
        limiter.failed(request)
        raise ApiError(
            401,
            "unauthorized",
            "Invalid or revoked API key. Check the key, or create one with "
            "`horn keys create --tenant NAME`.",
            headers=challenge,
        )
    cache.put(key_hash, tenant)
    return tenant


async def tenant_of_session_cookie(request: Request, session: Session) -> Tenant:
    """The tenant of the web page's session cookie, after the CSRF check.

    Raises:
        ApiError: 401 when the session is invalid, expired or its key revoked; 403 on CSRF.
    """
    signer = get_signer(request)
    browser_session = signer.verify(request.cookies[SESSION_COOKIE])
    if browser_session is None:
        raise ApiError(
            401,
            "unauthorized",
            "Your session has expired or is invalid. Sign in again with your API key.",
        )
    check_csrf(request, signer, browser_session)
    tenant = await tenant_of_key_id(request, session, browser_session.key_id)
    if tenant is None:
        raise ApiError(
            401,
            "unauthorized",
            "The API key of this session was revoked. Sign in again with a valid key.",
        )
    return tenant


async def tenant_of_key_id(request: Request, session: Session, key_id: str) -> Tenant | None:
    """The tenant of the unrevoked API key row `key_id` (cached like Bearer keys), or None."""
    cache: AuthCache = request.app.state.auth_cache
    cache_key = f"key-id:{key_id}"
    tenant = cache.get(cache_key)
    if tenant is not None:
        return tenant

    def lookup(session: Session) -> Tenant | None:
        api_key = session.get(ApiKey, key_id)
        if api_key is None or api_key.revoked_at is not None:
            return None
        return session.get(Tenant, api_key.tenant_id)

    tenant = await run_in_threadpool(released, session, lookup)
    if tenant is not None:
        cache.put(cache_key, tenant)
    return tenant


CurrentTenant = Annotated[Tenant, Depends(get_current_tenant)]
