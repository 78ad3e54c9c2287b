"""The HMM service against the REAL data service: regimes, scores, bad input."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tradingstack.core.errors import INVALID_REQUEST, MODEL_PREPARING, UNKNOWN_SYMBOL
from tradingstack.core.jobs import Job, JobList
from tradingstack.hmm.app import create_app
from tradingstack.hmm.regime import REGIMES
from tradingstack.hmm.settings import HmmSettings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> HmmSettings:
    return HmmSettings(
        dir=Path(tmp_path_factory.mktemp("hmm")) / "models",
        bars=700,
        tol=1e-3,
        restarts=2,
        n_iter=150,
        boost_rounds=40,
    )


@pytest.fixture(scope="module")
def client(data_url: str, settings: HmmSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, data_url=data_url), raise_server_exceptions=False) as c:
        yield c


def wait_job(client: TestClient, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        Job.model_validate(job)
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def preparing(r: Any, kind: str) -> dict[str, Any]:
    """A 503 model-being-prepared answer's job (checked against the contract)."""
    assert r.status_code == 503, r.text
    assert r.json()["type"] == MODEL_PREPARING and int(r.headers["retry-after"]) >= 1
    job: dict[str, Any] = r.json()["job"]
    assert Job.model_validate(job).kind == kind and job["service"] == "hmm"
    return job


def test_regime(client: TestClient) -> None:
    # no model: the request does not fit one (it took seconds inside the request); it starts
    # the job that does and says so at once
    t0 = time.monotonic()
    r = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"})
    job = preparing(r, "fit-regime")
    assert time.monotonic() - t0 < 5 and job["reason"] == "on-demand"
    assert client.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"}).status_code in (200, 503)
    done = wait_job(client, job["id"])
    assert done["state"] == "succeeded" and done["progress"]["percent"] == 100
    r = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["current_regime"] in REGIMES
    probs = body["probabilities"]
    assert set(probs) == set(REGIMES) and math.isclose(sum(probs.values()), 1.0, abs_tol=1e-5)
    assert body["current_regime"] == max(probs, key=probs.get)
    trans = body["transition_matrix"]
    assert set(trans) == set(REGIMES)
    for row in trans.values():
        assert set(row) == set(REGIMES) and math.isclose(sum(row.values()), 1.0, abs_tol=1e-5)
    for regime, d in body["expected_duration"].items():
        p = trans[regime][regime]
        assert d["bars"] == pytest.approx(1 / (1 - p), rel=1e-3)
        assert d["seconds"] == pytest.approx(d["bars"] * 3600, rel=1e-3) and d["human"]
    history = body["history"]
    assert history and history[-1]["end"] == body["as_of"]
    for a, b in itertools.pairwise(history):
        assert a["regime"] != b["regime"]
        assert datetime.fromisoformat(a["end"]) < datetime.fromisoformat(b["start"])
    model = body["model"]
    assert model["refitted"] is False and model["restarts"] == 2 and model["n_obs"] > 600
    assert model["converged"] is True and model["stale"] is False
    # saved: the same model answers the next request
    again = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"}).json()
    assert again["model"]["fitted_at"] == model["fitted_at"]
    assert again["probabilities"] == probs
    # the held-out quality travels with the answer (one-step forecast vs one Gaussian)
    q = body["quality"]
    assert q["baseline"] == 0.0 and q["higher_is_better"] is True and "Gaussian" in q["metric"]
    assert q["has_edge"] == (q["ci_low"] > 0) and q["summary"]
    assert model["refit_agreement"] is None  # the first fit
    # POST .../fit starts a refit job: 202 with it, 409 with it while it is queued or running
    r = client.post("/api/v1/regime/BTCUSD/fit", params={"timeframe": "H1"})
    assert r.status_code == 202, r.text
    refit = r.json()
    assert refit["reason"] == "user" and r.headers["location"] == f"/api/v1/jobs/{refit['id']}"
    second = client.post("/api/v1/regime/BTCUSD/fit", params={"timeframe": "H1"})
    if client.get(f"/api/v1/jobs/{refit['id']}").json()["state"] in ("queued", "running"):
        assert second.status_code == 409 and second.json()["job"]["id"] == refit["id"]
    assert wait_job(client, refit["id"])["state"] == "succeeded"
    refitted = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"}).json()["model"]
    assert refitted["fitted_at"] > model["fitted_at"]
    # the refit's states are matched to the previous model's: the regimes keep their names
    assert refitted["matched_to_previous"] is True and refitted["refit_agreement"] >= 0.9
    assert "tradingstack_hmm_regime_probability{" in client.get("/metrics").text
    listing = JobList.model_validate(client.get("/api/v1/jobs").json())
    assert [j.id for j in listing.jobs][:2] == [refit["id"], job["id"]]  # newest first


