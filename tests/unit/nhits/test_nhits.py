"""The NHITS service against the REAL data service (bundled data), with tiny real models."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from tradingstack.core.data_client import DataClient
from tradingstack.core.errors import (
    CONFLICT,
    INVALID_REQUEST,
    MODEL_CORRUPT,
    MODEL_NOT_TRAINED,
    MODEL_PREPARING,
    NO_DATA,
    UNKNOWN_SYMBOL,
)
from tradingstack.core.jobs import Job, JobList
from tradingstack.core.schemas import ModelQuality, has_edge
from tradingstack.core.timeframes import Timeframe
from tradingstack.data.app import create_app as create_data_app
from tradingstack.data.settings import DataSettings
from tradingstack.nhits import skill
from tradingstack.nhits.app import create_app
from tradingstack.nhits.policy import RollingScore, retrain_reason
from tradingstack.nhits.registry import Registry
from tradingstack.nhits.service import mase_scale
from tradingstack.nhits.settings import NhitsSettings

from tests.unit.servers import serve_app

H1_H, D1_H = 6, 5


def tiny_settings(root: Path) -> NhitsSettings:
    return NhitsSettings(
        dir=root,
        horizons={"H1": H1_H, "D1": D1_H},
        input_sizes={"H1": 24, "D1": 20},
        max_steps=10,
        finetune_steps=3,
        on_demand_steps=5,
        mlp_width=16,
        mlp_layers=1,
        batch_windows=32,
        seeds=2,
        val_check_steps=5,
        train_bars=300,
        finetune_bars=120,
        val_windows=20,
        calib_windows=20,
        eval_origins=40,
        retrain_enabled=False,
        accelerator="cpu",
    )


@pytest.fixture(scope="module")
def data_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = Path(tmp_path_factory.mktemp("data"))
    with serve_app(create_data_app(DataSettings(dir=root))) as url:
        yield url


@pytest.fixture(scope="module")
def nhits(tmp_path_factory: pytest.TempPathFactory, data_url: str) -> Iterator[tuple[str, Path]]:
    root = Path(tmp_path_factory.mktemp("nhits"))
    app = create_app(
        tiny_settings(root / "nhits"),
        data_client=DataClient(data_url),
        configure_logs=False,
    )
    with serve_app(app) as url:
        yield url, root / "nhits"


@pytest.fixture(scope="module")
def client(nhits: tuple[str, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=nhits[0], timeout=120) as c:
        yield c


def wait_job(client: httpx.Client, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        Job.model_validate(job)  # the kit's contract
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def model_version(client: httpx.Client, symbol: str, timeframe: str) -> str:
    items = client.get("/api/v1/models").json()["items"]
    entry = next(i for i in items if i["symbol"] == symbol and i["timeframe"] == timeframe)
    version: str = entry["version"]
    return version


@pytest.fixture(scope="module")
def trained(client: httpx.Client) -> dict[str, Any]:
    """One tiny BTCUSD H1 model, trained through the API (10 steps)."""
    r = client.post("/api/v1/forecast/BTCUSD/train", params={"timeframe": "H1"})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/jobs/{r.json()['id']}"
    job = wait_job(client, r.json()["id"])
    assert job["state"] == "succeeded", job
    job["model_version"] = model_version(client, "BTCUSD", "H1")
    return job


def assert_quantiles_ordered(body: dict[str, Any]) -> None:
    iv = {i["level"]: i for i in body["intervals"]}
    assert set(iv) == {80, 95}
    for k, med in enumerate(body["median"]):
        chain = [
            iv[95]["lower"][k],
            iv[80]["lower"][k],
            med,
            iv[80]["upper"][k],
            iv[95]["upper"][k],
        ]
        assert all(math.isfinite(v) and v > 0 for v in chain)
        assert chain == sorted(chain), chain
        assert chain[-1] > chain[0]  # a real interval, not a point


# --- no model, bad input ----------------------------------------------------------------------
def test_no_model_answers_being_prepared_at_once_and_trains_it_in_the_background(
    client: httpx.Client,
) -> None:
    assert client.get("/api/v1/models").json()["count"] == 0
    r = client.get("/api/v1/forecast/MSFT/evaluation", params={"timeframe": "D1"})
    assert r.status_code == 404 and r.json()["type"] == MODEL_NOT_TRAINED  # reads only
    t0 = time.monotonic()
    r = client.get("/api/v1/forecast/MSFT", params={"timeframe": "D1"})
    assert time.monotonic() - t0 < 30  # the bars are fetched, nothing is fitted
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == MODEL_PREPARING and 2 <= int(r.headers["retry-after"]) <= 60
    job = Job.model_validate(body["job"])
    assert (job.service, job.kind, job.symbol, job.timeframe) == ("nhits", "train", "MSFT", "D1")
    assert job.reason == "on-demand" and job.id in body["detail"]
    # asked again while it trains: the same job, not a second one
    again = client.get("/api/v1/forecast/MSFT", params={"timeframe": "D1"})
    if again.status_code == 503:
        assert again.json()["job"]["id"] == job.id
    listing = JobList.model_validate(client.get("/api/v1/jobs").json())
    assert [j.id for j in listing.jobs if j.symbol == "MSFT"] == [job.id]
    done = wait_job(client, job.id)
    assert done["state"] == "succeeded" and done["progress"]["percent"] == 100
    r = client.get("/api/v1/forecast/MSFT", params={"timeframe": "D1"})
    assert r.status_code == 200, r.text
    assert r.json()["model"]["trained_on_demand"] is True
    health = client.get("/health").json()
    assert health["service"] == "nhits" and health["training_in_progress"] is False


def test_bad_input_is_a_4xx_that_says_what_to_fix(client: httpx.Client) -> None:
    r = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H2"})
    assert r.status_code == 422 and "timeframe" in r.json()["detail"]
    r = client.post("/api/v1/forecast/BTCUSD/train", params={"timeframe": "W1"})
    assert r.status_code == 422
    r = client.post("/api/v1/forecast/BTCUSD/train", params={"mode": "sideways"})
    assert r.status_code == 422 and "mode" in r.json()["detail"]
    r = client.post("/api/v1/forecast/BTCUSD/train", params={"max_steps": 0})
    assert r.status_code == 422
    r = client.get("/api/v1/forecast/BTC%20USD!", params={"timeframe": "H1"})
    assert r.status_code == 422 and "symbol" in r.json()["detail"]
    r = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1", "horizon": 0})
    assert r.status_code == 422
    r = client.get("/api/v1/jobs/nope")
    assert r.status_code == 404
    # an unknown symbol is the data service's 404, passed through with its detail
    r = client.post("/api/v1/forecast/NOSUCHSYM/train", params={"timeframe": "H1"})
    assert r.status_code == 404 and "NOSUCHSYM" in r.json()["detail"]
    assert r.json()["upstream"] == "data"
    r = client.get("/api/v1/forecast/NOSUCHSYM", params={"timeframe": "H1"})
    assert r.status_code == 404 and "NOSUCHSYM" in r.json()["detail"]
    # fine-tuning needs a model to start from
    r = client.post("/api/v1/forecast/TSLA/train", params={"timeframe": "D1", "mode": "finetune"})
    assert r.status_code == 404 and "train" in r.json()["detail"]


def test_second_training_of_a_model_is_409_with_the_running_job(client: httpx.Client) -> None:
    r = client.post("/api/v1/forecast/AMZN/train", params={"timeframe": "D1", "max_steps": 20_000})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    try:
        again = client.post("/api/v1/forecast/AMZN/train", params={"timeframe": "D1"})
        assert again.status_code == 409
        assert again.json()["job"]["id"] == job_id and job_id in again.json()["detail"]
        assert again.json()["type"] == CONFLICT and "/api/" not in again.json()["detail"]
        # deleting a model while it trains: the same conflict (it was an untyped 409)
        r = client.delete("/api/v1/models/AMZN", params={"timeframe": "D1"})
        assert r.status_code == 409 and r.json()["type"] == CONFLICT, r.text
        assert client.get("/health").json()["training_in_progress"] is True
        # progress moves: percent, the step in words, loss and an ETA while it runs
        deadline = time.monotonic() + 90
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = client.get(f"/api/v1/jobs/{job_id}").json()
            p = job["progress"]
            if p["percent"] > 0 and p["eta_seconds"] and "loss" in p["message"]:
                break
            time.sleep(0.1)
        p = job["progress"]
        assert job["state"] == "running" and "/40000" in p["message"]  # 2 seeds
        assert 0 < p["percent"] < 1 and p["eta_seconds"] > 0 and "training" in p["step"]
    finally:
        assert client.delete(f"/api/v1/jobs/{job_id}").status_code == 202
    done = wait_job(client, job_id)
    assert done["state"] == "cancelled"
    assert client.get("/health").json()["training_in_progress"] is False
    assert client.get("/api/v1/models").json()["count"] == 1  # a cancelled job saves nothing


def test_the_data_services_problems_pass_through_as_the_same_type(client: httpx.Client) -> None:
    # unknown symbol and no bars are two problems with one status: the type tells them apart
    r = client.post("/api/v1/forecast/NOSUCHSYM/train", params={"timeframe": "H1"})
    assert r.status_code == 404 and r.json()["type"] == UNKNOWN_SYMBOL, r.text
    r = client.get("/api/v1/forecast/NOSUCHSYM", params={"timeframe": "H1"})
    assert r.status_code == 404 and r.json()["type"] == UNKNOWN_SYMBOL, r.text
    r = client.post("/api/v1/forecast/NVDA/train", params={"timeframe": "M15"})
    assert r.status_code == 404 and r.json()["type"] == NO_DATA, r.text
    assert r.json()["upstream"] == "data" and "M15" in r.json()["detail"]


def test_deleting_a_missing_model_is_model_not_trained(client: httpx.Client) -> None:
    r = client.delete("/api/v1/models/NOSUCHSYM", params={"timeframe": "H1"})
    assert r.status_code == 404 and r.json()["type"] == MODEL_NOT_TRAINED, r.text  # was untyped
    r = client.post("/api/v1/forecast/TSLA/train", params={"timeframe": "D1", "mode": "finetune"})
    assert r.status_code == 404 and r.json()["type"] == MODEL_NOT_TRAINED
    assert "/api/" not in r.json()["detail"]


# --- train -> progress -> forecast -> evaluation ------------------------------------------------
def test_training_reports_progress_and_saves_a_model(
    client: httpx.Client, trained: dict[str, Any]
) -> None:
    # two seeds of 10 steps each: the job counts both
    p = trained["progress"]
    assert p["percent"] == 100.0 and "step 20/20, loss" in p["message"]
    assert p["eta_seconds"] == 0.0 and trained["reason"] == "user"
    items = client.get("/api/v1/models").json()["items"]
    entry = next(i for i in items if i["symbol"] == "BTCUSD" and i["timeframe"] == "H1")
    assert entry["status"] == "ok" and entry["version"] == trained["model_version"]
    assert entry["horizon"] == H1_H and entry["data"]["provider"]
    assert entry["training"]["seeds"] == [1, 2] and len(entry["training"]["best_steps"]) == 2
    assert entry["training"]["steps"] == 20
    data = entry["data"]
    # train | validation | calibration | held-out, in that order, none overlapping
    assert data["validation_windows"] >= 20 and data["calibration_windows"] >= 20
    assert data["calibration_bars"] == data["calibration_windows"] * H1_H
    assert data["holdout_origins"] == 40 and data["holdout_stride"] == H1_H
    assert data["train_end"] < data["calibration_start"] < data["holdout_start"]
    assert data["validation_start"] < data["train_end"]
    assert entry["served"] in ("naive", "nhits", "blend")
    # the intervals: conformal or the volatility baseline, calibrated on >= 20 windows
    cal = entry["calibration"]
    assert cal["windows"] >= 20 and set(cal["levels"]) == {"80", "95"}
    for spec in cal["levels"].values():
        assert spec["method"] in ("conformal", "volatility") and spec["multiplier"] > 0
        assert spec[spec["method"]]["calibrated"] or spec["method"] == "conformal"


def test_forecast_has_future_times_and_ordered_intervals(
    client: httpx.Client, trained: dict[str, Any]
) -> None:
    r = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["horizon"] == H1_H and len(body["median"]) == H1_H
    last = datetime.fromisoformat(body["last_bar"]["time"])
    times = [datetime.fromisoformat(t) for t in body["timestamps"]]
    assert times == [last + timedelta(hours=k + 1) for k in range(H1_H)]
    assert_quantiles_ordered(body)
    # the median stays near the last close (BTC moves well under 20 % in 6 hours)
    assert abs(body["median"][0] / body["last_bar"]["close"] - 1) < 0.2
    assert body["model"]["version"] == trained["model_version"]
    assert 0 <= body["model"]["age_seconds"] < 600
    short = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1", "horizon": 3}).json()
    assert len(short["median"]) == 3 and short["timestamps"] == body["timestamps"][:3]
    r = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1", "horizon": H1_H + 1})
    assert r.status_code == 422 and f"at most {H1_H}" in r.json()["detail"]
    assert r.json()["type"] == INVALID_REQUEST  # was an untyped 422


def test_forecast_says_what_it_serves_and_what_it_is_worth(
    client: httpx.Client, trained: dict[str, Any]
) -> None:
    body = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"}).json()
    model, close = body["model"], body["last_bar"]["close"]
    assert model["served"] in ("naive", "nhits", "blend") and model["served_reason"]
    assert len(body["nhits_median"]) == H1_H
    if model["served"] == "naive":  # labelled, and exactly "no change"
        assert model["alpha"] == 0 and body["median"] == [close] * H1_H
        assert "naive" in model["served_reason"]
    else:  # last close + alpha x the network's move
        want = [close * (m / close) ** model["alpha"] for m in body["nhits_median"]]
        assert np.allclose(body["median"], want, rtol=1e-9)
    q = ModelQuality.model_validate(body["quality"])
    assert q.metric == "relative MAE vs naive" and q.baseline == 1.0 and not q.higher_is_better
    assert q.value is not None and q.ci_low is not None and q.ci_high is not None
    assert q.ci_low <= q.value <= q.ci_high
    edge = has_edge(q.ci_low, q.ci_high, 1.0, higher_is_better=False)
    assert q.has_edge is (edge and model["served"] != "naive")
    assert "40 rolling origins" in q.evaluated_on and "held out" in q.evaluated_on
    if not q.has_edge:
        assert "no better than no change" in q.summary
    assert {i["method"] for i in body["intervals"]} <= {"conformal", "volatility"}


def test_evaluation_is_walk_forward_on_unseen_bars(
    client: httpx.Client, trained: dict[str, Any]
) -> None:
    r = client.get("/api/v1/forecast/BTCUSD/evaluation", params={"timeframe": "H1"})
    assert r.status_code == 200, r.text
    body = r.json()
    ev = body["holdout"]
    assert ev["origins"] == 40 and ev["points"] == 40 * H1_H and ev["stride"] == H1_H
    assert datetime.fromisoformat(body["evaluated_on"]["from"]) < datetime.fromisoformat(
        body["evaluated_on"]["until"]
    )
    assert math.isclose(ev["relative_mae"], ev["mae"] / ev["mae_naive"], rel_tol=1e-9)
    lo, hi = ev["relative_mae_ci"]
    assert lo <= ev["relative_mae"] <= hi
    for key in ("mase", "mase_naive", "mase_nhits"):
        assert 0 < ev[key] < 100
    assert set(ev["coverage"]) == {"80", "95"}
    assert 0 <= ev["coverage"]["80"] <= ev["coverage"]["95"] <= 1
    assert all(len(v) == H1_H for v in ev["coverage_per_step"].values())
    assert set(ev["winkler"]) == set(ev["winkler_volatility_baseline"]) == {"80", "95"}
    assert body["served"] == ev["served"] and body["served_reason"]
    assert body["quality"]["value"] == ev["relative_mae"]
    if not body["quality"]["has_edge"]:
        assert "No better than no change" in body["verdict"]
    assert body["rolling"] is None  # bundled data: no bar arrived after training


def test_rolling_scores_cover_bars_newer_than_the_model(
    client: httpx.Client, trained: dict[str, Any], nhits: tuple[str, Path]
) -> None:
    # pretend the model's data ended 126 bars ago: those bars are "new" to it
    reg = Registry(nhits[1])
    meta_path = reg.weights_path("BTCUSD", Timeframe.H1).with_name("meta.json")
    original = meta_path.read_text()
    meta = json.loads(original)
    end = datetime.fromisoformat(meta["data"]["end"])
    meta["data"]["end"] = (end - timedelta(hours=126)).isoformat()
    meta_path.write_text(json.dumps(meta))
    try:
        body = client.get("/api/v1/forecast/BTCUSD/evaluation", params={"timeframe": "H1"}).json()
    finally:
        meta_path.write_text(original)
    rolling = body["rolling"]
    assert rolling["new_bars"] == 126 and rolling["origins"] >= 20  # enough for the policy
    assert rolling["served"] == body["served"]
    lo, hi = rolling["relative_mae_ci"]
    assert lo <= rolling["relative_mae"] <= hi
    assert set(rolling["coverage"]) == {"80", "95"} and rolling["windows"] >= 20


def test_metrics_describe_training_forecasts_and_model_age(
    client: httpx.Client, trained: dict[str, Any]
) -> None:
    client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"})
    text = client.get("/metrics").text
    assert 'tradingstack_nhits_model_age_seconds{symbol="BTCUSD",timeframe="H1"}' in text
    assert 'tradingstack_nhits_training_duration_seconds_count{mode="full"}' in text
    assert 'tradingstack_forecast_latency_seconds_count{service="nhits"}' in text


def test_finetune_continues_from_the_saved_model(
    client: httpx.Client, trained: dict[str, Any], nhits: tuple[str, Path]
) -> None:
    r = client.post("/api/v1/forecast/BTCUSD/train", params={"timeframe": "H1", "mode": "finetune"})
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["id"])
    assert job["state"] == "succeeded" and job["kind"] == "finetune"
    assert "step 6/6" in job["progress"]["message"]
    meta = Registry(nhits[1]).meta("BTCUSD", Timeframe.H1)
    assert meta["mode"] == "finetune" and meta["base_version"] == trained["model_version"]
    assert meta["training"]["total_steps"] == 26 and meta["training"]["steps"] == 6
    body = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"}).json()
    assert body["model"]["version"] == meta["version"] != trained["model_version"]
    assert_quantiles_ordered(body)


def test_on_demand_training_for_a_stock_skips_weekends(client: httpx.Client) -> None:
    r = client.get("/api/v1/forecast/NVDA", params={"timeframe": "D1"})
    assert r.status_code == 503, r.text
    assert wait_job(client, r.json()["job"]["id"])["state"] == "succeeded"
    r = client.get("/api/v1/forecast/NVDA", params={"timeframe": "D1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"]["trained_on_demand"] is True and len(body["timestamps"]) == D1_H
    days = [datetime.fromisoformat(t) for t in body["timestamps"]]
    assert all(d.weekday() < 5 for d in days) and days == sorted(days)
    assert days[0] > datetime.fromisoformat(body["last_bar"]["time"])
    assert_quantiles_ordered(body)


# --- registry: corrupt files, automatic retraining ---------------------------------------------
def test_corrupt_model_is_a_clear_409_and_the_retrain_check_repairs_it(
    client: httpx.Client, trained: dict[str, Any], nhits: tuple[str, Path]
) -> None:
    reg = Registry(nhits[1])
    # a model of the old format (one MQLoss network) is not served as if it were a new one
    meta_path = reg.weights_path("BTCUSD", Timeframe.H1).with_name("meta.json")
    meta = json.loads(meta_path.read_text())
    meta["hyper"]["format"] = 1
    meta_path.write_text(json.dumps(meta))
    r = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"})
    assert r.status_code == 409 and "older version" in r.json()["detail"]
    reg.weights_path("BTCUSD", Timeframe.H1).write_bytes(b"\x00garbage, not safetensors")
    r = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"})
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == MODEL_CORRUPT and "corrupt" in r.json()["detail"]
    assert "/api/" not in r.json()["detail"]  # what to do is the type's, not a route
    items = client.get("/api/v1/models").json()["items"]
    assert any(i["symbol"] == "BTCUSD" and i["status"] == "ok" for i in items)  # meta is fine
    # broken metadata too: still a 409, and the listing says corrupt
    meta_path.write_text("{not json")
    assert client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"}).status_code == 409
    items = client.get("/api/v1/models").json()["items"]
    assert any(i["symbol"] == "BTCUSD" and i["status"] == "corrupt" for i in items)
    # the retrain policy retrains it (reason: corrupt), keeps the fresh NVDA model
    decisions = client.post("/api/v1/retrain/check").json()["decisions"]
    btc = next(d for d in decisions if d["symbol"] == "BTCUSD")
    assert (
        btc["action"] == "retrain" and btc["reason"] == "corrupt" and btc["status"] == "succeeded"
    )
    assert all(d["action"] == "keep" for d in decisions if d["symbol"] != "BTCUSD")
    assert 'tradingstack_nhits_retrains_total{reason="corrupt"} 1.0' in client.get("/metrics").text
    assert client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"}).status_code == 200


def test_retrain_check_with_the_data_service_down_decides_for_each_model(
    trained: dict[str, Any], nhits: tuple[str, Path]
) -> None:
    # the same registry, a data service that cannot be reached, every model too old: the
    # check answers a decision per model with the reason it could not retrain (it raised the
    # data error and answered 503 for the whole check: only ProblemError was caught)
    settings = tiny_settings(nhits[1]).model_copy(update={"max_model_age": timedelta(0)})
    dead = DataClient("http://127.0.0.1:9", attempts=1)
    app = create_app(settings, data_client=dead, configure_logs=False)
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        r = c.post("/api/v1/retrain/check")
    assert r.status_code == 200, r.text
    btc = next(d for d in r.json()["decisions"] if d["symbol"] == "BTCUSD")
    assert btc["action"] == "retrain" and btc["reason"] == "age", btc
    assert "unavailable" in btc["error"] and btc["job_id"] is None


def test_registry_saves_atomically_and_keeps_one_version(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    meta = {"hyper": {}, "trained_at": datetime.now(UTC).isoformat()}
    first = reg.save("BTCUSD", Timeframe.H1, b"one", meta)
    second = reg.save("BTCUSD", Timeframe.H1, b"two", meta)
    assert reg.current_version("BTCUSD", Timeframe.H1) == second["version"] != first["version"]
    assert reg.load("BTCUSD", Timeframe.H1).weights == b"two"
    dirs = [p.name for p in reg.model_dir("BTCUSD", Timeframe.H1).iterdir() if p.is_dir()]
    assert dirs == [second["version"]]
    assert reg.entries() == [("BTCUSD", Timeframe.H1)]
    with pytest.raises(ValueError):
        reg.model_dir("../../etc", Timeframe.H1)


# --- the retrain policy ------------------------------------------------------------------------
def test_retrain_policy_acts_on_a_schedule_and_on_measured_drift_not_on_one_bad_window() -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    week = timedelta(days=7)
    fresh = now - timedelta(days=1)
    kw: dict[str, Any] = {"trained_at": fresh, "now": now, "max_age": week}
    good = RollingScore(40, 0.98, 0.95, 1.01, {"80": 0.8, "95": 0.95}, windows=40)
    assert retrain_reason(rolling=good, **kw) is None
    assert retrain_reason(rolling=None, **kw) is None
    assert retrain_reason(**{**kw, "trained_at": now - timedelta(days=8)}, rolling=good) == "age"
    assert retrain_reason(rolling=good, corrupt=True, **kw) == "corrupt"
    # one bad window (the old policy retrained on it: MAE above naive on >= 1 point)
    one_bad = RollingScore(1, 1.6, 1.6, 1.6, {"80": 0.0, "95": 0.0}, windows=1)
    assert retrain_reason(rolling=one_bad, **kw) is None
    # worse than naive on average, but not significantly: keep
    noisy = RollingScore(60, 1.08, 0.97, 1.2, {"80": 0.78, "95": 0.94}, windows=20)
    assert retrain_reason(rolling=noisy, **kw) is None
    # significantly worse than naive (the whole interval above 1): retrain
    worse = RollingScore(60, 1.2, 1.08, 1.33, {"80": 0.8, "95": 0.95}, windows=20)
    assert retrain_reason(rolling=worse, **kw) == "underperforms_naive"
    assert retrain_reason(rolling=worse, naive_ratio=1.1, **kw) is None
    # intervals that stopped covering (0.55 of 40 windows for an 80 % band): retrain
    drift = RollingScore(40, 1.0, 1.0, 1.0, {"80": 0.55, "95": 0.93}, windows=40)
    assert retrain_reason(rolling=drift, **kw) == "coverage_drift"
    assert RollingScore(40, 1, 1, 1, {"80": 0.74}, windows=40).coverage_shortfall() == []
    # min_origins below 20 is not honoured: never judge on fewer
    few = RollingScore(5, 2.0, 1.5, 2.5, {"80": 0.0}, windows=5)
    assert retrain_reason(rolling=few, min_origins=1, **kw) is None


# --- serving, intervals, evaluation (pure numpy) -------------------------------------------------
def random_walk(n: int, seed: int, vol: np.ndarray | float = 0.01, df: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shocks = rng.standard_t(df, n) / np.sqrt(df / (df - 2)) if df else rng.normal(0, 1, n)
    return np.asarray(100 * np.exp(np.cumsum(shocks * vol)))


def windows_of(
    close: np.ndarray, at: np.ndarray, h: int, stride: int, move: np.ndarray
) -> skill.Windows:
    """Windows whose 'model' path is the last close (log) plus `move` (n, h)."""
    y = np.log(close)
    return skill.Windows(
        last=close[at - 1],
        model_t=y[at - 1][:, None] + move,
        sigma=skill.sigma_at(y, at, 50),
        actual=skill.actuals(close, at, h),
        target="log_price",
        stride=stride,
    )


def test_serves_naive_labelled_when_the_model_loses_on_validation() -> None:
    h = 5
    close = random_walk(3000, 1)
    rng = np.random.default_rng(2)
    val_at, cal_at = skill.origins(1500, 300, 1, h), skill.origins(2500, 600, 1, h)
    # a network that moves as far as the market but at random (the NHITS)
    noise = windows_of(close, val_at, h, 1, rng.normal(0, 0.02, (300, h)))
    noise_cal = windows_of(close, cal_at, h, 1, rng.normal(0, 0.02, (600, h)))
    serving = skill.choose_serving(noise, noise_cal)
    assert serving["served"] == "naive" and serving["alpha"] == 0
    assert "naive" in serving["reason"] and serving["calibration"]["windows"] >= 20
    # and what is served is exactly the last close
    paths = skill.serve(noise_cal, serving, skill.choose_intervals(noise_cal, 0.0, [80, 95]))
    assert np.array_equal(paths.median, np.repeat(noise_cal.last[:, None], h, axis=1))
    # a network that knows part of the future move is served (blended or whole)
    y = np.log(close)

    def informed(at: np.ndarray) -> skill.Windows:
        future = np.stack([y[o : o + h] - y[o - 1] for o in at])
        return windows_of(close, at, h, 1, 0.5 * future + rng.normal(0, 0.003, future.shape))

    served = skill.choose_serving(informed(val_at), informed(cal_at))
    assert served["served"] in ("nhits", "blend") and served["alpha"] > 0
    assert served["calibration"]["dm"]["favours_model"] is True
    # a small but real edge that the DM test cannot see on the calibration windows: naive
    weak = skill.choose_serving(informed(val_at), noise_cal)
    assert weak["served"] == "naive" and "Diebold-Mariano" in weak["reason"]


def test_conformal_widths_come_from_at_least_20_windows_and_hold_out_of_sample() -> None:
    with pytest.raises(ValueError):
        NhitsSettings(calib_windows=8)  # the old default: one factor from 8 windows
    split = skill.plan(
        700, h=5, min_fit=100, val_windows=20, calib_windows=50, eval_origins=200, eval_stride=5
    )
    assert split is not None and split.calib_windows >= 20 and split.val_windows >= 20
    assert split.eval_origins >= 20 and split.fit_bars >= 100
    assert len(split.calib_at()) == (split.calib_windows - 1) * 5 + 1
    assert split.calib_at()[-1] + 5 == split.eval_start  # no calibration bar is evaluated on
    assert (
        skill.plan(
            300, h=5, min_fit=100, val_windows=20, calib_windows=50, eval_origins=200, eval_stride=5
        )
        is None
    )
    # fat tails (t with 4 df) and a volatility that doubles: the conformal multiplier from 50
    # windows keeps both levels in range on 400 later origins
    h, n = 5, 5000
    vol = np.where(np.arange(n) < 3000, 0.01, 0.02)
    close = random_walk(n, 3, vol, df=4)
    zero = np.zeros((1, h))
    cal_at = skill.origins(2750, 246, 1, h)
    cal = windows_of(close, cal_at, h, 1, np.repeat(zero, len(cal_at), axis=0))
    spec = skill.choose_intervals(cal, 0.0, [80, 95])
    assert spec["windows"] >= 50 and spec["scores"] == len(cal_at) * h
    ev_at = skill.origins(n, 400, h, h)
    held = windows_of(close, ev_at, h, h, np.repeat(zero, len(ev_at), axis=0))
    ev = skill.evaluate(
        held, {"served": "naive", "alpha": 0.0}, spec, levels=[80, 95], mase_scale=1.0
    )
    assert 0.76 <= ev["coverage"]["80"] <= 0.84 and 0.93 <= ev["coverage"]["95"] <= 0.975
    # served: the narrower calibrated one, so never a worse interval score than the baseline
    for lv in ("80", "95"):
        s = spec["levels"][lv]
        other = "volatility" if s["method"] == "conformal" else "conformal"
        assert s[s["method"]]["calibrated"] or s["method"] == "conformal"
        assert (not s[other]["calibrated"]) or s["multiplier"] <= s[other]["multiplier"]
        assert ev["winkler_ratio"][lv] <= 1.03


def test_evaluation_bootstrap_dm_and_mase_on_the_evaluated_period() -> None:
    h = 7
    vol = np.where(np.arange(4000) < 3000, 0.005, 0.02)  # calm training, wild evaluation
    close = random_walk(4000, 5, vol)
    at = skill.origins(4000, 130, h, h)
    naive = windows_of(close, at, h, h, np.zeros((len(at), h)))
    spec = skill.choose_intervals(naive, 0.0, [80, 95])
    scale = mase_scale(close[at[0] - 1 :])  # what assess() passes: the evaluated bars
    ev = skill.evaluate(
        naive, {"served": "naive", "alpha": 0.0}, spec, levels=[80, 95], mase_scale=scale
    )
    # the naive forecast against itself: exactly 1, interval [1, 1], no edge
    assert ev["relative_mae"] == 1.0 and ev["relative_mae_ci"] == [1.0, 1.0]
    assert ev["beats_naive"] is False and "No better than no change" in ev["verdict"]
    # MASE of the naive h-step forecast on a random walk: mean of sqrt(k), ~1.93 for h=7,
    # whatever the volatility of the training bars (the old scale read several times that)
    assert 1.6 < ev["mase_naive"] < 2.3
    q = skill.quality(ev, "130 origins")
    assert q["has_edge"] is False and "no better than no change" in q["summary"]
    ModelQuality.model_validate(q)
    # bootstrap interval of a ratio: covers the truth, excludes 1 for a clear gain
    rng = np.random.default_rng(0)
    den = rng.exponential(1.0, 300)
    lo, hi = skill.ratio_ci(0.9 * den * rng.uniform(0.9, 1.1, 300), den, block=5)
    assert lo < 0.9 < hi < 1.0
    # DM: a coin flip is not significant; a clear gain is
    a = rng.exponential(1.0, 200)
    assert skill.dm_test(a, a * rng.uniform(0.8, 1.25, 200), lag=0)["favours_model"] is False
    assert skill.dm_test(a, 0.7 * a, lag=3)["favours_model"] is True
    assert skill.dm_test(a, a, lag=3)["favours_model"] is False


# --- first start --------------------------------------------------------------------------------
def test_first_start_trains_the_missing_model_once_and_later_starts_reuse_it(
    tmp_path: Path, data_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TS_JOBS_PREPARE", "BTCUSD:H1")
    monkeypatch.setenv("TS_JOBS_LOCK", str(tmp_path / "jobs.lock"))

    apps: list[Any] = []

    def start() -> Any:
        app = create_app(
            tiny_settings(tmp_path / "nhits"),
            data_client=DataClient(data_url),
            configure_logs=False,
        )
        apps.append(app)
        return serve_app(app)

    with start() as url, httpx.Client(base_url=url, timeout=60) as c:
        deadline = time.monotonic() + 30
        while not (jobs := c.get("/api/v1/jobs").json()["jobs"]):
            assert time.monotonic() < deadline, "no first-start job"
            time.sleep(0.1)
        [job] = jobs
        assert (job["reason"], job["symbol"], job["timeframe"]) == ("first-start", "BTCUSD", "H1")
        assert wait_job(c, job["id"])["state"] == "succeeded"
        version = model_version(c, "BTCUSD", "H1")
        assert c.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"}).status_code == 200
    # the next start finds the saved model: nothing is retrained
    with start() as url, httpx.Client(base_url=url, timeout=60) as c:
        # ... and loads it at once: the first forecast does not wait for torch (it took 30 s
        # on a loaded 2-core machine)
        deadline = time.monotonic() + 60
        while ("BTCUSD", Timeframe.H1) not in apps[-1].state.nhits._cache:
            assert time.monotonic() < deadline, "the saved model was not loaded on start"
            time.sleep(0.1)
        assert c.get("/api/v1/jobs").json()["jobs"] == []
        assert model_version(c, "BTCUSD", "H1") == version
