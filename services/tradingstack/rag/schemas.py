"""Requests and responses of the RAG service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

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


class QueryFilters(BaseModel):
    symbol: list[Symbol] | None = Field(default=None, description="one symbol or a list")
    source: list[str] | None = Field(default=None, description="one source or a list")
    time_from: Instant | None = None
    time_to: Instant | None = None
    document_id: list[str] | None = None

    _lists = field_validator("symbol", "source", "document_id", mode="before")(_as_list)

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
    gpu: bool
