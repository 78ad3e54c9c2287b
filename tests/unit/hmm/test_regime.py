"""Regime HMM on constructed data: state names, forward filtering without look-ahead."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hmmlearn.hmm import GaussianHMM
from tradingstack.hmm.regime import (
    REGIMES,
    RegimeModel,
    fit_regimes,
    forward_filter,
    map_states,
    regime_features,
    segments,
)
from tradingstack.hmm.scoring import time_split

SEGMENTS = [("bull", 0.005, 0.004), ("flat", 0.0, 0.003), ("bear", -0.005, 0.004),
            ("volatile", 0.0, 0.015)] * 2  # fmt: skip
EXPECTED = {"bull": "bull_trend", "flat": "sideways", "bear": "bear_trend",
            "volatile": "high_volatility"}  # fmt: skip
SEG_BARS = 220


@pytest.fixture(scope="module")
def constructed() -> tuple[pd.Series, list[str]]:
    """Trends are drifting random walks, the volatile part a wild walk, the flat part
    mean-reverting around a level (AR(1) in log price)."""
    rng = np.random.default_rng(0)
    path, truth = [np.log(100.0)], []
    for name, mu, sd in SEGMENTS:
        level, x = path[-1], 0.0
        for _ in range(SEG_BARS):
            if name == "flat":
                x = 0.7 * x + rng.normal(0.0, sd)
                path.append(level + x)
            else:
                path.append(path[-1] + rng.normal(mu, sd))
        truth += [name] * SEG_BARS
    index = pd.date_range("2024-01-01", periods=len(truth), freq="1h", tz="UTC")
    return pd.Series(np.exp(np.array(path[1:])), index=index), truth


@pytest.fixture(scope="module")
def fitted(constructed: tuple[pd.Series, list[str]]) -> tuple[RegimeModel, pd.DataFrame]:
    close, _ = constructed
    raw = regime_features(close)
    return fit_regimes(raw.to_numpy(), restarts=2, n_iter=200, times=raw.index), raw


def test_map_states_by_variance_then_mean_return() -> None:
    means = np.array([[0.0, 0, 0], [-1.0, 0, 0], [2.0, 0, 0], [0.5, 0, 0]])
    covars = np.stack([np.eye(3) * v for v in (1.0, 1.0, 5.0, 1.0)])
    # state 2 has the highest variance (despite the highest mean return)
    assert map_states(means, covars) == ["sideways", "bear_trend", "high_volatility", "bull_trend"]


def test_states_mapped_sanely_on_constructed_data(
    fitted: tuple[RegimeModel, pd.DataFrame], constructed: tuple[pd.Series, list[str]]
) -> None:
    model, raw = fitted
    _, truth = constructed
    assert model.converged and model.converged_restarts >= 1
    assert sorted(model.state_regimes) == sorted(REGIMES)
    means = model.state_means_raw()
    assert means["bull_trend"]["log_return"] > means["sideways"]["log_return"]
    assert means["sideways"]["log_return"] > means["bear_trend"]["log_return"]
    assert means["high_volatility"]["realised_vol"] == max(
        m["realised_vol"] for m in means.values()
    )
    labels = np.array(REGIMES)[model.regime_probabilities(raw.to_numpy()).argmax(axis=1)]
    truth_aligned = np.array(truth)[len(truth) - len(raw) :]
    position = np.arange(len(truth))[len(truth) - len(raw) :] % SEG_BARS
    settled = position >= 50  # skip each segment's first bars (the rolling windows catch up)
    for name, regime in EXPECTED.items():
        got = Counter(labels[(truth_aligned == name) & settled])
        share = got[regime] / sum(got.values())
        assert share > 0.7, f"{name}: {got}"


def test_forward_filter_has_no_look_ahead(
    fitted: tuple[RegimeModel, pd.DataFrame], constructed: tuple[pd.Series, list[str]]
) -> None:
    model, raw = fitted
    close, _ = constructed
    full = model.regime_probabilities(raw.to_numpy())
    assert np.allclose(full.sum(axis=1), 1.0)
    for t in (100, 500, 1200):
        # the whole pipeline on bars <= t: features and filtered probabilities at t unchanged
        cut = close.iloc[: t + 1]
        raw_t = regime_features(cut)
        assert raw_t.index[-1] == close.index[t]
        row = raw.index.get_loc(close.index[t])
        assert np.allclose(raw_t.to_numpy(), raw.to_numpy()[: row + 1])
        part = model.regime_probabilities(raw_t.to_numpy())
        assert np.allclose(part[-1], full[row], atol=1e-12)


def test_filtering_matches_hmmlearn_at_the_end_and_differs_from_smoothing(
    fitted: tuple[RegimeModel, pd.DataFrame],
) -> None:
    model, raw = fitted
    hmm = GaussianHMM(n_components=4, covariance_type="full")
    hmm.startprob_ = np.array(model.startprob)
    hmm.transmat_ = np.array(model.transmat)
    hmm.means_ = np.array(model.means)
    hmm.covars_ = np.array(model.covars)
    X = model.standardise(raw.to_numpy())
    assert np.allclose(hmm._compute_log_likelihood(X), model.log_emissions(X))
    filtered, smoothed = model.filter(X), hmm.predict_proba(X)
    # at the last bar, forward filtering and forward-backward smoothing agree ...
    assert np.allclose(filtered[-1], smoothed[-1], atol=1e-8)
    # ... before it, smoothing used later bars and filtering did not
    assert np.abs(filtered[:-1] - smoothed[:-1]).max() > 1e-3


def test_forward_filter_by_hand() -> None:
    start = np.array([0.5, 0.5])
    trans = np.array([[0.9, 0.1], [0.2, 0.8]])
    b = np.array([[0.2, 0.6], [0.5, 0.1]])
    got = forward_filter(start, trans, np.log(b))
    a0 = start * b[0] / (start * b[0]).sum()
    a1 = (a0 @ trans) * b[1]
    assert np.allclose(got, [a0, a1 / a1.sum()])


def test_expected_durations_and_segments(fitted: tuple[RegimeModel, pd.DataFrame]) -> None:
    model, raw = fitted
    trans = model.regime_transmat()
    assert np.allclose(trans.sum(axis=1), 1.0)
    for i, (regime, bars) in enumerate(model.expected_durations().items()):
        assert regime == REGIMES[i] and bars == pytest.approx(1 / (1 - trans[i, i]))
    labels = ["bull_trend"] * 3 + ["sideways"] * 2 + ["bull_trend"]
    segs = segments(raw.index[:6], labels)
    assert [(s["regime"], s["bars"]) for s in segs] == [
        ("bull_trend", 3), ("sideways", 2), ("bull_trend", 1)]  # fmt: skip
    assert segs[1]["start"] == raw.index[3] and segs[1]["end"] == raw.index[4]


def test_model_round_trips_as_json(fitted: tuple[RegimeModel, pd.DataFrame]) -> None:
    model, raw = fitted
    again = RegimeModel.model_validate_json(model.model_dump_json())
    assert np.allclose(
        again.regime_probabilities(raw.to_numpy()), model.regime_probabilities(raw.to_numpy())
    )


def test_time_split_purges_the_horizon() -> None:
    split = time_split(1000, 0.8, gap=12)
    assert split.train.max() == 799 and split.valid.min() == 812 and split.valid.max() == 999
    with pytest.raises(ValueError, match="too few"):
        time_split(60, 0.8, gap=12)


def test_too_few_bars_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least 40"):
        fit_regimes(np.zeros((10, 3)))
