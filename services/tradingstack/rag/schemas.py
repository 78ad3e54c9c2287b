"""Requests and responses of the RAG service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradingstack.core.schemas import Instant, Symbol


def _as_list(v: Any) -> Any:
    if isinstance(v, str):
        return [v]
    return v


class DocumentIn(BaseModel):
    text: str = Field(min_length=1, description="the document; chunked with overlap")
    symbol: Symbol | None = None
    source: str | None = Field(default=None, max_length=200, description="e.g. news, filing, note")
    time: Instant | None = Field(default=None, description="when the document was published")
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is blank; give the document's content")
        return v


class DocumentBatch(BaseModel):
    documents: list[DocumentIn] = Field(min_length=1)


class DocumentOut(BaseModel):
    id: str
    duplicate: bool = Field(description="the same content (hash) was stored already: its id")
    chunks: int


class BatchOut(BaseModel):
    results: list[DocumentOut]
    added: int
    duplicates: int


class Document(BaseModel):
    id: str
    content_hash: str
    symbol: str | None
    source: str | None
    time: datetime | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    chunks: int
    chars: int
    text: str | None = None


class DocumentList(BaseModel):
    items: list[Document]
    total: int
    limit: int
    offset: int


MetaValue = str | int | float | bool | None
FILTER_FIELDS = ("symbol", "source", "time_from", "time_to", "document_id", "metadata")
META_OPERATORS = ("$eq", "$in")


def meta_condition(key: str, value: Any) -> list[MetaValue]:
    """The values a metadata key may have to match: a value (equality), a list of values
    ("in"), or Chroma's `{"$eq": value}` / `{"$in": [values]}`."""
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in META_OPERATORS:
            raise ValueError(
                f"filter {key!r}: an object takes one operator, $eq or $in "
                f"(e.g. {{{key!r}: {{'$in': ['a', 'b']}}}}); got {sorted(value)}"
            )
        op, arg = next(iter(value.items()))
        if op == "$in" and not isinstance(arg, list):
            raise ValueError(f"filter {key!r}: $in takes a list of values")
        value = arg if op == "$in" else [arg]
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ValueError(f"filter {key!r}: the list of values is empty; give at least one")
    for v in values:
        if v is not None and not isinstance(v, str | int | float | bool):
            raise ValueError(
                f"filter {key!r}: values are strings, numbers, booleans or null, "
                f"not {type(v).__name__}"
            )
    return values


class QueryFilters(BaseModel):
    """What a hit must match. Beside the named filters, any other key is a metadata key (as
    in Chroma, Qdrant or LangChain): `{"sector": "tech"}` is equality, `{"sector": ["tech",
    "energy"]}` or `{"sector": {"$in": [...]}}` is "in"; a metadata value that is a list
    matches when one of its items does. `symbol` and `source` match the document's field or
    the same key of its metadata. A metadata key no stored document has is a 422."""

    # unknown keys are moved into `metadata` before validation, so nothing extra is left
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"additionalProperties": {"description": "a metadata key"}},
    )

    symbol: list[Symbol] | None = Field(default=None, description="one symbol or a list")
    source: list[str] | None = Field(default=None, description="one source or a list")
    time_from: Instant | None = None
    time_to: Instant | None = None
    document_id: list[str] | None = None
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="metadata key -> value, list of values, or {'$eq': v} / {'$in': [...]}; "
        "the same as giving the keys next to the named filters",
    )

    _lists = field_validator("symbol", "source", "document_id", mode="before")(_as_list)

    @model_validator(mode="before")
    @classmethod
    def _metadata_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        extra = {k: v for k, v in data.items() if k not in FILTER_FIELDS}
        if not extra:
            return data
        given = data.get("metadata") or {}
        if not isinstance(given, dict):
            return data  # the field's own validation says what is wrong
        twice = sorted(set(extra) & set(given))
        if twice:
            raise ValueError(f"metadata key {twice[0]!r} given twice (beside and in metadata)")
        known = {k: v for k, v in data.items() if k in FILTER_FIELDS}
        return {**known, "metadata": {**given, **extra}}

    @field_validator("metadata")
    @classmethod
    def _conditions(cls, v: dict[str, Any]) -> dict[str, Any]:
        return {key: meta_condition(key, value) for key, value in v.items()}

    @model_validator(mode="after")
    def _range(self) -> QueryFilters:
        if self.time_from and self.time_to and self.time_from > self.time_to:
            raise ValueError("time_from is after time_to; swap them")
        return self


class QueryRequest(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    k: int = Field(default=5, ge=1)
    filters: QueryFilters = Field(default_factory=QueryFilters)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is blank; give a question or keywords")
        return v


class QueryHit(BaseModel):
    chunk_id: int
    document_id: str
    chunk: int
    score: float = Field(description="cosine similarity")
    text: str
    symbol: str | None
    source: str | None
    time: datetime | None
    metadata: dict[str, Any]


class QueryResponse(BaseModel):
    results: list[QueryHit]
    k: int
    matched: int = Field(description="chunks that pass the filters")
    index: str
    exact: bool
    model: str | None


class DeleteResult(BaseModel):
    deleted: int
    ids: list[str]


class IndexStats(BaseModel):
    documents: int
    chunks: int
    vectors: int
    index: str
    dimension: int | None
    model: str | None
    ann_threshold: int
    ann_kind: str
    gpu: bool = Field(description="unfiltered searches run on the GPU (same as device == 'gpu')")
    device: Literal["cpu", "gpu"] = Field(description="where the index is searched")
    faiss_gpus: int = Field(description="GPUs faiss sees (0 with faiss-cpu)")
    faiss_build: str = Field(
        description="the installed faiss wheel: faiss-cpu, faiss-gpu, or both (a broken mix)"
    )
    gpu_error: str | None = Field(
        default=None, description="why the index went back to the CPU, when a GPU failed"
    )
