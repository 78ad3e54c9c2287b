"""The LLM service: `POST /api/v1/analyze` (composed, validated JSON) and `POST /api/v1/chat`.

Backends: llama-cpp-python in-process with the bundled SmolLM2 GGUF (default), llama.cpp's
server in a child process (xllamacpp), or Ollama.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse
from prometheus_client import Counter, Gauge, Histogram

from tradingstack.core.app import create_service_app, registry_of
from tradingstack.core.data_client import DATA_PROBLEMS, DataClient, data_problem
from tradingstack.core.errors import DomainError, ProblemError, problems
from tradingstack.core.http import service_client
from tradingstack.core.settings import load_settings
from tradingstack.llm.analyze import Gathered, Gatherer, UnknownSymbol, assess
from tradingstack.llm.backends import Backend, BackendError, make_backend
from tradingstack.llm.decision import RULE, Signal
from tradingstack.llm.generation import FinishReason, notice, stream_guarded
from tradingstack.llm.rationale import Rationale, facts
from tradingstack.llm.rationale import write as write_rationale
from tradingstack.llm.schemas import (
    INPUTS,
    Analysis,
    AnalyzeEvent,
    AnalyzeRequest,
    ChatRequest,
    ChatResponse,
    ChatSource,
    InputStatus,
    ModelInfo,
    SessionDetail,
    SessionInfo,
    SessionList,
    SignalOut,
)
from tradingstack.llm.sessions import Session, SessionStore
from tradingstack.llm.settings import LlmSettings
from tradingstack.rag.schemas import QueryHit, QueryResponse

router = APIRouter(tags=["analysis"])
chat_router = APIRouter(tags=["chat"])
DEFAULT_SYSTEM = (
    "You are TradingStack's market assistant. Be concise and factual; say when "
    "you do not know. You give analysis, not financial advice."
)


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def _backend_problem(exc: BackendError) -> ProblemError:
    return ProblemError(
        exc.status, exc.detail, title="Model unavailable" if exc.status == 503 else None
    )


Emit = Callable[[AnalyzeEvent], Awaitable[None]]
# one line of /analyze/stream; the models it names are the components /analyze documents
ANALYZE_EVENT = {
    k: v
    for k, v in AnalyzeEvent.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    ).items()
    if k != "$defs"
}


class NDJSONResponse(StreamingResponse):
    media_type = "application/x-ndjson"


def _status(g: Gathered) -> InputStatus:
    return InputStatus(
        ok=g.ok,
        seconds=round(g.seconds, 4),
        error=g.error,
        state=g.state,  # type: ignore[arg-type]
        cached=g.cached,
        job=g.job,
    )


async def _bars(request: Request, body: AnalyzeRequest) -> Gathered:
    """The bars, first: no such symbol is the data service's 404, no bars a 503."""
    try:
        bars = await request.app.state.gatherer.bars(body.symbol, body.timeframe)
    except UnknownSymbol as exc:
        raise data_problem(exc.error, body.symbol, body.timeframe) from None
    if not bars.ok or not bars.data.bars:
        request.app.state.m_analyses.labels("no_data").inc()
        raise ProblemError(
            503,
            f"No price data for {body.symbol} {body.timeframe}: {bars.error or 'no bars'}. "
            "An analysis without prices would be invented; retry when the data service answers.",
            inputs_missing=list(INPUTS),
            inputs={"bars": _status(bars).model_dump(mode="json")},
        )
    return bars


