"""The API's side of the serving processes: where they listen and the clients that reach them.

Predictions run in boxed predictor processes owned by serving processes (`horn serve`,
`server.workers.serving`); the API authenticates, resolves the job's checkpoint, and forwards.
With `HORN_REDIS_URL`, serving processes register under `horn:serving:<url>` (a key that
expires unless renewed) and the API spreads jobs over the live ones by rendezvous hashing: a
job's predictions go to the same process (its model stays loaded there) until that process
goes, and then to the next in the job's order. Without registered ones, the API uses
`HORN_SERVING_URL`, else the data dir's Unix socket (`horn up`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import time
import urllib.parse
from pathlib import Path
from typing import Any

# Header carrying `HORN_SERVING_TOKEN` when the serving process listens on TCP.
TOKEN_HEADER = "x-horn-serving-token"
# Registry of serving processes in Redis: one key per process, renewed every REGISTRY_RENEW_S.
REGISTRY_PREFIX = "horn:serving:"
REGISTRY_TTL_S = 15
REGISTRY_RENEW_S = 5
# How long the API trusts its list of registered serving processes.
DIRECTORY_REFRESH_S = 2.0
logger = logging.getLogger("horn.api")
# Header carrying where a forwarded predict request goes (job, checkpoint, source, answer form).
TARGET_HEADER = "x-horn-target"


def serving_socket(settings: Any) -> Path:
    """The Unix socket of the serving process when `HORN_SERVING_URL` is not set."""
    return Path(settings.data_dir).resolve() / "run" / "serving.sock"


class ServingUnreachableError(ConnectionError):
    """No connection to a serving process could be opened (refused, no socket, no such host)."""


@dataclasses.dataclass
class ServingResponse:
    """A serving process's answer: status and body."""

    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class ServingClient:
    """Keep-alive HTTP/1.1 POSTs to one serving process, over TCP or a Unix socket.

    The serving hop is the API's hottest path: a general client (httpx) spent more of the
    event loop on one forwarded prediction than the rest of the request together. This one does
    the little the hop needs: a POST with a Content-Length body, an answer with a Content-Length
    body, connections kept open and reused.

    Args:
        base_url: `http://host:port` (TCP), or None with `socket_path` (a Unix socket).
        socket_path: the serving process's Unix socket.
        max_connections: connections kept at most; more requests wait for one.
    """

    def __init__(
        self,
        base_url: str | None = None,
        socket_path: Path | None = None,
        max_connections: int = 100,
    ):
        self.base_url = base_url or "http://serving"
        split = urllib.parse.urlsplit(self.base_url)
        self.host, self.port = split.hostname or "127.0.0.1", split.port or 80
        self.socket_path = socket_path
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(max_connections)

    async def post(
        self, path: str, *, content: bytes = b"", headers: dict[str, str], timeout: float
    ) -> ServingResponse:
        """POSTs `content`; raises ServingUnreachableError, TimeoutError or ConnectionError."""
        async with self.slots:
            reused = bool(self.idle)
            connection = self.idle.pop() if reused else await self._connect()
            try:
                response, keep = await asyncio.wait_for(
                    self._exchange(connection, path, content, headers), timeout
                )
            except (ConnectionError, asyncio.IncompleteReadError, ValueError) as error:
                connection[1].close()
                if not reused:
                    raise ConnectionError(f"the serving process hung up: {error}") from None
                # A kept connection the server had closed meanwhile: once more on a new one.
                connection = await self._connect()
                response, keep = await asyncio.wait_for(
                    self._exchange(connection, path, content, headers), timeout
                )
            except BaseException:
                connection[1].close()
                raise
            if keep:
                self.idle.append(connection)
            else:
                connection[1].close()
            return response

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            if self.socket_path is not None:
                return await asyncio.open_unix_connection(str(self.socket_path))
            return await asyncio.open_connection(self.host, self.port)
        except OSError as error:
            raise ServingUnreachableError(f"{self.base_url}: {error}") from None

    async def _exchange(
        self,
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        path: str,
        content: bytes,
        headers: dict[str, str],
    ) -> tuple[ServingResponse, bool]:
        reader, writer = connection
        lines = [f"POST {path} HTTP/1.1", f"host: {self.host}", f"content-length: {len(content)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content)
        await writer.drain()
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, keep = 0, True
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.lower() == "close":
                keep = False
            elif name == "transfer-encoding":
                raise ValueError(f"unexpected transfer-encoding {value!r}")
        return ServingResponse(status, await reader.readexactly(length)), keep

    async def aclose(self) -> None:
        """Closes the kept connections."""
        while self.idle:
            self.idle.pop()[1].close()


def make_serving_client(settings: Any) -> ServingClient:
    """The client of the serving process: `HORN_SERVING_URL`, else the data dir's socket."""
    if settings.serving_url:
        return ServingClient(base_url=settings.serving_url)
    return ServingClient(socket_path=serving_socket(settings))


class ServingDirectory:
    """The serving processes this API forwards to, and an HTTP client for each.

    Args:
        settings: the service settings (`redis_url`, `serving_url`, `data_dir`).
    """

    def __init__(self, settings: Any):
        self.settings = settings
        self.default = make_serving_client(settings)
        self.clients: dict[str, ServingClient] = {}
        self.urls: list[str] = []
        self.refreshed_at = float("-inf")
        self.redis = None
        if settings.redis_url:
            import redis.asyncio

            self.redis = redis.asyncio.Redis.from_url(settings.redis_url, socket_timeout=2)

    async def candidates(self, key: str) -> list[ServingClient]:
        """Clients in the order `key` (a job id) tries them: its own first, then failovers."""
        urls = await self._live_urls()
        if not urls:
            return [self.default]
        ranked = sorted(urls, key=lambda url: rendezvous_score(url, key), reverse=True)
        return [self._client(url) for url in ranked]

    async def _live_urls(self) -> list[str]:
        if self.redis is None or time.monotonic() - self.refreshed_at < DIRECTORY_REFRESH_S:
            return self.urls
        self.refreshed_at = time.monotonic()
        try:
            keys = [key async for key in self.redis.scan_iter(match=f"{REGISTRY_PREFIX}*")]
        except Exception as error:  # Redis restarting: keep the last list
            logger.warning("Cannot list the serving processes in Redis: %s", error)
            return self.urls
        self.urls = sorted(
            (key.decode() if isinstance(key, bytes) else key)[len(REGISTRY_PREFIX) :]
            for key in keys
        )
        return self.urls

    def _client(self, url: str) -> ServingClient:
        client = self.clients.get(url)
        if client is None:
            client = self.clients[url] = ServingClient(base_url=url)
        return client

    async def aclose(self) -> None:
        """Closes every client."""
        for client in [self.default, *self.clients.values()]:
            await client.aclose()
        if self.redis is not None:
            await self.redis.aclose()


def rendezvous_score(url: str, key: str) -> bytes:
    """The weight of serving process `url` for `key`: the highest takes the key."""
    return hashlib.sha256(f"{url}|{key}".encode()).digest()
