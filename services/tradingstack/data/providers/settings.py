"""Provider settings (`TS_DATA_...`) and `build_chain()`.

Environment (or, for the keys, files named like the variable in a secrets directory, e.g. a
mounted Kubernetes Secret: `ProviderSettings(_secrets_dir="/run/secrets/data")`, which
`tradingstack.core.settings.load_settings` does when `TS_SECRETS_DIR` is set):

- TS_DATA_PROVIDER_ORDER (default "embedded"): the default fallback order, comma-separated
  names among embedded, twelvedata, yahoo, easyinsight (a symbol's own order overrides it).
- TS_DATA_TWELVEDATA_API_KEY (secret): TwelveData is built only when it is set;
  TS_DATA_TWELVEDATA_URL (default https://api.twelvedata.com).
- TS_DATA_YAHOO_URL: Yahoo is built when it is set or "yahoo" is in the order (it needs no key;
  default https://query1.finance.yahoo.com).
- TS_DATA_EASYINSIGHT_URL: EasyInsight is built only when it is set;
  TS_DATA_EASYINSIGHT_API_KEY (secret, optional) is sent as `X-API-Key`.
- Shared by the HTTP providers: TS_DATA_PROVIDER_CONNECT_TIMEOUT_SECONDS (3),
  TS_DATA_PROVIDER_READ_TIMEOUT_SECONDS (10), TS_DATA_PROVIDER_RETRIES (3: retries after the
  first try), TS_DATA_PROVIDER_BACKOFF_INITIAL_SECONDS (0.5), _BACKOFF_MAX_SECONDS (8),
  _BACKOFF_JITTER_SECONDS (0.5), TS_DATA_PROVIDER_RETRY_AFTER_MAX_SECONDS (30: a longer
  Retry-After fails at once), TS_DATA_PROVIDER_BREAKER_FAIL_MAX (5 failed fetches in a row open
  the breaker), TS_DATA_PROVIDER_BREAKER_RESET_SECONDS (60: open -> half-open).

The embedded provider is always built (it needs nothing and works offline). A name in the order
whose provider is not built is reported as "not configured" when a request reaches it.
"""

from __future__ import annotations

import logging

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradingstack.data.providers.base import Provider
from tradingstack.data.providers.chain import ProviderChain
from tradingstack.data.providers.easyinsight import EasyInsightProvider
from tradingstack.data.providers.embedded import EmbeddedProvider
from tradingstack.data.providers.http import HttpProviderConfig
from tradingstack.data.providers.twelvedata import DEFAULT_URL as TWELVEDATA_URL
from tradingstack.data.providers.twelvedata import TwelveDataProvider
from tradingstack.data.providers.yahoo import DEFAULT_URL as YAHOO_URL
from tradingstack.data.providers.yahoo import YahooProvider

log = logging.getLogger(__name__)

PROVIDER_NAMES = ("embedded", "twelvedata", "yahoo", "easyinsight")


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TS_DATA_", extra="ignore")

    provider_order: str = Field(
        default="embedded",
        description="default fallback order, comma-separated: embedded, twelvedata, yahoo, "
        "easyinsight (a symbol's own order overrides it)",
    )
    twelvedata_api_key: SecretStr | None = None
    twelvedata_url: str = TWELVEDATA_URL
    yahoo_url: str | None = None
    easyinsight_url: str | None = None
    easyinsight_api_key: SecretStr | None = None

    provider_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    provider_read_timeout_seconds: float = Field(default=10.0, gt=0)
    provider_retries: int = Field(default=3, ge=0, le=10)
    provider_backoff_initial_seconds: float = Field(default=0.5, ge=0)
    provider_backoff_max_seconds: float = Field(default=8.0, ge=0)
    provider_backoff_jitter_seconds: float = Field(default=0.5, ge=0)
    provider_retry_after_max_seconds: float = Field(default=30.0, ge=0)
    provider_breaker_fail_max: int = Field(default=5, ge=1)
    provider_breaker_reset_seconds: float = Field(default=60.0, gt=0)

    @field_validator("provider_order")
    @classmethod
    def _known_names(cls, value: str) -> str:
        names = [n.strip().lower() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in PROVIDER_NAMES]
        if unknown:
            raise ValueError(
                f"unknown provider(s) {', '.join(unknown)}; known: {', '.join(PROVIDER_NAMES)}"
            )
        return ",".join(dict.fromkeys(names))

    def order(self) -> list[str]:
        """The default fallback order as a list."""
        return [n for n in self.provider_order.split(",") if n]

    def http_config(self, base_url: str, api_key: SecretStr | None = None) -> HttpProviderConfig:
        return HttpProviderConfig(
            base_url=base_url,
            api_key=api_key,
            connect_timeout_seconds=self.provider_connect_timeout_seconds,
            read_timeout_seconds=self.provider_read_timeout_seconds,
            retries=self.provider_retries,
            backoff_initial_seconds=self.provider_backoff_initial_seconds,
            backoff_max_seconds=self.provider_backoff_max_seconds,
            backoff_jitter_seconds=self.provider_backoff_jitter_seconds,
            retry_after_max_seconds=self.provider_retry_after_max_seconds,
            breaker_fail_max=self.provider_breaker_fail_max,
            breaker_reset_seconds=self.provider_breaker_reset_seconds,
        )


def build_providers(settings: ProviderSettings) -> dict[str, Provider]:
    """Every provider that has what it needs (see the module docstring)."""
    providers: dict[str, Provider] = {"embedded": EmbeddedProvider()}
    key = settings.twelvedata_api_key
    if key is not None and key.get_secret_value():
        config = settings.http_config(settings.twelvedata_url, key)
        providers["twelvedata"] = TwelveDataProvider(config)
    if settings.yahoo_url or "yahoo" in settings.order():
        providers["yahoo"] = YahooProvider(settings.http_config(settings.yahoo_url or YAHOO_URL))
    if settings.easyinsight_url:
        providers["easyinsight"] = EasyInsightProvider(
            settings.http_config(settings.easyinsight_url, settings.easyinsight_api_key)
        )
    return providers


def build_chain(settings: ProviderSettings | None = None) -> ProviderChain:
    """The chain of configured providers with the settings' default order."""
    settings = settings or ProviderSettings()
    providers = build_providers(settings)
    missing = [n for n in settings.order() if n not in providers]
    if missing:
        log.warning(
            "provider(s) %s are in TS_DATA_PROVIDER_ORDER but not configured (no URL/API key)",
            ", ".join(missing),
        )
    log.info("market-data providers: %s; default order: %s", ", ".join(providers), settings.order())
    return ProviderChain(providers, default_order=settings.order())
