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

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

import httpx

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


def make_serving_client(settings: Any) -> httpx.AsyncClient:
    """An HTTP client for the serving process: `HORN_SERVING_URL`, else the data dir's socket."""
    if settings.serving_url:
        return httpx.AsyncClient(base_url=settings.serving_url)
    transport = httpx.AsyncHTTPTransport(uds=str(serving_socket(settings)))
    return httpx.AsyncClient(base_url="http://serving", transport=transport)


class ServingDirectory:
    """The serving processes this API forwards to, and an HTTP client for each.

    Args:
        settings: the service settings (`redis_url`, `serving_url`, `data_dir`).
    """

    def __init__(self, settings: Any):
        self.settings = settings
        self.default = make_serving_client(settings)
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.urls: list[str] = []
        self.refreshed_at = float("-inf")
        self.redis = None
        if settings.redis_url:
            import redis.asyncio

            self.redis = redis.asyncio.Redis.from_url(settings.redis_url, socket_timeout=2)

    async def candidates(self, key: str) -> list[httpx.AsyncClient]:
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

    def _client(self, url: str) -> httpx.AsyncClient:
        client = self.clients.get(url)
        if client is None:
            client = self.clients[url] = httpx.AsyncClient(base_url=url)
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
