"""The embedder service: text embeddings, sentiment, OHLCV-window embeddings, similar windows.

Embeddings for the whole stack come from here (docs/architecture.md, data-flow rule 3): `rag` calls
`POST /api/v1/embed/text` and never loads an encoder of its own.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import Counter, Gauge, Histogram
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from tradingstack.core.app import create_service_app, registry_of
from tradingstack.core.data_client import (
    DATA_PROBLEMS,
    DataClient,
    DataServiceError,
    data_problem,
)
from tradingstack.core.errors import ProblemError
from tradingstack.core.schemas import OHLCV
from tradingstack.core.settings import load_settings
from tradingstack.embedder import timeseries as ts
from tradingstack.embedder.schemas import (
    ModelInfo,
    ModelsResponse,
    SentimentItem,
    SentimentRequest,
    SentimentResponse,
    SimilarMatch,
    SimilarRequest,
    SimilarResponse,
    TextEmbedRequest,
    TextEmbedResponse,
    TimeseriesEmbedRequest,
    TimeseriesEmbedResponse,
    WindowInfo,
)
from tradingstack.embedder.sentiment import FinBERT, LoughranMcDonald, SentimentModel
from tradingstack.embedder.settings import EmbedderSettings
from tradingstack.embedder.text import TextEncoder, resolve_device

router = APIRouter(tags=["embeddings"])


class Metrics:
    def __init__(self, app: FastAPI, encoder_ref: Any) -> None:
        reg = registry_of(app)
        self.hits = Counter(
            "tradingstack_embedder_cache_hits_total",
            "Text embeddings served from the LRU cache.",
            registry=reg,
        )
        self.misses = Counter(
            "tradingstack_embedder_cache_misses_total",
            "Text embeddings computed by the model.",
            registry=reg,
        )
        self.entries = Gauge(
            "tradingstack_embedder_cache_entries",
            "Entries in the text-embedding LRU cache.",
            registry=reg,
        )
        self.entries.set_function(lambda: encoder_ref().cache_entries if encoder_ref() else 0)
        self.latency = Histogram(
            "tradingstack_embedding_latency_seconds",
            "Time to embed one request, by kind.",
            ["kind"],
            registry=reg,
        )
        self.items = Counter(
            "tradingstack_embeddings_total",
            "Items embedded or scored, by kind.",
            ["kind"],
            registry=reg,
        )


def _state(request: Request) -> Any:
    return request.app.state


def _encoder(request: Request) -> TextEncoder:
    enc: TextEncoder | None = request.app.state.encoder
    if enc is None:
        raise ProblemError(
            503,
            "The text model is still loading; retry in a few seconds.",
            headers={"Retry-After": "5"},
        )
    return enc


def _check_texts(texts: list[str], settings: EmbedderSettings) -> None:
    if len(texts) > settings.max_texts:
        raise ProblemError(
            422, f"{len(texts)} texts given; send at most {settings.max_texts} per request."
        )
    for i, t in enumerate(texts):
        if not t.strip():
            raise ProblemError(422, f"texts[{i}] is empty; every text needs some characters.")
        if len(t) > settings.max_chars:
            raise ProblemError(
                422,
                f"texts[{i}] has {len(t)} characters; the limit is {settings.max_chars}: "
                "split it (rag chunks documents before embedding).",
            )


@dataclass
class _Pending:
    texts: list[str]
    normalize: bool
    done: asyncio.Future[tuple[np.ndarray, np.ndarray]]


class Batcher:
    """The texts of concurrent requests, encoded together on one worker thread.

    A request's texts join a queue; while the model encodes one group, the requests that
    arrive wait and then go to the model as one call (up to `max_texts` texts, one
    `normalize` flag per call): fewer, fuller batches, sorted by length across requests, and
    one thread (one torch/OpenMP team) that runs every encode. A lone request goes at once."""

    def __init__(self, max_texts: int) -> None:
        self.max_texts = max_texts
        self.calls = 0
        self._queue: list[_Pending] = []
        self._draining = False
        self._task: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None

    async def encode(
        self, encoder: TextEncoder, texts: list[str], normalize: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings of `texts` and, per row, whether the cache had it."""
        loop = asyncio.get_running_loop()
        item = _Pending(texts, normalize, loop.create_future())
        self._queue.append(item)
        if not self._draining:
            self._draining = True
            self._task = loop.create_task(self._drain(encoder))
        return await item.done

    def _take(self) -> list[_Pending]:
        first = self._queue[0]
        group: list[_Pending] = []
        rest: list[_Pending] = []
        n = 0
        for item in self._queue:
            if item.normalize == first.normalize and (
                not group or n + len(item.texts) <= self.max_texts
            ):
                group.append(item)
                n += len(item.texts)
            else:
                rest.append(item)
        self._queue = rest
        return group

    async def _drain(self, encoder: TextEncoder) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                group = [g for g in self._take() if not g.done.done()]  # not cancelled
                if not group:
                    continue
                texts = [t for g in group for t in g.texts]
                self.calls += 1
                if self._thread is None:
                    self._thread = ThreadPoolExecutor(1, thread_name_prefix="embedder-encode")
                try:
                    vecs, hit = await loop.run_in_executor(
                        self._thread, encoder.encode_rows, texts, group[0].normalize
                    )
                except Exception as exc:
                    for g in group:
                        if not g.done.done():
                            g.done.set_exception(exc)
                    continue
                start = 0
                for g in group:
                    end = start + len(g.texts)
                    if not g.done.done():
                        g.done.set_result((vecs[start:end], hit[start:end]))
                    start = end
        finally:
            self._draining = False

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)
            self._thread = None


