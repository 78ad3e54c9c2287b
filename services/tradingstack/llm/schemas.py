"""Requests and responses of the LLM service, and the schema the model must answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradingstack.core.jobs import Job
from tradingstack.core.schemas import ModelQuality, Symbol
from tradingstack.core.timeframes import Timeframe

INPUTS = ("bars", "indicators", "forecast", "patterns", "regime", "score", "rag")


class ModelAnalysis(BaseModel):
    """The call and its levels (computed by the rule in `tradingstack.llm.decision`), and the
    rationale (the model's, checked against the evidence, or built from the evidence)."""

    direction: Literal["long", "short", "neutral"]
    confidence: float = Field(ge=0, le=1)
    entry: float | None = Field(description="entry price; null when neutral")
    stop_loss: float | None = Field(description="stop-loss price; null when neutral")
    take_profits: list[float] = Field(max_length=3, description="1-3 targets; empty when neutral")
    risk_reward: float | None = Field(description="|first target - entry| / |entry - stop|")
    rationale: str = Field(min_length=10, max_length=4000)

    @model_validator(mode="after")
    def _levels(self) -> ModelAnalysis:
        if self.direction == "neutral":
            return self
        if self.entry is None or self.stop_loss is None or not self.take_profits:
            raise ValueError(f"a {self.direction} call needs entry, stop_loss and take_profits")
        if min(self.entry, self.stop_loss, *self.take_profits) <= 0:
            raise ValueError("prices must be positive")
        if self.direction == "long":
            if not self.stop_loss < self.entry:
                raise ValueError("long: stop_loss must be below entry")
            if not all(tp > self.entry for tp in self.take_profits):
                raise ValueError("long: every take_profit must be above entry")
        else:
            if not self.stop_loss > self.entry:
                raise ValueError("short: stop_loss must be above entry")
            if not all(tp < self.entry for tp in self.take_profits):
                raise ValueError("short: every take_profit must be below entry")
        return self


class AnalyzeRequest(BaseModel):
    # the example is a symbol the stack has: the docs' "Try it out" and the fuzzer's
    # examples phase then run a real analysis (random symbols only reach the 404)
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"symbol": "BTCUSD", "timeframe": "H1"}]}
    )

    symbol: Symbol
    timeframe: Timeframe = Timeframe.H1
    include_prompt: bool = Field(default=False, description="return the prompt the model saw")


class InputStatus(BaseModel):
    ok: bool
    seconds: float
    error: str | None = None
    state: Literal["ok", "missing", "preparing"] = Field(
        default="ok",
        description="ok: gathered; missing: could not be gathered (nothing is guessed); "
        "preparing: its model is being trained (`job`), counted for nothing",
    )
    cached: bool = Field(default=False, description="kept from an earlier analysis of the same bar")
    job: Job | None = Field(default=None, description="the job preparing its model")


class SignalOut(BaseModel):
    """One input's signal and what it is worth (`tradingstack.llm.decision`)."""

    input: Literal["forecast", "patterns", "regime", "score"]
    vote: Literal["long", "short", "none"]
    strength: float = Field(ge=0, le=1)
    has_edge: bool = Field(description="its producer measured an edge on held-out data")
    counted: bool = Field(description="it took part in the call (only inputs with an edge do)")
    contribution: float = Field(description="vote x strength when counted, else 0")
    reading: str = Field(description="what it says, with its numbers")
    quality: list[ModelQuality] = Field(
        description="its measured quality (score: the long and the short model); empty: none "
        "measured, which counts as no edge"
    )


