"""Market analysis: gather every input concurrently, build one prompt, get validated JSON.

Inputs: bars and indicators (data, through DataClient), forecast (nhits), patterns (tcn),
regime and long/short scores (hmm), context (rag). Each has its own timeout; an input that
fails is listed as missing and left out of the prompt: nothing is made up for it.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from tradingstack.core.data_client import DataClient, DataServiceError, UnknownSymbolError
from tradingstack.core.http import segment
from tradingstack.core.timeframes import Timeframe
from tradingstack.llm.backends import Backend
from tradingstack.llm.schemas import INPUTS, ModelAnalysis, generation_schema
from tradingstack.llm.settings import LlmSettings

INDICATORS = ("rsi", "macd", "bbands:20:2", "atr", "adx")
SYSTEM = (
    "You are a careful trading analyst. Use only the data given. Answer with one JSON object: "
    "direction (long, short or neutral), confidence (0 to 1), entry, stop_loss, take_profits "
    "(1 to 3 prices), risk_reward, rationale (two or three sentences citing the data). For long: "
    "stop_loss below entry, take_profits above entry. For short: stop_loss above entry, "
    "take_profits below entry. For neutral: entry, stop_loss and risk_reward null, take_profits "
    "empty."
)


@dataclass
class Gathered:
    name: str
    ok: bool
    seconds: float
    data: Any = None
    error: str | None = None


class UnknownSymbol(Exception):
    """The data service has no such symbol, or no bars for it: there is nothing to analyse."""

    def __init__(self, error: UnknownSymbolError) -> None:
        super().__init__(error.detail)
        self.error = error


class Gatherer:
    """Fetches every input of an analysis, concurrently, each with its own timeout."""

    def __init__(self, settings: LlmSettings, data: DataClient, http: httpx.AsyncClient) -> None:
        self.s = settings
        self.data = data
        self.http = http

    async def _json(self, method: str, url: str, **kw: Any) -> Any:
        resp = await self.http.request(method, url, **kw)
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text[:300]
            raise RuntimeError(f"HTTP {resp.status_code}: {str(detail)[:300]}")
        return resp.json()

    async def _one(self, name: str, fn: Callable[[], Awaitable[Any]]) -> Gathered:
        t0 = time.perf_counter()
        try:
            data = await asyncio.wait_for(fn(), self.s.upstream_timeout_seconds)
            return Gathered(name, True, time.perf_counter() - t0, data=data)
        except UnknownSymbolError:
            raise
        except TimeoutError:
            err = f"timed out after {self.s.upstream_timeout_seconds:g} s"
        except DataServiceError as exc:
            err = exc.detail
        except httpx.HTTPError as exc:
            err = f"unreachable: {type(exc).__name__}"
        except Exception as exc:
            err = f"{type(exc).__name__}: {exc}"
        return Gathered(name, False, time.perf_counter() - t0, error=str(err)[:400])

    async def gather(self, symbol: str, tf: Timeframe, rag_query: str) -> dict[str, Gathered]:
        s, p = self.s, {"timeframe": str(tf)}

        async def score() -> dict[str, Any]:
            url = f"{s.hmm_url}/api/v1/score"
            long_, short = await asyncio.gather(
                self._json(
                    "POST", url, json={"symbol": symbol, "timeframe": str(tf), "direction": "long"}
                ),
                self._json(
                    "POST", url, json={"symbol": symbol, "timeframe": str(tf), "direction": "short"}
                ),
            )
            return {"long": long_, "short": short}

        async def rag() -> Any:
            if s.rag_k == 0:
                raise RuntimeError("disabled (TS_LLM_RAG_K=0)")
            return await self._json(
                "POST",
                f"{s.rag_url}/api/v1/query",
                json={"text": rag_query, "k": s.rag_k, "filters": {"symbol": symbol}},
            )

        jobs: dict[str, Callable[[], Awaitable[Any]]] = {
            "bars": lambda: self.data.ohlcv(symbol, tf, limit=s.bars),
            "indicators": lambda: self.data.indicators(symbol, tf, INDICATORS, limit=s.bars),
            "forecast": lambda: self._json(
                "GET", f"{s.nhits_url}/api/v1/forecast/{segment(symbol)}", params=p
            ),
            "patterns": lambda: self._json(
                "GET", f"{s.tcn_url}/api/v1/detect/{segment(symbol)}", params=p
            ),
            "regime": lambda: self._json(
                "GET", f"{s.hmm_url}/api/v1/regime/{segment(symbol)}", params=p
            ),
            "score": score,
            "rag": rag,
        }
        assert tuple(jobs) == INPUTS
        results = await asyncio.gather(
            *(self._one(n, f) for n, f in jobs.items()), return_exceptions=True
        )
        out: dict[str, Gathered] = {}
        for name, r in zip(jobs, results, strict=True):
            if isinstance(r, UnknownSymbolError):
                raise UnknownSymbol(r)
            if isinstance(r, BaseException):
                raise r
            out[name] = r
        return out


# --- the prompt ---------------------------------------------------------------------------
def _shrink(obj: Any, depth: int = 0) -> Any:
    """Long lists cut to their ends, floats rounded, deep nesting flattened: a compact view."""
    if isinstance(obj, float):
        return round(obj, 4) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        if depth > 3:
            return "{...}"
        return {k: _shrink(v, depth + 1) for k, v in list(obj.items())[:12]}
    if isinstance(obj, list):
        if depth > 3:
            return "[...]"
        items = obj if len(obj) <= 6 else [*obj[:2], f"...{len(obj) - 4} more...", *obj[-2:]]
        return [_shrink(v, depth + 1) for v in items]
    return obj


def compact(obj: Any, limit: int = 500) -> str:
    text = json.dumps(_shrink(obj), separators=(",", ":"), default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _last(values: list[Any]) -> float | None:
    for v in reversed(values):
        if v is not None:
            return float(v)
    return None


def latest_indicators(ind: Any) -> dict[str, float]:
    return {k: round(v, 4) for k, vals in ind.values.items() if (v := _last(vals)) is not None}


def _forecast_text(f: Any) -> str:
    if isinstance(f, dict) and isinstance(f.get("median"), list) and f["median"]:
        med = f["median"]
        parts = [f"next {len(med)} bars median path from {med[0]:.6g} to {med[-1]:.6g}"]
        if f.get("target"):
            parts.append(f"target {f['target']}")
        for iv in f.get("intervals") or []:
            if isinstance(iv, dict) and iv.get("lower") and iv.get("upper"):
                parts.append(
                    f"{iv.get('level')}% interval at the end "
                    f"{iv['lower'][-1]:.6g}..{iv['upper'][-1]:.6g}"
                )
        return "; ".join(parts)
    return compact(f)


def _patterns_text(p: Any) -> str:
    items = p.get("patterns", p.get("detections")) if isinstance(p, dict) else p
    if isinstance(items, list):
        if not items:
            return "no pattern detected"
        out = []
        for it in items[:5]:
            if isinstance(it, dict):
                name = it.get("type") or it.get("pattern") or it.get("name")
                conf = it.get("confidence") or it.get("probability")
                bias = it.get("direction") or it.get("bias")
                out.append(
                    f"{name}"
                    + (f" ({bias})" if bias else "")
                    + (f" p={float(conf):.2f}" if isinstance(conf, int | float) else "")
                )
            else:
                out.append(str(it))
        return "; ".join(out)
    return compact(p)


def _regime_text(r: Any) -> str:
    if isinstance(r, dict):
        cur = r.get("current") or r.get("regime") or r.get("state")
        if isinstance(cur, dict):
            cur = cur.get("name") or cur.get("label") or compact(cur, 120)
        probs = r.get("probabilities")
        text = f"current regime {cur}" if cur else compact(r, 300)
        if isinstance(probs, dict):
            text += "; probabilities " + ", ".join(
                f"{k} {float(v):.2f}" for k, v in probs.items() if isinstance(v, int | float)
            )
        return text
    return compact(r)


def _score_text(sc: dict[str, Any]) -> str:
    parts = []
    for side in ("long", "short"):
        v = sc.get(side)
        val = v.get("score") if isinstance(v, dict) else v
        parts.append(
            f"{side} {float(val):.0f}/100"
            if isinstance(val, int | float)
            else f"{side} {compact(v, 120)}"
        )
    return ", ".join(parts)


def _rag_text(r: Any) -> list[str]:
    out = []
    for hit in (r.get("results") if isinstance(r, dict) else None) or []:
        meta = ", ".join(str(x) for x in (hit.get("source"), hit.get("time")) if x)
        out.append(f"- ({meta}) {' '.join(str(hit.get('text', '')).split())[:300]}")
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


def reference_levels(close: float, atr: float | None) -> dict[str, dict[str, Any]] | None:
    """Candidate levels from the ATR, computed, not guessed: stops 1, 1.5 and 2 ATR away,
    targets 1.5, 2 and 3 ATR away, on each side of the last close."""
    if atr is None or not atr > 0 or atr >= close / 4:
        return None

    def r(x: float) -> float:
        return float(f"{x:.6g}")

    return {
        "long": {
            "entry": r(close),
            "stops": [r(close - m * atr) for m in (1, 1.5, 2)],
            "targets": [r(close + m * atr) for m in (1.5, 2, 3)],
        },
        "short": {
            "entry": r(close),
            "stops": [r(close + m * atr) for m in (1, 1.5, 2)],
            "targets": [r(close - m * atr) for m in (1.5, 2, 3)],
        },
    }


def build_prompt(
    symbol: str, tf: Timeframe, got: dict[str, Gathered]
) -> tuple[str, float, dict[str, dict[str, Any]] | None]:
    """The user message, the last close and the candidate levels (from the ATR)."""
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
    if got["indicators"].ok:
        latest = latest_indicators(got["indicators"].data)
        atr = next((v for k, v in latest.items() if k.lower().startswith("atr")), None)
        lines.append(
            "Indicators (latest): " + ", ".join(f"{k} {v:.6g}" for k, v in latest.items()) + "."
        )
    if got["forecast"].ok:
        lines.append("Forecast (NHITS): " + _forecast_text(got["forecast"].data) + ".")
    if got["patterns"].ok:
        lines.append("Chart patterns (TCN): " + _patterns_text(got["patterns"].data) + ".")
    if got["regime"].ok:
        lines.append("Market regime (HMM): " + _regime_text(got["regime"].data) + ".")
    if got["score"].ok:
        lines.append("Signal scores (LightGBM): " + _score_text(got["score"].data) + ".")
    if got["rag"].ok:
        ctx = _rag_text(got["rag"].data)
        lines.append("Knowledge base:\n" + ("\n".join(ctx) if ctx else "- nothing relevant stored"))
    missing = [n for n, g in got.items() if not g.ok]
    if missing:
        lines.append(f"Not available (do not assume anything about them): {', '.join(missing)}.")
    if atr is None:
        atr = bars_atr(bars)
    levels = reference_levels(last, atr)
    if levels and atr:
        for side in ("long", "short"):
            lv = levels[side]
            lines.append(
                f"Candidate levels for {side} (from ATR {atr:.6g}): entry {lv['entry']}, "
                f"stop_loss one of {lv['stops']}, take_profits from {lv['targets']}."
            )
    lines.append("Give your analysis as JSON.")
    return "\n".join(lines), last, levels


def check_market(a: ModelAnalysis, last_close: float) -> None:
    """Levels must be near the market: an entry more than 25 % away from the close is invented."""
    if a.direction == "neutral" or a.entry is None:
        return
    if abs(a.entry / last_close - 1) > 0.25:
        raise ValueError(f"entry {a.entry} is more than 25% away from the last close {last_close}")


def risk_reward(a: ModelAnalysis) -> float | None:
    if a.direction == "neutral" or a.entry is None or a.stop_loss is None or not a.take_profits:
        return None
    risk = abs(a.entry - a.stop_loss)
    return round(abs(a.take_profits[0] - a.entry) / risk, 3) if risk > 0 else None


class InvalidOutput(Exception):
    def __init__(self, errors: list[str], outputs: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.outputs = outputs


async def generate(
    backend: Backend,
    prompt: str,
    last_close: float,
    levels: dict[str, dict[str, Any]] | None = None,
    max_tokens: int | None = None,
) -> tuple[ModelAnalysis, int]:
    """Ask for JSON, validate (schema + levels + market check); one retry with the errors.
    With `levels`, the schema restricts prices to those candidates."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
    schema = generation_schema(levels)
    errors: list[str] = []
    outputs: list[str] = []
    for attempt in (1, 2):
        raw = await backend.complete(messages, schema=schema, max_tokens=max_tokens)
        outputs.append(raw[:2000])
        try:
            # strict=False: small models put raw newlines inside strings; that is not invalid
            parsed = ModelAnalysis.model_validate(json.loads(raw, strict=False))
            check_market(parsed, last_close)
        except (ValidationError, ValueError, TypeError) as exc:
            msg = _error_text(exc)
            errors.append(f"attempt {attempt}: {msg}")
            messages += [
                {"role": "assistant", "content": raw},
                {
                    "role": "user",
                    "content": f"That answer was invalid: {msg}. Answer again with "
                    "corrected JSON only.",
                },
            ]
            continue
        parsed.risk_reward = risk_reward(parsed)  # arithmetic, not the model's guess
        return parsed, attempt
    raise InvalidOutput(errors, outputs)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'answer'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
    return str(exc)
