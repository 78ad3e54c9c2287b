"""How good a probability score is, measured so that "no edge" can be told apart from an edge.

- `walk_forward_folds`: time-ordered folds (never shuffled). The first part of the rows only
  trains; the rest is cut into `n_folds` consecutive test blocks. Fold k trains on every row
  before its test block except the last `horizon + embargo` rows: **purging** (a training label
  looks `horizon` bars ahead, so those rows' labels would contain test-period prices) and an
  **embargo** (features are serially correlated; a further gap keeps the test block's start
  from being a near copy of the training end).
- `Platt`: calibration, a logistic regression of the label on the logit of the raw score,
  fitted on out-of-fold predictions only (a negative slope, which would reverse the model, is
  replaced by the base rate). With no edge its slope goes to ~0 and every
  calibrated probability to the base rate, which is what the model knows.
- `score_metrics`: ROC AUC, IC (Pearson of the score with the forward return), rank IC
  (Spearman), Brier skill against the base rate each fold's training rows had (what a model
  without skill would say), and expected calibration error (10 equal-count bins), each with a
  95 % interval from a circular moving-block bootstrap (blocks of consecutive bars, since
  overlapping labels make neighbouring rows dependent).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel
from scipy.stats import rankdata

from tradingstack.hmm.schemas import Estimate, ScoreMetrics


@dataclass
class Fold:
    train: np.ndarray  # positions into the labelled rows
    test: np.ndarray


def walk_forward_folds(
    n: int,
    *,
    n_folds: int = 6,
    horizon: int,
    embargo: int,
    initial_train_fraction: float = 0.4,
    min_train: int = 100,
    min_test: int = 20,
) -> list[Fold]:
    """Expanding-window folds with purging and embargo (see the module's docstring)."""
    start = int(n * initial_train_fraction)
    edges = np.linspace(start, n, n_folds + 1).astype(int)
    gap = horizon + embargo
    folds = []
    for a, b in itertools.pairwise(edges):
        train_end = a - gap
        if train_end < min_train or b - a < min_test:
            raise ValueError(
                f"{n} labelled rows are too few for {n_folds} walk-forward folds (a fold would "
                f"train on {max(train_end, 0)} rows and test on {b - a}); ask for more bars"
            )
        folds.append(Fold(np.arange(train_end), np.arange(a, b)))
    return folds


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class Platt(BaseModel):
    """P(y=1) = sigmoid(slope * logit(raw) + intercept)."""

    slope: float
    intercept: float

    @classmethod
    def fit(cls, raw: np.ndarray, y: np.ndarray) -> Platt:
        z = _logit(np.asarray(raw, dtype=np.float64))
        y = np.asarray(y, dtype=np.float64)
        # Newton's method on the logistic log-likelihood with a tiny ridge (no sklearn
        # defaults to wonder about); two parameters, converges in a few steps.
        w = np.array([0.0, float(_logit(np.array([y.mean()]))[0])])
        Z = np.column_stack([z, np.ones_like(z)])
        for _ in range(50):
            p = 1 / (1 + np.exp(-(Z @ w)))
            grad = Z.T @ (p - y) + 1e-6 * w
            H = (Z * (p * (1 - p))[:, None]).T @ Z + 1e-6 * np.eye(2)
            step = np.linalg.solve(H, grad)
            w -= step
            if np.abs(step).max() < 1e-10:
                break
        if w[0] < 0:
            # never let the calibration turn the model's ranking upside down (that would be a
            # direction learnt from the out-of-fold rows): no information, the base rate
            return cls(slope=0.0, intercept=float(_logit(np.array([y.mean()]))[0]))
        return cls(slope=float(w[0]), intercept=float(w[1]))

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(self.slope * _logit(np.asarray(raw)) + self.intercept)))


def auc_score(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC from ranks (ties get half credit); nan with one class."""
    y = np.asarray(y).astype(bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: bins of equal count, weighted |mean p - mean y|."""
    order = np.argsort(p, kind="stable")
    err = 0.0
    for chunk in np.array_split(order, min(bins, len(p))):
        if len(chunk):
            err += len(chunk) * abs(float(p[chunk].mean()) - float(y[chunk].mean()))
    return err / len(p)


def brier_skill(y: np.ndarray, p: np.ndarray, ref: np.ndarray) -> float:
    ref_brier = float(np.mean((ref - y) ** 2))
    return 1.0 - float(np.mean((p - y) ** 2)) / ref_brier if ref_brier > 0 else float("nan")


def block_indices(n: int, block: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) circular moving-block bootstrap positions."""
    block = max(1, min(block, n))
    rng = np.random.default_rng(seed)
    n_blocks = -(-n // block)
    starts = rng.integers(0, n, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(n_boot, -1)[:, :n]
    return np.asarray(idx % n)


def _interval(point: float, boot: list[float], digits: int = 4) -> Estimate:
    vals = np.asarray([b for b in boot if np.isfinite(b)])
    if not np.isfinite(point):
        return Estimate(value=None)
    if len(vals) < 10:
        return Estimate(value=round(point, digits))
    lo, hi = np.quantile(vals, [0.025, 0.975])
    return Estimate(value=round(point, digits), ci_low=round(float(lo), digits),
                    ci_high=round(float(hi), digits))  # fmt: skip


def score_metrics(
    y: np.ndarray,
    raw: np.ndarray,
    forward_return: np.ndarray,
    calibrated: np.ndarray,
    reference: np.ndarray,
    *,
    block: int,
    n_boot: int = 1000,
    seed: int = 0,
) -> ScoreMetrics:
    """Metrics of out-of-fold scores. `raw`, `y`, `forward_return`: every out-of-fold row (AUC
    and ICs do not change under a monotone calibration); `calibrated` and `reference` (the
    training base rate) may be nan where no calibrator existed yet (the first fold): those
    rows are left out of the Brier skill and the calibration error."""
    y = np.asarray(y, dtype=np.float64)
    raw = np.asarray(raw, dtype=np.float64)
    fr = np.asarray(forward_return, dtype=np.float64)
    cal_ok = np.isfinite(calibrated) & np.isfinite(reference)
    yc, pc, rc = y[cal_ok], np.asarray(calibrated)[cal_ok], np.asarray(reference)[cal_ok]
    n, nc = len(y), len(yc)
    idx, idx_c = block_indices(n, block, n_boot, seed), block_indices(nc, block, n_boot, seed + 1)
    rank_raw, rank_fr = rankdata(raw), rankdata(fr)
    boot_auc = [auc_score(y[i], raw[i]) for i in idx]
    boot_ic = [_corr(raw[i], fr[i]) for i in idx]
    boot_ric = [_corr(rank_raw[i], rank_fr[i]) for i in idx]  # ranks of the full sample: fine
    boot_bss = [brier_skill(yc[i], pc[i], rc[i]) for i in idx_c] if nc else []
    boot_ece = [calibration_error(yc[i], pc[i]) for i in idx_c] if nc else []
    return ScoreMetrics(
        auc=_interval(auc_score(y, raw), boot_auc),
        ic=_interval(_corr(raw, fr), boot_ic),
        rank_ic=_interval(_corr(rank_raw, rank_fr), boot_ric),
        brier_skill=_interval(brier_skill(yc, pc, rc) if nc else float("nan"), boot_bss),
        calibration_error=_interval(calibration_error(yc, pc) if nc else float("nan"), boot_ece),
        base_rate=round(float(y.mean()), 4),
        n=n,
        calibrated_n=nc,
        bootstrap_block=block,
        bootstrap_resamples=n_boot,
    )
