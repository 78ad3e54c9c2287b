"""Every environment variable the operator reads, in one place, read once per start.

`OperatorSettings()` is built when the operator starts (`main.run` for the log level, the
kopf startup handler for the rest) and handed to what needs it: nothing else in the operator
reads `os.environ`.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger("tradingstack_operator")

TELEGRAM_API = "https://api.telegram.org"


class OperatorSettings(BaseSettings):
    """The operator's configuration: `TS_OPERATOR_*`, `KUBECONFIG`, and the in-cluster
    `KUBERNETES_SERVICE_HOST`."""

    model_config = SettingsConfigDict(env_prefix="TS_OPERATOR_", extra="ignore")

    resync_seconds: float = Field(
        default=10.0, gt=0, description="Every stack is reconciled at least this often."
    )
    debounce_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Wait this long after a wake-up before reconciling (coalesces bursts); "
        "0: none, events that arrive during a reconcile are coalesced into the next one.",
    )
    health_checks: bool = Field(default=True, description="Run the watchdog's health checks.")
    status_url: str | None = Field(
        default=None, description="Where the dashboard reads the operator's status API."
    )
    probe_urls: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="JSON object: health URL overrides (see watchdog.probe_url).",
    )
    log_level: str = Field(default="info", description="debug, info, warning or error.")
    metrics_port: int | None = Field(
        default=8081, description="Port of /metrics and /status (off: none; 0: any free one)."
    )
    metrics_address: str = Field(default="0.0.0.0", description="Address they listen on.")
    telegram_api_url: str = Field(default=TELEGRAM_API, description="The Telegram Bot API.")
    apply_concurrency: int = Field(
        default=32, ge=1, description="Children applied at once, all stacks together."
    )
    status_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Status-only passes of one stack (its pods changed) at most this often: "
        "a burst of pod events is one status write; spec and child changes are not held.",
    )
    kubeconfig: str | None = Field(
        default=None, validation_alias=AliasChoices("KUBECONFIG"), description="$KUBECONFIG."
    )
    in_cluster_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KUBERNETES_SERVICE_HOST"),
        description="Set by Kubernetes inside a pod.",
    )

    @field_validator("probe_urls", mode="before")
    @classmethod
    def _probe_urls(cls, value: object) -> dict[str, str]:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        raw = str(value or "").strip()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("TS_OPERATOR_PROBE_URLS is not JSON; ignored")
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _metrics_port(cls, value: object) -> int | None:
        if value is None or str(value).strip().lower() in ("off", "false", "none", ""):
            return None
        return int(str(value).strip())

    @field_validator("health_checks", mode="before")
    @classmethod
    def _health_checks(cls, value: object) -> bool:
        if isinstance(value, bool):
            return value
        raw = str(value or "").strip().lower()
        return raw not in ("0", "false", "no", "off") if raw else True

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> str:
        return str(value or "info").strip().upper()

    def kubeconfig_path(self) -> str | None:
        """$KUBECONFIG or ~/.kube/config, when the (first) file exists."""
        kubeconfig = self.kubeconfig or str(Path("~/.kube/config").expanduser())
        first = kubeconfig.split(os.pathsep)[0]
        return kubeconfig if Path(first).exists() else None

    def use_service_account(self) -> bool:
        """Inside a pod and no kubeconfig given: the pod's service account."""
        return bool(self.in_cluster_host) and not self.kubeconfig
