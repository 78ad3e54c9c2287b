"""The service kit's app factory: health, metrics, errors, docs behind a prefix, the token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, SecretStr
from tradingstack.core.app import create_service_app
from tradingstack.core.errors import ProblemError
from tradingstack.core.settings import KitSettings

router = APIRouter()


class Item(BaseModel):
    name: str = Field(min_length=1)
    qty: int = Field(ge=1)


@router.get("/items/{item_id}")
async def get_item(item_id: int) -> dict[str, int]:
    if item_id == 404:
        raise ProblemError(404, "No item 404; list items with GET /api/v1/items.")
    return {"id": item_id}


@router.post("/items")
async def post_item(item: Item) -> Item:
    return item


@router.get("/crash")
async def crash() -> None:
    raise RuntimeError("secret internals")


def make(token: str | None = None, **kw: object) -> TestClient:
    settings = KitSettings(api_token=SecretStr(token) if token else None, log_json=False)
    app = create_service_app(
        "data", routers=[router], settings=settings, configure_logs=False, **kw
    )  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make() as c:
        yield c


def test_health_has_the_seed_fields(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "healthy"
    assert body["service"] == "data"
    assert isinstance(body["version"], str) and body["version"]
    assert body["uptime_seconds"] >= 0
    assert body["training_in_progress"] is False


def test_health_reports_training_and_unhealthy_checks() -> None:
    async def broken() -> tuple[str, dict[str, object]]:
        return "unhealthy", {"database": "unreachable"}

    with make(training_in_progress=lambda: True, health_check=broken) as c:
        resp = c.get("/health")
    assert resp.status_code == 503
    assert resp.json()["training_in_progress"] is True
    assert resp.json()["details"] == {"database": "unreachable"}


def test_metrics_count_requests_per_route_template(client: TestClient) -> None:
    for i in (1, 2, 3):
        client.get(f"/api/v1/items/{i}")
    text = client.get("/metrics").text
    assert (
        'tradingstack_http_requests_total{method="GET",route="/api/v1/items/{item_id}",'
        'service="data",status="200"} 3.0'
    ) in text
    assert "tradingstack_http_request_duration_seconds_bucket" in text
    assert "/api/v1/items/1" not in text  # raw paths would explode cardinality


def test_validation_errors_are_problem_json_naming_the_field(client: TestClient) -> None:
    resp = client.post("/api/v1/items", json={"name": "", "qty": 0})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["status"] == 422
    assert {e["field"] for e in body["errors"]} == {"name", "qty"}
    assert "qty" in body["detail"]


def test_problem_error_and_unknown_route(client: TestClient) -> None:
    resp = client.get("/api/v1/items/404")
    assert resp.status_code == 404
    assert resp.json()["detail"].startswith("No item 404")
    resp = client.get("/api/v1/nowhere")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"


def test_a_crash_is_a_problem_without_internals(client: TestClient) -> None:
    resp = client.get("/api/v1/crash")
    assert resp.status_code == 500
    assert resp.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in resp.text


def test_docs_work_behind_the_forwarded_prefix(client: TestClient) -> None:
    headers = {"X-Forwarded-Prefix": "/data"}
    docs = client.get("/docs", headers=headers).text
    assert "'/data/openapi.json'" in docs or '"/data/openapi.json"' in docs
    spec = client.get("/openapi.json", headers=headers).json()
    assert spec["servers"] == [{"url": "/data"}]
    assert "/api/v1/items/{item_id}" in spec["paths"]
    # a hostile prefix is ignored
    spec = client.get("/openapi.json", headers={"X-Forwarded-Prefix": '/x"><script>'}).json()
    assert "servers" not in spec or spec["servers"] != [{"url": '/x"><script>'}]


def test_token_guards_mutating_requests_only() -> None:
    with make(token="s3cret-token") as c:
        assert c.get("/api/v1/items/1").status_code == 200
        resp = c.post("/api/v1/items", json={"name": "a", "qty": 1})
        assert resp.status_code == 401
        assert resp.headers["www-authenticate"].startswith("Bearer")
        assert "s3cret" not in resp.text
        wrong = c.post(
            "/api/v1/items", json={"name": "a", "qty": 1}, headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        ok = c.post(
            "/api/v1/items",
            json={"name": "a", "qty": 1},
            headers={"Authorization": "Bearer s3cret-token"},
        )
        assert ok.status_code == 200


def test_system_metrics_report_cpu_memory_gpu(client: TestClient) -> None:
    body = client.get("/api/v1/system/metrics").json()
    assert body["cpu"]["cores_logical"] >= 1
    assert 0 <= body["cpu"]["percent"] <= 100
    assert body["memory"]["total_bytes"] > body["memory"]["available_bytes"] > 0
    assert isinstance(body["gpu"]["available"], bool)
    if not body["gpu"]["available"]:
        assert body["gpu"]["error"]


def test_only_the_services_own_prefix_is_believed(client: TestClient) -> None:
    """The data service's catalog prefix is /data: a client-sent other prefix would move the
    OpenAPI servers, the docs' spec URL and redirects to wherever it likes."""
    for spoofed in ("/evil", "/data/../evil", "/datax"):
        spec = client.get("/openapi.json", headers={"X-Forwarded-Prefix": spoofed}).json()
        assert "servers" not in spec, spoofed
        assert spoofed not in client.get("/docs", headers={"X-Forwarded-Prefix": spoofed}).text
    spec = client.get("/openapi.json", headers={"X-Forwarded-Prefix": "/data/"}).json()
    assert spec["servers"] == [{"url": "/data"}]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 200),  # curl, the services
        ({"Origin": "http://testserver"}, 200),  # the dashboard, same origin
        ({"Origin": "http://127.0.0.1:3000", "X-Forwarded-Host": "127.0.0.1:3000"}, 200),
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "null"}, 403),  # a sandboxed frame or a file:// page
        ({"Origin": "http://127.0.0.1:3000", "X-Forwarded-Host": "box.lan"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
    ],
)
def test_without_a_token_other_origins_cannot_change_data(
    client: TestClient, headers: dict[str, str], status: int
) -> None:
    resp = client.post("/api/v1/items", json={"name": "a", "qty": 1}, headers=headers)
    assert resp.status_code == status, resp.text
    if status == 403:
        assert resp.headers["content-type"] == "application/problem+json"
        assert "TS_API_TOKEN" in resp.json()["detail"]
    assert client.get("/api/v1/items/1", headers=headers).status_code == 200  # reads stay open


