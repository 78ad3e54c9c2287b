"""The nhits service's contract: the models of its answers. FastAPI checks every answer against
them (`response_model`), the OpenAPI shows them, and its clients (the llm service's analysis,
the tests' doubles) parse with them, so a renamed field fails their tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tradingstack.core.jobs import JobState
from tradingstack.core.schemas import ModelQuality
from tradingstack.core.timeframes import Timeframe

Mode = Literal["full", "finetune"]
Served = Literal["naive", "nhits", "blend"]


class LastBar(BaseModel):
    time: datetime
    close: float


class Interval(BaseModel):
    level: int = Field(description="coverage in percent (80, 95)")
    lower: list[float]
    upper: list[float]
    method: Literal["conformal", "volatility"] | None = Field(
        default=None,
        description="conformal (volatility-scaled, around the served median) or the volatility "
        "baseline (last close +/- z * sigma * sqrt(k)): the narrower calibrated one",
    )


class ForecastModelInfo(BaseModel):
    version: str
    trained_at: datetime
    age_seconds: float
    mode: Mode | None
    data_end: datetime | None = Field(description="the newest bar it was trained on")
    beats_naive: bool | None = Field(
        description="the 95 % interval of its held-out relative MAE vs the naive (last close) "
        "forecast lies below 1 (null: not measured)"
    )
    trained_on_demand: bool = Field(
        description="a small model trained because a forecast found none (on demand or on the "
        "stack's first start), not a full training"
    )
    served: Served = Field(
        description="what the median is: naive (the last close, when NHITS did not beat it on "
        "validation), nhits (the network's median) or blend (last close + alpha x its move)"
    )
    alpha: float = Field(ge=0, le=1, description="share of the network's move in the median")
    served_reason: str = Field(description="why it serves that, in words")


class Forecast(BaseModel):
    symbol: str
    timeframe: Timeframe
    horizon: int = Field(description="bars ahead")
    target: str = Field(description="what is forecast (the close)")
    last_bar: LastBar
    timestamps: list[datetime] = Field(description="open times of the forecast bars")
    median: list[float]
    intervals: list[Interval]
    model: ForecastModelInfo
    nhits_median: list[float] | None = Field(
        default=None, description="the network's own median path (what alpha scales)"
    )
    quality: ModelQuality = Field(description="relative MAE vs naive on held-out origins")
    provider: str | None = Field(description="the market-data provider of the input bars")


class EvaluatedOn(BaseModel):
    bars: int | None
    from_: datetime | None = Field(alias="from")
    until: datetime | None
    note: str


class Evaluation(BaseModel):
    symbol: str
    timeframe: Timeframe
    model_version: str
    trained_at: datetime
    evaluated_on: EvaluatedOn
    holdout: dict[str, Any] = Field(description="walk-forward scores at training time")
    beats_naive: bool | None
    verdict: str | None
    served: Served | None = Field(default=None, description="what the forecasts serve")
    served_reason: str | None = None
    quality: ModelQuality
    rolling: dict[str, Any] | None = Field(
        description="the same scores on bars that arrived after training (null: too few yet)"
    )


class ModelEntry(BaseModel):
    symbol: str
    timeframe: Timeframe
    status: Literal["ok", "corrupt"]
    error: str | None = Field(default=None, description="why a corrupt model cannot load")
    version: str | None = None
    trained_at: datetime | None = None
    age_seconds: float | None = None
    mode: Mode | None = None
    horizon: int | None = None
    input_size: int | None = None
    data: dict[str, Any] | None = None
    training: dict[str, Any] | None = None
    calibration: dict[str, Any] | None = None
    beats_naive: bool | None = None
    mase: float | None = None
    served: Served | None = None
    relative_mae: float | None = None


class ModelList(BaseModel):
    items: list[ModelEntry]
    count: int


class RetrainDecision(BaseModel):
    symbol: str
    timeframe: Timeframe
    action: Literal["busy", "keep", "retrain"]
    reason: str | None = None
    rolling_relative_mae: float | None = None
    job_id: str | None = None
    status: JobState | None = Field(default=None, description="how the retraining job ended")
    error: str | None = None


class RetrainCheck(BaseModel):
    decisions: list[RetrainDecision]
