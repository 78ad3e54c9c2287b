"""NHITS with neuralforecast: build, train (several seeds, early stopping), predict the median
path, and (de)serialise without pickle.

The network models one series per (symbol, timeframe). The target is log(close) by default:
a median survives monotone transforms, so exp() of the log-price median is the price median.
Time is the bar index (`ds` = 0, 1, 2, ...; `freq=1`), so gaps in the bars (weekends for
stocks) do not break neuralforecast's frequency checks; the service maps forecast steps back to
calendar times itself.

Regularised on purpose (issue 13): a small MLP (64 wide by default) with dropout, an MAE loss
(the median), a validation block of at least 20 horizons at the end of the training span with
early stopping (the best validation weights are kept), and the median over several seeds. The
trailing volatility of the target is a historical exogenous input (`hist_exog_list`). The
intervals are not the network's: see `skill.py` (conformal or the volatility baseline).
"""

from __future__ import annotations

import copy
import logging
import math
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradingstack.nhits.skill import from_target, to_target

log = logging.getLogger("tradingstack.nhits.model")

__all__ = ["from_target", "to_target"]


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
MODEL_NAME = "NHITS"
VOL = "vol"
FORMAT = 2
"""Registry format: 2 = seeds ensemble, MAE loss, volatility input (1 had one MQLoss net)."""
VAL_MONITOR = "ptl/val_loss"
# Lightning keeps the files it writes under a temp dir we own, never ./lightning_logs.
_ROOT_DIR = tempfile.mkdtemp(prefix="tradingstack-nhits-lightning-")


class StopTraining(Exception):
    """Raised inside the training callback when the job was cancelled."""


@dataclass
class Hyper:
    """What is needed to rebuild the networks: stored as JSON next to the weights."""

    h: int
    input_size: int
    levels: list[int]
    mlp_width: int = 64
    mlp_layers: int = 2
    dropout: float = 0.3
    scaler_type: str = "robust"
    learning_rate: float = 1e-3
    batch_windows: int = 256
    random_seed: int = 1
    seeds: int = 3
    vol_window: int = 96
    vol_input: bool = True
    target: str = "log_price"
    format: int = FORMAT

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hyper:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown hyper-parameters {sorted(unknown)}")
        if data.get("format") != FORMAT:
            raise ValueError(
                f"the model was trained by an older version (format {data.get('format', 1)}, "
                f"this one reads {FORMAT})"
            )
        hyper = cls(**data)
        if hyper.h < 1 or hyper.input_size < 1 or len(hyper.levels) == 0 or hyper.seeds < 1:
            raise ValueError("hyper-parameters out of range")
        return hyper

    @property
    def seed_list(self) -> list[int]:
        return [self.random_seed + i for i in range(self.seeds)]


@dataclass
class Progress:
    """Training progress, shared between the Lightning callback and the job it reports to."""

    max_steps: int
    step: int = 0
    offset: int = 0
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


@dataclass
class BestWeights:
    """The weights at the best validation loss seen (early stopping alone keeps the last)."""

    loss: float = math.inf
    step: int = 0
    last_step: int = 0
    checks: int = 0
    state: dict[str, Any] | None = None


def _callbacks(progress: Progress | None, best: BestWeights) -> list[Any]:
    import pytorch_lightning as pl

    class _Progress(pl.Callback):
        def __deepcopy__(self, memo: dict[int, Any]) -> Any:
            return self

        def on_train_batch_end(
            self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
        ) -> None:
            best.last_step = int(trainer.global_step)
            if progress is None:
                return
            loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
            progress.step = progress.offset + int(trainer.global_step)
            if loss is not None:
                value = loss.detach().cpu() if hasattr(loss, "detach") else loss
                progress.loss = float(value)
            if progress.cancel.is_set():
                trainer.should_stop = True

        def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
            value = trainer.callback_metrics.get(VAL_MONITOR)
            if value is None or trainer.sanity_checking:
                return
            val = float(value)
            best.checks += 1
            if math.isfinite(val) and val < best.loss:
                best.loss, best.step = val, int(trainer.global_step)
                best.state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}

    return [_Progress()]


