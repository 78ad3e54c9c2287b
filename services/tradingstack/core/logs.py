"""JSON logs with secrets redacted."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from json import dumps

from pythonjsonlogger.json import JsonFormatter

# Secret-looking parameters in URLs and messages (`?apikey=...`, `token=...`): the one
# pattern of the stack; the data providers mask their request URLs with it too.
_SECRET_PARAMS = r"(?:api[_-]?key|apikey|access_token|token|key|secret|password)"
_SECRET_QUERY = re.compile(rf"(?i)(\b{_SECRET_PARAMS}=)[^&#\s\"'<>]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove secrets from text: known values (also as JSON escapes them), secret query
    values, bearer tokens."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
            escaped = dumps(s)[1:-1]
            if escaped != s:
                text = text.replace(escaped, "***")
    text = _SECRET_QUERY.sub(r"\1***", text)
    return _BEARER.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, for every handler of the logger it is on."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted line: the message, and also the traceback and
    the `extra=` fields, which a filter on the message never sees."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


def configure_logging(
    service: str, level: str = "INFO", *, json: bool = True, secrets: Iterable[str] = ()
) -> None:
    """Route the root logger (and uvicorn's) to stderr, as JSON lines by default."""
    handler = logging.StreamHandler(sys.stderr)
    inner: logging.Formatter
    if json:
        inner = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    else:
        inner = logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s")
    handler.setFormatter(RedactingFormatter(inner, secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
