"""How good the distilled TCN is on held-out real windows: macro-F1 with a block-bootstrap
interval, the macro-F1 of a no-skill classifier, temperature scaling and calibration error.

- **macro-F1** over the classes present in the labels or the predictions (a class predicted
  but never true scores 0 and counts).
- **Interval**: moving-block bootstrap over the windows in time order (blocks of `BLOCK`
  consecutive windows, 8 x 8 bars = one window length, since neighbouring windows overlap);
  each resample's macro-F1 is over the classes present in it, like the point estimate.
- **No-skill baseline**: the better of "always the majority class" and "a random class drawn
  with the label frequencies" (whose expected per-class F1 is the class frequency, so its
  macro-F1 is 1 / classes).
- **Temperature scaling** (Guo et al. 2017): one scalar T dividing the logits, chosen on the
  validation windows to minimise their log loss; **ECE** is the top-label expected calibration
  error over 15 equal-width confidence bins.
"""

from __future__ import annotations

import numpy as np

BLOCK = 8
BINS = 15


def macro_f1(y: np.ndarray, pred: np.ndarray, labels: list[int] | None = None) -> float:
    """Macro-F1 over `labels` (default: the classes in `y` or `pred`)."""
    y, pred = np.asarray(y), np.asarray(pred)
    if len(y) == 0:
        return float("nan")
    labs = labels if labels is not None else sorted(set(y.tolist()) | set(pred.tolist()))
    f1s = []
    for c in labs:
        tp = float(np.sum((y == c) & (pred == c)))
        fp = float(np.sum((y != c) & (pred == c)))
        fn = float(np.sum((y == c) & (pred != c)))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0)
    return float(np.mean(f1s)) if f1s else float("nan")


def per_class_f1(y: np.ndarray, pred: np.ndarray) -> dict[int, float]:
    labs = sorted(set(np.asarray(y).tolist()) | set(np.asarray(pred).tolist()))
    return {c: macro_f1(y, pred, [c]) for c in labs}


def no_skill_macro_f1(y: np.ndarray) -> float:
    """The better of the majority classifier and a label-frequency random classifier."""
    y = np.asarray(y)
    if len(y) == 0:
        return float("nan")
    classes, counts = np.unique(y, return_counts=True)
    majority = classes[int(np.argmax(counts))]
    maj = macro_f1(y, np.full_like(y, majority), sorted(classes.tolist()))
    return float(max(maj, 1.0 / len(classes)))


def bootstrap_ci(
    y: np.ndarray,
    pred: np.ndarray,
    *,
    reps: int = 500,
    block: int = BLOCK,
    seed: int = 0,
    labels: list[int] | None = None,
) -> tuple[float, float]:
    """95 % moving-block bootstrap interval of macro-F1."""
    n = len(y)
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    b = max(1, min(block, n))
    k = int(np.ceil(n / b))
    vals = []
    for _ in range(reps):
        starts = rng.integers(0, n - b + 1, size=k)
        idx = (starts[:, None] + np.arange(b)[None, :]).ravel()[:n]
        vals.append(macro_f1(y[idx], pred[idx], labels))
    lo, hi = np.nanpercentile(vals, [2.5, 97.5])
    return float(lo), float(hi)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def log_loss(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    p = softmax(logits, temperature)
    return float(-np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-12))))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The T in [0.25, 10] minimising the log loss of softmax(logits / T) (grid, then refine)."""
    if len(y) == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.25), np.log(10.0), 60))
    losses = [log_loss(logits, y, t) for t in grid]
    i = int(np.argmin(losses))
    lo, hi = grid[max(0, i - 1)], grid[min(len(grid) - 1, i + 1)]
    fine = np.linspace(lo, hi, 40)
    return float(fine[int(np.argmin([log_loss(logits, y, t) for t in fine]))])


def ece(proba: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    """Top-label expected calibration error."""
    if len(y) == 0:
        return float("nan")
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(total)
