"""Every error answers JSON `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import errno
import logging
import os
import shutil
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("horn.api")


class ApiError(Exception):
    """An error answered to the client with a status, a machine code and a human message.

    Args:
        status_code: the HTTP status.
        code: a short snake_case code, e.g. `not_found`.
        message: what was wrong and what to do.
        details: optional JSON-able specifics (the offending values).
        headers: optional response headers.
    """

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def not_found(kind: str, resource_id: str) -> ApiError:
    """A 404 for a resource that does not exist or belongs to another tenant."""
    return ApiError(
        404,
        "not_found",
        f"{kind} {resource_id!r} not found. Check the id (list them with GET /v1/...).",
        {"kind": kind.lower(), "id": resource_id},
    )


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Builds the JSON error response."""
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}
    return JSONResponse(body, status_code=status_code, headers=headers)


async def _api_error(request: Request, error: ApiError) -> JSONResponse:
    return error_response(
        error.status_code, error.code, error.message, error.details, error.headers
    )


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg"), "type": item.get("type")}
        for item in error.errors()
    ]
    summary = "; ".join(
        ".".join(str(part) for part in problem["loc"]) + f": {problem['msg']}"
        for problem in problems
    )
    return error_response(
        422, "validation_error", f"The request is invalid: {summary}", {"errors": problems}
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    status = HTTPStatus(error.status_code)
    code = status.phrase.lower().replace(" ", "_").replace("-", "_")
    if error.status_code == 404:
        message = f"No route matches {request.method} {request.url.path}. See /docs for the API."
    elif error.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}. See /docs for the API."
    else:
        message = str(error.detail) if error.detail else status.phrase
    return error_response(error.status_code, code, message, None, getattr(error, "headers", None))


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def disk_full(folder: os.PathLike[str] | str) -> ApiError:
    """The 507 answered when the disk under `folder` is full (nothing was stored)."""
    folder = str(folder)
    free = shutil.disk_usage(folder).free if os.path.isdir(folder) else None
    return ApiError(
        507,
        "insufficient_storage",
        f"The server's disk is full ({free} bytes free in {folder}); nothing was stored. Try "
        "again later, or ask the operator to free space.",
        {"data_dir": folder, "free_bytes": free},
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    locked = isinstance(error, sqlalchemy.exc.OperationalError) and "database is locked" in str(
        error
    )
    if isinstance(error, sqlalchemy.exc.TimeoutError) or locked:
        # Every database connection stayed busy for HORN_API_DB_WAIT_S, or SQLite refused one
        # more writer: back-pressure, the client retries (PostgreSQL serves heavy writes).
        return await _api_error(
            request,
            ApiError(
                503,
                "busy",
                "The server is busy (no database connection freed up in time). Retry shortly.",
                headers={"Retry-After": "1"},
            ),
        )
    if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
        settings = getattr(request.app.state, "settings", None)
        logger.error("Disk full on %s %s: %s", request.method, request.url.path, error)
        return await _api_error(request, disk_full(getattr(settings, "data_dir", None) or "/"))
    logger.exception("Unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        500,
        "internal_error",
        "An unexpected error happened on the server; it has been logged. Please report it.",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Registers the JSON error handlers on `app`."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
