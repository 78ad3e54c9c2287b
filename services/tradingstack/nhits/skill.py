"""What the NHITS service serves and how it is judged (pure numpy, no torch: tested on its own).

The forecasts here are built from three arrays per forecast origin (a point in time from which
`h` bars ahead are forecast, using only the bars before it):

- `last`: the last close before the origin (the naive, "no change" forecast);
- `model`: the network's median path (the median over its seeds), in target space;
- `sigma`: the trailing volatility at the origin (std of one-bar changes of the target over the
  last `vol_window` bars).

Serving (`choose_serving`): the served median is `last + alpha * (model - last)` in target
space. `alpha` in [0, 1] is chosen on validation windows (the last bars of the training span,
used by nothing but early stopping); then a Diebold-Mariano test on calibration windows (never
trained on) decides: unless it favours the blend over "no change" (one-sided p < 0.05), the
naive forecast is served, and the answer says so.

Intervals (`choose_intervals`): two candidates per level, both `multiplier * sigma * sqrt(k)`
wide at step k (target space), fitted on the calibration windows:

- `conformal`: around the served median, the multiplier is the finite-sample conformal quantile
  of |actual - median| / (sigma * sqrt(k)) (split conformal, volatility-normalised scores);
- `volatility`: the baseline, around the last close, the multiplier is the normal quantile z.

The narrower one that is calibrated on those windows is served: its coverage there is not
significantly below its level (one-sided binomial z test at 5 %, counted in non-overlapping
windows); conformal is calibrated there by construction.

Evaluation (`evaluate`): rolling origins held out after the calibration windows; relative MAE
vs naive with a circular block-bootstrap 95 % interval, coverage per level and per step, the
Winkler interval score against the volatility baseline, MASE scaled on the evaluated period,
and a Diebold-Mariano test on the held-out origins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np

Served = Literal["naive", "nhits", "blend"]
ALPHAS = tuple(round(a, 2) for a in np.linspace(0.0, 1.0, 21))
DM_ALPHA = 0.05
CALIBRATION_Z = 1.645
BOOTSTRAP_REPS = 2000
METRIC = "relative MAE vs naive"


# --- series helpers -----------------------------------------------------------------------------
def to_target(close: np.ndarray, target: str) -> np.ndarray:
    values = np.asarray(close, dtype=np.float64)
    if target == "log_price":
        if np.any(values <= 0):
            raise ValueError("log_price target needs positive closes")
        return np.log(values)
    return values


def from_target(values: np.ndarray, target: str) -> np.ndarray:
    return np.exp(values) if target == "log_price" else np.asarray(values, dtype=np.float64)


def origins(end: int, count: int, stride: int, h: int) -> np.ndarray:
    """`count` origins `stride` bars apart whose last window ends at bar `end` (exclusive)."""
    last = end - h
    out = last - stride * np.arange(count - 1, -1, -1)
    if count < 1 or out[0] < 2:
        raise ValueError("not enough bars for these origins")
    return out.astype(np.int64)


def actuals(close: np.ndarray, at: np.ndarray, h: int) -> np.ndarray:
    return np.stack([np.asarray(close, dtype=np.float64)[o : o + h] for o in at])


def sigma_at(y: np.ndarray, at: np.ndarray, window: int) -> np.ndarray:
    """Trailing volatility of target `y` at each origin: std of its last `window` changes."""
    d = np.diff(np.asarray(y, dtype=np.float64))
    out = np.empty(len(at))
    for i, o in enumerate(at):
        part = d[max(0, o - 1 - window) : o - 1]
        out[i] = float(np.std(part, ddof=1)) if len(part) >= 2 else float("nan")
    fallback = float(np.nanmedian(out)) if np.any(np.isfinite(out)) else 1e-6
    out = np.where(np.isfinite(out) & (out > 0), out, max(fallback, 1e-12))
    return out


def sigma_of(history: np.ndarray, window: int) -> float:
    """Trailing volatility at the end of one target-space history."""
    return float(sigma_at(history, np.array([len(history)]), window)[0])


def steps(h: int) -> np.ndarray:
    return np.sqrt(np.arange(1, h + 1, dtype=np.float64))


def blend(last_t: np.ndarray, model_t: np.ndarray, alpha: float) -> np.ndarray:
    """`last + alpha * (model - last)` in target space; alpha 0 is exactly the naive path."""
    last = np.asarray(last_t, dtype=np.float64)[:, None]
    if alpha == 0:
        return np.repeat(last, model_t.shape[1], axis=1)
    return last + alpha * (np.asarray(model_t, dtype=np.float64) - last)


# --- statistics -----------------------------------------------------------------------------------
def dm_test(loss_naive: np.ndarray, loss_model: np.ndarray, lag: int = 0) -> dict[str, Any]:
    """Diebold-Mariano test that the model's loss is below the naive's (one-sided).

    One loss per origin (the mean absolute error over its steps). The variance of the mean
    difference is Newey-West (Bartlett weights, `lag` autocovariances: overlapping origins are
    correlated), with the Harvey-Leybourne-Newbold small-sample factor; the p-value is from the
    normal distribution (at n >= 20 the t and normal tails differ by little)."""
    d = np.asarray(loss_naive, dtype=np.float64) - np.asarray(loss_model, dtype=np.float64)
    n = len(d)
    mean = float(d.mean()) if n else 0.0
    out: dict[str, Any] = {"n": n, "lag": lag, "mean_loss_difference": mean}
    if n < 2:
        return {**out, "statistic": None, "p_value": 1.0, "favours_model": False}
    c = d - mean
    var = float(c @ c) / n
    for j in range(1, min(lag, n - 1) + 1):
        var += 2 * (1 - j / (lag + 1)) * float(c[j:] @ c[:-j]) / n
    if var <= 1e-300:
        stat = 0.0 if abs(mean) <= 1e-300 else math.copysign(math.inf, mean)
    else:
        k = lag + 1
        hln = math.sqrt(max((n + 1 - 2 * k + k * (k - 1) / n) / n, 1e-12))
        stat = hln * mean / math.sqrt(var / n)
    p = 1.0 - NormalDist().cdf(stat) if math.isfinite(stat) else (0.0 if stat > 0 else 1.0)
    return {**out, "statistic": stat, "p_value": p, "favours_model": bool(p < DM_ALPHA)}


def block_length(n: int, h: int, stride: int) -> int:
    """Blocks at least as long as the origins a window overlaps, and about n^(1/3)."""
    return int(max(math.ceil(h / max(stride, 1)), round(n ** (1 / 3)), 1))


def ratio_ci(
    num: np.ndarray, den: np.ndarray, block: int, reps: int = BOOTSTRAP_REPS, seed: int = 0
) -> tuple[float, float]:
    """95 % circular block-bootstrap interval of sum(num) / sum(den) over origins."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    n = len(num)
    block = max(1, min(block, n))
    rng = np.random.default_rng(seed)
    blocks = math.ceil(n / block)
    starts = rng.integers(0, n, size=(reps, blocks))
    idx = ((starts[:, :, None] + np.arange(block)) % n).reshape(reps, -1)[:, :n]
    d = den[idx].sum(axis=1)
    ratios = num[idx].sum(axis=1) / np.where(d > 0, d, np.nan)
    lo, hi = np.nanquantile(ratios, [0.025, 0.975])
    return float(lo), float(hi)


