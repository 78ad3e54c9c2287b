"""A generator of training windows for the pattern TCN: real-like noise with a pattern's shape
planted faintly in it; the *calibrated rules* then say what each window is.

How a series is made:

1. **Template.** Each pattern is a list of key points `(x, y)` with `x` in [0, 1] (time across
   the pattern) and `y` in units of the pattern's height, drawn with random proportions
   (e.g. a head-and-shoulders' shoulders at 0.60-0.72 of the head, its neckline at 0.28-0.38;
   a bull flag's pole over the first 20-35 % of its length). Oscillating patterns (triangles,
   wedges, channels, flags) alternate between an upper and a lower boundary line, 6-8
   touches (flags 5-6). The cup of a cup-and-handle is a half ellipse (a rounded U).
2. **Noise that matches real returns.** The bar returns are real log returns (standardised,
   drawn in blocks of 10 consecutive bars, so their fat tails, volatility clustering and
   near-zero autocorrelation are those of the market), or Student-t(4) returns when no real
   series is given. The path is their cumulative sum: a random walk, as real prices are.
3. **Faint shape.** The template is added as a drift whose mean absolute size per bar is
   `strength` (default 0.15-0.4) bar-sigmas, so a planted window's lag-1 return autocorrelation
   stays near that of real returns (the old generator drew a clean template plus 0.5-2.5 %
   white noise: autocorrelation +0.64 in its pattern windows, where real ones have -0.01, so
   the network learnt persistence, not shape).
4. **Bars.** Closes are the path; each open is the previous close; highs and lows extend the
   bar's body by half-normal wicks; volumes are log-normal.

A planted window is *not* labelled by what was planted: the training code scores it with the
calibrated rules (`rules.labels_from_scores`) and keeps the rules' label, so the network learns
the rules on realistic noise. `generate_series` returns the bars and the planted stretch;
`generate_window` cuts a `rules.WINDOW`-bar window whose planted pattern ends near its end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tradingstack.tcn.patterns import NONE, PATTERN_NAMES
from tradingstack.tcn.rules import WINDOW

Points = list[tuple[float, float]]
BLOCK = 10


@dataclass
class Planted:
    """A pattern planted into a series: its type and the bars it spans (inclusive)."""

    pattern: str
    start: int
    end: int


@dataclass
class SyntheticSeries:
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    planted: list[Planted] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.close)

    def to_frame(self, start: str = "2024-01-01", freq: str = "1h") -> pd.DataFrame:
        """The bars as a DataFrame indexed by UTC time, like `DataClient.ohlcv_frame`."""
        index = pd.date_range(start, periods=len(self), freq=freq, tz="UTC", name="time")
        return pd.DataFrame(
            {
                "open": self.open,
                "high": self.high,
                "low": self.low,
                "close": self.close,
                "volume": self.volume,
            },
            index=index,
        )

    def slice(self, start: int, end: int) -> SyntheticSeries:
        """Bars start..end-1 (patterns outside are dropped, inside ones re-indexed)."""
        planted = [
            Planted(p.pattern, p.start - start, p.end - start)
            for p in self.planted
            if p.start >= start and p.end < end
        ]
        return SyntheticSeries(
            self.open[start:end],
            self.high[start:end],
            self.low[start:end],
            self.close[start:end],
            self.volume[start:end],
            planted,
        )


def standardise(returns: np.ndarray) -> np.ndarray:
    """Real log returns -> mean 0, standard deviation 1 (the pool the noise is drawn from)."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    sd = float(r.std())
    if len(r) < 2 * BLOCK or sd <= 0:
        raise ValueError("need at least 20 finite, not all equal returns")
    return (r - r.mean()) / sd


