"""`python -m bench.gpu_check`: every GPU path of the stack, run on the GPU and on the CPU.

Parts (each through the services' own code, never a copy of it):

- **nhits**: `nhits.model.fit` + `Ensemble.median` (a short training and a forecast) on `cuda`
  and on `cpu` with the same seed: the two forecasts must agree within a tolerance, and the
  CPU-trained weights must forecast the same on either device (tighter); times and ratio.
- **tcn**: `tcn.training.train` (TINY, fewer epochs) on both devices, the same comparisons on
  the pattern probabilities.
- **embedder**: `embedder.text.TextEncoder` (the bundled MiniLM) on both devices: throughput,
  and every vector within 1e-4 cosine of the other device's.
- **faiss**: `rag.index` on 1M clustered unit vectors (384-d, the embedder's size): exact and
  IVF search on the CPU index and on its GPU copy (`index.to_gpu`, the store's path; IVF's
  k-means on the GPU), recall@10 against the exact answer, latency of one query and of a batch.
- **rag_store**: `rag.store.RagStore` with the GPU on and off: the same hits, `device: gpu`.
- **system_metrics**: `GET /api/v1/system/metrics` of a real service app (NVML: name,
  memory, temperature) and the rag service's `/health` (the index device).

Without a GPU each part is skipped with the reason; `--cpu-reference` still runs the CPU half
(what the unit test does at `--tiny` sizes). The result goes to bench/results/gpu.json from a
GPU run at full size, gpu-tiny.json at --tiny on a GPU, gpu-cpu-only.json without a GPU (never
gpu.json), or to --out. Exit status 1 when a part failed or disagreed.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import machine, write_result

GPU_INSTALL = "uv sync --frozen --all-extras --group gpu --no-install-package faiss-cpu"


@dataclass(frozen=True)
class Sizes:
    nhits_bars: int = 3000
    nhits_h: int = 24
    nhits_input: int = 96
    nhits_steps: int = 200
    nhits_origins: int = 64
    tcn_epochs: int = 3
    tcn_windows: int = 512
    embed_texts: int = 2000
    faiss_vectors: int = 1_000_000
    faiss_dim: int = 384
    faiss_queries: int = 1000
    faiss_single: int = 100
    faiss_nprobe: int = 32
    store_docs: int = 20_000
    store_ann_threshold: int = 10_000


FULL = Sizes()
TINY = Sizes(
    nhits_bars=400,
    nhits_h=6,
    nhits_input=24,
    nhits_steps=5,
    nhits_origins=4,
    tcn_epochs=1,
    tcn_windows=16,
    embed_texts=16,
    faiss_vectors=4000,
    faiss_dim=32,
    faiss_queries=20,
    faiss_single=5,
    faiss_nprobe=8,
    store_docs=300,
    store_ann_threshold=200,
)

# Tolerances. Training on two devices follows two float paths (cuDNN/cuBLAS kernels, TF32 in
# convolutions, other reduction orders), so trained models agree loosely; the same weights
# must forecast alike.
NHITS_TRAIN_RTOL = 0.02  # forecast prices, relative, max over steps and origins
NHITS_INFER_RTOL = 1e-4
TCN_TRAIN_ATOL = 0.15  # class probabilities, mean absolute difference
TCN_INFER_ATOL = 5e-3  # class probabilities, max absolute difference (TF32 convolutions)
TCN_INFER_ARGMAX = 0.99  # share of windows with the same most likely class
EMBED_COSINE = 1e-4  # 1 - cosine, max over texts
FLAT_RECALL_MIN = 0.99  # the GPU's exact search against the CPU's (ties may reorder)
IVF_RECALL_DELTA = 0.05  # GPU IVF's recall may trail the CPU IVF's by this much at most


class Skip(Exception):
    """This part cannot run here; the message says why."""


def _cuda() -> tuple[bool, str]:
    import torch

    if torch.cuda.is_available():
        return True, ""
    return False, (
        f"no CUDA device: torch {torch.__version__} (built for CUDA {torch.version.cuda}) "
        "reports torch.cuda.is_available() == False"
    )


def _faiss_gpu() -> tuple[bool, str]:
    from tradingstack.rag import index as fx

    if fx.gpu_count() > 0:
        return True, ""
    build = fx.faiss_build()
    if "faiss-gpu" not in build:
        return False, f"faiss has no GPU support ({build} installed); on a GPU box: {GPU_INSTALL}"
    return False, f"{build} sees no GPU (faiss.get_num_gpus() == 0)"


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _kwargs_for(fn: Callable[..., Any], **kw: Any) -> dict[str, Any]:
    """The keyword arguments `fn` takes (the nhits API gains and loses some as it evolves)."""
    names = inspect.signature(fn).parameters
    return {k: v for k, v in kw.items() if k in names}


def _ratio(cpu_s: float, gpu_s: float) -> float | None:
    return round(cpu_s / gpu_s, 2) if gpu_s > 0 else None


# --- nhits ------------------------------------------------------------------------------------
def _series(n: int, seed: int = 7) -> np.ndarray:
    """A positive price path: a random walk in log price with a daily cycle (24 bars)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    log_p = np.cumsum(0.004 * rng.standard_normal(n)) + 0.01 * np.sin(2 * np.pi * t / 24)
    return np.asarray(100.0 * np.exp(log_p), dtype=np.float64)