async def _analysis(
    request: Request, body: AnalyzeRequest, t0: float, bars: Gathered, emit: Emit | None
) -> Analysis:
    st = request.app.state
    symbol = body.symbol  # canonical (upper case) by its type

    def event(kind: str, **kw: Any) -> AnalyzeEvent:
        return AnalyzeEvent(event=kind, elapsed=round(time.perf_counter() - t0, 4), **kw)  # type: ignore[arg-type]

    async def on_stage(g: Gathered) -> None:
        if emit is not None:
            await emit(event("input", input=g.name, status=_status(g)))

    try:
        got = await st.gatherer.gather(
            symbol,
            body.timeframe,
            f"{symbol} market news, outlook and analysis",
            bars=bars,
            on_stage=on_stage,
        )
    except UnknownSymbol as exc:
        raise data_problem(exc.error, symbol, body.timeframe) from None
    gather_s = time.perf_counter() - t0
    st.m_gather.observe(gather_s)
    inputs = {n: _status(g) for n, g in got.items()}
    used = [n for n in INPUTS if got[n].ok]
    missing = [n for n in INPUTS if not got[n].ok and not got[n].preparing]
    preparing = [n for n in INPUTS if got[n].preparing]
    a = assess(symbol, body.timeframe, got)
    if emit is not None:
        await emit(
            event("decision", direction=a.decision.direction, confidence=a.decision.confidence)
        )
        await emit(event("rationale"))
    backend = _backend(request)
    s: LlmSettings = st.llm_settings
    t1 = time.perf_counter()
    why = await write_rationale(backend, a, s.rationale_max_tokens, s.rationale_attempts)
    gen_s = time.perf_counter() - t1
    st.m_generation.labels("analyze").observe(gen_s)
    st.m_analyses.labels(f"rationale_{why.source}").inc()
    d, lv = a.decision, a.levels
    return Analysis(
        direction=d.direction,
        confidence=d.confidence,
        entry=lv.entry,
        stop_loss=lv.stop_loss,
        take_profits=lv.take_profits,
        risk_reward=lv.risk_reward,
        rationale=why.text,
        rule=RULE,
        decision_reason=d.reason,
        net=d.net,
        signals=[_signal_out(x) for x in a.signals],
        levels_basis=lv.basis,
        rationale_source=why.source,
        rationale_rejected=why.rejected,
        rationale_note=_rationale_note(why),
        symbol=symbol,
        timeframe=body.timeframe,
        last_close=a.last_close,
        inputs_used=used,
        inputs_missing=missing,
        inputs_preparing=preparing,
        inputs=inputs,
        backend=backend.name,
        model=_model_label(backend),
        attempts=why.attempts,
        gather_seconds=round(gather_s, 4),
        generation_seconds=round(gen_s, 4),
        prompt=a.evidence + "\n\n" + facts(a) if body.include_prompt else None,
    )


@router.post("/analyze", response_model=Analysis, responses=DATA_PROBLEMS)
async def analyze(request: Request, body: AnalyzeRequest) -> Analysis:
    """Gather bars, indicators, forecast, patterns, regime, scores and RAG context (each with
    a timeout; kept per bar, so a second analysis of the same bar asks no service again). The
    direction, confidence and levels come from those inputs by a documented rule (`rule` in
    the answer; an input without a measured edge counts for nothing); the model writes only
    the rationale, which is checked against the evidence and replaced by one built from the
    evidence when it names what the evidence does not contain. `inputs_used`,
    `inputs_missing` and `inputs_preparing` (models still training, with their jobs) say what
    was actually gathered; nothing is invented for a missing input. `POST /analyze/stream`
    answers the same with its stages as they happen."""
    t0 = time.perf_counter()
    bars = await _bars(request, body)
    return await _analysis(request, body, t0, bars, None)