def noise(n: int, rng: np.random.Generator, pool: np.ndarray | None = None) -> np.ndarray:
    """`n` unit-variance returns: blocks of `BLOCK` consecutive standardised real returns from
    `pool`, or Student-t(4) draws scaled to unit variance when there is no pool."""
    if pool is None or len(pool) < 2 * BLOCK:
        return rng.standard_t(4, size=n) / np.sqrt(2.0)
    starts = rng.integers(0, len(pool) - BLOCK + 1, size=n // BLOCK + 1)
    idx = (starts[:, None] + np.arange(BLOCK)[None, :]).ravel()[:n]
    return pool[idx]


def _u(rng: np.random.Generator, a: float, b: float) -> float:
    return float(rng.uniform(a, b))


def _jitter_x(rng: np.random.Generator, xs: list[float], amount: float = 0.025) -> list[float]:
    out = [xs[0]] + [x + _u(rng, -amount, amount) for x in xs[1:-1]] + [xs[-1]]
    return sorted(out)


def _mirror(points: Points) -> Points:
    return [(x, 1.0 - y) for x, y in points]


def _head_and_shoulders(rng: np.random.Generator) -> Points:
    shoulder = _u(rng, 0.60, 0.72)
    neck = _u(rng, 0.28, 0.38)
    xs = _jitter_x(rng, [0.0, 0.15, 0.32, 0.5, 0.68, 0.85, 1.0])
    ys = [
        _u(rng, 0.0, 0.12),
        shoulder,
        neck,
        1.0,
        neck + _u(rng, -0.04, 0.04),
        shoulder + _u(rng, -0.04, 0.04),
        _u(rng, 0.0, 0.12),
    ]
    return list(zip(xs, ys, strict=True))


def _double_top(rng: np.random.Generator) -> Points:
    xs = _jitter_x(rng, [0.0, 0.25, 0.5, 0.75, 1.0])
    ys = [
        _u(rng, 0.0, 0.12),
        1.0,
        _u(rng, 0.45, 0.6),
        1.0 + _u(rng, -0.03, 0.03),
        _u(rng, 0.0, 0.15),
    ]
    return list(zip(xs, ys, strict=True))


def _triple_top(rng: np.random.Generator) -> Points:
    xs = _jitter_x(rng, [0.0, 0.17, 0.33, 0.5, 0.67, 0.83, 1.0], 0.02)
    mid = _u(rng, 0.45, 0.6)
    ys = [
        _u(rng, 0.0, 0.12),
        1.0,
        mid,
        1.0 + _u(rng, -0.03, 0.03),
        mid + _u(rng, -0.05, 0.05),
        1.0 + _u(rng, -0.03, 0.03),
        _u(rng, 0.0, 0.15),
    ]
    return list(zip(xs, ys, strict=True))


def _oscillate(
    rng: np.random.Generator,
    upper: Callable[[float], float],
    lower: Callable[[float], float],
    touches: tuple[int, int] = (6, 9),
    x0: float = 0.0,
    start_upper: bool | None = None,
) -> Points:
    n = int(rng.integers(touches[0], touches[1]))
    xs = _jitter_x(rng, list(np.linspace(x0, 1.0, n)), 0.25 / n)
    first_upper = bool(rng.integers(0, 2)) if start_upper is None else start_upper
    points: Points = []
    for i, x in enumerate(xs):
        on_upper = (i % 2 == 0) == first_upper
        points.append((x, upper(x) if on_upper else lower(x)))
    return points


def _ascending_triangle(rng: np.random.Generator) -> Points:
    rise = _u(rng, 0.65, 0.8)
    return _oscillate(rng, lambda x: 1.0, lambda x: rise * x)


def _descending_triangle(rng: np.random.Generator) -> Points:
    fall = _u(rng, 0.65, 0.8)
    return _oscillate(rng, lambda x: 1.0 - fall * x, lambda x: 0.0)


def _symmetrical_triangle(rng: np.random.Generator) -> Points:
    s = _u(rng, 0.35, 0.42)
    t = s + _u(rng, -0.05, 0.05)
    return _oscillate(rng, lambda x: 1.0 - s * x, lambda x: t * x)


def _rising_wedge(rng: np.random.Generator) -> Points:
    up = _u(rng, 0.5, 0.8)
    lo = up + _u(rng, 0.5, 0.65)
    return _oscillate(rng, lambda x: 1.0 + up * x, lambda x: lo * x)


def _falling_wedge(rng: np.random.Generator) -> Points:
    return _mirror(_rising_wedge(rng))


def _channel_up(rng: np.random.Generator) -> Points:
    s = _u(rng, 1.0, 2.0)
    return _oscillate(rng, lambda x: 1.0 + s * x, lambda x: s * x)


def _channel_down(rng: np.random.Generator) -> Points:
    return _mirror(_channel_up(rng))


def _bull_flag(rng: np.random.Generator) -> Points:
    pole = _u(rng, 0.2, 0.35)
    drift = _u(rng, 0.05, 0.18)
    width = _u(rng, 0.16, 0.25)

    def upper(x: float) -> float:
        return 1.0 - drift * (x - pole) / (1.0 - pole)

    flag = _oscillate(
        rng, upper, lambda x: upper(x) - width, touches=(5, 7), x0=pole, start_upper=True
    )
    return [(0.0, 0.0), *flag]


def _bear_flag(rng: np.random.Generator) -> Points:
    return _mirror(_bull_flag(rng))


def _cup_and_handle(rng: np.random.Generator) -> Points:
    lead = _u(rng, 0.08, 0.12)
    cup_end = _u(rng, 0.72, 0.8)
    handle = _u(rng, 0.15, 0.32)
    points: Points = [(0.0, _u(rng, 0.35, 0.6))]
    for u in np.linspace(-1.0, 1.0, 41):
        x = lead + (cup_end - lead) * (u + 1.0) / 2.0
        points.append((float(x), 1.0 - float(np.sqrt(max(0.0, 1.0 - u * u)))))
    rim = 1.0 + _u(rng, -0.04, 0.04)
    points[-1] = (points[-1][0], rim)
    mid = cup_end + (1.0 - cup_end) * _u(rng, 0.4, 0.6)
    points += [(mid, rim - handle), (1.0, rim - handle * _u(rng, 0.0, 0.3))]
    return points


def _inverse(
    fn: Callable[[np.random.Generator], Points],
) -> Callable[[np.random.Generator], Points]:
    return lambda rng: _mirror(fn(rng))


TEMPLATES: dict[str, Callable[[np.random.Generator], Points]] = {
    "head_and_shoulders": _head_and_shoulders,
    "inverse_head_and_shoulders": _inverse(_head_and_shoulders),
    "double_top": _double_top,
    "double_bottom": _inverse(_double_top),
    "triple_top": _triple_top,
    "triple_bottom": _inverse(_triple_top),
    "ascending_triangle": _ascending_triangle,
    "descending_triangle": _descending_triangle,
    "symmetrical_triangle": _symmetrical_triangle,
    "bull_flag": _bull_flag,
    "bear_flag": _bear_flag,
    "cup_and_handle": _cup_and_handle,
    "rising_wedge": _rising_wedge,
    "falling_wedge": _falling_wedge,
    "channel_up": _channel_up,
    "channel_down": _channel_down,
}
assert set(TEMPLATES) == set(PATTERN_NAMES)


def render(points: Points, n: int) -> np.ndarray:
    """The template's path over `n` bars (piecewise linear between key points), 0..1 scale."""
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    lo, hi = float(ys.min()), float(ys.max())
    path = np.interp(np.linspace(0.0, 1.0, n), xs, ys)
    return (path - lo) / (hi - lo if hi > lo else 1.0)


def _bars(log_close: np.ndarray, sigma: float, rng: np.random.Generator) -> SyntheticSeries:
    close = np.exp(log_close)
    open_ = np.concatenate([[close[0] * np.exp(rng.normal(0, sigma / 2))], close[:-1]])
    wick_hi = np.exp(np.abs(rng.normal(0, sigma / 2, len(close))))
    wick_lo = np.exp(-np.abs(rng.normal(0, sigma / 2, len(close))))
    high = np.maximum(open_, close) * wick_hi
    low = np.minimum(open_, close) * wick_lo
    volume = rng.lognormal(mean=10.0, sigma=0.4, size=len(close))
    return SyntheticSeries(open_, high, low, close, volume)


def plant(path01: np.ndarray, sigma: float, strength: float) -> np.ndarray:
    """The template path (0..1) as a drift whose mean absolute step is `strength` x sigma."""
    step = float(np.mean(np.abs(np.diff(path01)))) if len(path01) > 1 else 0.0
    if step <= 0:
        return np.zeros_like(path01)
    return path01 * (strength * sigma / step)


def generate_series(
    pattern: str | None,
    rng: np.random.Generator,
    *,
    pool: np.ndarray | None = None,
    length_range: tuple[int, int] = (32, 64),
    before_range: tuple[int, int] = (20, 100),
    after_range: tuple[int, int] = (0, 6),
    strength_range: tuple[float, float] = (0.15, 0.4),
) -> SyntheticSeries:
    """Real-like noise (see `noise`) with `pattern` planted faintly (none when None)."""
    if pattern is not None and pattern not in TEMPLATES:
        raise ValueError(f"unknown pattern {pattern!r}; one of {', '.join(PATTERN_NAMES)}")
    sigma = _u(rng, 0.003, 0.02)
    n_before = int(rng.integers(*before_range))
    n_after = int(rng.integers(after_range[0], after_range[1] + 1))
    n = int(rng.integers(length_range[0], length_range[1] + 1))
    steps = sigma * noise(n_before + n + n_after, rng, pool)
    drift = np.zeros(n_before + n + n_after + 1)
    if pattern is not None:
        shape = plant(render(TEMPLATES[pattern](rng), n), sigma, _u(rng, *strength_range))
        drift[n_before + 1 : n_before + n + 1] = shape - shape[0]
        drift[n_before + n + 1 :] = drift[n_before + n]
    log_close = np.log(100.0) + np.concatenate([[0.0], np.cumsum(steps)]) + drift
    series = _bars(log_close[1:], sigma, rng)
    if pattern is not None:
        series.planted = [Planted(pattern, n_before, n_before + n - 1)]
    return series


@dataclass
class Window:
    """A window of bars (open, high, low, close, volume rows) and what was planted in it."""

    bars: np.ndarray
    label: str


def generate_window(
    pattern: str | None,
    rng: np.random.Generator,
    *,
    pool: np.ndarray | None = None,
    size: int = WINDOW,
    strength_range: tuple[float, float] = (0.15, 0.4),
) -> Window:
    """A `size`-bar window whose planted pattern (50-100 % of it) ends in its last few bars,
    where the rules look for a completed pattern; pure noise for None."""
    lo = max(8, size // 2)
    series = generate_series(
        pattern,
        rng,
        pool=pool,
        length_range=(lo, size),
        before_range=(size, size + 1),
        after_range=(0, max(1, size // 16)),
        strength_range=strength_range,
    )
    end = len(series)
    return Window(_stack(series.slice(end - size, end)), pattern or NONE)


def _stack(s: SyntheticSeries) -> np.ndarray:
    return np.stack([s.open, s.high, s.low, s.close, s.volume], axis=1)


def lag1_autocorrelation(close: np.ndarray) -> float:
    """Lag-1 autocorrelation of a window's log returns (0 when they do not vary)."""
    r = np.diff(np.log(np.asarray(close, dtype=np.float64)))
    if len(r) < 3:
        return 0.0
    a, b = r[:-1] - r[:-1].mean(), r[1:] - r[1:].mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else 0.0
