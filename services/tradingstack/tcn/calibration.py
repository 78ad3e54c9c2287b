"""Calibrating the pattern rules against surrogates of the real series, and testing which
patterns occur on real data more often than chance.

**Surrogates** of a series keep what a pattern is *not*: its returns' distribution and (for the
last two) its volatility clustering, while destroying any price shape beyond that.

- `shuffled`: the log returns in random order (distribution kept; clustering and order gone).
- `block_bootstrap`: circular blocks of `BLOCK` (10) consecutive returns drawn with
  replacement (short-range dependence and local volatility kept).
- `garch`: a GARCH(1,1) fitted to the series by Gaussian quasi-maximum likelihood, simulated
  with its own standardised residuals bootstrapped (volatility clustering kept, fat tails kept).

**Calibration.** Every window of every surrogate path is scored by the base rules
(`rules.score_matrix`); per pattern, the threshold is the smallest score such that, for each
surrogate kind, at most `target` (default 0.75 %) of the windows score above it. The false-hit
rate is then measured on *fresh* surrogate paths (not the ones the thresholds were set on),
as the worst of the three kinds.

**Does a pattern beat chance?** One pattern is usually seen by a few neighbouring windows (8
bars apart), so hits are counted as *events*: a run of consecutive hit windows is one event.
On the real windows (the series' training part) a pattern's event rate per window is compared
with its null rate (the worst surrogate kind, counted the same way) by a one-sided binomial
test; the p-values of the 16 patterns are corrected by Benjamini-Hochberg.
A pattern is **served** only when its false-hit rate on fresh surrogates is <= `MAX_FALSE_HIT`
(2 %), its BH q-value is < `ALPHA` (0.05) and its lift (real rate / null rate) is >= 1.5.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field
from scipy import optimize, signal, stats

from tradingstack.tcn import rules
from tradingstack.tcn.patterns import PATTERN_NAMES

KINDS = ("shuffled", "block_bootstrap", "garch")
BLOCK = 10
ALPHA = 0.05
MIN_LIFT = 1.5
MAX_FALSE_HIT = 0.02


def log_returns(close: np.ndarray) -> np.ndarray:
    c = np.maximum(np.asarray(close, dtype=np.float64), 1e-12)
    return np.diff(np.log(c))


# --- surrogates -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Garch:
    mu: float
    omega: float
    alpha: float
    beta: float
    residuals: np.ndarray  # standardised residuals of the fit

    @property
    def persistence(self) -> float:
        return self.alpha + self.beta


def _garch_variance(e: np.ndarray, omega: float, alpha: float, beta: float) -> np.ndarray:
    """sigma2_t = omega + alpha e_{t-1}^2 + beta sigma2_{t-1}, started at the sample variance."""
    var0 = float(np.var(e)) if len(e) else 1.0
    x = omega + alpha * np.concatenate([[var0], e[:-1] ** 2])
    out, _ = signal.lfilter([1.0], [1.0, -beta], x, zi=[beta * var0])
    return np.maximum(out, 1e-20)


def fit_garch(r: np.ndarray) -> Garch:
    """GARCH(1,1) by Gaussian QMLE (returns rescaled to unit variance for the optimiser)."""
    mu = float(np.mean(r))
    scale = float(np.std(r)) or 1.0
    e = (r - mu) / scale

    def nll(p: np.ndarray) -> float:
        omega, alpha, beta = float(np.exp(p[0])), float(p[1]), float(p[2])
        if alpha < 0 or beta < 0 or alpha + beta >= 0.999:
            return 1e12
        v = _garch_variance(e, omega, alpha, beta)
        return float(0.5 * np.sum(np.log(v) + e * e / v))

    best = optimize.minimize(
        nll,
        x0=np.array([np.log(0.05), 0.08, 0.87]),
        method="Nelder-Mead",
        options={"maxiter": 400, "xatol": 1e-4, "fatol": 1e-3},
    )
    omega, alpha, beta = float(np.exp(best.x[0])), float(best.x[1]), float(best.x[2])
    if not best.success and nll(best.x) >= 1e12:
        omega, alpha, beta = 1.0, 0.0, 0.0  # no clustering found: i.i.d. bootstrap
    v = _garch_variance(e, omega, alpha, beta)
    z = e / np.sqrt(v)
    z = (z - z.mean()) / (z.std() or 1.0)
    return Garch(mu, omega * scale**2, alpha, beta, z)


def garch_returns(g: Garch, n: int, rng: np.random.Generator) -> np.ndarray:
    z = rng.choice(g.residuals, size=n, replace=True)
    var = g.omega / max(1e-9, 1.0 - g.alpha - g.beta)
    out = np.empty(n)
    # burn-in of 200 steps from the unconditional variance
    e_prev = 0.0
    for i in range(-200, n):
        var = g.omega + g.alpha * e_prev * e_prev + g.beta * var
        e_prev = float(np.sqrt(var) * (z[i] if i >= 0 else rng.choice(g.residuals)))
        if i >= 0:
            out[i] = e_prev
    return out + g.mu


def shuffled(r: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.permutation(r)


def block_bootstrap(r: np.ndarray, rng: np.random.Generator, block: int = BLOCK) -> np.ndarray:
    n = len(r)
    starts = rng.integers(0, n, size=n // block + 1)
    idx = (starts[:, None] + np.arange(block)[None, :]).ravel()[:n] % n
    return r[idx]


def surrogate_close(
    close: np.ndarray, kind: str, rng: np.random.Generator, garch: Garch | None = None
) -> np.ndarray:
    """One surrogate path of `close` (same length, same first price)."""
    r = log_returns(close)
    if kind == "shuffled":
        s = shuffled(r, rng)
    elif kind == "block_bootstrap":
        s = block_bootstrap(r, rng)
    elif kind == "garch":
        s = garch_returns(garch or fit_garch(r), len(r), rng)
    else:
        raise ValueError(f"unknown surrogate kind {kind!r}; one of {', '.join(KINDS)}")
    return float(close[0]) * np.exp(np.concatenate([[0.0], np.cumsum(s)]))


# --- calibration ------------------------------------------------------------------------------
class PatternCalibration(BaseModel):
    """One pattern's calibrated rule and its test against chance."""

    pattern: str
    threshold: float | None = Field(description="minimum rule score of a hit (null: never)")
    false_hit_rate: float = Field(description="hits per window on fresh surrogates (worst kind)")
    false_hit_by_kind: dict[str, float]
    real_hits: int = Field(
        description="hit events in the real windows (a run of neighbouring "
        "windows hit by the pattern is one event)"
    )
    real_windows: int
    real_rate: float = Field(description="hit events per real window")
    null_rate: float = Field(description="hit events per surrogate window (worst kind)")
    lift: float | None = Field(description="real rate / null rate")
    p_value: float
    q_value: float = Field(description="Benjamini-Hochberg adjusted p-value over the patterns")
    served: bool
    reason: str