def test_with_a_token_the_token_decides_not_the_origin() -> None:
    with make(token="s3cret-token") as c:
        foreign = {"Origin": "https://evil.example"}
        auth = {"Authorization": "Bearer s3cret-token"}
        assert (
            c.post("/api/v1/items", json={"name": "a", "qty": 1}, headers=foreign).status_code
            == 401
        )
        ok = c.post("/api/v1/items", json={"name": "a", "qty": 1}, headers={**foreign, **auth})
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"name": "a", "qty": NaN}', "NaN is not a JSON number"),
        ('{"name": "a", "qty": Infinity}', "Infinity"),
        ('{"name": "a", "qty": -Infinity}', "-Infinity"),
        ('{"name": "\\ud800", "qty": 1}', "lone UTF-16 surrogate"),
        ('{"name": "a", "qty": 1, "x": {"\\udfff": ["y"]}}', "lone UTF-16 surrogate"),
    ],
)
def test_json_that_only_python_accepts_is_a_422(client: TestClient, body: str, words: str) -> None:
    resp = client.post("/api/v1/items", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert words in resp.json()["detail"]


def test_valid_json_passes_the_strict_check_unchanged(client: TestClient) -> None:
    emoji = '{"name": "\\ud83d\\ude00 NaN Infinity", "qty": 2}'  # a surrogate pair is text
    resp = client.post(
        "/api/v1/items", content=emoji, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert resp.status_code == 200 and resp.json() == {"name": "\U0001f600 NaN Infinity", "qty": 2}
    # what is not JSON at all is FastAPI's own 422, as before
    resp = client.post("/api/v1/items", content="{", headers={"Content-Type": "application/json"})
    assert resp.status_code == 422