def build(
    hyper: Hyper,
    *,
    seed: int,
    max_steps: int,
    learning_rate: float | None = None,
    accelerator: str = "auto",
    val_check_steps: int = 25,
    patience: int = -1,
    callbacks: list[Any] | None = None,
) -> Any:
    """A fresh neuralforecast NHITS (median: MAE loss; no logs, no checkpoints)."""
    from neuralforecast.losses.pytorch import MAE
    from neuralforecast.models import NHITS

    _quiet()
    accel, devices = _accelerator(accelerator)
    return NHITS(
        h=hyper.h,
        input_size=hyper.input_size,
        hist_exog_list=[VOL] if hyper.vol_input else None,
        loss=MAE(),
        mlp_units=[[hyper.mlp_width, hyper.mlp_width]] * hyper.mlp_layers,
        dropout_prob_theta=hyper.dropout,
        scaler_type=hyper.scaler_type,
        learning_rate=learning_rate or hyper.learning_rate,
        max_steps=max_steps,
        val_check_steps=max(1, min(val_check_steps, max_steps)),
        early_stop_patience_steps=patience,
        windows_batch_size=hyper.batch_windows,
        random_seed=seed,
        alias=MODEL_NAME,
        accelerator=accel,
        devices=devices,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=_ROOT_DIR,
        callbacks=callbacks or [],
    )


def inputs(close: np.ndarray, hyper: Hyper) -> tuple[np.ndarray, np.ndarray | None]:
    """The network's inputs from `close`: the target and (with `vol_input`) its trailing
    volatility, the std of the last `vol_window` one-bar changes (backfilled at the start)."""
    y = to_target(close, hyper.target)
    if not hyper.vol_input:
        return y, None
    d = pd.Series(np.diff(y, prepend=y[0]))
    vol = d.rolling(hyper.vol_window, min_periods=2).std().bfill().fillna(0.0)
    return y, vol.to_numpy()


def frame(close: np.ndarray, hyper: Hyper, uid: str = SERIES_ID, keep: int = 0) -> pd.DataFrame:
    """The target of `close` (and its trailing volatility) as a neuralforecast frame; `keep`
    > 0 keeps only the newest `keep` rows (the volatility still sees the bars before them)."""
    y, vol = inputs(close, hyper)
    data: dict[str, Any] = {"y": y}
    if vol is not None:
        data[VOL] = vol
    df = pd.DataFrame(data)
    if keep:
        df = df.iloc[-keep:]
    df.insert(0, "ds", np.arange(len(df), dtype=np.int64))
    df.insert(0, "unique_id", uid)
    return df.reset_index(drop=True)


@dataclass
class Trained:
    nets: list[Any]
    best_steps: list[int]
    val_losses: list[float]
    steps: int


def fit(
    hyper: Hyper,
    close: np.ndarray,
    *,
    max_steps: int,
    val_windows: int,
    learning_rate: float | None = None,
    accelerator: str = "auto",
    val_check_steps: int = 25,
    patience: int = 4,
    progress: Progress | None = None,
    init_states: list[dict[str, Any]] | None = None,
) -> Trained:
    """Train `hyper.seeds` networks on `close` (oldest first); the last `val_windows` horizons
    are the validation block (early stopping, best weights kept). With `init_states`,
    fine-tune those weights."""
    from neuralforecast import NeuralForecast

    nets, best_steps, losses, total = [], [], [], 0
    df = frame(close, hyper)
    val_size = val_windows * hyper.h
    for i, seed in enumerate(hyper.seed_list):
        best = BestWeights()
        net = build(
            hyper,
            seed=seed,
            max_steps=max_steps,
            learning_rate=learning_rate,
            accelerator=accelerator,
            val_check_steps=val_check_steps,
            patience=patience if val_size else -1,
            callbacks=_callbacks(progress, best),
        )
        if init_states is not None:
            net.load_state_dict(init_states[i], strict=True)
        nf = NeuralForecast(models=[net], freq=1)
        nf.fit(df=df, val_size=val_size)
        if progress is not None and progress.cancel.is_set():
            raise StopTraining("training was cancelled")
        trained = nf.models[0]
        if best.state is not None:
            trained.load_state_dict(best.state, strict=True)
        trained.trainer_kwargs["callbacks"] = []
        trained.eval()
        nets.append(trained)
        best_steps.append(best.step)
        losses.append(best.loss)
        total += best.last_step
        if progress is not None:
            progress.offset += max_steps
            progress.step = progress.offset
    return Trained(nets=nets, best_steps=best_steps, val_losses=losses, steps=total)


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


