"""Four-state Gaussian HMM market regimes, with forward filtering only.

**Features** (all trailing, so the value at bar t uses bars <= t only): the log return, the
realised volatility (rolling standard deviation of log returns over `vol_window` bars) and
the distance of the close from its `ma_window`-bar moving average in rolling standard
deviations. They are standardised with the mean and standard deviation of the bars the model
was fitted on (stored with the model, never re-estimated on new bars) and clipped to
+-`clip` standard deviations, so that a handful of crash bars cannot claim a state of their own.

**Fit.** hmmlearn's `GaussianHMM` (4 states, full covariance) with one BLAS/OpenMP thread
(`threadpoolctl`: with the default threads a 10,000-bar fit took 9x longer on a busy machine).
`restarts` random initialisations run `screen_iter` EM iterations each; the best of them (and,
on a refit, the previous model's parameters as a warm start) run on to convergence. A fit is
**converged** only when EM stopped because the log-likelihood changed by less than `tol`
before the iteration cap (`em_converged`; hmmlearn's own `monitor_.converged` is also true at
the cap). A fit with a **degenerate state** (one that holds less than `min_state_share` of the
bars, e.g. a state fitted to a few outliers) is only kept when every candidate has one.

**State names** come from what the states mean, not from their mean returns (which differ by a
few basis points): the state with the highest mean realised volatility is `high_volatility`;
of the other three, the highest mean MA distance is `bull_trend`, the lowest `bear_trend`, the
middle one `sideways`. **After a refit** the new states are matched to the previous model's
(`match_states`: the Hungarian assignment that maximises the overlap of the two models'
filtered state probabilities on the bars both were fitted on), so a regime keeps its name
across refits; the agreement of the two models' regime labels on those bars is stored with the
model (`refit_agreement`). The matched names are kept only while they still roughly respect
the meaning (bull above bear in MA distance, high volatility among the two most volatile
states); otherwise the names from the meaning are used and `matched_to_previous` is false.

**Current regime.** hmmlearn's `predict_proba` is forward-backward smoothing: the probability
at bar t would use bars after t. The service instead runs the normalised forward recursion

    alpha_0 = startprob * b(x_0),   alpha_t = (alpha_{t-1} @ transmat) * b(x_t),

normalised at every step, where b is each state's Gaussian density. alpha_t is
P(state_t | x_0..x_t): adding bars after t never changes it. `forward_filter` works from the
log densities: each bar's densities are shifted by their maximum (the log-space trick) before
they are exponentiated, so the recursion runs on numbers in (0, 1] with a few numpy operations
per bar (0.05 s for 10,000 bars; the loop with `logsumexp` per bar took seconds).

**Quality** (`regime_quality`): whether the regimes tell anything about the next bar on bars
the model was not fitted on. A model fitted on the first 80 % of the bars forecasts the
distribution of the next bar's log return (a mixture of the states' return densities, weighted
by the filtered state probabilities carried one step through the transition matrix) over the
last 20 %; the measure is its mean log score per bar minus that of one Gaussian fitted to the
same training returns (baseline 0), with a block-bootstrap 95 % interval. This is what a regime
can honestly claim: a better forecast of how widely the next return is spread, not of its
direction. (The features themselves are smoothed, so any HMM "explains" them better than one
Gaussian: that would be no evidence.)
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from hmmlearn.hmm import GaussianHMM
from pydantic import BaseModel, Field
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

from tradingstack.core.schemas import ModelQuality, has_edge
from tradingstack.hmm.evaluation import block_indices

log = logging.getLogger("tradingstack.hmm")
# With the anchor prior EM climbs the posterior; the likelihood alone may dip by a little at
# the top, which hmmlearn logs as a warning on every fit ("Model is not converging").
logging.getLogger("hmmlearn.base").setLevel(logging.ERROR)

REGIMES: tuple[str, ...] = ("bull_trend", "bear_trend", "sideways", "high_volatility")
FEATURES: tuple[str, ...] = ("log_return", "realised_vol", "ma_distance")
N_STATES = 4
EMISSIONS: tuple[str, ...] = ("log_realised_vol", "ma_distance")
_VOL, _MA = 0, 1  # columns of the emission features


def emission_features(raw: np.ndarray, vol_floor: float) -> np.ndarray:
    """(T, 2) log realised volatility (floored) and MA distance from raw (T, 3) features."""
    return np.column_stack([np.log(np.maximum(raw[:, 1], vol_floor)), raw[:, 2]])


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
    means: list[list[float]] = Field(description="per state, standardised EMISSIONS")
    covars: list[list[list[float]]] = Field(description="per state, full covariance")
    feature_mean: list[float] = Field(description="of the EMISSIONS on the training bars")
    feature_std: list[float]
    vol_floor: float = Field(description="realised volatility floor before its log")
    state_return_mean: list[float] = Field(
        description="per state, log return mean on the training bars (filtered weights)"
    )
    state_return_var: list[float]
    clip: float = Field(default=np.inf, description="standardised features clipped to +-clip")
    state_regimes: list[str] = Field(description="state index -> regime name")
    log_likelihood: float
    converged: bool = Field(description="EM stopped on `tol` before the iteration cap")
    iterations: int
    restarts: int
    converged_restarts: int
    state_shares: list[float] = Field(
        default_factory=list, description="share of the training bars per state (filtered)"
    )
    degenerate: bool = Field(default=False, description="a state holds too few bars")
    matched_to_previous: bool = Field(
        default=False, description="state names inherited from the previous model"
    )
    refit_agreement: float | None = Field(
        default=None,
        description="share of the bars both models were fitted on where the previous and this "
        "model name the same regime (null: first fit)",
    )
    shared_bars: int = 0
    quality: ModelQuality | None = None
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
        """Raw (T, 3) features -> the standardised, clipped emission features (T, 2)."""
        X = emission_features(raw, self.vol_floor)
        X = (X - np.asarray(self.feature_mean)) / np.asarray(self.feature_std)
        return np.clip(X, -self.clip, self.clip)

    def log_emissions(self, X: np.ndarray) -> np.ndarray:
        """(T, K) log densities of standardised observations under each state."""
        return gaussian_log_densities(X, np.asarray(self.means), np.asarray(self.covars))

    def filter(self, X: np.ndarray) -> np.ndarray:
        """(T, K) filtered state probabilities P(s_t | x_0..x_t) of standardised X."""
        return forward_filter(
            np.asarray(self.startprob), np.asarray(self.transmat), self.log_emissions(X)
        )

    def state_probabilities(self, raw: np.ndarray) -> np.ndarray:
        """(T, K) filtered state probabilities from raw (unstandardised) features."""
        return self.filter(self.standardise(raw))

    def regime_probabilities(self, raw: np.ndarray) -> np.ndarray:
        """(T, 4) filtered probabilities in REGIMES order, from raw (unstandardised) features."""
        states = self.state_probabilities(raw)
        out = np.zeros((len(raw), len(REGIMES)))
        for k, name in enumerate(self.state_regimes):
            out[:, REGIMES.index(name)] += states[:, k]
        return out

    def regime_labels(self, raw: np.ndarray) -> np.ndarray:
        """The most probable filtered regime name per bar."""
        names = np.asarray(self.state_regimes)
        return names[self.state_probabilities(raw).argmax(axis=1)]

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
        """Each regime's mean features in their own units (realised volatility: geometric)."""
        mean, std = np.asarray(self.feature_mean), np.asarray(self.feature_std)
        out = {}
        for k, m in enumerate(self.means):
            log_vol, dist = np.asarray(m) * std + mean
            out[self.state_regimes[k]] = {
                "log_return": float(self.state_return_mean[k]),
                "realised_vol": float(np.exp(log_vol)),
                "ma_distance": float(dist),
            }
        return out


