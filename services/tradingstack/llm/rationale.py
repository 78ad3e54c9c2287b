"""The rationale: written by the model from the evidence, checked against it, or built from it.

The model sees the facts (the call, its levels and each input's reading and measured quality)
and writes only prose; the direction, confidence and levels are the rule's
(`tradingstack.llm.decision`) and the model's text cannot change them. A rationale is rejected
(`check`) when it
- states a different call (e.g. "go short" when the call is long, "buy" when it is no trade);
- names a market regime other than the evidence's current one (another regime only with its
  probability from the evidence), or any regime when there is no regime input;
- names a chart pattern that was not detected (or any when patterns are missing);
- names a number that is not in the evidence (a price the evidence does not contain, or any
  other invented figure; rounding of an evidence number is accepted);
- has fewer than two sentences or cites fewer than two of the evidence's numbers.
Then the deterministic rationale built from the evidence (`template`) is used, and the answer
says so (`rationale_source: "evidence"`, with the reasons in `rationale_rejected`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tradingstack.llm.backends import Backend, BackendError
from tradingstack.llm.decision import PATTERN_BIAS, Signal, price
from tradingstack.llm.generation import generate_text

if TYPE_CHECKING:
    from tradingstack.llm.analyze import Assessment

SYSTEM = (
    "You explain a trading decision that has already been made. Write three or four short "
    "sentences for a trader. Use only the facts given and copy their numbers exactly. Do not "
    "mention any other price, chart pattern or market regime, and do not change the decision."
)

# --- vocabularies -------------------------------------------------------------------------------
REGIME_NAMES: dict[str, tuple[str, ...]] = {
    "bull_trend": ("bull trend", "bullish trend", "bull market", "bull regime", "bullish regime"),
    "bear_trend": ("bear trend", "bearish trend", "bear market", "bear regime", "bearish regime"),
    "sideways": ("sideways", "range bound", "ranging market", "ranging regime"),
    "high_volatility": ("high volatility", "volatile regime", "high vol regime"),
}
PATTERN_NAMES: dict[str, tuple[str, ...]] = {
    name: (name.replace("_", " "),) for name in PATTERN_BIAS
}
PATTERN_NAMES["channel_up"] += ("ascending channel", "rising channel", "upward channel")
PATTERN_NAMES["channel_down"] += ("descending channel", "falling channel", "downward channel")
PATTERN_NAMES["bull_flag"] += ("bullish flag",)
PATTERN_NAMES["bear_flag"] += ("bearish flag",)
PATTERN_NAMES["head_and_shoulders"] += ("head & shoulders",)
PATTERN_NAMES["inverse_head_and_shoulders"] += (
    "inverse head & shoulders",
    "inverted head and shoulders",
)
# generic words: allowed only when a detected pattern's name contains them
GENERIC_PATTERNS = ("triangle", "wedge", "flag", "channel", "pennant", "rectangle", "diamond",
                    "rounding bottom", "rounding top", "cup")  # fmt: skip

_STANCE = re.compile(
    r"\b(?:go|goes|going|stay|stays|be|get|enter|entering|open|opening|take|taking|"
    r"recommend(?:s|ed|ing)?|suggest(?:s|ed|ing)?|favou?r(?:s|ed|ing)?|prefer(?:s|red)?|"
    r"calls? for|direction(?: is)?:?|decision(?: is)?:?|call(?: is)?:?|signal(?: is)?:?|"
    r"bias(?: is)?:?|outlook(?: is)?:?)\s+"
    r"(?:a\s+|an\s+|the\s+|to\s+)?(long|short|neutral|buy|sell|bullish|bearish)\b"
)
_MOOD = re.compile(r"\b(?:looks|remains|is|seems|appears|turns?)\s+(bullish|bearish)\b")
_ACTION = re.compile(r"\b(buy|sell|short|long)(?:ing)?\s+(?:now|here|immediately)\b")
# trading actions: each argues for one side wherever it appears ("profit from shorting",
# "the right time to buy", "a short position")
_TRADE = re.compile(
    r"\b(buy|buying|bought|sell|selling|sold|shorting|(?:long|short) (?:position|positions|"
    r"trade|trades|side|entry))\b"
)
_TRADE_SIDE = {"buy": "long", "buying": "long", "bought": "long", "sell": "short",
               "selling": "short", "sold": "short", "shorting": "short"}  # fmt: skip
# a figure named for a role must be that role's figure in the evidence
_ROLES = re.compile(
    r"\b(confidence|risk ?/ ?reward|risk reward|entry|stop(?: loss)?|targets?|take profits?|"
    r"score)\b(?: ratio)?\s*(?:[a-z]+\s+|[:=(]\s*){0,4}"
    r"(\d[\d,]*(?:\.\d+)?)(?![\d.,]*\s*(?:%|atr\b|x\b|times\b|bars?\b|/100))"
)
_STANCE_OF = {"long": "long", "buy": "long", "bullish": "long", "short": "short",
              "sell": "short", "bearish": "short", "neutral": "neutral"}  # fmt: skip

_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:?\d{2}|Z)?)?"
    r"|\b\d{1,2}:\d{2}\b"
)
_NUMBER = re.compile(
    r"(?<![\w.])[-+]?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w])(\s*%|\s*percent)?"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Number:
    value: float
    decimals: int
    percent: bool
    text: str


def numbers(text: str) -> list[Number]:
    """The numbers written in a text (dates and times left out), e.g. 47,531.1 or 62%."""
    out = []
    for m in _NUMBER.finditer(_DATETIME.sub(" ", text)):
        digits = m.group(1).replace(",", "")
        dec = len(digits.split(".")[1]) if "." in digits else 0
        out.append(Number(float(digits), dec, bool(m.group(2)), m.group(0).strip()))
    return out


def _matches(n: Number, evidence: list[float]) -> bool:
    """`n` is an evidence number as written, or rounded; a percentage may also be a fraction
    of the evidence written in percent (a probability of 0.62 as 62%)."""
    tol = 0.5 * 10**-n.decimals + 1e-9
    for e in evidence:
        for cand in (e, e * 100) if n.percent else (e,):
            c = abs(cand)
            if abs(n.value - c) <= tol or (c and abs(n.value - c) <= 1e-3 * c):
                return True
    return False


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", text.lower()).split())


def _find(text: str, phrases: dict[str, tuple[str, ...]]) -> list[tuple[str, int, int]]:
    """(key, start, end) of every phrase found, longest phrases first, no overlaps."""
    found: list[tuple[str, int, int]] = []
    taken = [False] * len(text)
    pairs = sorted(((p, k) for k, ps in phrases.items() for p in ps), key=lambda x: -len(x[0]))
    for phrase, key in pairs:
        for m in re.finditer(rf"\b{re.escape(phrase)}s?\b", text):
            if not any(taken[m.start() : m.end()]):
                found.append((key, m.start(), m.end()))
                for i in range(m.start(), m.end()):
                    taken[i] = True
    return found


@dataclass
class Check:
    problems: list[str] = field(default_factory=list)
    cited: int = 0  # numbers from the evidence
    uncited: int = 0  # numbers not in the evidence
    sentences: int = 0


def check(text: str, a: Assessment) -> Check:
    """Every way `text` departs from the evidence of `a` (empty `problems`: accepted)."""
    out = Check()
    norm = _norm(text)
    direction = a.decision.direction
    # the call
    stances = {_STANCE_OF[m.group(1)] for m in _STANCE.finditer(norm)}
    stances |= {_STANCE_OF[m.group(1)] for m in _ACTION.finditer(norm)}
    stances |= {_STANCE_OF[m.group(1)] for m in _MOOD.finditer(norm)}
    for m in _TRADE.finditer(norm):
        word = m.group(1)
        stances.add(_TRADE_SIDE.get(word) or word.split()[0])
    if direction == "neutral":
        stances.discard("neutral")
        if stances:
            argued = "/".join(sorted(stances))
            out.problems.append(f"it argues for a {argued} trade; the call is no trade")
    else:
        other = stances - {direction}
        if other:
            out.problems.append(f"it argues {'/'.join(sorted(other))}; the call is {direction}")
    # leaked instructions
    if "explain this decision" in norm or "begin with" in norm:
        out.problems.append("it repeats the instructions")
    # figures named for a role
    for m in _ROLES.finditer(text.lower()):
        role, figure = m.group(1), numbers(m.group(2))
        allowed = _role_figures(role, a)
        if figure and allowed is not None and not _matches(figure[0], allowed):
            out.problems.append(
                f"it gives {m.group(2)} as the {role}; the evidence's is "
                + (", ".join(f"{x:g}" for x in allowed) or "none")
            )
    # regimes
    evidence_nums = [n.value for n in numbers(a.evidence + "\n" + facts(a))]
    for key, _, end in _find(norm, REGIME_NAMES):
        if a.regime is None:
            out.problems.append(f"it names the regime {key!r}, but there is no regime input")
        elif key != a.regime.current_regime:
            p = a.regime.probabilities.get(key)
            near = numbers(norm[end : end + 40])
            if p is None or not any(_matches(n, [p]) for n in near):
                out.problems.append(
                    f"it names the regime {key!r}; the evidence's regime is "
                    f"{a.regime.current_regime!r}"
                )
    # patterns
    detected = {d.pattern for d in (a.patterns.detections[:5] if a.patterns else [])}
    detected_words = " ".join(_norm(d) for d in detected)
    for key, _, _ in _find(norm, PATTERN_NAMES):
        if key not in detected:
            out.problems.append(f"it names the pattern {key!r}, which was not detected")
    for word in GENERIC_PATTERNS:
        specific = _find(norm, PATTERN_NAMES)
        for m in re.finditer(rf"\b{word}s?\b", norm):
            inside = any(s <= m.start() < e for _, s, e in specific)
            if not inside and word not in detected_words:
                out.problems.append(f"it names a {word} pattern, which was not detected")
                break
    # numbers
    band = (0.5 * a.last_close, 2 * a.last_close)
    for n in numbers(text):
        if _matches(n, evidence_nums):
            out.cited += 1
        elif n.decimals == 0 and n.value <= 10 and not band[0] <= n.value <= band[1]:
            continue  # "two targets", "3 ATR": a count, not a figure
        else:
            out.uncited += 1
            kind = "a price" if band[0] <= n.value <= band[1] and not n.percent else "a number"
            out.problems.append(f"it names {kind} ({n.text}) that is not in the evidence")
    # substance
    out.sentences = sum(1 for s in _SENTENCE_END.split(text.strip()) if len(s.split()) >= 3)
    if out.sentences < 2 or out.cited < 2:
        out.problems.append(
            f"too thin: {out.sentences} sentence(s) citing {out.cited} number(s) of the evidence "
            "(at least 2 and 2)"
        )
    out.problems = list(dict.fromkeys(out.problems))
    return out


def _role_figures(role: str, a: Assessment) -> list[float] | None:
    """The evidence's figures for a role (None: any number may follow the word)."""
    lv = a.levels
    if role == "confidence":
        pats = [d.confidence for d in a.patterns.detections[:5]] if a.patterns else []
        return [a.decision.confidence, *pats]
    if role.startswith("risk"):
        return [lv.risk_reward] if lv.risk_reward is not None else []
    if role == "entry":
        return [lv.entry] if lv.entry is not None else []
    if role.startswith("stop"):
        return [lv.stop_loss] if lv.stop_loss is not None else []
    if role.startswith(("target", "take")):
        return list(lv.take_profits)
    if role == "score":
        sc = next((s for s in a.signals if s.input == "score"), None)
        return [float(x) for x in re.findall(r"(\d+)/100", sc.reading)] if sc else []
    return None


