"""Text embeddings with sentence-transformers: batching and an LRU cache."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tradingstack.embedder.settings import EmbedderSettings, bundled_model_path


def resolve_device(wanted: str) -> str:
    """`auto` means CUDA when torch sees a GPU, CPU otherwise."""
    if wanted != "auto":
        return wanted
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class TextEncoder:
    """A sentence-transformers model behind an LRU cache of (text, normalize) -> vector."""

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str = "auto",
        batch_size: int = 32,
        cache_size: int = 8192,
    ) -> None:
        if model is None:
            path = bundled_model_path()
            # the bundled model must never reach for the hub
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            ref, self.name = str(path), "all-MiniLM-L6-v2"
        else:
            ref = model
            self.name = Path(model).name if Path(model).exists() else model
        from sentence_transformers import SentenceTransformer

        self.device = resolve_device(device)
        self.model = SentenceTransformer(ref, device=self.device)
        get_dim = getattr(self.model, "get_embedding_dimension", None)
        get_dim = get_dim or self.model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise RuntimeError(f"model {ref} does not declare an embedding dimension")
        self.dimension = int(dim)
        self.max_seq_length = int(getattr(self.model, "max_seq_length", 0) or 0)
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, bool], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_settings(cls, settings: EmbedderSettings) -> TextEncoder:
        return cls(
            settings.model,
            device=settings.device,
            batch_size=settings.batch_size,
            cache_size=settings.cache_size,
        )

    def encode(self, texts: Sequence[str], normalize: bool = True) -> tuple[np.ndarray, int]:
        """Embeddings (len(texts) x dimension, float32) and how many came from the cache."""
        out, hit = self.encode_rows(texts, normalize)
        return out, int(hit.sum())

    def encode_rows(
        self, texts: Sequence[str], normalize: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings (len(texts) x dimension, float32) and, per row, whether the cache had it.

        The texts the cache lacks go to the model in one `encode` call (each distinct text
        once), which sorts them by length and runs them in batches of `batch_size`."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        hit = np.zeros(len(texts), dtype=bool)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vec = self._cache.get((text, normalize))
                if vec is not None:
                    self._cache.move_to_end((text, normalize))
                    out[i] = vec
                    hit[i] = True
                else:
                    todo.setdefault(text, []).append(i)
            if todo:
                unique = list(todo)
                vecs = self.model.encode(
                    unique,
                    batch_size=self.batch_size,
                    normalize_embeddings=normalize,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                ).astype(np.float32, copy=False)
                for text, vec in zip(unique, vecs, strict=True):
                    for i in todo[text]:
                        out[i] = vec
                    if self.cache_size:
                        self._cache[(text, normalize)] = vec.copy()
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            hits = int(hit.sum())
            self.hits += hits
            self.misses += len(texts) - hits
        return out, hit

    @property
    def cache_entries(self) -> int:
        return len(self._cache)
