"""The HMM service against the REAL data service: regimes, scores, bad input."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tradingstack.core.errors import MODEL_NOT_TRAINED
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


def test_regime(client: TestClient) -> None:
    # a read never fits (it would write a model without the token): 404 with how to fit one
    r = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"})
    assert r.status_code == 404, r.text
    assert r.json()["type"] == MODEL_NOT_TRAINED and "/regime/BTCUSD/fit" in r.json()["detail"]
    r = client.post("/api/v1/regime/BTCUSD/fit", params={"timeframe": "H1"})
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
    assert model["refitted"] is True and model["restarts"] == 2 and model["n_obs"] > 600
    assert model["converged"] is True and model["stale"] is False
    # saved: the same model answers the next request; POST .../fit fits again
    again = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1"}).json()
    assert again["model"]["refitted"] is False
    assert again["model"]["fitted_at"] == model["fitted_at"]
    assert again["probabilities"] == probs
    # the held-out quality travels with the answer (one-step forecast vs one Gaussian)
    q = body["quality"]
    assert q["baseline"] == 0.0 and q["higher_is_better"] is True and "Gaussian" in q["metric"]
    assert q["has_edge"] == (q["ci_low"] > 0) and q["summary"]
    assert model["refit_agreement"] is None  # the first fit
    refit = client.post("/api/v1/regime/BTCUSD/fit", params={"timeframe": "H1"})
    assert refit.json()["model"]["refitted"] is True
    # the refit's states are matched to the previous model's: the regimes keep their names
    assert refit.json()["model"]["matched_to_previous"] is True
    assert refit.json()["model"]["refit_agreement"] >= 0.9
    # a GET does not refit (the old `?refit=true` replaced the model without the token)
    kept = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "H1", "refit": "true"})
    assert kept.json()["model"]["refitted"] is False
    assert kept.json()["model"]["fitted_at"] == refit.json()["model"]["fitted_at"]
    assert "tradingstack_hmm_regime_probability{" in client.get("/metrics").text


def test_an_old_model_is_answered_as_stale_and_a_read_does_not_refit_it(
    data_url: str, settings: HmmSettings
) -> None:
    aged = settings.model_copy(update={"refit_after_seconds": 0.0})
    with TestClient(create_app(aged, data_url=data_url), raise_server_exceptions=False) as c:
        fitted = c.post("/api/v1/regime/MSFT/fit", params={"timeframe": "D1"})
        assert fitted.status_code == 200, fitted.text
        read = c.get("/api/v1/regime/MSFT", params={"timeframe": "D1"}).json()
    assert read["model"]["stale"] is True and read["model"]["refitted"] is False
    assert read["model"]["fitted_at"] == fitted.json()["model"]["fitted_at"]


def test_regime_daily_and_bad_input(client: TestClient) -> None:
    assert client.post("/api/v1/regime/NVDA/fit", params={"timeframe": "D1"}).status_code == 200
    r = client.get("/api/v1/regime/NVDA", params={"timeframe": "D1"})
    assert r.status_code == 200, r.text
    assert r.json()["expected_duration"]["bull_trend"]["seconds"] == pytest.approx(
        r.json()["expected_duration"]["bull_trend"]["bars"] * 86400, rel=1e-3
    )
    r = client.get("/api/v1/regime/NOPE", params={"timeframe": "H1"})
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]
    r = client.get("/api/v1/regime/BTCUSD", params={"timeframe": "W1"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_score_long_and_short(client: TestClient, settings: HmmSettings) -> None:
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
        assert m["retrained"] is True
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
    again = client.post(
        "/api/v1/score", json={"symbol": "BTCUSD", "timeframe": "H1", "direction": "long"}
    ).json()
    assert again["model"]["retrained"] is False and again["score"] == results["long"]["score"]
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
    assert client.post("/api/v1/score", json=ok).status_code == 200
    (settings.dir / "scoring" / "BTCUSD_H1_short.txt").write_text("garbage")
    client.app.state.hmm._scorer_cache.clear()  # as after a restart
    r = client.post("/api/v1/score", json=ok)
    assert r.status_code == 200 and r.json()["model"]["retrained"] is True
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
