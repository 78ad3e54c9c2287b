"""The contracts between the services: a consumer parses a producer's answers with the
producer's own response model (`tradingstack.<service>.schemas`), and the producer's route
declares that model, so FastAPI checks every answer against it before it leaves.

Before, the llm service read the regime under `current`/`regime`/`state` while hmm sends
`current_regime`, and its test double answered the same wrong name: nothing could fail. Now a
field renamed in a producer's model fails the consumer's test below.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, create_model
from tradingstack.core.data_client import DataClient
from tradingstack.core.errors import PROBLEM_JSON, ModelPreparing
from tradingstack.core.jobs import Job, JobList, JobProgress, JobState
from tradingstack.core.schemas import OHLCV, Bar, Indicators, IndicatorSeries
from tradingstack.core.timeframes import Timeframe
from tradingstack.embedder.schemas import TextEmbedResponse
from tradingstack.hmm.schemas import RegimeResult, ScoreResult
from tradingstack.llm.analyze import Gatherer, build_prompt
from tradingstack.llm.settings import LlmSettings
from tradingstack.nhits.schemas import Forecast
from tradingstack.rag.embedder_client import EmbedderClient, EmbedderError
from tradingstack.rag.schemas import QueryHit, QueryResponse
from tradingstack.tcn.schemas import DetectResult

from tests.unit.core.apps import service_apps
from tests.unit.llm import upstreams

# consumer(s), producer, method, route, the model both sides use
CONTRACTS: list[tuple[str, str, str, str, type[BaseModel]]] = [
    ("llm", "nhits", "GET", "/api/v1/forecast/{symbol}", Forecast),
    ("llm", "tcn", "GET", "/api/v1/detect/{symbol}", DetectResult),
    ("llm, ui", "hmm", "GET", "/api/v1/regime/{symbol}", RegimeResult),
    ("ui", "hmm", "POST", "/api/v1/regime/{symbol}/fit", Job),  # a fit is a background job
    ("ui", "nhits", "GET", "/api/v1/jobs", JobList),
    ("ui", "tcn", "GET", "/api/v1/jobs", JobList),
    ("ui", "hmm", "GET", "/api/v1/jobs", JobList),
    ("llm", "hmm", "POST", "/api/v1/score", ScoreResult),
    ("llm", "rag", "POST", "/api/v1/query", QueryResponse),
    ("rag", "embedder", "POST", "/api/v1/embed/text", TextEmbedResponse),
    ("llm, hmm, tcn, nhits, embedder", "data", "GET", "/api/v1/ohlcv/{symbol}", OHLCV),
    ("llm, hmm", "data", "GET", "/api/v1/indicators/{symbol}", Indicators),
]

NOW = datetime(2026, 11, 30, tzinfo=UTC)
SETTINGS = LlmSettings(
    nhits_url="http://nhits", tcn_url="http://tcn", hmm_url="http://hmm", rag_url="http://rag"
)


def test_each_producer_declares_the_model_its_consumers_parse_with(tmp_path: Path) -> None:
    docs = {name: app.openapi() for name, app in service_apps(tmp_path).items()}
    for consumer, producer, method, path, model in CONTRACTS:
        where = (consumer, producer, method, path)
        responses = docs[producer]["paths"][path][method.lower()]["responses"]
        [ok] = [r for code, r in responses.items() if code.startswith("2")]
        ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert ref.split("__")[-1] == model.__name__, where
        documented = docs[producer]["components"]["schemas"][ref]["properties"]
        fields = {f.alias or name for name, f in model.model_fields.items()}
        assert set(documented) == fields, where


# --- the producers, answering their models' instances ----------------------------------------
def _bars(n: int = 120) -> OHLCV:
    start = NOW - timedelta(hours=n)
    closes = [100 + 0.1 * i for i in range(n)]
    return OHLCV(
        symbol="BTCUSD",
        timeframe=Timeframe.H1,
        provider="embedded",
        fetched_at=NOW,
        age_seconds=0,
        stale=False,
        cache_hit=False,
        bars=[
            Bar(time=start + timedelta(hours=i), open=c, high=c + 1, low=c - 1, close=c, volume=1)
            for i, c in enumerate(closes)
        ],
    )


def _indicators() -> Indicators:
    return Indicators(
        symbol="BTCUSD",
        timeframe=Timeframe.H1,
        provider="embedded",
        stale=False,
        indicators=[IndicatorSeries(name="atr", columns=["atr_14"], params={"timeperiod": 14})],
        times=[NOW],
        values={"atr_14": [1.5]},
    )


def _doubles(overrides: dict[str, dict[str, Any]] | None = None) -> httpx.MockTransport:
    """Every upstream of the analysis, answering JSON dumped from the producers' models;
    `overrides` replaces the answer of a route (its key, e.g. "regime")."""
    regime = upstreams.regime_result("BTCUSD", Timeframe.H1, NOW, refitted=False)
    answers: dict[str, Any] = {
        "ohlcv": _bars().model_dump(mode="json"),
        "indicators": _indicators().model_dump(mode="json"),
        "forecast": _forecast().model_dump(mode="json"),
        "detect": _detections().model_dump(mode="json"),
        "regime": regime.model_dump(mode="json"),
        "score": _score().model_dump(mode="json"),
        "query": QueryResponse(
            results=[
                QueryHit(
                    chunk_id=1,
                    document_id="d1",
                    chunk=0,
                    score=0.8,
                    text="Bitcoin rallied to a record above 68,000 dollars.",
                    symbol="BTCUSD",
                    source="news",
                    time=NOW,
                    metadata={},
                )
            ],
            k=2,
            matched=1,
            index="flat",
            exact=True,
            model="all-MiniLM-L6-v2",
        ).model_dump(mode="json"),
        **(overrides or {}),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        key = parts[2]  # /api/v1/<key>/...
        if key == "regime" and "regime" not in answers:
            if request.method != "GET":
                answers["fits"] = answers.get("fits", 0) + 1
            # what hmm answers while its first-start job trains the model
            job = Job(id="j1", kind="fit", service="hmm", symbol="BTCUSD", timeframe="H1",
                      reason="on-demand", state=JobState.RUNNING, created_at=NOW,
                      progress=JobProgress(percent=40.0, step="fitting"))  # fmt: skip
            job_json = job.model_dump(mode="json")
            problem = ModelPreparing("The regime model for BTCUSD H1 is being prepared.",
                                     job=job_json)  # fmt: skip
            body = {"type": problem.type, "title": problem.title, "status": problem.status,
                    "detail": problem.detail, **problem.extensions}  # fmt: skip
            return httpx.Response(503, json=body, headers={"content-type": PROBLEM_JSON})
        return httpx.Response(200, json=answers[key])

    transport = httpx.MockTransport(handle)
    transport.answers = answers  # type: ignore[attr-defined]
    return transport


def _forecast() -> Forecast:
    # the doubles' builders need a data service; these are the same models, filled in here
    median = [120.0 + 0.1 * i for i in range(24)]
    return Forecast.model_validate(
        {
            "symbol": "BTCUSD",
            "timeframe": "H1",
            "horizon": 24,
            "target": "close",
            "last_bar": {"time": NOW, "close": 119.9},
            "timestamps": [NOW + timedelta(hours=i + 1) for i in range(24)],
            "median": median,
            "intervals": [
                {"level": 80, "lower": [m - 1 for m in median], "upper": [m + 1 for m in median]}
            ],
            "model": {
                "version": "v1",
                "trained_at": NOW,
                "age_seconds": 60,
                "mode": "full",
                "data_end": NOW,
                "beats_naive": False,
                "trained_on_demand": False,
                "served": "naive",
                "alpha": 0.0,
                "served_reason": "NHITS did not beat 'no change' on the validation windows",
            },
            "quality": {
                "metric": "relative MAE vs naive",
                "value": 1.0,
                "ci_low": 1.0,
                "ci_high": 1.0,
                "baseline": 1.0,
                "higher_is_better": False,
                "has_edge": False,
                "evaluated_on": "200 held-out origins",
                "summary": "no better than no change: serving the naive forecast (last close)",
            },
            "provider": "embedded",
        }
    )


def _detections() -> DetectResult:
    return DetectResult.model_validate(
        {
            "symbol": "BTCUSD",
            "timeframe": "H1",
            "min_confidence": 0.6,
            "bars_scanned": 120,
            "first_bar": NOW - timedelta(hours=119),
            "last_bar": NOW,
            "windows_scanned": 10,
            "candidates": 1,
            "detections": [
                {
                    "pattern": "double_bottom",
                    "description": "two lows at one level",
                    "confidence": 0.81,
                    "start_time": NOW - timedelta(hours=30),
                    "end_time": NOW,
                    "bars": 31,
                }
            ],
            "model": {"trained_at": NOW, "age_seconds": 5, "device": "cpu"},
            "quality": {
                "metric": "macro-F1 on held-out real windows (served patterns + none)",
                "value": None,
                "baseline": 0.98,
                "higher_is_better": True,
                "has_edge": False,
                "evaluated_on": "414 windows of 64 bars from the last 20% of 7 series",
                "summary": "no demonstrated edge: no pattern beat chance, so none is served",
            },
        }
    )


def _score() -> ScoreResult:
    return ScoreResult.model_validate(
        {
            "symbol": "BTCUSD",
            "timeframe": "H1",
            "direction": "long",
            "score": 57.0,
            "probability": 0.57,
            "as_of": NOW,
            "horizon_bars": 12,
            "threshold": 0.002,
            "top_features": [{"feature": "rsi_14", "value": 61.0, "contribution": 0.2}],
            "bias": -0.3,
            "model": {
                "trained_at": NOW,
                "auc_valid": 0.56,
                "base_rate_valid": 0.3,
                "n_train": 400,
                "n_valid": 100,
                "train_start": NOW - timedelta(days=30),
                "train_end": NOW - timedelta(days=5),
                "valid_start": NOW - timedelta(days=4),
                "valid_end": NOW,
                "retrained": False,
            },
            "quality": {
                "metric": "out-of-fold ROC AUC, 6 purged walk-forward folds",
                "value": 0.56,
                "ci_low": 0.52,
                "ci_high": 0.6,
                "baseline": 0.5,
                "higher_is_better": True,
                "has_edge": True,
                "evaluated_on": "600 out-of-fold bars",
                "summary": "edge: out-of-fold AUC 0.560 (95 % CI 0.520-0.600) lies above 0.5",
            },
            "summary": "long 57/100 (base rate 30/100); edge: out-of-fold AUC 0.560",
        }
    )


def _gather(transport: httpx.MockTransport) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=transport) as http:
            data = DataClient("http://data", transport=transport, attempts=1)
            got = await Gatherer(SETTINGS, data, http).gather("BTCUSD", Timeframe.H1, "q")
            await data.aclose()
            return got

    return asyncio.run(run())


# --- the llm service's analysis, consumer of nhits, tcn, hmm, rag and data ---------------------
def test_the_analysis_reads_every_answer_with_its_producers_model() -> None:
    got = _gather(_doubles())
    assert {name: g.ok for name, g in got.items()} == dict.fromkeys(got, True), {
        n: g.error for n, g in got.items()
    }
    assert isinstance(got["regime"].data, RegimeResult)
    prompt, last, _ = build_prompt("BTCUSD", Timeframe.H1, got)
    assert last == pytest.approx(111.9)
    for piece in (
        "current regime bull trend; probabilities bull trend 0.62",  # hmm's `current_regime`
        "double_bottom p=0.81",  # tcn's `detections[].pattern`
        "does not beat the naive forecast's",  # nhits' `model.beats_naive`
        "long 57/100",  # hmm's `score`
        "record above 68,000",  # rag's `results[].text`
    ):
        assert piece in prompt, (piece, prompt)


RENAMES = [
    ("regime", RegimeResult, "current_regime", "regime"),
    ("forecast", Forecast, "median", "p50"),
    ("patterns", DetectResult, "detections", "patterns"),
    ("score", ScoreResult, "score", "value"),
    ("rag", QueryResponse, "results", "hits"),
]
ROUTE_OF = {"regime": "regime", "forecast": "forecast", "patterns": "detect", "score": "score",
            "rag": "query"}  # fmt: skip


def _renamed(model: type[BaseModel], old: str, new: str) -> type[BaseModel]:
    """`model` with the field `old` renamed to `new`: what a producer's refactoring does."""
    fields: dict[str, Any] = {
        (new if name == old else name): (info.annotation, info)
        for name, info in model.model_fields.items()
    }
    return create_model(f"Renamed{model.__name__}", **fields)


