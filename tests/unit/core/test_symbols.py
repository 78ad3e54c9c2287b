"""One symbol pattern at every edge of every service, in paths, queries and bodies alike.

Before, a body symbol such as `../symbols/BTCUSD` or one with a control character reached the
data client and other services' URLs (a 500, or another resource); the path parameters took
anything. Now each service answers 422 before any work, and lower case is made canonical.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from tradingstack.core.schemas import Symbol

from tests.unit.core.apps import service_apps

PATH_VALUES = ["%07", "a%20b", "%2e%2e", "BTC$", "-BTC", "A" * 33, "%C3%A9"]
BODY_VALUES = ["../symbols/BTCUSD", "\x07", "", "BTC USD", "A" * 33, "BTC/USD", "é", "BTC\n"]


def test_the_pattern() -> None:
    symbol = TypeAdapter(Symbol)
    assert symbol.validate_python("btcusd") == "BTCUSD"
    for good in ("EURUSD", "BRK.B", "ES_F", "BTC-USD", "1INCH", "A" * 32):
        assert symbol.validate_python(good) == good
    for bad in BODY_VALUES:
        with pytest.raises(ValidationError):
            symbol.validate_python(bad)


# (service, method, path with {s}, body with "{s}" or None); none of these start a lifespan,
# so a 422 here is the request's validation, before any model, store or upstream is touched
PATH_ROUTES = [
    ("data", "GET", "/api/v1/symbols/{s}"),
    ("data", "PUT", "/api/v1/symbols/{s}/favourite"),
    ("data", "DELETE", "/api/v1/symbols/{s}"),
    ("data", "GET", "/api/v1/ohlcv/{s}?timeframe=H1"),
    ("data", "GET", "/api/v1/indicators/{s}?timeframe=H1"),
    ("nhits", "GET", "/api/v1/forecast/{s}?timeframe=H1"),
    ("nhits", "POST", "/api/v1/forecast/{s}/train?timeframe=H1"),
    ("nhits", "DELETE", "/api/v1/models/{s}"),
    ("hmm", "GET", "/api/v1/regime/{s}?timeframe=H1"),
    ("tcn", "GET", "/api/v1/detect/{s}?timeframe=H1"),
    ("rag", "GET", "/api/v1/documents?symbol={s}"),
]
BODY_ROUTES = [
    ("hmm", "/api/v1/score", lambda s: {"symbol": s, "direction": "long"}),
    ("tcn", "/api/v1/scan", lambda s: {"symbols": ["BTCUSD", s]}),
    ("embedder", "/api/v1/embed/timeseries", lambda s: {"symbol": s}),
    ("embedder", "/api/v1/embed/timeseries/similar", lambda s: {"symbol": s}),
    ("llm", "/api/v1/analyze", lambda s: {"symbol": s}),
    ("llm", "/api/v1/chat", lambda s: {"message": "hi", "rag": True, "symbol": s}),
    ("rag", "/api/v1/documents", lambda s: {"text": "a note", "symbol": s}),
    ("rag", "/api/v1/query", lambda s: {"text": "q", "filters": {"symbol": s}}),
]


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TestClient]:
    apps = service_apps(tmp_path_factory.mktemp("symbols"))
    return {name: TestClient(app, raise_server_exceptions=False) for name, app in apps.items()}


@pytest.mark.parametrize(("service", "method", "path"), PATH_ROUTES)
def test_a_path_or_query_symbol_outside_the_pattern_is_a_422(
    clients: dict[str, TestClient], service: str, method: str, path: str
) -> None:
    for value in PATH_VALUES:
        r = clients[service].request(method, path.replace("{s}", value))
        assert r.status_code == 422, (value, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert "symbol" in r.json()["detail"], r.text


@pytest.mark.parametrize(("service", "path", "body"), BODY_ROUTES)
def test_a_body_symbol_outside_the_pattern_is_a_422(
    clients: dict[str, TestClient], service: str, path: str, body: Any
) -> None:
    for value in BODY_VALUES:
        r = clients[service].post(path, json=body(value))
        assert r.status_code == 422, (value, r.status_code, r.text)
        assert "symbol" in r.json()["detail"], r.text