def winkler(lower: np.ndarray, upper: np.ndarray, actual: np.ndarray, level: int) -> float:
    """Mean Winkler (interval) score: width plus 2/alpha times how far outside the actual fell."""
    a = 1 - level / 100
    below = np.maximum(lower - actual, 0)
    above = np.maximum(actual - upper, 0)
    return float(np.mean((upper - lower) + (2 / a) * (below + above)))


def conformal_quantile(scores: np.ndarray, level: int) -> float:
    s = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    n = len(s)
    rank = min(n, math.ceil((n + 1) * level / 100))
    return float(s[rank - 1])


def z_of(level: int) -> float:
    return NormalDist().inv_cdf(0.5 + level / 200)


# --- serving ----------------------------------------------------------------------------------
@dataclass
class Windows:
    """Forecast inputs and outcomes on a set of origins (all arrays aligned by origin)."""

    last: np.ndarray  # (n,) last close, price
    model_t: np.ndarray  # (n, h) network median, target space
    sigma: np.ndarray  # (n,) trailing volatility, target space
    actual: np.ndarray  # (n, h) price
    target: str
    stride: int

    @property
    def h(self) -> int:
        return int(self.model_t.shape[1])

    @property
    def last_t(self) -> np.ndarray:
        return to_target(self.last, self.target)

    def median(self, alpha: float) -> np.ndarray:
        """The blended median path in price units (alpha 0: exactly the last close)."""
        if alpha == 0:
            return np.repeat(np.asarray(self.last, dtype=np.float64)[:, None], self.h, axis=1)
        return from_target(blend(self.last_t, self.model_t, alpha), self.target)

    def abs_errors(self, alpha: float) -> np.ndarray:
        """Mean absolute error per origin (price units)."""
        return np.mean(np.abs(self.median(alpha) - self.actual), axis=1)


