"""OHLCV through the data service: providers, resampling, cache, staleness, bad input."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pandas as pd
from fastapi.testclient import TestClient
from tradingstack.data.app import create_app
from tradingstack.data.settings import DataSettings


def _times(body: dict) -> list[datetime]:
    return [datetime.fromisoformat(b["time"]) for b in body["bars"]]


def test_btcusd_h1_is_resampled_from_the_bundled_15_minute_bars(client: TestClient) -> None:
    resp = client.get("/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": 100})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["provider"] == "embedded"
    assert body["resampled_from"] == "M15"
    assert body["stale"] is False and body["cache_hit"] is False
    times = _times(body)
    assert len(times) == 100
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(times))
    assert all(t.tzinfo is not None and t.minute == 0 for t in times)
    for bar in body["bars"]:
        assert (
            bar["low"]
            <= min(bar["open"], bar["close"])
            <= max(bar["open"], bar["close"])
            <= bar["high"]
        )
    # the bundled dataset is real BTC-USD from 2021: prices in that range
    assert 20_000 < body["bars"][-1]["close"] < 80_000
    assert body["age_seconds"] > 0


def test_second_request_is_a_cache_hit(client: TestClient) -> None:
    first = client.get("/api/v1/ohlcv/NVDA", params={"timeframe": "D1", "limit": 50}).json()
    second = client.get("/api/v1/ohlcv/NVDA", params={"timeframe": "D1", "limit": 50}).json()
    assert second["cache_hit"] is True and second["provider"] == "embedded"
    assert second["bars"] == first["bars"]


def test_start_end_range(client: TestClient) -> None:
    resp = client.get(
        "/api/v1/ohlcv/NVDA",
        params={"timeframe": "D1", "start": "2024-01-01", "end": "2024-01-31", "limit": 5000},
    )
    assert resp.status_code == 200, resp.text
    times = _times(resp.json())
    assert (
        times[0].date().isoformat() >= "2024-01-01" and times[-1].date().isoformat() <= "2024-01-31"
    )
    assert 18 <= len(times) <= 22  # trading days in January 2024


def test_bad_input(client: TestClient) -> None:
    r = client.get("/api/v1/ohlcv/BTCUSD", params={"timeframe": "H2"})
    assert r.status_code == 422 and "timeframe" in r.json()["detail"]
    r = client.get("/api/v1/ohlcv/NOPE", params={"timeframe": "H1"})
    assert r.status_code == 404 and r.json()["type"] == "urn:tradingstack:problem:unknown-symbol"
    r = client.get("/api/v1/ohlcv/BTCUSD", params={"start": "2021-11-02", "end": "2021-11-01"})
    assert r.status_code == 422 and "before" in r.json()["detail"]
    r = client.get("/api/v1/ohlcv/BTCUSD", params={"limit": 0})
    assert r.status_code == 422
    r = client.get("/api/v1/ohlcv/BTCUSD", params={"limit": 10**6})
    assert r.status_code == 422 and "at most" in r.json()["detail"]
    r = client.get("/api/v1/ohlcv/BTCUSD", params={"start": "yesterday"})
    assert r.status_code == 422
    # outside what Python and pandas hold in UTC (500s before), or any market's history
    for bound in ("start", "end"):
        for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1500-01-01"):
            r = client.get("/api/v1/ohlcv/BTCUSD", params={bound: value})
            assert r.status_code == 422 and "from 1900" in r.json()["detail"], (bound, value)
    # naive means UTC, and mixes with an offset
    r = client.get(
        "/api/v1/ohlcv/NVDA",
        params={"timeframe": "D1", "start": "2024-01-02T00:00:00", "end": "2024-01-31T00:00:00Z"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["bars"][0]["time"].startswith("2024-01-02")


def test_data_no_provider_has_is_a_404_no_data_with_reasons(client: TestClient) -> None:
    # the bundled NVDA data is daily; no provider has 15-minute NVDA bars. That is missing data,
    # not an outage: asking again will not help (it was a 503, 109 times in the fuzz run)
    r = client.get("/api/v1/ohlcv/NVDA", params={"timeframe": "M15"})
    assert r.status_code == 404, r.text
    body = r.json()
    assert body["type"] == "urn:tradingstack:problem:no-data"
    assert body["reasons"] and any("embedded" in reason for reason in body["reasons"])
    assert "Retry-After" not in r.headers
    r = client.get("/api/v1/indicators/NVDA", params={"timeframe": "M15"})
    assert r.status_code == 404 and r.json()["type"] == "urn:tradingstack:problem:no-data"
    # an unknown symbol is its own problem
    r = client.get("/api/v1/ohlcv/NOPE", params={"timeframe": "H1"})
    assert r.status_code == 404 and r.json()["type"] == "urn:tradingstack:problem:unknown-symbol"


CSV = "Date,Open,High,Low,Close,Volume\n" + "\n".join(
    f"2024-03-{d:02d},{100 + d},{102 + d},{99 + d},{101 + d},{1000 * d}" for d in range(1, 21)
)


def test_stale_cached_bars_are_served_when_providers_fail(data_settings: DataSettings) -> None:
    settings = data_settings.model_copy(update={"cache_ttl_seconds": 0})
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        sym = {
            "symbol": "ACME",
            "name": "Acme",
            "category": "stock",
            "provider_symbols": {"twelvedata": "ACME"},
            "provider_order": ["twelvedata"],
        }
        assert c.post("/api/v1/symbols", json=sym).status_code == 201
        # nothing cached and the only provider is unavailable: 503 that says why
        r = c.get("/api/v1/ohlcv/ACME", params={"timeframe": "D1"})
        assert r.status_code == 503 and "twelvedata" in r.json()["detail"]
        assert r.json()["type"] == "urn:tradingstack:problem:upstream-unavailable"
        assert int(r.headers["Retry-After"]) > 0
        # bars imported earlier are served, flagged stale, with the reason
        imp = c.post(
            "/api/v1/ohlcv/ACME/import",
            params={"timeframe": "D1"},
            content=CSV,
            headers={"content-type": "text/csv"},
        )
        assert imp.status_code == 200, imp.text
        r = c.get("/api/v1/ohlcv/ACME", params={"timeframe": "D1", "limit": 5})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["stale"] is True
        assert any("twelvedata" in w for w in body["warnings"])
        assert [b["close"] for b in body["bars"]] == [117.0, 118.0, 119.0, 120.0, 121.0]


def test_symbol_without_providers_serves_its_imported_bars(client: TestClient) -> None:
    sym = {"symbol": "MYFUND", "name": "My fund", "category": "etf", "provider_order": []}
    assert client.post("/api/v1/symbols", json=sym).status_code == 201
    assert client.get("/api/v1/ohlcv/MYFUND", params={"timeframe": "D1"}).status_code == 404
    client.post("/api/v1/ohlcv/MYFUND/import", params={"timeframe": "D1"}, content=CSV)
    body = client.get("/api/v1/ohlcv/MYFUND", params={"timeframe": "D1", "limit": 100}).json()
    assert body["provider"] == "import" and len(body["bars"]) == 20
    assert pd.Timestamp(body["bars"][0]["time"]) == pd.Timestamp("2024-03-01", tz="UTC")


def test_imported_bars_are_the_symbols_own_source_not_stale(client: TestClient) -> None:
    # a symbol with the default provider order (the dashboard's import creates it so): no
    # provider has it, so its imported bars are its data, not a cache every provider failed
    # to refresh (the dashboard flagged them STALE)
    sym = {"symbol": "MYSTOCK", "name": "My stock", "category": "stock"}
    assert client.post("/api/v1/symbols", json=sym).status_code == 201
    imp = client.post(
        "/api/v1/ohlcv/MYSTOCK/import",
        params={"timeframe": "D1"},
        content=CSV,
        headers={"content-type": "text/csv"},
    )
    assert imp.status_code == 200, imp.text
    for _ in range(2):
        r = client.get("/api/v1/ohlcv/MYSTOCK", params={"timeframe": "D1", "limit": 100})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["stale"] is False, body["warnings"]
        assert body["provider"] == "import" and body["warnings"] == []
        assert len(body["bars"]) == 20
    r = client.get("/api/v1/indicators/MYSTOCK", params={"timeframe": "D1", "names": "sma:5"})
    assert r.status_code == 200 and r.json()["stale"] is False
    # a timeframe that was not imported is still missing data, not an outage
    r = client.get("/api/v1/ohlcv/MYSTOCK", params={"timeframe": "H1"})
    assert r.status_code == 404 and r.json()["type"] == "urn:tradingstack:problem:no-data"
