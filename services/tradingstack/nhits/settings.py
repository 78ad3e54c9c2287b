"""Settings of the NHITS service (environment variables `TS_NHITS_...`)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradingstack.core.timeframes import Timeframe

# Horizon (bars ahead) and input size (bars of history the network sees) per timeframe.
DEFAULT_HORIZONS: dict[str, int] = {"M5": 24, "M15": 16, "H1": 24, "H4": 12, "D1": 7}
DEFAULT_INPUT_SIZES: dict[str, int] = {"M5": 144, "M15": 96, "H1": 168, "H4": 72, "D1": 56}
# Season length of the seasonal-naive baseline: one day of bars, one trading week for D1.
DEFAULT_SEASONS: dict[str, int] = {"M5": 288, "M15": 96, "H1": 24, "H4": 6, "D1": 5}


class NhitsSettings(BaseSettings):
    """`TS_NHITS_*`. Dicts are JSON, e.g. `TS_NHITS_HORIZONS='{"H1": 48}'` (merged w/ defaults)."""

    model_config = SettingsConfigDict(env_prefix="TS_NHITS_", extra="ignore")

    dir: Path = Path(".state/nhits")
    """The model registry lives here (in a cluster: the models volume)."""

    horizons: dict[str, int] = Field(default_factory=dict)
    input_sizes: dict[str, int] = Field(default_factory=dict)
    seasons: dict[str, int] = Field(default_factory=dict)

    target: Literal["log_price", "price"] = "log_price"
    """What the network models: log(close) (default; intervals are multiplicative) or close."""
    levels: tuple[int, int] = (80, 95)
    """Prediction-interval levels (conformal or the volatility baseline, see skill.py)."""

    # network and training (regularised: a small MLP, dropout, early stopping, several seeds)
    max_steps: int = Field(default=600, ge=1)
    """Most steps per seed; early stopping usually ends sooner."""
    finetune_steps: int = Field(default=60, ge=1)
    on_demand_steps: int = Field(default=60, ge=1)
    """Steps of the training `POST /forecast/{symbol}` starts when it finds no model."""
    learning_rate: float = Field(default=1e-3, gt=0)
    finetune_learning_rate: float = Field(default=3e-4, gt=0)
    mlp_width: int = Field(default=64, ge=4)
    mlp_layers: int = Field(default=2, ge=1)
    dropout: float = Field(default=0.3, ge=0, lt=1)
    batch_windows: int = Field(default=256, ge=1)
    scaler_type: Literal["robust", "standard", "identity", "minmax"] = "robust"
    random_seed: int = 1
    seeds: int = Field(default=3, ge=1, le=16)
    """Networks trained with seeds random_seed, random_seed + 1, ...; the median is served."""
    vol_input: bool = True
    """Give the network the trailing volatility as a historical exogenous input."""
    vol_windows: dict[str, int] = Field(default_factory=dict)
    """Bars of the trailing volatility per timeframe (default: the input size)."""
    val_check_steps: int = Field(default=25, ge=1)
    early_stop_patience: int = Field(default=4, ge=1)
    """Validation checks without improvement before a seed's training stops."""
    accelerator: Literal["auto", "cpu", "gpu"] = "auto"
    """`auto`: CUDA when torch sees a GPU, CPU otherwise."""

    # data and the split (train | validation | calibration | evaluation)
    train_bars: int = Field(default=3000, ge=50)
    """Newest bars fetched for a full training (more when the split below needs more)."""
    finetune_bars: int = Field(default=1000, ge=50)
    val_windows: int = Field(default=20, ge=20)
    """Horizons at the end of the training span for early stopping and the choice of alpha."""
    calib_windows: int = Field(default=50, ge=20)
    """Horizons after the training span, never trained on: the Diebold-Mariano test against
    the naive forecast and the conformal calibration of the intervals."""
    eval_origins: int = Field(default=200, ge=20)
    """Rolling origins held out after the calibration windows for the evaluation."""
    eval_stride: int | None = Field(default=None, ge=1)
    """Bars between evaluation origins (default: the horizon, windows that do not overlap;
    smaller when the history is too short)."""
    data_page_limit: int = Field(default=5000, ge=10)
    """Largest `limit` one data-service request may ask for (its TS_DATA_MAX_LIMIT)."""

    # jobs and automatic retraining
    max_concurrent_jobs: int = Field(default=1, ge=1)
    retrain_enabled: bool = True
    retrain_interval: timedelta = timedelta(hours=1)
    max_model_age: timedelta = timedelta(days=7)
    retrain_naive_ratio: float = Field(default=1.0, gt=0)
    """Retrain when, on new bars, the whole 95 % interval of the served forecast's relative MAE
    lies above this multiple of the naive forecast's (significantly worse, not one bad window)."""
    retrain_min_origins: int = Field(default=20, ge=20)
    """Origins on new bars needed before the policy judges the model on them."""
    model_cache_size: int = Field(default=16, ge=1)

    def horizon(self, timeframe: Timeframe) -> int:
        return {**DEFAULT_HORIZONS, **self.horizons}[str(timeframe)]

    def input_size(self, timeframe: Timeframe) -> int:
        return {**DEFAULT_INPUT_SIZES, **self.input_sizes}[str(timeframe)]

    def vol_window(self, timeframe: Timeframe) -> int:
        return {**DEFAULT_INPUT_SIZES, **self.input_sizes, **self.vol_windows}[str(timeframe)]

    def season(self, timeframe: Timeframe) -> int:
        return {**DEFAULT_SEASONS, **self.seasons}[str(timeframe)]
