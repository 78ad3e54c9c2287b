"""JSON logs with secrets redacted."""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

_SECRET_QUERY = re.compile(r"(?i)((?:api_?key|apikey|token|password|secret)=)[^&\s\"']+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove secrets from a log line: known values, `apikey=` query values, bearer tokens."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    text = _SECRET_QUERY.sub(r"\1***", text)
    return _BEARER.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(
    service: str, level: str = "INFO", *, json: bool = True, secrets: tuple[str, ...] = ()
) -> None:
    """Route the root logger (and uvicorn's) to stderr, as JSON lines by default."""
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"service": service},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
