"""The one error model: domain errors raised without HTTP knowledge, answered by the kit's one
handler with the same status and `type` for the same problem in every service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from tradingstack.core.app import create_service_app
from tradingstack.core.errors import (
    PROBLEM_JSON,
    PROBLEM_TYPES,
    Conflict,
    DomainError,
    EmbeddingModelMismatch,
    InvalidRequest,
    ModelCorrupt,
    ModelNotTrained,
    ModelPreparing,
    NoData,
    NoDataInRange,
    NotFound,
    StorageUnavailable,
    TooLarge,
    UnknownSymbol,
    UpstreamFailed,
    UpstreamUnavailable,
    error_class,
    passed_on,
    passed_on_class,
    problem_types_markdown,
)
from tradingstack.core.http import raise_for_problem
from tradingstack.core.jobs import Job, JobProgress, JobState
from tradingstack.core.settings import KitSettings

ROOT = Path(__file__).resolve().parents[3]
JOB = Job(
    id="j1",
    kind="train",
    service="nhits",
    symbol="BTCUSD",
    timeframe="H1",
    state=JobState.RUNNING,
    progress=JobProgress(percent=40, eta_seconds=12.2),
    created_at="2026-01-01T00:00:00Z",  # type: ignore[arg-type]
)

# each domain error, as domain code raises it, and what every service answers for it
CASES: list[tuple[DomainError, int, str, str | None]] = [
    (InvalidRequest("start must be before end"), 422, "invalid-request", None),
    (NotFound("No strategy 'x'."), 404, "not-found", None),
    (UnknownSymbol("Unknown symbol 'ZZZ'."), 404, "unknown-symbol", None),
    (NoData("No provider has H1 bars for X."), 404, "no-data", None),
    (NoDataInRange("No bars for X H1 in 2020."), 404, "no-data-in-range", None),
    (ModelNotTrained("No model for X H1."), 404, "model-not-trained", None),
    (ModelCorrupt("The saved model cannot be read."), 409, "model-corrupt", None),
    (ModelPreparing("Training X H1.", job=JOB), 503, "model-being-prepared", "13"),
    (Conflict("Symbol X exists."), 409, "conflict", None),
    (EmbeddingModelMismatch("384 != 768"), 409, "embedding-model-mismatch", None),
    (TooLarge("Over 10 bytes."), 413, "too-large", None),
    (StorageUnavailable("The index is damaged."), 503, "storage-unavailable", None),
    (UpstreamUnavailable("data is down", "data"), 503, "upstream-unavailable", "30"),
    (UpstreamFailed("data answered 500", "data"), 502, "upstream-failed", None),
]


def _client(exc: DomainError) -> TestClient:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise exc

    app = create_service_app(
        "data", routers=[router], settings=KitSettings(log_json=False), configure_logs=False
    )
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(("exc", "status", "slug", "retry"), CASES, ids=lambda c: str(c)[:20])
def test_each_domain_error_has_one_answer(
    exc: DomainError, status: int, slug: str, retry: str | None
) -> None:
    with _client(exc) as client:
        r = client.get("/api/v1/boom")
    assert r.status_code == status
    assert r.headers["content-type"] == PROBLEM_JSON
    body = r.json()
    assert body["type"] == f"urn:tradingstack:problem:{slug}"
    assert body["status"] == status and body["detail"] == exc.detail
    assert body["instance"] == "/api/v1/boom"
    assert r.headers.get("retry-after") == retry


def test_extensions_travel_in_the_body() -> None:
    with _client(UpstreamUnavailable("down", "embedder", reasons=["a", "b"])) as client:
        body = client.get("/api/v1/boom").json()
    assert body["upstream"] == "embedder" and body["reasons"] == ["a", "b"]
    assert body["title"] == "Embedder unavailable"
    with _client(ModelPreparing("wait", job=JOB)) as client:
        body = client.get("/api/v1/boom").json()
    assert Job.model_validate(body["job"]) == JOB


def test_every_type_has_one_status_and_a_case() -> None:
    slugs = [p.slug for p in PROBLEM_TYPES]
    assert len(slugs) == len(set(slugs))
    assert sorted(slugs) == sorted(slug for _, _, slug, _ in CASES)
    for exc, status, _, _ in CASES:
        assert exc.problem is not None and exc.problem.status == status


def test_a_client_rebuilds_the_domain_error_from_the_type() -> None:
    for exc, _, _, _ in CASES:
        cls = error_class(exc.type)
        if isinstance(exc, UpstreamUnavailable | UpstreamFailed | ModelPreparing):
            assert cls is None  # a client passes these on as its own upstream problem
        else:
            assert cls is type(exc)
    assert error_class("about:blank") is None


def test_validation_errors_are_invalid_request() -> None:
    router = APIRouter()

    @router.get("/n")
    async def n(k: int) -> dict[str, Any]:
        return {"k": k}

    app = create_service_app(
        "data", routers=[router], settings=KitSettings(log_json=False), configure_logs=False
    )
    with TestClient(app) as client:
        r = client.get("/api/v1/n", params={"k": "x"})
    assert r.status_code == 422
    assert r.json()["type"] == "urn:tradingstack:problem:invalid-request"
    assert r.json()["errors"][0]["field"] == "query.k"


def test_docs_hold_the_table() -> None:
    """docs/problems.md shows the table the code answers with (regenerate it from
    `problem_types_markdown()` when a type changes)."""
    text = (ROOT / "docs" / "problems.md").read_text()
    assert problem_types_markdown() in text


def test_openapi_lists_the_types() -> None:
    with _client(NotFound("x")) as client:
        schema = client.get("/openapi.json").json()
    examples = schema["components"]["schemas"]["Problem"]["properties"]["type"]["examples"]
    assert examples == [p.uri for p in PROBLEM_TYPES]


@pytest.mark.parametrize(("exc", "status", "slug", "retry"), CASES, ids=lambda c: str(c)[:20])
def test_a_problem_travels_unchanged_through_a_client(
    exc: DomainError, status: int, slug: str, retry: str | None
) -> None:
    """Service B calls service A with the kit's `raise_for_problem` and lets the error through:
    B's client gets A's type and status (model-being-prepared has its own handling in the
    callers: passed on without its job, it is the upstream's 503)."""
    router = APIRouter()

    @router.get("/relay")
    async def relay() -> None:
        with _client(exc) as upstream:
            raise_for_problem(upstream.get("/api/v1/boom"), "a")

    app = create_service_app(
        "hmm", routers=[router], settings=KitSettings(log_json=False), configure_logs=False
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/relay")
    expected = "upstream-unavailable" if slug == "model-being-prepared" else slug
    assert r.json()["type"] == f"urn:tradingstack:problem:{expected}"
    assert r.status_code == status
    assert r.json()["upstream"] == "a"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (404, NotFound),
        (409, InvalidRequest),
        (503, UpstreamUnavailable),
        (None, UpstreamUnavailable),
        (500, UpstreamFailed),
        (504, UpstreamFailed),
    ],
)
def test_an_answer_without_a_type(status: int | None, cls: type[DomainError]) -> None:
    assert passed_on_class(status, "about:blank") is cls
    exc = passed_on(status, "x", "about:blank", "data")
    assert type(exc) is cls and exc.extensions["upstream"] == "data"
