"""The data client branches on the problem `type`, not on the status: the data service's
404s are three problems (unknown symbol, no data, no data in range), and a service that lets
the client's error through answers the same problem to its own client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from tradingstack.core.app import create_service_app
from tradingstack.core.data_client import (
    DataClient,
    DataServiceError,
    UnknownSymbolError,
    data_problem,
)
from tradingstack.core.errors import (
    NO_DATA,
    NO_DATA_IN_RANGE,
    UNKNOWN_SYMBOL,
    DomainError,
    InvalidRequest,
    NoData,
    NoDataInRange,
    UnknownSymbol,
    UpstreamFailed,
    UpstreamUnavailable,
)
from tradingstack.core.settings import KitSettings
from tradingstack.data.app import create_app as create_data_app
from tradingstack.data.settings import DataSettings

from tests.unit.servers import serve_app

LONG_AGO = datetime(1995, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def data_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real data service (bundled market data)."""
    directory: Path = tmp_path_factory.mktemp("data")
    with serve_app(create_data_app(DataSettings(dir=directory))) as url:
        yield url


def _raised(url: str, symbol: str, timeframe: str, **kw: object) -> DomainError:
    async def call() -> None:
        async with DataClient(url, attempts=1) as data:
            await data.ohlcv(symbol, timeframe, **kw)  # type: ignore[arg-type]

    with pytest.raises(DomainError) as caught:
        asyncio.run(call())
    return caught.value


def test_the_client_tells_the_404s_apart(data_url: str) -> None:
    unknown = _raised(data_url, "NOPE", "D1")
    assert isinstance(unknown, UnknownSymbol) and not isinstance(unknown, NoData)
    assert unknown.type == UNKNOWN_SYMBOL

    none = _raised(data_url, "NVDA", "M15")  # the bundled NVDA bars are daily
    assert isinstance(none, NoData) and not isinstance(none, NoDataInRange | UnknownSymbol)
    assert none.type == NO_DATA

    out_of_range = _raised(data_url, "NVDA", "D1", end=LONG_AGO)
    assert isinstance(out_of_range, NoDataInRange) and not isinstance(out_of_range, UnknownSymbol)
    assert out_of_range.type == NO_DATA_IN_RANGE
    assert isinstance(out_of_range, NoData)  # code that tolerates no data tolerates this too

    for exc in (unknown, none, out_of_range):
        # each is still what callers not yet converted catch, with the status data answered
        assert isinstance(exc, DataServiceError) and isinstance(exc, UnknownSymbolError)
        assert exc.status == 404 and exc.upstream_status == 404
        assert exc.extensions["upstream"] == "data"
        assert data_problem(exc, "X", "D1") is exc  # nothing left to translate

    refused = _raised(data_url, "NVDA", "D1", limit=10**7)
    assert isinstance(refused, InvalidRequest) and refused.status == 422


def test_down_or_failing_is_the_upstreams_problem() -> None:
    unreachable = _raised("http://127.0.0.1:9", "BTCUSD", "H1")
    assert isinstance(unreachable, UpstreamUnavailable) and unreachable.status == 503
    assert unreachable.headers and int(unreachable.headers["Retry-After"]) > 0
    assert "BTCUSD H1" in unreachable.detail

    def crash(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"type": "about:blank", "detail": "boom", "status": 500})

    async def call() -> None:
        async with DataClient("http://data", transport=httpx.MockTransport(crash)) as data:
            await data.ohlcv("BTCUSD", "H1")

    with pytest.raises(UpstreamFailed) as caught:
        asyncio.run(call())
    assert caught.value.status == 502 and caught.value.upstream_status == 500


def test_a_service_passes_the_problem_on_unchanged(data_url: str) -> None:
    """A route that lets the client's error through answers the data service's own problem:
    the same type and status at every hop, `upstream: data` added."""
    router = APIRouter()

    @router.get("/bars/{symbol}")
    async def bars(symbol: str, timeframe: str, end: datetime | None = None) -> int:
        async with DataClient(data_url, attempts=1) as data:
            return len((await data.ohlcv(symbol, timeframe, end=end)).bars)

    app = create_service_app(
        "nhits", routers=[router], settings=KitSettings(log_json=False), configure_logs=False
    )
    with TestClient(app) as client:
        for params, symbol, type_ in (
            ({"timeframe": "D1"}, "NOPE", UNKNOWN_SYMBOL),
            ({"timeframe": "M15"}, "NVDA", NO_DATA),
            ({"timeframe": "D1", "end": LONG_AGO.isoformat()}, "NVDA", NO_DATA_IN_RANGE),
        ):
            r = client.get(f"/api/v1/bars/{symbol}", params=params)
            assert r.status_code == 404, r.text
            assert r.json()["type"] == type_ and r.json()["upstream"] == "data"
        r = client.get("/api/v1/bars/NVDA", params={"timeframe": "D1"})
        assert r.status_code == 200 and r.json() > 0