@router.post(
    "/analyze/stream",
    response_class=NDJSONResponse,
    response_model=None,
    responses={
        200: {
            "description": "newline-delimited JSON, one `AnalyzeEvent` a line: `input` per "
            "input as it arrives, `decision`, `rationale` (the model is writing), then `done` "
            "with the whole analysis (as `POST /analyze` answers it) or `error`",
            "content": {"application/x-ndjson": {"itemSchema": ANALYZE_EVENT}},
        },
        **DATA_PROBLEMS,
    },
)
async def analyze_stream(request: Request, body: AnalyzeRequest) -> NDJSONResponse:
    """`POST /analyze` with its stages streamed (NDJSON), for a client that shows progress:
    each input as it arrives (`preparing` ones with their job's progress), the call, the
    rationale being written, then the answer. An unknown symbol or no bars is answered before
    the stream starts (404/503 problem+json, as `/analyze`)."""
    t0 = time.perf_counter()
    bars = await _bars(request, body)
    queue: asyncio.Queue[AnalyzeEvent | None] = asyncio.Queue()

    async def run() -> None:
        try:
            a = await _analysis(request, body, t0, bars, queue.put)
            done = AnalyzeEvent(
                event="done", elapsed=round(time.perf_counter() - t0, 4), analysis=a
            )
            await queue.put(done)
        except DomainError as exc:
            await queue.put(
                AnalyzeEvent(
                    event="error",
                    elapsed=round(time.perf_counter() - t0, 4),
                    problem_status=exc.status,
                    detail=exc.detail,
                )
            )
        except Exception as exc:  # reported in the stream: the 200 is already sent
            await queue.put(
                AnalyzeEvent(
                    event="error",
                    elapsed=round(time.perf_counter() - t0, 4),
                    problem_status=500,
                    detail=f"{type(exc).__name__}: {exc}",
                )
            )
        finally:
            await queue.put(None)

    async def lines() -> AsyncIterator[str]:
        task = asyncio.create_task(run())
        try:
            while (ev := await queue.get()) is not None:
                yield ev.model_dump_json(exclude_none=True) + "\n"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return NDJSONResponse(lines(), headers={"Cache-Control": "no-cache"})


def _signal_out(x: Signal) -> SignalOut:
    return SignalOut(
        input=x.input,  # type: ignore[arg-type]
        vote="long" if x.vote > 0 else "short" if x.vote < 0 else "none",
        strength=x.strength,
        has_edge=x.has_edge,
        counted=x.counted,
        contribution=round(x.contribution, 3),
        reading=x.reading,
        quality=x.qualities or ([x.quality] if x.quality else []),
    )


def _rationale_note(r: Rationale) -> str | None:
    if r.source == "model":
        return None if not r.rejected else "The model's first rationale was rejected; see why."
    if r.rejected and "did not answer" in r.rejected[-1]:
        return "The model did not answer; this rationale is built from the evidence."
    return (
        "The model's rationale named what the evidence does not contain (or too little of it) "
        "and was rejected; this rationale is built from the evidence."
    )


def _model_label(backend: Backend) -> str:
    return backend.model if backend.name == "ollama" else backend.model.rsplit("/", 1)[-1]


@router.get("/model", response_model=ModelInfo)
async def model_info(request: Request) -> dict[str, Any]:
    """The backend and model answering."""
    b = _backend(request)
    status, details = await b.health()
    s: LlmSettings = request.app.state.llm_settings
    return {
        "backend": b.name,
        "model": _model_label(b),
        "status": status,
        "details": details,
        "max_tokens": s.max_tokens,
        "n_ctx": None if b.name == "ollama" else s.n_ctx,
    }


def _info(s: Session, store: SessionStore) -> dict[str, Any]:
    return {
        "session_id": s.id,
        "messages": len(s.history),
        "created_at": s.created_at,
        "last_used_at": s.last_used_at,
        "expires_in_seconds": round(max(0.0, store.ttl - (time.time() - s.last_used_at)), 3),
    }


async def _rag_context(request: Request, text: str, symbol: str | None) -> list[QueryHit]:
    """The knowledge base's chunks for the message, parsed with the rag service's model."""
    st = request.app.state
    s: LlmSettings = st.llm_settings
    body: dict[str, Any] = {"text": text, "k": max(1, s.rag_k)}
    if symbol:
        body["filters"] = {"symbol": symbol}
    try:
        resp = await asyncio.wait_for(
            st.http.post(f"{s.rag_url}/api/v1/query", json=body), s.upstream_timeout_seconds
        )
        resp.raise_for_status()
        return QueryResponse.model_validate(resp.json()).results
    except (httpx.HTTPError, TimeoutError, ValueError) as exc:
        raise ProblemError(
            503,
            f"rag=true but the RAG service did not answer ({type(exc).__name__}); "
            "retry, or send rag=false",
            upstream="rag",
        ) from None


