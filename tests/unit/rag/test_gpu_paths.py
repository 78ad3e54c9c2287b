"""The rag service's GPU paths as far as a machine without a GPU can take them: the device is
chosen at run time, a GPU that fails sends the index back to the CPU (and /health says why),
and IVF's k-means can assign on another index (the GPU's) and still build a CPU index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tradingstack.rag import index as fx
from tradingstack.rag.chunking import content_hash
from tradingstack.rag.store import Filters, NewDocument, RagStore

DIM = 16


def _store(tmp_path: Path, n: int, **kw: Any) -> tuple[RagStore, np.ndarray]:
    store = RagStore(tmp_path / "rag", **kw)
    store.open()
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    docs = [
        NewDocument(f"doc {i}", content_hash(f"doc {i}"), None, None, None, {}, [(0, f"doc {i}")])
        for i in range(n)
    ]
    store.add(docs, vecs, "test-model")
    return store, vecs


def test_the_device_is_what_faiss_sees(tmp_path: Path) -> None:
    store, _ = _store(tmp_path, 5)
    stats = store.stats()
    assert stats["faiss_gpus"] == fx.gpu_count()
    assert stats["device"] == ("gpu" if fx.gpu_count() > 0 else "cpu")
    assert "gpu_error" not in stats
    off, _ = _store(tmp_path / "off", 5, gpu=False)
    assert off.stats()["device"] == "cpu"


def test_gpu_count_is_zero_when_cuda_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> int:
        raise RuntimeError("CUDA driver version is insufficient for CUDA runtime version")

    monkeypatch.setattr(fx.faiss, "get_num_gpus", broken, raising=False)
    assert fx.gpu_count() == 0


def test_a_failing_gpu_sends_the_search_back_to_the_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, vecs = _store(tmp_path, 50, gpu=False)
    expected, _ = store.search(vecs[7], 5, Filters())

    def no_memory(index: Any, *, nprobe: int) -> Any:
        raise MemoryError("cudaMalloc failed: out of memory")

    monkeypatch.setattr(fx, "to_gpu", no_memory)
    store.use_gpu = True  # as if faiss had seen a GPU at start
    hits, _ = store.search(vecs[7], 5, Filters())
    assert hits == expected and hits[0][0] == 8  # chunk ids start at 1
    stats = store.stats()
    assert stats["device"] == "cpu" and "out of memory" in stats["gpu_error"]


def test_ivf_kmeans_on_another_assignment_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """build_ann(gpu=True) hands k-means an assignment index (on a GPU box, a GPU flat index)
    and unsets it after training: here the "GPU" index is a CPU flat index, so the plumbing
    (the SWIG attribute) is checked and the result must equal the CPU build."""
    rng = np.random.default_rng(5)
    vecs = rng.standard_normal((3000, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(3000, dtype=np.int64)
    cpu = fx.build_ann("ivf", vecs, ids)
    made: list[Any] = []

    def to_all_gpus(index: Any) -> Any:
        made.append(index)
        return index

    monkeypatch.setattr(fx.faiss, "index_cpu_to_all_gpus", to_all_gpus, raising=False)
    assigned = fx.build_ann("ivf", vecs, ids, gpu=True)
    # k-means used it (it holds the centroids at the end), and the index no longer refers to it
    assert len(made) == 1 and made[0].ntotal == assigned.nlist
    assert assigned.clustering_index is None
    assert fx.kind_of(assigned) == "ivf" and assigned.ntotal == 3000
    q = vecs[:20]
    for index in (cpu, assigned):
        index.nprobe = 8
    assert np.array_equal(cpu.search(q, 5)[1], assigned.search(q, 5)[1])


def test_one_faiss_wheel_is_installed() -> None:
    build = fx.faiss_build()
    assert build.startswith(("faiss-cpu ", "faiss-gpu")) and "," not in build
