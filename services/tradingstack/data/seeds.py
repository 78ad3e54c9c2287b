"""Symbols and strategies a fresh installation starts with."""

from __future__ import annotations

from tradingstack.core.timeframes import Timeframe
from tradingstack.data.schemas import Category, RiskLevel, StrategyIn, StrategyType, SymbolIn

# Symbols the external providers know, with their spellings. Served once a provider is configured.
PROVIDER_SYMBOLS: tuple[SymbolIn, ...] = (
    SymbolIn(
        symbol="EURUSD",
        name="Euro / US Dollar",
        category=Category.forex,
        provider_symbols={"twelvedata": "EUR/USD", "yahoo": "EURUSD=X", "easyinsight": "EURUSD"},
    ),
    SymbolIn(
        symbol="GBPUSD",
        name="British Pound / US Dollar",
        category=Category.forex,
        provider_symbols={"twelvedata": "GBP/USD", "yahoo": "GBPUSD=X", "easyinsight": "GBPUSD"},
    ),
    SymbolIn(
        symbol="USDJPY",
        name="US Dollar / Japanese Yen",
        category=Category.forex,
        provider_symbols={"twelvedata": "USD/JPY", "yahoo": "JPY=X", "easyinsight": "USDJPY"},
    ),
    SymbolIn(
        symbol="XAUUSD",
        name="Gold spot / US Dollar",
        category=Category.commodity,
        provider_symbols={"twelvedata": "XAU/USD", "yahoo": "GC=F", "easyinsight": "XAUUSD"},
    ),
    SymbolIn(
        symbol="SPX",
        name="S&P 500 index",
        category=Category.index,
        provider_symbols={"twelvedata": "SPX", "yahoo": "^GSPC"},
    ),
    SymbolIn(
        symbol="SPY",
        name="SPDR S&P 500 ETF",
        category=Category.etf,
        provider_symbols={"twelvedata": "SPY", "yahoo": "SPY"},
    ),
)

# Extra provider spellings for the symbols the embedded datasets carry.
EMBEDDED_MAPPINGS: dict[str, dict[str, str]] = {
    "BTCUSD": {"twelvedata": "BTC/USD", "yahoo": "BTC-USD", "easyinsight": "BTCUSD"},
}

STRATEGIES: tuple[StrategyIn, ...] = (
    StrategyIn(
        id="trend-following",
        name="Trend following",
        type=StrategyType.trend_following,
        risk_level=RiskLevel.medium,
        preferred_timeframe=Timeframe.H4,
        description="Trade with the trend when ADX confirms strength and MACD agrees.",
        indicator_weights={"ema": 0.3, "macd": 0.3, "adx": 0.25, "rsi": 0.15},
        thresholds={"adx_min": 25, "rsi_overbought": 70, "rsi_oversold": 30},
        sl_atr_multiplier=2.0,
        tp_atr_multipliers=[2.0, 4.0],
    ),
    StrategyIn(
        id="mean-reversion",
        name="Mean reversion",
        type=StrategyType.mean_reversion,
        risk_level=RiskLevel.low,
        preferred_timeframe=Timeframe.H1,
        description="Fade moves to the outer Bollinger band when RSI is stretched and ADX is weak.",
        indicator_weights={"bbands": 0.4, "rsi": 0.3, "stoch": 0.2, "adx": 0.1},
        thresholds={"adx_max": 20, "rsi_overbought": 70, "rsi_oversold": 30},
        sl_atr_multiplier=1.5,
        tp_atr_multipliers=[1.0, 2.0],
    ),
    StrategyIn(
        id="breakout",
        name="Breakout",
        type=StrategyType.breakout,
        risk_level=RiskLevel.high,
        preferred_timeframe=Timeframe.M15,
        description="Enter when price leaves a Bollinger squeeze with rising volume (OBV).",
        indicator_weights={"bbands": 0.35, "obv": 0.25, "atr": 0.2, "cci": 0.2},
        thresholds={"squeeze_width_pct": 2.0, "cci_trigger": 100},
        sl_atr_multiplier=1.0,
        tp_atr_multipliers=[1.5, 3.0, 5.0],
    ),
)


def embedded_symbols() -> list[SymbolIn]:
    """One symbol per dataset the embedded provider serves (real bundled OHLCV)."""
    from tradingstack.data.providers.embedded import EMBEDDED_DATASETS

    out = []
    for symbol, info in sorted(EMBEDDED_DATASETS.items()):
        out.append(
            SymbolIn(
                symbol=symbol,
                name=str(info.get("name") or info.get("description") or symbol),
                category=Category(str(info.get("category", "stock"))),
                description=str(info.get("description", "")),
                provider_symbols={"embedded": symbol, **EMBEDDED_MAPPINGS.get(symbol, {})},
            )
        )
    return out
