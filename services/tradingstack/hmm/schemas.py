"""The hmm service's contract: its answers, parsed with these models by every client (the
llm service's analysis, the tests' doubles), so a renamed field fails their tests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tradingstack.core.schemas import Symbol
from tradingstack.core.timeframes import Timeframe

Direction = Literal["long", "short"]


class Duration(BaseModel):
    bars: float | None = Field(description="1 / (1 - p_ii); null when the regime never ends")
    seconds: float | None
    human: str


class Segment(BaseModel):
    start: datetime
    end: datetime
    regime: str
    bars: int


class RegimeModelInfo(BaseModel):
    fitted_at: datetime
    converged: bool
    log_likelihood: float
    iterations: int
    restarts: int
    converged_restarts: int
    n_obs: int
    train_start: datetime | None
    train_end: datetime | None
    fit_seconds: float
    refitted: bool = Field(description="fitted for this request")
    stale: bool = Field(
        description="older than the refit age (TS_HMM_REFIT_AFTER_SECONDS): POST .../fit "
        "fits a new one"
    )


class RegimeResult(BaseModel):
    symbol: str
    timeframe: Timeframe
    as_of: datetime = Field(description="time of the newest bar")
    current_regime: str
    probabilities: dict[str, float] = Field(description="filtered (no look-ahead), sum 1")
    transition_matrix: dict[str, dict[str, float]] = Field(description="from -> to, per bar")
    expected_duration: dict[str, Duration]
    state_means: dict[str, dict[str, float]]
    history: list[Segment] = Field(description="newest last; from the filtered regimes")
    model: RegimeModelInfo


class ScoreRequest(BaseModel):
    symbol: Symbol
    timeframe: Timeframe = Timeframe.H1
    direction: Direction


class Contribution(BaseModel):
    feature: str
    value: float
    contribution: float = Field(description="SHAP value (log-odds) from LightGBM pred_contrib")


class ScoringModelInfo(BaseModel):
    trained_at: datetime
    auc_valid: float | None
    base_rate_valid: float
    n_train: int
    n_valid: int
    train_start: datetime
    train_end: datetime
    valid_start: datetime
    valid_end: datetime
    retrained: bool


class ScoreResult(BaseModel):
    symbol: str
    timeframe: Timeframe
    direction: Direction
    score: float = Field(ge=0, le=100, description="100 x P(label), the model's probability")
    probability: float
    as_of: datetime
    horizon_bars: int
    threshold: float = Field(description="forward log-return a label needs to beat")
    top_features: list[Contribution]
    bias: float = Field(description="the SHAP base value (log-odds)")
    model: ScoringModelInfo
