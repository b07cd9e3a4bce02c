"""The serving process: owns the boxed predictors and answers the API's forwarded predictions.

`horn serve` (and `horn up`, as a child) runs this small ASGI app under uvicorn, on a Unix
socket in the data dir (`<data_dir>/run/serving.sock`, folder mode 700) or on
`HORN_SERVING_URL` (`http://host:port`, with `HORN_SERVING_TOKEN` required in every request).
It needs no database: the API authenticates the tenant, resolves the job's checkpoint and model
source, and forwards the client's body untouched:

    POST /predict  x-horn-target: {"job_id", "checkpoint": path, "source": path | null,
                                   "epoch", "answer": "horn" | "tf_serving"}
    <the client's JSON body>

(paths relative to the data dir, which are also the artifacts' keys: with S3 the checkpoint and
source are fetched into this process's data dir before a predictor loads them); `POST /export`
with the same header answers a `.tar.gz` of the checkpoint's TensorFlow SavedModel. The body is
parsed here and only here, and the answer is the final response body:
`{"predictions", "job_id", "epoch"}` (`horn`) or TensorFlow Serving's `{"predictions"}` /
`{"outputs"}` (`tf_serving`), which the API relays as bytes. Errors are
`{"error": {"code", "message", "details"}}` with 422 (a body or rows that do not fit the model),
413 (too many rows), 504 (the predictor did not answer within `HORN_PREDICTOR_TIMEOUT_S`), 502
(the predictor crashed or the model failed to load) or 503 (closed, sandbox or artifact store
unavailable).

Predictors run user code, so they live here, in a process that can build boxes, never in the
unprivileged API. This module never imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.api.serving import (
    REGISTRY_PREFIX,
    REGISTRY_RENEW_S,
    REGISTRY_TTL_S,
    TARGET_HEADER,
    TOKEN_HEADER,
    serving_socket,
)
from server.store.artifacts import ArtifactStore
from server.store.objects import ArtifactStoreUnavailableError
from server.workers.predictor import (
    PredictionInputError,
    PredictorBusyError,
    PredictorCrashedError,
    PredictorError,
    PredictorPool,
    PredictorTimeoutError,
    check_body,
)
from server.workers.sandbox import SandboxUnavailableError

logger = logging.getLogger("horn.serving")
# With S3, a checkpoint fetched this recently is used without asking the bucket again.
ARTIFACT_RECHECK_S = 10.0


def _error(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status)


def _plain(value: Any) -> Any:
    """What orjson cannot write itself: text arrays, NumPy scalars, bytes."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"Cannot write {type(value).__name__} as JSON")


