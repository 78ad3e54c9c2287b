"""Service-to-service calls carry the stack's API token.

In a cluster every pod gets TS_API_TOKEN; the kit refuses POSTs without it, so rag's calls
to the embedder and llm's calls to rag and hmm must send it (this was a 401 before).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, SecretStr
from tradingstack.core.app import create_service_app
from tradingstack.core.http import auth_headers, service_client
from tradingstack.core.settings import KitSettings
from tradingstack.embedder.schemas import TextEmbedResponse

from tests.unit.servers import serve_app

TOKEN = "stack-token-123"
router = APIRouter()


class Texts(BaseModel):
    texts: list[str]
    normalize: bool = True


@router.post("/embed/text")
async def embed(body: Texts) -> TextEmbedResponse:
    # a real kit service that demands the token; answers unit vectors of the text lengths, in
    # the embedder's own response model (the contract rag parses with)
    return TextEmbedResponse(
        model="t",
        dimension=2,
        device="cpu",
        normalized=True,
        cached=0,
        embeddings=[[1.0, 0.0] if len(t) % 2 else [0.0, 1.0] for t in body.texts],
    )


@pytest.fixture(scope="module")
def protected() -> Iterator[str]:
    settings = KitSettings(api_token=SecretStr(TOKEN), log_json=False)
    app = create_service_app("embedder", routers=[router], settings=settings, configure_logs=False)
    with serve_app(app) as url:
        yield url


def test_auth_headers_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TS_API_TOKEN", raising=False)
    assert auth_headers() == {}
    monkeypatch.setenv("TS_API_TOKEN", TOKEN)
    assert auth_headers() == {"Authorization": f"Bearer {TOKEN}"}


async def test_service_client_posts_with_the_token(
    protected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TS_API_TOKEN", raising=False)
    async with service_client(protected) as anonymous:
        assert (
            await anonymous.post("/api/v1/embed/text", json={"texts": ["a"]})
        ).status_code == 401
    monkeypatch.setenv("TS_API_TOKEN", TOKEN)
    async with service_client(protected) as client:
        resp = await client.post("/api/v1/embed/text", json={"texts": ["a"]})
    assert resp.status_code == 200


async def test_rag_reaches_a_protected_embedder(
    protected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tradingstack.rag.embedder_client import EmbedderClient

    monkeypatch.setenv("TS_API_TOKEN", TOKEN)
    client = EmbedderClient(protected)
    try:
        vectors, model = await client.embed(["odd", "even"])
    finally:
        await client.aclose()
    assert vectors.shape == (2, 2) and model == "t"
