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
