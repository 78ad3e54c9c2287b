"""Settings of the TCN service (`TS_TCN_...`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradingstack.tcn.training import PREPARE, TrainConfig


class TcnSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TS_TCN_", extra="ignore")

    dir: Path = Field(default=Path(".state/tcn"), description="where the model lives (TS_TCN_DIR)")
    device: str = Field(default="auto", pattern="^(auto|cpu|cuda)$")
    torch_threads: int = Field(
        default=1, ge=0, description="CPU threads for torch; 0 leaves torch's default"
    )
    stride: int = Field(
        default=8, ge=1, le=64, description="bars between detection windows (64 bars each)"
    )
    iou_threshold: float = Field(default=0.3, ge=0, le=1, description="NMS overlap limit")
    default_bars: int = Field(default=500, ge=32, le=5000, description="bars scanned per detect")
    max_scan_items: int = Field(default=50, ge=1, description="symbol x timeframe pairs per scan")
    prepare: TrainConfig = Field(
        default_factory=lambda: PREPARE.model_copy(),
        description="the model trained when a detection finds none, or on the stack's first "
        "start (JSON, the body of POST /train; default: CPU-sized, about a minute)",
    )
