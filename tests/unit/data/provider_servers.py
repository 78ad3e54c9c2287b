"""Real HTTP servers on 127.0.0.1 that answer like TwelveData, Yahoo Finance and EasyInsight.

One Starlette app (served by uvicorn in a thread) carries the three APIs:

- `GET /time_series` in TwelveData's format (errors as HTTP 200 + `"status": "error"`),
- `GET /v8/finance/chart/{symbol}` in Yahoo's v8 chart format (null holes, live off-grid bar,
  404 error object),
- `GET /api/v1/ohlcv/{symbol}` in our assumed EasyInsight format (`{"detail": ...}` errors).

The bars are a deterministic random walk of 15-minute bars ending at the last UTC midnight, so
every coarser bucket is complete. Tests script faults with `FakeMarket.plan(route, *faults)`:
each request to that route pops the next fault (HTTP status, headers, body, delay) before the
normal answer. Every request is recorded in `FakeMarket.hits`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

TWELVEDATA_KEY = "td-secret-key-0123456789abcdef"
EASYINSIGHT_KEY = "ei-secret-key-fedcba9876543210"
DAYS = 12

# Symbols each fake knows, in its own spelling.
TWELVEDATA_SYMBOLS = {"EUR/USD"}
YAHOO_SYMBOLS = {"EURUSD=X"}
EASYINSIGHT_SYMBOLS = {"EURUSD"}

_TD_INTERVALS = {"5min": "5min", "15min": "15min", "1h": "1h", "4h": "4h", "1day": "1D"}
_YAHOO_INTERVALS = {"5m": "5min", "15m": "15min", "60m": "1h", "1d": "1D"}
_EI_TIMEFRAMES = {"M5": "5min", "M15": "15min", "H1": "1h", "H4": "4h", "D1": "1D"}


def make_m15(days: int = DAYS, seed: int = 7) -> pd.DataFrame:
    """`days` days of 15-minute EUR/USD-like bars ending at the last UTC midnight."""
    end = pd.Timestamp(datetime.now(UTC)).floor("1D")
    index = pd.date_range(end=end - timedelta(minutes=15), periods=days * 96, freq="15min")
    rng = np.random.default_rng(seed)
    close = 1.09 + np.cumsum(rng.normal(0, 0.0004, len(index)))
    open_ = np.concatenate([[1.09], close[:-1]])
    spread = np.abs(rng.normal(0, 0.0003, len(index)))
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = rng.integers(100, 5000, len(index)).astype("float64")
    frame = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
        index=pd.DatetimeIndex(index, name="time"),
    )
    return frame.round(6)


def aggregate(m15: pd.DataFrame, rule: str) -> pd.DataFrame:
    """Plain groupby aggregation of 15-minute bars: the fakes' truth, not the code under test."""
    if rule == "15min":
        return m15.copy()
    keys = m15.index.floor(rule)
    grouped = m15.groupby(keys)
    out = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(),
        }
    )
    out.index.name = "time"
    return out


