"""Settings of the HMM service (`TS_HMM_...`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class HmmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TS_HMM_", extra="ignore")

    dir: Path = Field(default=Path(".state/hmm"), description="models (TS_HMM_DIR)")
    bars: int = Field(default=2000, ge=200, le=5000, description="newest bars used to fit")
    n_iter: int = Field(default=300, ge=10, description="EM iterations of the fit (max)")
    tol: float = Field(
        default=1e-2,
        gt=0,
        description="EM stops when the total log-likelihood changes by less (1e-2 over 2,000 "
        "bars is 5e-6 per bar)",
    )
    restarts: int = Field(
        default=4,
        ge=1,
        le=50,
        description="random starts screened by a few EM iterations; the best (and on a refit "
        "the previous model) run on to convergence",
    )
    vol_window: int = Field(default=20, ge=2, description="bars of the realised volatility")
    ma_window: int = Field(default=50, ge=2, description="bars of the moving average")
    refit_after_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="a regime model older than this is answered as `stale`; an analysis "
        "fits a new one",
    )
    history_segments: int = Field(default=50, ge=1, description="regime segments returned")
    # LightGBM scoring
    horizon_bars: int = Field(default=12, ge=1, description="forward-return horizon of labels")
    threshold_sigma: float = Field(
        default=0.25,
        ge=0,
        description="label threshold in standard deviations of the horizon's returns "
        "(measured on the training part only)",
    )
    n_folds: int = Field(default=6, ge=2, le=20, description="walk-forward folds")
    embargo_bars: int | None = Field(
        default=None, ge=0, description="gap after the purge (null: the horizon)"
    )
    initial_train_fraction: float = Field(
        default=0.4, gt=0.1, lt=0.9, description="share of the rows that only ever train"
    )
    boost_rounds: int = Field(default=500, ge=1, description="most rounds (early stopping)")
    early_stopping_rounds: int = Field(default=30, ge=1)
    bootstrap_resamples: int = Field(default=1000, ge=100, description="for the intervals")
    learning_rate: float = Field(default=0.05, gt=0, lt=1)
    num_leaves: int = Field(default=15, ge=2)
    min_data_in_leaf: int = Field(default=20, ge=1)
    lgbm_threads: int = Field(default=1, ge=0, description="0: LightGBM's default")
    score_max_age_seconds: float = Field(
        default=86400.0, ge=0, description="a scoring model older than this is retrained"
    )
    top_features: int = Field(default=5, ge=1, le=50)
    indicators: list[str] = Field(
        default_factory=lambda: [
            "rsi",
            "macd",
            "bbands:20:2",
            "atr",
            "adx",
            "stoch",
            "cci",
            "mfi",
            "roc",
        ]
    )
