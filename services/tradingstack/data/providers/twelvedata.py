"""TwelveData (https://twelvedata.com), the `time_series` endpoint.

Request::

    GET {base}/time_series?symbol=EUR/USD&interval=1h&outputsize=500&timezone=UTC&format=JSON
        [&start_date=2024-01-02 00:00:00][&end_date=2024-01-05 00:00:00]&apikey=KEY

`base` defaults to https://api.twelvedata.com. Intervals: M5 `5min`, M15 `15min`, H1 `1h`,
H4 `4h`, D1 `1day`. `outputsize` is at most 5000 (TwelveData's cap); without `limit` we ask for
5000 when a range is given and 500 otherwise. `timezone=UTC` makes every `datetime` UTC.

Success (HTTP 200), newest bar first; `volume` is absent for forex::

    {"meta": {"symbol": "EUR/USD", "interval": "1h", "currency_base": "Euro", ...,
              "type": "Physical Currency"},
     "values": [{"datetime": "2024-01-02 10:00:00", "open": "1.09500", "high": "1.09610",
                 "low": "1.09420", "close": "1.09580", "volume": "0"}, ...],
     "status": "ok"}

For `1day` the datetime is a date ("2024-01-02"), taken as midnight UTC.

Errors also come with HTTP 200 (and sometimes with the same HTTP code), always as::

    {"code": 400, "message": "**symbol** not found: FOO/BAR. Please specify it correctly ...",
     "status": "error", "meta": {...}}

- 400 "symbol ... not found/invalid" -> `SymbolNotSupported`; 400 "No data is available on the
  specified dates" -> an empty answer (the provider did answer); other 400 -> `ProviderError`.
- 401 (missing or bad key), 403 (not in the plan) -> `ProviderError`, never retried.
- 404 -> `SymbolNotSupported`.
- 429 (out of API credits for the minute/day) -> `RateLimited`, retried with backoff.
- 5xx -> retried; they open the breaker when they persist.

The API key goes in the `apikey` query parameter, as TwelveData documents; it is masked in every
logged URL and in every error message (see `http.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import ProviderResult, SymbolNotSupported
from tradingstack.data.providers.frames import bars_from_records, select_window, to_utc
from tradingstack.data.providers.http import HttpProvider, RateLimited

DEFAULT_URL = "https://api.twelvedata.com"
MAX_OUTPUTSIZE = 5000
DEFAULT_OUTPUTSIZE = 500

INTERVALS: dict[Timeframe, str] = {
    Timeframe.M5: "5min",
    Timeframe.M15: "15min",
    Timeframe.H1: "1h",
    Timeframe.H4: "4h",
    Timeframe.D1: "1day",
}


def _format_time(value: datetime) -> str:
    return to_utc(value).strftime("%Y-%m-%d %H:%M:%S")


class TwelveDataProvider(HttpProvider):
    name = "twelvedata"

    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> ProviderResult:
        params: dict[str, Any] = {
            "symbol": symbol,
            "interval": INTERVALS[timeframe],
            "timezone": "UTC",
            "format": "JSON",
        }
        if limit is not None:
            params["outputsize"] = max(1, min(limit, MAX_OUTPUTSIZE))
        else:
            ranged = start is not None or end is not None
            params["outputsize"] = MAX_OUTPUTSIZE if ranged else DEFAULT_OUTPUTSIZE
        if start is not None:
            params["start_date"] = _format_time(start)
        if end is not None:
            params["end_date"] = _format_time(end)
        if self.config.api_key is not None:
            params["apikey"] = self.config.api_key.get_secret_value()
        body = await self.get_json("/time_series", params)
        bars = bars_from_records(body.get("values") or [], time_keys=("datetime",))
        bars = select_window(bars, start=start, end=end, limit=limit)
        return ProviderResult(provider=self.name, symbol=symbol, timeframe=timeframe, bars=bars)

    def interpret(self, response: httpx.Response, body: Any) -> Any:
        if not isinstance(body, dict):
            raise self.error(f"unexpected answer (HTTP {response.status_code})")
        if body.get("status") == "error" or not response.is_success:
            return self._error_answer(body, response.status_code)
        if body.get("status") not in (None, "ok") or not isinstance(body.get("values", []), list):
            raise self.error("unexpected answer shape: no 'values' list")
        return body

    def _error_answer(self, body: dict[str, Any], http_status: int) -> dict[str, Any]:
        try:
            code = int(body.get("code") or http_status)
        except (TypeError, ValueError):
            code = http_status
        message = str(body.get("message") or "no message").strip()
        lowered = message.lower()
        if code == 429:
            raise RateLimited(self.name, self.scrub(f"rate limited (code 429): {message}"))
        if code >= 500:
            raise self.error(f"server error (code {code}): {message}", retryable=True)
        if code == 404 or (code == 400 and "symbol" in lowered):
            raise self.error(f"unknown symbol (code {code}): {message}", kind=SymbolNotSupported)
        if code == 400 and "no data is available" in lowered:
            # An honest "nothing in that range": an empty answer, not a failure.
            return {"values": [], "status": "ok"}
        raise self.error(f"error (code {code}): {message}")
