"""The synthetic generator, the zigzag and the rule detectors (no model)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tradingstack.tcn import rules, synthetic
from tradingstack.tcn.patterns import CLASSES, NONE, PATTERN_NAMES, PATTERNS


def test_sixteen_patterns_with_descriptions() -> None:
    assert len(PATTERNS) == 16 and len(CLASSES) == 17 and CLASSES[-1] == NONE
    assert all(len(d) > 20 for d in PATTERNS.values())


@pytest.mark.parametrize("pattern", PATTERN_NAMES)
def test_generator_plants_each_pattern_with_bounds(pattern: str) -> None:
    rng = np.random.default_rng(7)
    s = synthetic.generate_series(pattern, rng, length_range=(40, 80))
    (p,) = s.planted
    assert p.pattern == pattern
    assert 0 < p.start < p.end < len(s) - 1
    assert 40 <= p.end - p.start + 1 <= 80
    assert np.all(s.high >= np.maximum(s.open, s.close)) and np.all(
        s.low <= np.minimum(s.open, s.close)
    )
    assert np.all(s.low > 0) and np.all(s.volume > 0)
    # The planted stretch is the template: it moves more than the random walk around it.
    inside = np.ptp(np.log(s.close[p.start : p.end + 1]))
    step = np.std(np.diff(np.log(s.close[: p.start])))
    assert inside > 5 * step
    frame = s.to_frame()
    assert frame.index.tz is not None and list(frame.columns)[:4] == [
        "open",
        "high",
        "low",
        "close",
    ]
    w = synthetic.generate_window(pattern, rng)
    assert w.label == pattern and w.bars.shape[1] == 5 and len(w.bars) >= 30


def test_window_of_random_walk_is_none() -> None:
    w = synthetic.generate_window(None, np.random.default_rng(1))
    assert w.label == NONE and 30 <= len(w.bars) <= 120
    with pytest.raises(ValueError, match="unknown pattern"):
        synthetic.generate_series("flag_pole", np.random.default_rng(1))


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


def test_rules_find_planted_patterns() -> None:
    """Each pattern planted three times: the rules find it (IoU >= 0.4) at least twice."""
    rng = np.random.default_rng(11)
    found: dict[str, int] = {}
    for pattern in PATTERN_NAMES:
        found[pattern] = 0
        for _ in range(3):
            s = synthetic.generate_series(pattern, rng)
            p = s.planted[0]
            matches = rules.detect(s.high, s.low, s.close, iou_threshold=1.0)
            if any(
                m.pattern == pattern and rules.iou((m.start, m.end), (p.start, p.end)) >= 0.4
                for m in matches
            ):
                found[pattern] += 1
    missed = {k: v for k, v in found.items() if v < 2}
    assert not missed, f"rules missed planted patterns: {missed}"
    assert sum(found.values()) >= 0.85 * 3 * len(PATTERN_NAMES)


def test_rules_are_specific_on_a_clean_double_top() -> None:
    # L0 H1 L2 H3 L4 by hand: a double top and nothing else.
    path = np.concatenate(
        [
            np.linspace(100, 120, 20),
            np.linspace(120, 110, 10),
            np.linspace(110, 120, 10),
            np.linspace(120, 100, 20),
        ]
    )
    matches = rules.detect(path + 0.1, path - 0.1, path)
    assert [m.pattern for m in matches] == ["double_top"]
    assert matches[0].start <= 2 and matches[0].end >= 57


def test_label_windows_uses_none_and_patterns() -> None:
    rng = np.random.default_rng(5)
    s = synthetic.generate_series("double_bottom", rng, length_range=(60, 60))
    labelled = rules.label_windows(s.high, s.low, s.close, sizes=[48, 72])
    labels = {w.label for w in labelled}
    assert labels <= set(CLASSES)
    assert all(w.end - w.start in (48, 72) for w in labelled)
