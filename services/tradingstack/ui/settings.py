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
        description="where the page reads every workload's health: a path the browser fetches "
        "(the local gateway's /_status), or an absolute URL this service fetches for the page "
        "at /status.json (the operator's status API in a cluster, e.g. "
        "http://tradingstack-operator.tradingstack-system:8081/status/<ns>/<name>)",
    )
    status_timeout_seconds: float = Field(default=5.0, gt=0)
    status_source: str = Field(
        default="local health loop", description="shown next to the health table"
    )
    static_dir: Path = Field(
        default=STATIC_DIR,
        description="the built front-end (`make ui-assets` writes it)",
    )
    default_symbol: str = "BTCUSD"
    default_timeframe: str = "H1"
