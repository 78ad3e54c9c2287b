"""What the gateway costs per hop (issue 18): one pooled upstream connection, answers of known
length passed on whole (no chunked re-framing), streams still streamed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from tradingstack.local.gateway import create_gateway

from tests.unit.servers import free_port, serve_app

BODY = b'{"bars": [' + b",".join(b'{"close": %d.25}' % i for i in range(5000)) + b"]}"
peers: list[tuple[str, int]] = []


async def ohlcv(request: Request) -> Response:
    assert request.client is not None
    peers.append((request.client.host, request.client.port))
    return Response(BODY, media_type="application/json")


async def cookies(request: Request) -> Response:
    r = Response(b"ok")
    r.set_cookie("a", "1")
    r.set_cookie("b", "2")
    return r


async def stream(request: Request) -> StreamingResponse:
    async def parts() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"data: {i}\n\n".encode()
            await asyncio.sleep(0.4)

    return StreamingResponse(parts(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    app = Starlette(
        routes=[
            Route("/api/v1/ohlcv", ohlcv, methods=["GET", "HEAD"]),
            Route("/stream", stream),
            Route("/cookies", cookies),
        ]
    )
    with serve_app(app) as url:
        yield url


@pytest.fixture(scope="module")
def gateway(upstream: str) -> Iterator[str]:
    with serve_app(create_gateway({"data": upstream})) as url:
        yield url


def test_a_known_length_answer_goes_on_whole_with_its_length(gateway: str, upstream: str) -> None:
    with httpx.Client() as c:
        direct = c.get(f"{upstream}/api/v1/ohlcv")
        via = c.get(f"{gateway}/data/api/v1/ohlcv")
    assert via.status_code == 200 and via.content == direct.content == BODY
    # not re-framed as chunks the client has to parse
    assert via.headers["content-length"] == str(len(BODY))
    assert "transfer-encoding" not in via.headers
    assert via.headers["content-type"] == "application/json"


def test_head_keeps_the_length_of_the_get(gateway: str) -> None:
    r = httpx.head(f"{gateway}/data/api/v1/ohlcv")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == str(len(BODY))


def test_one_upstream_connection_serves_many_requests(gateway: str) -> None:
    peers.clear()
    with httpx.Client() as c:
        for _ in range(20):
            c.get(f"{gateway}/data/api/v1/ohlcv").raise_for_status()
    assert len(peers) == 20 and len(set(peers)) == 1


def test_streams_and_long_answers_still_stream(upstream: str) -> None:
    with serve_app(create_gateway({"data": upstream}, buffer_limit=1000)) as gw:
        with httpx.Client() as c:
            # longer than the buffer: streamed as it comes
            r = c.get(f"{gw}/data/api/v1/ohlcv")
            assert r.content == BODY and r.headers.get("transfer-encoding") == "chunked"
            # an event stream: the first event arrives before the upstream has finished
            t0 = time.monotonic()
            with c.stream("GET", f"{gw}/data/stream") as s:
                chunks = s.iter_raw()
                first = next(chunks)
                first_at = time.monotonic() - t0
                rest = b"".join(chunks)
            total = time.monotonic() - t0
    assert first.startswith(b"data: 0") and b"data: 2" in first + rest
    assert first_at < 0.35 < total


def test_headers_pass_as_sent_once(gateway: str) -> None:
    r = httpx.get(f"{gateway}/data/cookies")
    # two Set-Cookie headers stay two (they were joined into one), one Date, one Server
    assert r.headers.get_list("set-cookie") == [
        "a=1; Path=/; SameSite=lax",
        "b=2; Path=/; SameSite=lax",
    ]
    assert len(r.headers.get_list("date")) == 1 and len(r.headers.get_list("server")) == 1


def test_a_connection_the_upstream_closed_while_idle_is_replaced() -> None:
    app = Starlette(routes=[Route("/api/v1/ohlcv", ohlcv)])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", timeout_keep_alive=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        up = f"http://127.0.0.1:{config.port}"
        with serve_app(create_gateway({"data": up})) as gw, httpx.Client() as c:
            assert c.get(f"{gw}/data/api/v1/ohlcv").status_code == 200
            time.sleep(1.6)  # the upstream drops the idle pooled connection
            assert c.get(f"{gw}/data/api/v1/ohlcv").content == BODY
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_an_upstream_that_is_down_is_a_502_problem() -> None:
    with serve_app(create_gateway({"data": f"http://127.0.0.1:{free_port()}"})) as gw:
        r = httpx.get(f"{gw}/data/api/v1/ohlcv")
    assert r.status_code == 502
    assert r.headers["content-type"] == "application/problem+json"
    assert "data service did not answer" in r.json()["detail"]