@pytest.mark.parametrize(("name", "model", "old", "new"), RENAMES, ids=[r[0] for r in RENAMES])
def test_a_field_renamed_in_a_producers_model_fails_the_analysis_input(
    name: str, model: type[BaseModel], old: str, new: str
) -> None:
    transport = _doubles()
    answers = transport.answers  # type: ignore[attr-defined]
    original = model.model_validate(answers[ROUTE_OF[name]])
    changed = _renamed(model, old, new)
    renamed = changed.model_validate({**original.model_dump(), new: getattr(original, old)})
    answers[ROUTE_OF[name]] = renamed.model_dump(mode="json")
    got = _gather(transport)
    assert got[name].ok is False
    assert "does not match the service's contract" in (got[name].error or "")
    assert old in (got[name].error or "")
    assert all(g.ok for n, g in got.items() if n != name)


def test_a_regime_model_being_prepared_is_read_with_its_job_and_never_fitted() -> None:
    transport = _doubles()
    answers = transport.answers  # type: ignore[attr-defined]
    del answers["regime"]  # hmm answers 503 model-being-prepared with the job that trains it
    got = _gather(transport)
    regime = got["regime"]
    assert not regime.ok and regime.preparing, regime.error
    assert regime.job is not None and Job.model_validate(regime.job).progress.percent == 40.0
    assert answers.get("fits", 0) == 0  # the analysis never fits a model itself
    assert all(g.ok for name, g in got.items() if name != "regime")


