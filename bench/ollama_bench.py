"""llama.cpp in-process (the llm service's LlamaCppBackend, llama-cpp-python) against Ollama (the
pinned `ollama` from hack/ollama_server.py, through the service's OllamaBackend): the same GGUF
(the bundled SmolLM2-135M-Instruct Q4_1, imported into Ollama with `FROM ./model.gguf`), the
same prompt, the same sampling (greedy), context (2048) and threads (1: with 2 threads on this
shared 2-core machine ggml's threads spin on their barrier, 2.7 s a token for Ollama).

llama.cpp twice: as the service configures it (LlamaCppBackend sets n_threads; llama-cpp-python
then processes the prompt with n_threads_batch = every core), and with the prompt on the same
one thread (llama_set_n_threads), which is what Ollama's num_thread does for both phases.

Per run: time to first token (request to first streamed piece: prompt processing included)
and decode speed (tokens after the first / time after the first). Tokens are counted with the
same tokenizer for both (the GGUF's, through llama.cpp), not with each engine's own count. The
runs rotate through the engines (each in each position as often), and
each run's prompt starts with its own number so that no prefix cache spares the prompt.

Run: `python -m bench ollama_bench` (builds ollama first when it is missing).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tradingstack.llm.backends import Backend, LlamaCppBackend, OllamaBackend
from tradingstack.llm.settings import LlmSettings, bundled_gguf

from bench.common import load_hack, write_result

RUNS = int(os.environ.get("TS_BENCH_OLLAMA_RUNS", "6"))
MAX_TOKENS = 128
THREADS = 1
N_CTX = 2048
SYSTEM = (
    "You are TradingStack's market assistant. Be concise and factual; say when you do not "
    "know. You give analysis, not financial advice."
)
QUESTION = (
    "Bitcoin closed at 67,250 dollars, up 4.2 % on the week; RSI(14) is 71, the 50-day "
    "average is rising, volume is 30 % above its 20-day mean and the regime model says bull "
    "with 0.68 probability. Explain, step by step, what these readings suggest for the next "
    "few days, what would invalidate that view, and how a careful trader would size a position."
)


def messages(run: int) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": f"Session {run}. {SYSTEM}"},
        {"role": "user", "content": QUESTION},
    ]


async def one(backend: Backend, run: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    async for piece in backend.stream(messages(run), max_tokens=MAX_TOKENS):
        if isinstance(piece, str) and piece:
            if first is None:
                first = time.perf_counter()
            pieces.append(piece)
    end = time.perf_counter()
    return {"t0": t0, "first": first, "end": end, "text": "".join(pieces)}


def measure(raw: dict[str, Any], tokenize: Any) -> dict[str, Any]:
    tokens = len(tokenize(raw["text"]))
    first, end = raw["first"], raw["end"]
    decode_s = end - first if first is not None else 0.0
    return {
        "ttft_s": round(first - raw["t0"], 4) if first is not None else None,
        "total_s": round(end - raw["t0"], 4),
        "tokens": tokens,
        "decode_tokens_per_s": round((tokens - 1) / decode_s, 2) if decode_s > 0 else None,
        "text_head": raw["text"][:80],
    }


def med(rows: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in rows if r[key] is not None), 4)


async def bench(ollama_url: str, cold_ollama_s: float) -> dict[str, Any]:
    base: dict[str, Any] = {
        "n_ctx": N_CTX,
        "n_threads": THREADS,
        "temperature": 0.0,
        "max_tokens": MAX_TOKENS,
    }
    t0 = time.perf_counter()
    llama = LlamaCppBackend(LlmSettings(backend="llamacpp", **base))
    await llama.start()
    llama_load_s = time.perf_counter() - t0
    assert llama._llm is not None, llama.error
    prompt_threads = int(llama._llm.n_threads_batch)
    # LlamaCppBackend sets n_threads only: llama-cpp-python then processes the prompt with
    # n_threads_batch = every core. The same model with the prompt on THREADS too:
    import llama_cpp

    llama_eq = LlamaCppBackend(LlmSettings(backend="llamacpp", **base))
    await llama_eq.start()
    assert llama_eq._llm is not None, llama_eq.error
    llama_cpp.llama_set_n_threads(llama_eq._llm.ctx, THREADS, THREADS)
    ollama = OllamaBackend(
        LlmSettings(backend="ollama", model="smollm2", ollama_url=ollama_url, **base)
    )
    assert ollama._options(None)["num_thread"] == THREADS  # from n_threads, as llama.cpp's

    def tokenize(text: str) -> list[int]:
        return list(llama._llm.tokenize(text.encode(), add_bos=False, special=False))

    t0 = time.perf_counter()
    warm = await one(ollama, -1)  # loads the model into Ollama's runner
    ollama_first_request_s = time.perf_counter() - t0
    await one(llama, -1)  # the same warm-up for llama.cpp
    await one(llama_eq, -1)
    engines: list[tuple[str, Backend]] = [
        ("llamacpp", llama),
        ("llamacpp_prompt_threads_equal", llama_eq),
        ("ollama", ollama),
    ]
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in engines}
    for run in range(RUNS):
        shift = run % len(engines)  # each engine in each position as often
        for name, backend in engines[shift:] + engines[:shift]:
            row = measure(await one(backend, run), tokenize)
            rows[name].append(row)
            print(name, run, {k: v for k, v in row.items() if k != "text_head"}, flush=True)
    warmup_tokens = len(tokenize(warm["text"]))
    await ollama.aclose()
    await llama.aclose()
    await llama_eq.aclose()
    out: dict[str, Any] = {}
    for name, rs in rows.items():
        out[name] = {
            "median_ttft_s": med(rs, "ttft_s"),
            "median_decode_tokens_per_s": med(rs, "decode_tokens_per_s"),
            "median_tokens": statistics.median(r["tokens"] for r in rs),
            "runs": rs,
        }
    out["llamacpp"]["load_s"] = round(llama_load_s, 3)
    out["ollama"]["server_start_and_create_s"] = round(cold_ollama_s, 3)
    out["ollama"]["first_request_s"] = round(ollama_first_request_s, 3)
    out["ollama"]["warmup_tokens"] = warmup_tokens
    out["llamacpp"]["threads"] = {"decode": THREADS, "prompt": prompt_threads}
    out["llamacpp_prompt_threads_equal"]["threads"] = {"decode": THREADS, "prompt": THREADS}
    ol = out["ollama"]
    for name in ("llamacpp", "llamacpp_prompt_threads_equal"):
        lc = out[name]
        out[f"ratio_ollama_over_{name}"] = {
            "decode_tokens_per_s": round(
                ol["median_decode_tokens_per_s"] / lc["median_decode_tokens_per_s"], 3
            ),
            "ttft": round(ol["median_ttft_s"] / lc["median_ttft_s"], 3),
        }
    return out


def main() -> None:
    hack = load_hack("ollama_server")
    binary = hack.binary()  # builds it when missing
    gguf = bundled_gguf()
    with tempfile.TemporaryDirectory(prefix="ts-ollama-bench-") as home:
        t0 = time.perf_counter()
        server = hack.OllamaServer(binary, Path(home), hack.cp.free_port()).start()
        try:
            server.create("smollm2", gguf, {"num_ctx": N_CTX})  # llama.cpp's n_ctx
            cold_s = time.perf_counter() - t0
            result = asyncio.run(bench(server.url, cold_s))
        finally:
            server.stop()
    build = binary.parent / "build.json"
    result = {
        "model": gguf.name,
        "prompt": {"system": SYSTEM, "user": QUESTION},
        "max_tokens": MAX_TOKENS,
        "n_ctx": N_CTX,
        "threads": THREADS,
        "sampling": "greedy (temperature 0), repeat_penalty from LlmSettings for both",
        "runs_each": RUNS,
        "ollama_version": hack.pinned_version(),
        "ollama_build": json.loads(build.read_text()) if build.is_file() else None,
        **result,
        "note": "CPU only, 2 cores shared with other work during the run: compare the ratio "
        "(alternating runs, one session), not the absolute numbers. ttft includes the prompt "
        "(~110 tokens); decode speed excludes it.",
    }
    path = write_result("ollama", result)
    print(path, {k: v for k, v in result.items() if k.startswith("ratio")})


if __name__ == "__main__":
    main()
