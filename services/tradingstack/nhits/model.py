"""NHITS with neuralforecast: build, train, predict, evaluate, and (de)serialise without pickle.

The network models one series per (symbol, timeframe). The target is log(close) by default:
quantiles survive monotone transforms, so exp() of a log-price quantile is the same quantile of
the price, and intervals come out multiplicative (wider when the price is higher), which is
what prices do. Time is the bar index (`ds` = 0, 1, 2, ...; `freq=1`), so gaps in the bars
(weekends for stocks) do not break neuralforecast's frequency checks; the service maps
forecast steps back to calendar times itself.

Quantiles from MQLoss are fitted independently and can cross on a badly trained network; the
answer sorts them per step (monotone rearrangement, Chernozhukov et al. 2010), which never
makes the quantile loss worse.
"""

from __future__ import annotations

import copy
import logging
import math
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger("tradingstack.nhits.model")


def _quiet() -> None:
    """Quiet Lightning's "GPU available: ..." banners (it resets its level on import)."""
    for name in ("lightning", "lightning.pytorch", "pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)


warnings.filterwarnings("ignore", module="pytorch_lightning")
warnings.filterwarnings("ignore", module="lightning")
warnings.filterwarnings("ignore", message=".*does not have many workers.*")
warnings.filterwarnings("ignore", message=".*Attribute 'callbacks' removed from hparams.*")
warnings.filterwarnings("ignore", message=".*val_check_steps is greater than max_steps.*")

SERIES_ID = "series"
MASE_SCALE_BARS = 500
MODEL_NAME = "NHITS"
# Lightning keeps the files it writes under a temp dir we own, never ./lightning_logs.
_ROOT_DIR = tempfile.mkdtemp(prefix="tradingstack-nhits-lightning-")


class StopTraining(Exception):
    """Raised inside the training callback when the job was cancelled."""


@dataclass
class Hyper:
    """What is needed to rebuild the network: stored as JSON next to the weights."""

    h: int
    input_size: int
    levels: list[int]
    mlp_width: int = 256
    mlp_layers: int = 2
    scaler_type: str = "robust"
    learning_rate: float = 1e-3
    batch_windows: int = 256
    random_seed: int = 1
    target: str = "log_price"

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hyper:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown hyper-parameters {sorted(unknown)}")
        hyper = cls(**data)
        if hyper.h < 1 or hyper.input_size < 1 or len(hyper.levels) == 0:
            raise ValueError("hyper-parameters out of range")
        return hyper


@dataclass
class Progress:
    """Training progress, shared between the Lightning callback and the job it reports to."""

    max_steps: int
    step: int = 0
    loss: float | None = None
    started: float = field(default_factory=time.monotonic)
    cancel: threading.Event = field(default_factory=threading.Event)

    def __deepcopy__(self, memo: dict[int, Any]) -> Progress:
        return self  # neuralforecast deep-copies models (and their callbacks); keep one tracker


def preload() -> None:
    """Import neuralforecast (seconds on a busy CPU) so a training timer measures training."""
    import neuralforecast.losses.pytorch
    import neuralforecast.models  # noqa: F401

    _quiet()


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _accelerator(choice: str) -> tuple[str, Any]:
    import torch

    if choice == "gpu" or (choice == "auto" and torch.cuda.is_available()):
        return "gpu", 1
    return "cpu", 1


def _progress_callback(progress: Progress) -> Any:
    import pytorch_lightning as pl

    class _Callback(pl.Callback):
        def __deepcopy__(self, memo: dict[int, Any]) -> Any:
            return self

        def on_train_batch_end(
            self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
        ) -> None:
            loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
            progress.step = int(trainer.global_step)
            if loss is not None:
                value = loss.detach().cpu() if hasattr(loss, "detach") else loss
                progress.loss = float(value)
            if progress.cancel.is_set():
                trainer.should_stop = True

    return _Callback()


def build(
    hyper: Hyper,
    *,
    max_steps: int,
    learning_rate: float | None = None,
    accelerator: str = "auto",
    progress: Progress | None = None,
) -> Any:
    """A fresh neuralforecast NHITS with a multi-quantile loss (no logs, no checkpoints)."""
    from neuralforecast.losses.pytorch import MQLoss
    from neuralforecast.models import NHITS

    _quiet()
    accel, devices = _accelerator(accelerator)
    callbacks = [_progress_callback(progress)] if progress is not None else []
    return NHITS(
        h=hyper.h,
        input_size=hyper.input_size,
        loss=MQLoss(level=list(hyper.levels)),
        mlp_units=[[hyper.mlp_width, hyper.mlp_width]] * hyper.mlp_layers,
        scaler_type=hyper.scaler_type,
        learning_rate=learning_rate or hyper.learning_rate,
        max_steps=max_steps,
        val_check_steps=max_steps,
        windows_batch_size=hyper.batch_windows,
        random_seed=hyper.random_seed,
        alias=MODEL_NAME,
        accelerator=accel,
        devices=devices,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=_ROOT_DIR,
        callbacks=callbacks,
    )


def to_target(close: np.ndarray, target: str) -> np.ndarray:
    values = np.asarray(close, dtype=np.float64)
    if target == "log_price":
        if np.any(values <= 0):
            raise ValueError("log_price target needs positive closes")
        return np.log(values)
    return values


def from_target(values: np.ndarray, target: str) -> np.ndarray:
    return np.exp(values) if target == "log_price" else values


def frame(values: np.ndarray, uid: str = SERIES_ID) -> pd.DataFrame:
    ds = np.arange(len(values), dtype=np.int64)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": values})


def fit(
    hyper: Hyper,
    close: np.ndarray,
    *,
    max_steps: int,
    learning_rate: float | None = None,
    accelerator: str = "auto",
    progress: Progress | None = None,
    init_state: dict[str, Any] | None = None,
) -> Any:
    """Train NHITS on `close` (oldest first); with `init_state`, fine-tune those weights."""
    from neuralforecast import NeuralForecast

    net = build(
        hyper,
        max_steps=max_steps,
        learning_rate=learning_rate,
        accelerator=accelerator,
        progress=progress,
    )
    if init_state is not None:
        net.load_state_dict(init_state, strict=True)
    nf = NeuralForecast(models=[net], freq=1)
    nf.fit(df=frame(to_target(close, hyper.target)), val_size=0)
    if progress is not None and progress.cancel.is_set():
        raise StopTraining("training was cancelled")
    trained = nf.models[0]
    trained.trainer_kwargs["callbacks"] = []
    return trained


def forecaster(net: Any) -> Any:
    """A fitted `NeuralForecast` around a network (trained here or rebuilt from the registry)."""
    from neuralforecast import NeuralForecast

    nf = NeuralForecast(models=[net], freq=1)
    nf.models = [net]
    nf.id_col, nf.time_col, nf.target_col = "unique_id", "ds", "y"
    nf.scalers_, nf.static_scalers_ = {}, {}
    nf.prediction_intervals = None
    nf._cs_df = None
    nf._fitted = True
    return nf


@dataclass
class Quantiles:
    """Forecast quantiles in price units, one row per series, one column per step."""

    median: np.ndarray
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]


