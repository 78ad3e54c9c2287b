"""A service keeps idle connections open longer than the clients that pool them.

With uvicorn's default keep-alive (5 s, httpx's pool expiry too) a client that reuses a
connection about 5 s after its last request races the server closing it; the loser gets
"Server disconnected without sending a response", which the gateway answers with 502 (seen
in CI on the dashboard's score requests).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tradingstack.core.http import CLIENT_KEEP_ALIVE_SECONDS, SERVER_KEEP_ALIVE_SECONDS
from tradingstack.local.launcher import service_env

from tests.unit.servers import free_port, wait_http

pytestmark = pytest.mark.slow


def _request(sock: socket.socket, port: int) -> bytes:
    sock.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection without an answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_the_clients_pool_expires_before_the_servers_keep_alive() -> None:
    assert CLIENT_KEEP_ALIVE_SECONDS < SERVER_KEEP_ALIVE_SECONDS
    assert SERVER_KEEP_ALIVE_SECONDS > 90  # Traefik keeps idle backend connections 90 s


def test_a_served_service_keeps_an_idle_connection_open(tmp_path: Path) -> None:
    """`tradingstack serve` (the container's entry point, and what `make up` runs)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradingstack.cli", "serve", "ui", "--port", str(port)],
        env=service_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health", timeout=60)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            assert b" 200 " in _request(sock, port).split(b"\r\n")[0]
            time.sleep(6.5)  # past uvicorn's default keep-alive of 5 s
            sock.setblocking(False)
            try:
                closed = sock.recv(1, socket.MSG_PEEK) == b""
            except BlockingIOError:
                closed = False  # nothing to read, still open
            assert not closed, "the server closed an idle keep-alive connection after 5 s"
            sock.setblocking(True)
            assert b" 200 " in _request(sock, port).split(b"\r\n")[0]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_tests_servers_keep_an_idle_connection_open_too() -> None:
    # tests.unit.servers ran services with uvicorn's 5 s default: a module-scoped client that
    # reused its connection about 5 s after the last request lost the race (CI, test_llm:
    # "Server disconnected without sending a response")
    from tradingstack.core.app import create_service_app
    from tradingstack.core.settings import KitSettings

    from tests.unit.servers import serve_app

    app = create_service_app("ui", settings=KitSettings(log_json=False), configure_logs=False)
    with serve_app(app) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            assert b" 200 " in _request(sock, port).split(b"\r\n")[0]
            time.sleep(6.5)
            assert b" 200 " in _request(sock, port).split(b"\r\n")[0]
