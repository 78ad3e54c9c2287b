"""Request and response models of the data service."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from tradingstack.core.schemas import Symbol
from tradingstack.core.timeframes import Timeframe

ProviderName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]

KNOWN_PROVIDERS = ("embedded", "twelvedata", "yahoo", "easyinsight")


class Category(StrEnum):
    forex = "forex"
    crypto = "crypto"
    stock = "stock"
    index = "index"  # type: ignore[assignment]  # the API's value; it shadows str.index here only
    commodity = "commodity"
    etf = "etf"


class SymbolIn(BaseModel):
    """A symbol to create or replace."""

    model_config = ConfigDict(extra="forbid")

    symbol: Symbol = Field(description="canonical name, e.g. EURUSD, BTCUSD, NVDA")
    name: str = Field(min_length=1, max_length=200, description="display name")
    category: Category
    description: str = Field(default="", max_length=2000)
    provider_symbols: dict[ProviderName, str] = Field(
        default_factory=dict,
        description="the symbol's spelling at each provider, e.g. "
        '{"twelvedata": "EUR/USD", "yahoo": "EURUSD=X"}',
    )
    provider_order: list[ProviderName] | None = Field(
        default=None,
        description="fallback chain for this symbol, first tried first; null = the service default",
    )
    favourite: bool = False

    @field_validator("provider_symbols")
    @classmethod
    def _known_mapping(cls, v: dict[str, str]) -> dict[str, str]:
        for provider, spelling in v.items():
            if provider not in KNOWN_PROVIDERS:
                raise ValueError(
                    f"unknown provider {provider!r}; known: {', '.join(KNOWN_PROVIDERS)}"
                )
            if not spelling.strip() or len(spelling) > 64:
                raise ValueError(f"provider symbol for {provider!r} must be 1-64 characters")
        return v

    @field_validator("provider_order")
    @classmethod
    def _known_order(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        unknown = [p for p in v if p not in KNOWN_PROVIDERS]
        if unknown:
            raise ValueError(f"unknown providers {unknown}; known: {', '.join(KNOWN_PROVIDERS)}")
        if len(set(v)) != len(v):
            raise ValueError("provider_order lists a provider twice")
        return v


class SymbolOut(SymbolIn):
    created_at: datetime
    updated_at: datetime


class SymbolList(BaseModel):
    items: list[SymbolOut]
    total: int


class StrategyType(StrEnum):
    trend_following = "trend_following"
    mean_reversion = "mean_reversion"
    breakout = "breakout"
    momentum = "momentum"
    swing = "swing"
    scalping = "scalping"


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class StrategyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] = Field(
        description="slug, e.g. trend-following-h4"
    )
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    type: StrategyType
    risk_level: RiskLevel
    indicator_weights: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        description="weight of each indicator in the signal, each 0-1, summing to 1 (±0.01)"
    )
    thresholds: dict[str, float] = Field(
        default_factory=dict, description='e.g. {"rsi_overbought": 70, "rsi_oversold": 30}'
    )
    sl_atr_multiplier: float = Field(gt=0, le=20, description="stop loss distance in ATRs")
    tp_atr_multipliers: list[Annotated[float, Field(gt=0, le=50)]] = Field(
        min_length=1, max_length=5, description="take-profit distances in ATRs, ascending"
    )
    preferred_timeframe: Timeframe

    @field_validator("indicator_weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        from tradingstack.data.indicators import INDICATORS

        unknown = sorted(set(v) - set(INDICATORS))
        if unknown:
            raise ValueError(
                f"unknown indicators {unknown}; known: {', '.join(sorted(INDICATORS))}"
            )
        if not v or abs(sum(v.values()) - 1.0) > 0.01:
            raise ValueError(f"weights must sum to 1, they sum to {sum(v.values()):.3f}")
        return v

    @model_validator(mode="after")
    def _tp_order(self) -> StrategyIn:
        if self.tp_atr_multipliers != sorted(self.tp_atr_multipliers):
            raise ValueError("tp_atr_multipliers must be ascending")
        if self.tp_atr_multipliers[0] <= self.sl_atr_multiplier * 0.5:
            raise ValueError("the first take profit must be more than half the stop distance away")
        return self


class StrategyOut(StrategyIn):
    created_at: datetime
    updated_at: datetime


class ImportResult(BaseModel):
    symbol: str
    timeframe: Timeframe
    rows: int
    first: datetime
    last: datetime
    replaced: int = Field(description="bars that existed already and were overwritten")


class ProviderStatus(BaseModel):
    """A market-data provider and its circuit breaker (`GET /api/v1/providers`)."""

    name: str
    state: Literal["closed", "open", "half-open"] | None = Field(
        description="its circuit breaker's state; null for one without (the embedded data)"
    )
    last_error: str | None = Field(description="unknown symbols and timeframes do not count")
    last_error_at: datetime | None
    last_success_at: datetime | None
    in_default_order: bool
    default_order_position: int | None = Field(
        default=None, description="its place in the fallback order (0 first)"
    )


class IndicatorInfo(BaseModel):
    """An indicator the data service computes (`GET /api/v1/indicators`)."""

    name: str
    description: str
    params: dict[str, float | int] = Field(description="each parameter and its default")
    columns: list[str] = Field(description="the value columns it answers")


class TimeframeAvailability(BaseModel):
    """One timeframe a symbol has bars for, or a provider in its order can serve."""

    timeframe: Timeframe
    stored_bars: int = Field(description="bars of it in the service's store (cached or imported)")
    first: datetime | None = Field(description="the oldest stored bar's time")
    last: datetime | None = Field(description="the newest stored bar's time")
    stored_from: list[str] = Field(
        description='who stored those bars: a provider\'s name, or "import"'
    )
    providers: list[str] = Field(
        description="providers in the symbol's order that serve it: the embedded data (known) "
        "and the configured online providers (they serve every timeframe, not checked here)"
    )
    resampled_from: Timeframe | None = Field(
        default=None, description="the embedded data's finer timeframe that is resampled into it"
    )


class SymbolTimeframes(BaseModel):
    """Which timeframes a symbol has data for (`GET /api/v1/symbols/{symbol}/timeframes`)."""

    symbol: str
    timeframes: list[TimeframeAvailability] = Field(
        description="only those with data (stored, embedded or from a configured provider), "
        "finest first; empty: the symbol has no data at all yet"
    )
    summary: str = Field(description="in words, e.g. 'D1 (imported, 60 bars)'")
