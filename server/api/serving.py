"""The API's side of the serving process: where it listens and the client that reaches it.

Predictions run in boxed predictor processes owned by the serving process (`horn serve`,
`server.workers.serving`); the API authenticates, resolves the job's checkpoint, and forwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

# Header carrying `HORN_SERVING_TOKEN` when the serving process listens on TCP.
TOKEN_HEADER = "x-horn-serving-token"
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
