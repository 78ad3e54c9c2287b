"""Four-state Gaussian HMM market regimes, with forward filtering only.

**Features** (all trailing, so the value at bar t uses bars <= t only): the log return, the
realised volatility (rolling standard deviation of log returns over `vol_window` bars) and
the distance of the close from its `ma_window`-bar moving average in rolling standard
deviations. They are standardised with the mean and standard deviation of the bars the model
was fitted on (stored with the model, never re-estimated on new bars).

**Fit.** hmmlearn's `GaussianHMM` (4 states, full covariance) is fitted `restarts` times from
different random initialisations with up to `n_iter` EM iterations; the fit with the best
log-likelihood among those that converged (`monitor_.converged`) is kept.

**State names**, assigned after every fit from the fitted parameters: the state whose
log-return variance is highest is `high_volatility`; of the other three, the highest mean
return is `bull_trend`, the lowest `bear_trend`, the middle one `sideways`.

**Current regime.** hmmlearn's `predict_proba` is forward-backward smoothing: the probability
at bar t would use bars after t. The service instead runs the normalised forward recursion

    alpha_0 = startprob * b(x_0),   alpha_t = (alpha_{t-1} @ transmat) * b(x_t),

normalised at every step (in log space), where b is each state's Gaussian density (scipy's
`multivariate_normal.logpdf`). alpha_t is P(state_t | x_0..x_t): adding bars after t never
changes it. The regime history is the most probable filtered regime at each bar.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from hmmlearn.hmm import GaussianHMM
from pydantic import BaseModel, Field
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

log = logging.getLogger("tradingstack.hmm")

REGIMES: tuple[str, ...] = ("bull_trend", "bear_trend", "sideways", "high_volatility")
FEATURES: tuple[str, ...] = ("log_return", "realised_vol", "ma_distance")
N_STATES = 4


def regime_features(close: pd.Series, vol_window: int = 20, ma_window: int = 50) -> pd.DataFrame:
    """Trailing features per bar (rows with incomplete windows dropped)."""
    close = close.astype(np.float64)
    ret = np.log(close).diff()
    vol = ret.rolling(vol_window).std()
    ma = close.rolling(ma_window).mean()
    sd = close.rolling(ma_window).std()
    dist = (close - ma) / sd.replace(0.0, np.nan)
    frame = pd.DataFrame({"log_return": ret, "realised_vol": vol, "ma_distance": dist})
    return frame.replace([np.inf, -np.inf], np.nan).dropna()


class RegimeModel(BaseModel):
    """A fitted HMM, stored as JSON (plain numbers, no pickle)."""

    startprob: list[float]
    transmat: list[list[float]]
    means: list[list[float]] = Field(description="per state, standardised feature space")
    covars: list[list[list[float]]] = Field(description="per state, full covariance")
    feature_mean: list[float]
    feature_std: list[float]
    state_regimes: list[str] = Field(description="state index -> regime name")
    log_likelihood: float
    converged: bool
    iterations: int
    restarts: int
    converged_restarts: int
    n_obs: int
    vol_window: int
    ma_window: int
    fitted_at: datetime
    train_start: datetime | None = None
    train_end: datetime | None = None
    fit_seconds: float = 0.0
    extra: dict[str, Any] = Field(default_factory=dict)

    # --- numpy views -------------------------------------------------------------------------
    def standardise(self, raw: np.ndarray) -> np.ndarray:
        return (raw - np.asarray(self.feature_mean)) / np.asarray(self.feature_std)

    def log_emissions(self, X: np.ndarray) -> np.ndarray:
        """(T, K) log densities of standardised observations under each state."""
        return np.column_stack(
            [
                multivariate_normal.logpdf(
                    X, mean=np.asarray(m), cov=np.asarray(c), allow_singular=True
                )
                for m, c in zip(self.means, self.covars, strict=True)
            ]
        ).reshape(len(X), N_STATES)

    def filter(self, X: np.ndarray) -> np.ndarray:
        """(T, K) filtered state probabilities P(s_t | x_0..x_t) of standardised X."""
        return forward_filter(
            np.asarray(self.startprob), np.asarray(self.transmat), self.log_emissions(X)
        )

    def regime_probabilities(self, raw: np.ndarray) -> np.ndarray:
        """(T, 4) filtered probabilities in REGIMES order, from raw (unstandardised) features."""
        states = self.filter(self.standardise(raw))
        out = np.zeros((len(raw), len(REGIMES)))
        for k, name in enumerate(self.state_regimes):
            out[:, REGIMES.index(name)] += states[:, k]
        return out

    def regime_transmat(self) -> np.ndarray:
        """The transition matrix reordered to REGIMES (row: from, column: to)."""
        order = [self.state_regimes.index(r) for r in REGIMES]
        return np.asarray(self.transmat)[np.ix_(order, order)]

    def expected_durations(self) -> dict[str, float]:
        """1 / (1 - p_ii) bars per regime (inf for an absorbing state)."""
        diag = np.diag(self.regime_transmat())
        return {
            r: (float("inf") if p >= 1.0 else float(1.0 / (1.0 - p)))
            for r, p in zip(REGIMES, diag, strict=True)
        }

    def state_means_raw(self) -> dict[str, dict[str, float]]:
        """Each regime's mean features in their own units."""
        mean, std = np.asarray(self.feature_mean), np.asarray(self.feature_std)
        return {
            self.state_regimes[k]: {
                f: float(v) for f, v in zip(FEATURES, np.asarray(m) * std + mean, strict=True)
            }
            for k, m in enumerate(self.means)
        }