def _split(cube: np.ndarray, levels: list[int]) -> Quantiles:
    mid = len(levels)
    return Quantiles(
        median=cube[..., mid],
        lower={lv: cube[..., mid - 1 - i] for i, lv in enumerate(levels)},
        upper={lv: cube[..., mid + 1 + i] for i, lv in enumerate(levels)},
    )


def predict(
    nf: Any,
    hyper: Hyper,
    histories: list[np.ndarray],
    scales: dict[str, float] | None = None,
) -> Quantiles:
    """Forecast `hyper.h` steps after each history (closes, oldest first) in one batch.

    `scales` (from `conformal_scales`) widen or narrow the intervals in target space (log
    price by default), so a widened lower bound never goes below zero."""
    parts = [frame(to_target(c, hyper.target), uid=f"w{i:05d}") for i, c in enumerate(histories)]
    out = nf.predict(df=pd.concat(parts, ignore_index=True))
    out = out.sort_values(["unique_id", "ds"])
    n, h = len(histories), hyper.h
    levels = sorted(hyper.levels)
    names = [f"{MODEL_NAME}-lo-{lv}" for lv in reversed(levels)]
    names += [f"{MODEL_NAME}-median"] + [f"{MODEL_NAME}-hi-{lv}" for lv in levels]
    missing = [c for c in names if c not in out.columns]
    if missing:
        raise RuntimeError(f"neuralforecast answered without columns {missing}")
    cube = out[names].to_numpy(dtype=np.float64).reshape(n, h, len(names))
    cube = np.sort(cube, axis=2)  # monotone rearrangement: quantiles never cross
    q = widen(_split(cube, levels), scales or {})
    return Quantiles(
        median=from_target(q.median, hyper.target),
        lower={lv: from_target(v, hyper.target) for lv, v in q.lower.items()},
        upper={lv: from_target(v, hyper.target) for lv, v in q.upper.items()},
    )