def test_an_old_model_is_answered_as_stale_while_its_refit_runs(
    data_url: str, settings: HmmSettings
) -> None:
    aged = settings.model_copy(update={"refit_after_seconds": 0.0})
    with TestClient(create_app(aged, data_url=data_url), raise_server_exceptions=False) as c:
        job = preparing(c.get("/api/v1/regime/MSFT", params={"timeframe": "D1"}), "fit-regime")
        assert wait_job(c, job["id"])["state"] == "succeeded"
        read = c.get("/api/v1/regime/MSFT", params={"timeframe": "D1"})
        assert read.status_code == 200, read.text
        assert read.json()["model"]["stale"] is True
        jobs = c.get("/api/v1/jobs").json()["jobs"]
        assert jobs[0]["reason"] == "schedule" and jobs[0]["kind"] == "fit-regime"
        wait_job(c, jobs[0]["id"])


def test_regime_daily_and_bad_input(client: TestClient) -> None:
    r = client.post("/api/v1/regime/NVDA/fit", params={"timeframe": "D1"})
    assert r.status_code == 202
    assert wait_job(client, r.json()["id"])["state"] == "succeeded"
    r = client.get("/api/v1/regime/NVDA", params={"timeframe": "D1"})
    assert r.status_code == 200, r.text
    assert r.json()["expected_duration"]["bull_trend"]["seconds"] == pytest.approx(
        r.json()["expected_duration"]["bull_trend"]["bars"] * 86400, rel=1e-3
    )
    r = client.get("/api/v1/regime/NOPE", params={"timeframe": "H1"})
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]
    assert r.json()["type"] == UNKNOWN_SYMBOL
    r = client.post("/api/v1/regime/NOPE/fit")
    assert r.status_code == 404 and r.json()["type"] == UNKNOWN_SYMBOL
    r = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "W1"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/jobs/nope").status_code == 404


