"""Rule-based detectors of the 16 patterns on zigzag pivots in volatility units.

**Volatility units.** A window's closes become `z = log(close) / sigma`, where `sigma` is the
window's robust per-bar volatility (mean absolute log return x sqrt(pi/2)), so every distance
is in units of one bar's typical move (not of the window's own high-low range, which grows with
whatever trend the window happens to hold).

**Zigzag.** A pivot is confirmed when `z` reverses from the running extreme by at least
`ZIGZAG_SIGMAS` (3) bar-sigmas; the last running extreme is kept as a final, unconfirmed pivot.
On a random walk a 3-sigma reversal takes about 9 bars, so a 64-bar window holds about seven.

**One trial per rule and window.** Each rule is tried once per window: on the run of pivots
that ends at the window's last pivot (the pattern completes at the window's end), with one run
length per rule, one window size (`WINDOW`, 64 bars) and the pattern spanning at least
`MIN_COVER` (40 %) of the window. The old labeller tried every rule on every pivot run over five
window sizes, which is how 85 % of random-walk windows matched something.

**Rules** (tolerances are fractions of the pattern's own height `hh`, or for line patterns of
its width at the first pivot `w0`):

- head_and_shoulders: L0 H1 L2 H3 L4 H5 L6. Head H3 above both shoulders by >= 20 % of hh
  (hh = head minus neckline); shoulders within 25 % hh of each other and >= 15 % hh above the
  neckline; neckline troughs L2, L4 within 25 % hh; the run starts below the neckline (L0) and
  breaks below it (L6); each shoulder 0.4-2.5 times as far from the head as the other.
- double_top: L0 H1 L2 H3 L4. Peaks within 15 % hh (hh = higher peak minus L2), L2 at least
  25 % hh below them, L0 and L4 at least 20 % hh below L2 (rise into it, break out of it).
- triple_top: L0 H1 L2 H3 L4 H5 L6. Three peaks within 20 % hh; troughs L2, L4 within 25 % hh
  and >= 25 % hh below the peaks; L0 and L6 >= 15 % hh below the lower trough.
- line patterns (the last 6 pivots): least-squares lines through the peaks (upper) and the
  troughs (lower); every pivot within 12 % of w0 of its line. Slopes `su`, `sl` are each
  line's change over the run in units of w0; `r` = width at the last pivot / w0.
  converging = 0 < r < 0.7; parallel = 0.7 <= r <= 1.4.
  ascending_triangle: converging, |su| < 0.15, sl > 0.35. descending_triangle: converging,
  |sl| < 0.15, su < -0.35. symmetrical_triangle: converging, su < -0.15, sl > 0.15.
  rising_wedge: converging, su > 0.15, sl > 0.15. falling_wedge: converging, both < -0.15.
  channel_up: parallel, both > 0.4. channel_down: parallel, both < -0.4.
- bull_flag: L0 H1 then 4 flag pivots. The pole H1-L0 is the run's biggest move; the flag
  stays within the pole's upper half (and <= 5 % above H1), its range < 45 % of the pole, it
  lasts >= 1.2 times the pole, and its last peak is not above H1.
- cup_and_handle: H0 L1 H2 L3. Rims H0, H2 within 12 % of the depth D = min rim minus L1;
  rounded: the mean close of the cup sits in its lower 42 % (a V sits near 50 %); the handle
  H2-L3 is 5-50 % of D and lasts < 50 % of the cup.
- The bottom/bear variants (inverse head and shoulders, double/triple bottom, bear flag) are the
  same rules on the price mirrored (peaks and troughs swapped).

Every match has a score: its tightest margin in units of that margin's tolerance (0 at the
limit). The base rules are only candidates: `calibration` sets, per pattern, the minimum score
at which a window counts as a hit so that surrogates of the real series (shuffled returns,
block bootstrap, GARCH) hit at most 1 % of their windows, and `label_windows` labels each window
with the calibrated hit of largest margin, "none" when no pattern clears its threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from tradingstack.tcn.patterns import NONE, PATTERN_NAMES

WINDOW = 64
"""Bars per window: the one window size rules, calibration and the TCN use."""
STRIDE = 8
"""Bars between consecutive windows when labelling and detecting."""
ZIGZAG_SIGMAS = 3.0
"""The zigzag's reversal threshold in bar-volatility units."""
MIN_COVER = 0.4
"""A pattern's pivot run spans at least this fraction of the window."""


