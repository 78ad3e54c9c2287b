"""Market analysis: gather every input concurrently, then assess them.

Inputs: bars and indicators (data, through DataClient), forecast (nhits), patterns (tcn),
regime and long/short scores (hmm), context (rag). The bars come first (their last bar is the
cache key); the others are fetched concurrently, each with its own timeout, and kept per
(symbol, timeframe, last bar time) for a while (`InputCache`): a second analysis of the same bar
asks no service again. An input that fails is listed as missing and left out of the evidence:
nothing is made up for it. An input whose model is still being trained (503
`model-being-prepared`) is "preparing", with the job's progress: counted for nothing, never an
error, and asked again next time. No analysis fits a model (the services train in the
background).

The direction, confidence and levels are computed from the inputs by the rule in
`tradingstack.llm.decision`; the model only writes the rationale (`tradingstack.llm.rationale`).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from tradingstack.core.data_client import DataClient, DataServiceError, UnknownSymbolError
from tradingstack.core.errors import MODEL_PREPARING, validation_text
from tradingstack.core.http import read_problem, segment
from tradingstack.core.jobs import Job
from tradingstack.core.timeframes import Timeframe
from tradingstack.hmm.schemas import RegimeResult, ScoreResult
from tradingstack.llm.decision import (
    Decision,
    Levels,
    Signal,
    compute_levels,
    decide,
    forecast_signal,
    patterns_signal,
    quality_of,
    regime_signal,
    score_signal,
)
from tradingstack.llm.schemas import INPUTS
from tradingstack.llm.settings import LlmSettings
from tradingstack.nhits.schemas import Forecast
from tradingstack.rag.schemas import QueryResponse
from tradingstack.tcn.schemas import DetectResult

M = TypeVar("M", bound=BaseModel)
INDICATORS = ("rsi", "macd", "bbands:20:2", "atr", "adx")


@dataclass
class Gathered:
    name: str
    ok: bool
    seconds: float
    data: Any = None
    error: str | None = None
    preparing: bool = False  # its model is being trained (`job`); counted for nothing
    job: Job | None = None
    cached: bool = False  # kept from an earlier analysis of the same bar

    @property
    def state(self) -> str:
        return "ok" if self.ok else "preparing" if self.preparing else "missing"


Stage = Callable[[Gathered], Awaitable[None]]


class UnknownSymbol(Exception):
    """The data service has no such symbol, or no bars for it: there is nothing to analyse."""

    def __init__(self, error: UnknownSymbolError) -> None:
        super().__init__(error.detail)
        self.error = error


class UpstreamProblem(Exception):
    """Another service of the stack answered an error: its status, detail and problem type."""

    def __init__(self, status: int, detail: str, type_: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail
        self.type = type_


class Preparing(Exception):
    """The service is training the model this input needs (503 `model-being-prepared`)."""

    def __init__(self, detail: str, job: Job | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.job = job


def _preparing(resp: httpx.Response) -> Preparing:
    detail, _ = read_problem(resp, 300)
    try:
        job: Job | None = Job.model_validate(resp.json().get("job"))
    except (ValueError, AttributeError, ValidationError):
        job = None
    return Preparing(detail[:300], job)


class InputCache:
    """The gathered inputs (all but the bars) of the last analyses, per (symbol, timeframe,
    last bar time): a new bar is a new key. An entry also ends after `ttl` seconds (a model
    retrained within a long bar is seen), and the oldest go past `size` keys. Only inputs that
    were gathered are kept; a missing or preparing one is asked again."""

    def __init__(self, ttl: float, size: int = 64) -> None:
        self.ttl = ttl
        self.size = size
        self._d: OrderedDict[tuple[str, str, str], tuple[float, dict[str, Gathered]]] = (
            OrderedDict()
        )

    def get(self, key: tuple[str, str, str]) -> dict[str, Gathered]:
        hit = self._d.get(key)
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            self._d.pop(key, None)
            return {}
        self._d.move_to_end(key)
        return hit[1]

    def put(self, key: tuple[str, str, str], got: dict[str, Gathered]) -> None:
        kept = {n: g for n, g in got.items() if g.ok and n != "bars"}
        old = self.get(key)
        if not kept and not old:
            return
        born = self._d[key][0] if key in self._d else time.monotonic()
        self._d[key] = (born, {**old, **kept})
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)

    def clear(self) -> None:
        self._d.clear()


class Scores(BaseModel):
    """The hmm service's score of each direction."""

    long: ScoreResult
    short: ScoreResult