@dataclass
class Fault:
    """One scripted answer: status + body (JSON, or text when `text` is set), optional delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    delay: float = 0.0
    passthrough: bool = False  # only delay, then answer normally


@dataclass
class Hit:
    route: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


class FakeMarket:
    """State shared by the server thread and the tests."""

    def __init__(self) -> None:
        self.m15 = make_m15()
        self._lock = threading.Lock()
        self._plans: dict[str, deque[Fault]] = defaultdict(deque)
        self.hits: list[Hit] = []
        self.yahoo_null_times: set[pd.Timestamp] = set()
        self.yahoo_live_bar = False
        self.easyinsight_timeframes: set[str] = set(_EI_TIMEFRAMES)
        self.url = ""

    def reset(self) -> None:
        with self._lock:
            self._plans.clear()
            self.hits.clear()
        self.yahoo_null_times = set()
        self.yahoo_live_bar = False
        self.easyinsight_timeframes = set(_EI_TIMEFRAMES)

    def plan(self, route: str, *faults: Fault) -> None:
        with self._lock:
            self._plans[route].extend(faults)

    def count(self, route: str) -> int:
        return sum(1 for h in self.hits if h.route == route)

    def bars(self, rule: str) -> pd.DataFrame:
        return aggregate(self.m15, rule)

    async def _fault(self, route: str, request: Request) -> Response | None:
        self.hits.append(
            Hit(route, request.url.path, dict(request.query_params), dict(request.headers))
        )
        with self._lock:
            fault = self._plans[route].popleft() if self._plans[route] else None
        if fault is None:
            return None
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.passthrough:
            return None
        if fault.text is not None:
            return PlainTextResponse(fault.text, status_code=fault.status, headers=fault.headers)
        return JSONResponse(fault.body, status_code=fault.status, headers=fault.headers)

    # -- TwelveData -----------------------------------------------------------------------------

    async def twelvedata(self, request: Request) -> Response:
        if (faulted := await self._fault("twelvedata", request)) is not None:
            return faulted
        q = request.query_params
        if q.get("apikey") != TWELVEDATA_KEY:
            return _td_error(
                401,
                "**apikey** parameter is incorrect or not specified. You can get your free API "
                "key instantly following this link: https://twelvedata.com/pricing. If you "
                "believe that everything is correct, you can contact us at "
                "https://twelvedata.com/contact/customer",
            )
        symbol = q.get("symbol", "")
        if symbol not in TWELVEDATA_SYMBOLS:
            return _td_error(
                400,
                f"**symbol** not found: {symbol}. Please specify it correctly according to API "
                "Documentation.",
            )
        interval = q.get("interval", "")
        if interval not in _TD_INTERVALS:
            return _td_error(400, f"**interval** parameter is incorrect: {interval}.")
        bars = self.bars(_TD_INTERVALS[interval])
        if "start_date" in q:
            bars = bars[bars.index >= pd.Timestamp(q["start_date"], tz=UTC)]
        if "end_date" in q:
            bars = bars[bars.index <= pd.Timestamp(q["end_date"], tz=UTC)]
        if bars.empty:
            return _td_error(
                400, "No data is available on the specified dates. Try setting different dates."
            )
        bars = bars.iloc[-int(q.get("outputsize", "30")) :].iloc[::-1]  # newest first
        daily = interval == "1day"
        values = [
            {
                "datetime": t.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M:%S"),
                "open": f"{r.open:.5f}",
                "high": f"{r.high:.5f}",
                "low": f"{r.low:.5f}",
                "close": f"{r.close:.5f}",
                # TwelveData has no volume for forex: leave it out on every other bar.
                **({"volume": str(int(r.volume))} if i % 2 == 0 else {}),
            }
            for i, (t, r) in enumerate(bars.iterrows())
        ]
        meta = {
            "symbol": symbol,
            "interval": interval,
            "currency_base": "Euro",
            "currency_quote": "US Dollar",
            "type": "Physical Currency",
        }
        return JSONResponse({"meta": meta, "values": values, "status": "ok"})

    # -- Yahoo ----------------------------------------------------------------------------------

    async def yahoo(self, request: Request) -> Response:
        if (faulted := await self._fault("yahoo", request)) is not None:
            return faulted
        symbol = request.path_params["symbol"]
        q = request.query_params
        if symbol not in YAHOO_SYMBOLS:
            return JSONResponse(
                {
                    "chart": {
                        "result": None,
                        "error": {
                            "code": "Not Found",
                            "description": "No data found, symbol may be delisted",
                        },
                    }
                },
                status_code=404,
            )
        interval = q.get("interval", "")
        if interval not in _YAHOO_INTERVALS:
            return JSONResponse(
                {
                    "chart": {
                        "result": None,
                        "error": {
                            "code": "Bad Request",
                            "description": f"Invalid input - interval={interval} is not "
                            "supported. Valid intervals: [1m, 2m, 5m, 15m, 30m, 60m, 90m, 1h, "
                            "1d, 5d, 1wk, 1mo, 3mo]",
                        },
                    }
                },
                status_code=400,
            )
        bars = self.bars(_YAHOO_INTERVALS[interval])
        period1 = pd.Timestamp(int(q["period1"]), unit="s", tz=UTC)
        period2 = pd.Timestamp(int(q["period2"]), unit="s", tz=UTC)
        bars = bars[(bars.index >= period1) & (bars.index < period2)]
        daily = interval == "1d"
        gmtoffset = -18000 if daily else 0  # daily answers as for a New York listing
        stamps = [int(t.timestamp()) + (14 * 3600 + 1800 if daily else 0) for t in bars.index]
        quote: dict[str, list[Any]] = {c: [] for c in ("open", "high", "low", "close", "volume")}
        for t, row in bars.iterrows():
            hole = t in self.yahoo_null_times
            for c in quote:
                quote[c].append(None if hole else float(row[c]))
        if self.yahoo_live_bar and not bars.empty and not daily:
            stamps.append(stamps[-1] + 2 * 60 + 2)  # e.g. 13:50:02, an unfinished bar
            for c in quote:
                quote[c].append(1.5)
        result = {
            "meta": {
                "currency": "USD",
                "symbol": symbol,
                "exchangeName": "CCY",
                "instrumentType": "CURRENCY",
                "gmtoffset": gmtoffset,
                "exchangeTimezoneName": "America/New_York" if daily else "Europe/London",
                "dataGranularity": interval,
            },
            "indicators": {"quote": [quote]},
        }
        if stamps:
            result["timestamp"] = stamps
        return JSONResponse({"chart": {"result": [result], "error": None}})

    # -- EasyInsight ----------------------------------------------------------------------------

    async def easyinsight(self, request: Request) -> Response:
        if (faulted := await self._fault("easyinsight", request)) is not None:
            return faulted
        if request.headers.get("x-api-key") != EASYINSIGHT_KEY:
            return JSONResponse({"detail": "Invalid or missing API key"}, status_code=401)
        symbol = request.path_params["symbol"]
        if symbol not in EASYINSIGHT_SYMBOLS:
            return JSONResponse({"detail": f"Unknown symbol {symbol}"}, status_code=404)
        q = request.query_params
        timeframe = q.get("timeframe", "")
        if timeframe not in self.easyinsight_timeframes:
            return JSONResponse(
                {"detail": f"timeframe {timeframe} is not available for {symbol}"},
                status_code=422,
            )
        bars = self.bars(_EI_TIMEFRAMES[timeframe])
        if "start" in q:
            bars = bars[bars.index >= pd.Timestamp(q["start"])]
        if "end" in q:
            bars = bars[bars.index <= pd.Timestamp(q["end"])]
        if "limit" in q:
            bars = bars.iloc[-int(q["limit"]) :]
        data = [
            {
                "snapshot_time": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "open": r.open,
                "high": r.high,
                "low": r.low,
                "close": r.close,
                "volume": r.volume,
            }
            for t, r in bars.iterrows()
        ]
        return JSONResponse({"symbol": symbol, "timeframe": timeframe, "data": data})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/time_series", self.twelvedata),
                Route("/v8/finance/chart/{symbol}", self.yahoo),
                Route("/api/v1/ohlcv/{symbol}", self.easyinsight),
            ]
        )


def _td_error(code: int, message: str) -> JSONResponse:
    # TwelveData answers errors with HTTP 200 and the code in the body.
    return JSONResponse({"code": code, "message": message, "status": "error", "meta": {}})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(market: FakeMarket) -> Iterator[str]:
    """Serve `market` with uvicorn on a free loopback port in a thread; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        market.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="fake-market-data")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake provider server did not start")
        time.sleep(0.01)
    market.url = f"http://127.0.0.1:{port}"
    try:
        yield market.url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
