"""The data service on a real PostgreSQL server (TS_DATA_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tradingstack.data.app import create_app
from tradingstack.data.settings import DataSettings

pytestmark = pytest.mark.postgres


def test_everything_works_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    settings = DataSettings(dir=tmp_path, database_url=postgres_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        assert c.get("/health").json()["details"]["database"] == "postgresql"
        assert c.get("/api/v1/symbols/EURUSD").status_code == 200
        sym = {"symbol": "PGX", "name": "pg", "category": "stock", "provider_order": []}
        assert c.post("/api/v1/symbols", json=sym).status_code == 201
        assert c.post("/api/v1/symbols", json=sym).status_code == 409
        csv = (
            "date,open,high,low,close,volume\n"
            "2024-01-02,1,2,0.5,1.5,10\n2024-01-03,1.5,2,1,1.8,11\n"
        )
        r = c.post("/api/v1/ohlcv/PGX/import", params={"timeframe": "D1"}, content=csv)
        assert r.status_code == 200, r.text
        r = c.post("/api/v1/ohlcv/PGX/import", params={"timeframe": "D1"}, content=csv)
        assert r.json()["replaced"] == 2  # ON CONFLICT upsert on PostgreSQL
        bars = c.get("/api/v1/ohlcv/PGX", params={"timeframe": "D1"}).json()["bars"]
        assert [b["close"] for b in bars] == [1.5, 1.8]
        r = c.get("/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": 48})
        assert r.status_code == 200 and len(r.json()["bars"]) == 48
        assert c.get("/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": 48}).json()[
            "cache_hit"
        ]
    # the rows really live in PostgreSQL
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM bars WHERE symbol = 'BTCUSD' AND timeframe = 'H1'")
        )
        assert n.scalar_one() >= 48
        assert conn.execute(text("SELECT version()")).scalar_one().startswith("PostgreSQL")
    engine.dispose()
