"""Each of the data service's problems, raised by its domain code (store, market data, CSV,
indicators) and answered by the kit's one handler: the type and status of docs/problems.md."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tradingstack.data.settings import DataSettings

P = "urn:tradingstack:problem:"
SYMBOL = {"symbol": "EURCHF", "name": "Euro / Swiss franc", "category": "forex"}
STRATEGY = {
    "id": "s1",
    "name": "S1",
    "type": "swing",
    "risk_level": "medium",
    "indicator_weights": {"rsi": 1.0},
    "sl_atr_multiplier": 1.5,
    "tp_atr_multipliers": [2.0],
    "preferred_timeframe": "H4",
}
CSV = "Date,Open,High,Low,Close,Volume\n" + "\n".join(
    f"2024-03-{d:02d},{100 + d},{102 + d},{99 + d},{101 + d},{1000 * d}" for d in range(1, 21)
)


def _problem(r: object, status: int, slug: str) -> dict[str, object]:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert body["type"] == P + slug, body
    assert "/api/" not in str(body["detail"]), body  # the domain says what, not where
    return body


def test_unknown_symbol_on_every_symbol_route(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/v1/symbols/NOPE"),
        ("GET", "/api/v1/symbols/NOPE/timeframes"),
        ("PUT", "/api/v1/symbols/NOPE/favourite"),
        ("DELETE", "/api/v1/symbols/NOPE/favourite"),
        ("DELETE", "/api/v1/symbols/NOPE"),
        ("GET", "/api/v1/ohlcv/NOPE"),
        ("GET", "/api/v1/indicators/NOPE"),
    ]:
        _problem(client.request(method, path), 404, "unknown-symbol")
    r = client.put("/api/v1/symbols/NOPE", json={**SYMBOL, "symbol": "NOPE"})
    _problem(r, 404, "unknown-symbol")


def test_strategy_not_found_and_conflicts(client: TestClient) -> None:
    for method in ("GET", "DELETE"):
        body = _problem(client.request(method, "/api/v1/strategies/none"), 404, "not-found")
        assert body["title"] == "Unknown strategy"
    _problem(
        client.put("/api/v1/strategies/none", json={**STRATEGY, "id": "none"}), 404, "not-found"
    )
    assert client.post("/api/v1/strategies", json=STRATEGY).status_code == 201
    _problem(client.post("/api/v1/strategies", json=STRATEGY), 409, "conflict")
    assert client.post("/api/v1/symbols", json=SYMBOL).status_code == 201
    _problem(client.post("/api/v1/symbols", json=SYMBOL), 409, "conflict")


def test_invalid_requests(client: TestClient) -> None:
    _problem(client.put("/api/v1/symbols/BTCUSD", json=SYMBOL), 422, "invalid-request")
    _problem(client.put("/api/v1/strategies/x", json=STRATEGY), 422, "invalid-request")
    params = {"start": "2021-11-02", "end": "2021-11-01"}
    _problem(client.get("/api/v1/ohlcv/BTCUSD", params=params), 422, "invalid-request")
    r = client.get("/api/v1/indicators/BTCUSD", params={"names": "nope"})
    assert _problem(r, 422, "invalid-request")["title"] == "Invalid indicator request"
    imp = "/api/v1/ohlcv/BTCUSD/import"
    body = _problem(
        client.post(imp, params={"timeframe": "D1"}, content="a,b\n1,2"), 422, "invalid-request"
    )
    assert body["title"] == "Invalid CSV" and "errors" in body
    r = client.post(imp, params={"timeframe": "D1"}, content=b"\xff\xfe\x00bad")
    _problem(r, 422, "invalid-request")
    # FastAPI's own validation is the same problem
    _problem(client.get("/api/v1/ohlcv/BTCUSD", params={"timeframe": "H2"}), 422, "invalid-request")


def test_too_large(tmp_path: Path) -> None:
    from tradingstack.data.app import create_app

    settings = DataSettings(dir=tmp_path / "d", max_import_bytes=1024)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        big = CSV + "\n" * 1024
        r = c.post("/api/v1/ohlcv/BTCUSD/import", params={"timeframe": "D1"}, content=big)
        _problem(r, 413, "too-large")


def test_no_data_in_range_is_not_no_data(client: TestClient) -> None:
    """Before, both answered `no-data` (or an untyped 404), and a client could not tell a
    range to widen from a symbol with nothing to find."""
    _problem(client.get("/api/v1/ohlcv/NVDA", params={"timeframe": "M15"}), 404, "no-data")
    for params in (
        {"timeframe": "D1", "end": "1995-01-01T00:00:00Z"},
        {"timeframe": "D1", "start": "1995-01-01T00:00:00Z", "end": "1995-02-01T00:00:00Z"},
    ):
        body = _problem(client.get("/api/v1/ohlcv/NVDA", params=params), 404, "no-data-in-range")
        assert "1995" in str(body["detail"])
    r = client.get("/api/v1/indicators/NVDA", params={"timeframe": "M15"})
    _problem(r, 404, "no-data")


def test_imported_bars_tell_where_they_are(client: TestClient) -> None:
    sym = {"symbol": "MYFUND", "name": "My fund", "category": "etf", "provider_order": []}
    assert client.post("/api/v1/symbols", json=sym).status_code == 201
    params = {"timeframe": "D1", "start": "2020-01-01T00:00:00Z", "end": "2020-02-01T00:00:00Z"}
    # nothing imported yet: no data at all, in any range
    _problem(client.get("/api/v1/ohlcv/MYFUND", params=params), 404, "no-data")
    imp = client.post("/api/v1/ohlcv/MYFUND/import", params={"timeframe": "D1"}, content=CSV)
    assert imp.status_code == 200, imp.text
    body = _problem(client.get("/api/v1/ohlcv/MYFUND", params=params), 404, "no-data-in-range")
    assert str(body["first"]).startswith("2024-03-01") and str(body["last"]).startswith(
        "2024-03-20"
    )
