"""The analysis's rule (direction and confidence from the inputs' signals and their measured
quality), its computed levels, the rationale check against the evidence, and the chat's
repetition stop. Fast: no model, no server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tradingstack.core.timeframes import Timeframe
from tradingstack.llm import rationale
from tradingstack.llm.analyze import Assessment, Scores, assess
from tradingstack.llm.backends import BackendError, Finish
from tradingstack.llm.decision import NO_EDGE, PATTERN_BIAS, Signal, decide
from tradingstack.llm.generation import RepetitionGuard, generate_text
from tradingstack.tcn.patterns import PATTERNS

from tests.unit.llm import evidence as ev

BARS = ev.synthetic_bars()  # last close 111.9, ATR about 1.11


def _assess(name: str | None = None, **answers: Any) -> Assessment:
    got = ev.scenario(BARS, name) if name else answers
    return assess("TEST", Timeframe.H1, ev.gathered(BARS, None, **got))


# --- the rule -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ev.SCENARIOS)
def test_the_rule_on_the_fixed_cases(name: str) -> None:
    a = _assess(name)
    assert a.decision.direction == ev.EXPECTED[name], a.decision
    if a.decision.direction == "neutral":
        assert a.decision.confidence == 0 and a.levels.entry is None
    else:
        assert 0.25 <= a.decision.confidence <= 1
    # only the inputs with a measured edge took part
    assert a.decision.counted == [s.input for s in a.signals if s.has_edge and s.input != "regime"]


def test_no_input_with_an_edge_is_no_trade_whatever_they_say() -> None:
    """The issue's case: a bear regime at 98 %, a falling forecast, a double top, all without a
    measured edge: no trade, and the rationale built from the evidence says why."""
    a = _assess("no_edge")
    assert a.decision.direction == "neutral" and a.decision.confidence == 0
    assert NO_EDGE in a.decision.reason
    assert a.levels.entry is None and a.levels.take_profits == []
    assert NO_EDGE in rationale.template(a)


def test_a_missing_quality_counts_as_no_edge() -> None:
    strong_up = ev.forecast(BARS, 3.0, None)  # no `quality` on the answer
    a = _assess(forecast=strong_up)
    assert a.signals[0].vote == 1 and not a.signals[0].has_edge
    assert a.decision.direction == "neutral" and NO_EDGE in a.decision.reason
    with_edge = _assess(forecast=ev.forecast(BARS, 3.0, ev.quality(True)))
    assert with_edge.decision.direction == "long"


def test_an_input_without_an_edge_cannot_outvote_one_with_an_edge() -> None:
    up_edge = ev.forecast(BARS, 1.0, ev.quality(True))
    down_no_edge = Scores(
        long=ev.score(BARS, "long", 0.02, ev.quality(False)),
        short=ev.score(BARS, "short", 0.95, ev.quality(False)),
    )
    a = _assess(
        forecast=up_edge,
        score=down_no_edge,
        patterns=ev.patterns(BARS, [("head_and_shoulders", 0.99)], None),
        regime=ev.regime(BARS, "bear_trend", 0.99, ev.quality(True)),  # context only
    )
    assert a.decision.direction == "long" and a.decision.counted == ["forecast"]


def test_net_is_the_mean_of_the_counted_votes() -> None:
    def sig(name: str, vote: int, strength: float, edge: bool = True) -> Signal:
        return Signal(name, vote, strength, edge, "")

    assert decide([sig("forecast", 1, 0.6), sig("score", -1, 0.2)]).net == pytest.approx(0.2)
    assert decide([sig("forecast", 1, 0.6), sig("score", -1, 0.2)]).direction == "neutral"
    assert decide([sig("forecast", 1, 0.6), sig("score", 1, 0.2)]).direction == "long"
    assert decide([sig("forecast", -1, 0.3), sig("score", 1, 0.9, edge=False)]).direction == (
        "short"
    )
    assert decide([sig("regime", 1, 1.0)]).direction == "neutral"  # the regime never votes
    assert decide([]).reason == f"no trade: {NO_EDGE}"


def test_every_tcn_pattern_has_a_bias() -> None:
    assert set(PATTERN_BIAS) == set(PATTERNS)


# --- the levels -----------------------------------------------------------------------------------
def test_levels_are_computed_from_the_close_atr_and_forecast() -> None:
    atr = 1.1125  # synthetic bars: 1 % range at about 111
    a = _assess("missing_inputs")  # long from the scores; no forecast: ATR multiples
    lv = a.levels
    assert a.atr == pytest.approx(atr, rel=0.01)
    assert lv.entry == 111.9
    assert lv.stop_loss == pytest.approx(111.9 - 1.5 * atr, abs=0.01)
    assert lv.take_profits == pytest.approx([111.9 + 1.5 * atr, 111.9 + 3 * atr], abs=0.01)
    assert lv.risk_reward == pytest.approx(1.0, abs=0.01)
    s = _assess("agree_short").levels  # the forecast has an edge: its median is the target
    assert s.stop_loss > s.entry > s.take_profits[0] > s.take_profits[1]
    assert s.take_profits[0] == pytest.approx(111.9 * 0.985, abs=0.01)


def test_without_an_atr_there_is_no_call() -> None:
    few = ev.synthetic_bars(n=10)
    got = ev.gathered(few, None, forecast=ev.forecast(few, 2.0, ev.quality(True)))
    a = assess("TEST", Timeframe.H1, got)
    assert a.decision.direction == "neutral" and "no stop or target" in a.decision.reason


# --- the rationale check --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ev.SCENARIOS)
def test_the_rationale_built_from_the_evidence_passes_the_check(name: str) -> None:
    a = _assess(name)
    result = rationale.check(rationale.template(a), a)
    assert result.problems == [] and result.cited >= 2


GOOD = (
    "The call is long with confidence 0.65 because the forecast with a measured edge expects "
    "113.578 in 24 bars, 1.50% above the last close of 111.9. The long score is 48/100 against "
    "a base rate of 30%, and the short score is 20/100. Entry is 111.9 with a stop loss at "
    "110.788 and targets 113.578 and 114.714."
)


def test_a_rationale_that_keeps_to_the_evidence_is_accepted() -> None:
    result = rationale.check(GOOD, _assess("agree_long"))
    assert result.problems == [] and result.cited >= 8 and result.sentences == 3


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD + " The bear trend argues for caution.", "regime 'bear_trend'"),
        (GOOD + " A high-volatility regime is under way.", "regime 'high_volatility'"),
        (GOOD + " A cup and handle has formed.", "pattern 'cup_and_handle'"),
        (GOOD + " The head-and-shoulders top confirms it.", "pattern 'head_and_shoulders'"),
        (GOOD + " A pennant is forming.", "pennant pattern"),
        (GOOD + " Resistance sits at 118.25.", "a price (118.25)"),
        (GOOD + " RSI is 71 and overbought.", "(71)"),
        (GOOD + " Better to go short here.", "argues short"),
        (GOOD + " Sell now.", "argues short"),
        ("Bullish.", "too thin"),
        ("bear-trend,", "too thin"),
        # seen from the small models in bench/results/llm_rationale.json
        (GOOD + " You can expect more profit from shorting.", "argues short"),
        (GOOD + " The confidence of 0.93 is high.", "0.93 as the confidence"),
        (GOOD + " The risk/reward is low at 1.559.", "1.559 as the risk/reward"),
        (GOOD + " It has an average score of 14.43.", "14.43 as the score"),
        (GOOD + " Explain this decision in three sentences.", "repeats the instructions"),
    ],
)
def test_a_rationale_naming_what_the_evidence_lacks_is_rejected(text: str, problem: str) -> None:
    a = _assess("agree_long")  # regime bull_trend, pattern bull_flag
    problems = rationale.check(text, a).problems
    assert any(problem in p for p in problems), problems


def test_another_regime_may_be_named_with_its_probability_from_the_evidence() -> None:
    a = _assess("agree_long")  # bull_trend 0.74, the other three 0.09 (shown as 0.09)
    text = GOOD + " The bear trend has a probability of only 0.09."
    assert rationale.check(text, a).problems == []


def test_no_regime_input_means_no_regime_may_be_named() -> None:
    a = _assess(forecast=ev.forecast(BARS, 1.5, ev.quality(True)))
    text = "The call is long. The forecast expects 113.578, above 111.9, in a bull trend."
    assert any("no regime input" in p for p in rationale.check(text, a).problems)


@pytest.mark.parametrize(
    "tail", ["Still, go long.", "It is an entry point for a short position.", "Buy the dip."]
)
def test_a_no_trade_rationale_may_not_recommend_a_trade(tail: str) -> None:
    a = _assess("no_edge")
    text = (
        "No input has a demonstrated edge, so the call is neutral at 111.9. "
        f"The long score is 31/100 and the short score 30/100. {tail}"
    )
    assert any("no trade" in p for p in rationale.check(text, a).problems)


def test_a_short_rationale_may_not_say_buy() -> None:
    a = _assess("agree_short")
    text = (
        "The call is short at 111.9 because the forecast expects 110.222. The stop loss is "
        "113.012 and the first target 110.222. It is the right time to buy."
    )
    assert rationale.check(text, a).problems == ["it argues long; the call is short"]


# --- the model writes the rationale; it cannot change the call -----------------------------------
class Scripted:
    """A backend that answers the given texts in order (one per call), streamed in pieces."""

    name = "scripted"
    model = "scripted"

    def __init__(self, *answers: str, fail: bool = False) -> None:
        self.answers = list(answers)
        self.fail = fail
        self.calls: list[list[dict[str, str]]] = []

    async def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int | None = None
    ) -> AsyncIterator[str | Finish]:
        self.calls.append(messages)
        if self.fail:
            raise BackendError(503, "the model is not loaded")
        text = self.answers.pop(0)
        for i in range(0, len(text), 7):
            yield text[i : i + 7]
        yield Finish("stop")


def test_the_models_direction_never_reaches_the_answer() -> None:
    a = _assess("agree_long")
    contrary = (
        '{"direction": "short", "confidence": 0.95, "rationale": "Bear trend: go short, '
        'target 95.5."}'
    )
    backend = Scripted(contrary, "SHORT. Sell now, the head and shoulders says so at 104.2.")
    out = asyncio.run(rationale.write(backend, a, 200))  # type: ignore[arg-type]
    assert out.source == "evidence" and out.attempts == 2 and len(out.rejected) == 2
    assert "argues short" in out.rejected[0] and "bear_trend" in out.rejected[0]
    assert "head_and_shoulders" in out.rejected[1]
    assert out.text == rationale.template(a) and rationale.check(out.text, a).problems == []
    assert "bear" not in out.text.lower() and "sell" not in out.text.lower()
    # the retry told the model what was wrong
    assert "rejected" in backend.calls[1][-1]["content"]


def test_a_good_second_rationale_is_used() -> None:
    a = _assess("agree_long")
    out = asyncio.run(rationale.write(Scripted("Bullish.", GOOD), a, 200))  # type: ignore[arg-type]
    assert out.source == "model" and out.text == GOOD and out.attempts == 2


def test_a_model_that_cannot_answer_gets_the_evidence_rationale() -> None:
    a = _assess("agree_short")
    out = asyncio.run(rationale.write(Scripted(fail=True), a, 200))  # type: ignore[arg-type]
    assert out.source == "evidence" and "did not answer" in out.rejected[0]
    assert out.text.startswith("TEST H1 at 111.9: SHORT")


# --- repetition and the cap ------------------------------------------------------------------
PARA = "Bitcoin is a decentralised digital currency traded around the clock."


def _feed(text: str, step: int = 3) -> tuple[str, RepetitionGuard]:
    g = RepetitionGuard()
    shown = ""
    for i in range(0, len(text), step):
        shown += g.feed(text[i : i + step])
        if g.stopped:
            break
    return shown + g.flush(), g


def test_a_repeated_paragraph_is_stopped_and_never_shown() -> None:
    shown, g = _feed("\n\n".join([PARA, "It has no central bank.", *[PARA] * 6]))
    assert g.stopped and shown.count("decentralised") == 1
    assert shown.strip() == f"{PARA}\n\nIt has no central bank."


def test_a_loop_without_sentence_ends_is_stopped() -> None:
    shown, g = _feed("The answer is " + "buy the dip and hold " * 12)
    assert g.stopped and shown.count("buy the dip") <= 2


def test_text_without_repeats_passes_unchanged() -> None:
    text = "One sentence here is fine. Another one follows it.\n\nA new paragraph ends it."
    shown, g = _feed(text)
    assert not g.stopped and shown == text


def test_generate_text_reports_repetition_and_the_cap() -> None:
    loop = Scripted(" ".join([PARA] * 5))
    got = asyncio.run(generate_text(loop, [], 100))  # type: ignore[arg-type]
    assert got.finish_reason == "repetition" and got.text == PARA

    class Capped(Scripted):
        async def stream(self, messages: Any, *, max_tokens: int | None = None) -> Any:
            yield "Cut here"
            yield Finish("length")

    got = asyncio.run(generate_text(Capped(), [], 2))  # type: ignore[arg-type]
    assert got.finish_reason == "length" and got.text == "Cut here"
