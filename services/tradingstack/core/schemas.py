"""Response models shared between services (the data service answers them, clients parse them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from tradingstack.core.timeframes import Timeframe

# The one spelling of a symbol at every edge of every service, in paths, queries and bodies
# alike: the data service's canonical names (EURUSD, BTCUSD, BRK.B). Lower case is accepted
# and made upper case; nothing else reaches a model's file name or another service's URL.
SYMBOL_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{0,31}$"
SYMBOL_INPUT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"

Symbol = Annotated[
    str, StringConstraints(pattern=SYMBOL_INPUT_PATTERN), AfterValidator(lambda v: v.upper())
]
SymbolPath = Annotated[Symbol, Path(description="the symbol, e.g. BTCUSD (any case)")]

# The instants a request may name: within what pandas and Python can represent in UTC, and
# wide enough for any market history. Outside it, `astimezone` overflows (0001-01-01+01:00)
# or pandas refuses the timestamp; both were 500s.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def to_utc(value: datetime) -> datetime:
    """The instant in UTC; a naive datetime is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _instant(value: datetime) -> datetime:
    try:
        utc: datetime | None = to_utc(value)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"must be from {EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d} (UTC)")
    return utc


Instant = Annotated[
    datetime,
    AfterValidator(_instant),
    Field(description="ISO 8601, UTC when no offset, from 1900 to before 2200"),
]

HealthStatus = Literal["healthy", "degraded", "unhealthy"]


class Health(BaseModel):
    """The `/health` document of every service (the seed's fields, plus details)."""

    status: HealthStatus
    service: str
    version: str
    uptime_seconds: float
    training_in_progress: bool = False
    details: dict[str, object] = Field(default_factory=dict)


class Bar(BaseModel):
    time: datetime = Field(description="bar open time, UTC")
    open: float
    high: float
    low: float
    close: float
    volume: float


class OHLCV(BaseModel):
    symbol: str
    timeframe: Timeframe
    provider: str = Field(description="which provider served the bars (or 'cache', 'import')")
    fetched_at: datetime = Field(description="when the provider served them")
    age_seconds: float = Field(description="seconds since the newest bar closed")
    stale: bool = Field(description="true when served from cache because every provider failed")
    cache_hit: bool = Field(
        default=False, description="true when fresh cached bars answered without asking providers"
    )
    resampled_from: Timeframe | None = None
    warnings: list[str] = Field(default_factory=list)
    bars: list[Bar]


class IndicatorSeries(BaseModel):
    name: str
    columns: list[str]
    params: dict[str, float | int]


class Indicators(BaseModel):
    symbol: str
    timeframe: Timeframe
    provider: str
    stale: bool
    indicators: list[IndicatorSeries]
    times: list[datetime]
    values: dict[str, list[float | None]] = Field(
        description="column name -> values aligned with `times` (null during warm-up)"
    )


class ModelQuality(BaseModel):
    """What a model's answers are worth, measured on data it was not fitted on.

    It travels with every answer of a model (forecast, patterns, regime, score), so that a
    consumer (the analysis, the dashboard) can weigh the answer by it: an input whose
    `has_edge` is false counts for nothing in the analysis's direction and is shown to people
    as "no demonstrated edge" (or "no better than no change").
    """

    metric: str = Field(
        description="what was measured, e.g. 'relative MAE vs naive', 'hold-out AUC', "
        "'macro-F1 on held-out real windows'"
    )
    value: float | None = Field(description="the measured value (null: not measured yet)")
    ci_low: float | None = Field(default=None, description="lower end of its 95 % interval")
    ci_high: float | None = Field(default=None, description="upper end of its 95 % interval")
    baseline: float | None = Field(
        description="the same metric for no skill (1.0 for relative MAE, 0.5 for AUC, ...)"
    )
    higher_is_better: bool
    has_edge: bool = Field(
        description="the whole 95 % interval lies on the better side of the baseline"
    )
    evaluated_on: str = Field(description="the held-out data it was measured on, in words")
    summary: str = Field(description="for people, e.g. 'no better than no change'")


def has_edge(
    ci_low: float | None, ci_high: float | None, baseline: float, *, higher_is_better: bool
) -> bool:
    """True when a 95 % interval lies wholly on the better side of the no-skill baseline."""
    if ci_low is None or ci_high is None:
        return False
    return ci_low > baseline if higher_is_better else ci_high < baseline