class Calibration(BaseModel):
    """The calibrated rules: thresholds and each pattern's test (saved with the model)."""

    target: float
    windows_per_kind: dict[str, int] = Field(description="surrogate windows per kind (fit)")
    patterns: list[PatternCalibration]

    @property
    def thresholds(self) -> dict[str, float]:
        return {p.pattern: p.threshold for p in self.patterns if p.threshold is not None}

    @property
    def served(self) -> list[str]:
        return [p.pattern for p in self.patterns if p.served]

    def get(self, pattern: str) -> PatternCalibration | None:
        return next((p for p in self.patterns if p.pattern == pattern), None)


def threshold_for(scores: np.ndarray, target: float) -> float:
    """The smallest threshold with at most `target` of `scores` strictly above it (0: the base
    rule already fires rarely enough)."""
    allowed = int(np.floor(target * len(scores)))
    finite = np.sort(scores[np.isfinite(scores)])[::-1]
    if len(finite) <= allowed:
        return 0.0
    return float(max(0.0, finite[allowed]))


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values."""
    n = len(p)
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


Progress = Callable[..., None]


@dataclass
class SurrogateWindows:
    """Surrogate windows scored during calibration, kept for training the network: their
    noise is the real series' own returns (shuffled, bootstrapped or GARCH)."""

    closes: list[np.ndarray]  # one (WINDOW,) array per window
    scores: list[np.ndarray]  # (16,) base-rule scores per window


def surrogate_scores(
    series: Mapping[str, np.ndarray],
    paths: int,
    rng: np.random.Generator,
    stride: int = rules.STRIDE,
    garch: Mapping[str, Garch] | None = None,
    keep: SurrogateWindows | None = None,
) -> dict[str, list[np.ndarray]]:
    """kind -> one (windows, 16) base-rule score matrix per surrogate path (`paths` paths of
    every series; the windows themselves appended to `keep` when given)."""
    out: dict[str, list[np.ndarray]] = {k: [] for k in KINDS}
    for name, close in series.items():
        starts = rules.window_starts(len(close), rules.WINDOW, stride)
        if not starts:
            continue
        g = (garch or {}).get(name) or fit_garch(log_returns(close))
        for kind in KINDS:
            for _ in range(paths):
                sur = surrogate_close(close, kind, rng, g)
                sc = rules.score_matrix(sur, starts)
                out[kind].append(sc)
                if keep is not None:
                    keep.closes += [sur[s : s + rules.WINDOW] for s in starts]
                    keep.scores += list(sc)
    return out


