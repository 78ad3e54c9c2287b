"""Embedder throughput: sentences per second through the service (HTTP, batches of 64) vs.
sentence-transformers called directly, on the same model (the bundled all-MiniLM-L6-v2, CPU).

The service runs in-process (uvicorn in a thread, tests.unit.servers.serve_app) with its LRU
cache disabled for the cold numbers; a second pass with the cache on measures cache hits.
Run: `python -m bench embedder_bench`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from tradingstack.embedder.app import create_app
from tradingstack.embedder.sentiment import LoughranMcDonald
from tradingstack.embedder.settings import EmbedderSettings
from tradingstack.embedder.text import TextEncoder

from bench.common import write_result
from tests.unit.servers import serve_app

N = 1024
BATCH = 64
SUBJECTS = ["Nvidia", "Microsoft", "Bitcoin", "Amazon", "Tesla", "Netflix", "The central bank"]
VERBS = ["rose", "fell", "surged", "slipped", "rallied", "stalled", "rebounded"]
REASONS = [
    "after earnings beat estimates",
    "on weaker guidance",
    "as yields climbed",
    "amid supply constraints",
    "on strong cloud demand",
    "after a regulatory probe",
]


def sentences(n: int) -> list[str]:
    return [
        f"{SUBJECTS[i % 7]} {VERBS[(i // 7) % 7]} {1 + i % 13}.{i % 10}% {REASONS[(i // 49) % 6]} "
        f"in session {i}."
        for i in range(n)
    ]


def _service(url: str, texts: list[str]) -> float:
    with httpx.Client(base_url=url, timeout=300) as c:
        t0 = time.perf_counter()
        for i in range(0, len(texts), BATCH):
            r = c.post("/api/v1/embed/text", json={"texts": texts[i : i + BATCH]})
            r.raise_for_status()
        return time.perf_counter() - t0


def main() -> None:
    texts = sentences(N)
    enc = TextEncoder(device="cpu", batch_size=32, cache_size=0)
    model = enc.model
    model.encode(texts[:64], batch_size=32, normalize_embeddings=True)  # warm-up

    def direct() -> float:
        t0 = time.perf_counter()
        model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return time.perf_counter() - t0

    def direct_in_thread() -> float:
        # the service encodes in a worker thread; torch's OpenMP team in the main thread
        # behaves very differently on a busy 2-core box (measured below as `direct_main`)
        with ThreadPoolExecutor(1) as ex:
            return ex.submit(direct).result()

    main_thread = direct()
    d1 = direct_in_thread()
    app = create_app(
        EmbedderSettings(cache_size=0), encoder=enc, sentiment_model=LoughranMcDonald()
    )
    with serve_app(app) as url:
        _service(url, texts[:64])  # warm-up
        s1 = _service(url, texts)
    d2 = direct_in_thread()
    cached_enc = TextEncoder(device="cpu", batch_size=32, cache_size=N)
    cached_app = create_app(
        EmbedderSettings(cache_size=N), encoder=cached_enc, sentiment_model=LoughranMcDonald()
    )
    with serve_app(cached_app) as url:
        cold = _service(url, texts)
        warm = _service(url, texts)
    direct_s = min(d1, d2)
    result: dict[str, Any] = {
        "model": enc.name,
        "device": enc.device,
        "sentences": N,
        "request_batch": BATCH,
        "direct": {
            "seconds": [round(d1, 3), round(d2, 3)],
            "sentences_per_second": round(N / direct_s, 1),
            "where": "a worker thread, as in the service",
        },
        "direct_main_thread": {
            "seconds": round(main_thread, 3),
            "sentences_per_second": round(N / main_thread, 1),
        },
        "service": {"seconds": round(s1, 3), "sentences_per_second": round(N / s1, 1)},
        "ratio_service_over_direct": round((N / s1) / (N / direct_s), 3),
        "service_cached": {
            "cold_sentences_per_second": round(N / cold, 1),
            "warm_sentences_per_second": round(N / warm, 1),
            "hits": cached_enc.hits,
            "misses": cached_enc.misses,
        },
        "note": "CPU, 2 cores shared with other work; service in-process (uvicorn thread), "
        "sequential requests of 64 sentences; direct = SentenceTransformer.encode(batch 32), "
        "best of two runs.",
    }
    path = write_result("embedder", result)
    print(
        path,
        result["direct"],
        result["service"],
        result["ratio_service_over_direct"],
        result["service_cached"],
    )


if __name__ == "__main__":
    main()