def test_score_long_and_short(client: TestClient, settings: HmmSettings) -> None:
    # no model: one job trains the long and the short one, the request does not wait for it
    ask = {"symbol": "BTCUSD", "timeframe": "H1", "direction": "short"}
    job = preparing(client.post("/api/v1/score", json=ask), "fit-scores")
    again = client.post("/api/v1/score", json={**ask, "direction": "long"})
    if again.status_code == 503:
        assert again.json()["job"]["id"] == job["id"]
    assert wait_job(client, job["id"])["state"] == "succeeded"
    results = {}
    for direction in ("long", "short"):
        r = client.post(
            "/api/v1/score", json={"symbol": "BTCUSD", "timeframe": "H1", "direction": direction}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        results[direction] = body
        assert 0 <= body["score"] <= 100
        assert body["score"] == pytest.approx(100 * body["probability"], abs=0.01)
        top = body["top_features"]
        assert 1 <= len(top) <= settings.top_features
        assert all(t["feature"] and math.isfinite(t["contribution"]) for t in top)
        assert [abs(t["contribution"]) for t in top] == sorted(
            (abs(t["contribution"]) for t in top), reverse=True
        )
        names = {t["feature"] for t in top}
        assert names <= set(_features(client, direction))
        m = body["model"]
        assert m["retrained"] is False
        # the served model trained on every labelled bar; the out-of-fold bars it was judged
        # on are the newest 60 % (each scored by a model trained before it, test_scoring.py)
        assert datetime.fromisoformat(m["train_start"]) < datetime.fromisoformat(m["valid_start"])
        assert datetime.fromisoformat(m["valid_end"]) <= datetime.fromisoformat(m["train_end"])
        assert m["n_train"] > m["n_valid"] > 0
        assert m["auc_valid"] is None or 0 <= m["auc_valid"] <= 1
        # what the score is worth: purged walk-forward AUC with its interval, said in words
        assert m["folds"] >= 6 and m["metrics"]["auc"]["value"] == m["auc_valid"]
        q = body["quality"]
        assert q["baseline"] == 0.5 and q["value"] == m["auc_valid"]
        assert q["has_edge"] == (q["ci_low"] > 0.5)
        if not q["has_edge"]:
            assert "no demonstrated edge" in body["summary"] and "not a signal" in body["summary"]
    assert results["long"]["threshold"] == pytest.approx(results["short"]["threshold"])
    # the second request reuses the saved model
    same = client.post(
        "/api/v1/score", json={"symbol": "BTCUSD", "timeframe": "H1", "direction": "long"}
    ).json()
    assert same["model"]["trained_at"] == results["long"]["model"]["trained_at"]
    assert same["score"] == results["long"]["score"]
    files = sorted(p.name for p in (settings.dir / "scoring").iterdir())
    assert files == [
        "BTCUSD_H1_long.json", "BTCUSD_H1_long.txt", "BTCUSD_H1_short.json",
        "BTCUSD_H1_short.txt"]  # fmt: skip
    assert (settings.dir / "scoring" / "BTCUSD_H1_long.txt").read_text().startswith("tree")
    assert "tradingstack_hmm_scores_total" in client.get("/metrics").text


def _features(client: TestClient, direction: str) -> list[str]:
    models = client.get("/api/v1/scoring/models").json()["models"]
    (m,) = [m for m in models if m["direction"] == direction and m["symbol"] == "BTCUSD"]
    assert "p_bull_trend" in m["features"] and "rsi_14" in m["features"]
    assert m["auc_valid"] is None or 0 <= m["auc_valid"] <= 1
    return list(m["features"])


def test_score_bad_input(client: TestClient) -> None:
    ok = {"symbol": "BTCUSD", "timeframe": "H1", "direction": "long"}
    r = client.post("/api/v1/score", json={**ok, "direction": "sideways"})
    assert r.status_code == 422 and "direction" in r.json()["detail"]
    assert client.post("/api/v1/score", json={**ok, "timeframe": "H2"}).status_code == 422
    assert client.post("/api/v1/score", json={"direction": "long"}).status_code == 422
    r = client.post("/api/v1/score", json={**ok, "symbol": "NOPE"})
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]


def test_corrupt_scoring_model_is_retrained(client: TestClient, settings: HmmSettings) -> None:
    ok = {"symbol": "BTCUSD", "timeframe": "H1", "direction": "short"}
    before = client.post("/api/v1/score", json=ok)
    assert before.status_code == 200
    (settings.dir / "scoring" / "BTCUSD_H1_short.txt").write_text("garbage")
    client.app.state.hmm._scorer_cache.clear()  # as after a restart
    job = preparing(client.post("/api/v1/score", json=ok), "fit-scores")
    assert wait_job(client, job["id"])["state"] == "succeeded"
    r = client.post("/api/v1/score", json=ok)
    assert r.status_code == 200
    assert r.json()["model"]["trained_at"] > before.json()["model"]["trained_at"]
    assert client.get("/health").json()["training_in_progress"] is False


