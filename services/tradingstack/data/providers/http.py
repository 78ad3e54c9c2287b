"""What every HTTP market-data provider shares: client, retries, rate limits, breaker, redaction.

- One `httpx.AsyncClient` per provider with connect/read timeouts and a connection pool.
- Retries (tenacity) with exponential backoff and jitter on connect errors, timeouts, HTTP 5xx
  and rate limits (HTTP 429, or a provider's own rate-limit answer). A `Retry-After` header
  (seconds or an HTTP date) replaces the backoff for that attempt; when the server asks for a
  longer wait than `retry_after_max_seconds` we give up at once instead of hammering it (the
  chain then tries the next provider). Other 4xx answers (401, 403, 404, ...) are never retried.
- A circuit breaker per provider (aiobreaker, which is asyncio-native: `call_async`). It counts
  one failure per fetch that still failed after its retries, and only failures that look like an
  outage (`ProviderError.retryable`): a 404 for an unknown symbol does not trip it. After
  `breaker_fail_max` such fetches in a row it opens; calls then fail at once without touching the
  network until `breaker_reset_seconds` have passed; then calls go through again as trials
  (half-open: aiobreaker does not limit them to one under concurrency): a success closes the
  breaker, a failure opens it for another period. aiobreaker keeps time with
  `datetime.utcnow()`, which is fine for a cooldown.
- Secrets: API keys are never logged nor put in error messages. Every error reason goes through
  `scrub()` (which replaces the key's value), URLs are logged through `redact_url()` (which masks
  `apikey`, `api_key`, `token`, ... query parameters), and a logging filter on the `httpx` and
  `httpcore` loggers masks the same parameters in their own request lines.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiobreaker import CircuitBreaker, CircuitBreakerError
from pydantic import SecretStr
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from tradingstack.core.logs import RedactingFilter, redact
from tradingstack.data.providers.base import ProviderError

log = logging.getLogger(__name__)


def redact_url(url: str | httpx.URL) -> str:
    """The URL with the values of secret-looking query parameters replaced by `***`."""
    return redact(str(url))


# Masks secret query parameters in records of libraries that log request URLs (httpx).
_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Attach the redacting filter to the HTTP libraries' loggers (idempotent)."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


class RateLimited(ProviderError):
    """The provider said "too many requests"; `retry_after` is its requested wait, if any."""

    def __init__(self, provider: str, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(provider, reason, retryable=True)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True)
class HttpProviderConfig:
    """How one HTTP provider is reached. Built from `ProviderSettings` by `build_chain`."""

    base_url: str
    api_key: SecretStr | None = None
    connect_timeout_seconds: float = 3.0
    read_timeout_seconds: float = 10.0
    retries: int = 3
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    backoff_jitter_seconds: float = 0.5
    retry_after_max_seconds: float = 30.0
    breaker_fail_max: int = 5
    breaker_reset_seconds: float = 60.0
    user_agent: str = "tradingstack-data/0.1 (+https://github.com/tradingstack)"


def _is_outage(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


class HttpProvider:
    """Base of the REST providers. Subclasses implement `fetch_ohlcv` on top of `get_json`."""

    name: str = "http"

    def __init__(self, config: HttpProviderConfig) -> None:
        self.config = config
        install_log_redaction()
        self._secrets = [
            s for s in ([config.api_key.get_secret_value()] if config.api_key else []) if s
        ]
        self._client = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/"),
            timeout=httpx.Timeout(
                config.read_timeout_seconds, connect=config.connect_timeout_seconds
            ),
            headers={"User-Agent": config.user_agent, "Accept": "application/json"},
            follow_redirects=False,
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
        )
        # Failures a retry cannot fix (unknown symbol, bad key) say nothing about an outage.
        self._breaker = CircuitBreaker(
            fail_max=config.breaker_fail_max,
            timeout_duration=timedelta(seconds=config.breaker_reset_seconds),
            exclude=[lambda exc: not _is_outage(exc)],
            name=self.name,
        )
        self._backoff = wait_exponential_jitter(
            initial=config.backoff_initial_seconds,
            max=config.backoff_max_seconds,
            jitter=config.backoff_jitter_seconds,
        )
        self.requests_sent = 0

    # -- secrets -----------------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """`text` with every configured secret value and secret query parameter masked."""
        return redact(text, self._secrets)

    def error(
        self, reason: str, *, retryable: bool = False, kind: type[ProviderError] = ProviderError
    ) -> ProviderError:
        return kind(self.name, self.scrub(reason), retryable=retryable)

    # -- breaker -----------------------------------------------------------------------------

    @property
    def breaker_state(self) -> str:
        """ "closed", "open" or "half-open"."""
        state = self._breaker.current_state.name.lower().replace("_", "-")
        if state == "open":
            opened = self._breaker._state_storage.opened_at
            if opened and datetime.utcnow() >= opened + self._breaker.timeout_duration:
                return "half-open"  # the next call is the trial
        return state

    # -- requests ----------------------------------------------------------------------------

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` and return the decoded JSON that `interpret` accepted.

        Raises `ProviderError` (or a subclass) with a reason that never contains a secret.
        """
        try:
            return await self._breaker.call_async(self._get_with_retries, path, params)
        except CircuitBreakerError as exc:
            cause = exc.__cause__
            wait = self.config.breaker_reset_seconds
            if isinstance(cause, ProviderError):
                raise self.error(
                    f"{cause.reason}; circuit breaker opened for {wait:g}s", retryable=True
                ) from None
            raise self.error(
                f"circuit breaker open after repeated failures; retrying after up to {wait:g}s",
                retryable=True,
            ) from None

    async def _get_with_retries(self, path: str, params: Mapping[str, Any] | None) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(1 + max(0, self.config.retries)),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(path, params)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _should_retry(self, exc: BaseException) -> bool:
        if not _is_outage(exc):
            return False
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after <= self.config.retry_after_max_seconds
        return True

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self.config.retry_after_max_seconds)
        return float(self._backoff(state))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        reason = exc.reason if isinstance(exc, ProviderError) else type(exc).__name__
        log.warning(
            "%s: attempt %d failed (%s); retrying in %.2fs",
            self.name,
            state.attempt_number,
            self.scrub(reason),
            wait,
        )

    async def _attempt(self, path: str, params: Mapping[str, Any] | None) -> Any:
        self.requests_sent += 1
        try:
            response = await self._client.get(path, params=dict(params or {}))
        except httpx.TimeoutException as exc:
            raise self.error(f"timed out ({type(exc).__name__})", retryable=True) from None
        except httpx.RequestError as exc:  # connect/read/write errors, dropped connections
            raise self.error(f"connection failed ({type(exc).__name__})", retryable=True) from None
        url = redact_url(response.request.url)
        log.debug("%s: GET %s -> %d", self.name, url, response.status_code)
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            hint = f", Retry-After {retry_after:g}s" if retry_after is not None else ""
            raise RateLimited(self.name, f"rate limited (HTTP 429{hint})", retry_after=retry_after)
        if response.status_code >= 500:
            raise self.error(f"server error HTTP {response.status_code}", retryable=True)
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            if response.is_success:
                raise self.error(
                    f"answer is not JSON (HTTP {response.status_code})", retryable=True
                ) from None
        return self.interpret(response, body)

    def interpret(self, response: httpx.Response, body: Any) -> Any:
        """Turn an answer (already known not to be 429 or 5xx) into data or a `ProviderError`.

        The default accepts 2xx and maps other codes; providers override it for their error shapes.
        """
        if response.is_success:
            return body
        raise self.error(f"HTTP {response.status_code}")

    async def aclose(self) -> None:
        await self._client.aclose()
