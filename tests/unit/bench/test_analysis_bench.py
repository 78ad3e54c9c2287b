"""bench/analysis_bench.py's pure parts: the stages of an `/analyze/stream` answer (its real
line shape, `tradingstack.llm.schemas.AnalyzeEvent`), the ratios and the backends' order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tradingstack.llm.schemas import AnalyzeEvent, InputStatus

from bench.analysis_bench import (
    BACKENDS,
    answer_summary,
    breakdown,
    model_input,
    order,
    summarize,
)


def _line(**kw: Any) -> str:
    """One NDJSON line as the llm service writes it."""
    return AnalyzeEvent(**kw).model_dump_json(exclude_none=True)


ANSWER: dict[str, Any] = {
    "direction": "neutral",
    "confidence": 0.0,
    "backend": "llamacpp",
    "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "rationale_source": "evidence",
    "rationale_note": "built from the evidence",
    "rationale_rejected": ["names a number the evidence does not contain"],
    "rationale": "No input has a measured edge, so no trade.",
    "attempts": 1,
    "gather_seconds": 0.5,
    "generation_seconds": 3.0,
    "inputs_used": ["bars", "forecast"],
    "inputs_missing": [],
    "inputs_preparing": [],
    "inputs": {
        "bars": {"ok": True, "seconds": 0.07, "cached": False},
        "forecast": {"ok": True, "seconds": 0.0, "cached": True},
        "rag": {"ok": True, "seconds": 0.0, "cached": True},
    },
}


def test_the_stages_are_timed_by_arrival() -> None:
    lines = [
        (
            0.10,
            _line(
                event="input", elapsed=0.08, input="bars", status=InputStatus(ok=True, seconds=0.07)
            ),
        ),
        (
            0.55,
            _line(
                event="input", elapsed=0.5, input="regime", status=InputStatus(ok=True, seconds=0.4)
            ),
        ),
        (
            0.30,
            _line(
                event="input",
                elapsed=0.2,
                input="rag",
                status=InputStatus(ok=False, seconds=0.1, error="timeout", state="missing"),
            ),
        ),
        (0.60, _line(event="decision", elapsed=0.58, direction="neutral", confidence=0.0)),
        (0.61, _line(event="rationale", elapsed=0.59)),
        (4.11, json.dumps({"event": "done", "elapsed": 4.1, "analysis": ANSWER})),
        (4.12, ""),  # a blank line is no stage
    ]
    b = breakdown(lines)
    assert [s["stage"] for s in b["stages"]] == [
        "input bars",
        "input regime",
        "input rag",
        "decision",
        "rationale",
        "done",
    ]
    assert b["gathering_s"] == 0.55 and b["slowest_input"] == "regime"
    assert b["generation_s"] == pytest.approx(3.5)
    assert b["total_s"] == 4.11
    rag = b["stages"][2]
    assert rag["ok"] is False and rag["state"] == "missing" and rag["error"] == "timeout"
    assert rag["server_elapsed_s"] == 0.2 and rag["arrived_s"] == 0.3
    assert b["stages"][3]["direction"] == "neutral"
    assert b["answer"]["rationale_source"] == "evidence"
    assert "error" not in b


def test_an_error_line_ends_the_stream_without_generation() -> None:
    lines = [
        (
            0.1,
            _line(
                event="input", elapsed=0.1, input="bars", status=InputStatus(ok=True, seconds=0.1)
            ),
        ),
        (0.2, _line(event="rationale", elapsed=0.2)),
        (0.9, _line(event="error", elapsed=0.9, problem_status=503, detail="model unavailable")),
    ]
    b = breakdown(lines)
    assert b["error"] == {"status": 503, "detail": "model unavailable"}
    assert b["generation_s"] is None and b["total_s"] == 0.9 and "answer" not in b


def test_the_answer_says_what_was_cached_and_carries_no_tokens() -> None:
    s = answer_summary(ANSWER)
    assert s["inputs_cached"] == ["forecast", "rag"]
    assert s["all_inputs_cached"] is True  # bars are fetched every time: they key the cache
    assert s["generation_tokens"] is None
    assert s["input_seconds"] == {"bars": 0.07, "forecast": 0.0, "rag": 0.0}
    cold = {**ANSWER, "inputs": {**ANSWER["inputs"], "rag": {"ok": True, "seconds": 0.2}}}
    assert answer_summary(cold)["all_inputs_cached"] is False
    usage = {"prompt_tokens": 300, "completion_tokens": 80}
    assert answer_summary({**ANSWER, "usage": usage})["generation_tokens"] == {"usage": usage}


def test_the_ratios_come_from_the_warm_medians() -> None:
    phases = [
        {"backend": "llamacpp", "cold_s": 12.0, "warm_s": [4.0, 6.0, 5.0]},
        {"backend": "llama-server", "cold_s": 9.0, "warm_s": [2.0, 3.0, 2.5]},
        {"backend": "llama-server", "cold_s": 11.0, "warm_s": [2.5, 2.5, 20.0]},
        {"backend": "llamacpp", "error": "boom", "cold_s": 1.0, "warm_s": [0.1]},  # ignored
    ]
    s = summarize(phases, target=5.0)
    cpp, srv = s["per_backend"]["llamacpp"], s["per_backend"]["llama-server"]
    assert cpp["phases"] == 1 and cpp["warm_median_s"] == 5.0 and cpp["cold_over_warm"] == 2.4
    assert cpp["meets_target_warm"] is False  # under the target, not at it
    assert srv["warm_n"] == 6 and srv["warm_median_s"] == 2.5 and srv["cold_median_s"] == 10.0
    assert srv["cold_over_warm"] == 4.0 and srv["meets_target_warm"] is True
    assert s["warm_llama_server_over_llamacpp"] == 0.5
    assert s["cold_llama_server_over_llamacpp"] == pytest.approx(10 / 12, abs=1e-3)
    assert srv["warm_median_by_phase_s"] == [2.5, 2.5]


def test_the_rationale_sources_are_counted_per_backend() -> None:
    def run(source: str) -> dict[str, Any]:
        return {"wall_s": 1.0, "answer": {"rationale_source": source}}

    phases = [
        {
            "backend": "llamacpp",
            "cold_s": 2.0,
            "warm_s": [1.0, 1.0],
            "cold": run("evidence"),
            "warm": [run("model"), run("evidence")],
            "warm_stream": run("evidence"),
        },
        {"backend": "llama-server", "cold_s": 2.0, "warm_s": [1.0], "warm": [run("model")]},
    ]
    s = summarize(phases)["per_backend"]
    assert s["llamacpp"]["rationale_sources"] == {"evidence": 3, "model": 1}
    assert s["llama-server"]["rationale_sources"] == {"model": 1}


def test_a_backend_without_a_phase_has_no_ratio() -> None:
    s = summarize([{"backend": "llamacpp", "cold_s": 3.0, "warm_s": [1.0]}])
    assert s["per_backend"]["llama-server"]["warm_median_s"] is None
    assert s["per_backend"]["llama-server"]["meets_target_warm"] is None
    assert s["warm_llama_server_over_llamacpp"] is None


def test_each_backend_goes_first_as_often() -> None:
    assert order(1) == list(BACKENDS)
    assert order(2) == [BACKENDS[0], BACKENDS[1], BACKENDS[1], BACKENDS[0]]


def test_the_model_is_given_the_facts_not_the_evidence() -> None:
    prompt = "Evidence:\n- forecast ...\n\nFacts for BTCUSD H1:\n- Last close: 1.0."
    assert model_input(prompt) == "Facts for BTCUSD H1:\n- Last close: 1.0."
    assert model_input("no facts header") == "no facts header"
