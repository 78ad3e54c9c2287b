"""The tcn service's contract: its answers, parsed with these models by every client (the
llm service's analysis, the tests' doubles), so a renamed field fails their tests."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tradingstack.core.schemas import ModelQuality, Symbol
from tradingstack.core.timeframes import Timeframe


class PatternInfo(BaseModel):
    name: str
    description: str


class PatternList(BaseModel):
    count: int
    patterns: list[PatternInfo]


class DetectionOut(BaseModel):
    pattern: str
    description: str
    confidence: float = Field(description="the window's calibrated class probability, 0-1")
    start_time: datetime = Field(description="open time of the first bar of the pattern, UTC")
    end_time: datetime = Field(description="open time of the last bar of the pattern, UTC")
    bars: int
    beats_chance: bool = Field(
        default=True,
        description="the pattern's calibrated rule hits real data more often than surrogates "
        "(false only with include_unvalidated=true)",
    )
    lift: float | None = Field(
        default=None, description="the pattern's hit rate on real data / on surrogates"
    )


class PatternLift(BaseModel):
    """One pattern's calibrated rule against chance (measured at training)."""

    pattern: str
    served: bool = Field(description="beat chance: lift >= 1.5 and BH q < 0.05")
    lift: float | None = Field(description="hit rate on real windows / on surrogates")
    real_rate: float = Field(description="hits per real window (training part)")
    null_rate: float = Field(description="hits per surrogate window (worst kind)")
    false_hit_rate: float = Field(description="hits per fresh surrogate window (worst kind)")
    q_value: float = Field(description="Benjamini-Hochberg adjusted binomial p-value")
    reason: str


class ModelInfo(BaseModel):
    trained_at: datetime
    age_seconds: float
    device: str
    real_macro_f1: float | None = Field(
        default=None,
        description="macro-F1 on held-out real windows over all 16 rule classes + none",
    )
    served_patterns: list[str] = Field(
        default_factory=list, description="the patterns that beat chance (served)"
    )
    patterns: list[PatternLift] = Field(
        default_factory=list, description="per-pattern lift over surrogates"
    )


class DetectResult(BaseModel):
    symbol: str
    timeframe: Timeframe
    min_confidence: float
    bars_scanned: int
    first_bar: datetime | None
    last_bar: datetime | None
    windows_scanned: int
    candidates: int = Field(description="windows above the threshold before NMS")
    unvalidated: int = Field(
        default=0,
        description="candidate windows of patterns that do not beat chance (left out unless "
        "include_unvalidated=true)",
    )
    detections: list[DetectionOut]
    model: ModelInfo
    quality: ModelQuality = Field(
        description="macro-F1 of the served patterns on held-out real windows, with its 95 % "
        "interval and the no-skill macro-F1"
    )
    data_provider: str | None = None
    data_stale: bool = False


class ScanRequest(BaseModel):
    symbols: list[Symbol] = Field(min_length=1, description="at least one symbol")
    timeframes: list[Timeframe] = Field(default_factory=lambda: [Timeframe.H1], min_length=1)
    min_confidence: float = Field(default=0.6, ge=0, le=1)
    bars: int | None = Field(default=None, ge=32, le=5000)


class ScanItem(BaseModel):
    symbol: str
    timeframe: Timeframe
    ok: bool
    error: str | None = None
    status: int | None = Field(default=None, description="HTTP status the error would have")
    type: str | None = Field(
        default=None,
        description="the problem type the error would have (docs/problems.md): branch on it",
    )
    result: DetectResult | None = None


class ScanResult(BaseModel):
    items: list[ScanItem]
    detections: int
