"""The provider interface: every source of market data implements `Provider`.

Only the data service imports this package (docs/architecture.md, data-flow rule 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import pandas as pd

from tradingstack.core.timeframes import Timeframe

OHLCV_COLUMNS = ("open", "high", "low", "close", "volume")


class ProviderError(Exception):
    """A provider could not answer. `retryable` says whether trying again may help."""

    def __init__(self, provider: str, reason: str, *, retryable: bool = False) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason
        self.retryable = retryable


class SymbolNotSupported(ProviderError):
    """The provider does not know the symbol (not a failure of the provider itself)."""


class TimeframeNotSupported(ProviderError):
    """The provider has no bars of that size; the service may resample finer ones."""


@dataclass(frozen=True)
class ProviderResult:
    """Bars as a provider served them.

    `bars`: a DataFrame indexed by a tz-aware UTC DatetimeIndex named "time" (bar open time),
    sorted ascending, unique, with float columns open, high, low, close, volume (NaN rows dropped).
    """

    provider: str
    symbol: str
    timeframe: Timeframe
    bars: pd.DataFrame
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    resampled_from: Timeframe | None = None
    """Set by the chain when it built these bars from a finer timeframe."""


@runtime_checkable
class Provider(Protocol):
    """A market-data source.

    `symbol` is the provider's own spelling (the service maps `EURUSD` -> `EUR/USD` for TwelveData,
    `EURUSD=X` for Yahoo) through the symbol's provider mappings.
    """

    name: str

    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> ProviderResult: ...

    async def aclose(self) -> None: ...
