"""The analysis's direction, confidence and levels: computed from the evidence, never generated.

**Signals.** Each model input gives one signal: a vote (+1 long, -1 short, 0 none), a strength
in [0, 1] and the quality its producer measured on held-out data (`ModelQuality`, the answer's
`quality` field). A missing `quality` is read as "no measured edge".

- forecast (nhits): the move from the last close to the median at the horizon's end, `m`.
  Vote sign(m) when |m| is at least 10 % of the half-width `w` of the 80 % interval at the end
  (ATR x sqrt(horizon) without intervals); strength min(1, |m| / 2w).
- patterns (tcn): each detection's bias (+1 bullish, -1 bearish, 0 either way, see
  `PATTERN_BIAS`); s = mean of bias x confidence over the directional detections. Vote sign(s)
  when |s| >= 0.2; strength |s|.
- regime (hmm): no vote. Its measured quality (the hmm service's) is the log score of the next
  bar's return spread, not of its direction, so even with an edge it says nothing about long
  or short; it is shown as context.
- score (hmm, LightGBM): for each direction whose model has an edge, its lift = probability -
  the validation base rate; l = lift(long) - lift(short). Vote sign(l) when |l| >= 0.05;
  strength min(1, |l| / 0.5). Its quality: the long model's and the short model's; it has an
  edge when either does (only those count).
- bars, indicators and the knowledge base give context and levels, not votes.

**Rule.** Only the voting inputs (forecast, patterns, score) whose producer measured an edge
(`has_edge`) count; the others count for nothing, whatever they say. With n such inputs,
net = sum(vote x strength) / n, in [-1, 1].

- n = 0: neutral, confidence 0, "no trade: no input has a demonstrated edge".
- net >= 0.25: long; net <= -0.25: short; confidence |net| (two decimals).
- otherwise: neutral, confidence 0 (the inputs with an edge are weak or disagree).

**Levels** (long; a short mirrors them), from the last close and the ATR (the data service's
ATR(14), else the bars' own): entry = last close; stop = entry - 1.5 ATR, or, when the forecast
has an edge, its 80 % lower bound at the end clamped to [entry - 3 ATR, entry - 1 ATR]; first
target = the forecast median at the end when the forecast has an edge and it lies at least
1 ATR above entry, else entry + 1.5 ATR; second target = entry + 3 ATR, or the forecast's 80 %
upper bound when it has an edge and lies beyond the first. risk_reward = |target 1 - entry| /
|entry - stop|. Without an ATR (under 15 bars) there are no levels and the call is neutral.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from tradingstack.core.schemas import ModelQuality
from tradingstack.hmm.schemas import RegimeResult, ScoreResult
from tradingstack.nhits.schemas import Forecast
from tradingstack.tcn.schemas import DetectResult

Direction = Literal["long", "short", "neutral"]
VOTING = ("forecast", "patterns", "score")  # the regime gives context, no vote
ENTER = 0.25  # |net| needed for a directional call
NO_EDGE = "no input has a demonstrated edge"
RULE = (
    "Each model input (forecast, patterns, score) votes long or short with a strength; it "
    "counts only when its producer measured an edge on held-out data (quality.has_edge), else "
    "it counts for nothing; the regime is context (its edge is on the spread, not the "
    "direction). net = the mean of vote x strength over the inputs that count: "
    f"long at net >= {ENTER}, short at net <= -{ENTER}, otherwise no trade; no trade when no "
    "input has an edge. Confidence = |net|. Entry = last close; stop and targets from the ATR "
    "and, when the forecast has an edge, its median and 80% interval."
)

# +1 bullish, -1 bearish, 0 either way (tcn's PATTERNS descriptions say which)
PATTERN_BIAS: dict[str, int] = {
    "head_and_shoulders": -1,
    "inverse_head_and_shoulders": 1,
    "double_top": -1,
    "double_bottom": 1,
    "triple_top": -1,
    "triple_bottom": 1,
    "ascending_triangle": 1,
    "descending_triangle": -1,
    "symmetrical_triangle": 0,
    "bull_flag": 1,
    "bear_flag": -1,
    "cup_and_handle": 1,
    "rising_wedge": -1,
    "falling_wedge": 1,
    "channel_up": 1,
    "channel_down": -1,
}


def price(x: float) -> float:
    """A price as shown everywhere in the analysis: six significant digits."""
    return float(f"{x:.6g}")


def quality_of(answer: Any) -> ModelQuality | None:
    """The producer's measured quality of an answer; None (no measured edge) when absent."""
    q = getattr(answer, "quality", None)
    return q if isinstance(q, ModelQuality) else None


