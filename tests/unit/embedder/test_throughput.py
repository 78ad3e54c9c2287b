"""The embedder's hop (issue 18): concurrent requests share model calls on one thread, and
the vectors can travel as float32 base64 instead of JSON numbers."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from tradingstack.embedder.app import create_app
from tradingstack.embedder.sentiment import LoughranMcDonald
from tradingstack.embedder.settings import EmbedderSettings
from tradingstack.embedder.text import TextEncoder

from tests.unit.servers import serve_app


class Spy:
    """Records each call of the real model's `encode` (how many texts, on which thread)."""

    def __init__(self, encoder: TextEncoder) -> None:
        self.real = encoder.model.encode
        self.calls: list[tuple[int, int]] = []
        encoder.model.encode = self  # type: ignore[method-assign,assignment]

    def __call__(self, texts: list[str], **kw: Any) -> Any:
        self.calls.append((len(texts), threading.get_ident()))
        return self.real(texts, **kw)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, TextEncoder, Spy]]:
    enc = TextEncoder(device="cpu", cache_size=0)
    spy = Spy(enc)
    app = create_app(
        EmbedderSettings(cache_size=0, device="cpu"),
        encoder=enc,
        sentiment_model=LoughranMcDonald(),
    )
    with serve_app(app) as url:
        yield url, enc, spy


def texts(tag: str, n: int) -> list[str]:
    return [f"{tag}: shares of company {i} moved {i % 7}.{i % 10}% after results" for i in range(n)]


def test_base64_is_the_models_float32_exactly_and_smaller(
    served: tuple[str, TextEncoder, Spy],
) -> None:
    url, _enc, spy = served
    batch = texts("b64", 16)
    with httpx.Client(base_url=url, timeout=120) as c:
        b64 = c.post("/api/v1/embed/text", json={"texts": batch, "encoding": "base64"})
        flt = c.post("/api/v1/embed/text", json={"texts": batch})
    assert b64.status_code == flt.status_code == 200
    body = b64.json()
    assert body["encoding"] == "base64" and body["embeddings"] == []
    got = np.frombuffer(base64.b64decode(body["embeddings_base64"]), "<f4").reshape(16, -1)
    want = spy.real(batch, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_array_equal(got, want.astype(np.float32))
    np.testing.assert_array_equal(np.array(flt.json()["embeddings"], dtype=np.float32), got)
    assert flt.json()["encoding"] == "float" and flt.json()["embeddings_base64"] is None
    assert len(b64.content) * 2 < len(flt.content)


def test_concurrent_requests_share_model_calls_on_one_thread(
    served: tuple[str, TextEncoder, Spy],
) -> None:
    url, _enc, spy = served
    batches = [texts(f"req{k}", 8) for k in range(8)]

    async def fire() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=120) as c:
            return await asyncio.gather(
                *(c.post("/api/v1/embed/text", json={"texts": b}) for b in batches)
            )

    spy.calls.clear()
    answers = asyncio.run(fire())
    # 8 requests, fewer model calls: those that arrived while one was encoding went together
    assert sum(n for n, _ in spy.calls) == 64
    assert len(spy.calls) <= 4, spy.calls
    assert len({thread for _, thread in spy.calls}) == 1
    # and every request got its own texts' vectors back, in order
    for b, r in zip(batches, answers, strict=True):
        assert r.status_code == 200
        want = spy.real(b, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        np.testing.assert_allclose(np.array(r.json()["embeddings"]), want, atol=1e-5)
