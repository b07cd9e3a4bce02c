"""`/v1/session`: sign the web page in with an API key (a session cookie), who is signed in,
sign out. See docs/web.md."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from server.api.deps import SessionDep, SessionReleasingRoute, auth_limiter, tenant_of_key_id
from server.api.errors import ApiError
from server.api.sessions import (
    CSRF_HEADER,
    SESSION_COOKIE,
    BrowserSession,
    SessionSigner,
    check_csrf,
    check_same_origin,
    get_signer,
)
from server.store.db import ApiKey, Tenant
from server.store.keys import authenticate, hash_api_key

router = APIRouter(prefix="/v1/session", tags=["session"], route_class=SessionReleasingRoute)


class SignIn(BaseModel):
    """Body of `POST /v1/session`."""

    model_config = ConfigDict(extra="forbid")

    api_key: str = Field(min_length=1, max_length=500)


class TenantOut(BaseModel):
    """The signed-in tenant."""

    id: str
    name: str


class SessionOut(BaseModel):
    """Who is signed in; `csrf_token` goes into the `X-Horn-CSRF` header of changes."""

    authenticated: bool
    tenant: TenantOut | None = None
    key_prefix: str | None = None
    expires_at: datetime | None = None
    csrf_token: str | None = None
    csrf_header: str = CSRF_HEADER


def _session_out(
    signer: SessionSigner, browser_session: BrowserSession, tenant: Tenant, key_prefix: str | None
) -> SessionOut:
    return SessionOut(
        authenticated=True,
        tenant=TenantOut(id=tenant.id, name=tenant.name),
        key_prefix=key_prefix,
        expires_at=datetime.fromtimestamp(browser_session.expires_at, tz=timezone.utc),
        csrf_token=signer.csrf_token(browser_session),
    )


@router.post("", responses={401: {"description": "Invalid or revoked API key"}})
async def sign_in(
    body: SignIn, request: Request, response: Response, session: SessionDep
) -> SessionOut:
    """Checks an API key and sets the `horn_session` cookie (HttpOnly, SameSite=Strict)."""
    check_same_origin(request)
    key = body.api_key.strip()
    limiter = auth_limiter(request)
    limiter.check(request)
    tenant = await run_in_threadpool(authenticate, session, key)
    if tenant is None:
        limiter.failed(request)
        raise ApiError(
            401,
            "unauthorized",
            "Invalid or revoked API key. Check the key (`horn up` prints one), or create one "
            "with `horn keys create --tenant NAME`.",
        )
    api_key = await run_in_threadpool(
        session.scalar, select(ApiKey).where(ApiKey.key_hash == hash_api_key(key))
    )
    signer = get_signer(request)
    value, browser_session = signer.issue(api_key.id)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=signer.ttl_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return _session_out(signer, browser_session, tenant, api_key.prefix)


@router.get("")
async def who_is_signed_in(request: Request, session: SessionDep) -> SessionOut:
    """The tenant of the session cookie, with the CSRF token; `authenticated` false if none."""
    value = request.cookies.get(SESSION_COOKIE)
    signer = get_signer(request)
    browser_session = signer.verify(value) if value else None
    if browser_session is None:
        return SessionOut(authenticated=False)
    tenant = await tenant_of_key_id(request, session, browser_session.key_id)
    if tenant is None:
        return SessionOut(authenticated=False)
    api_key = await run_in_threadpool(session.get, ApiKey, browser_session.key_id)
    return _session_out(signer, browser_session, tenant, api_key.prefix if api_key else None)


@router.delete("", status_code=204)
async def sign_out(request: Request) -> Response:
    """Ends the cookie's session and clears the cookie (needs the CSRF header if signed in)."""
    check_same_origin(request)
    value = request.cookies.get(SESSION_COOKIE)
    signer = get_signer(request)
    browser_session = signer.verify(value) if value else None
    if browser_session is not None:
        check_csrf(request, signer, browser_session)
        signer.sign_out(browser_session)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response
