"""Each of rag's problems, raised by its domain code (the store, the embedder client) and
answered by the kit's one handler with the type and status of docs/problems.md.

The embedder here is a stand-in answering the embedder's own response model
(`TextEmbedResponse`) with vectors of a chosen width, or a chosen failure: what these tests
need is an embedder of *another model* or a failing one; test_rag.py runs the real one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from tradingstack.embedder.schemas import TextEmbedResponse
from tradingstack.rag.app import create_app
from tradingstack.rag.embedder_client import EmbedderClient
from tradingstack.rag.settings import RagSettings

P = "urn:tradingstack:problem:"


def _embedder(dimension: int = 8, status: int = 200) -> EmbedderClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if status != 200:
            return httpx.Response(status, json={"type": "about:blank", "detail": "out of memory"})
        texts = json.loads(request.content)["texts"]
        vectors = [
            [b / 255 for b in hashlib.sha256(t.encode()).digest()[:dimension]] for t in texts
        ]
        body = TextEmbedResponse(
            model=f"stand-in-{dimension}",
            dimension=dimension,
            device="cpu",
            normalized=False,
            cached=0,
            embeddings=vectors,
        )
        return httpx.Response(200, json=body.model_dump(mode="json"))

    return EmbedderClient("http://embedder", transport=httpx.MockTransport(answer))


@contextmanager
def rag(directory: Path, embedder: EmbedderClient, **kw: object) -> Iterator[TestClient]:
    settings = RagSettings(dir=directory, **kw)  # type: ignore[arg-type]
    with TestClient(create_app(settings, embedder=embedder)) as c:
        yield c


def _problem(r: httpx.Response, status: int, slug: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = r.json()
    assert body["type"] == P + slug, body
    assert "/api/" not in str(body["detail"]), body  # the domain says what, not where
    return body


def test_requests_a_client_can_fix(tmp_path: Path) -> None:
    with rag(tmp_path / "rag", _embedder(), max_batch=2, max_document_chars=1000) as c:
        _problem(c.get("/api/v1/documents/nope"), 404, "not-found")
        _problem(c.delete("/api/v1/documents/nope"), 404, "not-found")
        _problem(c.put("/api/v1/documents/nope", json={"text": "x"}), 404, "not-found")
        _problem(c.delete("/api/v1/documents"), 422, "invalid-request")
        _problem(c.post("/api/v1/query", json={"text": "x", "k": 1000}), 422, "invalid-request")
        batch = {"documents": [{"text": f"doc {i}"} for i in range(3)]}
        _problem(c.post("/api/v1/documents/batch", json=batch), 413, "too-large")
        _problem(c.post("/api/v1/documents", json={"text": "y" * 1001}), 413, "too-large")
        a = c.post("/api/v1/documents", json={"text": "first text"}).json()["id"]
        b = c.post("/api/v1/documents", json={"text": "second text"}).json()["id"]
        body = _problem(
            c.put(f"/api/v1/documents/{b}", json={"text": "first text"}), 409, "conflict"
        )
        assert body["duplicate_of"] == a


def test_an_embedder_of_another_model(tmp_path: Path) -> None:
    with rag(tmp_path / "rag", _embedder(8)) as c:
        assert (
            c.post("/api/v1/documents", json={"text": "built with 8-d vectors"}).status_code == 201
        )
    with rag(tmp_path / "rag", _embedder(5)) as c:
        r = c.post("/api/v1/documents", json={"text": "another text"})
        _problem(r, 409, "embedding-model-mismatch")
        r = c.post("/api/v1/query", json={"text": "anything"})
        _problem(r, 409, "embedding-model-mismatch")


def test_a_failing_or_down_embedder(tmp_path: Path) -> None:
    with rag(tmp_path / "rag", _embedder(status=500)) as c:
        body = _problem(c.post("/api/v1/query", json={"text": "x"}), 502, "upstream-failed")
        assert body["upstream"] == "embedder" and body["upstream_status"] == 500
    with rag(tmp_path / "rag", _embedder(status=503)) as c:
        r = c.post("/api/v1/documents", json={"text": "x"})
        body = _problem(r, 503, "upstream-unavailable")
        assert body["upstream"] == "embedder" and int(r.headers["Retry-After"]) > 0
    down = EmbedderClient("http://127.0.0.1:9")
    with rag(tmp_path / "rag", down) as c:
        r = c.post("/api/v1/query", json={"text": "x"})
        assert _problem(r, 503, "upstream-unavailable")["title"] == "Embedder unavailable"


def test_a_damaged_store(tmp_path: Path) -> None:
    directory = tmp_path / "rag"
    with rag(directory, _embedder()) as c:
        assert c.post("/api/v1/documents", json={"text": "kept"}).status_code == 201
    for extra in ("rag.db-wal", "rag.db-shm"):
        (directory / extra).unlink(missing_ok=True)
    (directory / "rag.db").write_bytes(b"garbage" * 1000)
    with rag(directory, _embedder()) as c:
        for r in (c.get("/api/v1/documents"), c.post("/api/v1/index/rebuild")):
            body = _problem(r, 503, "storage-unavailable")
            assert body["title"] == "Knowledge base unavailable" and "Retry-After" not in r.headers