# --- the rag service, consumer of the embedder ---------------------------------------------------
def _embedder(answer: dict[str, Any]) -> EmbedderClient:
    return EmbedderClient(
        "http://embedder", transport=httpx.MockTransport(lambda _: httpx.Response(200, json=answer))
    )


def test_rag_reads_the_embedders_answer_with_its_model() -> None:
    answer = TextEmbedResponse(
        model="all-MiniLM-L6-v2",
        dimension=2,
        device="cpu",
        normalized=True,
        cached=0,
        embeddings=[[0.6, 0.8]],
    )

    async def run(body: dict[str, Any]) -> Any:
        client = _embedder(body)
        try:
            return await client.embed(["a"])
        finally:
            await client.aclose()

    vecs, model = asyncio.run(run(answer.model_dump(mode="json")))
    assert model == "all-MiniLM-L6-v2" and vecs.shape == (1, 2)
    changed = _renamed(TextEmbedResponse, "embeddings", "vectors")
    renamed = changed.model_validate({**answer.model_dump(), "vectors": answer.embeddings})
    with pytest.raises(EmbedderError, match=r"contract.*embeddings"):
        asyncio.run(run(renamed.model_dump(mode="json")))


def test_an_embedder_error_that_is_no_json_object_is_an_embedder_error() -> None:
    # rag's client read `.get` on any JSON: a list answer raised AttributeError (a 500)
    client = EmbedderClient(
        "http://embedder",
        transport=httpx.MockTransport(lambda _: httpx.Response(500, json=["boom"])),
    )

    async def run() -> None:
        try:
            await client.embed(["a"])
        finally:
            await client.aclose()

    with pytest.raises(EmbedderError, match="boom"):
        asyncio.run(run())
