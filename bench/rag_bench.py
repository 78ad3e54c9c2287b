"""RAG query latency and recall@10: exact (IndexFlatIP) vs. IVF vs. HNSW at 10k and 1M vectors,
built with the service's own index code (tradingstack.rag.index), plus a filtered query at 1M
and the end-to-end POST /api/v1/query latency of the service (real embedder) at 1,000 documents.

The 10k and 1M vectors are RANDOM unit vectors in 384 dimensions (no real corpus of that size
ships offline). Uniform random vectors have no cluster structure, the hardest case for IVF
and HNSW, so the recall here is a lower bound of what real embeddings give.
Memory: 1M x 384 float32 = 1.5 GB per copy; at most two copies live at once.
Run: `python -m bench rag_bench`.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
import numpy as np
from tradingstack.rag import index as fx

from bench.common import summary, write_result

DIM = 384
QUERIES = 100
K = 10
HNSW_BUDGET_S = 1200.0


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    for s in range(0, n, 100_000):
        block = rng.standard_normal((min(100_000, n - s), DIM), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[s : s + len(block)] = block
    return out


def timed_search(index: Any, q: np.ndarray, params: Any) -> tuple[np.ndarray, list[float]]:
    """One query at a time (as the service does), on one OpenMP thread: a single query gains
    nothing from faiss's per-query parallelism, and a 2-thread team on a busy 2-core box
    mostly waits at barriers (measured: ~20-30 ms vs. well under 1 ms for 10k flat)."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return _timed(index, q, params)
    finally:
        faiss.omp_set_num_threads(threads)


def _timed(index: Any, q: np.ndarray, params: Any) -> tuple[np.ndarray, list[float]]:
    found = np.empty((len(q), K), dtype=np.int64)
    lat = []
    for i in range(len(q)):
        t0 = time.perf_counter()
        _, ids = (
            index.search(q[i : i + 1], K, params=params)
            if params
            else index.search(q[i : i + 1], K)
        )
        lat.append(time.perf_counter() - t0)
        found[i] = ids[0]
    return found, lat


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))