class Gatherer:
    """Fetches every input of an analysis, concurrently, each with its own timeout.

    Every answer is parsed with its producer's own model (`tradingstack.<service>.schemas`):
    an answer that does not fit the contract is a missing input that says why, never a
    half-read one."""

    def __init__(self, settings: LlmSettings, data: DataClient, http: httpx.AsyncClient) -> None:
        self.s = settings
        self.data = data
        self.http = http
        self.cache = InputCache(settings.analysis_cache_seconds)

    async def _call(self, model: type[M], method: str, url: str, **kw: Any) -> M:
        resp = await self.http.request(method, url, **kw)
        if resp.status_code == 503 and read_problem(resp)[1] == MODEL_PREPARING:
            raise _preparing(resp)
        if resp.status_code >= 400:
            detail, type_ = read_problem(resp, 300)
            raise UpstreamProblem(resp.status_code, detail[:300], type_)
        return model.model_validate(resp.json())

    async def _one(self, name: str, fn: Callable[[], Awaitable[Any]]) -> Gathered:
        t0 = time.perf_counter()
        try:
            data = await asyncio.wait_for(fn(), self.s.upstream_timeout_seconds)
            return Gathered(name, True, time.perf_counter() - t0, data=data)
        except UnknownSymbolError:
            raise
        except Preparing as exc:
            return Gathered(
                name, False, time.perf_counter() - t0, error=exc.detail, preparing=True, job=exc.job
            )
        except TimeoutError:
            err = f"timed out after {self.s.upstream_timeout_seconds:g} s"
        except DataServiceError as exc:
            err = exc.detail
        except ValidationError as exc:
            err = f"the answer does not match the service's contract: {_error_text(exc)}"
        except httpx.HTTPError as exc:
            err = f"unreachable: {type(exc).__name__}"
        except Exception as exc:
            err = f"{type(exc).__name__}: {exc}"
        return Gathered(name, False, time.perf_counter() - t0, error=str(err)[:400])

    async def regime(self, symbol: str, tf: Timeframe) -> RegimeResult:
        """The saved regime model's answer. Nothing is fitted in the request: the hmm service
        trains in the background, and a model being prepared is `Preparing`."""
        url = f"{self.s.hmm_url}/api/v1/regime/{segment(symbol)}"
        return await self._call(RegimeResult, "GET", url, params={"timeframe": str(tf)})

    async def bars(self, symbol: str, tf: Timeframe) -> Gathered:
        """The bars (first: their last bar keys the cache); UnknownSymbol when there is no such
        symbol or no bars for it."""
        try:
            return await self._one("bars", lambda: self.data.ohlcv(symbol, tf, limit=self.s.bars))
        except UnknownSymbolError as exc:
            raise UnknownSymbol(exc) from None

    async def gather(
        self,
        symbol: str,
        tf: Timeframe,
        rag_query: str,
        *,
        bars: Gathered | None = None,
        on_stage: Stage | None = None,
    ) -> dict[str, Gathered]:
        """Every input; `on_stage` is awaited with each as it arrives (the bars first)."""
        s, p = self.s, {"timeframe": str(tf)}
        if bars is None:
            bars = await self.bars(symbol, tf)
        if on_stage is not None:
            await on_stage(bars)
        key: tuple[str, str, str] | None = None
        if bars.ok and bars.data.bars and s.analysis_cache_seconds > 0:
            key = (symbol, str(tf), bars.data.bars[-1].time.isoformat())
        cached = self.cache.get(key) if key else {}

        async def score() -> Scores:
            url = f"{s.hmm_url}/api/v1/score"
            long_, short = await asyncio.gather(
                *(
                    self._call(
                        ScoreResult,
                        "POST",
                        url,
                        json={"symbol": symbol, "timeframe": str(tf), "direction": side},
                    )
                    for side in ("long", "short")
                )
            )
            return Scores(long=long_, short=short)

        async def rag() -> QueryResponse:
            if s.rag_k == 0:
                raise RuntimeError("disabled (TS_LLM_RAG_K=0)")
            return await self._call(
                QueryResponse,
                "POST",
                f"{s.rag_url}/api/v1/query",
                json={"text": rag_query, "k": s.rag_k, "filters": {"symbol": symbol}},
            )

        jobs: dict[str, Callable[[], Awaitable[Any]]] = {
            "indicators": lambda: self.data.indicators(symbol, tf, INDICATORS, limit=s.bars),
            "forecast": lambda: self._call(
                Forecast, "GET", f"{s.nhits_url}/api/v1/forecast/{segment(symbol)}", params=p
            ),
            "patterns": lambda: self._call(
                DetectResult, "GET", f"{s.tcn_url}/api/v1/detect/{segment(symbol)}", params=p
            ),
            "regime": lambda: self.regime(symbol, tf),
            "score": score,
            "rag": rag,
        }
        assert ("bars", *jobs) == INPUTS

        async def one(name: str) -> Gathered:
            hit = cached.get(name)
            g = (
                Gathered(name, True, 0.0, data=hit.data, cached=True)
                if hit is not None
                else await self._one(name, jobs[name])
            )
            if on_stage is not None:
                await on_stage(g)
            return g

        results = await asyncio.gather(*(one(n) for n in jobs), return_exceptions=True)
        out: dict[str, Gathered] = {"bars": bars}
        for name, r in zip(jobs, results, strict=True):
            if isinstance(r, UnknownSymbolError):
                raise UnknownSymbol(r)
            if isinstance(r, BaseException):
                raise r
            out[name] = r
        if key is not None:
            self.cache.put(key, out)
        return out


