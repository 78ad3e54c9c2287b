"""Alert delivery: Telegram Bot API `sendMessage` and a generic JSON webhook.

Alerts go through a bounded queue drained by one background task, each delivery with a
timeout, so a slow or dead endpoint never blocks reconciliation or health checks. Bot tokens
never reach the logs: `RedactTokens` masks them in every record of this module and of httpx
(which logs request URLs, and the Bot API puts the token in the URL).

The Bot API base URL is the Notifier's `telegram_api_url` (the operator's settings:
`TS_OPERATOR_TELEGRAM_API_URL`, default https://api.telegram.org), so tests point it at a
local server that speaks the Bot API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from tradingstack_operator import metrics
from tradingstack_operator.settings import TELEGRAM_API

log = logging.getLogger("tradingstack_operator.alerts")

_BOT_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+|\b\d{5,}:[A-Za-z0-9_-]{20,}\b")


class RedactTokens(logging.Filter):
    """Masks bot tokens (Telegram's `<digits>:<secret>` form and every token seen) in records."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "<redacted>")
        return _BOT_TOKEN.sub("<redacted>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to logging
            return True
        record.msg = self.redact(message)
        record.args = None
        return True


REDACT = RedactTokens()
for _name in ("tradingstack_operator.alerts", "httpx", "httpcore"):
    logging.getLogger(_name).addFilter(REDACT)


@dataclass(frozen=True)
class Telegram:
    token: str = field(repr=False)
    chat_id: str


@dataclass(frozen=True)
class Alert:
    namespace: str
    stack: str
    workload: str
    down: bool
    detail: str
    at: str

    @property
    def kind(self) -> str:
        return "down" if self.down else "recovered"

    def text(self) -> str:
        where = f"{self.namespace}/{self.stack}"
        if self.down:
            return f"🔴 TradingStack {where}: {self.workload} is DOWN ({self.detail}) at {self.at}"
        return f"✅ TradingStack {where}: {self.workload} recovered at {self.at}"

    def payload(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "stack": self.stack,
            "workload": self.workload,
            "kind": self.kind,
            "detail": self.detail,
            "at": self.at,
            "text": self.text(),
        }


@dataclass
class Delivery:
    alert: Alert
    telegram: Telegram | None
    webhook: str | None


class Notifier:
    """The queue and its sender task. `submit` never waits."""

    def __init__(
        self, timeout: float = 10.0, maxsize: int = 1000, telegram_api_url: str = TELEGRAM_API
    ) -> None:
        self.timeout = timeout
        self.telegram_api_url = telegram_api_url
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(maxsize=maxsize)
        self.task: asyncio.Task[None] | None = None
        self.client: httpx.AsyncClient | None = None
        self.delivered: list[tuple[str, Alert]] = []
        """(channel, alert) of every delivered alert (bounded; for tests and the status API)."""

    def start(self) -> None:
        if self.task is None:
            self.client = httpx.AsyncClient(timeout=self.timeout)
            self.task = asyncio.create_task(self._run(), name="ts:alerts")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    def submit(self, alert: Alert, telegram: Telegram | None, webhook: str | None) -> bool:
        """Queue an alert; False (and a failure counted) when the queue is full."""
        if telegram is not None:
            REDACT.secrets.add(telegram.token)
        try:
            self.queue.put_nowait(Delivery(alert, telegram, webhook))
        except asyncio.QueueFull:
            log.warning("alert queue full: dropped %s alert for %s", alert.kind, alert.workload)
            for channel in ("telegram", "webhook"):
                metrics.ALERT_FAILURES.labels(alert.namespace, alert.stack, channel).inc()
            return False
        return True

    async def _run(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                await self.deliver(item)
            except Exception as e:  # never let one alert end the sender
                log.warning("alert delivery failed: %s", e)
            finally:
                self.queue.task_done()

    async def deliver(self, item: Delivery) -> None:
        alert = item.alert
        channels: list[tuple[str, Any]] = []
        if item.telegram is not None:
            channels.append(("telegram", self._telegram(alert, item.telegram)))
        if item.webhook:
            channels.append(("webhook", self._webhook(alert, item.webhook)))
        results = await asyncio.gather(*(c for _, c in channels), return_exceptions=True)
        for (channel, _), result in zip(channels, results, strict=True):
            labels = (alert.namespace, alert.stack)
            if isinstance(result, BaseException):
                metrics.ALERT_FAILURES.labels(*labels, channel).inc()
                log.warning(
                    "%s/%s: %s alert for %s via %s failed: %s",
                    *labels,
                    alert.kind,
                    alert.workload,
                    channel,
                    REDACT.redact(f"{type(result).__name__}: {result}"),
                )
            else:
                metrics.ALERTS_SENT.labels(*labels, channel, alert.kind).inc()
                self.delivered.append((channel, alert))
                del self.delivered[:-200]
                log.info(
                    "%s/%s: sent %s alert for %s via %s",
                    *labels,
                    alert.kind,
                    alert.workload,
                    channel,
                )

    async def _telegram(self, alert: Alert, tg: Telegram) -> None:
        assert self.client is not None
        base = self.telegram_api_url.rstrip("/")
        resp = await asyncio.wait_for(
            self.client.post(
                f"{base}/bot{tg.token}/sendMessage",
                json={"chat_id": tg.chat_id, "text": alert.text()},
            ),
            timeout=self.timeout,
        )
        try:
            answer = resp.json()
        except ValueError:
            answer = {}
        if resp.status_code != 200 or not answer.get("ok"):
            description = answer.get("description") if isinstance(answer, dict) else None
            raise RuntimeError(f"Bot API answered HTTP {resp.status_code}: {description or ''}")

    async def _webhook(self, alert: Alert, url: str) -> None:
        assert self.client is not None
        resp = await asyncio.wait_for(
            self.client.post(url, json=alert.payload()), timeout=self.timeout
        )
        if resp.status_code >= 300:
            raise RuntimeError(f"webhook answered HTTP {resp.status_code}")

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queued alert was handled (tests, shutdown)."""
        await asyncio.wait_for(self.queue.join(), timeout=timeout)
