"""Evidence for the analysis: the producers' answers (instances of their models: nhits Forecast,
tcn DetectResult, hmm RegimeResult and ScoreResult) with a chosen reading and a chosen measured
quality, around given bars. Used by the rule and rationale tests and by the rationale bench
(bench/llm_rationale_bench.py), which feeds it the real bundled bars.

The answers are built with `model_construct` for the fields the analysis reads, so the cases
stay the same while the producers add fields of their own; the HTTP doubles in `upstreams.py`
are the contract check (they validate every field).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tradingstack.core.schemas import OHLCV, Bar, Indicators, ModelQuality
from tradingstack.core.timeframes import Timeframe
from tradingstack.hmm.schemas import (
    Duration,
    RegimeModelInfo,
    RegimeResult,
    ScoreResult,
    ScoringModelInfo,
)
from tradingstack.llm.analyze import Gathered, Scores
from tradingstack.nhits.schemas import Forecast, ForecastModelInfo, Interval, LastBar
from tradingstack.rag.schemas import QueryHit, QueryResponse
from tradingstack.tcn.schemas import DetectionOut, DetectResult, ModelInfo

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REGIME_NAMES = ("bull_trend", "bear_trend", "sideways", "high_volatility")


def quality(edge: bool, metric: str = "hold-out AUC") -> ModelQuality:
    """A measured quality: an interval wholly above the no-skill 0.5, or straddling it."""
    lo, hi = (0.54, 0.62) if edge else (0.46, 0.58)
    return ModelQuality(
        metric=metric,
        value=round((lo + hi) / 2, 3),
        ci_low=lo,
        ci_high=hi,
        baseline=0.5,
        higher_is_better=True,
        has_edge=edge,
        evaluated_on="the last 20% of the bars (held out)",
        summary="an edge" if edge else "no better than no skill",
    )


def synthetic_bars(
    n: int = 120, start: float = 100.0, step: float = 0.1, tf: Timeframe = Timeframe.H1
) -> OHLCV:
    """A gently trending series with a 1 % range per bar (ATR about 1 % of the price)."""
    bars = []
    for i in range(n):
        c = start + step * i
        bars.append(
            Bar(
                time=T0 + tf.delta * i,
                open=c - step,
                high=c * 1.005,
                low=c * 0.995,
                close=c,
                volume=1000.0,
            )
        )
    return OHLCV(
        symbol="TEST",
        timeframe=tf,
        provider="embedded",
        fetched_at=T0,
        age_seconds=0.0,
        stale=False,
        bars=bars,
    )


def forecast(
    bars: OHLCV, move_pct: float, q: ModelQuality | None, horizon: int = 24, spread_pct: float = 1.0
) -> Forecast:
    last = bars.bars[-1]
    end = last.close * (1 + move_pct / 100)
    median = [last.close + (end - last.close) * (i + 1) / horizon for i in range(horizon)]
    fields: dict[str, Any] = {
        "symbol": bars.symbol,
        "timeframe": bars.timeframe,
        "horizon": horizon,
        "target": "close",
        "last_bar": LastBar(time=last.time, close=last.close),
        "timestamps": [last.time + bars.timeframe.delta * (i + 1) for i in range(horizon)],
        "median": median,
        "intervals": [
            Interval.model_construct(
                level=80,
                lower=[m * (1 - spread_pct / 100) for m in median],
                upper=[m * (1 + spread_pct / 100) for m in median],
            )
        ],
        "model": ForecastModelInfo.model_construct(
            version="20260101T000000Z",
            trained_at=T0,
            age_seconds=0.0,
            mode="full",
            data_end=last.time,
            beats_naive=bool(q and q.has_edge),
            trained_on_demand=False,
        ),
        "provider": "embedded",
    }
    if q is not None:
        fields["quality"] = q
    return Forecast.model_construct(**fields)


def patterns(bars: OHLCV, found: list[tuple[str, float]], q: ModelQuality | None) -> DetectResult:
    end = bars.bars[-1].time
    fields: dict[str, Any] = {
        "symbol": bars.symbol,
        "timeframe": bars.timeframe,
        "min_confidence": 0.6,
        "bars_scanned": len(bars.bars),
        "first_bar": bars.bars[0].time,
        "last_bar": end,
        "windows_scanned": 60,
        "candidates": len(found),
        "detections": [
            DetectionOut(
                pattern=name,
                description=name.replace("_", " "),
                confidence=conf,
                start_time=end - bars.timeframe.delta * 29,
                end_time=end,
                bars=30,
            )
            for name, conf in found
        ],
        "model": ModelInfo(trained_at=T0, age_seconds=0.0, device="cpu"),
    }
    if q is not None:
        fields["quality"] = q
    return DetectResult.model_construct(**fields)


def regime(bars: OHLCV, name: str, p: float, q: ModelQuality | None) -> RegimeResult:
    rest = (1 - p) / 3
    probs = {r: (p if r == name else rest) for r in REGIME_NAMES}
    fields: dict[str, Any] = {
        "symbol": bars.symbol,
        "timeframe": bars.timeframe,
        "as_of": bars.bars[-1].time,
        "current_regime": name,
        "probabilities": probs,
        "transition_matrix": {},
        "expected_duration": {r: Duration(bars=20.0, seconds=None, human="20 bars") for r in probs},
        "state_means": {},
        "history": [],
        "model": RegimeModelInfo.model_construct(fitted_at=T0, stale=False, refitted=False),
    }
    if q is not None:
        fields["quality"] = q
    return RegimeResult.model_construct(**fields)


def score(
    bars: OHLCV, direction: str, probability: float, q: ModelQuality | None, base: float = 0.3
) -> ScoreResult:
    fields: dict[str, Any] = {
        "symbol": bars.symbol,
        "timeframe": bars.timeframe,
        "direction": direction,
        "score": round(probability * 100, 1),
        "probability": probability,
        "as_of": bars.bars[-1].time,
        "horizon_bars": 12,
        "threshold": 0.002,
        "top_features": [],
        "bias": 0.0,
        "model": ScoringModelInfo.model_construct(
            trained_at=T0, auc_valid=0.58, base_rate_valid=base, n_train=400, n_valid=100
        ),
    }
    if q is not None:
        fields["quality"] = q
    return ScoreResult.model_construct(**fields)


def rag(texts: list[str]) -> QueryResponse:
    hits = [
        QueryHit(
            chunk_id=i,
            document_id=f"doc{i}",
            chunk=0,
            score=0.5,
            text=t,
            symbol=None,
            source="news",
            time=None,
            metadata={},
        )
        for i, t in enumerate(texts)
    ]
    return QueryResponse(results=hits, k=3, matched=len(hits), index="flat", exact=True, model=None)


def gathered(
    bars: OHLCV, indicators: Indicators | None = None, **answers: Any
) -> dict[str, Gathered]:
    """The analysis's inputs: the bars, the indicators, and each answer given (None or absent:
    that input is missing)."""
    out = {"bars": Gathered("bars", True, 0.01, data=bars)}
    out["indicators"] = (
        Gathered("indicators", True, 0.01, data=indicators)
        if indicators is not None
        else Gathered("indicators", False, 0.01, error="unreachable: ConnectError")
    )
    for name in ("forecast", "patterns", "regime", "score", "rag"):
        value = answers.get(name)
        out[name] = (
            Gathered(name, True, 0.01, data=value)
            if value is not None
            else Gathered(name, False, 0.01, error="unreachable: ConnectError")
        )
    return out


def _scores(
    bars: OHLCV, long_p: float, short_p: float, long_q: ModelQuality, short_q: ModelQuality
) -> Scores:
    return Scores(
        long=score(bars, "long", long_p, long_q), short=score(bars, "short", short_p, short_q)
    )


def scenario(bars: OHLCV, name: str) -> dict[str, Any]:
    """The fixed cases of the rationale bench (and some tests), by name."""
    yes, no = quality(True), quality(False)
    mae_yes = quality(True, "relative MAE")
    if name == "agree_long":  # forecast and scores with an edge, both up
        return {
            "forecast": forecast(bars, 1.5, mae_yes),
            "patterns": patterns(bars, [("bull_flag", 0.71)], no),
            "regime": regime(bars, "bull_trend", 0.74, no),
            "score": Scores(
                long=score(bars, "long", 0.48, yes), short=score(bars, "short", 0.2, yes)
            ),
        }
    if name == "agree_short":
        return {
            "forecast": forecast(bars, -1.5, mae_yes),
            "patterns": patterns(bars, [("head_and_shoulders", 0.68)], no),
            "regime": regime(bars, "bear_trend", 0.81, no),
            "score": Scores(
                long=score(bars, "long", 0.18, yes), short=score(bars, "short", 0.47, yes)
            ),
        }
    if name == "no_edge":  # the case: a confident bear regime, no input with an edge
        return {
            "forecast": forecast(bars, -0.8, quality(False, "relative MAE")),
            "patterns": patterns(bars, [("double_top", 0.66)], no),
            "regime": regime(bars, "bear_trend", 0.98, no),
            "score": Scores(
                long=score(bars, "long", 0.31, no), short=score(bars, "short", 0.3, no)
            ),
        }
    if name == "disagree":  # forecast up with an edge, scores down with an edge
        return {
            "forecast": forecast(bars, 1.0, mae_yes),
            "regime": regime(bars, "sideways", 0.55, no),
            "score": Scores(
                long=score(bars, "long", 0.12, yes), short=score(bars, "short", 0.52, yes)
            ),
        }
    if name == "forecast_only_short":  # only the forecast has an edge; the rest says up
        return {
            "forecast": forecast(bars, -1.2, mae_yes),
            "patterns": patterns(bars, [("ascending_triangle", 0.72)], no),
            "regime": regime(bars, "bull_trend", 0.66, no),
            "score": _scores(bars, 0.4, 0.2, no, no),
        }
    if name == "missing_inputs":  # no forecast, no patterns; scores up with an edge
        return {
            "regime": regime(bars, "high_volatility", 0.6, no),
            "score": Scores(
                long=score(bars, "long", 0.5, yes), short=score(bars, "short", 0.25, yes)
            ),
        }
    raise KeyError(name)


EXPECTED = {
    "agree_long": "long",
    "agree_short": "short",
    "no_edge": "neutral",
    "disagree": "neutral",
    "forecast_only_short": "short",
    "missing_inputs": "long",
}
SCENARIOS = tuple(EXPECTED)