def _stack(mats: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(mats) if mats else np.zeros((0, len(PATTERN_NAMES)))


def events(h: np.ndarray) -> np.ndarray:
    """(windows, 16) hits of one series in time order -> the windows where a run of hits of a
    pattern starts (one pattern seen by several neighbouring windows is one event)."""
    prev = np.vstack([np.zeros((1, h.shape[1]), dtype=bool), h[:-1]]) if len(h) else h
    return h & ~prev


def hits(scores: np.ndarray, thresholds: Mapping[str, float]) -> np.ndarray:
    """(windows, 16) booleans: score above the pattern's threshold (no threshold: never)."""
    th = np.array([thresholds.get(p, np.inf) for p in PATTERN_NAMES])
    return scores > th[None, :]


def calibrate(
    series: Mapping[str, np.ndarray],
    *,
    target: float = 0.0075,
    fit_paths: int = 4,
    eval_paths: int = 4,
    seed: int = 0,
    progress: Progress | None = None,
    keep: SurrogateWindows | None = None,
) -> Calibration:
    """Thresholds from surrogates of `series` (name -> closes, the training part of each real
    series), false-hit rates on fresh surrogates, and the test of each pattern on `series`."""
    report: Progress = progress or (lambda *_, **__: None)
    rng = np.random.default_rng([seed, 7])
    garch = {name: fit_garch(log_returns(c)) for name, c in series.items() if len(c) > 2}
    report("calibrating the rules on surrogates")
    fit = surrogate_scores(series, fit_paths, rng, garch=garch, keep=keep)
    thresholds: dict[str, float] = {}
    for j, pattern in enumerate(PATTERN_NAMES):
        thresholds[pattern] = max(threshold_for(_stack(fit[k])[:, j], target) for k in KINDS)
    report("measuring false hits on fresh surrogates")
    fresh = surrogate_scores(series, eval_paths, rng, garch=garch, keep=keep)
    false_by_kind = {k: hits(_stack(fresh[k]), thresholds).mean(axis=0) for k in KINDS}
    event_by_kind = {
        k: _stack([events(hits(m, thresholds)) for m in fresh[k]]).mean(axis=0) for k in KINDS
    }
    n_fresh = min(len(_stack(fresh[k])) for k in KINDS)

    report("testing the patterns on the real series")
    real = [
        events(hits(rules.score_matrix(c, rules.window_starts(len(c))), thresholds))
        for c in series.values()
        if len(c) >= rules.WINDOW
    ]
    real_events = _stack(real)
    n_real = len(real_events)
    out: list[PatternCalibration] = []
    pvals = np.ones(len(PATTERN_NAMES))
    rows = []
    for j, pattern in enumerate(PATTERN_NAMES):
        by_kind = {k: float(false_by_kind[k][j]) for k in KINDS}
        null = max(by_kind.values())
        null_events = max(float(event_by_kind[k][j]) for k in KINDS)
        null_floor = max(null_events, 0.5 / max(n_fresh, 1))  # no surrogate event: half one
        k_real = int(real_events[:, j].sum()) if n_real else 0
        pvals[j] = float(stats.binom.sf(k_real - 1, n_real, null_floor)) if n_real else 1.0
        rows.append((pattern, by_kind, null, null_floor, k_real))
    qvals = bh(pvals)
    for j, (pattern, by_kind, null, null_floor, k_real) in enumerate(rows):
        rate = k_real / n_real if n_real else 0.0
        lift = rate / null_floor if n_real else None
        reasons = []
        if null > MAX_FALSE_HIT:
            reasons.append(f"false-hit rate {null:.3f} > {MAX_FALSE_HIT}")
        if qvals[j] >= ALPHA:
            reasons.append(f"not above chance (BH q = {qvals[j]:.3g} >= {ALPHA})")
        if lift is None or lift < MIN_LIFT:
            reasons.append(f"lift {0.0 if lift is None else lift:.2f} < {MIN_LIFT}")
        served = not reasons
        out.append(
            PatternCalibration(
                pattern=pattern,
                threshold=round(thresholds[pattern], 6),
                false_hit_rate=round(null, 5),
                false_hit_by_kind={k: round(v, 5) for k, v in by_kind.items()},
                real_hits=k_real,
                real_windows=n_real,
                real_rate=round(rate, 5),
                null_rate=round(null_floor, 5),
                lift=None if lift is None else round(lift, 3),
                p_value=float(f"{pvals[j]:.4g}"),
                q_value=float(f"{qvals[j]:.4g}"),
                served=served,
                reason="beats chance" if served else "; ".join(reasons),
            )
        )
    return Calibration(
        target=target, windows_per_kind={k: len(_stack(fit[k])) for k in KINDS}, patterns=out
    )
