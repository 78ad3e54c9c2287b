"""The local gateway routes like the Ingress: prefixes stripped, X-Forwarded-Prefix set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tradingstack.core.catalog import routed_workloads
from tradingstack.data.app import create_app
from tradingstack.data.settings import DataSettings
from tradingstack.local.gateway import create_gateway, match

from tests.unit.servers import serve_app


def test_prefix_matching_is_element_wise() -> None:
    ws = routed_workloads()
    assert match("/data", ws)[0].name == "data"  # type: ignore[index]
    assert match("/data/api/v1/x", ws)[1] == "/api/v1/x"  # type: ignore[index]
    assert match("/database", ws)[0].name == "ui"  # type: ignore[index]
    assert match("/", ws)[0].name == "ui"  # type: ignore[index]
    assert match("/nhits/health", ws) == (next(w for w in ws if w.name == "nhits"), "/health")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = DataSettings(dir=Path(tmp_path_factory.mktemp("gw")) / "data")
    with serve_app(create_app(settings)) as data_url:
        gw = create_gateway({"data": data_url}, status=lambda: {"services": {"data": "ok"}})
        with serve_app(gw) as gw_url:
            yield gw_url


def test_routes_through_the_gateway(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as c:
        health = c.get("/data/health").json()
        assert health["service"] == "data" and health["status"] == "healthy"
        r = c.get("/data/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": 100})
        assert r.status_code == 200 and len(r.json()["bars"]) == 100
        # POST bodies pass through
        sym = {"symbol": "GWTEST", "name": "gw", "category": "stock", "provider_order": []}
        assert c.post("/data/api/v1/symbols", json=sym).status_code == 201


def test_docs_work_behind_the_gateway(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as c:
        docs = c.get("/data/docs")
        assert docs.status_code == 200 and "/data/openapi.json" in docs.text
        spec = c.get("/data/openapi.json").json()
        assert spec["servers"] == [{"url": "/data"}]
        assert "/api/v1/ohlcv/{symbol}" in spec["paths"]


def test_services_not_running_and_the_index(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as c:
        r = c.get("/nhits/health")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert "nhits" in r.json()["detail"]
        index = c.get("/").json()
        assert index["routes"]["/data"] == {"service": "data", "running": True}
        assert index["routes"]["/nhits"]["running"] is False
        assert c.get("/_status").json() == {"services": {"data": "ok"}}
