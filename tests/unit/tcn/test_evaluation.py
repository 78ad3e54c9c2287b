"""Macro-F1, its no-skill baseline and interval, temperature scaling and ECE."""

from __future__ import annotations

import numpy as np
import pytest
from tradingstack.core.schemas import has_edge
from tradingstack.tcn import evaluation, training
from tradingstack.tcn.patterns import CLASS_INDEX, CLASSES, NONE


def test_macro_f1_and_the_no_skill_baseline() -> None:
    y = np.array([0] * 90 + [1] * 10)
    assert evaluation.macro_f1(y, y) == 1.0
    majority = evaluation.macro_f1(y, np.zeros_like(y))
    assert majority == pytest.approx((2 * 0.9 / 1.9) / 2)
    # the random classifier (F1 = class frequency, macro 1/2) edges out the majority here
    assert evaluation.no_skill_macro_f1(y) == pytest.approx(max(majority, 0.5))
    # three balanced classes: the random classifier's 1/3 beats "always class 0" (1/6)
    y3 = np.repeat([0, 1, 2], 10)
    assert evaluation.no_skill_macro_f1(y3) == pytest.approx(1 / 3)


def test_bootstrap_interval_contains_the_value_and_separates_skill() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    good = np.where(rng.random(400) < 0.9, y, (y + 1) % 3)
    lo, hi = evaluation.bootstrap_ci(y, good, reps=200)
    assert lo <= evaluation.macro_f1(y, good) <= hi
    assert has_edge(lo, hi, evaluation.no_skill_macro_f1(y), higher_is_better=True)
    noise = rng.integers(0, 3, 400)
    lo, hi = evaluation.bootstrap_ci(y, noise, reps=200)
    assert not has_edge(lo, hi, evaluation.no_skill_macro_f1(y), higher_is_better=True)


def test_temperature_scaling_fixes_overconfidence() -> None:
    rng = np.random.default_rng(1)
    n, k = 3000, 4
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 1.0  # right about 60 % of the time ...
    hot = logits * 6.0  # ... but ~100 % sure
    before = evaluation.ece(evaluation.softmax(hot), y)
    t = evaluation.fit_temperature(hot, y)
    after = evaluation.ece(evaluation.softmax(hot, t), y)
    assert t > 3 and before > 0.2 and after < 0.05


def test_served_quality_has_no_edge_when_nothing_is_served() -> None:
    y = np.array(([CLASS_INDEX[NONE]] * 9 + [CLASS_INDEX["double_top"]]) * 20)
    proba = np.zeros((len(y), len(CLASSES)))
    proba[np.arange(len(y)), y] = 1.0
    ev = training.evaluate(proba, y, served=[])
    assert ev["macro_f1"] == 1.0 and ev["served_classes_present"] == 1
    q = training.quality_from(ev, [], "test windows")
    assert not q.has_edge and q.value is None and q.baseline is None
    assert "none is served" in q.summary
    ev = training.evaluate(proba, y, served=["double_top"])
    q = training.quality_from(ev, ["double_top"], "test windows")
    assert q.value == 1.0 and q.baseline == 0.5 and q.has_edge
    # folding: an unserved pattern's windows count as "none"
    both = np.array([CLASS_INDEX["bull_flag"], CLASS_INDEX["double_top"]])
    folded = training.fold_unserved(both, ["double_top"])
    assert folded.tolist() == [CLASS_INDEX[NONE], CLASS_INDEX["double_top"]]
