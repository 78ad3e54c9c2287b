"""Time-series embeddings of OHLCV windows: a fixed, documented statistical embedding.

No learned weights (so nothing random): the embedding of a window of n bars is the
concatenation of three blocks, then L2-normalised so that cosine similarity compares windows.

1. shape (16 values): the cumulative log-return path of the closes, z-normalised (zero mean,
   unit variance; a flat path stays zero), reduced to 16 values by Piecewise Aggregate
   Approximation (PAA: the mean of 16 equal segments); the block is scaled to unit norm and
   weighted by `SHAPE_WEIGHT`.
2. frequency (8 values): DCT-II (orthonormal) coefficients 1..8 of the same z-normalised path
   (coefficient 0, the mean, is zero by construction), scaled to unit norm, weighted by
   `DCT_WEIGHT`: the coarse oscillation content of the move.
3. statistics (8 values), each squashed with tanh into (-1, 1) and weighted by `STATS_WEIGHT`:
   - volatility: log10 of the per-bar log-return standard deviation, centred at 1% (-2)
   - trend strength: total log return / (per-bar volatility * sqrt(n)) (a t-like statistic)
   - linearity: the correlation of the path with time (+1 straight up, -1 straight down)
   - skewness of the log returns (/ 2)
   - excess kurtosis of the log returns (/ 5)
   - up-bar fraction minus 0.5 (x 4)
   - where the last close sits in the window's high-low range (-1 bottom, +1 top)
   - volume trend: the correlation of volume with time (0 when volume is constant)

Windows are scale-free (returns, not prices), so a BTC window can be compared with a stock's.
"""

from __future__ import annotations

import numpy as np

METHOD = "ts-stat-v1"
PAA_SEGMENTS = 16
DCT_COEFFS = 8
N_STATS = 8
DIMENSION = PAA_SEGMENTS + DCT_COEFFS + N_STATS
MIN_WINDOW = PAA_SEGMENTS + 1
SHAPE_WEIGHT, DCT_WEIGHT, STATS_WEIGHT = 0.6, 0.4, 0.25
_EPS = 1e-12


def _paa(x: np.ndarray, segments: int) -> np.ndarray:
    """Piecewise aggregate approximation along the last axis (segments of near-equal size)."""
    n = x.shape[-1]
    edges = np.linspace(0, n, segments + 1)
    # the mean of each segment via fractional-weight matrix (exact when n % segments == 0)
    idx = np.arange(n) + 0.5
    weights = ((idx[None, :] >= edges[:-1, None]) & (idx[None, :] < edges[1:, None])).astype(float)
    weights /= weights.sum(axis=1, keepdims=True)
    return x @ weights.T


def _dct_matrix(n: int, coeffs: int) -> np.ndarray:
    """Rows k = 1..coeffs of the orthonormal DCT-II matrix for length n."""
    k = np.arange(1, coeffs + 1)[:, None]
    i = np.arange(n)[None, :]
    return np.sqrt(2.0 / n) * np.cos(np.pi * (2 * i + 1) * k / (2 * n))


def _corr_with_time(x: np.ndarray) -> np.ndarray:
    t = np.arange(x.shape[-1], dtype=float)
    t = (t - t.mean()) / (t.std() + _EPS)
    xc = x - x.mean(axis=-1, keepdims=True)
    sd = x.std(axis=-1)
    out = (xc * t).mean(axis=-1) / np.where(sd > _EPS, sd, 1.0)
    return np.where(sd > _EPS, out, 0.0)


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.where(norm > _EPS, x / np.where(norm > _EPS, norm, 1.0), 0.0)


def embed_windows(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray
) -> np.ndarray:
    """Embeddings (m x DIMENSION, float32) of m windows given as (m x n) arrays, n >= MIN_WINDOW."""
    close = np.asarray(close, dtype=float)
    if close.ndim != 2 or close.shape[1] < MIN_WINDOW:
        raise ValueError(f"windows must be (m, n) with n >= {MIN_WINDOW} bars")
    if not np.all(np.isfinite(close)) or np.any(close <= 0):
        raise ValueError("closes must be finite and positive")
    high, low, volume = (np.asarray(a, dtype=float) for a in (high, low, volume))
    n = close.shape[1]
    r = np.diff(np.log(close), axis=1)  # (m, n-1)
    path = np.concatenate([np.zeros((close.shape[0], 1)), np.cumsum(r, axis=1)], axis=1)
    sd = path.std(axis=1, keepdims=True)
    z = np.where(
        sd > _EPS, (path - path.mean(axis=1, keepdims=True)) / np.where(sd > _EPS, sd, 1), 0
    )

    shape = _unit(_paa(z, PAA_SEGMENTS))
    freq = _unit(z @ _dct_matrix(n, DCT_COEFFS).T)

    vol = r.std(axis=1)
    total = path[:, -1]
    rc = r - r.mean(axis=1, keepdims=True)
    m2 = (rc**2).mean(axis=1)
    safe_m2 = np.where(m2 > _EPS**2, m2, 1.0)
    skew = np.where(m2 > _EPS**2, (rc**3).mean(axis=1) / safe_m2**1.5, 0.0)
    kurt = np.where(m2 > _EPS**2, (rc**4).mean(axis=1) / safe_m2**2 - 3.0, 0.0)
    hi, lo = high.max(axis=1), low.min(axis=1)
    span = hi - lo
    pos = np.where(span > _EPS, (close[:, -1] - lo) / np.where(span > _EPS, span, 1.0), 0.5)
    stats = np.stack(
        [
            np.tanh(np.log10(vol + 1e-6) + 2.0),
            np.tanh(total / (vol * np.sqrt(n - 1) + 1e-9)),
            _corr_with_time(path),
            np.tanh(skew / 2.0),
            np.tanh(kurt / 5.0),
            np.tanh(((r > 0).mean(axis=1) - 0.5) * 4.0),
            pos * 2.0 - 1.0,
            _corr_with_time(volume),
        ],
        axis=1,
    )
    emb = np.concatenate(
        [shape * SHAPE_WEIGHT, freq * DCT_WEIGHT, stats * STATS_WEIGHT / np.sqrt(N_STATS)], axis=1
    )
    return _unit(emb).astype(np.float32)


def sliding(values: np.ndarray, window: int, stride: int = 1) -> np.ndarray:
    """All windows (k x window) of a 1-d array, every `stride` bars, ending at the last bar."""
    view = np.lib.stride_tricks.sliding_window_view(np.asarray(values, dtype=float), window)
    start = (view.shape[0] - 1) % stride
    return view[start::stride]
