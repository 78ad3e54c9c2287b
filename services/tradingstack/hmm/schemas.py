"""The hmm service's contract: its answers, parsed with these models by every client (the
llm service's analysis, the tests' doubles), so a renamed field fails their tests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tradingstack.core.schemas import ModelQuality, Symbol
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
    refit_agreement: float | None = Field(
        default=None,
        description="when this model replaced another: the share of the bars both were fitted "
        "on where the two name the same regime (states matched, so names are stable)",
    )
    matched_to_previous: bool = Field(
        default=False, description="the state names were carried over from the previous model"
    )
    degenerate: bool = Field(
        default=False, description="a state holds under 3 % of the bars (no better fit found)"
    )
    refitted: bool = Field(
        description="fitted for this request: always false now (fits are background jobs, "
        "GET /api/v1/jobs); kept for clients that read it"
    )
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
    quality: ModelQuality = Field(
        description="on the last 20 % of the bars, by a model fitted on the rest: the one-step "
        "log score of the next bar's return under the regime forecast minus that under one "
        "Gaussian (nats/bar, baseline 0). Chosen because it is what regimes can honestly claim "
        "(how widely the next return is spread, not its direction); the likelihood of the "
        "smoothed features themselves would favour any HMM, and refit agreement "
        "(model.refit_agreement) measures stability, not value"
    )


class ScoreRequest(BaseModel):
    symbol: Symbol
    timeframe: Timeframe = Timeframe.H1
    direction: Direction


class Contribution(BaseModel):
    feature: str
    value: float
    contribution: float = Field(description="SHAP value (log-odds) from LightGBM pred_contrib")


class Estimate(BaseModel):
    value: float | None
    ci_low: float | None = Field(default=None, description="95 % block-bootstrap interval")
    ci_high: float | None = None


class ScoreMetrics(BaseModel):
    """Out-of-fold metrics of a probability score, with 95 % intervals."""

    auc: Estimate = Field(description="ROC AUC; 0.5 is no skill")
    ic: Estimate = Field(description="Pearson correlation of the score with the forward return")
    rank_ic: Estimate = Field(description="Spearman correlation with the forward return")
    brier_skill: Estimate = Field(
        description="1 - Brier / Brier of the training base rate (calibrated; 0 is no skill)"
    )
    calibration_error: Estimate = Field(
        description="expected calibration error, 10 equal-count bins (calibrated)"
    )
    base_rate: float = Field(description="share of positive labels on the evaluated rows")
    n: int = Field(description="out-of-fold rows evaluated")
    calibrated_n: int = Field(description="rows with a walk-forward calibrated probability")
    bootstrap_block: int
    bootstrap_resamples: int


class ScoringModelInfo(BaseModel):
    trained_at: datetime
    auc_valid: float | None = Field(description="out-of-fold ROC AUC")
    base_rate_valid: float
    n_train: int
    n_valid: int
    train_start: datetime
    train_end: datetime
    valid_start: datetime
    valid_end: datetime
    retrained: bool = Field(
        description="trained for this request: always false now (training is a background "
        "job, GET /api/v1/jobs); kept for clients that read it"
    )
    folds: int = Field(default=0, description="purged, embargoed walk-forward folds")
    metrics: ScoreMetrics | None = Field(
        default=None, description="out-of-fold AUC, IC, rank IC, Brier skill, calibration error"
    )


class ScoreResult(BaseModel):
    symbol: str
    timeframe: Timeframe
    direction: Direction
    score: float = Field(
        ge=0,
        le=100,
        description="100 x the calibrated probability; without an edge it sits "
        "near 100 x the base rate",
    )
    probability: float = Field(description="calibrated (Platt, on out-of-fold predictions)")
    raw_probability: float | None = Field(default=None, description="the booster's own output")
    as_of: datetime
    horizon_bars: int
    threshold: float = Field(description="forward log-return a label needs to beat")
    top_features: list[Contribution]
    bias: float = Field(description="the SHAP base value (log-odds)")
    model: ScoringModelInfo
    quality: ModelQuality = Field(
        description="out-of-fold ROC AUC with its 95 % interval (baseline 0.5): has_edge only "
        "when the whole interval lies above 0.5"
    )
    summary: str = Field(
        description="for people, e.g. 'long 31/100 (base rate 30/100): not a signal, no "
        "demonstrated edge: out-of-fold AUC 0.52 (95 % CI 0.47-0.57) includes 0.5 (chance)'"
    )
