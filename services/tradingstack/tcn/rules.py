"""Rule-based detectors of the 16 patterns on zigzag pivots; they label real bars for training.

**Zigzag.** A pivot is confirmed when price reverses from the running extreme by at least
`threshold` (peaks on highs, troughs on lows); the last running extreme is kept as a final,
unconfirmed pivot. Pivots alternate peak (H) and trough (L). A window's threshold is
`zigzag_frac` (default 0.1) of its high-low range, so the rules see swings relative to the
window's own scale.

**Rules.** Each rule looks at a run of consecutive pivots; tolerances are fractions of the
pattern's own height (`hh`) or, for line patterns, of its width at the first pivot (`w0`):

- head_and_shoulders: L0 H1 L2 H3 L4 H5 L6. Head H3 above both shoulders by >= 20 % of hh
  (hh = head minus neckline); shoulders within 25 % hh of each other and >= 15 % hh above the
  neckline; neckline troughs L2, L4 within 25 % hh; the run starts below the neckline (L0) and
  breaks below it (L6); each shoulder 0.4-2.5 times as far from the head as the other.
- double_top: L0 H1 L2 H3 L4. Peaks within 15 % hh (hh = higher peak minus L2), L2 at least
  25 % hh below them, L0 and L4 at least 20 % hh below L2 (rise into it, break out of it).
- triple_top: L0 H1 L2 H3 L4 H5 L6. Three peaks within 20 % hh; troughs L2, L4 within 25 % hh
  and >= 25 % hh below the peaks; L0 and L6 >= 15 % hh below the lower trough.
- line patterns (6-8 pivots): least-squares lines through the peaks (upper) and the troughs
  (lower); every pivot within 12 % of w0 of its line. Slopes `su`, `sl` are each line's change
  over the run in units of w0; `r` = width at the last pivot / w0.
  converging = 0 < r < 0.7; parallel = 0.7 <= r <= 1.4.
  ascending_triangle: converging, |su| < 0.15, sl > 0.35. descending_triangle: converging,
  |sl| < 0.15, su < -0.35. symmetrical_triangle: converging, su < -0.15, sl > 0.15.
  rising_wedge: converging, su > 0.15, sl > 0.15. falling_wedge: converging, both < -0.15.
  channel_up: parallel, both > 0.4. channel_down: parallel, both < -0.4.
- bull_flag: L0 H1 then 3-5 flag pivots. The pole H1-L0 is the run's biggest move; the flag
  stays within the pole's upper half (and <= 5 % above H1), its range < 45 % of the pole, it
  lasts >= 1.2 times the pole, and its last peak is not above H1.
- cup_and_handle: H0 L1 H2 L3. Rims H0, H2 within 12 % of the depth D = min rim minus L1;
  rounded: the mean close of the cup sits in its lower 42 % (a V sits near 50 %); the handle
  H2-L3 is 5-50 % of D and lasts < 50 % of the cup.
- The bottom/bear variants (inverse head and shoulders, double/triple bottom, bear flag) are the
  same rules on the price mirrored (peaks and troughs swapped).

Every match has a score in (0, 1]: how comfortably it meets its tightest tolerance.
`label_windows` labels a window with the best match covering >= 60 % of it, "none" when no rule
matches anywhere in it, and leaves it out when a match covers only part of it (ambiguous).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from tradingstack.tcn.patterns import NONE


@dataclass(frozen=True)
class Pivot:
    index: int
    price: float
    kind: str  # "H" or "L"


@dataclass(frozen=True)
class RuleMatch:
    pattern: str
    start: int
    end: int  # inclusive bar indices
    score: float


def zigzag(high: np.ndarray, low: np.ndarray, threshold: float) -> list[Pivot]:
    """Alternating peaks and troughs that reversed by at least `threshold` (price units)."""
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


def _score(*margins: float) -> float:
    """1 when every margin is large, towards 0 as the tightest one approaches its limit."""
    return float(np.clip(min(margins), 0.01, 1.0))


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


def _lines(v: np.ndarray, t: np.ndarray, kinds: np.ndarray) -> tuple[float, float, float] | None:
    """(su, sl, r) of the lines through the peaks and the troughs, None when they do not fit."""
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
    return float(au * span / w0), float(al * span / w0), float(w1 / w0)


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
    lengths: tuple[int, ...]
    first: str | None  # kind of the first pivot ("L"/"H"), None for any
    mirrored: bool
    rule: Rule


LINE_LENGTHS = (6, 7, 8)
RULES: tuple[RuleSpec, ...] = (
    RuleSpec("head_and_shoulders", (7,), "L", False, _head_and_shoulders),
    RuleSpec("inverse_head_and_shoulders", (7,), "L", True, _head_and_shoulders),
    RuleSpec("double_top", (5,), "L", False, _double_top),
    RuleSpec("double_bottom", (5,), "L", True, _double_top),
    RuleSpec("triple_top", (7,), "L", False, _triple_top),
    RuleSpec("triple_bottom", (7,), "L", True, _triple_top),
    RuleSpec("bull_flag", (5, 6, 7), "L", False, _bull_flag),
    RuleSpec("bear_flag", (5, 6, 7), "L", True, _bull_flag),
    RuleSpec("cup_and_handle", (4,), "H", False, _cup_and_handle),
)


def match_pivots(pivots: list[Pivot], close: np.ndarray, offset: int = 0) -> list[RuleMatch]:
    """Every rule on every run of consecutive pivots; bar indices shifted by `offset`."""
    if len(pivots) < 4:
        return []
    t = np.array([p.index for p in pivots], dtype=np.float64)
    v = np.array([p.price for p in pivots])
    kinds = np.array([p.kind for p in pivots])
    mirrored_kinds = np.where(kinds == "H", "L", "H")
    matches: list[RuleMatch] = []
    for spec in RULES:
        vv = -v if spec.mirrored else v
        kk = mirrored_kinds if spec.mirrored else kinds
        cc = -close if spec.mirrored else close
        for m in spec.lengths:
            for i in range(len(pivots) - m + 1):
                if spec.first is not None and kk[i] != spec.first:
                    continue
                sv, st = vv[i : i + m], t[i : i + m]
                score = spec.rule(sv, st, cc)
                if score is not None:
                    matches.append(
                        RuleMatch(spec.pattern, int(st[0]) + offset, int(st[-1]) + offset, score)
                    )
    for m in LINE_LENGTHS:
        for i in range(len(pivots) - m + 1):
            fit = _lines(v[i : i + m], t[i : i + m], kinds[i : i + m])
            found = classify_lines(*fit) if fit is not None else None
            if found is not None:
                matches.append(
                    RuleMatch(found[0], int(t[i]) + offset, int(t[i + m - 1]) + offset, found[1])
                )
    return matches


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Intersection over union of two inclusive bar ranges."""
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
    if inter <= 0:
        return 0.0
    union = max(a[1], b[1]) - min(a[0], b[0]) + 1
    return inter / union


