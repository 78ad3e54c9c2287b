"""OHLCV with a cache: ask the providers' fallback chain when the cache is old, serve stale
cached bars (flagged) when every provider fails, and 503 with the reasons when there is nothing.

Imported bars are the symbol's own source: when no provider has the symbol or timeframe (not
an outage), they are served as they are, not flagged stale.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime

import pandas as pd
from starlette.concurrency import run_in_threadpool

from tradingstack.core.errors import (
    DomainError,
    InvalidRequest,
    NoData,
    NoDataInRange,
    UpstreamUnavailable,
)
from tradingstack.core.schemas import OHLCV, Bar, to_utc
from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import SymbolNotSupported, TimeframeNotSupported
from tradingstack.data.providers.chain import AllProvidersFailed, ProviderChain
from tradingstack.data.schemas import SymbolOut
from tradingstack.data.settings import DataSettings
from tradingstack.data.store import Store

log = logging.getLogger("tradingstack.data.market")

# The `provider` the CSV import records on the bars it writes.
IMPORT_PROVIDER = "import"


def _no_bars(
    symbol: str, timeframe: Timeframe, exc: AllProvidersFailed, reasons: list[str]
) -> DomainError:
    """No provider served the bars and none are cached. When every provider said it has no
    such symbol or timeframe, the data does not exist (`NoData`: asking again will not help);
    otherwise a provider is down (`UpstreamUnavailable`: ask again later)."""
    detail = "; ".join(reasons) or "no provider is configured for it"
    if all(isinstance(e, SymbolNotSupported | TimeframeNotSupported) for e in exc.errors):
        return NoData(
            f"No provider has {timeframe} bars for {symbol}, and none are cached: {detail}. "
            "Import them as CSV, or set the symbol's provider_symbols.",
            reasons=reasons,
        )
    return UpstreamUnavailable(
        f"Every market-data provider failed and no cached bars exist for {symbol} {timeframe}: "
        + detail,
        "providers",
        reasons=reasons,
    )


class MarketData:
    def __init__(
        self, store: Store, chain: ProviderChain, settings: DataSettings, default_order: list[str]
    ) -> None:
        self.store = store
        self.chain = chain
        self.settings = settings
        self.default_order = default_order
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    async def symbol(self, symbol: str) -> SymbolOut:
        """The symbol's settings; UnknownSymbol when the stack has no such symbol."""
        return await run_in_threadpool(self.store.get_symbol, symbol.upper())

    def _check_range(self, start: datetime | None, end: datetime | None, limit: int) -> None:
        if start and end and start >= end:
            raise InvalidRequest(
                f"start ({start.isoformat()}) must be before end ({end.isoformat()})."
            )
        if limit > self.settings.max_limit:
            raise InvalidRequest(f"limit must be at most {self.settings.max_limit}, got {limit}.")

    async def bars(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> tuple[pd.DataFrame, OHLCV]:
        """The bars (a DataFrame) and the response describing where they came from."""
        limit = limit or self.settings.default_limit
        start = to_utc(start) if start else None
        end = to_utc(end) if end else None
        self._check_range(start, end, limit)
        sym = await self.symbol(symbol)
        order = sym.provider_order if sym.provider_order is not None else self.default_order
        key = (sym.symbol, str(timeframe))
        warnings: list[str] = []
        stale = False
        cache_hit = False
        resampled_from: Timeframe | None = None
        provider = "cache"
        served = False  # a provider answered for this symbol and timeframe

        async with self._locks[key]:
            last = await run_in_threadpool(self.store.last_fetch, sym.symbol, timeframe)
            cached = await run_in_threadpool(
                self.store.load_bars, sym.symbol, timeframe, start=start, end=end, limit=limit
            )
            now = datetime.now(UTC)
            fresh = (
                last is not None
                and (now - last["fetched_at"]).total_seconds() < self.settings.cache_ttl_seconds
                and (
                    len(cached) >= limit
                    or (start is not None and _covers(cached, start, timeframe))
                )
            )
            if not order:
                provider = _providers_of(cached) or "none"
                cache_hit = True
            elif fresh and last is not None:
                cache_hit = True
                provider = last["provider"]
                resampled_from = (
                    Timeframe(last["resampled_from"]) if last["resampled_from"] else None
                )
            else:
                try:
                    result = await self.chain.fetch_ohlcv(
                        sym.symbol,
                        sym.provider_symbols,
                        order,
                        timeframe,
                        start=start,
                        end=end,
                        limit=limit,
                    )
                except AllProvidersFailed as exc:
                    reasons = [f"{e.provider}: {e.reason}" for e in exc.errors]
                    if cached.empty:
                        raise _no_bars(sym.symbol, timeframe, exc, reasons) from None
                    if _own_source(cached, exc):
                        # the user's imported bars are this symbol's own source: no provider
                        # has them, so none can be newer; that is not staleness
                        provider = _providers_of(cached) or IMPORT_PROVIDER
                        cache_hit = True
                    else:
                        stale = True
                        provider = (last or {}).get("provider") or _providers_of(cached) or "cache"
                        warnings.append(
                            "served stale cached bars; providers failed: " + "; ".join(reasons)
                        )
                        log.warning(
                            "serving stale bars for %s %s: %s", sym.symbol, timeframe, reasons
                        )
                else:
                    served = True
                    provider = result.provider
                    resampled_from = result.resampled_from
                    await run_in_threadpool(
                        self.store.save_bars,
                        sym.symbol,
                        timeframe,
                        result.bars,
                        result.provider,
                        fetched_at=result.fetched_at,
                        resampled_from=result.resampled_from,
                    )
                    last = {"fetched_at": result.fetched_at}
                    cached = await run_in_threadpool(
                        self.store.load_bars,
                        sym.symbol,
                        timeframe,
                        start=start,
                        end=end,
                        limit=limit,
                    )
        if cached.empty and not stale:
            raise await self._no_bars_in(sym.symbol, timeframe, start, end, served)
        fetched_at = last["fetched_at"] if last else now
        newest_close = cached.index[-1].to_pydatetime() + timeframe.delta
        response = OHLCV(
            symbol=sym.symbol,
            timeframe=timeframe,
            provider=provider,
            fetched_at=fetched_at,
            age_seconds=max(0.0, (now - newest_close).total_seconds()),
            stale=stale,
            cache_hit=cache_hit,
            resampled_from=resampled_from,
            warnings=warnings,
            bars=[],
        )
        return cached.drop(columns=["provider"]), response

    async def _no_bars_in(
        self,
        symbol: str,
        timeframe: Timeframe,
        start: datetime | None,
        end: datetime | None,
        served: bool,
    ) -> NoData:
        """No bars to answer with. With a start or an end, `NoDataInRange` when a provider
        served the symbol in this timeframe (`served`) or bars of it are stored: a wider range
        finds bars. Otherwise `NoData`: there are none to find."""
        stored = await run_in_threadpool(self.store.stored_timeframes, symbol)
        held = next((r for r in stored if r["timeframe"] == str(timeframe) and r["bars"]), None)
        if (start is None and end is None) or (held is None and not served):
            return NoData(f"No {timeframe} bars for {symbol}.")
        asked = f"from {start.isoformat() if start else 'the first bar'} to "
        asked += end.isoformat() if end else "now"
        if held is None:
            return NoDataInRange(f"No {timeframe} bars for {symbol} {asked}.")
        first, last = held["first"].isoformat(), held["last"].isoformat()
        return NoDataInRange(
            f"No {timeframe} bars for {symbol} {asked}; {held['bars']} stored bars span "
            f"{first} to {last}.",
            first=first,
            last=last,
        )

    async def ohlcv(self, symbol: str, timeframe: Timeframe, **kw: object) -> OHLCV:
        frame, response = await self.bars(symbol, timeframe, **kw)  # type: ignore[arg-type]
        # The bars come from our own store, already checked: construct, do not re-validate.
        response.bars = [
            Bar.model_construct(time=ts, open=o, high=h, low=lo, close=c, volume=v)
            for ts, o, h, lo, c, v in zip(
                frame.index.to_pydatetime(),
                frame["open"].tolist(),
                frame["high"].tolist(),
                frame["low"].tolist(),
                frame["close"].tolist(),
                frame["volume"].tolist(),
                strict=True,
            )
        ]
        return response


def _own_source(cached: pd.DataFrame, exc: AllProvidersFailed) -> bool:
    """The cached bars are imported ones and every provider said it has no such symbol or
    timeframe (no outage): the import is where this symbol's bars come from."""
    return IMPORT_PROVIDER in set(cached["provider"]) and all(
        isinstance(e, SymbolNotSupported | TimeframeNotSupported) for e in exc.errors
    )


def _covers(cached: pd.DataFrame, start: datetime, timeframe: Timeframe) -> bool:
    return not cached.empty and cached.index[0].to_pydatetime() <= start + timeframe.delta


def _providers_of(frame: pd.DataFrame) -> str | None:
    if frame.empty:
        return None
    return ",".join(sorted(set(frame["provider"])))