def choose_serving(validation: Windows, calibration: Windows) -> dict[str, Any]:
    """alpha on the validation windows; naive unless a DM test on calibration windows favours
    the blend. Returns the JSON stored in the model's meta and read by `serve`."""
    n_val = round(effective_windows(len(validation.last), validation.stride, validation.h))
    base = float(validation.abs_errors(0.0).sum())
    grid = {a: float(validation.abs_errors(a).sum()) for a in ALPHAS}
    alpha = min(grid, key=lambda a: (grid[a], a))  # ties go to the smaller move
    rel_val = {str(a): (v / base if base > 0 else None) for a, v in grid.items()}
    lag = max(0, math.ceil(calibration.h / max(calibration.stride, 1)) - 1)
    n_cal = round(effective_windows(len(calibration.last), calibration.stride, calibration.h))
    naive_loss = calibration.abs_errors(0.0)
    dm = dm_test(naive_loss, calibration.abs_errors(alpha), lag)
    nm = float(naive_loss.sum())
    rel_cal = float(calibration.abs_errors(alpha).sum() / nm) if nm > 0 else None
    if alpha == 0:
        served: Served = "naive"
        reason = (
            f"on {n_val} validation windows no share of the network's move "
            "improved on 'no change' (best alpha 0): serving the naive forecast"
        )
    elif not dm["favours_model"]:
        served = "naive"
        reason = (
            f"the blend (alpha {alpha}) did not beat 'no change' on {n_cal} calibration "
            f"windows (Diebold-Mariano one-sided p = {dm['p_value']:.3f} >= {DM_ALPHA}; "
            f"relative MAE {rel_cal:.3f}): serving the naive forecast"
        )
    else:
        served = "nhits" if alpha == 1 else "blend"
        reason = (
            f"the {'model' if alpha == 1 else f'blend (alpha {alpha})'} beat 'no change' on "
            f"{n_cal} calibration windows (Diebold-Mariano one-sided p = {dm['p_value']:.3f}; "
            f"relative MAE {rel_cal:.3f})"
        )
    return {
        "served": served,
        "alpha": alpha if served != "naive" else 0.0,
        "alpha_chosen": alpha,
        "reason": reason,
        "validation": {
            "windows": n_val,
            "origins": len(validation.last),
            "relative_mae_by_alpha": rel_val,
        },
        "calibration": {
            "windows": n_cal,
            "origins": len(calibration.last),
            "relative_mae": rel_cal,
            "dm": dm,
        },
    }


def _bands(
    center_t: np.ndarray, sigma: np.ndarray, mult: float, target: str
) -> tuple[np.ndarray, np.ndarray]:
    width = mult * sigma[:, None] * steps(center_t.shape[1])[None, :]
    return from_target(center_t - width, target), from_target(center_t + width, target)


def choose_intervals(calibration: Windows, alpha: float, levels: list[int]) -> dict[str, Any]:
    """Per level, conformal (around the served median) or the volatility baseline (around the
    last close): the narrower of those whose coverage on the calibration windows holds."""
    c = calibration
    center_t = blend(c.last_t, c.model_t, alpha)
    naive_t = blend(c.last_t, c.model_t, 0.0)
    actual_t = to_target(c.actual, c.target)
    norm = c.sigma[:, None] * steps(c.h)[None, :]
    scores = np.abs(actual_t - center_t) / norm
    n_windows = effective_windows(len(c.last), c.stride, c.h)
    out: dict[str, Any] = {}
    for lv in levels:
        p = lv / 100
        floor = p - CALIBRATION_Z * math.sqrt(p * (1 - p) / n_windows)
        cands: dict[str, dict[str, Any]] = {}
        for method, mult, center in (
            ("conformal", conformal_quantile(scores, lv), center_t),
            ("volatility", z_of(lv), naive_t),
        ):
            lo, hi = _bands(center, c.sigma, mult, c.target)
            cov = float(np.mean((c.actual >= lo) & (c.actual <= hi)))
            cands[method] = {
                "multiplier": mult,
                "coverage": cov,
                "calibrated": cov >= floor,
                "winkler": winkler(lo, hi, c.actual, lv),
            }
        ok = [m for m in cands if cands[m]["calibrated"]] or ["conformal"]
        method = min(ok, key=lambda m: (cands[m]["multiplier"], m != "volatility"))
        out[str(lv)] = {
            "method": method,
            "multiplier": cands[method]["multiplier"],
            "coverage_floor": floor,
            **cands,
        }
    return {
        "origins": len(c.last),
        "windows": n_windows,
        "scores": int(scores.size),
        "levels": out,
    }