def _edge(q: ModelQuality | None) -> bool:
    return bool(q is not None and q.has_edge)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


@dataclass
class Signal:
    """One input's reading: what it says (`reading`, with its numbers) and what it is worth."""

    input: str
    vote: int
    strength: float
    has_edge: bool
    reading: str
    quality: ModelQuality | None = None
    qualities: list[ModelQuality] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        """It takes part in the call: a voting input with a measured edge."""
        return self.has_edge and self.input in VOTING

    @property
    def contribution(self) -> float:
        return self.vote * self.strength if self.counted else 0.0

    @property
    def worth(self) -> str:
        """The measured quality, in words."""
        if self.input == "score" and len(self.qualities) == 2:
            long_, short = self.qualities
            return f"long model {_quality_words(long_)}, short model {_quality_words(short)}"
        qs = self.qualities or ([self.quality] if self.quality else [])
        if not qs:
            return "no measured quality"
        return "; ".join(_quality_words(q) for q in qs)


def _quality_words(q: ModelQuality) -> str:
    if q.value is None:
        return f"{q.metric} not measured"
    text = f"{q.metric} {q.value:.3g}"
    if q.ci_low is not None and q.ci_high is not None:
        text += f" (95% CI {q.ci_low:.3g} to {q.ci_high:.3g})"
    if q.baseline is not None:
        text += f" vs {q.baseline:.3g} for no skill"
    return text


def forecast_signal(f: Forecast, last_close: float, atr: float | None) -> Signal:
    q = quality_of(f)
    if not f.median:
        return Signal("forecast", 0, 0.0, _edge(q), "no forecast bars", q)
    end = f.median[-1]
    move = end - last_close
    width = None
    for iv in f.intervals:
        if iv.level == 80 and iv.lower and iv.upper:
            width = (iv.upper[-1] - iv.lower[-1]) / 2
    if not width and atr:
        width = atr * math.sqrt(max(1, len(f.median)))
    vote = _sign(move) if width and abs(move) >= 0.1 * width else 0
    strength = min(1.0, abs(move) / (2 * width)) if width else 0.0
    pct = (end / last_close - 1) * 100
    reading = f"median {price(end)} in {len(f.median)} bars ({pct:+.2f}% from the last close)"
    return Signal("forecast", vote, round(strength, 3), _edge(q), reading, q)


def patterns_signal(p: DetectResult) -> Signal:
    q = quality_of(p)
    if not p.detections:
        return Signal("patterns", 0, 0.0, _edge(q), "no pattern detected", q)
    directional = [d for d in p.detections if PATTERN_BIAS.get(d.pattern, 0)]
    s = (
        sum(PATTERN_BIAS[d.pattern] * d.confidence for d in directional) / len(directional)
        if directional
        else 0.0
    )
    vote = _sign(s) if abs(s) >= 0.2 else 0
    reading = ", ".join(f"{d.pattern} (confidence {d.confidence:.2f})" for d in p.detections[:5])
    return Signal("patterns", vote, round(abs(s), 3), _edge(q), reading, q)


def regime_signal(r: RegimeResult) -> Signal:
    q = quality_of(r)
    p = r.probabilities.get(r.current_regime, 0.0)
    reading = f"{r.current_regime} (probability {p:.2f})"
    return Signal("regime", 0, 0.0, _edge(q), reading, q)


