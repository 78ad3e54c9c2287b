"""Run a real ASGI app with uvicorn on a free loopback port, in a thread, for tests."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from tradingstack.core.http import SERVER_KEEP_ALIVE_SECONDS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(app: Any, port: int | None = None) -> Iterator[str]:
    port = port or free_port()
    # the services' keep-alive, not uvicorn's 5 s: pooled clients would race it
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_http(url: str, timeout: float = 60) -> httpx.Response:
    """Poll `url` until it answers 200 (a process starting up); its answer, or AssertionError."""
    deadline = time.monotonic() + timeout
    last: object = "no answer"
    while time.monotonic() < deadline:
        try:
            resp = httpx.get(url, timeout=2)
            if resp.status_code == 200:
                return resp
            last = f"HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout:g} s: {last}")


def raw_requests(
    base: str, requests: Sequence[tuple[str, str, Mapping[str, str]]], timeout: float = 30
) -> list[tuple[int, bytes]]:
    """Send each (method, path, headers) on one keep-alive connection with its path byte for
    byte (httpx resolves dot segments and refuses control characters before sending); the
    status and body of each answer. A server that closes the connection gets a new one."""
    url = httpx.URL(base)
    conn = http.client.HTTPConnection(url.host, url.port, timeout=timeout)
    out = []
    try:
        for method, path, headers in requests:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for key, value in headers.items():
                conn.putheader(key, value)
            conn.endheaders()
            resp = conn.getresponse()
            out.append((resp.status, resp.read()))
    finally:
        conn.close()
    return out
