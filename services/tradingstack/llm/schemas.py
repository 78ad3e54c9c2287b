"""Requests and responses of the LLM service, and the schema the model must answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from tradingstack.core.schemas import Symbol
from tradingstack.core.timeframes import Timeframe

INPUTS = ("bars", "indicators", "forecast", "patterns", "regime", "score", "rag")


class ModelAnalysis(BaseModel):
    """What the model must produce (its JSON schema constrains generation)."""

    direction: Literal["long", "short", "neutral"]
    confidence: float = Field(ge=0, le=1)
    entry: float | None = Field(description="entry price; null when neutral")
    stop_loss: float | None = Field(description="stop-loss price; null when neutral")
    take_profits: list[float] = Field(max_length=3, description="1-3 targets; empty when neutral")
    risk_reward: float | None = Field(description="|first target - entry| / |entry - stop|")
    rationale: str = Field(min_length=10, max_length=1500)

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


def generation_schema(levels: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A plain JSON schema (no $defs, no validators) for the grammar / Ollama's `format`.

    With `levels` (candidate prices per direction, computed from the bars' ATR), the schema is
    one branch per direction whose prices are restricted to those candidates: a small model
    then chooses a direction and levels but cannot write a price on the wrong side of entry.
    """
    num = {"type": "number"}
    nullable = {"anyOf": [num, {"type": "null"}]}
    rationale = {"type": "string", "minLength": 10, "maxLength": 400}
    if levels is not None:
        branches = []
        for direction in ("long", "short"):
            lv = levels[direction]
            branches.append(
                {
                    "type": "object",
                    "properties": {
                        "direction": {"const": direction},
                        "confidence": num,
                        "entry": {"enum": [lv["entry"]]},
                        "stop_loss": {"enum": lv["stops"]},
                        "take_profits": {
                            "type": "array",
                            "items": {"enum": lv["targets"]},
                            "minItems": 1,
                            "maxItems": 3,
                        },
                        "risk_reward": nullable,
                        "rationale": rationale,
                    },
                    "required": list(_FIELDS),
                }
            )
        branches.append(
            {
                "type": "object",
                "properties": {
                    "direction": {"const": "neutral"},
                    "confidence": num,
                    "entry": {"type": "null"},
                    "stop_loss": {"type": "null"},
                    "take_profits": {"type": "array", "items": num, "maxItems": 0},
                    "risk_reward": {"type": "null"},
                    "rationale": rationale,
                },
                "required": list(_FIELDS),
            }
        )
        return {"anyOf": branches}
    return {
        "type": "object",
        "properties": {
            "direction": {"type": "string", "enum": ["long", "short", "neutral"]},
            "confidence": {"type": "number"},
            "entry": nullable,
            "stop_loss": nullable,
            "take_profits": {"type": "array", "items": num, "maxItems": 3},
            "risk_reward": nullable,
            "rationale": rationale,
        },
        "required": list(_FIELDS),
    }


_FIELDS = (
    "direction",
    "confidence",
    "entry",
    "stop_loss",
    "take_profits",
    "risk_reward",
    "rationale",
)


class AnalyzeRequest(BaseModel):
    symbol: Symbol
    timeframe: Timeframe = Timeframe.H1
    include_prompt: bool = Field(default=False, description="return the prompt the model saw")


class InputStatus(BaseModel):
    ok: bool
    seconds: float
    error: str | None = None


class Analysis(ModelAnalysis):
    """The answer of POST /analyze: the model's call plus what the service knows for sure."""

    symbol: str
    timeframe: Timeframe
    last_close: float
    inputs_used: list[str] = Field(description="inputs gathered and given to the model")
    inputs_missing: list[str] = Field(description="inputs that could not be gathered (no guess)")
    inputs: dict[str, InputStatus]
    backend: str
    model: str
    attempts: int
    gather_seconds: float
    generation_seconds: float
    prompt: str | None = None


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


class ChatResponse(BaseModel):
    session_id: str
    reply: str
    messages: int
    context_used: list[str] = Field(default_factory=list)


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

    backend: Literal["llamacpp", "ollama"]
    model: str = Field(description="the GGUF file (llamacpp) or the Ollama model name")
    status: Literal["healthy", "degraded", "unhealthy"]
    details: dict[str, Any] = Field(description="what the backend reports (an error, its URL)")
    max_tokens: int
    n_ctx: int | None = Field(description="the context window (llamacpp; null for ollama)")
