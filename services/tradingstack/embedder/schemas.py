"""Requests and responses of the embedder service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from tradingstack.core.schemas import Symbol
from tradingstack.core.timeframes import Timeframe


class TextEmbedRequest(BaseModel):
    texts: list[str] = Field(min_length=1, description="texts to embed (non-empty each)")
    normalize: bool = Field(default=True, description="unit-length vectors (cosine = dot)")
    encoding: Literal["float", "base64"] = Field(
        default="float",
        description="float: `embeddings` as JSON numbers; base64: `embeddings_base64`, the "
        "len(texts) x dimension matrix as little-endian float32, row by row (exact, ~4x "
        "smaller, and no float parsing: np.frombuffer(b64decode(s), '<f4'))",
    )


class TextEmbedResponse(BaseModel):
    model: str
    dimension: int
    device: str
    normalized: bool
    cached: int = Field(description="how many vectors came from the LRU cache")
    encoding: Literal["float", "base64"] = "float"
    embeddings: list[list[float]] = Field(
        default_factory=list, description="the vectors (empty with encoding=base64)"
    )
    embeddings_base64: str | None = Field(
        default=None, description="with encoding=base64: the vectors, float32 little-endian"
    )

    @model_validator(mode="after")
    def _vectors_in_their_encoding(self) -> TextEmbedResponse:
        # a request embeds at least one text: an answer without its vectors (a renamed field
        # read as the empty default) is a broken contract, not zero vectors
        if self.encoding == "float" and not self.embeddings:
            raise ValueError("embeddings: the vectors are required with encoding=float")
        if self.encoding == "base64" and not self.embeddings_base64:
            raise ValueError("embeddings_base64: the vectors are required with encoding=base64")
        return self


class SentimentRequest(BaseModel):
    texts: list[str] = Field(min_length=1)


class SentimentItem(BaseModel):
    text: str
    label: str = Field(description="positive, negative or neutral")
    score: float = Field(description="-1 (negative) .. +1 (positive)")
    details: dict[str, Any] = Field(default_factory=dict)


class SentimentResponse(BaseModel):
    method: str = Field(description="finbert or loughran-mcdonald: the method that answered")
    model: str
    items: list[SentimentItem]


class BarIn(BaseModel):
    open: float = Field(gt=0)
    high: float = Field(gt=0)
    low: float = Field(gt=0)
    close: float = Field(gt=0)
    volume: float = Field(default=0.0, ge=0)
    time: datetime | None = None


class TimeseriesEmbedRequest(BaseModel):
    """Either `windows` (bars given inline) or `symbol` + `timeframe` (+ `end`): the last
    `window` bars up to `end` fetched from the data service."""

    windows: list[list[BarIn]] | None = Field(default=None, min_length=1, max_length=256)
    symbol: Symbol | None = None
    timeframe: Timeframe = Timeframe.H1
    window: int = Field(default=64, ge=17)
    end: datetime | None = None

    @model_validator(mode="after")
    def _one_source(self) -> TimeseriesEmbedRequest:
        if (self.windows is None) == (self.symbol is None):
            raise ValueError(
                "give either `windows` (inline bars) or `symbol` (+ timeframe), not both"
            )
        return self


class WindowInfo(BaseModel):
    start: datetime | None = None
    end: datetime | None = None
    bars: int


class TimeseriesEmbedResponse(BaseModel):
    method: str
    dimension: int
    windows: list[WindowInfo]
    embeddings: list[list[float]]


class SimilarRequest(BaseModel):
    symbol: Symbol
    timeframe: Timeframe = Timeframe.H1
    window: int = Field(default=64, ge=17)
    k: int = Field(default=5, ge=1, le=100)
    end: datetime | None = Field(
        default=None, description="the query window ends here; default latest"
    )
    history: int = Field(default=2000, ge=32, description="bars of history searched")
    stride: int = Field(default=1, ge=1)


class SimilarMatch(BaseModel):
    start: datetime
    end: datetime
    similarity: float
    return_pct: float = Field(description="the matched window's own close-to-close return, percent")
    next_return_pct: float | None = Field(
        default=None, description="close-to-close return over the `window` bars after the match"
    )


class SimilarResponse(BaseModel):
    symbol: str
    timeframe: Timeframe
    method: str
    query: WindowInfo
    searched: int
    matches: list[SimilarMatch]


class ModelInfo(BaseModel):
    kind: str
    name: str
    dimension: int | None
    device: str
    method: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class ModelsResponse(BaseModel):
    models: list[ModelInfo]