def effective_windows(origins: int, stride: int, h: int) -> float:
    """Non-overlapping horizons that `origins` origins `stride` bars apart span."""
    return max(1.0, ((origins - 1) * stride + h) / h)


@dataclass
class Paths:
    """Served paths in price units, one row per origin."""

    median: np.ndarray
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]


def serve(w: Windows, serving: dict[str, Any], intervals: dict[str, Any]) -> Paths:
    alpha = float(serving.get("alpha", 0.0))
    center_t = blend(w.last_t, w.model_t, alpha)
    naive_t = blend(w.last_t, w.model_t, 0.0)
    lower: dict[int, np.ndarray] = {}
    upper: dict[int, np.ndarray] = {}
    for key, spec in intervals["levels"].items():
        center = center_t if spec["method"] == "conformal" else naive_t
        lower[int(key)], upper[int(key)] = _bands(center, w.sigma, spec["multiplier"], w.target)
    return Paths(median=w.median(alpha), lower=lower, upper=upper)


def baseline(w: Windows, levels: list[int]) -> Paths:
    """The volatility baseline: last close +/- z * sigma * sqrt(k)."""
    naive_t = blend(w.last_t, w.model_t, 0.0)
    lower, upper = {}, {}
    for lv in levels:
        lower[lv], upper[lv] = _bands(naive_t, w.sigma, z_of(lv), w.target)
    return Paths(median=w.median(0.0), lower=lower, upper=upper)


# --- evaluation -------------------------------------------------------------------------------
def _interval_scores(
    w: Windows, served: Paths, base: Paths, levels: list[int]
) -> dict[str, dict[str, Any]]:
    """Per level (keyed by its string): coverage (overall and per step), the volatility
    baseline's coverage, both Winkler scores and the mean width of the served interval."""
    out: dict[str, dict[str, Any]] = {
        key: {}
        for key in (
            "coverage",
            "coverage_per_step",
            "coverage_volatility_baseline",
            "winkler",
            "winkler_volatility_baseline",
            "mean_width",
        )
    }
    for lv in levels:
        inside = (w.actual >= served.lower[lv]) & (w.actual <= served.upper[lv])
        b_inside = (w.actual >= base.lower[lv]) & (w.actual <= base.upper[lv])
        out["coverage"][str(lv)] = float(inside.mean())
        out["coverage_per_step"][str(lv)] = [float(v) for v in inside.mean(axis=0)]
        out["coverage_volatility_baseline"][str(lv)] = float(b_inside.mean())
        out["winkler"][str(lv)] = winkler(served.lower[lv], served.upper[lv], w.actual, lv)
        out["winkler_volatility_baseline"][str(lv)] = winkler(
            base.lower[lv], base.upper[lv], w.actual, lv
        )
        out["mean_width"][str(lv)] = float(np.mean(served.upper[lv] - served.lower[lv]))
    return out


def _directions(w: Windows) -> tuple[float, float]:
    """NHITS's directional accuracy and the share of up moves, over the steps that moved."""
    last = w.last[:, None]
    true_dir, pred_dir = np.sign(w.actual - last), np.sign(w.median(1.0) - last)
    moved = true_dir != 0
    da = float(np.mean(pred_dir[moved] == true_dir[moved])) if moved.any() else float("nan")
    up = float(np.mean(true_dir[moved] > 0)) if moved.any() else float("nan")
    return da, up