def score_signal(long_: ScoreResult, short: ScoreResult) -> Signal:
    ql, qs = quality_of(long_), quality_of(short)
    lift = 0.0
    if _edge(ql):
        lift += long_.probability - long_.model.base_rate_valid
    if _edge(qs):
        lift -= short.probability - short.model.base_rate_valid
    vote = _sign(lift) if abs(lift) >= 0.05 else 0
    reading = (
        f"long {long_.score:.0f}/100 (base rate {long_.model.base_rate_valid * 100:.0f}%), "
        f"short {short.score:.0f}/100 (base rate {short.model.base_rate_valid * 100:.0f}%)"
    )
    strength = round(min(1.0, abs(lift) / 0.5), 3)
    sig = Signal("score", vote, strength, _edge(ql) or _edge(qs), reading)
    sig.qualities = [q for q in (ql, qs) if q is not None]
    sig.quality = ql or qs
    return sig


@dataclass
class Decision:
    direction: Direction
    confidence: float
    net: float
    counted: list[str]
    reason: str


def decide(signals: list[Signal]) -> Decision:
    """The documented rule (module docstring): inputs without an edge count for nothing."""
    counted = [s for s in signals if s.counted]
    if not counted:
        return Decision("neutral", 0.0, 0.0, [], f"no trade: {NO_EDGE}")
    net = sum(s.contribution for s in counted) / len(counted)
    names = [s.input for s in counted]
    if net >= ENTER:
        return Decision(
            "long", round(net, 2), round(net, 3), names, "the inputs with an edge point up"
        )
    if net <= -ENTER:
        return Decision(
            "short", round(-net, 2), round(net, 3), names, "the inputs with an edge point down"
        )
    return Decision(
        "neutral",
        0.0,
        round(net, 3),
        names,
        f"no trade: the inputs with an edge are weak or disagree (net {net:+.2f}, "
        f"a call needs {ENTER})",
    )


@dataclass
class Levels:
    entry: float | None = None
    stop_loss: float | None = None
    take_profits: list[float] = field(default_factory=list)
    risk_reward: float | None = None
    basis: list[str] = field(default_factory=list)


def compute_levels(
    direction: Direction, last_close: float, atr: float | None, forecast: Forecast | None
) -> Levels:
    """Entry, stop and targets by the rule in the module docstring; none for neutral."""
    if direction == "neutral" or atr is None:
        return Levels()
    side = 1 if direction == "long" else -1
    entry = last_close
    basis = [f"entry at the last close {price(entry)}"]
    fc = forecast if forecast is not None and _edge(quality_of(forecast)) else None
    near = far = median = None
    if fc is not None and fc.median:
        median = fc.median[-1]
        for iv in fc.intervals:
            if iv.level == 80 and iv.lower and iv.upper:
                lo, hi = iv.lower[-1], iv.upper[-1]
                near, far = (lo, hi) if side > 0 else (hi, lo)
    if near is not None:
        dist = min(3 * atr, max(1 * atr, side * (entry - near)))
        stop = entry - side * dist
        basis.append(f"stop at the forecast's 80% bound, kept 1 to 3 ATR ({price(atr)}) away")
    else:
        stop = entry - side * 1.5 * atr
        basis.append(f"stop 1.5 ATR ({price(atr)}) from entry")
    if median is not None and side * (median - entry) >= atr:
        t1 = median
        basis.append("first target the forecast median")
    else:
        t1 = entry + side * 1.5 * atr
        basis.append("first target 1.5 ATR from entry")
    if far is not None and side * (far - t1) > 0:
        t2 = far
        basis.append("second target the forecast's 80% bound")
    else:
        t2 = entry + side * 3 * atr
        basis.append("second target 3 ATR from entry")
    entry, stop, t1, t2 = price(entry), price(stop), price(t1), price(t2)
    targets = [t1] if t2 == t1 else [t1, t2]
    risk = abs(entry - stop)
    rr = round(abs(t1 - entry) / risk, 3) if risk > 0 else None
    return Levels(entry, stop, targets, rr, basis)
