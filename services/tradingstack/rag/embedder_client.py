"""The RAG service's client of the embedder: rag never loads an encoder (docs/architecture.md,
data-flow rule 3)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np
from pydantic import ValidationError

from tradingstack.core.errors import (
    DomainError,
    UpstreamFailed,
    UpstreamUnavailable,
    validation_text,
)
from tradingstack.core.http import read_problem, service_client
from tradingstack.embedder.schemas import TextEmbedResponse


class EmbedderError(DomainError):
    """The embedder answered an error or could not be reached: one of the two below, each the
    core domain error that rag answers for it (`upstream: embedder`)."""

    def __init__(self, detail: str, *, upstream_status: int | None = None) -> None:
        super().__init__(detail, upstream="embedder")
        self.upstream_status = upstream_status
        if upstream_status is not None:
            self.extensions["upstream_status"] = upstream_status


class EmbedderUnavailable(EmbedderError, UpstreamUnavailable):
    """Unreachable, or 503: ask again later (Retry-After)."""


class EmbedderFailed(EmbedderError, UpstreamFailed):
    """It answered a failure, or an answer that breaks its contract."""


class EmbedderClient:
    """Async client of `POST /api/v1/embed/text` (base URL from TS_EMBEDDER_URL)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        batch: int = 64,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.batch = batch
        self._client = service_client(self.base_url, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, body: dict[str, object]) -> TextEmbedResponse:
        try:
            resp = await self._client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise EmbedderUnavailable(
                f"The embedder service is unreachable at {self.base_url} ({exc!r}); start it "
                "or set TS_EMBEDDER_URL."
            ) from exc
        if resp.status_code >= 400:
            detail = read_problem(resp)[0]
            if resp.status_code == 503:
                raise EmbedderUnavailable(
                    f"The embedder service is unavailable: {detail}", upstream_status=503
                )
            raise EmbedderFailed(
                f"The embedder service failed to embed the text: {detail}",
                upstream_status=resp.status_code,
            )
        try:  # the embedder's own response model: a renamed field is an error here, not a 500
            return TextEmbedResponse.model_validate_json(resp.content)
        except ValidationError as exc:
            raise EmbedderFailed(
                f"the answer does not match the embedder's contract: {validation_text(exc)}",
                upstream_status=resp.status_code,
            ) from None

    async def embed(self, texts: Sequence[str]) -> tuple[np.ndarray, str]:
        """Unit-length embeddings (len(texts) x d, float32) and the embedder's model name."""
        parts: list[np.ndarray] = []
        model = ""
        for i in range(0, len(texts), self.batch):
            answer = await self._post(
                "/api/v1/embed/text", {"texts": list(texts[i : i + self.batch]), "normalize": True}
            )
            parts.append(np.asarray(answer.embeddings, dtype=np.float32))
            model = answer.model
        vecs = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
        if vecs.ndim != 2 or len(vecs) != len(texts):
            raise EmbedderFailed(f"expected {len(texts)} vectors, got shape {vecs.shape}")
        # normalise again: cosine similarity must not depend on the embedder's flag
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms > 0, norms, 1.0), model
