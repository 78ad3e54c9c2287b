"""The calibrated rules, the surrogates, the synthetic generator and the detector's serving
rule (no trained model beyond a few-parameter one)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from tradingstack.tcn import calibration, detector, rules, synthetic
from tradingstack.tcn.model import TCNClassifier, TCNConfig
from tradingstack.tcn.patterns import CLASS_INDEX, CLASSES, NONE, PATTERN_NAMES, PATTERNS


def _walk(n: int, seed: int, sigma: float = 0.01) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(sigma * rng.standard_t(4, size=n) / np.sqrt(2.0)))


def test_sixteen_patterns_with_descriptions() -> None:
    assert len(PATTERNS) == 16 and len(CLASSES) == 17 and CLASSES[-1] == NONE
    assert all(len(d) > 20 for d in PATTERNS.values())


def test_zigzag_alternates_and_respects_the_threshold() -> None:
    rng = np.random.default_rng(3)
    close = 100 + np.cumsum(rng.normal(0, 1, 400))
    pivots = rules.zigzag(close + 0.2, close - 0.2, threshold=5.0)
    assert len(pivots) > 4
    kinds = [p.kind for p in pivots]
    assert all(a != b for a, b in itertools.pairwise(kinds))
    moves = np.abs(np.diff([p.price for p in pivots[:-1]]))
    assert np.all(moves >= 5.0)
    assert all(a.index < b.index for a, b in itertools.pairwise(pivots))


def test_threshold_is_in_volatility_units_not_the_windows_range() -> None:
    """The same noise with a strong trend added: a range-relative zigzag (the old one) sees
    the same few pivots whatever the noise; in volatility units the pivots of the noise stay."""
    rng = np.random.default_rng(4)
    noise = np.cumsum(rng.normal(0, 0.01, rules.WINDOW))
    flat = np.exp(noise)
    z = rules.vol_units(flat)
    assert z is not None
    assert abs(rules.robust_sigma(np.log(flat)) - 0.01) < 0.003
    # scaling the volatility changes nothing: z is in units of it
    z2 = rules.vol_units(np.exp(3 * noise))
    assert z2 is not None and np.allclose(z, z2)
    assert len(rules.zigzag(z, z, rules.ZIGZAG_SIGMAS)) >= 4


def test_clean_double_top_is_a_double_top() -> None:
    rng = np.random.default_rng(0)
    path = np.concatenate(
        [np.linspace(0, 20, 16), np.linspace(20, 10, 12), np.linspace(10, 20, 12)]
    )
    path = np.concatenate([path, np.linspace(20, 0, rules.WINDOW - len(path))])
    close = 100 * np.exp(0.01 * (path + rng.normal(0, 0.3, len(path))))
    scores = rules.window_scores(close)
    assert "double_top" in scores
    labels = rules.labels_from_scores(rules.score_matrix(close, [0]), {"double_top": 0.0})
    assert labels == ["double_top"]
    # a pattern without a calibrated threshold never labels a window
    assert rules.labels_from_scores(rules.score_matrix(close, [0]), {}) == [NONE]


def test_rules_describe_the_shapes_they_name() -> None:
    """Strongly planted patterns (clearly visible over the noise) are found by their rule."""
    rng = np.random.default_rng(11)
    found: dict[str, int] = {}
    for pattern in PATTERN_NAMES:
        found[pattern] = 0
        for _ in range(4):
            w = synthetic.generate_window(pattern, rng, strength_range=(5.0, 8.0))
            found[pattern] += pattern in rules.window_scores(w.bars[:, 3])
    assert sum(found.values()) >= 0.6 * 4 * len(PATTERN_NAMES), found
    assert sum(v > 0 for v in found.values()) >= 14, found


@pytest.fixture(scope="module")
def walk_calibration() -> calibration.Calibration:
    return calibration.calibrate({"walk": _walk(3000, 1)}, fit_paths=2, eval_paths=1, seed=1)


def test_calibrated_rules_on_a_random_walk_stay_under_the_false_hit_bound(
    walk_calibration: calibration.Calibration,
) -> None:
    """On fresh random walks no calibrated pattern hits more than 2 % of windows; the base
    rules (no calibration) hit more than that for some pattern, so the calibration matters."""
    th = walk_calibration.thresholds
    assert set(th) == set(PATTERN_NAMES)
    scores = np.concatenate(
        [
            rules.score_matrix(c, rules.window_starts(len(c)))
            for c in (_walk(3000, s) for s in (7, 8))
        ]
    )
    calibrated = calibration.hits(scores, th).mean(axis=0)
    assert calibrated.max() <= 0.02, dict(zip(PATTERN_NAMES, calibrated.round(4), strict=True))
    base = calibration.hits(scores, {p: 0.0 for p in PATTERN_NAMES}).mean(axis=0)
    assert base.max() > calibrated.max()
    for p in walk_calibration.patterns:
        assert p.false_hit_rate <= 0.02, p


def test_a_random_walk_serves_no_pattern(walk_calibration: calibration.Calibration) -> None:
    assert walk_calibration.served == []
    for p in walk_calibration.patterns:
        assert not p.served and p.reason != "beats chance"


def test_a_series_full_of_double_tops_serves_double_top() -> None:
    """Positive control: a series with a strong double top every ~100 bars; its surrogates
    (shuffled, bootstrapped, GARCH) destroy the shape, so double_top beats chance."""
    rng = np.random.default_rng(5)
    logr: list[np.ndarray] = []
    for _ in range(45):
        s = synthetic.generate_series(
            "double_top",
            rng,
            length_range=(44, 56),
            before_range=(30, 50),
            after_range=(0, 2),
            strength_range=(3.0, 4.0),
        )
        logr.append(np.diff(np.log(s.close)))
    close = 100 * np.exp(np.concatenate([[0.0], np.cumsum(np.concatenate(logr))]))
    cal = calibration.calibrate({"tops": close}, fit_paths=1, eval_paths=1, seed=2)
    dt = cal.get("double_top")
    assert dt is not None and dt.served, dt
    assert dt.lift is not None and dt.lift >= 1.5 and dt.q_value < 0.05
    assert cal.served == ["double_top"]


def test_surrogates_keep_the_returns_and_garch_finds_clustering() -> None:
    rng = np.random.default_rng(3)
    n, omega, alpha, beta = 6000, 1e-6, 0.1, 0.85
    e = np.empty(n)
    var = omega / (1 - alpha - beta)
    prev = 0.0
    for i in range(n):
        var = omega + alpha * prev**2 + beta * var
        prev = np.sqrt(var) * rng.standard_normal()
        e[i] = prev
    close = 100 * np.exp(np.concatenate([[0.0], np.cumsum(e)]))
    g = calibration.fit_garch(calibration.log_returns(close))
    assert 0.85 <= g.persistence < 1.0 and 0.03 <= g.alpha <= 0.2, g
    r = calibration.log_returns(close)
    sh = calibration.log_returns(calibration.surrogate_close(close, "shuffled", rng))
    assert np.allclose(np.sort(sh), np.sort(r))
    for kind in calibration.KINDS:
        s = calibration.surrogate_close(close, kind, rng, g)
        assert len(s) == len(close) and s[0] == close[0] and np.all(s > 0)
        assert 0.7 < np.std(np.diff(np.log(s))) / np.std(r) < 1.4, kind
    with pytest.raises(ValueError, match="unknown surrogate"):
        calibration.surrogate_close(close, "phase", rng)


def test_bh_adjusts_upwards_and_keeps_order() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5])
    q = calibration.bh(p)
    assert np.all(q >= p) and q[0] == pytest.approx(0.04) and q[3] == pytest.approx(0.5)
    assert calibration.threshold_for(np.array([-np.inf] * 99 + [0.3]), 0.01) == 0.0
    assert calibration.threshold_for(np.array([0.1, 0.2, 0.3, 0.4]), 0.25) == pytest.approx(0.3)


def test_synthetic_noise_is_real_like_not_persistent() -> None:
    """Planted windows have near-zero lag-1 return autocorrelation (the old generator's clean
    template + white noise had +0.64), and the noise drawn from a pool has the pool's."""
    rng = np.random.default_rng(8)
    pool = synthetic.standardise(np.diff(np.log(_walk(5000, 9))))
    per_pattern = {}
    for pattern in PATTERN_NAMES:
        acs = [
            synthetic.lag1_autocorrelation(
                synthetic.generate_window(pattern, rng, pool=pool).bars[:, 3]
            )
            for _ in range(15)
        ]
        per_pattern[pattern] = float(np.mean(acs))
    assert abs(np.mean(list(per_pattern.values()))) < 0.08, per_pattern
    assert max(abs(v) for v in per_pattern.values()) < 0.2, per_pattern
    x = synthetic.noise(20000, rng, pool)
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.05 and abs(x.std() - 1) < 0.1
    x = synthetic.noise(20000, rng)  # Student-t without a pool
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.05 and abs(x.std() - 1) < 0.15


