"""Settings of the HMM service (`TS_HMM_...`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class HmmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TS_HMM_", extra="ignore")

    dir: Path = Field(default=Path(".state/hmm"), description="models (TS_HMM_DIR)")
    bars: int = Field(default=2000, ge=200, le=5000, description="newest bars used to fit")
    n_iter: int = Field(default=500, ge=10, description="EM iterations per restart (max)")
    tol: float = Field(default=1e-4, gt=0, description="EM convergence tolerance (log-likelihood)")
    restarts: int = Field(default=5, ge=1, le=50, description="random restarts; best kept")
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
    train_fraction: float = Field(default=0.8, gt=0.3, lt=0.95)
    boost_rounds: int = Field(default=200, ge=1)
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
