"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.api.deps import AuthCache
from server.api.errors import ApiError, error_response, install_error_handlers
from server.api.routes import datasets, events, health, jobs, models, predict, session, sweeps
from server.api.serving import ServingDirectory
from server.config import Settings, get_settings
from server.store.artifacts import TEMP_SWEEP_INTERVAL_S, ArtifactStore
from server.store.db import make_engine, session_factory, session_scope
from server.store.events import make_event_bus
from server.store.keys import ensure_api_key
from server.store.migrate import upgrade_database
from server.store.objects import ArtifactMissingError, ArtifactStoreUnavailableError

logger = logging.getLogger("horn.api")
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# The web page's policy (also in its <meta> tag); every response forbids being framed.
WEB_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """ASGI middleware adding nosniff, no framing and no referrer to every response, and the
    web page's Content-Security-Policy to the page and its files (the API docs load Swagger UI
    from a CDN, so they get `frame-ancestors 'none'` only)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        web = path == "/" or path.startswith("/web")
        policy = WEB_PAGE_POLICY if web else "frame-ancestors 'none'"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in (
                    *SECURITY_HEADERS,
                    (b"content-security-policy", policy.encode()),
                ):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestCounter:
    """ASGI middleware counting requests by method, route template and status code."""

    def __init__(self, app: ASGIApp, counter: Counter):
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.counter[(scope["method"], path, str(status))] += 1


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the API app. Its lifespan applies migrations, creates the bootstrap key, the
    event bus and the client of the serving process (which owns the predictors).

    Args:
        settings: the settings; `get_settings()` if None.

    Returns:
        The FastAPI application.
    """
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(upgrade_database, settings.database_url)
        # Threads and connections are sized together (see `api_db_connections`); a request
        # that cannot get a connection in `api_db_wait_s` answers 503, never hangs.
        to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        engine = make_engine(
            settings.database_url,
            pool_size=max(1, settings.api_db_connections // 2),
            max_overflow=settings.api_db_connections - max(1, settings.api_db_connections // 2),
            pool_timeout=settings.api_db_wait_s,
        )
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        try:
            app.state.artifacts = await run_in_threadpool(ArtifactStore.from_settings, settings)
        except ArtifactStoreUnavailableError as error:
            logger.error("The API cannot start: %s", error)
            engine.dispose()
            raise
        app.state.events = make_event_bus(settings, app.state.sessions)
        if settings.is_filesystem_broker:
            settings.broker_transport_options  # noqa: B018 - creates the broker's folders
        if settings.bootstrap_api_key:
            with session_scope(app.state.sessions) as session:
                ensure_api_key(session, settings.bootstrap_tenant, settings.bootstrap_api_key)
        app.state.serving = ServingDirectory(settings)
        app.state.predict_targets = predict.TargetCache()
        sweeper = asyncio.create_task(sweep_temp_files(app.state.artifacts))
        try:
            yield
        finally:
            sweeper.cancel()
            await app.state.serving.aclose()
            aclose = getattr(app.state.events, "aclose", None)
            if aclose is not None:
                await aclose()
            app.state.events.close()
            engine.dispose()

    app = FastAPI(
        title="Horn",
        summary="Keras-style training as a service.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from the package: no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.http_requests = Counter()
    app.state.auth_cache = AuthCache(settings.auth_cache_s)
    install_error_handlers(app)
    app.add_exception_handler(ArtifactMissingError, _artifact_missing)
    app.add_exception_handler(ArtifactStoreUnavailableError, _artifact_store_unavailable)
    for module in (datasets, models, jobs, sweeps, predict, events, health, session):
        app.include_router(module.router)
    _mount_web(app)
    app.add_middleware(RequestCounter, counter=app.state.http_requests)
    app.add_middleware(SecurityHeaders)
    return app


async def _artifact_missing(request: Request, error: ArtifactMissingError) -> JSONResponse:
    """A file the database names is gone from the artifact store: 404, as for a deleted row."""
    return error_response(
        404,
        "not_found",
        f"The file {error.key!r} is missing from the artifact store.",
        {"key": error.key},
    )


async def _artifact_store_unavailable(
    request: Request, error: ArtifactStoreUnavailableError
) -> JSONResponse:
    """The object storage cannot be reached: 503 with Retry-After, the message names the
    setting to check."""
    logger.error("Artifact store unavailable on %s %s: %s", request.method, request.url.path, error)
    return error_response(
        503,
        "artifact_store_unavailable",
        f"The artifact store cannot be used right now; retry later. {error}",
        headers={"Retry-After": "5"},
    )


async def sweep_temp_files(artifacts: ArtifactStore) -> None:
    """Removes the temporary files of writes that died, at start and then periodically."""
    while True:
        try:
            removed = await run_in_threadpool(artifacts.sweep_temp_files)
            if removed:
                logger.info("Removed %d abandoned temporary files", len(removed))
        except Exception:
            logger.exception("Sweeping temporary files failed; trying again later")
        await asyncio.sleep(TEMP_SWEEP_INTERVAL_S)


def _mount_web(app: FastAPI) -> None:
    """Serves the web page at `/`, its files under `/web`, and the API docs at `/docs` with
    the Swagger UI files shipped in `server/web/vendor/swagger-ui` (nothing from a CDN)."""

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="Horn API",
            swagger_js_url="/web/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/web/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="data:,",
        )

    index = WEB_DIR / "index.html"

    @app.get("/", include_in_schema=False)
    def web_page() -> FileResponse:
        if not index.is_file():
            raise ApiError(404, "not_found", "The web page is not installed on this server.")
        return FileResponse(index, media_type="text/html")

    if WEB_DIR.is_dir():
        app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")
