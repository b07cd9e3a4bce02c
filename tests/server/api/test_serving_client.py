"""The API's client of the serving processes, against a real HTTP server (uvicorn) on a socket."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.api.serving import ServingClient, ServingUnreachableError

CONNECTIONS: set = set()


async def echo(request: Request) -> Response:
    CONNECTIONS.add(request.client)
    body = await request.body()
    if request.headers.get("x-sleep"):
        await asyncio.sleep(float(request.headers["x-sleep"]))
    return Response(body[::-1], status_code=int(request.headers.get("x-status", "200")))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server():
    port = free_port()
    config = uvicorn.Config(
        Starlette(routes=[Route("/echo", echo, methods=["POST"])]),
        port=port,
        log_level="warning",
        timeout_keep_alive=1,
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    CONNECTIONS.clear()
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)


def test_posts_reuse_connections_and_survive_a_closed_one(server):
    async def scenario() -> None:
        client = ServingClient(base_url=server)
        for number in range(5):
            answer = await client.post("/echo", content=b"abc%d" % number, headers={}, timeout=5)
            assert (answer.status_code, answer.content) == (200, b"%dcba" % number)
        assert len(CONNECTIONS) == 1  # one kept-alive connection for all five
        error = await client.post("/echo", content=b"x", headers={"x-status": "422"}, timeout=5)
        assert error.status_code == 422
        await asyncio.sleep(1.5)  # the server closes the idle connection (keep-alive 1 s)
        again = await client.post("/echo", content=b"later", headers={}, timeout=5)
        assert again.content == b"retal"
        many = await asyncio.gather(
            *(client.post("/echo", content=b"%d" % i, headers={}, timeout=5) for i in range(50))
        )
        assert [answer.content for answer in many] == [(b"%d" % i)[::-1] for i in range(50)]
        await client.aclose()

    asyncio.run(scenario())


def test_a_slow_answer_times_out_and_no_server_is_unreachable(server):
    async def scenario() -> None:
        client = ServingClient(base_url=server)
        with pytest.raises(TimeoutError):
            await client.post("/echo", content=b"x", headers={"x-sleep": "2"}, timeout=0.2)
        assert (await client.post("/echo", content=b"ok", headers={}, timeout=5)).content == b"ko"
        nobody = ServingClient(base_url=f"http://127.0.0.1:{free_port()}")
        with pytest.raises(ServingUnreachableError):
            await nobody.post("/echo", content=b"x", headers={}, timeout=5)

    asyncio.run(scenario())
