"""Symbols and strategies CRUD of the data service."""

from __future__ import annotations

from fastapi.testclient import TestClient

EURCHF = {
    "symbol": "eurchf",
    "name": "Euro / Swiss Franc",
    "category": "forex",
    "provider_symbols": {"twelvedata": "EUR/CHF", "yahoo": "EURCHF=X"},
    "provider_order": ["twelvedata", "yahoo"],
}


def test_seeded_symbols_include_the_bundled_datasets(client: TestClient) -> None:
    body = client.get("/api/v1/symbols").json()
    names = {s["symbol"] for s in body["items"]}
    assert {"BTCUSD", "NVDA", "MSFT", "EURUSD"} <= names
    assert body["total"] == len(body["items"])
    eurusd = client.get("/api/v1/symbols/EURUSD").json()
    assert eurusd["provider_symbols"]["twelvedata"] == "EUR/USD"
    assert eurusd["provider_symbols"]["yahoo"] == "EURUSD=X"
    crypto = client.get("/api/v1/symbols", params={"category": "crypto"}).json()["items"]
    assert [s["symbol"] for s in crypto] == ["BTCUSD"]


def test_symbol_crud_and_favourites(client: TestClient) -> None:
    created = client.post("/api/v1/symbols", json=EURCHF)
    assert created.status_code == 201, created.text
    assert created.json()["symbol"] == "EURCHF"  # canonical spelling is upper case
    assert created.headers["location"].endswith("/api/v1/symbols/EURCHF")
    assert client.post("/api/v1/symbols", json=EURCHF).status_code == 409

    assert client.put("/api/v1/symbols/EURCHF/favourite").json()["favourite"] is True
    favs = client.get("/api/v1/symbols", params={"favourite": True}).json()["items"]
    assert [s["symbol"] for s in favs] == ["EURCHF"]
    assert client.delete("/api/v1/symbols/EURCHF/favourite").json()["favourite"] is False

    changed = {**EURCHF, "symbol": "EURCHF", "name": "EUR/CHF", "provider_order": ["yahoo"]}
    resp = client.put("/api/v1/symbols/EURCHF", json=changed)
    assert resp.status_code == 200 and resp.json()["provider_order"] == ["yahoo"]
    assert client.get("/api/v1/symbols", params={"q": "eur/chf"}).json()["total"] == 1

    assert client.delete("/api/v1/symbols/EURCHF").status_code == 204
    assert client.get("/api/v1/symbols/EURCHF").status_code == 404
    assert client.delete("/api/v1/symbols/EURCHF").status_code == 404


def test_symbol_bad_input_says_what_to_fix(client: TestClient) -> None:
    bad = client.post("/api/v1/symbols", json={**EURCHF, "category": "bond"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert "category" in bad.json()["detail"]
    bad = client.post("/api/v1/symbols", json={**EURCHF, "provider_symbols": {"bloomberg": "X"}})
    assert bad.status_code == 422 and "unknown provider" in bad.json()["detail"]
    bad = client.post("/api/v1/symbols", json={**EURCHF, "symbol": "EUR CHF!"})
    assert bad.status_code == 422
    bad = client.put("/api/v1/symbols/GBPUSD", json=EURCHF)
    assert bad.status_code == 422 and "must agree" in bad.json()["detail"]
    bad = client.post("/api/v1/symbols", json={**EURCHF, "extra": 1})
    assert bad.status_code == 422


STRATEGY = {
    "id": "rsi-swing",
    "name": "RSI swing",
    "type": "swing",
    "risk_level": "medium",
    "indicator_weights": {"rsi": 0.6, "ema": 0.4},
    "thresholds": {"rsi_overbought": 70, "rsi_oversold": 30},
    "sl_atr_multiplier": 1.5,
    "tp_atr_multipliers": [2.0, 3.5],
    "preferred_timeframe": "H4",
}


def test_strategy_crud(client: TestClient) -> None:
    seeded = {s["id"] for s in client.get("/api/v1/strategies").json()}
    assert {"trend-following", "mean-reversion", "breakout"} <= seeded
    assert client.post("/api/v1/strategies", json=STRATEGY).status_code == 201
    assert client.post("/api/v1/strategies", json=STRATEGY).status_code == 409
    got = client.get("/api/v1/strategies/rsi-swing").json()
    assert got["tp_atr_multipliers"] == [2.0, 3.5]
    resp = client.put("/api/v1/strategies/rsi-swing", json={**STRATEGY, "risk_level": "high"})
    assert resp.json()["risk_level"] == "high"
    assert client.delete("/api/v1/strategies/rsi-swing").status_code == 204
    assert client.get("/api/v1/strategies/rsi-swing").status_code == 404


def test_strategy_validation(client: TestClient) -> None:
    cases = [
        ({"indicator_weights": {"rsi": 0.5, "ema": 0.2}}, "sum to 1"),
        ({"indicator_weights": {"magic": 1.0}}, "unknown indicators"),
        ({"tp_atr_multipliers": [3.0, 2.0]}, "ascending"),
        ({"sl_atr_multiplier": 0}, "sl_atr_multiplier"),
        ({"preferred_timeframe": "H2"}, "preferred_timeframe"),
    ]
    for change, message in cases:
        resp = client.post("/api/v1/strategies", json={**STRATEGY, **change})
        assert resp.status_code == 422, change
        assert message in resp.json()["detail"], (change, resp.json()["detail"])


def test_symbol_search_takes_wildcards_literally(client: TestClient) -> None:
    """`_` and `%` were LIKE wildcards: `RP_` matched "Microsoft Corporation"."""
    sym = {"symbol": "RP_TRAV", "name": "Route planner", "category": "stock"}
    assert client.post("/api/v1/symbols", json=sym).status_code == 201
    found = client.get("/api/v1/symbols", params={"q": "RP_"}).json()["items"]
    assert [s["symbol"] for s in found] == ["RP_TRAV"]
    assert client.get("/api/v1/symbols", params={"q": "%"}).json()["total"] == 0
    assert client.get("/api/v1/symbols", params={"q": "\\"}).json()["total"] == 0
    assert client.get("/api/v1/symbols", params={"q": "corp"}).json()["total"] >= 1  # MSFT's name
    assert client.delete("/api/v1/symbols/RP_TRAV").status_code == 204
