"""Settings shared by every service (environment variables `TS_...`).

Each service adds its own `TS_<SERVICE>_...` settings class on top of `KitSettings`.
Secrets (SecretStr fields) also come from files in `TS_SECRETS_DIR` (a mounted Secret), are
never logged and never returned.
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound=BaseSettings)


class KitSettings(BaseSettings):
    """Settings of the service kit itself (prefix `TS_`)."""

    model_config = SettingsConfigDict(env_prefix="TS_", extra="ignore")

    api_token: SecretStr | None = None
    """When set, POST/PUT/PATCH/DELETE need `Authorization: Bearer <token>`."""
    log_level: str = "INFO"
    log_json: bool = True
    data_url: str = "http://127.0.0.1:3001"
    """Base URL of the data service; every other service reaches market data through it."""
    data_timeout_seconds: float = 30.0


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Instantiate a settings class, reading secret files from `TS_SECRETS_DIR` if it exists."""
    secrets_dir = os.environ.get("TS_SECRETS_DIR")
    if secrets_dir and os.path.isdir(secrets_dir):
        return cls(_secrets_dir=secrets_dir, **overrides)
    return cls(**overrides)