class Ensemble:
    """The seeds' networks; `median` is the median over seeds of each network's path."""

    def __init__(self, hyper: Hyper, nets: list[Any]) -> None:
        self.hyper = hyper
        self.nets = nets
        self.nfs = [forecaster(n) for n in nets]

    def median(self, histories: list[np.ndarray]) -> np.ndarray:
        """(n, h) median paths in target space, one row per history (closes, oldest first).

        The networks run on one tensor of the histories' last `input_size` bars: the step
        neuralforecast's `predict` takes for each window (its robust scaling, forward pass and
        inverse scaling: `predict_step`), without the DataFrame -> dataset -> Lightning
        Trainer -> DataFrame round trip around it (most of a forecast's time). Histories
        shorter than `input_size` (which neuralforecast pads) go through `predict_frames`."""
        if any(len(c) < self.hyper.input_size for c in histories):
            return self.predict_frames(histories)
        import torch

        hyper = self.hyper
        keep = hyper.input_size
        cols = ["y", VOL, "available_mask"] if hyper.vol_input else ["y", "available_mask"]
        temporal = np.ones((len(histories), len(cols), keep), dtype=np.float32)
        for i, c in enumerate(histories):
            y, vol = inputs(np.asarray(c[-(keep + hyper.vol_window + 1) :]), hyper)
            temporal[i, 0] = y[-keep:]
            if vol is not None:
                temporal[i, 1] = vol[-keep:]
        batch_cols = pd.Index(cols)
        paths = []
        with torch.inference_mode():
            for net in self.nets:
                x = torch.from_numpy(temporal).to(net.device)
                # what BaseModel.predict sets before its Trainer calls predict_step
                net.predict_step_size, net.n_predicts, net.explain = 1, 1, False
                net.decompose_forecast = False
                batch = {
                    "temporal": x,
                    "temporal_cols": batch_cols,
                    "y_idx": 0,
                    "static": None,
                    "static_cols": None,
                }
                y_hat = net.predict_step(batch, 0)
                paths.append(y_hat.reshape(len(histories), hyper.h).double().cpu().numpy())
        return np.median(np.stack(paths), axis=0)

    def predict_frames(self, histories: list[np.ndarray]) -> np.ndarray:
        """`median` through `NeuralForecast.predict` on a DataFrame (the reference path)."""
        hyper = self.hyper
        keep = hyper.input_size
        parts = [
            frame(c[-(keep + hyper.vol_window + 1) :], hyper, uid=f"w{i:06d}", keep=keep)
            for i, c in enumerate(histories)
        ]
        df = pd.concat(parts, ignore_index=True)
        paths = []
        for nf in self.nfs:
            out = nf.predict(df=df).sort_values(["unique_id", "ds"])
            if MODEL_NAME not in out.columns:
                raise RuntimeError(f"neuralforecast answered without column {MODEL_NAME}")
            paths.append(out[MODEL_NAME].to_numpy(dtype=np.float64).reshape(-1, hyper.h))
        return np.median(np.stack(paths), axis=0)

    def median_at(self, close: np.ndarray, at: np.ndarray, batch: int = 512) -> np.ndarray:
        """Median paths from the bars before each origin index of `close`."""
        close = np.asarray(close, dtype=np.float64)
        out = []
        for k in range(0, len(at), batch):
            out.append(self.median([close[:o] for o in at[k : k + batch]]))
        return np.concatenate(out) if out else np.empty((0, self.hyper.h))


# --- serialisation: safetensors weights + JSON hyper-parameters, no pickle -------------------
def state_bytes(nets: list[Any]) -> bytes:
    from safetensors.torch import save

    state = {
        f"seed{i}.{k}": v.detach().cpu().clone().contiguous()
        for i, net in enumerate(nets)
        for k, v in net.state_dict().items()
    }
    return save(state)


def states_from_bytes(data: bytes, seeds: int) -> list[dict[str, Any]]:
    from safetensors.torch import load

    flat = load(data)
    states: list[dict[str, Any]] = [{} for _ in range(seeds)]
    for key, value in flat.items():
        head, _, rest = key.partition(".")
        if not head.startswith("seed") or not head[4:].isdigit() or int(head[4:]) >= seeds:
            raise ValueError(f"unexpected tensor {key!r}")
        states[int(head[4:])][rest] = value
    if any(not s for s in states):
        raise ValueError("a seed's weights are missing")
    return states


def rebuild(hyper: Hyper, states: list[dict[str, Any]], accelerator: str = "auto") -> Ensemble:
    """The ensemble built from `hyper` with the saved weights (strict: every tensor must fit)."""
    nets = []
    for seed, state in zip(hyper.seed_list, states, strict=True):
        net = build(hyper, seed=seed, max_steps=1, accelerator=accelerator)
        net.load_state_dict(state, strict=True)
        net.eval()
        nets.append(net)
    return Ensemble(hyper, nets)


def clone_states(ensemble: Ensemble) -> list[dict[str, Any]]:
    return [
        {k: v.detach().cpu().clone() for k, v in copy.copy(n.state_dict()).items()}
        for n in ensemble.nets
    ]


def seasonal_naive(history: np.ndarray, h: int, season: int) -> np.ndarray:
    if season < 1 or len(history) < season:
        return np.full(h, history[-1])
    last = history[-season:]
    return np.array([last[k % season] for k in range(h)])
