"""Settings of the ui service (environment variables `TS_UI_...`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

STATIC_DIR = Path(__file__).resolve().parent / "static"


class UiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TS_UI_", extra="ignore")

    status_url: str = Field(
        default="/_status",
        description="where the page reads every workload's health: the local gateway's /_status "
        "(the launcher's health loop), or the operator's status API in a cluster",
    )
    status_source: str = Field(
        default="local health loop", description="shown next to the health table"
    )
    static_dir: Path = Field(
        default=STATIC_DIR,
        description="the built front-end (`make ui-assets` writes it)",
    )
    default_symbol: str = "BTCUSD"
    default_timeframe: str = "H1"