# --- the facts the model sees, and the rationale built from them --------------------------------
def _edge_words(s: Signal) -> str:
    if s.input == "regime":
        return "context only, it does not vote" + (
            "" if s.has_edge else " (and it has no measured edge)"
        )
    return "has a measured edge" if s.has_edge else "no measured edge, so it counts for nothing"


def _call_words(a: Assessment) -> str:
    d = a.decision
    if d.direction == "neutral":
        return f"NO TRADE (neutral): {d.reason.removeprefix('no trade: ')}"
    return f"{d.direction.upper()} with confidence {d.confidence:.2f}; {d.reason}"


def facts(a: Assessment) -> str:
    """The user message for the model: the call, the levels and each input, with numbers."""
    lv = a.levels
    lines = [f"Facts for {a.symbol} {a.timeframe}:", f"- Last close: {price(a.last_close)}."]
    lines.append(f"- Decision: {_call_words(a)}.")
    if lv.entry is not None:
        targets = " and ".join(str(t) for t in lv.take_profits)
        lines.append(
            f"- Entry {lv.entry}, stop loss {lv.stop_loss}, target {targets}, "
            f"risk/reward {lv.risk_reward}."
        )
    for s in a.signals:
        lines.append(f"- {s.input.capitalize()}: {s.reading}; {_edge_words(s)}.")
    extras = []
    for k, v in a.indicators.items():
        if k.lower().startswith(("rsi", "adx")):
            extras.append(f"{k.split('_')[0].upper()} {v:.4g}")
    if a.atr is not None:
        extras.append(f"ATR {price(a.atr)}")
    if extras:
        lines.append("- " + ", ".join(extras) + ".")
    if a.missing:
        lines.append(f"- Not available: {', '.join(a.missing)}.")
    if a.preparing:
        lines.append(f"- Being prepared (not counted): {', '.join(a.preparing)}.")
    lines.append(f'Explain this decision in three sentences. Begin with: "{opening(a)}"')
    return "\n".join(lines)