def _source(hit: QueryHit) -> ChatSource:
    title = hit.metadata.get("title")
    return ChatSource(
        document_id=hit.document_id,
        chunk=hit.chunk,
        score=round(hit.score, 4),
        source=hit.source,
        symbol=hit.symbol,
        time=hit.time,
        title=str(title) if title is not None else None,
    )


# One server-sent event of a streamed chat (OpenAPI describes a stream by its events).
SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {
            "type": "string",
            "enum": ["session", "message", "done", "error"],
            "description": "session: {session_id}; message (no event line): {delta}; "
            "done: the reply and why it ended; error: {status, detail}",
        },
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}


@chat_router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        200: {
            "description": "the reply (JSON), or with `stream: true` server-sent events",
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
        },
        # an unknown or expired session_id; the model or (rag: true) the knowledge base down
        **problems(404, 502, 503),
    },
)
async def chat(request: Request, body: ChatRequest) -> Any:
    """Chat in a session (bounded count, TTL). A reply that starts repeating itself is stopped
    there (`finish_reason: repetition`); one cut at the token cap says so (`truncated`,
    `notice`); with `rag: true`, `sources` names the knowledge documents given to the model.
    `stream: true` answers server-sent events: `session` (the id), `data` (`{"delta": ...}` per
    piece), then `done` (with `finish_reason`, `truncated`, `notice`, `sources`) or `error`."""
    st = request.app.state
    s: LlmSettings = st.llm_settings
    store: SessionStore = st.sessions
    if not body.message.strip():
        raise ProblemError(422, "message is blank; say something.")
    if len(body.message) > s.max_message_chars:
        raise ProblemError(
            422, f"message has {len(body.message)} characters; at most {s.max_message_chars}."
        )
    if body.session_id is not None:
        session = store.get(body.session_id)
        if session is None:
            raise ProblemError(
                404,
                f"No chat session {body.session_id!r} (unknown or expired after "
                f"{s.session_ttl_seconds:g} s); omit session_id to start a new one.",
            )
    else:
        session = store.create(body.system or DEFAULT_SYSTEM)
    st.m_sessions.set(len(store))
    hits = await _rag_context(request, body.message, body.symbol) if body.rag else []
    context = [" ".join(h.text.split())[:500] for h in hits]
    sources = [_source(h) for h in hits]
    user = body.message
    if context:
        user = (
            "Context from the knowledge base:\n"
            + "\n".join(f"- {c}" for c in context)
            + f"\n\nQuestion: {body.message}"
        )
    messages = store.messages(session, user)
    backend = _backend(request)
    cap = s.chat_max_tokens

    def ending(reason: FinishReason) -> dict[str, Any]:
        return {
            "finish_reason": reason,
            "truncated": reason == "length",
            "notice": notice(reason, cap),
        }

    if not body.stream:
        t0 = time.perf_counter()
        reasons: list[FinishReason] = []
        try:
            reply = "".join(
                [p async for p in stream_guarded(backend, messages, cap, reasons)]
            ).strip()
        except BackendError as exc:
            raise _backend_problem(exc) from None
        st.m_generation.labels("chat").observe(time.perf_counter() - t0)
        store.record(session, body.message, reply)
        return ChatResponse(
            session_id=session.id,
            reply=reply,
            messages=len(session.history),
            context_used=context,
            sources=sources,
            **ending(reasons[0] if reasons else "stop"),
        )

    async def events() -> AsyncIterator[str]:
        yield f"event: session\ndata: {json.dumps({'session_id': session.id})}\n\n"
        pieces: list[str] = []
        reasons: list[FinishReason] = []
        t0 = time.perf_counter()
        try:
            async for delta in stream_guarded(backend, messages, cap, reasons):
                pieces.append(delta)
                yield f"data: {json.dumps({'delta': delta})}\n\n"
        except BackendError as exc:
            err = json.dumps({"status": exc.status, "detail": exc.detail})
            yield f"event: error\ndata: {err}\n\n"
            return
        reply = "".join(pieces)
        store.record(session, body.message, reply)
        st.m_generation.labels("chat").observe(time.perf_counter() - t0)
        done = {
            "session_id": session.id,
            "reply": reply,
            "messages": len(session.history),
            **ending(reasons[0] if reasons else "stop"),
            "sources": [x.model_dump(mode="json") for x in sources],
        }
        yield f"event: done\ndata: {json.dumps(done)}\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Session-Id": session.id},
    )