def _json(payload: dict[str, Any]) -> Response:
    """`payload` as JSON, rendered once by pydantic-core (no response-model validation pass
    over every float; ~5x faster than the json module's float formatting)."""
    return Response(to_json(payload), media_type="application/json")


@router.post("/embed/text", response_model=TextEmbedResponse)
async def embed_text(request: Request, body: TextEmbedRequest) -> Response:
    """Sentence embeddings (batched across concurrent requests, LRU-cached); normalised by
    default. `encoding=base64` answers the matrix as little-endian float32 in base64."""
    st = _state(request)
    _check_texts(body.texts, st.embedder_settings)
    enc = _encoder(request)
    t0 = time.perf_counter()
    vecs, hit = await st.batcher.encode(enc, body.texts, body.normalize)
    hits = int(hit.sum())
    st.metrics.latency.labels("text").observe(time.perf_counter() - t0)
    st.metrics.hits.inc(hits)
    st.metrics.misses.inc(len(body.texts) - hits)
    st.metrics.items.labels("text").inc(len(body.texts))
    payload: dict[str, Any] = {
        "model": enc.name,
        "dimension": enc.dimension,
        "device": enc.device,
        "normalized": body.normalize,
        "cached": hits,
        "encoding": body.encoding,
    }
    if body.encoding == "base64":
        raw = np.ascontiguousarray(vecs, dtype="<f4").tobytes()
        payload["embeddings"] = []
        payload["embeddings_base64"] = base64.b64encode(raw).decode("ascii")
    else:
        payload["embeddings"] = vecs.tolist()
        payload["embeddings_base64"] = None
    return _json(payload)


@router.post("/sentiment", response_model=SentimentResponse)
async def sentiment(request: Request, body: SentimentRequest) -> SentimentResponse:
    """Sentiment of financial text; `method` names FinBERT or the Loughran-McDonald dictionary."""
    st = _state(request)
    _check_texts(body.texts, st.embedder_settings)
    model: SentimentModel | None = st.sentiment
    if model is None:
        raise ProblemError(
            503,
            "The sentiment model is still loading; retry in a few seconds.",
            headers={"Retry-After": "5"},
        )
    t0 = time.perf_counter()
    results = await run_in_threadpool(model.analyze, body.texts)
    st.metrics.latency.labels("sentiment").observe(time.perf_counter() - t0)
    st.metrics.items.labels("sentiment").inc(len(body.texts))
    items = [
        SentimentItem(
            text=t,
            label=r["label"],
            score=r["score"],
            details={k: v for k, v in r.items() if k not in ("label", "score")},
        )
        for t, r in zip(body.texts, results, strict=True)
    ]
    return SentimentResponse(method=model.method, model=model.name, items=items)


async def _fetch(request: Request, symbol: str, timeframe: str, limit: int, end: Any) -> OHLCV:
    client: DataClient = request.app.state.data_client
    try:
        return await client.ohlcv(symbol, timeframe, limit=limit, end=end)
    except DataServiceError as exc:
        raise data_problem(exc, symbol, timeframe) from None


