"""Multipart uploads streamed straight to disk, with the size limit enforced while streaming.

Starlette's own form parser spools a whole file before a route sees it; this parser writes the
`file` part into a `PendingUpload` beside its destination as the bytes arrive and stops as soon
as the limit is passed. An accepted file is renamed to its destination and put in the artifact
store (`store_upload`: an upload for S3, after which the API's local copy goes).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from server.api.errors import DISK_FULL_ERRNOS, ApiError, disk_full
from server.store.artifacts import ArtifactStore, PendingUpload, UploadTooLargeError
from server.store.objects import ArtifactStoreUnavailableError

logger = logging.getLogger("horn.api")

MAX_FIELD_BYTES = 64 * 1024
# The database columns the upload's name and file name are stored in.
MAX_NAME_CHARS = 200
MAX_FILENAME_CHARS = 255
# After the limit is passed, up to this many more bytes are read (and dropped) so that the client
# receives the 413 instead of a connection reset while it is still sending.
DRAIN_BYTES = 16 * 1024 * 1024
FILE_FIELD = "file"


@dataclass
class ReceivedUpload:
    """The text fields of a multipart body and its `file` part in a pending temporary file."""

    fields: dict[str, str] = field(default_factory=dict)
    file: PendingUpload | None = None
    filename: str | None = None

    def discard(self) -> None:
        """Deletes the temporary file unless it was committed."""
        if self.file is not None:
            self.file.discard()


def too_large(limit_bytes: int, limit_setting: str) -> ApiError:
    """The 413 answered when an upload passes `limit_bytes` (set by `limit_setting`)."""
    return ApiError(
        413,
        "payload_too_large",
        f"The upload is larger than the limit of {limit_bytes} bytes "
        f"({limit_bytes / 1024 / 1024:g} MiB). Upload a smaller file; the server's limit is "
        f"{limit_setting}.",
        {"limit_bytes": limit_bytes},
    )


class _Collector:
    """python-multipart callbacks that route the `file` part to disk and fields to memory."""

    def __init__(self, store: ArtifactStore, dest: Path, limit_bytes: int, allowed: set[str]):
        self.store = store
        self.dest = dest
        self.limit_bytes = limit_bytes
        self.allowed = allowed
        self.result = ReceivedUpload()
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._is_file = False
        self._buffer = bytearray()

    def on_part_begin(self) -> None:
        self._headers = {}
        self._name = None
        self._is_file = False
        self._buffer = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if name == FILE_FIELD:
            if self.result.file is not None:
                raise ApiError(
                    422, "invalid_upload", f"Send one file only, in the field {FILE_FIELD!r}."
                )
            self._is_file = True
            self.result.filename = (
                Path(filename.decode("utf-8", "replace")).name if filename else None
            )
            self.result.file = self.store.start_upload(self.dest, self.limit_bytes)
        elif name not in self.allowed:
            raise ApiError(
                422,
                "invalid_upload",
                f"Unexpected form field {name!r}. Expected {FILE_FIELD!r} and optionally "
                f"{sorted(self.allowed)}.",
                {"field": name, "allowed": [FILE_FIELD, *sorted(self.allowed)]},
            )
        self._name = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.result.file.write(data[start:end])
            return
        self._buffer += data[start:end]
        if len(self._buffer) > MAX_FIELD_BYTES:
            raise ApiError(
                422,
                "invalid_upload",
                f"Form field {self._name!r} is longer than {MAX_FIELD_BYTES} bytes.",
                {"field": self._name},
            )

    def on_part_end(self) -> None:
        if not self._is_file and self._name is not None:
            try:
                self.result.fields[self._name] = self._buffer.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(
                    422,
                    "invalid_upload",
                    f"Form field {self._name!r} is not UTF-8 text.",
                    {"field": self._name},
                ) from None

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }


async def receive_upload(
    request: Request,
    store: ArtifactStore,
    dest: Path,
    limit_bytes: int,
    limit_setting: str,
    allowed_fields: set[str],
) -> ReceivedUpload:
    """Streams a multipart body: the `file` part into a temporary file beside `dest`.

    The caller validates, then commits `result.file` to `dest` or calls `result.discard()`.

    Args:
        request: the request whose body is read.
        store: the artifact store (the temporary file goes beside `dest`).
        dest: where the file will be stored if it is accepted.
        limit_bytes: largest accepted file.
        limit_setting: the environment variable that sets the limit, for the message.
        allowed_fields: names of the text fields accepted beside `file`.

    Raises:
        ApiError: 415 for a body that is not multipart, 413 past `limit_bytes` (nothing is
            kept), 422 for a missing file, unexpected fields or a malformed body.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Expected a multipart/form-data body with the file in the field 'file' (e.g. "
            "`curl -F file=@data.npz`). Received content type: "
            f"{request.headers.get('content-type')!r}",
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit_bytes + DRAIN_BYTES:
        raise too_large(limit_bytes, limit_setting)

    collector = _Collector(store, dest, limit_bytes, allowed_fields)
    parser = MultipartParser(boundary, collector.callbacks())
    overflow = 0
    try:
        async for chunk in request.stream():
            if overflow:
                overflow += len(chunk)
                if overflow > DRAIN_BYTES:
                    break
                continue
            try:
                parser.write(chunk)
            except UploadTooLargeError:
                collector.result.discard()
                overflow = len(chunk)
        if overflow:
            raise too_large(limit_bytes, limit_setting)
        parser.finalize()
    except ClientDisconnect:
        collector.result.discard()
        raise ApiError(400, "client_disconnected", "The client closed the upload early.") from None
    except FormParserError as error:
        collector.result.discard()
        raise ApiError(
            422, "invalid_upload", f"The multipart body cannot be parsed: {error}"
        ) from None
    except OSError as error:
        collector.result.discard()
        if error.errno in DISK_FULL_ERRNOS:
            raise disk_full(store.root) from None
        raise
    except BaseException:
        collector.result.discard()
        raise
    result = collector.result
    if result.file is None:
        raise ApiError(
            422,
            "invalid_upload",
            f"The upload has no file. Send it in the multipart field {FILE_FIELD!r}.",
        )
    for what, value, limit in (
        ("file name", result.filename, MAX_FILENAME_CHARS),
        ("form field 'name'", result.fields.get("name"), MAX_NAME_CHARS),
    ):
        if value is not None and len(value) > limit:
            result.discard()
            raise ApiError(
                422,
                "invalid_upload",
                f"The {what} is longer than {limit} characters ({len(value)}). Received: "
                f"{value[:40]!r}... Use a shorter one.",
                {"field": what, "length": len(value), "limit": limit},
            )
    result.file.close()
    return result


def upload_request_body(fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI request body of a multipart upload: a `file` and the form `fields`."""
    properties = {"file": {"type": "string", "format": "binary"}, **fields}
    schema = {"type": "object", "required": ["file"], "properties": properties}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


@contextlib.asynccontextmanager
async def storing(
    upload: ReceivedUpload, dest: Path, artifacts: ArtifactStore
) -> AsyncIterator[ReceivedUpload]:
    """Scope of an upload being checked, stored at `dest` and recorded.

    Whatever happens the temporary file goes; when the block raises, `dest` goes too, locally
    and in the object store (it is the path of a fresh id, which only this request wrote), so a
    failed upload leaves nothing.
    """
    try:
        yield upload
    except BaseException:
        dest.unlink(missing_ok=True)
        with contextlib.suppress(Exception):
            await run_in_threadpool(artifacts.delete, dest)
        raise
    finally:
        upload.discard()


async def store_upload(artifacts: ArtifactStore, dest: Path) -> None:
    """Puts the accepted file at `dest` in the artifact store, off the event loop.

    With S3 the file is uploaded (multipart when large) and the API's local copy removed: the
    workers and the serving process fetch it from the bucket. A no-op for the data dir.

    Raises:
        ArtifactStoreUnavailableError: the bucket cannot be reached (the API answers 503).
    """
    await run_in_threadpool(artifacts.put, dest)


def delete_unless_in_use(
    session: Any,
    artifacts: ArtifactStore,
    row: Any,
    kind: str,
    jobs: Iterable[str],
    sweeps: Iterable[str] = (),
) -> Response:
    """Deletes an uploaded `row` (dataset or model source) and its file; 409 while unfinished
    jobs or running sweeps (`jobs`, `sweeps`, their ids) use it."""
    active, running = list(jobs), list(sweeps)
    if active or running:
        users = " and ".join(
            text
            for text in (
                f"jobs that have not finished: {active}" if active else "",
                f"running sweeps: {running}" if running else "",
            )
            if text
        )
        raise ApiError(
            409,
            "in_use",
            f"{kind} {row.id!r} is used by {users}. Cancel them or wait until they finish.",
            {"jobs": active, "sweeps": running},
        )
    path = row.path
    session.delete(row)
    session.commit()
    try:
        artifacts.delete(path)
    except ArtifactStoreUnavailableError as error:
        # The row is gone, so nothing refers to the object any more: it is left behind.
        logger.warning("Could not delete %s from the artifact store: %s", path, error)
    return Response(status_code=204)
