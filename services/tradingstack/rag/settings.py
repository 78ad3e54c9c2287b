"""Settings of the RAG service (`TS_RAG_...`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradingstack.core.catalog import get as get_workload


def _default_url(name: str) -> str:
    return f"http://127.0.0.1:{get_workload(name).port}"


class RagSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TS_RAG_", extra="ignore")

    dir: Path = Field(
        default=Path(".state/rag"),
        description="the FAISS index and the document store (the faiss volume in a cluster)",
    )
    embedder_url: str = Field(
        default_factory=lambda: _default_url("embedder"),
        validation_alias=AliasChoices("TS_EMBEDDER_URL", "embedder_url"),
        description="base URL of the embedder service (TS_EMBEDDER_URL)",
    )
    embedder_timeout_seconds: float = Field(default=60.0, gt=0)
    embed_batch: int = Field(default=64, ge=1, le=256, description="texts per embedder call")
    chunk_size: int = Field(default=800, ge=50, description="characters per chunk")
    chunk_overlap: int = Field(default=120, ge=0, description="characters shared by neighbours")
    ann_threshold: int = Field(
        default=50_000, ge=1, description="past this many vectors, switch from exact to ANN"
    )
    ann_kind: Literal["ivf", "hnsw"] = "ivf"
    hnsw_m: int = Field(default=32, ge=4)
    hnsw_ef_search: int = Field(default=128, ge=8)
    hnsw_ef_construction: int = Field(default=80, ge=8)
    ivf_nprobe: int = Field(default=32, ge=1)
    exact_filter_limit: int = Field(
        default=200_000,
        ge=1,
        description="filtered queries whose matching chunks are at most this many are answered "
        "exactly over just those chunks",
    )
    search_threads: int = Field(
        default=1,
        ge=0,
        description="OpenMP threads for one query (0: faiss's default). A single query gains "
        "nothing from faiss's per-query parallelism, and idle threads at barriers cost a lot "
        "on busy CPUs",
    )
    max_k: int = Field(default=100, ge=1)
    max_document_chars: int = Field(default=2_000_000, ge=100)
    max_batch: int = Field(default=256, ge=1)
    gpu: bool = Field(default=True, description="use faiss-gpu when it is installed and sees a GPU")
