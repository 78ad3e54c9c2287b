"""Reading closes pages back through the data service and stops at the first bar."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry
from tradingstack.core.data_client import DataClient
from tradingstack.core.timeframes import Timeframe
from tradingstack.data.app import create_app as create_data_app
from tradingstack.data.settings import DataSettings
from tradingstack.nhits.registry import Registry
from tradingstack.nhits.service import Metrics, NhitsService
from tradingstack.nhits.settings import NhitsSettings

from tests.unit.servers import serve_app


def test_paging_past_the_first_bar_ends_the_series(tmp_path: Path) -> None:
    # 20 bars read 10 at a time: the third page asks for bars before the first one, and the data
    # service answers 404 `no-data-in-range`; that ends the series, it is not an error
    with serve_app(create_data_app(DataSettings(dir=tmp_path / "data"))) as url:
        symbol = {"symbol": "FUND", "name": "Fund", "category": "etf", "provider_order": []}
        assert httpx.post(f"{url}/api/v1/symbols", json=symbol).status_code == 201
        csv = "time,open,high,low,close,volume\n" + "\n".join(
            f"2024-01-02 {h:02d}:00:00+00:00,{10 + h},{11 + h},{9 + h},{10 + h},1"
            for h in range(20)
        )
        r = httpx.post(f"{url}/api/v1/ohlcv/FUND/import", params={"timeframe": "H1"}, content=csv)
        assert r.status_code == 200, r.text

        settings = NhitsSettings(dir=tmp_path / "nhits", data_page_limit=10, accelerator="cpu")
        registry = Registry(settings.dir)
        service = NhitsService(
            settings, DataClient(url), registry, Metrics(CollectorRegistry(), registry)
        )

        async def read() -> list[float]:
            closes, _ = await service.closes("FUND", Timeframe.H1, 100)
            return closes.tolist()

        assert asyncio.run(read()) == [10.0 + h for h in range(20)]
