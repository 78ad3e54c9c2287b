"""The TCN service against the REAL data service: training, detection, scan, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from tradingstack.core.errors import (
    INVALID_REQUEST,
    MODEL_CORRUPT,
    MODEL_NOT_TRAINED,
    MODEL_PREPARING,
    NO_DATA,
    TOO_LARGE,
    UNKNOWN_SYMBOL,
)
from tradingstack.core.jobs import Job, JobList
from tradingstack.tcn import training
from tradingstack.tcn.app import create_app
from tradingstack.tcn.detector import detect
from tradingstack.tcn.settings import TcnSettings
from tradingstack.tcn.store import ModelCorruptError, ModelStore

TINY_BODY = {
    "synthetic_per_class": 8,
    "synthetic_max_tries": 1,
    "real_sources": [{"symbol": "BTCUSD", "timeframe": "H1"}],
    "real_bars": 800,
    "surrogate_paths": 1,
    "epochs": 1,
    "channels": 8,
    "levels": 2,
}


def tiny_settings(root: Path) -> TcnSettings:
    return TcnSettings(dir=root, prepare=training.TrainConfig(**TINY_BODY))


@pytest.fixture(scope="module")
def client(data_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = tiny_settings(Path(tmp_path_factory.mktemp("tcn")) / "models")
    with TestClient(create_app(settings, data_url=data_url), raise_server_exceptions=False) as c:
        yield c


def _wait(client: TestClient, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        Job.model_validate(job)
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"training job {job_id} did not finish")


def test_patterns_endpoint(client: TestClient) -> None:
    body = client.get("/api/v1/patterns").json()
    assert body["count"] == 16 and len(body["patterns"]) == 16
    names = {p["name"] for p in body["patterns"]}
    assert {"head_and_shoulders", "cup_and_handle", "channel_down"} <= names


def test_without_a_model_detect_answers_being_prepared_and_trains_one(
    client: TestClient,
) -> None:
    r = client.get("/api/v1/model")
    assert r.status_code == 404 and r.json()["type"] == MODEL_NOT_TRAINED
    r = client.get("/api/v1/detect/BTCUSD", params={"timeframe": "H1"})
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == MODEL_PREPARING and int(r.headers["retry-after"]) >= 2
    job = Job.model_validate(r.json()["job"])
    assert (job.service, job.kind, job.reason) == ("tcn", "train", "on-demand")
    # a scan, or another detection, finds the same job
    scan = client.post("/api/v1/scan", json={"symbols": ["BTCUSD"]})
    if scan.status_code == 503:
        assert scan.json()["job"]["id"] == job.id
    listing = JobList.model_validate(client.get("/api/v1/jobs").json())
    assert [j.id for j in listing.jobs] == [job.id]
    done = _wait(client, job.id)
    assert done["state"] == "succeeded", done
    r = client.get("/api/v1/detect/BTCUSD", params={"timeframe": "H1"})
    assert r.status_code == 200, r.text


def test_bad_input(client: TestClient) -> None:
    assert client.get("/api/v1/detect/BTCUSD", params={"timeframe": "H7"}).status_code == 422
    r = client.get("/api/v1/detect/BTCUSD", params={"min_confidence": 1.5})
    assert r.status_code == 422 and "min_confidence" in r.json()["detail"]
    assert client.post("/api/v1/scan", json={"symbols": []}).status_code == 422
    assert client.post("/api/v1/scan", json={}).status_code == 422
    # a batch over the service's limit is 413 too-large (the table's type; it was an untyped 422)
    r = client.post("/api/v1/scan", json={"symbols": [f"S{i}" for i in range(51)]})
    assert r.status_code == 413 and r.json()["type"] == TOO_LARGE, r.text
    assert "at most 50" in r.json()["detail"]
    r = client.post("/api/v1/train", json={"epochs": 0})
    assert r.status_code == 422 and "epochs" in r.json()["detail"]
    # a misspelt key was ignored and started a full training with the defaults
    r = client.post("/api/v1/train", json={"epoch": 1})
    assert r.status_code == 422 and "epoch" in r.json()["detail"]
    r = client.post(
        "/api/v1/train", json={"real_sources": [{"symbol": "X", "timeframe": "H1", "tf": 1}]}
    )
    assert r.status_code == 422 and "tf" in r.json()["detail"]
    assert client.get("/api/v1/jobs").json()["in_progress"] is False
    assert client.get("/api/v1/jobs/nope").status_code == 404


def test_train_progress_conflict_and_detect(client: TestClient) -> None:
    r = client.post("/api/v1/train", json=TINY_BODY)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] in ("queued", "running") and job["reason"] == "user"
    assert r.headers["location"] == f"/api/v1/jobs/{job['id']}"
    health = client.get("/health").json()
    second = client.post("/api/v1/train", json=TINY_BODY)
    if client.get(f"/api/v1/jobs/{job['id']}").json()["state"] in ("queued", "running"):
        assert health["training_in_progress"] is True
        assert second.status_code == 409 and second.json()["job"]["id"] == job["id"]
    done = _wait(client, job["id"])
    assert done["state"] == "succeeded", done
    assert done["progress"]["percent"] == 100.0 and "loss" in done["progress"]["message"]
    progress = client.get("/api/v1/jobs").json()
    assert progress["in_progress"] is False and progress["jobs"][0]["id"] == job["id"]
    assert client.get("/health").json()["training_in_progress"] is False

    meta = client.get("/api/v1/model").json()
    assert meta["config"]["classes"][-1] == "none"
    assert meta["training"]["real_counts"], "rule-labelled real windows were used"
    assert 0 <= meta["metrics"]["real_test"]["macro_f1"] <= 1
    assert len(meta["calibration"]["patterns"]) == 16 and meta["temperature"] > 0
    served = {p["pattern"] for p in meta["calibration"]["patterns"] if p["served"]}

    r = client.get("/api/v1/detect/BTCUSD", params={"timeframe": "H1", "min_confidence": 0})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["bars_scanned"] == 500 and body["windows_scanned"] > 50
    # the answer carries the model's measured quality and each pattern's lift over chance
    q = body["quality"]
    assert q["metric"].startswith("macro-F1 on held-out real windows")
    assert q["has_edge"] is False or (q["ci_low"] > q["baseline"])
    assert len(body["model"]["patterns"]) == 16
    assert set(body["model"]["served_patterns"]) == served
    assert all(d["pattern"] in served and d["beats_chance"] for d in body["detections"])
    everything = client.get(
        "/api/v1/detect/BTCUSD",
        params={"timeframe": "H1", "min_confidence": 0, "include_unvalidated": "true"},
    ).json()
    assert len(everything["detections"]) >= len(body["detections"])
    assert everything["unvalidated"] == body["unvalidated"]
    first, last = (
        datetime.fromisoformat(body["first_bar"]),
        datetime.fromisoformat(body["last_bar"]),
    )
    for d in everything["detections"]:
        start, end = datetime.fromisoformat(d["start_time"]), datetime.fromisoformat(d["end_time"])
        assert first <= start < end <= last
        assert 0 <= d["confidence"] <= 1 and d["bars"] == 64
        assert d["beats_chance"] == (d["pattern"] in served)
    starts = [d["start_time"] for d in everything["detections"]]
    assert starts == sorted(starts)
    strict = client.get("/api/v1/detect/BTCUSD", params={"timeframe": "H1", "min_confidence": 0.99})
    assert all(d["confidence"] >= 0.99 for d in strict.json()["detections"])
    assert len(strict.json()["detections"]) <= len(body["detections"]) + strict.json()["candidates"]

    metrics = client.get("/metrics").text
    assert "# TYPE tradingstack_tcn_detections_total counter" in metrics
    assert ("tradingstack_tcn_detections_total{pattern=" in metrics) == bool(body["detections"])
    assert 'tradingstack_tcn_model_macro_f1{dataset="real_test"}' in metrics

    # unknown symbol, too few bars
    r = client.get("/api/v1/detect/NOPE", params={"timeframe": "H1"})
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]
    assert r.json()["type"] == UNKNOWN_SYMBOL and r.json()["upstream"] == "data"
    r = client.get("/api/v1/detect/NVDA", params={"timeframe": "M15"})  # no bars there
    assert r.status_code == 404 and r.json()["type"] == NO_DATA, r.text
    r = client.get("/api/v1/detect/BTCUSD", params={"timeframe": "H1", "bars": 32})
    assert r.status_code == 422 and r.json()["type"] == INVALID_REQUEST, r.text  # was untyped
    assert "at least 64" in r.json()["detail"]

    scan = client.post(
        "/api/v1/scan",
        json={"symbols": ["BTCUSD", "NVDA", "NOPE"], "timeframes": ["D1"], "min_confidence": 0.2},
    )
    assert scan.status_code == 200, scan.text
    items = {i["symbol"]: i for i in scan.json()["items"]}
    assert items["BTCUSD"]["ok"] and items["NVDA"]["ok"]
    assert not items["NOPE"]["ok"] and items["NOPE"]["status"] == 404
    assert items["NOPE"]["type"] == UNKNOWN_SYMBOL  # a client branches on the type
    assert scan.json()["detections"] == sum(
        len(i["result"]["detections"]) for i in scan.json()["items"] if i["ok"]
    )


def test_train_on_demand_and_corrupt_model(data_url: str, tmp_path: Path) -> None:
    settings = tiny_settings(tmp_path / "models")
    with TestClient(create_app(settings, data_url=data_url), raise_server_exceptions=False) as c:
        r = c.get("/api/v1/detect/NVDA", params={"timeframe": "D1"})
        assert r.status_code == 503, r.text
        assert _wait(c, r.json()["job"]["id"])["state"] == "succeeded"
        r = c.get("/api/v1/detect/NVDA", params={"timeframe": "D1"})
        assert r.status_code == 200, r.text
        assert r.json()["model"]["trained_at"]
    store = ModelStore(settings.dir)
    assert store.weights_path.exists() and store.meta_path.exists()
    assert not list(settings.dir.glob("*.tmp"))
    raw = bytearray(store.weights_path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    store.weights_path.write_bytes(bytes(raw))
    with pytest.raises(ModelCorruptError, match="checksum"):
        store.load()
    with TestClient(create_app(settings, data_url=data_url), raise_server_exceptions=False) as c:
        r = c.get("/api/v1/detect/NVDA", params={"timeframe": "D1"})
        assert r.status_code == 409 and r.json()["type"] == MODEL_CORRUPT  # as in nhits
        assert "train a new one" in r.json()["detail"] and "/api/" not in r.json()["detail"]
        assert c.get("/health").json()["status"] == "degraded"
    store.meta_path.write_text("{not json")
    with pytest.raises(ModelCorruptError, match="cannot be read"):
        store.load()


def test_tiny_tcn_without_real_data_serves_nothing(tmp_path: Path) -> None:
    """Without real series the rules are calibrated on a random walk: no pattern beats
    chance, so the quality says no edge; the model learns the rule labels of its surrogate
    windows and survives a save/load round trip."""
    cfg = training.TrainConfig(
        synthetic_per_class=30,
        synthetic_max_tries=0,
        real_sources=[],
        real_bars=0,
        surrogate_paths=1,
        epochs=4,
        patience=10,
        channels=8,
        levels=3,
        seed=3,
        batch_size=32,
        learning_rate=5e-3,
    )
    result = training.train(cfg)
    meta = result.meta
    assert meta.calibration is not None and meta.calibration.served == []
    assert meta.quality is not None and not meta.quality.has_edge
    assert "none is served" in meta.quality.summary
    assert sum(meta.training["synthetic_counts"].values()) > 30
    assert result.history[-1] < result.history[0]
    store = ModelStore(tmp_path)
    meta = store.save(result.model, result.meta)
    model, loaded = store.load()
    assert loaded.weights_sha256 == meta.weights_sha256
    x = torch.randn(3, 6, 64)
    result.model.eval()
    assert torch.allclose(model(x), result.model(x), atol=1e-6)

    from tradingstack.tcn import synthetic

    rng = np.random.default_rng(99)
    s = synthetic.generate_series("bull_flag", rng, length_range=(60, 60))
    run = detect(model, s.to_frame(), torch.device("cpu"), min_confidence=0.0, iou_threshold=1.0)
    assert run.windows > 0 and len(run.detections) == run.candidates


def test_first_start_trains_the_model_once(
    data_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TS_JOBS_PREPARE", "BTCUSD:H1,NVDA:D1")  # one model serves both
    monkeypatch.setenv("TS_JOBS_LOCK", str(tmp_path / "jobs.lock"))
    settings = tiny_settings(tmp_path / "models")
    with TestClient(create_app(settings, data_url=data_url)) as c:
        deadline = time.monotonic() + 30
        while not (jobs := c.get("/api/v1/jobs").json()["jobs"]):
            assert time.monotonic() < deadline, "no first-start job"
            time.sleep(0.05)
        [job] = jobs
        assert job["reason"] == "first-start"
        assert _wait(c, job["id"])["state"] == "succeeded"
        trained_at = c.get("/api/v1/model").json()["trained_at"]
    with TestClient(create_app(settings, data_url=data_url)) as c:
        time.sleep(0.5)
        assert c.get("/api/v1/jobs").json()["jobs"] == []  # saved: nothing retrained
        assert c.get("/api/v1/model").json()["trained_at"] == trained_at