# --- the prompt ---------------------------------------------------------------------------
def _last(values: list[Any]) -> float | None:
    for v in reversed(values):
        if v is not None:
            return float(v)
    return None


def latest_indicators(ind: Any) -> dict[str, float]:
    return {k: round(v, 4) for k, vals in ind.values.items() if (v := _last(vals)) is not None}


def _forecast_text(f: Forecast) -> str:
    med = f.median
    if not med:
        return "no forecast bars"
    parts = [f"next {len(med)} bars median path from {med[0]:.6g} to {med[-1]:.6g}"]
    parts.append(f"target {f.target}")
    for iv in f.intervals:
        if iv.lower and iv.upper:
            parts.append(f"{iv.level}% interval at the end {iv.lower[-1]:.6g}..{iv.upper[-1]:.6g}")
    if f.model.beats_naive is not None:
        parts.append(
            "its holdout error "
            + ("beats" if f.model.beats_naive else "does not beat")
            + " the naive forecast's"
        )
    return "; ".join(parts)


def _patterns_text(p: DetectResult) -> str:
    if not p.detections:
        return f"no pattern above confidence {p.min_confidence:g} in the last {p.bars_scanned} bars"
    return "; ".join(
        f"{d.pattern} p={d.confidence:.2f} ({d.start_time:%Y-%m-%d %H:%M} to "
        f"{d.end_time:%Y-%m-%d %H:%M})"
        for d in p.detections[:5]
    )


def _regime_text(r: RegimeResult) -> str:
    text = f"current regime {r.current_regime.replace('_', ' ')}"
    text += "; probabilities " + ", ".join(
        f"{k.replace('_', ' ')} {v:.2f}" for k, v in r.probabilities.items()
    )
    expected = r.expected_duration.get(r.current_regime)
    if expected is not None and expected.human:
        text += f"; it lasts {expected.human} on average"
    return text


def _score_text(sc: Scores) -> str:
    return f"long {sc.long.score:.0f}/100, short {sc.short.score:.0f}/100"


def _rag_text(r: QueryResponse) -> list[str]:
    out = []
    for hit in r.results:
        meta = ", ".join(x for x in (hit.source, hit.time.isoformat() if hit.time else None) if x)
        out.append(f"- ({meta}) {' '.join(hit.text.split())[:300]}")
    return out


def bars_atr(bars: list[Any], n: int = 14) -> float | None:
    """Average true range of the last n bars (when the indicator input is missing)."""
    if len(bars) < n + 1:
        return None
    trs = [
        max(b.high - b.low, abs(b.high - p.close), abs(b.low - p.close))
        for p, b in zip(bars[-n - 1 : -1], bars[-n:], strict=True)
    ]
    return sum(trs) / n


@dataclass
class Assessment:
    """Everything the analysis knows: the evidence (as text), each input's signal, the call
    and its levels, all computed from the gathered inputs (see `decision`)."""

    symbol: str
    timeframe: Timeframe
    last_close: float
    atr: float | None
    evidence: str
    signals: list[Signal]
    decision: Decision
    levels: Levels
    missing: list[str]
    rag: QueryResponse | None = None
    preparing: list[str] = field(default_factory=list)
    indicators: dict[str, float] = field(default_factory=dict)
    regime: RegimeResult | None = None
    patterns: DetectResult | None = None


def _quality_text(answer: Any) -> str:
    q = quality_of(answer)
    if q is None:
        return "measured quality: none (counts for nothing)"
    edge = "has an edge" if q.has_edge else "no demonstrated edge (counts for nothing)"
    return f"measured quality: {Signal('', 0, 0, q.has_edge, '', q).worth}, {edge}"


