"""An unhandled error answers 500 and leaves the client's connections usable.

Starlette re-raises after the kit's 500 answer and uvicorn then drops the connection; the
answer did not say so, so a keep-alive client sent its next requests into the closed
connection (6 of 10 failed in the fuzz run).
"""

from __future__ import annotations

import http.client

import httpx
from fastapi import APIRouter
from tradingstack.core.app import create_service_app
from tradingstack.core.settings import KitSettings

from tests.unit.servers import serve_app

router = APIRouter()


@router.get("/crash")
async def crash() -> None:
    raise RuntimeError("a bug")


def test_a_500_closes_its_connection_cleanly_and_the_next_requests_work() -> None:
    app = create_service_app(
        "data", routers=[router], settings=KitSettings(log_json=False), configure_logs=False
    )
    with serve_app(app) as url:
        with httpx.Client(base_url=url) as c:
            r = c.get("/api/v1/crash")
            assert r.status_code == 500 and r.headers["connection"] == "close"
            assert r.json()["detail"].startswith("Internal error")
            assert [c.get("/health").status_code for _ in range(10)] == [200] * 10
        # a client that ignores nothing but the header: one connection, requests in a row
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        statuses = []
        for path in ["/api/v1/crash", "/health", "/health"]:
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                statuses.append(resp.status)
            except (ConnectionError, http.client.HTTPException):
                statuses.append(0)
        conn.close()
        assert statuses == [500, 200, 200], statuses