def evaluate(
    w: Windows,
    serving: dict[str, Any],
    intervals: dict[str, Any],
    *,
    levels: list[int],
    mase_scale: float,
    snaive: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Scores of the served forecast on held-out origins, against the naive forecast and the
    volatility baseline. `mase_scale`: mean absolute one-bar change over the evaluated bars."""
    n, h = w.actual.shape
    served = serve(w, serving, intervals)
    base = baseline(w, levels)
    block = block_length(n, h, w.stride)
    lag = max(0, math.ceil(h / max(w.stride, 1)) - 1)
    err_served = np.mean(np.abs(served.median - w.actual), axis=1)
    err_naive = w.abs_errors(0.0)
    err_nhits = w.abs_errors(1.0)
    mae_naive = float(err_naive.mean())

    def rel(err: np.ndarray) -> dict[str, Any]:
        value = float(err.mean() / mae_naive) if mae_naive > 0 else float("nan")
        lo, hi = ratio_ci(err, err_naive, block, seed=seed)
        return {"value": value, "ci_low": lo, "ci_high": hi}

    rel_served, rel_nhits = rel(err_served), rel(err_nhits)
    bands = _interval_scores(w, served, base, levels)
    scores, base_scores = bands["winkler"], bands["winkler_volatility_baseline"]
    da, up = _directions(w)
    dm = dm_test(err_naive, err_served, lag)
    dm_nhits = dm_test(err_naive, err_nhits, lag)
    edge = rel_served["ci_high"] < 1.0 and serving.get("served") != "naive"
    out: dict[str, Any] = {
        "origins": n,
        "stride": w.stride,
        "horizon": h,
        "points": int(w.actual.size),
        "served": serving.get("served"),
        "alpha": serving.get("alpha"),
        "relative_mae": rel_served["value"],
        "relative_mae_ci": [rel_served["ci_low"], rel_served["ci_high"]],
        "relative_mae_nhits": rel_nhits["value"],
        "relative_mae_nhits_ci": [rel_nhits["ci_low"], rel_nhits["ci_high"]],
        "bootstrap": {"method": "circular block bootstrap", "block": block, "reps": BOOTSTRAP_REPS},
        "mae": float(err_served.mean()),
        "mae_naive": mae_naive,
        "mae_nhits": float(err_nhits.mean()),
        "mase": float(err_served.mean() / mase_scale) if mase_scale > 0 else float("nan"),
        "mase_naive": mae_naive / mase_scale if mase_scale > 0 else float("nan"),
        "mase_nhits": float(err_nhits.mean() / mase_scale) if mase_scale > 0 else float("nan"),
        "mase_scale": mase_scale,
        "dm_served_vs_naive": dm,
        "dm_nhits_vs_naive": dm_nhits,
        "directional_accuracy_nhits": da,
        "directional_base_rate": max(up, 1 - up) if math.isfinite(up) else float("nan"),
        "coverage": bands["coverage"],
        "coverage_per_step": bands["coverage_per_step"],
        "coverage_volatility_baseline": bands["coverage_volatility_baseline"],
        "interval_method": {k: v["method"] for k, v in intervals["levels"].items()},
        "winkler": scores,
        "winkler_volatility_baseline": base_scores,
        "winkler_ratio": {
            k: (scores[k] / base_scores[k] if base_scores[k] > 0 else float("nan")) for k in scores
        },
        "mean_width": bands["mean_width"],
        "beats_naive": bool(edge),
    }
    if snaive is not None:
        out["mae_seasonal_naive"] = float(np.mean(np.abs(snaive - w.actual)))
    out["verdict"] = verdict(out)
    return out


def verdict(ev: dict[str, Any]) -> str:
    n, rel, (lo, hi) = ev["origins"], ev["relative_mae"], ev["relative_mae_ci"]
    nh, (nlo, nhi) = ev["relative_mae_nhits"], ev["relative_mae_nhits_ci"]
    cov = ", ".join(f"{k} % interval covers {v:.2f}" for k, v in ev["coverage"].items())
    if ev["served"] == "naive":
        return (
            f"No better than no change: the service serves the naive forecast (last close), "
            f"because NHITS did not beat it on the validation windows. On {n} held-out origins "
            f"NHITS itself scores relative MAE {nh:.3f} [{nlo:.3f}, {nhi:.3f}] vs naive; {cov}."
        )
    if ev["beats_naive"]:
        return (
            f"Beats no change: relative MAE {rel:.3f} vs naive on {n} held-out origins, 95 % "
            f"interval [{lo:.3f}, {hi:.3f}] wholly below 1; {cov}."
        )
    return (
        f"No better than no change: relative MAE {rel:.3f} vs naive on {n} held-out origins, "
        f"95 % interval [{lo:.3f}, {hi:.3f}] (includes 1 or lies above it); {cov}."
    )


def quality(ev: dict[str, Any] | None, evaluated_on: str) -> dict[str, Any]:
    """The ModelQuality fields (core.schemas) of a held-out evaluation."""
    from tradingstack.core.schemas import has_edge

    if not ev or ev.get("relative_mae") is None:
        return {
            "metric": METRIC,
            "value": None,
            "ci_low": None,
            "ci_high": None,
            "baseline": 1.0,
            "higher_is_better": False,
            "has_edge": False,
            "evaluated_on": evaluated_on,
            "summary": "not measured: no better than no change until shown otherwise",
        }
    lo, hi = ev["relative_mae_ci"]
    edge = has_edge(lo, hi, 1.0, higher_is_better=False) and ev.get("served") != "naive"
    if ev.get("served") == "naive":
        summary = "no better than no change: serving the naive forecast (last close)"
    elif edge:
        summary = f"beats no change: relative MAE {ev['relative_mae']:.3f} [{lo:.3f}, {hi:.3f}]"
    else:
        summary = (
            f"no better than no change: relative MAE {ev['relative_mae']:.3f} [{lo:.3f}, {hi:.3f}]"
        )
    return {
        "metric": METRIC,
        "value": ev["relative_mae"],
        "ci_low": lo,
        "ci_high": hi,
        "baseline": 1.0,
        "higher_is_better": False,
        "has_edge": bool(edge),
        "evaluated_on": evaluated_on,
        "summary": summary,
    }


# --- how the bars are split -------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """Bars [0, calib_start) train the networks, the last `val_windows` horizons of them being
    the validation block (early stopping, the choice of alpha); `calib_windows` horizons
    [calib_start, eval_start) calibrate the intervals and test the model against naive;
    `eval_origins` origins `eval_stride` bars apart in [eval_start, n) evaluate. Nothing after
    calib_start is trained on."""

    bars: int
    h: int
    val_windows: int
    calib_windows: int
    eval_origins: int
    eval_stride: int

    @property
    def eval_bars(self) -> int:
        return (self.eval_origins - 1) * self.eval_stride + self.h

    @property
    def eval_start(self) -> int:
        return self.bars - self.eval_bars

    @property
    def calib_start(self) -> int:
        return self.eval_start - self.calib_windows * self.h

    @property
    def fit_bars(self) -> int:
        """Bars before the validation block (what the networks' weights are fitted on)."""
        return self.calib_start - self.val_windows * self.h

    def val_at(self) -> np.ndarray:
        """Every origin (stride 1) whose window lies in the validation block."""
        return origins(self.calib_start, (self.val_windows - 1) * self.h + 1, 1, self.h)

    def calib_at(self) -> np.ndarray:
        """Every origin (stride 1) whose window lies in the calibration block."""
        return origins(self.eval_start, (self.calib_windows - 1) * self.h + 1, 1, self.h)

    def eval_at(self) -> np.ndarray:
        return origins(self.bars, self.eval_origins, self.eval_stride, self.h)

    def needed(self, min_fit: int) -> int:
        return self.bars - self.fit_bars + min_fit


MIN_WINDOWS = 20


def plan(
    bars: int,
    *,
    h: int,
    min_fit: int,
    val_windows: int,
    calib_windows: int,
    eval_origins: int,
    eval_stride: int | None,
) -> Split | None:
    """The largest split that leaves at least `min_fit` bars to fit on: first the evaluation
    stride shrinks (down to 1 bar), then the windows (down to 20 each); None if even that
    does not fit."""
    stride0 = eval_stride or h
    wanted = (val_windows, calib_windows, eval_origins)
    tries = [(*wanted, s) for s in range(stride0, 0, -1)]
    v, c, e = wanted
    while (v, c, e) != (MIN_WINDOWS, MIN_WINDOWS, MIN_WINDOWS):
        v, c = max(MIN_WINDOWS, int(v * 0.8)), max(MIN_WINDOWS, int(c * 0.8))
        e = max(MIN_WINDOWS, int(e * 0.8))
        tries.append((v, c, e, 1))
    for v, c, e, s in tries:
        split = Split(bars, h, v, c, e, s)
        if split.fit_bars >= min_fit:
            return split
    return None


def bars_wanted(
    *,
    h: int,
    min_fit: int,
    val_windows: int,
    calib_windows: int,
    eval_origins: int,
    eval_stride: int | None,
) -> int:
    """Bars for the full split (nothing shrunk) with `min_fit` bars to fit on."""
    s = eval_stride or h
    return min_fit + (val_windows + calib_windows) * h + (eval_origins - 1) * s + h