@dataclass(frozen=True)
class Pivot:
    index: int
    price: float
    kind: str  # "H" or "L"


def robust_sigma(log_close: np.ndarray) -> float:
    """A window's per-bar volatility: mean absolute log return x sqrt(pi/2) (the standard
    deviation for normal returns, less moved by one jump)."""
    r = np.diff(log_close)
    if len(r) == 0:
        return 0.0
    return float(np.mean(np.abs(r)) * np.sqrt(np.pi / 2))


def vol_units(close: np.ndarray) -> np.ndarray | None:
    """log(close) in units of the window's bar volatility, 0 at the last bar; None when flat."""
    x = np.log(np.maximum(np.asarray(close, dtype=np.float64), 1e-12))
    sigma = robust_sigma(x)
    if not np.isfinite(sigma) or sigma <= 0:
        return None
    return (x - x[-1]) / sigma


def zigzag(high: np.ndarray, low: np.ndarray, threshold: float) -> list[Pivot]:
    """Alternating peaks and troughs that reversed by at least `threshold` (price units; the
    rules pass the closes in volatility units as both `high` and `low`)."""
    n = len(high)
    if n == 0:
        return []
    pivots: list[Pivot] = []
    hi_i, lo_i = 0, 0
    direction = 0  # 1 up (tracking a peak), -1 down (tracking a trough)
    for i in range(1, n):
        if direction == 0:
            if high[i] > high[hi_i]:
                hi_i = i
            if low[i] < low[lo_i]:
                lo_i = i
            if high[hi_i] - low[lo_i] >= threshold:
                if lo_i < hi_i:
                    pivots.append(Pivot(lo_i, float(low[lo_i]), "L"))
                    direction = 1
                else:
                    pivots.append(Pivot(hi_i, float(high[hi_i]), "H"))
                    direction = -1
        elif direction == 1:
            if high[i] >= high[hi_i]:
                hi_i = i
            elif high[hi_i] - low[i] >= threshold:
                pivots.append(Pivot(hi_i, float(high[hi_i]), "H"))
                direction, lo_i = -1, i
        else:
            if low[i] <= low[lo_i]:
                lo_i = i
            elif high[i] - low[lo_i] >= threshold:
                pivots.append(Pivot(lo_i, float(low[lo_i]), "L"))
                direction, hi_i = 1, i
    if direction == 1:
        pivots.append(Pivot(hi_i, float(high[hi_i]), "H"))
    elif direction == -1:
        pivots.append(Pivot(lo_i, float(low[lo_i]), "L"))
    return pivots


def skeleton(z: np.ndarray, threshold: float = ZIGZAG_SIGMAS) -> np.ndarray:
    """The zigzag's pivots joined by straight lines over every bar of the window (the smoothed
    extrema path the rules read), the same length as `z`."""
    pivots = zigzag(z, z, threshold)
    idx = [p.index for p in pivots]
    if not idx or idx[0] != 0:
        idx = [0, *idx]
    if idx[-1] != len(z) - 1:
        idx = [*idx, len(z) - 1]
    return np.interp(np.arange(len(z)), idx, z[idx])


def _score(*margins: float) -> float:
    """The tightest margin, each in units of its own tolerance (0: at the limit; 1: a whole
    tolerance to spare; unclipped, so calibration can demand more than the base rule)."""
    return float(min(margins))


# Each rule sees prices `v` and bar indices `t` of a pivot run (top orientation: it starts with
# the kind given in RULES) and the closes, and answers a score or None.
Rule = Callable[[np.ndarray, np.ndarray, np.ndarray], float | None]


