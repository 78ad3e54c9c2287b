"""The analysis's path where a user waits: the real data service, the nhits/tcn/hmm doubles in
their services' shapes (upstreams.py), and a backend that writes a fixed rationale (the model is
tested in test_llm.py and test_llama_server.py).

- no model is fitted inside a request; a model being trained is "preparing" with its job;
- the gathered inputs are kept per (symbol, timeframe, last bar): a second analysis of the same
  bar asks no model service again;
- `POST /analyze/stream` sends the stages as they happen, then the same answer as /analyze.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tradingstack.core.data_client import DataClient
from tradingstack.core.jobs import Job, JobProgress, JobState
from tradingstack.llm.analyze import Gathered, InputCache
from tradingstack.llm.app import create_app
from tradingstack.llm.backends import Finish
from tradingstack.llm.settings import LlmSettings

from tests.unit.embedder.helpers import serve_data
from tests.unit.llm.upstreams import create_hmm, create_nhits, create_tcn
from tests.unit.servers import serve_app

JOB = Job(
    id="job-1",
    kind="fit",
    service="hmm",
    symbol="BTCUSD",
    timeframe="H1",
    reason="first-start",
    state=JobState.RUNNING,
    progress=JobProgress(percent=42.0, step="fitting regimes", eta_seconds=30.0),
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
)


class Fixed:
    """A backend that streams one fixed text (a rationale the check rejects: the evidence's
    is used, which is deterministic)."""

    name = "fixed"
    model = "fixed"

    async def start(self) -> None:
        return None

    async def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int | None = None
    ) -> AsyncIterator[str | Finish]:
        yield "Fine."
        yield Finish("stop")

    async def health(self) -> tuple[str, dict[str, Any]]:
        return "healthy", {"backend": self.name}

    async def aclose(self) -> None:
        return None


@dataclass
class Ups:
    data: str
    nhits: str
    tcn: str
    hmm: str
    hmm_app: FastAPI
    untrained: str
    untrained_app: FastAPI
    preparing: str
    preparing_app: FastAPI


@pytest.fixture(scope="module")
def ups(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ups]:
    with ExitStack() as es:
        data = es.enter_context(serve_data(tmp_path_factory.mktemp("data")))
        hmm_app = create_hmm(data)
        untrained_app = create_hmm(data, fitted=False)
        preparing_app = create_hmm(data, preparing=JOB)
        yield Ups(
            data=data,
            nhits=es.enter_context(serve_app(create_nhits(data))),
            tcn=es.enter_context(serve_app(create_tcn(data))),
            hmm=es.enter_context(serve_app(hmm_app)),
            hmm_app=hmm_app,
            untrained=es.enter_context(serve_app(untrained_app)),
            untrained_app=untrained_app,
            preparing=es.enter_context(serve_app(preparing_app)),
            preparing_app=preparing_app,
        )


def _llm(ups: Ups, hmm: str, **kw: object) -> ExitStack:
    base: dict[str, object] = {
        "rag_k": 0,
        "bars": 120,
        "upstream_timeout_seconds": 10.0,
        "nhits_url": ups.nhits,
        "tcn_url": ups.tcn,
        "hmm_url": hmm,
    }
    settings = LlmSettings(**{**base, **kw})  # type: ignore[arg-type]
    es = ExitStack()
    app = create_app(settings, backend=Fixed(), data_client=DataClient(ups.data, attempts=1))  # type: ignore[arg-type]
    url = es.enter_context(serve_app(app))
    es.client = es.enter_context(httpx.Client(base_url=url, timeout=120))  # type: ignore[attr-defined]
    return es


BODY = {"symbol": "BTCUSD", "timeframe": "H1", "include_prompt": True}


def test_a_model_being_prepared_is_shown_with_its_job_and_counts_for_nothing(ups: Ups) -> None:
    with _llm(ups, ups.preparing) as es:
        r = es.client.post("/api/v1/analyze", json=BODY)  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["inputs_preparing"] == ["regime", "score"]
    assert "regime" not in a["inputs_missing"] and "score" not in a["inputs_missing"]
    for name in ("regime", "score"):
        status = a["inputs"][name]
        assert status["state"] == "preparing" and not status["ok"]
        assert status["job"]["id"] == "job-1" and status["job"]["progress"]["percent"] == 42.0
    assert a["inputs"]["forecast"]["state"] == "ok"
    assert {s["input"] for s in a["signals"]} == {"forecast", "patterns"}  # counted for nothing
    assert (
        "Being prepared (their models are training; counted for nothing): regime, score"
        in (a["prompt"])
    )


def test_the_analysis_never_fits_a_model(ups: Ups) -> None:
    """The first analysis of an untrained symbol used to fit the regime model inside the
    request (seconds to minutes); now the regime is missing and the hmm service trains."""
    with _llm(ups, ups.untrained) as es:
        r = es.client.post("/api/v1/analyze", json=BODY)  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    a = r.json()
    assert ups.untrained_app.state.fits == 0
    assert "regime" in a["inputs_missing"] and "No regime model" in a["inputs"]["regime"]["error"]


def test_inputs_are_kept_per_bar_and_a_second_analysis_asks_no_model_again(ups: Ups) -> None:
    with _llm(ups, ups.hmm) as es:
        first = es.client.post("/api/v1/analyze", json=BODY).json()  # type: ignore[attr-defined]
        calls = ups.hmm_app.state.calls
        t0 = time.perf_counter()
        second = es.client.post("/api/v1/analyze", json=BODY).json()  # type: ignore[attr-defined]
        took = time.perf_counter() - t0
    assert not any(s["cached"] for s in first["inputs"].values())
    assert ups.hmm_app.state.calls == calls  # regime and score not asked again
    cached = [n for n, s in second["inputs"].items() if s["cached"]]
    assert cached == ["indicators", "forecast", "patterns", "regime", "score"]
    assert not second["inputs"]["bars"]["cached"]  # the bars are always read: they key it
    for k in ("direction", "confidence", "entry", "signals", "rationale"):
        assert second[k] == first[k], k
    assert took < 5.0
    # a preparing input is asked again next time
    with _llm(ups, ups.preparing) as es:
        es.client.post("/api/v1/analyze", json=BODY)  # type: ignore[attr-defined]
        calls = ups.preparing_app.state.calls
        again = es.client.post("/api/v1/analyze", json=BODY).json()  # type: ignore[attr-defined]
    assert ups.preparing_app.state.calls == calls + 3  # regime, long and short scores
    assert again["inputs"]["regime"]["state"] == "preparing"
    # off: every analysis asks again
    with _llm(ups, ups.hmm, analysis_cache_seconds=0) as es:
        es.client.post("/api/v1/analyze", json=BODY)  # type: ignore[attr-defined]
        calls = ups.hmm_app.state.calls
        es.client.post("/api/v1/analyze", json=BODY)  # type: ignore[attr-defined]
    assert ups.hmm_app.state.calls == calls + 3


def test_the_input_cache_is_keyed_by_the_last_bar_and_ages() -> None:
    cache = InputCache(ttl=0.3, size=2)
    one = {"forecast": Gathered("forecast", True, 0.1, data=1)}
    cache.put(("BTCUSD", "H1", "t1"), one)
    assert cache.get(("BTCUSD", "H1", "t1"))["forecast"].data == 1
    assert cache.get(("BTCUSD", "H1", "t2")) == {}  # a new bar: nothing kept
    cache.put(("BTCUSD", "H1", "t1"), {"regime": Gathered("regime", False, 0.1, error="x")})
    assert set(cache.get(("BTCUSD", "H1", "t1"))) == {"forecast"}  # failures are not kept
    cache.put(("A", "H1", "t"), one)
    cache.put(("B", "H1", "t"), one)
    assert cache.get(("BTCUSD", "H1", "t1")) == {}  # the oldest went past `size`
    time.sleep(0.35)
    assert cache.get(("B", "H1", "t")) == {}  # aged out


def _events(r: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in r.iter_lines() if line.strip()]


def test_the_stream_sends_each_stage_then_the_answer(ups: Ups) -> None:
    with _llm(ups, ups.preparing) as es:
        c: httpx.Client = es.client  # type: ignore[attr-defined]
        with c.stream("POST", "/api/v1/analyze/stream", json=BODY) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("application/x-ndjson")
            events = _events(r)
        plain = c.post("/api/v1/analyze", json=BODY).json()
        unknown = c.post("/api/v1/analyze/stream", json={"symbol": "NOSUCH", "timeframe": "D1"})
        doc = c.get("/openapi.json").json()
    kinds = [e["event"] for e in events]
    assert kinds[0] == "input" and events[0]["input"] == "bars"
    assert sorted(e["input"] for e in events if e["event"] == "input") == sorted(
        ["bars", "indicators", "forecast", "patterns", "regime", "score", "rag"]
    )
    assert kinds[-3:] == ["decision", "rationale", "done"]
    elapsed = [e["elapsed"] for e in events]
    assert elapsed == sorted(elapsed)
    regime = next(e for e in events if e.get("input") == "regime")
    assert regime["status"]["state"] == "preparing"
    assert regime["status"]["job"]["progress"]["percent"] == 42.0
    done = events[-1]["analysis"]
    assert done["direction"] == events[-3]["direction"] == plain["direction"]
    assert done["inputs_preparing"] == plain["inputs_preparing"] == ["regime", "score"]
    assert done["rationale"] == plain["rationale"]
    # an unknown symbol is answered before the stream starts, as /analyze answers it
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    # documented: one AnalyzeEvent a line
    ok = doc["paths"]["/api/v1/analyze/stream"]["post"]["responses"]["200"]["content"]
    assert ok["application/x-ndjson"]["itemSchema"]["properties"]["event"]["enum"] == [
        "input",
        "decision",
        "rationale",
        "done",
        "error",
    ]
