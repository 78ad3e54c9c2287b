"""Secrets never reach a log line: not in the message, a traceback or an `extra=` field."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from tradingstack.core.logs import RedactingFormatter, configure_logging, redact

TOKEN = 'tok"en-\\s3cret'  # JSON escapes its quote and backslash


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("data", secrets=(TOKEN,))
    out = io.StringIO()
    root.handlers[0].stream = out  # type: ignore[attr-defined]
    yield out
    root.handlers[:], root.level = saved[0], saved[1]


def test_secrets_in_tracebacks_and_extra_fields_are_masked(lines: io.StringIO) -> None:
    log = logging.getLogger("tradingstack.test")
    try:
        raise RuntimeError(f"upstream said no to Bearer abc.def and to {TOKEN}")
    except RuntimeError:
        log.exception("call failed", extra={"url": "https://x/y?apikey=k3y&a=1", "auth": TOKEN})
    log.warning("plain %s", "token=abc123")
    text = lines.getvalue()
    for secret in ("abc.def", "s3cret", "k3y", "abc123"):
        assert secret not in text, secret
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["url"] == "https://x/y?apikey=***&a=1" and first["auth"] == "***"
    assert "RuntimeError" in first["exc_info"] and "Bearer ***" in first["exc_info"]
    assert second["message"] == "plain token=***"


def test_the_formatter_wraps_any_formatter() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key=%s", ("v4lue",), None)
    assert RedactingFormatter(logging.Formatter("%(message)s")).format(record) == "key=***"


def test_redact_keeps_what_is_not_secret() -> None:
    text = "GET https://api.example/v1/q?symbol=BTCUSD&interval=1h took 3 ms"
    assert redact(text) == text
    assert redact("GET /q?symbol=A&access_token=xyz&b=2") == "GET /q?symbol=A&access_token=***&b=2"