@chat_router.get("/chat/sessions", response_model=SessionList)
async def list_sessions(request: Request) -> SessionList:
    store: SessionStore = request.app.state.sessions
    return SessionList(
        sessions=[SessionInfo(**_info(x, store)) for x in store.all()],
        max_sessions=store.max_sessions,
        ttl_seconds=store.ttl,
    )


@chat_router.get("/chat/sessions/{session_id}", response_model=SessionDetail)
async def get_session(request: Request, session_id: str) -> SessionDetail:
    store: SessionStore = request.app.state.sessions
    s = store.peek(session_id)
    if s is None:
        raise ProblemError(404, f"No chat session {session_id!r} (unknown or expired).")
    return SessionDetail(**_info(s, store), history=s.history)


@chat_router.delete("/chat/sessions/{session_id}", status_code=204)
async def delete_session(request: Request, session_id: str) -> None:
    store: SessionStore = request.app.state.sessions
    if not store.delete(session_id):
        raise ProblemError(404, f"No chat session {session_id!r} (unknown or expired).")
    request.app.state.m_sessions.set(len(store))


def create_app(
    settings: LlmSettings | None = None,
    *,
    backend: Backend | None = None,
    data_client: DataClient | None = None,
) -> FastAPI:
    """The LLM app; tests may pass a started backend (the model loaded once) and a DataClient."""
    cfg = settings or load_settings(LlmSettings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        st = app.state
        own_backend = backend is None
        st.backend = backend or make_backend(cfg)
        await st.backend.start()
        own_data = data_client is None
        st.data_client = data_client or DataClient()
        st.http = service_client(timeout=cfg.upstream_timeout_seconds)
        st.gatherer = Gatherer(cfg, st.data_client, st.http)
        try:
            yield
        finally:
            await st.http.aclose()
            if own_data:
                await st.data_client.aclose()
            if own_backend:
                await st.backend.aclose()

    async def health_check() -> tuple[Any, dict[str, Any]]:
        b: Backend | None = getattr(app.state, "backend", None)
        if b is None:
            return "unhealthy", {"error": "starting"}
        status, details = await b.health()
        details["sessions"] = len(app.state.sessions)
        return status, details

    app = create_service_app(
        "llm", routers=[router, chat_router], lifespan=lifespan, health_check=health_check
    )
    app.state.llm_settings = cfg
    app.state.sessions = SessionStore(
        cfg.max_sessions, cfg.session_ttl_seconds, cfg.max_history_messages
    )
    reg = registry_of(app)
    app.state.m_gather = Histogram(
        "tradingstack_llm_gather_seconds", "Time to gather an analysis's inputs.", registry=reg
    )
    app.state.m_generation = Histogram(
        "tradingstack_llm_generation_seconds",
        "Model generation time, by kind.",
        ["kind"],
        buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
        registry=reg,
    )
    app.state.m_analyses = Counter(
        "tradingstack_llm_analyses_total",
        "Analyses answered, by outcome: rationale_model, rationale_evidence (the model's "
        "rationale was rejected or missing), no_data.",
        ["outcome"],
        registry=reg,
    )
    app.state.m_sessions = Gauge(
        "tradingstack_llm_chat_sessions", "Open chat sessions.", registry=reg
    )
    return app