def opening(a: Assessment) -> str:
    """The words the model is asked to begin with: the call and the last close."""
    call = "no trade" if a.decision.direction == "neutral" else a.decision.direction
    return f"The call is {call} at {price(a.last_close)} because"


def template(a: Assessment) -> str:
    """A rationale built from the evidence alone (deterministic)."""
    lv = a.levels
    counted = [s for s in a.signals if s.counted]
    ignored = [s for s in a.signals if not s.has_edge and s.input != "regime"]
    context = [s for s in a.signals if s.input == "regime"]
    out = [f"{a.symbol} {a.timeframe} at {price(a.last_close)}: {_call_words(a)}."]
    if counted:
        out.append(
            "Counted (measured edge on held-out data): "
            + "; ".join(f"{s.input} {s.reading}, {s.worth}" for s in counted)
            + "."
        )
    if ignored:
        out.append(
            "Counted for nothing (no demonstrated edge): "
            + "; ".join(f"{s.input} {s.reading}" for s in ignored)
            + "."
        )
    for s in context:
        out.append(
            f"The regime is {s.reading}: context only, as its measured quality is about the "
            "spread of returns, not their direction."
        )
    if not a.signals:
        out.append("No model input (forecast, patterns, regime, score) could be gathered.")
    if lv.entry is not None:
        out.append(
            f"Entry {lv.entry}, stop loss {lv.stop_loss}, targets "
            + " and ".join(str(t) for t in lv.take_profits)
            + f" (risk/reward {lv.risk_reward}): {', '.join(lv.basis)}."
        )
    if a.missing:
        out.append(f"Not available: {', '.join(a.missing)}.")
    if a.preparing:
        out.append(f"Being prepared (models training, not counted): {', '.join(a.preparing)}.")
    return " ".join(out)