def create_serving_app(settings: Any) -> Starlette:
    """Builds the serving app; its lifespan opens the artifact store (an unreachable bucket
    stops the start with a message naming the setting) and starts the predictor pool (and its
    warm spares)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            app.state.artifacts = await run_in_threadpool(ArtifactStore.from_settings, settings)
        except ArtifactStoreUnavailableError as error:
            logger.error("The serving process cannot start: %s", error)
            raise
        pool = PredictorPool(settings)
        app.state.pool = pool
        if settings.predictor_warm_spares > 0:
            try:
                await run_in_threadpool(pool.warm_up)
            except Exception as error:
                logger.warning("Could not start a spare predictor: %s", error)
        advertised = settings.serving_advertise_url or settings.serving_url
        registration = None
        if settings.redis_url and advertised:
            registration = Registration(settings.redis_url, advertised)
            registration.start()
        try:
            yield
        finally:
            if registration is not None:
                registration.stop()
            await run_in_threadpool(pool.close)

    def local_files(artifacts: ArtifactStore, target: dict[str, Any]) -> tuple[Path, Path | None]:
        """The local paths of a target's checkpoint and source, fetched first when missing or
        stale (S3).

        Raises:
            ValueError, KeyError, TypeError: not a target the API sends, or a file it names is
                not in the artifact store.
            ArtifactStoreUnavailableError: the bucket cannot be reached.
        """
        paths = []
        for relative in (target["checkpoint"], target.get("source")):
            if not relative:
                paths.append(None)
                continue
            try:
                paths.append(artifacts.fetch(str(relative), recheck_s=ARTIFACT_RECHECK_S))
            except FileNotFoundError:
                raise ValueError(f"{relative!r} is not a file of the artifact store") from None
        return paths[0], paths[1]

    def authorized(request: Request) -> bool:
        """Whether the request carries HORN_SERVING_TOKEN (always, when none is set)."""
        token = settings.serving_token or ""
        return not token or hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), token)

    async def forwarded_target(request: Request) -> tuple[dict[str, Any], str, Path, Path | None]:
        """The API's target header: (the target, job id, checkpoint path, source path).

        Raises:
            ValueError, KeyError, TypeError: not a target the API sends.
            ArtifactStoreUnavailableError: the bucket cannot be reached.
        """
        target = json.loads(request.headers.get(TARGET_HEADER, ""))
        if not isinstance(target, dict):
            raise ValueError("the target is not a JSON object")
        artifacts: ArtifactStore = request.app.state.artifacts
        if artifacts.is_remote:  # downloads (or a HEAD) leave the event loop
            checkpoint, source = await run_in_threadpool(local_files, artifacts, target)
        else:
            checkpoint, source = local_files(artifacts, target)
        return target, str(target["job_id"]), checkpoint, source

    def store_unavailable(error: ArtifactStoreUnavailableError) -> JSONResponse:
        logger.error("Artifact store unavailable: %s", error)
        return _error(503, "artifact_store_unavailable", str(error))

    async def predict(request: Request) -> Response:
        if not authorized(request):
            return _error(401, "unauthorized", "A wrong or missing serving token.")
        try:
            target, job_id, checkpoint, source = await forwarded_target(request)
        except (ValueError, KeyError, TypeError) as error:
            return _error(400, "bad_request", f"Not a forwarded predict request: {error}")
        except ArtifactStoreUnavailableError as error:
            return store_unavailable(error)
        try:
            payload = check_body(await request.body(), settings)
        except PredictionInputError as error:
            return _error(error.status, error.code, error.message, error.details)
        pool: PredictorPool = request.app.state.pool
        try:
            predictions = await run_in_threadpool(pool.predict, job_id, checkpoint, payload, source)
        except PredictionInputError as error:
            message = getattr(error, "message", None) or str(error)
            return _error(422, "invalid_prediction_input", message, error.details)
        except (PredictorTimeoutError, TimeoutError):
            return _error(
                504,
                "prediction_timeout",
                f"The model did not answer within {settings.predictor_timeout_s:g} s "
                "(HORN_PREDICTOR_TIMEOUT_S); its predictor was stopped. Send fewer instances "
                "or retry.",
            )
        except PredictorBusyError as error:
            return _error(503, "busy", str(error), {"job_id": job_id})
        except PredictorCrashedError as error:
            return _error(502, "predictor_crashed", str(error), {"job_id": job_id})
        except PredictorError as error:
            return _error(502, "predictor_error", str(error), {"job_id": job_id})
        except SandboxUnavailableError as error:
            return _error(503, "sandbox_unavailable", str(error))
        if target.get("answer") == "tf_serving":
            answer = {"outputs" if "inputs" in payload else "predictions": predictions}
        else:
            answer = {"predictions": predictions, "job_id": job_id, "epoch": target.get("epoch")}
        # NumPy arrays straight to JSON (no lists in between); NaN becomes null, as JSON wants.
        content = orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY, default=_plain)
        return Response(content, media_type="application/json")

    async def export(request: Request) -> Response:
        if not authorized(request):
            return _error(401, "unauthorized", "A wrong or missing serving token.")
        try:
            _, job_id, checkpoint, source = await forwarded_target(request)
        except (ValueError, KeyError, TypeError) as error:
            return _error(400, "bad_request", f"Not a forwarded export request: {error}")
        except ArtifactStoreUnavailableError as error:
            return store_unavailable(error)
        pool: PredictorPool = request.app.state.pool
        try:
            archive = await run_in_threadpool(pool.export, job_id, checkpoint, source)
        except (PredictorTimeoutError, TimeoutError):
            return _error(
                504,
                "export_timeout",
                f"The export took longer than {settings.predictor_timeout_s:g} s "
                "(HORN_PREDICTOR_TIMEOUT_S).",
            )
        except PredictorError as error:
            return _error(502, "export_failed", str(error), {"job_id": job_id})
        except SandboxUnavailableError as error:
            return _error(503, "sandbox_unavailable", str(error))
        return Response(archive, media_type="application/gzip")

    async def health(request: Request) -> JSONResponse:
        body: dict[str, Any] = {"status": "ok", "pid": os.getpid()}
        if authorized(request):
            # Which jobs' models are loaded: for the API's operators only.
            body["predictors"] = [
                {"job_id": item["job_id"], "batches": item["batches"]}
                for item in request.app.state.pool.stats()
            ]
        return JSONResponse(body)

    return Starlette(
        routes=[
            Route("/predict", predict, methods=["POST"]),
            Route("/export", export, methods=["POST"]),
            Route("/healthz", health),
        ],
        lifespan=lifespan,
    )


class Registration:
    """Keeps this serving process listed in Redis (`horn:serving:<url>`) while it runs.

    The key expires `REGISTRY_TTL_S` after the last renewal, so a process that dies drops out of
    every API's list within that time (an API that cannot reach it meanwhile tries the next).
    """

    def __init__(self, redis_url: str, url: str):
        import redis

        self.key = f"{REGISTRY_PREFIX}{url}"
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=2)
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=self._renew, name="horn-serving-registry", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def _renew(self) -> None:
        value = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
        while True:
            try:
                self.redis.set(self.key, value, ex=REGISTRY_TTL_S)
            except Exception as error:  # Redis restarting: renewed on the next round
                logger.warning("Cannot register in Redis: %s", error)
            if self.stopped.wait(REGISTRY_RENEW_S):
                return

    def stop(self) -> None:
        self.stopped.set()
        with contextlib.suppress(Exception):
            self.redis.delete(self.key)
        self.redis.close()


def run_serving(
    settings: Any, log_level: str = "warning", host: str | None = None, port: int | None = None
) -> None:
    """Runs the serving app under uvicorn until SIGINT/SIGTERM.

    It listens on `host`:`port` when given (compose: every address, as replicas of one service
    share a name), else on HORN_SERVING_URL's, else on a Unix socket in the data dir.
    """
    import urllib.parse

    import uvicorn

    app = create_serving_app(settings)
    options: dict[str, Any] = {"log_level": log_level, "access_log": False}
    if host or port or settings.serving_url:
        url = urllib.parse.urlsplit(settings.serving_url)
        options.update(host=host or url.hostname or "127.0.0.1", port=port or url.port or 8001)
    else:
        socket_path = serving_socket(settings)
        socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(socket_path.parent, 0o700)
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()
        options.update(uds=str(socket_path))
    uvicorn.run(app, **options)