def forward_filter(startprob: np.ndarray, transmat: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """Normalised forward recursion in log space; row t uses observations 0..t only."""
    T, K = log_b.shape
    with np.errstate(divide="ignore"):
        log_a = np.log(transmat)
        log_alpha = np.log(startprob) + log_b[0]
    out = np.empty((T, K))
    log_alpha -= logsumexp(log_alpha)
    out[0] = np.exp(log_alpha)
    for t in range(1, T):
        log_alpha = logsumexp(log_alpha[:, None] + log_a, axis=0) + log_b[t]
        log_alpha -= logsumexp(log_alpha)
        out[t] = np.exp(log_alpha)
    return out


def map_states(means: np.ndarray, covars: np.ndarray) -> list[str]:
    """State index -> regime: highest return variance is high_volatility, then by mean return."""
    variance = covars[:, 0, 0]
    vol_state = int(np.argmax(variance))
    rest = sorted((k for k in range(N_STATES) if k != vol_state), key=lambda k: means[k, 0])
    names = [""] * N_STATES
    names[vol_state] = "high_volatility"
    names[rest[0]] = "bear_trend"
    names[rest[1]] = "sideways"
    names[rest[2]] = "bull_trend"
    return names


@dataclass
class _Fit:
    model: GaussianHMM
    score: float
    converged: bool


def fit_regimes(
    raw: np.ndarray,
    *,
    lengths: list[int] | None = None,
    restarts: int = 5,
    n_iter: int = 500,
    tol: float = 1e-4,
    seed: int = 0,
    vol_window: int = 20,
    ma_window: int = 50,
    times: pd.DatetimeIndex | None = None,
) -> RegimeModel:
    """Fit the 4-state HMM on raw features (T, 3); `lengths` for several sequences."""
    import time

    if len(raw) < 10 * N_STATES:
        raise ValueError(f"{len(raw)} bars of features; fitting 4 regimes needs at least 40")
    t0 = time.monotonic()
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    X = (raw - mean) / std
    fits: list[_Fit] = []
    for i in range(restarts):
        model = GaussianHMM(
            n_components=N_STATES,
            covariance_type="full",
            n_iter=n_iter,
            tol=tol,
            random_state=seed + i,
            min_covar=1e-4,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model.fit(X, lengths)
                score = float(model.score(X, lengths))
            except (ValueError, np.linalg.LinAlgError) as exc:
                log.warning("HMM restart %d failed: %s", i, exc)
                continue
        if np.isfinite(score):
            fits.append(_Fit(model, score, bool(model.monitor_.converged)))
    if not fits:
        raise ValueError("every HMM restart failed (degenerate features?)")
    converged = [f for f in fits if f.converged]
    best = max(converged or fits, key=lambda f: f.score)
    if not converged:
        log.warning("no HMM restart converged in %d iterations; keeping the best", n_iter)
    m = best.model
    covars = np.asarray(m.covars_)
    return RegimeModel(
        startprob=m.startprob_.tolist(),
        transmat=m.transmat_.tolist(),
        means=m.means_.tolist(),
        covars=covars.tolist(),
        feature_mean=mean.tolist(),
        feature_std=std.tolist(),
        state_regimes=map_states(np.asarray(m.means_), covars),
        log_likelihood=best.score,
        converged=best.converged,
        iterations=int(m.monitor_.iter),
        restarts=restarts,
        converged_restarts=len(converged),
        n_obs=len(raw),
        vol_window=vol_window,
        ma_window=ma_window,
        fitted_at=datetime.now(UTC),
        train_start=times[0].to_pydatetime() if times is not None and len(times) else None,
        train_end=times[-1].to_pydatetime() if times is not None and len(times) else None,
        fit_seconds=round(time.monotonic() - t0, 4),
    )


def segments(times: pd.DatetimeIndex, labels: list[str]) -> list[dict[str, Any]]:
    """Runs of the same regime: start, end (bar times), regime, bars."""
    out: list[dict[str, Any]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            out.append(
                {
                    "start": times[start].to_pydatetime(),
                    "end": times[i - 1].to_pydatetime(),
                    "regime": labels[start],
                    "bars": i - start,
                }
            )
            start = i
    return out