def _head_and_shoulders(v: np.ndarray, t: np.ndarray, close: np.ndarray) -> float | None:
    l0, h1, l2, h3, l4, h5, l6 = v
    neck_lo, neck_hi = min(l2, l4), max(l2, l4)
    hh = h3 - neck_lo
    if hh <= 0:
        return None
    head_margin = (h3 - max(h1, h5)) / hh - 0.2
    shoulders = 0.25 - abs(h1 - h5) / hh
    above_neck = (min(h1, h5) - neck_hi) / hh - 0.15
    neck = 0.25 - abs(l2 - l4) / hh
    lead, brk = neck_lo - l0, neck_lo - l6
    left, right = t[3] - t[1], t[5] - t[3]
    if min(head_margin, shoulders, above_neck, neck) <= 0 or lead <= 0 or brk <= 0:
        return None
    if not 0.4 <= left / max(right, 1) <= 2.5:
        return None
    return _score(head_margin / 0.2, shoulders / 0.25, above_neck / 0.15, neck / 0.25)


def _double_top(v: np.ndarray, t: np.ndarray, close: np.ndarray) -> float | None:
    l0, h1, l2, h3, l4 = v
    hh = max(h1, h3) - l2
    if hh <= 0:
        return None
    peaks = 0.15 - abs(h1 - h3) / hh
    depth = (min(h1, h3) - l2) / hh - 0.25
    lead = (l2 - l0) / hh - 0.2
    brk = (l2 - l4) / hh - 0.2
    if min(peaks, depth, lead, brk) <= 0:
        return None
    return _score(peaks / 0.15, depth / 0.25, lead / 0.2, brk / 0.2)