@pytest.mark.parametrize("pattern", ["double_top", "bull_flag", "cup_and_handle"])
def test_generator_plants_with_bounds(pattern: str) -> None:
    rng = np.random.default_rng(7)
    s = synthetic.generate_series(pattern, rng, length_range=(40, 60))
    (p,) = s.planted
    assert p.pattern == pattern and 0 < p.start < p.end < len(s)
    assert 40 <= p.end - p.start + 1 <= 60
    assert np.all(s.high >= np.maximum(s.open, s.close)) and np.all(
        s.low <= np.minimum(s.open, s.close)
    )
    assert s.to_frame().index.tz is not None
    w = synthetic.generate_window(pattern, rng)
    assert w.label == pattern and w.bars.shape == (rules.WINDOW, 5)
    assert synthetic.generate_window(None, rng).label == NONE
    with pytest.raises(ValueError, match="unknown pattern"):
        synthetic.generate_series("flag_pole", rng)


def test_label_windows_are_one_size_and_known_classes() -> None:
    close = _walk(700, 5)
    lw = rules.label_windows(close, {"double_top": 0.0, "channel_up": 0.0})
    assert lw and all(w.end - w.start == rules.WINDOW for w in lw)
    assert {w.label for w in lw} <= {"double_top", "channel_up", NONE}
    assert lw[-1].end == len(close)


def test_detector_does_not_serve_patterns_that_do_not_beat_chance() -> None:
    """A model made to answer double_top everywhere: with double_top not served, no detection
    (counted as unvalidated); flagged when asked for; served when it beat chance."""
    torch.manual_seed(0)
    model = TCNClassifier(TCNConfig(channels=4, levels=1)).eval()
    bias = [0.0] * len(CLASSES)
    bias[CLASS_INDEX["double_top"]] = 50.0
    close = _walk(300, 2)
    frame = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1.0},
        index=pd.date_range("2024-01-01", periods=len(close), freq="1h", tz="UTC"),
    )
    dev = torch.device("cpu")
    run = detector.detect(model, frame, dev, served=[], logit_bias=bias, min_confidence=0.5)
    assert run.detections == [] and run.unvalidated == run.windows > 0 and run.candidates == 0
    flagged = detector.detect(
        model, frame, dev, served=[], include_unvalidated=True, logit_bias=bias
    )
    assert flagged.detections and all(not d.beats_chance for d in flagged.detections)
    served = detector.detect(model, frame, dev, served=["double_top"], logit_bias=bias)
    assert served.detections and all(
        d.beats_chance and d.pattern == "double_top" for d in served.detections
    )
    assert served.unvalidated == 0
