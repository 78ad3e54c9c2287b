"""The fallback chain: ask providers in order, resample when one lacks a timeframe.

`ProviderChain.fetch_ohlcv(symbol, mappings, order, timeframe, ...)` tries each provider named in
`order` (the symbol's own order, or the chain's default order when empty) with that provider's
spelling of the symbol (`mappings[provider]`, else the canonical symbol):

1. the provider answers -> that answer (its `provider` says who served it, `fetched_at` when);
2. it raises `TimeframeNotSupported` -> the same provider is asked for each finer timeframe
   (`Timeframe.finer()`, coarsest first) and the first answer is resampled (see `resample.py`);
   `ProviderResult.resampled_from` then names the source timeframe;
3. it raises any other `ProviderError` (down, rate limited, breaker open, unknown symbol,
   not configured) -> recorded, next provider.

An answer with no bars (nothing in the asked range) is an answer: the chain returns it.
When none answers, `AllProvidersFailed` carries every provider's error, in order (the service
answers 503 with those reasons, or serves stale cached bars).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import (
    Provider,
    ProviderError,
    ProviderResult,
    SymbolNotSupported,
    TimeframeNotSupported,
)
from tradingstack.data.providers.frames import select_window
from tradingstack.data.providers.resample import bucket_start, ratio, resample_ohlcv

log = logging.getLogger(__name__)

# Never ask a provider for more finer bars than this when resampling.
MAX_FINER_LIMIT = 100_000


class AllProvidersFailed(Exception):
    """No provider in the order could answer; `errors` holds each one's reason, in order."""

    def __init__(self, symbol: str, timeframe: Timeframe, errors: list[ProviderError]) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.errors = errors
        reasons = "; ".join(str(e) for e in errors) or "no provider configured"
        super().__init__(f"no provider could serve {symbol} {timeframe}: {reasons}")

    @property
    def reasons(self) -> list[dict[str, str | bool]]:
        """JSON-ready reasons: provider, reason, retryable."""
        return [
            {"provider": e.provider, "reason": e.reason, "retryable": e.retryable}
            for e in self.errors
        ]


class ProviderChain:
    """Providers by name, tried in a per-call order (see the module docstring)."""

    def __init__(
        self, providers: Mapping[str, Provider], *, default_order: Sequence[str] | None = None
    ) -> None:
        self.providers: dict[str, Provider] = dict(providers)
        self.default_order: list[str] = list(default_order or self.providers)
        self._last_error: dict[str, tuple[str, datetime]] = {}
        self._last_success: dict[str, datetime] = {}

    async def fetch_ohlcv(
        self,
        symbol: str,
        mappings: Mapping[str, str],
        order: Sequence[str] | None,
        timeframe: Timeframe,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> ProviderResult:
        """The first answer along `order` (see the module docstring); `AllProvidersFailed` else."""
        errors: list[ProviderError] = []
        for name in list(order or self.default_order):
            provider = self.providers.get(name)
            if provider is None:
                errors.append(ProviderError(name, "not configured (no URL or API key set)"))
                continue
            provider_symbol = mappings.get(name) or symbol
            try:
                result = await self._fetch_one(
                    provider, provider_symbol, timeframe, start=start, end=end, limit=limit
                )
            except ProviderError as exc:
                errors.append(exc)
                if not isinstance(exc, SymbolNotSupported | TimeframeNotSupported):
                    self._last_error[name] = (exc.reason, datetime.now(UTC))
                log.info("provider %s could not serve %s %s: %s", name, symbol, timeframe, exc)
                continue
            except Exception as exc:  # a provider bug must not hide the next provider
                scrub = getattr(provider, "scrub", str)
                error = ProviderError(name, scrub(f"unexpected {type(exc).__name__}: {exc}"))
                errors.append(error)
                self._last_error[name] = (error.reason, datetime.now(UTC))
                log.exception("provider %s failed unexpectedly", name)
                continue
            self._last_success[name] = datetime.now(UTC)
            return dataclasses.replace(result, symbol=symbol)
        raise AllProvidersFailed(symbol, timeframe, errors)

    async def _fetch_one(
        self,
        provider: Provider,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: datetime | None,
        end: datetime | None,
        limit: int | None,
    ) -> ProviderResult:
        try:
            return await provider.fetch_ohlcv(symbol, timeframe, start=start, end=end, limit=limit)
        except TimeframeNotSupported:
            pass
        tried: list[str] = []
        for finer in timeframe.finer():
            factor = ratio(finer, timeframe)
            finer_start = bucket_start(start, timeframe) if start is not None else None
            finer_end = (
                bucket_start(end, timeframe) + timeframe.delta - finer.delta
                if end is not None
                else None
            )
            # Two spare buckets: the edges may be incomplete and get dropped.
            finer_limit = min((limit + 2) * factor, MAX_FINER_LIMIT) if limit is not None else None
            try:
                source = await provider.fetch_ohlcv(
                    symbol,
                    finer,
                    start=finer_start.to_pydatetime() if finer_start is not None else None,
                    end=finer_end.to_pydatetime() if finer_end is not None else None,
                    limit=finer_limit,
                )
            except TimeframeNotSupported:
                tried.append(str(finer))
                continue
            bars = resample_ohlcv(source.bars, finer, timeframe)
            bars = select_window(bars, start=start, end=end, limit=limit)
            return dataclasses.replace(source, timeframe=timeframe, bars=bars, resampled_from=finer)
        raise TimeframeNotSupported(
            provider.name,
            f"no {timeframe} bars for {symbol}, nor finer ones to resample"
            + (f" (tried {', '.join(tried)})" if tried else ""),
        )

    def status(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per provider, in the default order first:

        `name`; `state`: the circuit breaker's "closed", "open" or "half-open" (None for a
        provider without one, the embedded data); `last_error` and `last_error_at` (ISO 8601;
        unknown symbols and timeframes do not count as errors); `last_success_at`;
        `in_default_order`.
        """
        names = [n for n in self.default_order if n in self.providers]
        names += [n for n in self.providers if n not in names]
        out: list[dict[str, Any]] = []
        for name in names:
            error = self._last_error.get(name)
            success = self._last_success.get(name)
            out.append(
                {
                    "name": name,
                    "state": getattr(self.providers[name], "breaker_state", None),
                    "last_error": error[0] if error else None,
                    "last_error_at": error[1].isoformat() if error else None,
                    "last_success_at": success.isoformat() if success else None,
                    "in_default_order": name in self.default_order,
                }
            )
        return out

    async def aclose(self) -> None:
        results = await asyncio.gather(
            *(p.aclose() for p in self.providers.values()), return_exceptions=True
        )
        for name, result in zip(self.providers, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("closing provider %s failed: %s", name, type(result).__name__)

    async def __aenter__(self) -> ProviderChain:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
