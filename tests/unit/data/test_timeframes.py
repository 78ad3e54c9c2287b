"""GET /api/v1/symbols/{symbol}/timeframes: which timeframes a symbol has data for (the
dashboard offers only those; it offered M5-H4 for daily-only stocks, each a red error)."""

from __future__ import annotations

from fastapi.testclient import TestClient

CSV = "Date,Open,High,Low,Close,Volume\n" + "\n".join(
    f"2024-03-{d:02d},{100 + d},{102 + d},{99 + d},{101 + d},{1000 * d}" for d in range(1, 21)
)


def _tfs(client: TestClient, symbol: str) -> dict:
    r = client.get(f"/api/v1/symbols/{symbol}/timeframes")
    assert r.status_code == 200, r.text
    body: dict = r.json()
    return body


def test_bundled_symbols_offer_only_their_files_and_what_they_resample(
    client: TestClient,
) -> None:
    nvda = _tfs(client, "NVDA")
    assert [t["timeframe"] for t in nvda["timeframes"]] == ["D1"]  # daily-only: no M5..H4
    assert nvda["timeframes"][0]["providers"] == ["embedded"]
    assert nvda["timeframes"][0]["resampled_from"] is None
    btc = _tfs(client, "btcusd")  # the path is case-insensitive like every symbol path
    assert btc["symbol"] == "BTCUSD"
    by_tf = {t["timeframe"]: t for t in btc["timeframes"]}
    assert list(by_tf) == ["M15", "H1", "H4", "D1"]  # no M5: nothing finer than M15 ships
    assert by_tf["H1"]["resampled_from"] == "M15" and by_tf["D1"]["resampled_from"] is None
    assert "H1 (embedded, resampled from M15)" in btc["summary"]


def test_stored_bars_count_and_a_symbol_without_data_says_so(client: TestClient) -> None:
    # no provider in the default order (embedded) has EURUSD: nothing to offer, said in words
    eur = _tfs(client, "EURUSD")
    assert eur["timeframes"] == []
    assert eur["summary"].startswith("No data for EURUSD")
    # after an import, the imported timeframe is offered, with its bars
    sym = {"symbol": "MYSTOCK", "name": "My stock", "category": "stock"}
    assert client.post("/api/v1/symbols", json=sym).status_code == 201
    assert _tfs(client, "MYSTOCK")["timeframes"] == []
    imp = client.post(
        "/api/v1/ohlcv/MYSTOCK/import",
        params={"timeframe": "D1"},
        content=CSV,
        headers={"content-type": "text/csv"},
    )
    assert imp.status_code == 200, imp.text
    body = _tfs(client, "MYSTOCK")
    assert [t["timeframe"] for t in body["timeframes"]] == ["D1"]
    d1 = body["timeframes"][0]
    assert d1["stored_bars"] == 20 and d1["stored_from"] == ["import"] and d1["providers"] == []
    assert d1["first"].startswith("2024-03-01") and d1["last"].startswith("2024-03-20")
    assert body["summary"] == "D1 (20 bars imported)"
    # bars cached from a provider count too
    assert client.get("/api/v1/ohlcv/NVDA", params={"timeframe": "D1", "limit": 50}).is_success
    d1 = _tfs(client, "NVDA")["timeframes"][0]
    assert d1["stored_bars"] >= 50 and d1["stored_from"] == ["embedded"]


def test_unknown_symbol_is_a_404(client: TestClient) -> None:
    r = client.get("/api/v1/symbols/NOPE/timeframes")
    assert r.status_code == 404
    assert r.json()["type"] == "urn:tradingstack:problem:unknown-symbol"
