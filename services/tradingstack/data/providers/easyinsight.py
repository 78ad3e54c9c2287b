"""EasyInsight, the original project's private market-data REST API.

EasyInsight publishes no specification we could read, so the format below is OUR ASSUMPTION: a
plain, FastAPI-style JSON API. If the real service differs, only this module has to change.

Request::

    GET {base}/api/v1/ohlcv/{symbol}?timeframe=H1&limit=500[&start=ISO-8601][&end=ISO-8601]
    X-API-Key: KEY            (only when TS_DATA_EASYINSIGHT_API_KEY is set)

`timeframe` uses our own spelling (M5, M15, H1, H4, D1); `start`/`end` are inclusive,
ISO 8601 in UTC ("2024-01-02T10:00:00Z").

Success (HTTP 200), bars in any order::

    {"symbol": "EURUSD", "timeframe": "H1",
     "data": [{"snapshot_time": "2024-01-02T10:00:00Z", "open": 1.095, "high": 1.0961,
               "low": 1.0942, "close": 1.0958, "volume": 1234}, ...]}

The bar time may be named `snapshot_time`, `time` or `timestamp` (ISO 8601; naive means UTC);
prices may be numbers or numeric strings; `volume` may be missing (0).

Errors: a non-2xx status with FastAPI's `{"detail": "..."}` (or a list of validation errors):

- 401/403 (bad or missing key) -> `ProviderError`, never retried;
- 404 (unknown symbol) -> `SymbolNotSupported`;
- 422 whose detail mentions the timeframe -> `TimeframeNotSupported` (the chain resamples);
  other 400/422 -> `ProviderError`;
- 429 (with `Retry-After`) -> `RateLimited`; 5xx -> retried, opening the breaker when persistent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tradingstack.core.http import segment
from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import (
    ProviderResult,
    SymbolNotSupported,
    TimeframeNotSupported,
)
from tradingstack.data.providers.frames import bars_from_records, select_window, to_utc
from tradingstack.data.providers.http import HttpProvider, HttpProviderConfig

DEFAULT_LIMIT = 500
TIME_KEYS = ("snapshot_time", "time", "timestamp")


class EasyInsightProvider(HttpProvider):
    name = "easyinsight"

    def __init__(self, config: HttpProviderConfig) -> None:
        super().__init__(config)
        if config.api_key is not None:
            self._client.headers["X-API-Key"] = config.api_key.get_secret_value()

    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> ProviderResult:
        params: dict[str, Any] = {"timeframe": timeframe.value}
        if limit is not None or (start is None and end is None):
            params["limit"] = limit if limit is not None else DEFAULT_LIMIT
        if start is not None:
            params["start"] = to_utc(start).strftime("%Y-%m-%dT%H:%M:%SZ")
        if end is not None:
            params["end"] = to_utc(end).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = await self.get_json(f"/api/v1/ohlcv/{segment(symbol)}", params)
        bars = bars_from_records(body["data"], time_keys=TIME_KEYS)
        bars = select_window(bars, start=start, end=end, limit=limit)
        return ProviderResult(provider=self.name, symbol=symbol, timeframe=timeframe, bars=bars)

    def interpret(self, response: httpx.Response, body: Any) -> Any:
        if response.is_success:
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise self.error("unexpected answer shape: no 'data' list")
            return body
        detail = _detail(body)
        status = response.status_code
        if status == 404:
            raise self.error(f"unknown symbol (HTTP 404): {detail}", kind=SymbolNotSupported)
        if status == 422 and "timeframe" in detail.lower():
            raise self.error(f"HTTP 422: {detail}", kind=TimeframeNotSupported)
        raise self.error(f"HTTP {status}: {detail}")


def _detail(body: Any) -> str:
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        if isinstance(detail, list):  # FastAPI validation errors
            return "; ".join(
                f"{'.'.join(str(p) for p in item.get('loc', []))}: {item.get('msg', '')}"
                if isinstance(item, dict)
                else str(item)
                for item in detail
            )
        return str(detail)
    return "no detail"