class Analysis(ModelAnalysis):
    """The answer of POST /analyze. The direction, confidence and levels come from the inputs
    by a documented rule; the model writes only the rationale and cannot change them."""

    rule: str = Field(description="the rule that made the call, in words")
    decision_reason: str = Field(description="why this call, in words")
    net: float = Field(description="the rule's net signal, -1 (short) to 1 (long)")
    signals: list[SignalOut]
    levels_basis: list[str] = Field(description="how each level was computed")
    rationale_source: Literal["model", "evidence"] = Field(
        description="model: the model's text passed the evidence check; evidence: built from "
        "the evidence (the model's was rejected, or it did not answer)"
    )
    rationale_rejected: list[str] = Field(
        description="why the model's rationales were rejected, per attempt"
    )
    rationale_note: str | None = Field(description="for people: where the rationale came from")
    symbol: str
    timeframe: Timeframe
    last_close: float
    inputs_used: list[str] = Field(description="inputs gathered and given to the model")
    inputs_missing: list[str] = Field(description="inputs that could not be gathered (no guess)")
    inputs_preparing: list[str] = Field(
        default_factory=list,
        description="inputs whose models are being trained (see `inputs[name].job`); counted "
        "for nothing, asked again next time",
    )
    inputs: dict[str, InputStatus]
    backend: str
    model: str
    attempts: int = Field(description="rationales asked of the model")
    gather_seconds: float
    generation_seconds: float
    prompt: str | None = None


class AnalyzeEvent(BaseModel):
    """One line of `POST /analyze/stream` (NDJSON): the analysis's stages as they happen."""

    event: Literal["input", "decision", "rationale", "done", "error"] = Field(
        description="input: an input arrived (or failed, or is being prepared); decision: the "
        "rule's call; rationale: the model started writing; done: the whole `analysis`; "
        "error: the analysis failed (`status`, `detail`)"
    )
    elapsed: float = Field(description="seconds since the request arrived")
    input: str | None = None
    status: InputStatus | None = Field(default=None, description="event input: how it went")
    direction: Literal["long", "short", "neutral"] | None = None
    confidence: float | None = None
    analysis: Analysis | None = Field(default=None, description="event done: the answer")
    problem_status: int | None = Field(default=None, description="event error: HTTP status")
    detail: str | None = Field(default=None, description="event error: why")


class ChatRequest(BaseModel):
    message: str = Field(min_length=1)
    session_id: str | None = Field(
        default=None, description="continue a session; omit to start one"
    )
    system: str | None = Field(
        default=None, max_length=4000, description="system prompt (new sessions)"
    )
    stream: bool = Field(default=False, description="answer as server-sent events")
    rag: bool = Field(default=False, description="add the knowledge base's context to the message")
    symbol: Symbol | None = Field(default=None, description="filter the RAG context")


class ChatSource(BaseModel):
    """A knowledge-base document that grounded a chat answer (rag=true)."""

    document_id: str
    chunk: int
    score: float = Field(description="cosine similarity to the message")
    source: str | None
    symbol: str | None
    time: datetime | None
    title: str | None = Field(description="the document's metadata title, when it has one")


class ChatResponse(BaseModel):
    session_id: str
    reply: str
    messages: int
    context_used: list[str] = Field(default_factory=list)
    sources: list[ChatSource] = Field(
        default_factory=list, description="the knowledge documents given to the model"
    )
    finish_reason: Literal["stop", "length", "repetition"] = Field(
        description="stop: the model ended; length: cut at the token cap; repetition: stopped "
        "when it began to repeat itself"
    )
    truncated: bool = Field(description="the reply was cut at the token cap")
    notice: str | None = Field(description="for people: how the answer ended, when not by itself")


class SessionInfo(BaseModel):
    session_id: str
    messages: int
    created_at: float
    last_used_at: float
    expires_in_seconds: float


class SessionDetail(SessionInfo):
    history: list[dict[str, str]]


class SessionList(BaseModel):
    sessions: list[SessionInfo]
    max_sessions: int
    ttl_seconds: float


class ModelInfo(BaseModel):
    """The backend and model answering (`GET /api/v1/model`)."""

    backend: Literal["llama-server", "llamacpp", "ollama"]
    model: str = Field(description="the GGUF file (llama.cpp) or the Ollama model name")
    status: Literal["healthy", "degraded", "unhealthy"]
    details: dict[str, Any] = Field(description="what the backend reports (an error, its URL)")
    max_tokens: int
    n_ctx: int | None = Field(description="the context window (llama.cpp; null for ollama)")
