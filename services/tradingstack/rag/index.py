"""FAISS indexes with cosine similarity (unit vectors, inner product).

Exact (`IndexFlatIP` under an `IndexIDMap2`) by default; past a size threshold IVF
(`IndexIVFFlat`, inner product) or HNSW (`IndexHNSWFlat`, inner product). The GPU build of
faiss (the `gpu` dependency group: faiss-gpu instead of faiss-cpu) serves unfiltered searches
of flat and IVF indexes, and trains IVF's k-means, when it sees a GPU; the index on disk is
always a CPU index, and everything else runs on the CPU.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np

faiss: Any = _faiss  # the SWIG module: typed loosely
log = logging.getLogger("tradingstack.rag")

# The wheels that install the `faiss` module: more than one is a broken mix (one's files over
# the other's; removing either deletes files the other needs).
FAISS_WHEELS = ("faiss-cpu", "faiss-gpu", "faiss-gpu-cu12", "faiss-gpu-cu11")


def gpu_count() -> int:
    """GPUs this faiss can use: 0 with faiss-cpu, and with faiss-gpu on a machine without a
    GPU or a driver."""
    get = getattr(faiss, "get_num_gpus", None)
    if get is None:
        return 0
    try:
        return max(0, int(get()))
    except Exception as exc:  # a CUDA runtime that cannot initialise
        log.warning("rag: faiss cannot count GPUs (%s): searching on the CPU", exc)
        return 0


def faiss_build() -> str:
    """The installed faiss wheel(s), e.g. "faiss-cpu" or "faiss-gpu"."""
    found = []
    for dist in FAISS_WHEELS:
        try:
            found.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found) or "unknown"


def to_gpu(index: Any, *, nprobe: int) -> Any:
    """A copy of a flat or IVF CPU index on every GPU faiss sees (IVF probing `nprobe` lists)."""
    gpu_index = faiss.index_cpu_to_all_gpus(index)
    if kind_of(index) == "ivf":
        faiss.GpuParameterSpace().set_index_parameter(gpu_index, "nprobe", nprobe)
    return gpu_index


def kind_of(index: Any) -> str:
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index
    if isinstance(inner, faiss.IndexHNSW):
        return "hnsw"
    if isinstance(inner, faiss.IndexIVF) or isinstance(index, faiss.IndexIVF):
        return "ivf"
    return "flat"


def build_flat(dim: int) -> Any:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def ivf_nlist(n: int) -> int:
    return int(min(65536, max(16, 4 * math.isqrt(max(n, 1)))))


def build_ann(
    kind: str,
    vectors: np.ndarray,
    ids: np.ndarray,
    *,
    hnsw_m: int = 32,
    ef_construction: int = 80,
    train_max: int = 200_000,
    seed: int = 1,
    gpu: bool = False,
) -> Any:
    """An IVF or HNSW index over unit `vectors` with ids `ids` (int64). With `gpu`, IVF's
    k-means assigns points on the GPUs (minutes on a CPU at a million vectors); the index
    itself is a CPU index either way."""
    n, dim = vectors.shape
    if kind == "hnsw":
        inner = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = ef_construction
        index = faiss.IndexIDMap2(inner)
        index.add_with_ids(vectors, ids)
        return index
    nlist = ivf_nlist(n)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    if n > train_max:
        rng = np.random.default_rng(seed)
        sample = vectors[rng.choice(n, train_max, replace=False)]
    else:
        sample = vectors
    assign = None
    if gpu:
        try:
            assign = faiss.index_cpu_to_all_gpus(faiss.IndexFlatIP(dim))
            index.clustering_index = assign
        except Exception as exc:
            log.warning("rag: k-means on the GPU failed (%s): training on the CPU", exc)
    index.train(np.ascontiguousarray(sample))
    if assign is not None:
        index.clustering_index = None  # the GPU index is needed for training only
    index.own_fields = True
    index.add_with_ids(vectors, ids)
    quantizer.this.disown()  # the index owns the quantizer now
    return index


def build_flat_with(vectors: np.ndarray, ids: np.ndarray) -> Any:
    index = build_flat(vectors.shape[1])
    if len(ids):
        index.add_with_ids(vectors, ids)
    return index


def search_params(
    index: Any, *, k: int, nprobe: int, ef_search: int, ids: np.ndarray | None
) -> Any:
    sel = faiss.IDSelectorBatch(ids) if ids is not None else None
    kind = kind_of(index)
    if kind == "ivf":
        return (
            faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
            if sel
            else faiss.SearchParametersIVF(nprobe=nprobe)
        )
    if kind == "hnsw":
        p = faiss.SearchParametersHNSW(efSearch=max(ef_search, k))
        if sel is not None:
            p.sel = sel
        return p
    return faiss.SearchParameters(sel=sel) if sel is not None else None


def write_atomic(index: Any, path: Path) -> None:
    """faiss.write_index to a temporary file in the same directory, fsync, then os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        faiss.write_index(index, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