def windows(n: int, sizes: Iterable[int], stride_frac: float = 0.25) -> list[tuple[int, int]]:
    """(start, end-exclusive) of sliding windows of each size over `n` bars, the last flush;
    plus the whole series when it is shorter than the largest size (and >= the smallest)."""
    out: list[tuple[int, int]] = []
    sizes = list(sizes)
    if sizes and min(sizes) <= n < max(sizes) and n not in sizes:
        out.append((0, n))
    for size in sizes:
        if size > n:
            continue
        stride = max(1, int(size * stride_frac))
        starts = list(range(0, n - size + 1, stride))
        if starts[-1] != n - size:
            starts.append(n - size)
        out += [(s, s + size) for s in starts]
    return out


def window_matches(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, start: int, end: int, zigzag_frac: float
) -> list[RuleMatch]:
    hi, lo, cl = high[start:end], low[start:end], close[start:end]
    rng = float(hi.max() - lo.min())
    if rng <= 0:
        return []
    return match_pivots(zigzag(hi, lo, zigzag_frac * rng), cl, offset=start)


def detect(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    *,
    sizes: Iterable[int] = (32, 48, 72, 108, 160),
    stride_frac: float = 0.25,
    zigzag_frac: float = 0.1,
    iou_threshold: float = 0.5,
) -> list[RuleMatch]:
    """Rule matches over sliding windows of a whole series, overlaps suppressed (best first)."""
    found: list[RuleMatch] = []
    for s, e in windows(len(close), sizes, stride_frac):
        found += window_matches(high, low, close, s, e, zigzag_frac)
    return nms(found, iou_threshold)


def nms(matches: list[RuleMatch], iou_threshold: float) -> list[RuleMatch]:
    """Keep the best-scoring (then longest) match; drop others overlapping it by > threshold."""
    ordered = sorted(matches, key=lambda m: (m.score, m.end - m.start), reverse=True)
    kept: list[RuleMatch] = []
    for m in ordered:
        if all(iou((m.start, m.end), (k.start, k.end)) <= iou_threshold for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


@dataclass(frozen=True)
class LabelledWindow:
    start: int
    end: int  # exclusive
    label: str
    score: float


def label_windows(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    *,
    sizes: Iterable[int] = (32, 48, 72, 108, 160),
    stride_frac: float = 0.25,
    zigzag_frac: float = 0.1,
    min_cover: float = 0.6,
) -> list[LabelledWindow]:
    """Label sliding windows of a real series with the rules (see the module docstring)."""
    out: list[LabelledWindow] = []
    for s, e in windows(len(close), sizes, stride_frac):
        matches = window_matches(high, low, close, s, e, zigzag_frac)
        if not matches:
            out.append(LabelledWindow(s, e, NONE, 1.0))
            continue
        covering = [m for m in matches if (m.end - m.start + 1) >= min_cover * (e - s)]
        if covering:
            best = max(covering, key=lambda m: (m.score, m.end - m.start))
            out.append(LabelledWindow(s, e, best.pattern, best.score))
    return out
