"""The analysis and the chat with scripted model answers.

The Ollama here is an imitation (tests/unit/llm/upstreams.py, `create_ollama`), kept ONLY for
what a real server cannot give: a model answer chosen by the test (a rationale that argues
against the evidence, names a regime, a pattern or prices the evidence lacks; a paragraph
repeated in a loop; an answer cut at the token cap) and the request bodies the service sent.
Everything else about Ollama (health, streaming, JSON mode, a missing model, the server going
away, chat sessions) is tested against the real server built from its Go module:
tests/unit/llm/test_ollama_server.py."""

from __future__ import annotations

import json
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


CONTRARY = (
    "SHORT with confidence 0.97. The bear trend and a head and shoulders top say sell now; "
    "target 38,500 and stop 49,900."
)


def _analyze(c: httpx.Client, **body: Any) -> dict[str, Any]:
    r = c.post("/api/v1/analyze", json={"symbol": "BTCUSD", "timeframe": "H1", **body})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_model_answer_against_the_evidence_cannot_reach_the_user(env: Env) -> None:
    """The evidence points up (the forecast, with a measured edge, rises 1.2 %; the long score
    is above the short one), the model argues short with a regime, a pattern and prices of its
    own, twice: the answer is long with the computed levels, and the rationale is the one built
    from the evidence, saying so."""
    env.ollama_app.state.script.extend([CONTRARY, json.dumps({"direction": "short"})])
    with llm(env, rationale_attempts=2) as c:
        a = _analyze(c)
    assert a["direction"] == "long" and a["confidence"] >= 0.25
    assert "forecast" in [s["input"] for s in a["signals"] if s["counted"]]
    assert a["entry"] == pytest.approx(env.close, rel=1e-5)
    assert a["stop_loss"] < a["entry"] < a["take_profits"][0]
    assert a["rationale_source"] == "evidence" and a["attempts"] == 2
    first = a["rationale_rejected"][0]
    for words in ("argues short", "bear_trend", "head_and_shoulders", "38,500"):
        assert words in first, first
    assert "rejected" in a["rationale_note"]
    text = a["rationale"].lower()
    for leaked in ("bear", "sell", "head and shoulders", "38,500", "0.97"):
        assert leaked not in text, leaked
    assert text.startswith("btcusd h1 at") and "long with confidence" in text
    # the model was asked for prose about the decided call, not for a call
    sent = env.ollama_app.state.requests
    assert "format" not in sent[0] or sent[0]["format"] is None
    assert "Decision: LONG" in sent[0]["messages"][1]["content"]
    assert "rejected" in sent[1]["messages"][-1]["content"]


def test_a_rationale_that_keeps_to_the_evidence_is_the_models(env: Env) -> None:
    with llm(env) as c:
        facts = _analyze(c, include_prompt=True)  # learn the levels (the script is empty)
        lv = facts
        good = (
            f"The call is long because the forecast with a measured edge rises from the last "
            f"close of {lv['last_close']}. Entry is {lv['entry']} with a stop loss at "
            f"{lv['stop_loss']} and a first target at {lv['take_profits'][0]}."
        )
        env.ollama_app.state.script.append(good)
        a = _analyze(c)
    assert a["rationale_source"] == "model" and a["rationale"] == good
    assert a["rationale_rejected"] == [] and a["rationale_note"] is None
    assert a["direction"] == "long" and a["attempts"] == 1


def test_the_call_does_not_depend_on_the_model(env: Env) -> None:
    """Ollama without the model: the same call and levels, the rationale from the evidence."""
    with llm(env) as c:
        env.ollama_app.state.script.append("Bullish.")
        reference = _analyze(c)
    with llm(env, model="mistral:7b") as c:
        a = _analyze(c)
    for key in ("direction", "confidence", "entry", "stop_loss", "take_profits", "risk_reward"):
        assert a[key] == reference[key], key
    assert a["rationale_source"] == "evidence" and "did not answer" in a["rationale_note"]
    assert a["inputs_missing"] == reference["inputs_missing"] and "rag" in a["inputs_missing"]


# --- chat: repetition, the cap, the sources ------------------------------------------------------
PARA = "Bitcoin is a decentralised digital currency that trades around the clock."


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


def test_chat_stops_a_repeated_paragraph(env: Env) -> None:
    loop = "\n\n".join([PARA, "It has no central bank.", *[PARA] * 7])
    env.ollama_app.state.script.extend([loop, loop])
    with llm(env) as c:
        r = c.post("/api/v1/chat", json={"message": "What is Bitcoin?"}).json()
        events = _sse(c, {"message": "Again?", "session_id": r["session_id"]})
    assert r["reply"] == f"{PARA}\n\nIt has no central bank."
    assert r["finish_reason"] == "repetition" and r["truncated"] is False
    assert "repeating itself" in r["notice"]
    shown = "".join(e[1]["delta"] for e in events if e[0] == "message")
    assert shown.count("decentralised") == 1
    done = events[-1]
    assert done[0] == "done" and done[1]["finish_reason"] == "repetition"
    assert done[1]["reply"] == shown


def test_chat_says_when_the_answer_was_cut_at_the_cap(env: Env) -> None:
    long_answer = " ".join(f"word{i}" for i in range(40))
    env.ollama_app.state.script.extend([long_answer, long_answer, "Short and done."])
    with llm(env, chat_max_tokens=8) as c:
        r = c.post("/api/v1/chat", json={"message": "Tell me everything."}).json()
        events = _sse(c, {"message": "Once more."})
        fine = c.post("/api/v1/chat", json={"message": "Briefly?"}).json()
    assert r["reply"] == " ".join(f"word{i}" for i in range(8))
    assert r["truncated"] is True and r["finish_reason"] == "length"
    assert "cut at the 8-token cap" in r["notice"]
    assert events[-1][1]["truncated"] is True and "8-token cap" in events[-1][1]["notice"]
    assert fine["truncated"] is False and fine["notice"] is None
    assert fine["finish_reason"] == "stop"
    assert env.ollama_app.state.requests[0]["options"]["repeat_penalty"] == pytest.approx(1.15)