def _triple_top(v: np.ndarray, t: np.ndarray, close: np.ndarray) -> float | None:
    l0, h1, l2, h3, l4, h5, l6 = v
    peaks = (h1, h3, h5)
    trough = min(l2, l4)
    hh = max(peaks) - trough
    if hh <= 0:
        return None
    level = 0.2 - (max(peaks) - min(peaks)) / hh
    troughs = 0.25 - abs(l2 - l4) / hh
    depth = (min(peaks) - max(l2, l4)) / hh - 0.25
    lead = (trough - l0) / hh - 0.15
    brk = (trough - l6) / hh - 0.15
    if min(level, troughs, depth, lead, brk) <= 0:
        return None
    return _score(level / 0.2, troughs / 0.25, depth / 0.25, lead / 0.15, brk / 0.15)


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept (closed form; np.polyfit is slow for 2-4 points)."""
    xm, ym = float(x.mean()), float(y.mean())
    dx = x - xm
    slope = float((dx * (y - ym)).sum() / (dx * dx).sum())
    return slope, ym - slope * xm


def _lines(
    v: np.ndarray, t: np.ndarray, kinds: np.ndarray
) -> tuple[float, float, float, float] | None:
    """(su, sl, r, fit) of the lines through the peaks and the troughs (fit: the margin of the
    worst pivot's distance from its line, in units of the 12 % tolerance), None when they do
    not fit."""
    hi, lo = kinds == "H", kinds == "L"
    if hi.sum() < 2 or lo.sum() < 2:
        return None
    tu, vu, tl, vl = t[hi], v[hi], t[lo], v[lo]
    au, bu = _fit(tu, vu)
    al, bl = _fit(tl, vl)
    t0, t1 = float(t[0]), float(t[-1])
    w0 = (au * t0 + bu) - (al * t0 + bl)
    if w0 <= 0:
        return None
    resid = max(
        float(np.max(np.abs(vu - (au * tu + bu)))), float(np.max(np.abs(vl - (al * tl + bl))))
    )
    if resid > 0.12 * w0:
        return None
    w1 = (au * t1 + bu) - (al * t1 + bl)
    span = t1 - t0
    fit = (0.12 - resid / w0) / 0.12
    return float(au * span / w0), float(al * span / w0), float(w1 / w0), float(fit)


def classify_lines(su: float, sl: float, r: float) -> tuple[str, float] | None:
    """Which line pattern (if any) two boundary lines make, with its score."""
    conv = min(r, 0.7 - r) / 0.35
    par = min(r - 0.7, 1.4 - r) / 0.35
    candidates = {
        "ascending_triangle": (conv, (0.15 - abs(su)) / 0.15, (sl - 0.35) / 0.35),
        "descending_triangle": (conv, (0.15 - abs(sl)) / 0.15, (-su - 0.35) / 0.35),
        "symmetrical_triangle": (conv, (-su - 0.15) / 0.15, (sl - 0.15) / 0.15),
        "rising_wedge": (conv, (su - 0.15) / 0.15, (sl - 0.15) / 0.15),
        "falling_wedge": (conv, (-su - 0.15) / 0.15, (-sl - 0.15) / 0.15),
        "channel_up": (par, (su - 0.4) / 0.4, (sl - 0.4) / 0.4),
        "channel_down": (par, (-su - 0.4) / 0.4, (-sl - 0.4) / 0.4),
    }
    best: tuple[str, float] | None = None
    for name, margins in candidates.items():
        if min(margins) > 0:
            score = _score(*margins)
            if best is None or score > best[1]:
                best = (name, score)
    return best


def _bull_flag(v: np.ndarray, t: np.ndarray, close: np.ndarray) -> float | None:
    l0, h1 = v[0], v[1]
    pole = h1 - l0
    flag = v[2:]
    if pole <= 0 or len(flag) < 3:
        return None
    if np.max(np.abs(np.diff(v[1:]))) >= pole:
        return None
    floor = (flag.min() - (h1 - 0.5 * pole)) / pole
    ceiling = (h1 + 0.05 * pole - flag.max()) / pole
    rng = 0.45 - np.ptp(flag) / pole
    duration = (t[-1] - t[1]) / max(t[1] - t[0], 1) - 1.2
    peaks = v[3::2]  # flag peaks (H3, H5, ...)
    falling = (h1 - peaks[-1]) / pole if len(peaks) else 0.0
    if min(floor, ceiling, rng, duration) <= 0 or falling < 0:
        return None
    return _score(floor / 0.5, ceiling / 0.05, rng / 0.45, duration / 1.2)


def _cup_and_handle(v: np.ndarray, t: np.ndarray, close: np.ndarray) -> float | None:
    h0, l1, h2, l3 = v
    depth = min(h0, h2) - l1
    if depth <= 0:
        return None
    rims = 0.12 - abs(h0 - h2) / depth
    cup = close[int(t[0]) : int(t[2]) + 1]
    if len(cup) < 5:
        return None
    rounded = 0.42 - (float(np.mean(cup)) - l1) / depth
    handle = (h2 - l3) / depth
    handle_depth = min(handle - 0.05, 0.5 - handle)
    handle_time = 0.5 - (t[3] - t[2]) / max(t[2] - t[0], 1)
    if min(rims, rounded, handle_depth, handle_time) <= 0:
        return None
    return _score(rims / 0.12, rounded / 0.2, handle_depth / 0.2, handle_time / 0.5)


@dataclass(frozen=True)
class RuleSpec:
    pattern: str
    length: int  # pivots in the run (the last `length` pivots of the window)
    first: str  # kind of the run's first pivot ("L"/"H") in the rule's orientation
    mirrored: bool
    rule: Rule


LINE_LENGTH = 6
RULES: tuple[RuleSpec, ...] = (
    RuleSpec("head_and_shoulders", 7, "L", False, _head_and_shoulders),
    RuleSpec("inverse_head_and_shoulders", 7, "L", True, _head_and_shoulders),
    RuleSpec("double_top", 5, "L", False, _double_top),
    RuleSpec("double_bottom", 5, "L", True, _double_top),
    RuleSpec("triple_top", 7, "L", False, _triple_top),
    RuleSpec("triple_bottom", 7, "L", True, _triple_top),
    RuleSpec("bull_flag", 6, "L", False, _bull_flag),
    RuleSpec("bear_flag", 6, "L", True, _bull_flag),
    RuleSpec("cup_and_handle", 4, "H", False, _cup_and_handle),
)
PATTERN_COLUMN: dict[str, int] = {p: i for i, p in enumerate(PATTERN_NAMES)}


def pivot_scores(pivots: list[Pivot], z: np.ndarray, min_span: float) -> dict[str, float]:
    """Each rule once, on the run of pivots that ends at the last pivot: pattern -> score."""
    out: dict[str, float] = {}
    if len(pivots) < 4:
        return out
    t_all = np.array([p.index for p in pivots], dtype=np.float64)
    v_all = np.array([p.price for p in pivots])
    kinds = np.array([p.kind for p in pivots])
    for spec in RULES:
        m = spec.length
        if len(pivots) < m:
            continue
        first = kinds[-m]
        if spec.mirrored:
            first = "L" if first == "H" else "H"
        if first != spec.first:
            continue
        t = t_all[-m:]
        if t[-1] - t[0] + 1 < min_span:
            continue
        sign = -1.0 if spec.mirrored else 1.0
        score = spec.rule(sign * v_all[-m:], t, sign * z)
        if score is not None and score > 0:
            out[spec.pattern] = score
    if len(pivots) >= LINE_LENGTH:
        t = t_all[-LINE_LENGTH:]
        if t[-1] - t[0] + 1 >= min_span:
            fit = _lines(v_all[-LINE_LENGTH:], t, kinds[-LINE_LENGTH:])
            if fit is not None and fit[3] > 0:
                found = classify_lines(fit[0], fit[1], fit[2])
                if found is not None:
                    out[found[0]] = min(found[1], fit[3])
    return out


def window_scores(
    close: np.ndarray, *, zigzag_sigmas: float = ZIGZAG_SIGMAS, min_cover: float = MIN_COVER
) -> dict[str, float]:
    """The base rules' scores of one window of closes (patterns that did not match absent)."""
    z = vol_units(close)
    if z is None:
        return {}
    return pivot_scores(zigzag(z, z, zigzag_sigmas), z, min_cover * len(close))


def window_starts(n: int, size: int = WINDOW, stride: int = STRIDE) -> list[int]:
    """Starts of the windows of `size` bars over `n` bars, every `stride`, the last flush."""
    if n < size:
        return []
    starts = list(range(0, n - size + 1, stride))
    if starts[-1] != n - size:
        starts.append(n - size)
    return starts


def score_matrix(
    close: np.ndarray, starts: list[int], size: int = WINDOW, **kw: float
) -> np.ndarray:
    """(windows, 16) base-rule scores of the windows starting at `starts` (-inf: no match)."""
    out = np.full((len(starts), len(PATTERN_NAMES)), -np.inf)
    for i, s in enumerate(starts):
        for pattern, score in window_scores(close[s : s + size], **kw).items():
            out[i, PATTERN_COLUMN[pattern]] = score
    return out


def labels_from_scores(scores: np.ndarray, thresholds: Mapping[str, float]) -> list[str]:
    """Each window's label: the pattern that clears its calibrated threshold by the most,
    "none" when none does (a pattern without a threshold never labels)."""
    th = np.array([thresholds.get(p, np.inf) for p in PATTERN_NAMES])
    margin = scores - th[None, :]
    hit = scores > th[None, :]
    margin = np.where(hit, margin, -np.inf)
    best = margin.argmax(axis=1) if len(scores) else np.zeros(0, dtype=int)
    return [
        PATTERN_NAMES[int(k)] if np.isfinite(margin[i, k]) else NONE for i, k in enumerate(best)
    ]


@dataclass(frozen=True)
class LabelledWindow:
    start: int
    end: int  # exclusive
    label: str


def label_windows(
    close: np.ndarray,
    thresholds: Mapping[str, float],
    *,
    size: int = WINDOW,
    stride: int = STRIDE,
) -> list[LabelledWindow]:
    """Label the sliding windows of a series with the calibrated rules."""
    starts = window_starts(len(close), size, stride)
    labels = labels_from_scores(score_matrix(close, starts, size), thresholds)
    return [LabelledWindow(s, s + size, lab) for s, lab in zip(starts, labels, strict=True)]


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Intersection over union of two inclusive bar ranges."""
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
    if inter <= 0:
        return 0.0
    union = max(a[1], b[1]) - min(a[0], b[0]) + 1
    return inter / union
