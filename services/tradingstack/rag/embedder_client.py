"""The RAG service's client of the embedder: rag never loads an encoder (docs/architecture.md,
data-flow rule 3)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np
from pydantic import ValidationError

from tradingstack.core.errors import validation_text
from tradingstack.core.http import read_problem, service_client
from tradingstack.embedder.schemas import TextEmbedResponse


class EmbedderError(Exception):
    """The embedder answered an error or could not be reached."""

    def __init__(self, status: int | None, detail: str) -> None:
        super().__init__(f"embedder: {detail}" + (f" (HTTP {status})" if status else ""))
        self.status = status
        self.detail = detail


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
            raise EmbedderError(None, f"unreachable at {self.base_url}: {exc!r}") from exc
        if resp.status_code >= 400:
            raise EmbedderError(resp.status_code, read_problem(resp)[0])
        try:  # the embedder's own response model: a renamed field is an error here, not a 500
            return TextEmbedResponse.model_validate_json(resp.content)
        except ValidationError as exc:
            raise EmbedderError(
                resp.status_code,
                f"the answer does not match the embedder's contract: {validation_text(exc)}",
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
            raise EmbedderError(None, f"expected {len(texts)} vectors, got shape {vecs.shape}")
        # normalise again: cosine similarity must not depend on the embedder's flag
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms > 0, norms, 1.0), model