def assess(symbol: str, tf: Timeframe, got: dict[str, Gathered]) -> Assessment:
    """The evidence text, the signals, the call (the documented rule) and the levels."""
    bars = got["bars"].data.bars
    closes = [b.close for b in bars]
    last = closes[-1]
    lines = [
        f"Symbol {symbol}, timeframe {tf}. Last close {last:.6g} at {bars[-1].time.isoformat()}."
    ]
    tail = closes[-10:]
    lines.append("Last closes: " + ", ".join(f"{c:.6g}" for c in tail) + ".")
    for n in (10, 50):
        if len(closes) > n:
            lines.append(f"Change over {n} bars: {(last / closes[-1 - n] - 1) * 100:+.2f}%.")
    atr = None
    latest: dict[str, float] = {}
    if got["indicators"].ok:
        latest = latest_indicators(got["indicators"].data)
        atr = next((v for k, v in latest.items() if k.lower().startswith("atr")), None)
        lines.append(
            "Indicators (latest): " + ", ".join(f"{k} {v:.6g}" for k, v in latest.items()) + "."
        )
    if atr is None:
        atr = bars_atr(bars)
    if atr is not None and not 0 < atr < last / 4:
        atr = None
    if atr is not None:
        lines.append(f"ATR {atr:.6g}.")
    signals: list[Signal] = []
    forecast: Forecast | None = None
    if got["forecast"].ok:
        forecast = got["forecast"].data
        lines.append(f"Forecast (NHITS): {_forecast_text(forecast)}; {_quality_text(forecast)}.")
        signals.append(forecast_signal(forecast, last, atr))
    if got["patterns"].ok:
        p = got["patterns"].data
        lines.append(f"Chart patterns (TCN): {_patterns_text(p)}; {_quality_text(p)}.")
        signals.append(patterns_signal(p))
    if got["regime"].ok:
        r = got["regime"].data
        lines.append(f"Market regime (HMM): {_regime_text(r)}; {_quality_text(r)}.")
        signals.append(regime_signal(r))
    if got["score"].ok:
        sc = got["score"].data
        lines.append(
            f"Signal scores (LightGBM): {_score_text(sc)}; long model {_quality_text(sc.long)}; "
            f"short model {_quality_text(sc.short)}."
        )
        signals.append(score_signal(sc.long, sc.short))
    if got["rag"].ok:
        ctx = _rag_text(got["rag"].data)
        lines.append("Knowledge base:\n" + ("\n".join(ctx) if ctx else "- nothing relevant stored"))
    missing = [n for n, g in got.items() if not g.ok and not g.preparing]
    preparing = [n for n, g in got.items() if g.preparing]
    if missing:
        lines.append(f"Not available (do not assume anything about them): {', '.join(missing)}.")
    if preparing:
        lines.append(
            f"Being prepared (their models are training; counted for nothing): "
            f"{', '.join(preparing)}."
        )
    decision = decide(signals)
    levels = compute_levels(decision.direction, last, atr, forecast)
    if decision.direction != "neutral" and levels.entry is None:
        decision = Decision(
            "neutral",
            0.0,
            decision.net,
            decision.counted,
            "no trade: too few bars for an ATR, so no stop or target can be computed",
        )
    lines.append(
        f"Decision (by the rule, from the inputs with an edge): {decision.direction}, "
        f"confidence {decision.confidence:.2f}; {decision.reason}."
    )
    if levels.entry is not None:
        lines.append(
            f"Levels: entry {levels.entry:.6g}, stop loss {levels.stop_loss:.6g}, targets "
            + " and ".join(f"{t:.6g}" for t in levels.take_profits)
            + f", risk/reward {levels.risk_reward} ({'; '.join(levels.basis)})."
        )
    return Assessment(
        symbol=symbol,
        timeframe=tf,
        last_close=last,
        atr=atr,
        evidence="\n".join(lines),
        signals=signals,
        decision=decision,
        levels=levels,
        missing=missing,
        preparing=preparing,
        rag=got["rag"].data if got["rag"].ok else None,
        indicators=latest,
        regime=got["regime"].data if got["regime"].ok else None,
        patterns=got["patterns"].data if got["patterns"].ok else None,
    )


def build_prompt(symbol: str, tf: Timeframe, got: dict[str, Gathered]) -> tuple[str, float, Any]:
    """The evidence as text, the last close and the whole assessment."""
    a = assess(symbol, tf, got)
    return a.evidence, a.last_close, a


def _error_text(exc: Exception) -> str:
    return validation_text(exc) if isinstance(exc, ValidationError) else str(exc)