def _arrays(bars: list[Any]) -> tuple[np.ndarray, ...]:
    cols = np.array([[b.open, b.high, b.low, b.close, b.volume] for b in bars], dtype=float)
    return cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4]


@router.post("/embed/timeseries", response_model=TimeseriesEmbedResponse, responses=DATA_PROBLEMS)
async def embed_timeseries(
    request: Request, body: TimeseriesEmbedRequest
) -> TimeseriesEmbedResponse:
    """Embeddings of OHLCV windows (the documented statistical embedding `ts-stat-v1`)."""
    st = _state(request)
    limit = st.embedder_settings.ts_max_window
    if body.windows is not None:
        windows = body.windows
    else:
        if body.window > limit:
            raise ProblemError(422, f"window {body.window} is too long; at most {limit} bars.")
        ohlcv = await _fetch(request, body.symbol or "", body.timeframe, body.window, body.end)
        if len(ohlcv.bars) < body.window:
            raise ProblemError(
                422,
                f"{body.symbol} {body.timeframe} has only {len(ohlcv.bars)} bars up to the "
                f"requested end; ask for window <= {len(ohlcv.bars)} or a later end.",
            )
        windows = [ohlcv.bars[-body.window :]]  # type: ignore[list-item]
    embeddings: list[list[float]] = []
    infos: list[WindowInfo] = []
    for i, w in enumerate(windows):
        if not ts.MIN_WINDOW <= len(w) <= limit:
            raise ProblemError(
                422, f"windows[{i}] has {len(w)} bars; give {ts.MIN_WINDOW}..{limit} bars."
            )
        o, h, lo, c, v = _arrays(w)
        if np.any(h < lo):
            raise ProblemError(422, f"windows[{i}] has a bar whose high is below its low.")
        emb = ts.embed_windows(o[None], h[None], lo[None], c[None], v[None])[0]
        embeddings.append(emb.tolist())
        infos.append(WindowInfo(start=w[0].time, end=w[-1].time, bars=len(w)))
    st.metrics.items.labels("timeseries").inc(len(windows))
    return TimeseriesEmbedResponse(
        method=ts.METHOD, dimension=ts.DIMENSION, windows=infos, embeddings=embeddings
    )


