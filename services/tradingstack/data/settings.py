"""Settings of the data service (`TS_DATA_...`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DataSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TS_DATA_", extra="ignore")

    dir: Path = Field(
        default=Path(".state/data"),
        description="where the SQLite database lives (the data volume in a cluster)",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default SQLite in `dir`; e.g. "
        "postgresql+psycopg://user:pass@host/db for PostgreSQL",
    )
    cache_ttl_seconds: float = Field(
        default=60.0,
        ge=0,
        description="cached bars younger than this are served without asking providers",
    )
    max_limit: int = Field(default=5000, ge=1)
    default_limit: int = Field(default=500, ge=1)
    indicator_warmup_bars: int = Field(
        default=250, ge=0, description="extra bars fetched so indicators are warmed up"
    )
    max_import_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    seed_defaults: bool = Field(
        default=True, description="seed symbols and strategies on first start"
    )

    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.dir / 'data.db').resolve()}"
