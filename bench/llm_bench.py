"""Analyze latency, split into gathering (the seven inputs, concurrently) and generation (the
embedded llama.cpp model, the bundled SmolLM2-135M-Instruct Q4_1, writing the rationale of the
call that the rule computed), and chat streaming latency (time to first token, total). Whether
each rationale was the model's or the one built from the evidence is recorded.

Upstreams: the REAL data, embedder and rag services; nhits, tcn and hmm are the local servers
in their API shapes from tests/unit/llm/upstreams.py (the real ones need trained models).
Run: `python -m bench llm_bench`.
"""

from __future__ import annotations

import json
import statistics
import time
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from tradingstack.core.data_client import DataClient
from tradingstack.llm.app import create_app
from tradingstack.llm.settings import LlmSettings
from tradingstack.rag.app import create_app as create_rag
from tradingstack.rag.settings import RagSettings

from bench.common import write_result
from tests.unit.embedder.helpers import serve_data, serve_embedder
from tests.unit.llm.upstreams import create_hmm, create_nhits, create_tcn
from tests.unit.servers import serve_app

CASES = [("BTCUSD", "H1"), ("NVDA", "D1"), ("BTCUSD", "H1"), ("NVDA", "D1")]


def main() -> None:
    with TemporaryDirectory() as tmp, ExitStack() as es:
        data = es.enter_context(serve_data(Path(tmp) / "data"))
        emb = es.enter_context(serve_embedder(data))
        rag = es.enter_context(
            serve_app(create_rag(RagSettings(dir=Path(tmp) / "rag", embedder_url=emb)))
        )
        docs = [
            {
                "text": "Bitcoin hit a record near 69,000 dollars in November 2021.",
                "symbol": "BTCUSD",
                "source": "news",
            },
            {
                "text": "Nvidia's data-center revenue surged on demand for AI GPUs.",
                "symbol": "NVDA",
                "source": "news",
            },
        ]
        httpx.post(f"{rag}/api/v1/documents/batch", json={"documents": docs}, timeout=120)
        settings = LlmSettings(
            n_ctx=2048,
            max_tokens=256,
            chat_max_tokens=64,
            rag_url=rag,
            nhits_url=es.enter_context(serve_app(create_nhits(data))),
            tcn_url=es.enter_context(serve_app(create_tcn(data))),
            hmm_url=es.enter_context(serve_app(create_hmm(data))),
        )
        t0 = time.perf_counter()
        app = create_app(settings, data_client=DataClient(data))
        url = es.enter_context(serve_app(app))
        load_s = time.perf_counter() - t0
        c = es.enter_context(httpx.Client(base_url=url, timeout=600))
        runs: list[dict[str, Any]] = []
        for symbol, tf in CASES:
            t0 = time.perf_counter()
            r = c.post("/api/v1/analyze", json={"symbol": symbol, "timeframe": tf})
            wall = time.perf_counter() - t0
            a = r.json()
            run = {
                "symbol": symbol,
                "timeframe": tf,
                "status": r.status_code,
                "wall_s": round(wall, 3),
            }
            if r.status_code == 200:
                run.update(
                    gather_s=a["gather_seconds"],
                    generation_s=a["generation_seconds"],
                    attempts=a["attempts"],
                    direction=a["direction"],
                    confidence=a["confidence"],
                    counted=[x["input"] for x in a["signals"] if x["counted"]],
                    rationale_source=a["rationale_source"],
                    rationale_rejected=a["rationale_rejected"],
                    inputs_missing=a["inputs_missing"],
                    answer={
                        k: a[k]
                        for k in ("entry", "stop_loss", "take_profits", "risk_reward", "rationale")
                    },
                )
            else:
                run["error"] = a.get("detail")
            print(run, flush=True)
            runs.append(run)
        chats = []
        for msg in ("What does RSI above 70 suggest?", "Explain a stop-loss in one sentence."):
            t0 = time.perf_counter()
            first = None
            pieces = 0
            with c.stream("POST", "/api/v1/chat", json={"message": msg, "stream": True}) as s:
                for line in s.iter_lines():
                    if line.startswith("data: ") and "delta" in line:
                        pieces += 1
                        first = first or time.perf_counter() - t0
            chats.append(
                {
                    "first_token_s": round(first or 0, 3),
                    "total_s": round(time.perf_counter() - t0, 3),
                    "pieces": pieces,
                }
            )
        ok = [r for r in runs if r["status"] == 200]

        def med(key: str) -> float | None:
            return round(statistics.median(r[key] for r in ok), 3) if ok else None

        result = {
            "backend": "llamacpp",
            "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
            "n_ctx": settings.n_ctx,
            "max_tokens": settings.max_tokens,
            "app_start_s": round(load_s, 3),
            "analyze": {
                "runs": runs,
                "median_gather_s": med("gather_s"),
                "median_generation_s": med("generation_s"),
                "median_wall_s": med("wall_s"),
                "rationale_from_model": sum(r.get("rationale_source") == "model" for r in ok),
                "ok": len(ok),
                "total": len(runs),
            },
            "chat_stream": chats,
            "note": "CPU, 2 cores shared with other work (load average ~8 during the run); "
            "nhits/tcn/hmm are local stand-in servers in their API shapes.",
        }
        path = write_result("llm", result)
        print(path, json.dumps(result["analyze"], default=str)[:400], chats)


if __name__ == "__main__":
    main()
