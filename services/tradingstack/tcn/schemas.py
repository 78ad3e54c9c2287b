"""The tcn service's contract: its answers, parsed with these models by every client (the
llm service's analysis, the tests' doubles), so a renamed field fails their tests."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tradingstack.core.schemas import Symbol
from tradingstack.core.timeframes import Timeframe
from tradingstack.tcn.jobs import JobProgress


class PatternInfo(BaseModel):
    name: str
    description: str


class PatternList(BaseModel):
    count: int
    patterns: list[PatternInfo]


class DetectionOut(BaseModel):
    pattern: str
    description: str
    confidence: float = Field(description="the window's class probability, 0-1")
    start_time: datetime = Field(description="open time of the first bar of the pattern, UTC")
    end_time: datetime = Field(description="open time of the last bar of the pattern, UTC")
    bars: int


class ModelInfo(BaseModel):
    trained_at: datetime
    age_seconds: float
    device: str
    synthetic_macro_f1: float | None = None
    real_macro_f1: float | None = None


class DetectResult(BaseModel):
    symbol: str
    timeframe: Timeframe
    min_confidence: float
    bars_scanned: int
    first_bar: datetime | None
    last_bar: datetime | None
    windows_scanned: int
    candidates: int = Field(description="windows above the threshold before NMS")
    detections: list[DetectionOut]
    model: ModelInfo
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
    result: DetectResult | None = None


class ScanResult(BaseModel):
    items: list[ScanItem]
    detections: int


class JobList(BaseModel):
    in_progress: bool
    jobs: list[JobProgress]