def _similar(
    closes: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    v: np.ndarray,
    window: int,
    stride: int,
    k: int,
) -> tuple[list[tuple[int, float]], int]:
    """Top-k windows (end index, cosine) before the query window, overlapping at most half."""
    n = len(closes)
    q = ts.embed_windows(*(a[None, n - window :] for a in (o, h, lo, closes, v)))[0]
    hist = n - window  # candidate windows lie entirely before the query window
    if hist < window:
        return [], 0
    cand = [ts.sliding(a[:hist], window, stride) for a in (o, h, lo, closes, v)]
    ends = np.arange(hist - 1 - (len(cand[0]) - 1) * stride, hist, stride)
    emb = ts.embed_windows(*cand)
    sims = emb @ q
    picked: list[tuple[int, float]] = []
    for j in np.argsort(-sims):
        end = int(ends[j])
        if all(abs(end - e) >= window // 2 for e, _ in picked):
            picked.append((end, float(sims[j])))
            if len(picked) == k:
                break
    return picked, len(ends)


@router.post("/embed/timeseries/similar", response_model=SimilarResponse, responses=DATA_PROBLEMS)
async def similar_windows(request: Request, body: SimilarRequest) -> SimilarResponse:
    """The k past windows of a symbol most similar (cosine of `ts-stat-v1`) to its latest
    `window` bars (or the window ending at `end`); matches overlap each other by < half."""
    st = _state(request)
    s = st.embedder_settings
    if body.window > s.ts_max_window:
        raise ProblemError(
            422, f"window {body.window} is too long; at most {s.ts_max_window} bars."
        )
    if body.history > s.ts_max_history:
        raise ProblemError(
            422, f"history {body.history} is too long; at most {s.ts_max_history} bars."
        )
    if body.history < 2 * body.window:
        raise ProblemError(422, f"history must be at least 2 x window = {2 * body.window} bars.")
    ohlcv = await _fetch(request, body.symbol, body.timeframe, body.history, body.end)
    bars = ohlcv.bars
    if len(bars) < 2 * body.window:
        raise ProblemError(
            422,
            f"{body.symbol} {body.timeframe} has {len(bars)} bars; the search needs at least "
            f"2 x window = {2 * body.window}. Use a smaller window.",
        )
    o, h, lo, c, v = _arrays(bars)
    t0 = time.perf_counter()
    picked, searched = await run_in_threadpool(
        _similar, c, o, h, lo, v, body.window, body.stride, body.k
    )
    st.metrics.latency.labels("similar").observe(time.perf_counter() - t0)
    matches = []
    for end, sim in picked:
        start = end - body.window + 1
        nxt = end + body.window
        matches.append(
            SimilarMatch(
                start=bars[start].time,
                end=bars[end].time,
                similarity=round(sim, 6),
                return_pct=round((c[end] / c[start] - 1) * 100, 4),
                next_return_pct=round((c[nxt] / c[end] - 1) * 100, 4) if nxt < len(c) else None,
            )
        )
    return SimilarResponse(
        symbol=ohlcv.symbol,
        timeframe=body.timeframe,
        method=ts.METHOD,
        query=WindowInfo(start=bars[-body.window].time, end=bars[-1].time, bars=body.window),
        searched=searched,
        matches=matches,
    )


@router.get("/models", response_model=ModelsResponse)
async def models(request: Request) -> ModelsResponse:
    """The loaded models: name, dimension, device."""
    st = _state(request)
    out: list[ModelInfo] = []
    enc: TextEncoder | None = st.encoder
    if enc is not None:
        out.append(
            ModelInfo(
                kind="text",
                name=enc.name,
                dimension=enc.dimension,
                device=enc.device,
                details={
                    "max_seq_length": enc.max_seq_length,
                    "cache_size": enc.cache_size,
                    "cache_entries": enc.cache_entries,
                },
            )
        )
    sent: SentimentModel | None = st.sentiment
    if sent is not None:
        out.append(
            ModelInfo(
                kind="sentiment",
                name=sent.name,
                dimension=None,
                device=sent.device,
                method=sent.method,
            )
        )
    out.append(
        ModelInfo(
            kind="timeseries",
            name=ts.METHOD,
            dimension=ts.DIMENSION,
            device="cpu",
            method="statistical (PAA shape + DCT + return statistics)",
        )
    )
    return ModelsResponse(models=out)


def create_app(
    settings: EmbedderSettings | None = None,
    *,
    encoder: TextEncoder | None = None,
    sentiment_model: SentimentModel | None = None,
    data_client: DataClient | None = None,
) -> FastAPI:
    """The embedder app; tests may pass a preloaded encoder / sentiment model / data client."""
    cfg = settings or load_settings(EmbedderSettings)

    def _load_sentiment() -> SentimentModel:
        if cfg.sentiment_model:
            return FinBERT(cfg.sentiment_model, resolve_device(cfg.device))
        return LoughranMcDonald()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        st = app.state
        own_client = data_client is None
        st.data_client = data_client or DataClient()
        st.load_error = None

        async def load() -> None:
            try:
                if st.encoder is None:
                    st.encoder = await asyncio.to_thread(TextEncoder.from_settings, cfg)
                if st.sentiment is None:
                    st.sentiment = await asyncio.to_thread(_load_sentiment)
            except Exception as exc:  # reported by /health, not swallowed
                st.load_error = f"{type(exc).__name__}: {exc}"

        await load()
        try:
            yield
        finally:
            st.batcher.close()
            if own_client:
                await st.data_client.aclose()

    async def health_check() -> tuple[Any, dict[str, Any]]:
        st = app.state
        details: dict[str, Any] = {
            "text_model": st.encoder.name if st.encoder else None,
            "device": st.encoder.device if st.encoder else None,
            "sentiment_method": st.sentiment.method if st.sentiment else None,
        }
        if st.load_error:
            details["error"] = st.load_error
            return "unhealthy", details
        if st.encoder is None or st.sentiment is None:
            return "unhealthy", {**details, "error": "models not loaded yet"}
        return "healthy", details

    app = create_service_app(
        "embedder", routers=[router], lifespan=lifespan, health_check=health_check
    )
    app.state.embedder_settings = cfg
    app.state.encoder = encoder
    app.state.sentiment = sentiment_model
    app.state.load_error = None
    app.state.metrics = Metrics(app, lambda: app.state.encoder)
    app.state.batcher = Batcher(max(cfg.max_texts, 256))
    return app