def test_the_data_services_problem_type_is_kept_downstream(
    client: TestClient, settings: HmmSettings, tmp_path: Path
) -> None:
    # missing data stays a 404 `no-data` (it was the data service's 503, then hmm's 502) and
    # an unknown symbol stays `unknown-symbol`
    r = client.get("/api/v1/regime/NVDA", params={"timeframe": "M15"})
    assert r.status_code == 404, r.text
    assert r.json()["type"] == "urn:tradingstack:problem:no-data" and "M15" in r.json()["detail"]
    r = client.post("/api/v1/score", json={"symbol": "NOPE", "direction": "long"})
    assert r.json()["type"] == "urn:tradingstack:problem:unknown-symbol"
    # the data service down: an outage, 503 with Retry-After (was a 502)
    down = settings.model_copy(update={"dir": tmp_path / "models"})
    with TestClient(
        create_app(down, data_url="http://127.0.0.1:9"), raise_server_exceptions=False
    ) as c:
        r = c.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"})
        assert r.status_code == 503, r.text
        assert r.json()["type"] == "urn:tradingstack:problem:upstream-unavailable"
        assert int(r.headers["Retry-After"]) > 0


def test_too_few_bars_for_regimes_is_invalid_request(
    data_url: str, settings: HmmSettings, tmp_path: Path
) -> None:
    # 200 bars and a 190-bar moving average leave fewer than the 40 feature rows a fit needs:
    # 422 `invalid-request` (it was an untyped 422), before any job is started
    few = settings.model_copy(update={"dir": tmp_path / "models", "bars": 200, "ma_window": 190})
    with TestClient(create_app(few, data_url=data_url), raise_server_exceptions=False) as c:
        r = c.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"})
        assert r.status_code == 422 and r.json()["type"] == INVALID_REQUEST, r.text
        assert "at least 230" in r.json()["detail"]
        assert c.get("/api/v1/jobs").json()["jobs"] == []


def test_first_start_fits_the_missing_models_once(
    data_url: str, settings: HmmSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TS_JOBS_PREPARE", "AMZN:D1")
    monkeypatch.setenv("TS_JOBS_LOCK", str(tmp_path / "jobs.lock"))
    fresh = settings.model_copy(update={"dir": tmp_path / "models"})
    with TestClient(create_app(fresh, data_url=data_url)) as c:
        deadline = time.monotonic() + 30
        while len(jobs := c.get("/api/v1/jobs").json()["jobs"]) < 2:
            assert time.monotonic() < deadline, jobs
            time.sleep(0.05)
        assert {(j["kind"], j["reason"], j["symbol"]) for j in jobs} == {
            ("fit-regime", "first-start", "AMZN"),
            ("fit-scores", "first-start", "AMZN"),
        }
        for j in jobs:
            assert wait_job(c, j["id"])["state"] == "succeeded"
        assert c.get("/api/v1/regime/AMZN", params={"timeframe": "D1"}).status_code == 200
        ask = {"symbol": "AMZN", "timeframe": "D1", "direction": "long"}
        assert c.post("/api/v1/score", json=ask).status_code == 200
    with TestClient(create_app(fresh, data_url=data_url)) as c:
        time.sleep(0.5)
        assert c.get("/api/v1/jobs").json()["jobs"] == []  # saved: nothing refitted


def test_the_long_and_short_score_models_appear_together(
    data_url: str, settings: HmmSettings, tmp_path: Path
) -> None:
    """An analysis asks for both directions: one job saves both at its end (it saved the long
    one first, and an analysis in between found the short one still being prepared)."""
    fresh = settings.model_copy(update={"dir": tmp_path / "models"})
    with TestClient(create_app(fresh, data_url=data_url)) as c:
        ask = {"symbol": "NVDA", "timeframe": "D1", "direction": "long"}
        job = preparing(c.post("/api/v1/score", json=ask), "fit-scores")
        scoring = fresh.dir / "scoring"
        seen: set[frozenset[str]] = set()
        while c.get(f"/api/v1/jobs/{job['id']}").json()["state"] in ("queued", "running"):
            names = (
                frozenset(p.name for p in scoring.glob("*.json"))
                if scoring.exists()
                else frozenset()
            )
            seen.add(names)
            time.sleep(0.01)
        assert frozenset({"NVDA_D1_long.json"}) not in seen
        for direction in ("long", "short"):
            r = c.post("/api/v1/score", json={**ask, "direction": direction})
            assert r.status_code == 200, r.text
