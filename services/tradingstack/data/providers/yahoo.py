"""Yahoo Finance, the v8 chart endpoint (no API key).

Request::

    GET {base}/v8/finance/chart/{symbol}?interval=60m&period1=1704153600&period2=1704758400
        &includePrePost=false&events=

`base` defaults to https://query1.finance.yahoo.com; `symbol` is Yahoo's spelling (`EURUSD=X`,
`BTC-USD`, `^GSPC`), percent-encoded in the path. Intervals: M5 `5m`, M15 `15m`, H1 `60m`,
D1 `1d`. Yahoo has no 4-hour bars: H4 raises `TimeframeNotSupported` and the chain resamples
60m bars. We always send `period1`/`period2` (Unix seconds): the given range, or, for a plain
`limit`, a look-back wide enough for that many bars (markets close at night and on weekends:
5 times the bars' span intraday, 1.6 times for days; at least 7 days intraday and 14 days for
daily bars), clipped to what Yahoo keeps (5m/15m: 60 days, 60m: 730 days).

Success (HTTP 200)::

    {"chart": {"result": [{
        "meta": {"symbol": "EURUSD=X", "gmtoffset": 0, "exchangeTimezoneName": "Europe/London",
                 "dataGranularity": "60m", ...},
        "timestamp": [1704153600, 1704157200, ...],
        "indicators": {"quote": [{"open": [1.1, null, ...], "high": [...], "low": [...],
                                  "close": [...], "volume": [0, null, ...]}]}}],
      "error": null}}

Arrays may hold `null` (no trade in that interval): bars with a null price are dropped, a null
volume becomes 0. `timestamp` is missing when the range holds no bar (an empty answer). Daily
bars are stamped at the session open; we label them with the exchange-local date at 00:00 UTC
(`gmtoffset`), as the other providers do. An intraday answer often ends with the live, unfinished
bar at an off-grid time (e.g. 13:50:02); it is dropped.

Errors::

    HTTP 404 {"chart": {"result": null,
                        "error": {"code": "Not Found",
                                  "description": "No data found, symbol may be delisted"}}}
    HTTP 400/422 {"chart": {"result": null,
                            "error": {"code": "Bad Request", "description": "..."}}}

404 -> `SymbolNotSupported`; other 4xx -> `ProviderError` (not retried); 429 (plain text
"Too Many Requests") -> `RateLimited`; 5xx -> retried.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd

from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import (
    ProviderResult,
    SymbolNotSupported,
    TimeframeNotSupported,
)
from tradingstack.data.providers.frames import empty_bars, normalize_bars, select_window, to_utc
from tradingstack.data.providers.http import HttpProvider

DEFAULT_URL = "https://query1.finance.yahoo.com"
DEFAULT_LIMIT = 500

INTERVALS: dict[Timeframe, str] = {
    Timeframe.M5: "5m",
    Timeframe.M15: "15m",
    Timeframe.H1: "60m",
    Timeframe.D1: "1d",
}
# How far back Yahoo serves each interval.
MAX_HISTORY: dict[Timeframe, timedelta] = {
    Timeframe.M5: timedelta(days=59),
    Timeframe.M15: timedelta(days=59),
    Timeframe.H1: timedelta(days=729),
}
# Calendar time per bar, generously: stocks trade ~6.5 h a day, 5 days a week.
_SPAN_FACTOR = {Timeframe.D1: 1.6}
_INTRADAY_SPAN_FACTOR = 5.0
# Never look back less than this: a weekend or a holiday must not swallow a small `limit`.
_MIN_LOOKBACK = {Timeframe.D1: timedelta(days=14)}
_INTRADAY_MIN_LOOKBACK = timedelta(days=7)


class YahooProvider(HttpProvider):
    name = "yahoo"

    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> ProviderResult:
        interval = INTERVALS.get(timeframe)
        if interval is None:
            raise TimeframeNotSupported(
                self.name, f"no {timeframe} bars (Yahoo has no 4h interval)"
            )
        now = datetime.now(UTC)
        period2 = to_utc(end) + timeframe.delta if end is not None else pd.Timestamp(now)
        if start is not None:
            period1 = to_utc(start)
        else:
            bars_wanted = limit if limit is not None else DEFAULT_LIMIT
            factor = _SPAN_FACTOR.get(timeframe, _INTRADAY_SPAN_FACTOR)
            span = timeframe.delta * (bars_wanted * factor + 2)
            span = max(span, _MIN_LOOKBACK.get(timeframe, _INTRADAY_MIN_LOOKBACK))
            period1 = period2 - span
        if timeframe in MAX_HISTORY:
            period1 = max(period1, pd.Timestamp(now) - MAX_HISTORY[timeframe])
        params = {
            "interval": interval,
            "period1": int(period1.timestamp()),
            "period2": int(max(period2, period1).timestamp()),
            "includePrePost": "false",
            "events": "",
        }
        body = await self.get_json(f"/v8/finance/chart/{quote(symbol, safe='=')}", params)
        bars = self._bars(body, timeframe)
        bars = select_window(bars, start=start, end=end, limit=limit)
        return ProviderResult(provider=self.name, symbol=symbol, timeframe=timeframe, bars=bars)

    def _bars(self, body: dict[str, Any], timeframe: Timeframe) -> pd.DataFrame:
        result = body["chart"]["result"][0]
        stamps = result.get("timestamp") or []
        if not stamps:
            return empty_bars()
        quotes = (result.get("indicators") or {}).get("quote") or [{}]
        quote_ = quotes[0] or {}
        columns = {}
        for column in ("open", "high", "low", "close", "volume"):
            values = quote_.get(column)
            if values is None or len(values) != len(stamps):
                if column == "volume":
                    values = [None] * len(stamps)
                else:
                    raise self.error(f"unexpected answer shape: bad '{column}' array")
            columns[column] = values
        times = pd.to_datetime(pd.Series(stamps, dtype="int64"), unit="s", utc=True)
        if timeframe is Timeframe.D1:
            offset = int((result.get("meta") or {}).get("gmtoffset") or 0)
            times = (times + pd.Timedelta(seconds=offset)).dt.floor("1D")
        elif len(times) > 1 and (times.iloc[-1] - times.iloc[-2]) % timeframe.delta:
            # The live, unfinished bar sits off the grid: drop it.
            times = times.iloc[:-1]
            columns = {k: v[:-1] for k, v in columns.items()}
        frame = pd.DataFrame(columns, index=pd.DatetimeIndex(times))
        return normalize_bars(frame)

    def interpret(self, response: httpx.Response, body: Any) -> Any:
        chart = body.get("chart") if isinstance(body, dict) else None
        error = chart.get("error") if isinstance(chart, dict) else None
        if error or not response.is_success:
            code = str((error or {}).get("code") or f"HTTP {response.status_code}")
            description = str((error or {}).get("description") or "no description")
            reason = f"{code}: {description}"
            if response.status_code == 404 or code.lower() == "not found":
                raise self.error(f"unknown symbol ({reason})", kind=SymbolNotSupported)
            raise self.error(f"error (HTTP {response.status_code}) {reason}")
        result = chart.get("result") if isinstance(chart, dict) else None
        if not isinstance(result, list) or not result or not isinstance(result[0], dict):
            raise self.error("unexpected answer shape: no chart.result")
        return body