def _nhits_hyper(s: Sizes) -> Any:
    from tradingstack.nhits import model as nh

    hyper = nh.Hyper(h=s.nhits_h, input_size=s.nhits_input, levels=[80])
    if "seeds" in {f.name for f in dataclasses.fields(hyper)}:
        hyper = dataclasses.replace(hyper, seeds=1)
    return hyper


def _nhits_run(
    s: Sizes, accelerator: str, close: np.ndarray, origins: np.ndarray
) -> dict[str, Any]:
    from tradingstack.nhits import model as nh

    hyper = _nhits_hyper(s)
    kw = _kwargs_for(nh.fit, max_steps=s.nhits_steps, val_windows=0, accelerator=accelerator)
    trained, train_s = _timed(lambda: nh.fit(hyper, close, **kw))
    nets = list(getattr(trained, "nets", [trained]))
    prices, forecast_s = _timed(lambda: _nhits_forecast(hyper, nets, close, origins))
    states = [{k: v.detach().cpu().clone() for k, v in n.state_dict().items()} for n in nets]
    return {
        "train_s": round(train_s, 3),
        "forecast_s": round(forecast_s, 3),
        "prices": prices,
        "states": states,
        "hyper": hyper,
    }


def _nhits_forecast(hyper: Any, nets: list[Any], close: np.ndarray, at: np.ndarray) -> np.ndarray:
    from tradingstack.nhits import model as nh

    paths = nh.Ensemble(hyper, nets).median([close[:o] for o in at])
    return np.asarray(nh.from_target(paths, hyper.target), dtype=np.float64)


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def part_nhits(s: Sizes, *, cpu_reference: bool) -> dict[str, Any]:
    from tradingstack.nhits import model as nh

    cuda, why = _cuda()
    if not cuda and not cpu_reference:
        raise Skip(why)
    nh.preload()
    close = _series(s.nhits_bars)
    origins = np.linspace(len(close) // 2, len(close), s.nhits_origins, dtype=np.int64)
    cpu = _nhits_run(s, "cpu", close, origins)
    out: dict[str, Any] = {
        "bars": len(close),
        "steps": s.nhits_steps,
        "cpu": {k: cpu[k] for k in ("train_s", "forecast_s")},
    }
    out["cpu"]["forecast_finite"] = bool(np.isfinite(cpu["prices"]).all())
    if not cuda:
        return {**out, "status": "skipped", "reason": why}
    gpu = _nhits_run(s, "gpu", close, origins)
    _sync()
    out["cuda"] = {k: gpu[k] for k in ("train_s", "forecast_s")}
    # the same (CPU-trained) weights forecasting on the GPU
    hyper = cpu["hyper"]
    moved = nh.rebuild(hyper, cpu["states"], accelerator="gpu")
    same_weights = _nhits_forecast(hyper, list(moved.nets), close, origins)
    train_rel = _max_rel(gpu["prices"], cpu["prices"])
    infer_rel = _max_rel(same_weights, cpu["prices"])
    out["agreement"] = {
        "same_seed_training_max_rel": round(train_rel, 6),
        "same_seed_training_tolerance": NHITS_TRAIN_RTOL,
        "same_weights_forecast_max_rel": float(f"{infer_rel:.3g}"),
        "same_weights_forecast_tolerance": NHITS_INFER_RTOL,
    }
    out["train_speedup"] = _ratio(cpu["train_s"], gpu["train_s"])
    out["forecast_speedup"] = _ratio(cpu["forecast_s"], gpu["forecast_s"])
    ok = train_rel <= NHITS_TRAIN_RTOL and infer_rel <= NHITS_INFER_RTOL
    return {**out, "status": "ok" if ok else "mismatch"}


# --- tcn --------------------------------------------------------------------------------------
def _tcn_windows(n: int, length: int, seed: int = 11) -> list[np.ndarray]:
    """Bar windows (open, high, low, close, volume) cut from one random walk."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(0.01 * rng.standard_normal(n + length * 2)))
    bars = np.column_stack([close, close * 1.002, close * 0.998, close, np.ones_like(close)])
    starts = np.linspace(0, len(bars) - length, n, dtype=np.int64)
    return [bars[i : i + length] for i in starts]


def _tcn_proba(model: Any, X: np.ndarray, device: Any) -> np.ndarray:
    from tradingstack.tcn import training

    logits = getattr(training, "predict_logits", None)
    if logits is None:  # an older training module answers probabilities directly
        return np.asarray(training.predict_proba(model, X, device), dtype=np.float64)
    z = np.asarray(logits(model, X, device), dtype=np.float64)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _tcn_run(s: Sizes, device: str) -> tuple[Any, float]:
    from tradingstack.tcn import training

    cfg = training.TINY.model_copy(update={"device": device, "epochs": s.tcn_epochs, "seed": 0})
    result, seconds = _timed(lambda: training.train(cfg, frames=None))
    _sync()
    return result.model, seconds


def part_tcn(s: Sizes, *, cpu_reference: bool) -> dict[str, Any]:
    import copy

    import torch
    from tradingstack.tcn import model as tm

    cuda, why = _cuda()
    if not cuda and not cpu_reference:
        raise Skip(why)
    cpu_model, cpu_s = _tcn_run(s, "cpu")
    length = cpu_model.config.window_length
    X = tm.batch_features(_tcn_windows(s.tcn_windows, length), length)
    p_cpu, cpu_infer_s = _timed(lambda: _tcn_proba(cpu_model, X, torch.device("cpu")))
    out: dict[str, Any] = {
        "windows": len(X),
        "epochs": s.tcn_epochs,
        "cpu": {"train_s": round(cpu_s, 3), "predict_s": round(cpu_infer_s, 4)},
    }
    out["cpu"]["proba_rows_sum_to_1"] = bool(np.allclose(p_cpu.sum(axis=1), 1.0, atol=1e-6))
    if not cuda:
        return {**out, "status": "skipped", "reason": why}
    gpu_model, gpu_s = _tcn_run(s, "cuda")
    dev = torch.device("cuda")
    p_gpu, gpu_infer_s = _timed(lambda: _tcn_proba(gpu_model, X, dev))
    moved = copy.deepcopy(cpu_model).to(dev)
    p_same = _tcn_proba(moved, X, dev)
    train_diff = float(np.mean(np.abs(p_gpu - p_cpu)))
    infer_diff = float(np.max(np.abs(p_same - p_cpu)))
    argmax = float(np.mean(p_same.argmax(axis=1) == p_cpu.argmax(axis=1)))
    out["cuda"] = {"train_s": round(gpu_s, 3), "predict_s": round(gpu_infer_s, 4)}
    out["agreement"] = {
        "same_seed_training_mean_abs": round(train_diff, 6),
        "same_seed_training_tolerance": TCN_TRAIN_ATOL,
        "same_seed_training_argmax_agree": round(
            float(np.mean(p_gpu.argmax(axis=1) == p_cpu.argmax(axis=1))), 4
        ),
        "same_weights_max_abs": float(f"{infer_diff:.3g}"),
        "same_weights_tolerance": TCN_INFER_ATOL,
        "same_weights_argmax_agree": round(argmax, 4),
        "cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32),
    }
    out["train_speedup"] = _ratio(cpu_s, gpu_s)
    ok = train_diff <= TCN_TRAIN_ATOL and infer_diff <= TCN_INFER_ATOL
    ok = ok and argmax >= TCN_INFER_ARGMAX
    return {**out, "status": "ok" if ok else "mismatch"}


# --- embedder ---------------------------------------------------------------------------------
WORDS = (
    "revenue guidance margin inflation rates central bank bitcoin halving chip demand supply "
    "dividend buyback outlook recession yield curve volatility earnings beat miss upgrade "
    "downgrade merger acquisition regulator lawsuit tariff export energy oil gas cloud"
).split()


def _texts(n: int, seed: int = 5) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        words = rng.choice(WORDS, size=int(rng.integers(6, 60)))
        out.append(f"Note {i}: " + " ".join(str(w) for w in words) + ".")
    return out


def _encode(device: str, texts: list[str]) -> tuple[np.ndarray, float, str]:
    from tradingstack.embedder.text import TextEncoder

    enc = TextEncoder(device=device, batch_size=64, cache_size=0)
    enc.encode(texts[:8])  # warm up (kernels, allocator)
    _sync()
    t0 = time.perf_counter()
    vecs, _ = enc.encode(texts)
    _sync()
    return vecs, time.perf_counter() - t0, enc.name


def part_embedder(s: Sizes, *, cpu_reference: bool) -> dict[str, Any]:
    cuda, why = _cuda()
    if not cuda and not cpu_reference:
        raise Skip(why)
    texts = _texts(s.embed_texts)
    v_cpu, cpu_s, name = _encode("cpu", texts)
    out: dict[str, Any] = {
        "model": name,
        "texts": len(texts),
        "cpu": {"seconds": round(cpu_s, 3), "texts_per_s": round(len(texts) / cpu_s, 1)},
    }
    out["cpu"]["unit_norm"] = bool(np.allclose(np.linalg.norm(v_cpu, axis=1), 1.0, atol=1e-4))
    if not cuda:
        return {**out, "status": "skipped", "reason": why}
    v_gpu, gpu_s, _ = _encode("cuda", texts)
    cos = np.sum(v_cpu * v_gpu, axis=1) / (
        np.linalg.norm(v_cpu, axis=1) * np.linalg.norm(v_gpu, axis=1)
    )
    worst = float(1.0 - cos.min())
    out["cuda"] = {"seconds": round(gpu_s, 3), "texts_per_s": round(len(texts) / gpu_s, 1)}
    out["agreement"] = {"max_1_minus_cosine": float(f"{worst:.3g}"), "tolerance": EMBED_COSINE}
    out["speedup"] = _ratio(cpu_s, gpu_s)
    return {**out, "status": "ok" if worst <= EMBED_COSINE else "mismatch"}


# --- faiss ------------------------------------------------------------------------------------
def _clustered(n: int, dim: int, seed: int, centers: int = 1024, spread: float = 0.6) -> np.ndarray:
    """Unit vectors around `centers` random directions (neighbours exist, as in real
    embeddings; uniform random vectors have none and defeat every ANN index)."""
    rng = np.random.default_rng(seed)
    c = np.random.default_rng(1).standard_normal((centers, dim), dtype=np.float32)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for i in range(0, n, step):
        m = min(step, n - i)
        x = c[rng.integers(0, centers, m)]
        x += (spread / np.sqrt(dim)) * rng.standard_normal((m, dim), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[i : i + m] = x
    return out


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    k = exact.shape[1]
    return float(np.mean([len(set(f) & set(e)) / k for f, e in zip(found, exact, strict=True)]))


def _search_timings(
    search: Callable[[np.ndarray], np.ndarray], q: np.ndarray, single: int
) -> tuple[np.ndarray, dict[str, Any]]:
    search(q[:1])  # warm up
    found, batch_s = _timed(lambda: search(q))
    lat = []
    for i in range(min(single, len(q))):
        one = q[i : i + 1]
        t0 = time.perf_counter()
        search(one)
        lat.append(time.perf_counter() - t0)
    ms = sorted(t * 1000 for t in lat)
    return found, {
        "batch_queries": len(q),
        "batch_ms": round(batch_s * 1000, 3),
        "batch_qps": round(len(q) / batch_s, 1) if batch_s > 0 else None,
        "single_median_ms": round(float(np.median(ms)), 3),
        "single_p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 3),
    }


def part_faiss(s: Sizes, *, cpu_reference: bool) -> dict[str, Any]:
    from tradingstack.rag import index as fx

    gpu, why = _faiss_gpu()
    if not gpu and not cpu_reference:
        raise Skip(why)
    k = 10
    x, gen_s = _timed(lambda: _clustered(s.faiss_vectors, s.faiss_dim, seed=2))
    q = _clustered(s.faiss_queries, s.faiss_dim, seed=3)
    ids = np.arange(len(x), dtype=np.int64)
    flat, flat_build_s = _timed(lambda: fx.build_flat_with(x, ids))
    exact_found, cpu_flat = _search_timings(lambda v: flat.search(v, k)[1], q, s.faiss_single)
    ivf, ivf_build_s = _timed(
        lambda: fx.build_ann("ivf", x, ids, gpu=gpu)  # k-means on the GPU when there is one
    )
    params = fx.search_params(ivf, k=k, nprobe=s.faiss_nprobe, ef_search=k, ids=None)
    ivf_found, cpu_ivf = _search_timings(
        lambda v: ivf.search(v, k, params=params)[1], q, s.faiss_single
    )
    cpu_ivf["recall_at_10"] = round(_recall(ivf_found, exact_found), 4)
    out: dict[str, Any] = {
        "vectors": len(x),
        "dimension": s.faiss_dim,
        "data": "clustered unit vectors (1024 centres), queries from the same distribution",
        "k": k,
        "nprobe": s.faiss_nprobe,
        "nlist": int(ivf.nlist),
        "faiss_build": fx.faiss_build(),
        "faiss_threads": int(fx.faiss.omp_get_max_threads()),
        "generate_s": round(gen_s, 2),
        "cpu": {
            "flat": {"build_s": round(flat_build_s, 2), **cpu_flat},
            "ivf": {"build_s": round(ivf_build_s, 2), "kmeans_on_gpu": gpu, **cpu_ivf},
        },
    }
    if not gpu:
        return {**out, "status": "skipped", "reason": why}
    flat_gpu, copy_flat_s = _timed(lambda: fx.to_gpu(flat, nprobe=s.faiss_nprobe))
    found, gpu_flat = _search_timings(lambda v: flat_gpu.search(v, k)[1], q, s.faiss_single)
    gpu_flat["recall_at_10"] = round(_recall(found, exact_found), 4)
    ivf_gpu, copy_ivf_s = _timed(lambda: fx.to_gpu(ivf, nprobe=s.faiss_nprobe))
    found, gpu_ivf = _search_timings(lambda v: ivf_gpu.search(v, k)[1], q, s.faiss_single)
    gpu_ivf["recall_at_10"] = round(_recall(found, exact_found), 4)
    out["gpu"] = {
        "gpus": fx.gpu_count(),
        "flat": {"copy_s": round(copy_flat_s, 2), **gpu_flat},
        "ivf": {"copy_s": round(copy_ivf_s, 2), **gpu_ivf},
    }
    out["flat_batch_speedup"] = _ratio(cpu_flat["batch_ms"], gpu_flat["batch_ms"])
    out["ivf_batch_speedup"] = _ratio(cpu_ivf["batch_ms"], gpu_ivf["batch_ms"])
    ok = gpu_flat["recall_at_10"] >= FLAT_RECALL_MIN
    ok = ok and gpu_ivf["recall_at_10"] >= cpu_ivf["recall_at_10"] - IVF_RECALL_DELTA
    return {**out, "status": "ok" if ok else "mismatch"}


# --- the rag store ----------------------------------------------------------------------------
def _store_search(
    directory: Path, vecs: np.ndarray, queries: np.ndarray, *, gpu: bool, s: Sizes
) -> tuple[list[list[int]], dict[str, Any]]:
    from tradingstack.rag.chunking import content_hash
    from tradingstack.rag.store import Filters, NewDocument, RagStore

    store = RagStore(directory, gpu=gpu, ann_threshold=s.store_ann_threshold, ivf_nprobe=16)
    store.open()
    try:
        docs = [
            NewDocument(f"d{i}", content_hash(f"d{i}"), None, None, None, {}, [(0, f"d{i}")])
            for i in range(len(vecs))
        ]
        _, add_s = _timed(lambda: store.add(docs, vecs, "gpu-check"))
        store.search(queries[0], 10, Filters())  # warm up (the GPU copy is made here)
        t0 = time.perf_counter()
        hits = [[cid for cid, _ in store.search(v, 10, Filters())[0]] for v in queries]
        search_s = time.perf_counter() - t0
        stats = store.stats()
    finally:
        store.close()
    info = {k: stats.get(k) for k in ("index", "vectors", "device", "gpu_error")}
    info.update(add_s=round(add_s, 2), query_ms=round(1000 * search_s / len(queries), 3))
    return hits, info


def part_rag_store(s: Sizes, *, cpu_reference: bool) -> dict[str, Any]:
    gpu, why = _faiss_gpu()
    if not gpu and not cpu_reference:
        raise Skip(why)
    vecs = _clustered(s.store_docs, 384, seed=4)
    queries = _clustered(50, 384, seed=5)
    exact = np.argsort(-(queries @ vecs.T), axis=1)[:, :10] + 1  # chunk ids start at 1
    with tempfile.TemporaryDirectory(prefix="gpu-check-rag-") as tmp:
        cpu_hits, cpu = _store_search(Path(tmp, "cpu"), vecs, queries, gpu=False, s=s)
        cpu["recall_at_10"] = round(_recall(np.array(cpu_hits), exact), 4)
        out: dict[str, Any] = {"documents": len(vecs), "cpu": cpu}
        if not gpu:
            return {**out, "status": "skipped", "reason": why}
        gpu_hits, on_gpu = _store_search(Path(tmp, "gpu"), vecs, queries, gpu=True, s=s)
    on_gpu["recall_at_10"] = round(_recall(np.array(gpu_hits), exact), 4)
    out["gpu"] = on_gpu
    ok = on_gpu["device"] == "gpu" and not on_gpu["gpu_error"]
    ok = ok and on_gpu["recall_at_10"] >= cpu["recall_at_10"] - IVF_RECALL_DELTA
    return {**out, "status": "ok" if ok else "mismatch"}


# --- system metrics (NVML) --------------------------------------------------------------------
def part_system_metrics(s: Sizes, *, cpu_reference: bool) -> dict[str, Any]:
    from fastapi.testclient import TestClient
    from tradingstack.rag.app import create_app
    from tradingstack.rag.settings import RagSettings

    with (
        tempfile.TemporaryDirectory(prefix="gpu-check-sys-") as tmp,
        TestClient(create_app(RagSettings(dir=Path(tmp)))) as client,
    ):
        r = client.get("/api/v1/system/metrics")
        r.raise_for_status()
        gpu = r.json()["gpu"]
        health = client.get("/health").json()
    rag = {k: health["details"].get(k) for k in ("device", "faiss_gpus", "faiss_build")}
    out: dict[str, Any] = {"gpu": gpu, "rag_health": rag}
    if not gpu["available"]:
        return {**out, "status": "skipped", "reason": f"the service reports: {gpu['error']}"}
    dev = gpu["devices"][0]
    checks = {
        "source_nvml": gpu["source"] == "nvml",
        "name": bool(dev["name"]),
        "memory_total": bool(dev["memory_total_bytes"]),
        "memory_used": dev["memory_used_bytes"] is not None,
        "temperature": dev["temperature_celsius"] is not None,
    }
    cuda, _ = _cuda()
    if cuda:
        import torch

        checks["name_matches_torch"] = torch.cuda.get_device_name(0) in dev["name"] or (
            dev["name"] in torch.cuda.get_device_name(0)
        )
    out["checks"] = checks
    return {**out, "status": "ok" if all(checks.values()) else "mismatch"}


PARTS: dict[str, Callable[..., dict[str, Any]]] = {
    "nhits": part_nhits,
    "tcn": part_tcn,
    "embedder": part_embedder,
    "faiss": part_faiss,
    "rag_store": part_rag_store,
    "system_metrics": part_system_metrics,
}


def environment() -> dict[str, Any]:
    import torch
    from tradingstack.rag import index as fx

    env: dict[str, Any] = {
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
        "faiss_build": fx.faiss_build(),
        "faiss_gpus": fx.gpu_count(),
    }
    if torch.cuda.is_available():
        env["cuda_device"] = torch.cuda.get_device_name(0)
        env["cuda_capability"] = ".".join(map(str, torch.cuda.get_device_capability(0)))
    return env


def run(
    sizes: Sizes, *, cpu_reference: bool = False, only: list[str] | None = None
) -> dict[str, Any]:
    started = time.perf_counter()
    parts: dict[str, Any] = {}
    for name, fn in PARTS.items():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        try:
            parts[name] = fn(sizes, cpu_reference=cpu_reference)
        except Skip as exc:
            parts[name] = {"status": "skipped", "reason": str(exc)}
        except Exception as exc:
            tb = traceback.format_exc().strip().splitlines()
            parts[name] = {
                "status": "failed",
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": tb[-12:],
            }
        parts[name]["seconds"] = round(time.perf_counter() - t0, 2)
        status = parts[name]["status"]
        note = parts[name].get("reason") or parts[name].get("error") or ""
        print(f"gpu_check: {name}: {status} {note}".rstrip(), flush=True)
    summary: dict[str, list[str]] = {"ok": [], "mismatch": [], "skipped": [], "failed": []}
    for name, part in parts.items():
        summary[part["status"]].append(name)
    return {
        "environment": environment(),
        "sizes": dataclasses.asdict(sizes),
        "cpu_reference": cpu_reference,
        "parts": parts,
        "summary": summary,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.gpu_check", description=__doc__.split("\n")[0]
    )
    p.add_argument("--tiny", action="store_true", help="seconds-sized inputs (tests, smoke runs)")
    p.add_argument(
        "--cpu-reference", action="store_true", help="run the CPU half of parts that need a GPU"
    )
    p.add_argument("--only", nargs="*", choices=list(PARTS), help="run these parts only")
    p.add_argument("--threads", type=int, default=0, help="torch and faiss CPU threads (0: all)")
    p.add_argument("--out", type=Path, help="write the JSON here instead of bench/results/")
    args = p.parse_args([] if argv is None else argv)
    if args.threads:
        import torch
        from tradingstack.rag import index as fx

        torch.set_num_threads(args.threads)
        fx.faiss.omp_set_num_threads(args.threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    result = run(TINY if args.tiny else FULL, cpu_reference=args.cpu_reference, only=args.only)
    if args.out:
        body = {"benchmark": "gpu_check", "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({**body, "machine": machine(), **result}, indent=2) + "\n")
        path = args.out
    else:
        cuda = result["environment"]["cuda_available"]
        name = ("gpu-tiny" if args.tiny else "gpu") if cuda else "gpu-cpu-only"
        path = write_result(name, {"benchmark_script": "gpu_check", **result})
    print(f"gpu_check: {json.dumps(result['summary'])} -> {path}", flush=True)
    return 1 if result["summary"]["failed"] or result["summary"]["mismatch"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