def _tidy(text: str, cut: bool) -> str:
    text = re.sub(r"^\s*(?:rationale|explanation|answer)\s*:\s*", "", text.strip(), flags=re.I)
    text = " ".join(text.split())
    if cut:  # stopped at the cap: keep whole sentences
        ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", text)]
        if ends:
            text = text[: ends[-1]]
    return text[:1500]


@dataclass
class Rationale:
    text: str
    source: Literal["model", "evidence"]
    rejected: list[str]
    attempts: int
    model_text: list[str]
    check: Check | None = None


async def write(backend: Backend, a: Assessment, max_tokens: int, attempts: int = 2) -> Rationale:
    """The model's rationale when it passes `check` (one retry with the problems), else the one
    built from the evidence; a model that cannot answer also gets the evidence's."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": facts(a)}]
    rejected: list[str] = []
    drafts: list[str] = []
    for attempt in range(1, attempts + 1):
        try:
            gen = await generate_text(backend, messages, max_tokens)
        except BackendError as exc:
            rejected.append(f"attempt {attempt}: the model did not answer ({exc.detail})")
            return Rationale(template(a), "evidence", rejected, attempt, drafts)
        text = _tidy(gen.text, gen.finish_reason != "stop")
        drafts.append(gen.text[:2000])
        result = check(text, a)
        if not result.problems:
            return Rationale(text, "model", rejected, attempt, drafts, result)
        rejected.append(f"attempt {attempt}: " + "; ".join(result.problems))
        messages += [
            {"role": "assistant", "content": gen.text},
            {
                "role": "user",
                "content": "That explanation was rejected: "
                + "; ".join(result.problems)
                + ". Write it again from the facts only.",
            },
        ]
    return Rationale(template(a), "evidence", rejected, attempts, drafts)
