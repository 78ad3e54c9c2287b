"""The LLM analyst with the REAL embedded model (llama.cpp, the bundled SmolLM2 GGUF), the real
data, embedder and RAG services, and local nhits/tcn/hmm servers in their API shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from tradingstack.core.data_client import DataClient
from tradingstack.llm.app import create_app
from tradingstack.llm.backends import LlamaCppBackend
from tradingstack.llm.settings import LlmSettings
from tradingstack.rag.app import create_app as create_rag
from tradingstack.rag.settings import RagSettings

from tests.unit.embedder.helpers import serve_data, serve_embedder
from tests.unit.llm.upstreams import create_hmm, create_nhits, create_tcn
from tests.unit.servers import free_port, serve_app

ALL = ["bars", "indicators", "forecast", "patterns", "regime", "score", "rag"]


@dataclass
class Stack:
    data: str
    rag: str
    nhits: str
    tcn: str
    hmm: str
    slow_hmm: str
    backend: LlamaCppBackend


def _settings(stack: Stack, **kw: object) -> LlmSettings:
    base: dict[str, object] = {
        "n_ctx": 2048,
        "max_tokens": 200,
        "chat_max_tokens": 16,
        "rationale_max_tokens": 120,
        "rationale_attempts": 1,
        "bars": 120,
        "rag_k": 2,
        "upstream_timeout_seconds": 8.0,
        "nhits_url": stack.nhits,
        "tcn_url": stack.tcn,
        "hmm_url": stack.hmm,
        "rag_url": stack.rag,
    }
    return LlmSettings(**{**base, **kw})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("llm")
    with ExitStack() as es:
        data = es.enter_context(serve_data(tmp / "data"))
        emb = es.enter_context(serve_embedder(data))
        rag = es.enter_context(
            serve_app(create_rag(RagSettings(dir=tmp / "rag", embedder_url=emb)))
        )
        docs = [
            {
                "text": "Bitcoin rallied to a record above 68,000 dollars in November 2021 as "
                "futures ETFs launched.",
                "symbol": "BTCUSD",
                "source": "news",
                "time": "2021-11-10T00:00:00Z",
            },
            {
                "text": "Nvidia's gaming revenue rose on strong GPU demand.",
                "symbol": "NVDA",
                "source": "news",
            },
        ]
        r = httpx.post(f"{rag}/api/v1/documents/batch", json={"documents": docs}, timeout=60)
        assert r.status_code == 200, r.text
        backend = LlamaCppBackend(LlmSettings(n_ctx=2048, max_tokens=200))
        backend._load()
        yield Stack(
            data=data,
            rag=rag,
            nhits=es.enter_context(serve_app(create_nhits(data))),
            tcn=es.enter_context(serve_app(create_tcn(data))),
            hmm=es.enter_context(serve_app(create_hmm(data))),
            slow_hmm=es.enter_context(serve_app(create_hmm(data, delay=5.0))),
            backend=backend,
        )
        backend._llm.close()


def _llm(stack: Stack, data_url: str | None = None, **kw: object) -> ExitStack:
    es = ExitStack()
    data = DataClient(data_url or stack.data, attempts=1)
    app = create_app(_settings(stack, **kw), backend=stack.backend, data_client=data)
    url = es.enter_context(serve_app(app))
    es.client = es.enter_context(httpx.Client(base_url=url, timeout=300))  # type: ignore[attr-defined]
    return es


@pytest.fixture(scope="module")
def llm(stack: Stack) -> Iterator[httpx.Client]:
    with _llm(stack) as es:
        yield es.client  # type: ignore[attr-defined]


def test_health_and_model(llm: httpx.Client) -> None:
    h = llm.get("/health").json()
    assert h["status"] == "healthy" and h["details"]["backend"] == "llamacpp"
    info = llm.get("/api/v1/model").json()
    assert info["backend"] == "llamacpp" and info["model"] == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_analyze_with_every_upstream_up(llm: httpx.Client, stack: Stack) -> None:
    r = llm.post(
        "/api/v1/analyze", json={"symbol": "btcusd", "timeframe": "H1", "include_prompt": True}
    )
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["inputs_used"] == ALL and a["inputs_missing"] == []
    assert all(s["ok"] for s in a["inputs"].values())
    bars = httpx.get(f"{stack.data}/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": 1})
    assert a["last_close"] == bars.json()["bars"][-1]["close"]
    prompt = a["prompt"]
    for piece in (
        "Forecast (NHITS): next 24 bars",
        "ascending_triangle p=0.72",
        "current regime bull trend; probabilities bull trend 0.62",
        "long 64/100, short 31/100",
        "record above 68,000",
        "Indicators (latest):",
        "Decision (by the rule, from the inputs with an edge):",
        "Explain this decision",  # the facts the model was given
    ):
        assert piece in prompt, piece
    assert "Not available" not in prompt
    # the call is the rule's: the nhits double's forecast (rising, with an edge) counts
    counted = [s["input"] for s in a["signals"] if s["counted"]]
    assert "forecast" in counted and a["direction"] == "long" and 0.25 <= a["confidence"] <= 1
    assert a["attempts"] == 1 and a["backend"] == "llamacpp"
    assert a["gather_seconds"] > 0 and a["generation_seconds"] > 0
    assert a["stop_loss"] < a["entry"] < min(a["take_profits"])
    assert a["entry"] == pytest.approx(a["last_close"], rel=1e-5)
    expect = abs(a["take_profits"][0] - a["entry"]) / abs(a["entry"] - a["stop_loss"])
    assert a["risk_reward"] == pytest.approx(expect, abs=1e-3)
    # the real model's rationale is used only when it keeps to the evidence; else the
    # evidence's, and the answer says which
    assert a["rationale_source"] in ("model", "evidence")
    if a["rationale_source"] == "evidence":
        assert a["rationale_rejected"] and a["rationale_note"]
        assert a["rationale"].startswith("BTCUSD H1 at")
    assert len(a["rationale"].split(". ")) >= 2
    metrics = llm.get("/metrics").text
    assert 'tradingstack_llm_analyses_total{outcome="rationale_' in metrics


def test_analyze_with_upstreams_down_lists_them_and_invents_nothing(stack: Stack) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with _llm(
        stack, nhits_url=down, tcn_url=down, hmm_url=stack.slow_hmm, upstream_timeout_seconds=1.0
    ) as es:
        r = es.client.post(
            "/api/v1/analyze",  # type: ignore[attr-defined]
            json={"symbol": "BTCUSD", "timeframe": "H1", "include_prompt": True},
        )
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["inputs_missing"] == ["forecast", "patterns", "regime", "score"]
    assert a["inputs_used"] == ["bars", "indicators", "rag"]
    assert "unreachable" in a["inputs"]["forecast"]["error"]
    assert "timed out" in a["inputs"]["regime"]["error"]
    prompt = a["prompt"]
    assert (
        "Not available (do not assume anything about them): forecast, patterns, regime, score"
        in prompt
    )
    for absent in ("NHITS", "TCN", "HMM", "LightGBM"):
        assert absent not in prompt


def test_analyze_bad_input_unknown_symbol_and_no_data(llm: httpx.Client, stack: Stack) -> None:
    for body, status, words in [
        ({}, 422, "symbol"),
        ({"symbol": "BTCUSD", "timeframe": "W1"}, 422, "timeframe"),
        ({"symbol": "BTC USD"}, 422, "symbol"),
        ({"symbol": "NOSUCH", "timeframe": "D1"}, 404, "NOSUCH"),
    ]:
        r = llm.post("/api/v1/analyze", json=body)
        assert r.status_code == status and words in r.text, r.text
        assert r.headers["content-type"] == "application/problem+json"
    with _llm(stack, data_url=f"http://127.0.0.1:{free_port()}") as es:
        r = es.client.post("/api/v1/analyze", json={"symbol": "BTCUSD"})  # type: ignore[attr-defined]
    assert r.status_code == 503
    assert "bars" in r.json()["inputs_missing"] and "invented" in r.json()["detail"]


def test_chat_session_and_streaming(llm: httpx.Client) -> None:
    r = llm.post("/api/v1/chat", json={"message": "What is a stop-loss order?"})
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["reply"].strip() and first["messages"] == 2
    sid = first["session_id"]
    events: list[tuple[str, dict[str, object]]] = []
    with llm.stream(
        "POST",
        "/api/v1/chat",
        json={"message": "Say it shorter.", "session_id": sid, "stream": True},
    ) as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        event = "message"
        for line in s.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[6:])))
                event = "message"
    assert events[0] == ("session", {"session_id": sid})
    deltas = [e[1]["delta"] for e in events if e[0] == "message"]
    assert len(deltas) >= 2
    done = events[-1]
    assert done[0] == "done" and done[1]["reply"] == "".join(deltas)  # type: ignore[index]
    detail = llm.get(f"/api/v1/chat/sessions/{sid}").json()
    assert [m["role"] for m in detail["history"]] == ["user", "assistant"] * 2
    assert detail["history"][3]["content"] == "".join(deltas)
    with_ctx = llm.post(
        "/api/v1/chat", json={"message": "Bitcoin record high?", "rag": True, "symbol": "BTCUSD"}
    ).json()
    assert with_ctx["context_used"] and "68,000" in with_ctx["context_used"][0]
    # the knowledge documents that grounded it are named
    source = with_ctx["sources"][0]
    assert source["symbol"] == "BTCUSD" and source["source"] == "news" and source["document_id"]
    assert source["time"].startswith("2021-11-10")
    # 16 tokens: the cap, said in words
    assert with_ctx["finish_reason"] in ("length", "stop", "repetition")
    assert with_ctx["truncated"] == (with_ctx["finish_reason"] == "length")
    if with_ctx["truncated"]:
        assert "16-token cap" in with_ctx["notice"]
    assert done[1]["finish_reason"] in ("length", "stop", "repetition")  # type: ignore[index]