def run_size(n: int, rng: np.random.Generator) -> dict[str, Any]:
    print(f"-- {n} vectors", flush=True)
    x = unit(rng, n)
    ids = np.arange(n, dtype=np.int64)
    q = unit(rng, QUERIES)
    out: dict[str, Any] = {"vectors": n, "memory_per_copy_gib": round(x.nbytes / 2**30, 3)}

    t0 = time.perf_counter()
    flat = fx.build_flat_with(x, ids)
    out_flat: dict[str, Any] = {"build_s": round(time.perf_counter() - t0, 2)}
    truth, lat = timed_search(flat, q, None)
    out_flat.update(latency=summary(lat), recall_at_10=1.0)
    # a filtered query: 1 % of the ids allowed, exact over the index with an IDSelector
    allowed = rng.choice(n, max(K, n // 100), replace=False).astype(np.int64)
    params = fx.search_params(flat, k=K, nprobe=1, ef_search=1, ids=allowed)
    f_found, f_lat = timed_search(flat, q[:20], params)
    out_flat["filtered_1pct"] = {
        "latency": summary(f_lat),
        "k_returned_min": int(min((row != -1).sum() for row in f_found)),
    }
    out["flat"] = out_flat
    print("flat", out_flat, flush=True)
    del flat
    gc.collect()

    t0 = time.perf_counter()
    ivf = fx.build_ann("ivf", x, ids, train_max=100_000)
    out_ivf: dict[str, Any] = {
        "build_s": round(time.perf_counter() - t0, 2),
        "nlist": fx.ivf_nlist(n),
    }
    for nprobe in (8, 32, 128):
        p = fx.search_params(ivf, k=K, nprobe=nprobe, ef_search=1, ids=None)
        found, lat = timed_search(ivf, q, p)
        out_ivf[f"nprobe_{nprobe}"] = {
            "latency": summary(lat),
            "recall_at_10": recall(found, truth),
        }
    out["ivf"] = out_ivf
    print("ivf", out_ivf, flush=True)
    del ivf
    gc.collect()

    m, efc = (32, 80) if n <= 100_000 else (16, 40)
    t0 = time.perf_counter()
    import faiss

    inner = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
    inner.hnsw.efConstruction = efc
    hnsw = faiss.IndexIDMap2(inner)
    added = 0
    for s in range(0, n, 50_000):
        hnsw.add_with_ids(x[s : s + 50_000], ids[s : s + 50_000])
        added = min(n, s + 50_000)
        if time.perf_counter() - t0 > HNSW_BUDGET_S:
            break
    out_h: dict[str, Any] = {
        "build_s": round(time.perf_counter() - t0, 2),
        "M": m,
        "ef_construction": efc,
        "vectors_added": added,
    }
    if added == n:
        for ef in (64, 128, 256):
            p = fx.search_params(hnsw, k=K, nprobe=1, ef_search=ef, ids=None)
            found, lat = timed_search(hnsw, q, p)
            out_h[f"ef_search_{ef}"] = {
                "latency": summary(lat),
                "recall_at_10": recall(found, truth),
            }
    else:
        out_h["note"] = f"build stopped after {HNSW_BUDGET_S:.0f} s budget; not searched"
    out["hnsw"] = out_h
    print("hnsw", out_h, flush=True)
    del hnsw, x
    gc.collect()
    return out


def service_e2e() -> dict[str, Any]:
    """POST /api/v1/query through the real rag + embedder services, 1,000 short documents."""
    from tradingstack.rag.app import create_app
    from tradingstack.rag.settings import RagSettings

    from bench.embedder_bench import sentences
    from tests.unit.embedder.helpers import serve_embedder
    from tests.unit.servers import serve_app

    texts = sentences(1000)
    symbols = ["NVDA", "MSFT", "BTCUSD", "AMZN", "TSLA"]
    with TemporaryDirectory() as tmp, serve_embedder() as emb:
        app = create_app(RagSettings(dir=Path(tmp) / "rag", embedder_url=emb))
        with serve_app(app) as url, httpx.Client(base_url=url, timeout=300) as c:
            t0 = time.perf_counter()
            for i in range(0, len(texts), 100):
                docs = [
                    {"text": t, "symbol": symbols[(i + j) % 5], "source": "bench"}
                    for j, t in enumerate(texts[i : i + 100])
                ]
                c.post("/api/v1/documents/batch", json={"documents": docs}).raise_for_status()
            ingest = time.perf_counter() - t0
            lat, flat_lat = [], []
            for i in range(30):
                body = {"text": f"why did stock {i} move after earnings", "k": 10}
                t0 = time.perf_counter()
                c.post("/api/v1/query", json=body).raise_for_status()
                lat.append(time.perf_counter() - t0)
                body["filters"] = {"symbol": symbols[i % 5]}
                t0 = time.perf_counter()
                r = c.post("/api/v1/query", json=body)
                flat_lat.append(time.perf_counter() - t0)
                assert len(r.json()["results"]) == 10
    return {
        "documents": len(texts),
        "ingest_docs_per_second": round(len(texts) / ingest, 1),
        "query": summary(lat),
        "query_filtered_by_symbol": summary(flat_lat),
        "note": "includes the HTTP call to the embedder and its MiniLM encode of the query",
    }


def main() -> None:
    rng = np.random.default_rng(7)
    sizes = {}
    for n in (10_000, 1_000_000):
        sizes[str(n)] = run_size(n, rng)
        write_result("rag", {"sizes": sizes, "partial": True})
    e2e = service_e2e()
    print("e2e", e2e, flush=True)
    path = write_result(
        "rag",
        {
            "dimension": DIM,
            "k": K,
            "queries": QUERIES,
            "data": "random unit vectors (uniform on the sphere), not real embeddings",
            "faiss_threads": __import__("faiss").omp_get_max_threads(),
            "sizes": sizes,
            "service_end_to_end": e2e,
        },
    )
    print(path)


if __name__ == "__main__":
    main()