def gaussian_log_densities(X: np.ndarray, means: np.ndarray, covars: np.ndarray) -> np.ndarray:
    """(T, K) log N(x_t; mean_k, cov_k), by Cholesky factors (vectorised over bars)."""
    T, d = X.shape
    out = np.empty((T, len(means)))
    for k, (m, c) in enumerate(zip(means, covars, strict=True)):
        try:
            L = np.linalg.cholesky(c)
        except np.linalg.LinAlgError:
            L = np.linalg.cholesky(c + 1e-9 * np.eye(d))
        z = np.linalg.solve(L, (X - m).T)
        out[:, k] = (
            -0.5 * np.einsum("ij,ij->j", z, z)
            - np.log(np.diag(L)).sum()
            - 0.5 * d * np.log(2 * np.pi)
        )
    return out


def forward_filter(startprob: np.ndarray, transmat: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """Filtered P(s_t | x_0..x_t); row t uses observations 0..t only.

    The recursion alpha_t = alpha_{t-1} @ A @ diag(b_t) is linear, so alpha_t is alpha_0 times
    the product M_1 ... M_t of the per-bar matrices M_t = A diag(b_t): all T prefix products
    come from a parallel prefix scan (log2 T rounds of batched 4x4 products, each product
    rescaled by its sum, which cancels in the normalisation). Each row of log densities is
    shifted by its maximum before exponentiating. Rows the scan cannot represent (everything
    underflowed, possible only with zeros in `transmat` and extreme densities) are redone by
    the sequential recursion."""
    T, K = log_b.shape
    b = np.exp(log_b - log_b.max(axis=1, keepdims=True))
    A = np.asarray(transmat, dtype=np.float64)
    v0 = startprob * b[0]
    P = A[None, :, :] * b[1:, None, :]  # M_t for t = 1..T-1
    d = 1
    while d < len(P):
        P[d:] = P[:-d] @ P[d:]  # the right side is evaluated before the assignment
        P[d:] /= P[d:].sum(axis=(1, 2), keepdims=True)
        d *= 2
    alpha = np.empty((T, K))
    alpha[0] = v0
    alpha[1:] = np.einsum("k,tkj->tj", v0, P)
    sums = alpha.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = alpha / sums
    bad = ~(np.isfinite(out).all(axis=1) & (sums[:, 0] > 1e-300))
    if bad.any():
        return _forward_filter_loop(startprob, A, log_b)
    return out


def _forward_filter_loop(
    startprob: np.ndarray, transmat: np.ndarray, log_b: np.ndarray
) -> np.ndarray:
    """The normalised forward recursion one bar at a time (a step whose numbers all underflow
    is redone in log space)."""
    T, K = log_b.shape
    b = np.exp(log_b - log_b.max(axis=1, keepdims=True))
    out = np.empty((T, K))
    a = startprob * b[0]
    s = a.sum()
    out[0] = a / s if s > 0 else _log_step(np.log(startprob), log_b[0])
    A = np.ascontiguousarray(transmat)
    for t in range(1, T):
        a = (out[t - 1] @ A) * b[t]
        s = a.sum()
        if s > 1e-300:
            out[t] = a / s
        else:
            with np.errstate(divide="ignore"):
                prior = logsumexp(np.log(out[t - 1])[:, None] + np.log(A), axis=0)
            out[t] = _log_step(prior, log_b[t])
    return out


def _log_step(log_prior: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    la = log_prior + log_b
    return np.exp(la - logsumexp(la))


def forward_filter_reference(
    startprob: np.ndarray, transmat: np.ndarray, log_b: np.ndarray
) -> np.ndarray:
    """The textbook recursion entirely in log space (`logsumexp` per bar); slow, the reference
    the fast filter is tested against."""
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


def em_converged(monitor: Any) -> bool:
    """True when EM stopped because the log-likelihood's last change was below `tol`, before
    the iteration cap. hmmlearn's `monitor.converged` is also true when `iter == n_iter`, so a
    fit cut off at the cap passed as converged. (A small fall counts as converged: with the
    anchor prior EM climbs the posterior, and the likelihood alone may dip at the top.)"""
    history = list(monitor.history)
    if len(history) < 2 or monitor.iter >= monitor.n_iter:
        return False
    return bool(history[-1] - history[-2] < monitor.tol)


def name_states(means: np.ndarray) -> list[str]:
    """State index -> regime from standardised state means: the highest realised volatility is
    high_volatility; of the rest, by MA distance: highest bull_trend, lowest bear_trend."""
    vol_state = int(np.argmax(means[:, _VOL]))
    rest = sorted((k for k in range(N_STATES) if k != vol_state), key=lambda k: means[k, _MA])
    names = [""] * N_STATES
    names[vol_state] = "high_volatility"
    names[rest[0]] = "bear_trend"
    names[rest[1]] = "sideways"
    names[rest[2]] = "bull_trend"
    return names


def names_respect_meaning(names: list[str], means: np.ndarray) -> bool:
    """Inherited names still roughly mean what they say: bull above bear in MA distance, and
    high volatility among the two most volatile states."""
    k = {n: i for i, n in enumerate(names)}
    vol_rank = int((means[:, _VOL] > means[k["high_volatility"], _VOL]).sum())
    return bool(means[k["bull_trend"], _MA] > means[k["bear_trend"], _MA] and vol_rank <= 1)


def match_states(
    previous: RegimeModel, model: RegimeModel, raw_shared: np.ndarray
) -> tuple[list[str], float]:
    """Names for `model`'s states matched to `previous`'s (Hungarian assignment on the overlap
    of their filtered state probabilities over `raw_shared`), and the share of those bars on
    which the two models then name the same regime."""
    p_old = previous.state_probabilities(raw_shared)
    p_new = model.state_probabilities(raw_shared)
    overlap = p_old.T @ p_new  # (old state, new state): expected bars in both
    rows, cols = linear_sum_assignment(-overlap)
    names = [""] * N_STATES
    for i, j in zip(rows, cols, strict=True):
        names[j] = previous.state_regimes[i]
    old_labels = np.asarray(previous.state_regimes)[p_old.argmax(axis=1)]
    new_labels = np.asarray(names)[p_new.argmax(axis=1)]
    return names, float(np.mean(old_labels == new_labels))


@dataclass
class _Fit:
    model: GaussianHMM
    score: float
    converged: bool
    shares: np.ndarray
    warm: bool = False


def _new_hmm(
    n_iter: int, tol: float, seed: int, init_params: str = "stmc", prior_weight: float = 0.0
) -> GaussianHMM:
    """`prior_weight` > 0: the state means get a Gaussian prior at ANCHORS worth that many
    bars each (MAP EM), so the states stay where their names say."""
    return GaussianHMM(
        n_components=N_STATES,
        covariance_type="full",
        n_iter=n_iter,
        tol=tol,
        random_state=seed,
        min_covar=1e-3,
        init_params=init_params,
        params="stmc",
        implementation="scaling",
        means_prior=np.array([ANCHORS[r] for r in REGIMES]) if prior_weight > 0 else 0,
        means_weight=prior_weight,
    )


def _em(model: GaussianHMM, X: np.ndarray, lengths: list[int] | None, n_iter: int) -> float | None:
    """`n_iter` more EM iterations from the model's current state (or its init_params)."""
    model.n_iter = model.monitor_.n_iter = n_iter  # the monitor keeps its own copy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(X, lengths)
            score = float(model.monitor_.history[-1])
        except (ValueError, np.linalg.LinAlgError, IndexError) as exc:
            log.warning("HMM EM failed: %s", exc)
            return None
    return score if np.isfinite(score) else None


def _warm_start(
    previous: RegimeModel, mean: np.ndarray, std: np.ndarray, tol: float, prior_weight: float
) -> GaussianHMM:
    """An HMM holding the previous model's parameters, moved to the new standardisation."""
    old_mean, old_std = np.asarray(previous.feature_mean), np.asarray(previous.feature_std)
    scale = old_std / std
    hmm = _new_hmm(1, tol, 0, init_params="", prior_weight=prior_weight)
    hmm.startprob_ = np.asarray(previous.startprob)
    hmm.transmat_ = np.asarray(previous.transmat)
    hmm.means_ = (np.asarray(previous.means) * old_std + old_mean - mean) / std
    hmm.covars_ = np.asarray(previous.covars) * scale[None, :, None] * scale[None, None, :]
    return hmm


# Starting points in standardised units (log realised volatility, MA distance): one state per
# regime, where its name says it is. EM moves them; names are given afterwards from where they
# ended (`name_states`). Random (k-means) starts found another partition of the feature space
# on every window, so refits disagreed whatever the names.
ANCHORS: dict[str, tuple[float, float]] = {
    "bull_trend": (-0.2, 1.0),
    "bear_trend": (0.2, -1.0),
    "sideways": (-0.5, 0.0),
    "high_volatility": (1.5, 0.0),
}


def _anchored(
    X: np.ndarray, tol: float, rng: np.random.Generator | None, prior_weight: float
) -> GaussianHMM:
    """An HMM started at ANCHORS (jittered by `rng`, if given)."""
    means = np.array([ANCHORS[r] for r in REGIMES])
    if rng is not None:
        means = means + rng.normal(0.0, 0.3, size=means.shape)
    hmm = _new_hmm(1, tol, 0, init_params="", prior_weight=prior_weight)
    hmm.startprob_ = np.full(N_STATES, 1.0 / N_STATES)
    hmm.transmat_ = np.full((N_STATES, N_STATES), 0.05 / (N_STATES - 1)) + np.eye(N_STATES) * (
        0.95 - 0.05 / (N_STATES - 1)
    )
    hmm.means_ = means
    cov = np.cov(X.T) * 0.5 + np.eye(X.shape[1]) * 1e-3
    hmm.covars_ = np.stack([cov] * N_STATES)
    return hmm


def _shares(model: GaussianHMM, X: np.ndarray) -> np.ndarray:
    probs = forward_filter(
        model.startprob_,
        model.transmat_,
        gaussian_log_densities(X, model.means_, model.covars_),
    )
    return np.bincount(probs.argmax(axis=1), minlength=N_STATES) / len(X)


def _standardised(raw: np.ndarray, clip: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The emission features standardised and clipped at `clip`, with their mean, their std
    and the volatility floor (1 % of the median positive realised volatility)."""
    positive = raw[:, 1][raw[:, 1] > 0]
    vol_floor = float(np.median(positive)) * 1e-2 if len(positive) else 1e-12
    E = emission_features(raw, vol_floor)
    mean, std = E.mean(axis=0), E.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    return np.clip((E - mean) / std, -clip, clip), mean, std, vol_floor


def _candidates(
    X: np.ndarray,
    lengths: list[int] | None,
    warm: GaussianHMM | None,
    restarts: int,
    n_iter: int,
    tol: float,
    seed: int,
    screen_iter: int,
    anchor: float,
) -> list[_Fit]:
    """Screen a few EM iterations from each random start (and from `warm`, the previous
    model's parameters); the best random start and the warm start run on to convergence."""
    screened: list[tuple[float, GaussianHMM, bool]] = []
    rng = np.random.default_rng(seed)
    for i in range(restarts):
        hmm = _anchored(X, tol, rng if i else None, anchor)
        score = _em(hmm, X, lengths, min(screen_iter, n_iter))
        if score is not None:
            screened.append((score, hmm, False))
    if warm is not None:
        score = _em(warm, X, lengths, min(screen_iter, n_iter))
        if score is not None:
            screened.append((score, warm, True))
    if not screened:
        raise ValueError("every HMM restart failed (degenerate features?)")
    screened.sort(key=lambda s: -s[0])
    fits: list[_Fit] = []
    # run on: the best random start and the warm start (the candidates most likely to win)
    finalists = [screened[0]] + [s for s in screened[1:] if s[2]]
    for _, hmm, is_warm in finalists:
        hmm.init_params = ""
        score = _em(hmm, X, lengths, n_iter)
        if score is None:
            continue
        fits.append(_Fit(hmm, score, em_converged(hmm.monitor_), _shares(hmm, X), warm=is_warm))
    if not fits:
        raise ValueError("every HMM restart failed (degenerate features?)")
    return fits


def _state_returns(m: GaussianHMM, X: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each state's log-return mean and variance on the training bars (`r`), weighted by its
    filtered probability (the variance floored at 1e-3 of the overall one)."""
    w = (
        forward_filter(m.startprob_, m.transmat_, gaussian_log_densities(X, m.means_, m.covars_))
        + 1e-12
    )
    r_mean = (w * r[:, None]).sum(axis=0) / w.sum(axis=0)
    r_var = (w * (r[:, None] - r_mean) ** 2).sum(axis=0) / w.sum(axis=0)
    return r_mean, np.maximum(r_var, max(float(r.var()), 1e-18) * 1e-3)


def _match_to_previous(
    model: RegimeModel, previous: RegimeModel, raw_shared: np.ndarray, means: np.ndarray
) -> None:
    """Name `model`'s states after `previous`'s on the bars both were fitted on (when the
    names keep their meaning), and record how often the two agree there."""
    names, agreement = match_states(previous, model, raw_shared)
    if names_respect_meaning(names, means):
        model.state_regimes = names
        model.matched_to_previous = True
    else:
        agreement = float(
            np.mean(previous.regime_labels(raw_shared) == model.regime_labels(raw_shared))
        )
    model.refit_agreement = round(agreement, 4)
    model.shared_bars = len(raw_shared)


def fit_regimes(
    raw: np.ndarray,
    *,
    lengths: list[int] | None = None,
    restarts: int = 4,
    n_iter: int = 300,
    tol: float = 1e-2,
    seed: int = 0,
    screen_iter: int = 15,
    clip: float = 5.0,
    min_state_share: float = 0.03,
    keep_previous_margin: float = 0.02,
    anchor_weight: float = 2.0,
    vol_window: int = 20,
    ma_window: int = 50,
    times: pd.DatetimeIndex | None = None,
    previous: RegimeModel | None = None,
    raw_shared: np.ndarray | None = None,
) -> RegimeModel:
    """Fit the 4-state HMM on raw features (T, 3); `lengths` for several sequences.

    With `previous` (the model this one replaces) its parameters are one more starting point,
    and the states are matched to its states on `raw_shared` (the raw features of the bars
    both were fitted on) so that the regimes keep their names."""
    if len(raw) < 10 * N_STATES:
        raise ValueError(f"{len(raw)} bars of features; fitting 4 regimes needs at least 40")
    t0 = time.monotonic()
    X, mean, std, vol_floor = _standardised(raw, clip)
    with threadpool_limits(limits=1):
        anchor = anchor_weight * len(X) / N_STATES
        warm = (
            _warm_start(previous, mean, std, tol, anchor)
            if previous is not None and len(previous.means) == N_STATES
            else None
        )
        fits = _candidates(X, lengths, warm, restarts, n_iter, tol, seed, screen_iter, anchor)
        ok = [f for f in fits if f.shares.min() >= min_state_share]
        # a degenerate candidate only when every candidate is; converged before not converged
        pool = ok or fits
        best = max(pool, key=lambda f: (f.converged, f.score))
        warm_fits = [f for f in pool if f.warm and f.converged == best.converged]
        if warm_fits and warm_fits[0].score >= best.score - keep_previous_margin * len(X):
            best = warm_fits[0]  # the incumbent's states, unless a start fits clearly better
        log.debug("HMM candidates: %s", [(f.warm, f.score, f.converged) for f in fits])
    if not best.converged:
        log.warning("the HMM fit did not converge in %d iterations (tol %g)", n_iter, tol)
    m = best.model
    means = np.asarray(m.means_)
    r_mean, r_var = _state_returns(m, X, raw[:, 0])
    model = RegimeModel(
        startprob=m.startprob_.tolist(),
        transmat=m.transmat_.tolist(),
        means=means.tolist(),
        covars=np.asarray(m.covars_).tolist(),
        feature_mean=mean.tolist(),
        feature_std=std.tolist(),
        vol_floor=vol_floor,
        state_return_mean=r_mean.tolist(),
        state_return_var=r_var.tolist(),
        clip=clip,
        state_regimes=name_states(means),
        log_likelihood=best.score,
        converged=best.converged,
        iterations=int(m.monitor_.iter),
        restarts=restarts,
        converged_restarts=sum(f.converged for f in fits),
        state_shares=[round(float(s), 4) for s in best.shares],
        degenerate=not ok,
        n_obs=len(raw),
        vol_window=vol_window,
        ma_window=ma_window,
        fitted_at=datetime.now(UTC),
        train_start=times[0].to_pydatetime() if times is not None and len(times) else None,
        train_end=times[-1].to_pydatetime() if times is not None and len(times) else None,
        extra={"warm_start_kept": best.warm},
    )
    if previous is not None and raw_shared is not None and len(raw_shared) >= 2 * N_STATES:
        _match_to_previous(model, previous, raw_shared, means)
    model.fit_seconds = round(time.monotonic() - t0, 4)
    return model


# --- quality --------------------------------------------------------------------------------
def one_step_log_scores(
    model: RegimeModel, raw: np.ndarray, base_mu: float, base_var: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per bar t >= 1: log density of bar t's log return under the regime forecast made at t-1
    (filtered states carried one step; each state's return mean and variance from its training
    bars), and under one Gaussian N(base_mu, base_var)."""
    r = raw[1:, 0]
    filtered = model.state_probabilities(raw)
    prior = filtered[:-1] @ np.asarray(model.transmat)  # P(s_t | x_0..x_{t-1}), t >= 1
    mu = np.asarray(model.state_return_mean)
    var = np.asarray(model.state_return_var)
    comp = -0.5 * ((r[:, None] - mu) ** 2 / var + np.log(2 * np.pi * var))
    with np.errstate(divide="ignore"):
        hmm_score = logsumexp(comp + np.log(prior), axis=1)
    base = -0.5 * ((r - base_mu) ** 2 / base_var + np.log(2 * np.pi * base_var))
    return hmm_score, base


def regime_quality(
    raw: np.ndarray,
    *,
    holdout_fraction: float = 0.2,
    block: int = 50,
    n_boot: int = 1000,
    seed: int = 0,
    times: pd.DatetimeIndex | None = None,
    **fit_kwargs: Any,
) -> ModelQuality:
    """Fit on the first (1 - holdout_fraction) of the bars, score the one-step forecasts of the
    next bar's return on the rest against one Gaussian (see the module's docstring)."""
    n = len(raw)
    n_train = int(n * (1 - holdout_fraction))
    if n_train < 10 * N_STATES or n - n_train < 30:
        return unmeasured_quality(f"{n} bars are too few for a held-out evaluation")
    model = fit_regimes(raw[:n_train], **fit_kwargs)
    r_train = raw[:n_train, 0]
    hmm_score, base = one_step_log_scores(model, raw, float(r_train.mean()), float(r_train.var()))
    diff = (hmm_score - base)[n_train - 1 :]  # forecasts of bars n_train .. n-1
    boot = diff[block_indices(len(diff), block, n_boot, seed)].mean(axis=1)
    value = float(diff.mean())
    lo, hi = (float(v) for v in np.quantile(boot, [0.025, 0.975]))
    edge = has_edge(lo, hi, 0.0, higher_is_better=True)
    span = ""
    if times is not None and len(times) == n:
        span = f", {times[n_train].date()}..{times[-1].date()}"
    verdict = (
        "the regimes forecast the spread of the next bar's return better than one Gaussian"
        if edge
        else "no demonstrated edge: the regimes forecast the next bar's return no better than "
        "one Gaussian"
    )
    return ModelQuality(
        metric="one-step log score of the next bar's log return vs one Gaussian (nats/bar)",
        value=round(value, 5),
        ci_low=round(lo, 5),
        ci_high=round(hi, 5),
        baseline=0.0,
        higher_is_better=True,
        has_edge=edge,
        evaluated_on=f"the last {n - n_train} of {n} bars{span}, forecast by a model fitted on "
        f"the {n_train} before (block bootstrap, blocks of {block})",
        summary=f"{verdict} ({value:+.3f} nats/bar, 95 % CI {lo:+.3f}..{hi:+.3f}); "
        "says nothing about direction",
    )


def unmeasured_quality(why: str) -> ModelQuality:
    return ModelQuality(
        metric="one-step log score of the next bar's log return vs one Gaussian (nats/bar)",
        value=None,
        baseline=0.0,
        higher_is_better=True,
        has_edge=False,
        evaluated_on="nothing",
        summary=f"not measured: {why}",
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
