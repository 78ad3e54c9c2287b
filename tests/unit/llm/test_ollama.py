"""The Ollama backend against a local server implementing the Ollama API; analysis output
validation and retry; chat sessions (bounded count, TTL) and streaming."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tradingstack.core.data_client import DataClient
from tradingstack.llm.app import create_app
from tradingstack.llm.settings import LlmSettings

from tests.unit.embedder.helpers import serve_data
from tests.unit.llm.upstreams import create_hmm, create_nhits, create_ollama, create_tcn
from tests.unit.servers import free_port, serve_app

MODEL = "llama3.1:70b"


@dataclass
class Env:
    data: str
    nhits: str
    tcn: str
    hmm: str
    ollama: str
    ollama_app: FastAPI
    close: float


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with ExitStack() as es:
        data = es.enter_context(serve_data(tmp_path_factory.mktemp("oll") / "data"))
        ollama_app = create_ollama((MODEL,))
        bars = httpx.get(f"{data}/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": 1})
        yield Env(
            data=data,
            nhits=es.enter_context(serve_app(create_nhits(data))),
            tcn=es.enter_context(serve_app(create_tcn(data))),
            hmm=es.enter_context(serve_app(create_hmm(data))),
            ollama=es.enter_context(serve_app(ollama_app)),
            ollama_app=ollama_app,
            close=bars.json()["bars"][-1]["close"],
        )


@contextmanager
def llm(env: Env, **kw: Any) -> Iterator[httpx.Client]:
    base: dict[str, Any] = {
        "backend": "ollama",
        "model": MODEL,
        "ollama_url": env.ollama,
        "nhits_url": env.nhits,
        "tcn_url": env.tcn,
        "hmm_url": env.hmm,
        "rag_url": f"http://127.0.0.1:{free_port()}",
        "bars": 100,
        "upstream_timeout_seconds": 5.0,
    }
    app = create_app(LlmSettings(**{**base, **kw}), data_client=DataClient(env.data, attempts=1))
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


@pytest.fixture(autouse=True)
def _reset(env: Env) -> None:
    env.ollama_app.state.script.clear()
    env.ollama_app.state.requests.clear()


def _plan(close: float, **over: Any) -> str:
    plan = {
        "direction": "long",
        "confidence": 0.6,
        "entry": close,
        "stop_loss": close * 0.98,
        "take_profits": [close * 1.03, close * 1.05],
        "risk_reward": 9.9,
        "rationale": "Uptrend, bullish regime and a long score of 64 out of 100.",
        "inputs_used": ["everything", "insider tips"],
        "inputs_missing": [],
    }
    return json.dumps({**plan, **over})


def test_health_reports_the_model(env: Env) -> None:
    with llm(env) as c:
        h = c.get("/health").json()
        assert h["status"] == "healthy" and h["details"]["model"] == MODEL
    with llm(env, model="mistral:7b") as c:
        h = c.get("/health").json()
        assert h["status"] == "degraded" and "not pulled" in h["details"]["error"]
    with llm(env, ollama_url=f"http://127.0.0.1:{free_port()}") as c:
        h = c.get("/health").json()
        assert h["status"] == "degraded" and "unreachable" in h["details"]["error"]


def test_analyze_validates_and_sets_inputs_itself(env: Env) -> None:
    env.ollama_app.state.script.append(_plan(env.close))
    with llm(env) as c:
        r = c.post("/api/v1/analyze", json={"symbol": "BTCUSD", "timeframe": "H1"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["attempts"] == 1 and a["backend"] == "ollama" and a["model"] == MODEL
    assert a["inputs_used"] == ["bars", "indicators", "forecast", "patterns", "regime", "score"]
    assert a["inputs_missing"] == ["rag"]  # the model's own lists are not trusted
    assert a["risk_reward"] == pytest.approx(1.5, abs=1e-3)  # recomputed: 3 % / 2 %
    req = env.ollama_app.state.requests[0]
    assert req["model"] == MODEL and req["stream"] is False
    assert req["format"]["required"][0] == "direction"  # a JSON schema, not just "json"
    assert "Not available (do not assume anything about them): rag" in req["messages"][1]["content"]


@pytest.mark.parametrize(
    "bad",
    [
        "Sure! I think you should buy.",  # not JSON
        '{"direction": "up", "confidence": 0.5}',  # not the schema
        None,  # stop above entry for a long: filled in below
        "far",  # entry far from the market: invented levels
    ],
)
def test_analyze_retries_once_on_invalid_output(env: Env, bad: str | None) -> None:
    if bad is None:
        bad = _plan(env.close, stop_loss=env.close * 1.01)
    elif bad == "far":
        bad = _plan(env.close * 2, stop_loss=env.close * 1.9, take_profits=[env.close * 2.2])
    env.ollama_app.state.script.extend([bad, _plan(env.close)])
    with llm(env) as c:
        r = c.post("/api/v1/analyze", json={"symbol": "BTCUSD"})
    assert r.status_code == 200, r.text
    assert r.json()["attempts"] == 2
    retry = env.ollama_app.state.requests[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": bad}
    assert retry[-1]["content"].startswith("That answer was invalid")


def test_analyze_invalid_twice_is_a_502(env: Env) -> None:
    env.ollama_app.state.script.extend(["nope", _plan(env.close, direction="short")])
    with llm(env) as c:
        r = c.post("/api/v1/analyze", json={"symbol": "BTCUSD"})
    assert r.status_code == 502 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert len(body["errors"]) == 2 and "short: stop_loss must be above entry" in body["errors"][1]
    assert body["inputs_missing"] == ["rag"]


def test_model_not_pulled_and_ollama_down(env: Env) -> None:
    with llm(env, model="mistral:7b") as c:
        r = c.post("/api/v1/chat", json={"message": "hi"})
        assert r.status_code == 503 and "ollama pull mistral:7b" in r.json()["detail"]
        r = c.post("/api/v1/analyze", json={"symbol": "BTCUSD"})
        assert r.status_code == 503 and "not have model" in r.json()["detail"]
    with llm(env, ollama_url=f"http://127.0.0.1:{free_port()}") as c:
        r = c.post("/api/v1/chat", json={"message": "hi"})
        assert r.status_code == 503 and "unreachable" in r.json()["detail"]


def _sse(c: httpx.Client, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    events = []
    with c.stream("POST", "/api/v1/chat", json={**body, "stream": True}) as s:
        event = "message"
        for line in s.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[6:])))
                event = "message"
    return events


def test_chat_sessions_history_and_streaming(env: Env) -> None:
    with llm(env) as c:
        first = c.post(
            "/api/v1/chat", json={"message": "Hello there", "system": "Be brief."}
        ).json()
        assert first["reply"] == "echo (2 messages): Hello there" and first["messages"] == 2
        sid = first["session_id"]
        events = _sse(c, {"message": "And again", "session_id": sid})
        assert events[0] == ("session", {"session_id": sid})
        text = "".join(e[1]["delta"] for e in events if e[0] == "message")
        assert text == "echo (4 messages): And again"  # system + 2 past turns + the new one
        assert events[-1][0] == "done" and events[-1][1]["messages"] == 4
        sent = env.ollama_app.state.requests[-1]
        assert sent["stream"] is True and sent["messages"][0] == {
            "role": "system",
            "content": "Be brief.",
        }
        assert sent["messages"][2]["content"] == "echo (2 messages): Hello there"
        listed = c.get("/api/v1/chat/sessions").json()
        assert [s["session_id"] for s in listed["sessions"]] == [sid]
        assert c.delete(f"/api/v1/chat/sessions/{sid}").status_code == 204
        r = c.post("/api/v1/chat", json={"message": "still there?", "session_id": sid})
        assert r.status_code == 404 and "omit session_id" in r.json()["detail"]
        # a streamed error arrives as an error event
    with llm(env, model="mistral:7b") as c:
        events = _sse(c, {"message": "hi"})
        assert events[-1][0] == "error" and events[-1][1]["status"] == 503


def test_sessions_are_bounded_and_expire(env: Env) -> None:
    with llm(env, max_sessions=2, session_ttl_seconds=1.0, max_history_messages=4) as c:
        ids = [
            c.post("/api/v1/chat", json={"message": f"m{i}"}).json()["session_id"] for i in range(3)
        ]
        assert c.get(f"/api/v1/chat/sessions/{ids[0]}").status_code == 404  # evicted (LRU)
        assert {s["session_id"] for s in c.get("/api/v1/chat/sessions").json()["sessions"]} == set(
            ids[1:]
        )
        for i in range(3):  # history is bounded too
            c.post("/api/v1/chat", json={"message": f"turn {i}", "session_id": ids[2]})
        assert len(c.get(f"/api/v1/chat/sessions/{ids[2]}").json()["history"]) == 4
        time.sleep(1.3)
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
def test_chat_bad_input(env: Env, body: dict[str, Any], words: str) -> None:
    with llm(env) as c:
        r = c.post("/api/v1/chat", json=body)
        assert 400 <= r.status_code < 600 and r.status_code != 500, r.text
        assert words in r.text and r.headers["content-type"] == "application/problem+json"
        assert c.delete("/api/v1/chat/sessions/unknown").status_code == 404