# --- serialisation: safetensors weights + JSON hyper-parameters, no pickle -------------------
def state_bytes(net: Any) -> bytes:
    from safetensors.torch import save

    state = {k: v.detach().cpu().clone().contiguous() for k, v in net.state_dict().items()}
    return save(state)


def state_from_bytes(data: bytes) -> dict[str, Any]:
    from safetensors.torch import load

    return load(data)


def rebuild(hyper: Hyper, state: dict[str, Any], accelerator: str = "auto") -> Any:
    """An NHITS built from `hyper` with the saved weights (strict: every tensor must fit)."""
    net = build(hyper, max_steps=1, accelerator=accelerator)
    net.load_state_dict(state, strict=True)
    net.eval()
    return net


def clone_state(net: Any) -> dict[str, Any]:
    return {k: v.detach().cpu().clone() for k, v in copy.copy(net.state_dict()).items()}


# --- split-conformal calibration of the intervals ---------------------------------------------
def windows_of(close: np.ndarray, h: int, windows: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Histories and actuals of the last `windows` windows of `h` bars of `close`."""
    n = len(close)
    origins = [n - k * h for k in range(windows, 0, -1)]
    if origins[0] < 2:
        raise ValueError("not enough bars for the windows")
    return [close[:o] for o in origins], np.stack([close[o : o + h] for o in origins])


def conformal_scales(
    forecast: Callable[[list[np.ndarray]], Quantiles],
    close: np.ndarray,
    *,
    h: int,
    windows: int,
    levels: list[int],
    target: str,
) -> dict[str, float]:
    """Per level, the factor that widens the raw interval to cover `level` % of the last
    `windows` windows of `close` (split conformal: the network never trained on them).

    Score of a point: how far outside (>1) or inside (<1) its interval it fell, measured in
    half-widths from the median; the factor is the finite-sample-corrected level quantile."""
    histories, actual_price = windows_of(np.asarray(close, dtype=np.float64), h, windows)
    q = forecast(histories)  # raw quantiles, scored in target space like `widen` applies them
    actual, med = to_target(actual_price, target), to_target(q.median, target)
    out: dict[str, float] = {}
    for lv in levels:
        up = np.maximum(to_target(q.upper[lv], target) - med, 1e-12)
        down = np.maximum(med - to_target(q.lower[lv], target), 1e-12)
        score = np.where(actual >= med, (actual - med) / up, (med - actual) / down).ravel()
        n = len(score)
        rank = min(1.0, math.ceil((n + 1) * lv / 100) / n)
        out[str(lv)] = float(np.quantile(score, rank, method="higher"))
    return out


def widen(q: Quantiles, scales: dict[str, float]) -> Quantiles:
    """Scale each interval's half-widths around the median; quantiles stay ordered."""
    if not scales:
        return q
    levels = sorted(q.lower)
    med = q.median
    lows = [med - scales.get(str(lv), 1.0) * (med - q.lower[lv]) for lv in reversed(levels)]
    highs = [med + scales.get(str(lv), 1.0) * (q.upper[lv] - med) for lv in levels]
    return _split(np.sort(np.stack([*lows, med, *highs], axis=-1), axis=-1), levels)


# --- walk-forward evaluation -----------------------------------------------------------------
def seasonal_naive(history: np.ndarray, h: int, season: int) -> np.ndarray:
    if season < 1 or len(history) < season:
        return np.full(h, history[-1])
    last = history[-season:]
    return np.array([last[k % season] for k in range(h)])


def evaluate(
    forecast: Callable[[list[np.ndarray]], Quantiles],
    close: np.ndarray,
    *,
    h: int,
    windows: int,
    season: int,
    scale_history: np.ndarray,
    levels: list[int],
) -> dict[str, Any]:
    """Walk-forward scores on the last `windows` windows of `h` bars of `close`.

    Window k forecasts bars [T - k*h, T - (k-1)*h) from the bars before them. MASE divides by
    the mean absolute one-step change of the last `MASE_SCALE_BARS` bars of `scale_history`
    (the newest training bars: on a price that grew 1000-fold since 1999 the scale of the whole
    history would say nothing about today's moves), so MASE(naive) is comparable.
    Directional accuracy compares the sign of (forecast - last close) with the
    sign of (actual - last close); its base rate is the share of the more frequent direction.
    """
    close = np.asarray(close, dtype=np.float64)
    histories, actual = windows_of(close, h, windows)
    q = forecast(histories)
    last = np.array([hist[-1] for hist in histories])[:, None]
    naive = np.repeat(last, h, axis=1)
    snaive = np.stack([seasonal_naive(hist, h, season) for hist in histories])
    diffs = np.abs(np.diff(np.asarray(scale_history, dtype=np.float64)[-MASE_SCALE_BARS:]))
    scale = float(diffs.mean()) if len(diffs) and diffs.mean() > 0 else float("nan")

    def mae(f: np.ndarray) -> float:
        return float(np.mean(np.abs(f - actual)))

    def smape(f: np.ndarray) -> float:
        den = np.abs(f) + np.abs(actual)
        return float(np.mean(np.where(den > 0, 2 * np.abs(f - actual) / den, 0.0)) * 100)

    med = q.median
    true_dir = np.sign(actual - last)
    pred_dir = np.sign(med - last)
    moved = true_dir != 0
    n_moved = int(moved.sum())
    da = float(np.mean(pred_dir[moved] == true_dir[moved])) if n_moved else float("nan")
    up = float(np.mean(true_dir[moved] > 0)) if n_moved else float("nan")
    base = max(up, 1 - up) if n_moved else float("nan")
    coverage = {
        str(lv): float(np.mean((actual >= q.lower[lv]) & (actual <= q.upper[lv]))) for lv in levels
    }
    mae_model, mae_naive, mae_snaive = mae(med), mae(naive), mae(snaive)
    beats = bool(mae_model < mae_naive)
    rel = mae_model / mae_naive if mae_naive > 0 else float("nan")
    verdict = (
        f"NHITS beats the naive forecast on {windows} unseen windows (MAE {rel:.3f}x the naive's)."
        if beats
        else f"NHITS does NOT beat the naive (last close) forecast on {windows} unseen windows: "
        f"its MAE is {rel:.3f}x the naive's; treat the median as no better than 'no change'."
    )
    return {
        "windows": windows,
        "horizon": h,
        "points": int(actual.size),
        "mase": mae_model / scale,
        "mase_naive": mae_naive / scale,
        "mase_seasonal_naive": mae_snaive / scale,
        "mae": mae_model,
        "mae_naive": mae_naive,
        "mae_seasonal_naive": mae_snaive,
        "relative_mae": rel,
        "smape": smape(med),
        "smape_naive": smape(naive),
        "smape_seasonal_naive": smape(snaive),
        "directional_accuracy": da,
        "directional_base_rate": base,
        "coverage": coverage,
        "season": season,
        "mase_scale_bars": min(MASE_SCALE_BARS, len(scale_history)),
        "beats_naive": beats,
        "beats_seasonal_naive": bool(mae_model < mae_snaive),
        "verdict": verdict,
    }
