"""The NHITS service against the REAL data service (bundled data), with tiny real models."""

from __future__ import annotations

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
from tradingstack.core.timeframes import Timeframe
from tradingstack.data.app import create_app as create_data_app
from tradingstack.data.settings import DataSettings
from tradingstack.nhits.app import create_app
from tradingstack.nhits.model import Quantiles, conformal_scales, evaluate, widen
from tradingstack.nhits.policy import RollingScore, retrain_reason
from tradingstack.nhits.registry import Registry
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
        train_bars=300,
        finetune_bars=120,
        eval_windows=2,
        calib_windows=2,
        retrain_enabled=False,
        accelerator="cpu",
    )


@pytest.fixture(scope="module")
def nhits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = Path(tmp_path_factory.mktemp("nhits"))
    with serve_app(create_data_app(DataSettings(dir=root / "data"))) as data_url:
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
        job: dict[str, Any] = client.get(
            "/api/v1/training/progress", params={"job_id": job_id}
        ).json()["jobs"][0]
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


@pytest.fixture(scope="module")
def trained(client: httpx.Client) -> dict[str, Any]:
    """One tiny BTCUSD H1 model, trained through the API (10 steps)."""
    r = client.post("/api/v1/forecast/BTCUSD/train", params={"timeframe": "H1"})
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["job_id"])
    assert job["status"] == "succeeded", job
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
def test_no_model_is_a_404_that_says_how_to_train(client: httpx.Client) -> None:
    r = client.get("/api/v1/forecast/MSFT", params={"timeframe": "D1"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    detail = r.json()["detail"]
    assert "POST /api/v1/forecast/MSFT/train?timeframe=D1" in detail
    assert "POST /api/v1/forecast/MSFT?timeframe=D1" in detail  # train on demand, then forecast
    # a GET changes nothing: the old `?train=true` trained and saved a model without the token
    r = client.get("/api/v1/forecast/MSFT", params={"timeframe": "D1", "train": "true"})
    assert r.status_code == 404
    assert client.get("/api/v1/models").json()["count"] == 0
    assert (
        client.get("/api/v1/forecast/MSFT/evaluation", params={"timeframe": "D1"}).status_code
        == 404
    )
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
    r = client.get("/api/v1/training/progress", params={"job_id": "nope"})
    assert r.status_code == 404
    # an unknown symbol is the data service's 404, passed through with its detail
    r = client.post("/api/v1/forecast/NOSUCHSYM/train", params={"timeframe": "H1"})
    assert r.status_code == 404 and "NOSUCHSYM" in r.json()["detail"]
    assert r.json()["upstream"] == "data"
    r = client.post("/api/v1/forecast/NOSUCHSYM", params={"timeframe": "H1"})
    assert r.status_code == 404 and "NOSUCHSYM" in r.json()["detail"]
    # fine-tuning needs a model to start from
    r = client.post("/api/v1/forecast/TSLA/train", params={"timeframe": "D1", "mode": "finetune"})
    assert r.status_code == 404 and "train" in r.json()["detail"]


def test_second_training_of_a_model_is_409_with_the_running_job(client: httpx.Client) -> None:
    r = client.post("/api/v1/forecast/AMZN/train", params={"timeframe": "D1", "max_steps": 20_000})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    try:
        again = client.post("/api/v1/forecast/AMZN/train", params={"timeframe": "D1"})
        assert again.status_code == 409
        assert again.json()["job_id"] == job_id and job_id in again.json()["detail"]
        assert client.get("/health").json()["training_in_progress"] is True
        # progress moves: step, loss and an ETA while it runs
        deadline = time.monotonic() + 90
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = client.get("/api/v1/training/progress", params={"job_id": job_id}).json()["jobs"][
                0
            ]
            if job["step"] >= 2 and job["loss"] is not None:
                break
            time.sleep(0.1)
        assert job["status"] == "running" and job["max_steps"] == 20_000
        assert 0 < job["percent"] < 1 and job["eta_seconds"] > 0 and job["loss"] > 0
    finally:
        assert client.delete(f"/api/v1/training/jobs/{job_id}").status_code == 202
    done = wait_job(client, job_id)
    assert done["status"] == "cancelled"
    assert client.get("/health").json()["training_in_progress"] is False
    r = client.get("/api/v1/forecast/AMZN", params={"timeframe": "D1"})
    assert r.status_code == 404  # a cancelled job saves nothing


# --- train -> progress -> forecast -> evaluation ------------------------------------------------
def test_training_reports_progress_and_saves_a_model(
    client: httpx.Client, trained: dict[str, Any]
) -> None:
    assert trained["percent"] == 100.0 and trained["step"] == 10 and trained["max_steps"] == 10
    assert trained["loss"] > 0 and trained["eta_seconds"] == 0.0 and trained["model_version"]
    items = client.get("/api/v1/models").json()["items"]
    entry = next(i for i in items if i["symbol"] == "BTCUSD" and i["timeframe"] == "H1")
    assert entry["status"] == "ok" and entry["version"] == trained["model_version"]
    assert entry["horizon"] == H1_H and entry["data"]["holdout_bars"] == 2 * H1_H
    assert entry["training"]["steps"] == 10 and entry["data"]["provider"]
    assert entry["data"]["calibration_bars"] == 2 * H1_H
    # the intervals are calibrated on windows between the training bars and the held-out ones
    assert entry["data"]["train_end"] < entry["data"]["holdout_start"]
    scales = entry["calibration"]["scales"]
    assert set(scales) == {"80", "95"} and all(v > 0 for v in scales.values())


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


def test_evaluation_is_walk_forward_on_unseen_bars(
    client: httpx.Client, trained: dict[str, Any]
) -> None:
    r = client.get("/api/v1/forecast/BTCUSD/evaluation", params={"timeframe": "H1"})
    assert r.status_code == 200, r.text
    body = r.json()
    ev = body["holdout"]
    assert ev["windows"] == 2 and ev["points"] == 2 * H1_H
    assert datetime.fromisoformat(body["evaluated_on"]["from"]) < datetime.fromisoformat(
        body["evaluated_on"]["until"]
    )
    for key in ("mase", "mase_naive", "mase_seasonal_naive"):
        assert 0 < ev[key] < 100
    assert math.isclose(ev["relative_mae"], ev["mae"] / ev["mae_naive"], rel_tol=1e-9)
    assert 0 <= ev["smape"] <= 200 and 0 <= ev["smape_naive"] <= 200
    assert 0 <= ev["directional_accuracy"] <= 1 and 0.5 <= ev["directional_base_rate"] <= 1
    assert set(ev["coverage"]) == {"80", "95"}
    assert 0 <= ev["coverage"]["80"] <= ev["coverage"]["95"] <= 1
    assert body["beats_naive"] is (ev["mae"] < ev["mae_naive"])
    assert ("NOT" in body["verdict"]) is (not body["beats_naive"])
    assert body["rolling"] is None  # bundled data: no bar arrived after training


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
    job = wait_job(client, r.json()["job_id"])
    assert job["status"] == "succeeded" and job["mode"] == "finetune" and job["step"] == 3
    meta = Registry(nhits[1]).meta("BTCUSD", Timeframe.H1)
    assert meta["mode"] == "finetune" and meta["base_version"] == trained["model_version"]
    assert meta["training"]["total_steps"] == 13 and meta["data"]["bars"] == 120
    body = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"}).json()
    assert body["model"]["version"] == job["model_version"] != trained["model_version"]
    assert_quantiles_ordered(body)


def test_on_demand_training_for_a_stock_skips_weekends(client: httpx.Client) -> None:
    r = client.post("/api/v1/forecast/NVDA", params={"timeframe": "D1"})
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
    reg.weights_path("BTCUSD", Timeframe.H1).write_bytes(b"\x00garbage, not safetensors")
    r = client.get("/api/v1/forecast/BTCUSD", params={"timeframe": "H1"})
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert (
        "corrupt" in r.json()["detail"]
        and "POST /api/v1/forecast/BTCUSD/train" in r.json()["detail"]
    )
    items = client.get("/api/v1/models").json()["items"]
    assert any(i["symbol"] == "BTCUSD" and i["status"] == "ok" for i in items)  # meta is fine
    # broken metadata too: still a 409, and the listing says corrupt
    meta_path = reg.weights_path("BTCUSD", Timeframe.H1).with_name("meta.json")
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
def test_retrain_policy() -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    week = timedelta(days=7)
    fresh = now - timedelta(days=1)
    good = RollingScore(points=24, mae=0.9, mae_naive=1.0)
    bad = RollingScore(points=24, mae=1.2, mae_naive=1.0)
    assert retrain_reason(trained_at=fresh, now=now, max_age=week, rolling=good) is None
    assert retrain_reason(trained_at=fresh, now=now, max_age=week, rolling=None) is None
    old = now - timedelta(days=8)
    assert retrain_reason(trained_at=old, now=now, max_age=week, rolling=good) == "age"
    assert (
        retrain_reason(trained_at=fresh, now=now, max_age=week, rolling=bad)
        == "underperforms_naive"
    )
    # a tolerance above 1 keeps a model that is only slightly worse than naive
    assert (
        retrain_reason(trained_at=fresh, now=now, max_age=week, rolling=bad, naive_ratio=1.5)
        is None
    )
    # too few new bars: no judgement yet
    assert (
        retrain_reason(trained_at=fresh, now=now, max_age=week, rolling=bad, min_points=48) is None
    )
    assert (
        retrain_reason(trained_at=fresh, now=now, max_age=week, rolling=good, corrupt=True)
        == "corrupt"
    )


# --- interval calibration (pure numpy) ---------------------------------------------------------
def test_conformal_scales_widen_too_narrow_intervals_to_their_level() -> None:
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 3000)))

    def narrow(histories: list[np.ndarray]) -> Quantiles:  # a random walk's median, tiny bands
        med = np.repeat(np.array([h[-1] for h in histories])[:, None], 4, axis=1)
        return Quantiles(
            median=med,
            lower={80: med * 0.999, 95: med * 0.998},
            upper={80: med * 1.001, 95: med * 1.002},
        )

    kw: dict[str, Any] = {"h": 4, "windows": 200, "season": 5, "levels": [80, 95]}
    raw = evaluate(narrow, close, scale_history=close[:2000], **kw)["coverage"]
    assert raw["80"] < 0.5 and raw["95"] < 0.6
    scales = conformal_scales(
        narrow, close[:2200], h=4, windows=200, levels=[80, 95], target="price"
    )
    # widths grow past the raw ones, and the 95 % band ends wider than the 80 % one
    assert min(scales.values()) > 1 and scales["95"] * 0.002 > scales["80"] * 0.001
    fixed = evaluate(lambda hs: widen(narrow(hs), scales), close, scale_history=close[:2000], **kw)
    assert 0.7 <= fixed["coverage"]["80"] <= 0.9 and 0.88 <= fixed["coverage"]["95"] <= 1.0
    q = widen(narrow([close[:100]]), scales)
    assert np.all(q.lower[95] <= q.lower[80]) and np.all(q.upper[80] <= q.upper[95])
