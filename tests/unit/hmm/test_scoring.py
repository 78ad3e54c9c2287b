"""Signal scores that say what they know: purged walk-forward folds, calibration, metrics with
intervals, and "no demonstrated edge" where the AUC interval includes 0.5."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tradingstack.core.schemas import Indicators
from tradingstack.core.timeframes import Timeframe
from tradingstack.hmm.evaluation import (
    Platt,
    auc_score,
    calibration_error,
    score_metrics,
    walk_forward_folds,
)
from tradingstack.hmm.scoring import (
    TrainedScorer,
    build_table,
    score_latest,
    score_summary,
    train_scorer,
)

N_BARS = 1600


def _bars(log_close: np.ndarray) -> tuple[pd.DataFrame, Indicators]:
    index = pd.date_range("2024-01-01", periods=len(log_close), freq="1h", tz="UTC")
    close = np.exp(log_close)
    bars = pd.DataFrame(
        {"open": close, "high": close * 1.001, "low": close * 0.999, "close": close,
         "volume": 1.0}, index=index)  # fmt: skip
    # no indicator columns: the regime and return features are enough here
    ind = Indicators(symbol="X", timeframe=Timeframe.H1, provider="test", stale=False,
                     indicators=[], times=list(index), values={})  # fmt: skip
    return bars, ind


def _train(bars: pd.DataFrame, ind: Indicators) -> TrainedScorer:
    return train_scorer("X", "H1", "long", bars, ind, horizon=6, max_boost_rounds=150,
                        hmm_restarts=1, n_boot=300)  # fmt: skip


@pytest.fixture(scope="module")
def random_walk() -> tuple[pd.DataFrame, Indicators, TrainedScorer]:
    rng = np.random.default_rng(7)
    bars, ind = _bars(np.log(100) + np.cumsum(rng.normal(0, 0.01, N_BARS)))
    return bars, ind, _train(bars, ind)


def test_walk_forward_folds_are_purged_and_embargoed() -> None:
    folds = walk_forward_folds(1000, n_folds=6, horizon=12, embargo=5)
    assert len(folds) == 6
    tests = np.concatenate([f.test for f in folds])
    assert np.array_equal(tests, np.arange(400, 1000))  # consecutive blocks, each row once
    for f in folds:
        assert f.train[0] == 0 and f.train[-1] == f.test[0] - 12 - 5 - 1  # purge + embargo
    with pytest.raises(ValueError, match="too few"):
        walk_forward_folds(150, n_folds=6, horizon=12, embargo=12)


def test_platt_calibrates_and_never_reverses() -> None:
    rng = np.random.default_rng(0)
    logit = rng.normal(0, 1.5, 20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-logit))).astype(int)
    over = 1 / (1 + np.exp(-3 * logit))  # overconfident scores
    cal = Platt.fit(over, y)
    assert cal.slope == pytest.approx(1 / 3, abs=0.03)
    assert calibration_error(y, cal(over)) < 0.02 < calibration_error(y, over)
    # a score that ranks backwards is not turned round: the base rate instead
    flat = Platt.fit(1 - over, y)
    assert flat.slope == 0.0 and flat(np.array([0.1, 0.9])) == pytest.approx([y.mean()] * 2)


def test_metrics_have_intervals() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    s = rng.random(n)
    y = (rng.random(n) < 0.3 + 0.3 * s).astype(int)
    fr = y - 0.5 + rng.normal(0, 1, n)
    m = score_metrics(y, s, fr, s, np.full(n, 0.45), block=20, n_boot=200)
    assert m.auc.value == pytest.approx(auc_score(y, s), abs=1e-4)
    for est in (m.auc, m.ic, m.rank_ic, m.brier_skill, m.calibration_error):
        assert est.ci_low is not None and est.ci_high is not None
        assert est.ci_low <= est.value <= est.ci_high
    assert m.auc.ci_low > 0.5 and m.ic.ci_low > 0  # a real signal


def test_a_score_without_edge_says_so(
    random_walk: tuple[pd.DataFrame, Indicators, TrainedScorer],
) -> None:
    bars, ind, scorer = random_walk
    m = scorer.meta
    q = m.quality
    assert len(m.folds) >= 6 and m.embargo_bars == 6
    assert q.baseline == 0.5 and q.ci_low is not None and q.ci_low <= 0.5 <= q.ci_high
    assert q.has_edge is False and q.summary.startswith("no demonstrated edge")
    assert m.metrics.rank_ic.ci_low < 0 < m.metrics.rank_ic.ci_high
    # every fold trained only on bars before its test block (purged by the horizon + embargo)
    for f in m.folds:
        assert (f.test_start - f.train_end) >= pd.Timedelta(hours=6 + 6)
    # the answer: calibrated towards the base rate, and labelled as no signal
    s = score_latest(scorer, build_table(bars, ind, m.regime_model))
    assert abs(s.probability - m.metrics.base_rate) < 0.15
    text = score_summary("long", s.probability, m)
    assert "not a signal" in text and "no demonstrated edge" in text


def test_a_score_with_an_edge_says_so() -> None:
    # a mean-reverting price (AR(1) around a level): the distance from the moving average
    # tells the next bars' direction, and the evaluation must find it
    rng = np.random.default_rng(11)
    x = np.zeros(N_BARS)
    for t in range(1, N_BARS):
        x[t] = 0.93 * x[t - 1] + rng.normal(0, 0.01)
    bars, ind = _bars(np.log(100) + x)
    m = _train(bars, ind).meta
    assert m.quality.has_edge and m.quality.ci_low > 0.5 and m.quality.summary.startswith("edge")
    assert m.metrics.rank_ic.ci_low > 0 and m.metrics.brier_skill.value > 0
