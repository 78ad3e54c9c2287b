"""Shared health probing against real HTTP servers on loopback."""

from __future__ import annotations

import socket

import httpx
import pytest
from tradingstack.core.app import create_service_app
from tradingstack.core.health import probe, probe_many
from tradingstack.core.settings import KitSettings

from tests.unit.servers import serve_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def healthy_url() -> str:
    app = create_service_app("data", settings=KitSettings(log_json=False), configure_logs=False)
    with serve_app(app) as base:
        yield base + "/health"


async def test_probe_healthy(healthy_url: str) -> None:
    async with httpx.AsyncClient() as client:
        r = await probe(client, "data", healthy_url)
    assert r.healthy and r.status == "healthy" and r.version
    assert r.latency_seconds is not None and r.latency_seconds < 5


async def test_probe_unreachable_is_reported_not_raised() -> None:
    url = f"http://127.0.0.1:{_free_port()}/health"
    async with httpx.AsyncClient() as client:
        r = await probe(client, "nhits", url, timeout=0.5, retries=1, retry_delay=0.01)
    assert not r.healthy and r.status == "unreachable" and r.error


async def test_probe_many_runs_concurrently(healthy_url: str) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/health"
    results = await probe_many({"data": healthy_url, "tcn": dead}, timeout=0.5, retries=0)
    assert results["data"].healthy
    assert not results["tcn"].healthy
