"""Training data and the training loop of the pattern TCN.

Two sources of labelled windows (documented in `synthetic` and `rules`):

1. **Synthetic**: `synthetic.generate_window` plants each pattern, with known bounds, into a
   random walk and crops a window around it (0-15 % margins); pure random-walk windows are the
   class "none". The validation set is generated from a separate random stream.
2. **Rule-labelled real bars**: the bundled real series (fetched from the data service) are cut
   into sliding windows (sizes 32-144 bars, stride 10 % of the size) and labelled by
   `rules.label_windows` (zigzag pivots + geometric rules;
   "none" where no rule fires). Split by time: windows in the first 80 % of each series train,
   windows in the last 20 % validate (no window crosses the split). Capped per class so "none"
   does not swamp the patterns.

The loss is cross-entropy with class weights of 1/sqrt(frequency) (and `real_weight` on real
windows), AdamW with a one-cycle learning rate, fixed epochs. Metrics
(accuracy and macro-F1 on the synthetic and the real validation windows) go into the model's
metadata.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel, ConfigDict, Field
from sklearn.metrics import accuracy_score, f1_score

from tradingstack.core.timeframes import Timeframe
from tradingstack.tcn import rules, synthetic
from tradingstack.tcn.model import (
    TCNClassifier,
    TCNConfig,
    batch_features,
    pick_device,
)
from tradingstack.tcn.patterns import CLASS_INDEX, CLASSES, NONE, PATTERN_NAMES
from tradingstack.tcn.store import ModelMeta

Progress = Callable[..., None]


class RealSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(min_length=1, max_length=32)
    timeframe: Timeframe


DEFAULT_SOURCES = [
    RealSource(symbol="BTCUSD", timeframe=Timeframe.M15),
    RealSource(symbol="BTCUSD", timeframe=Timeframe.H1),
    RealSource(symbol="NVDA", timeframe=Timeframe.D1),
    RealSource(symbol="MSFT", timeframe=Timeframe.D1),
    RealSource(symbol="AMZN", timeframe=Timeframe.D1),
    RealSource(symbol="NFLX", timeframe=Timeframe.D1),
    RealSource(symbol="TSLA", timeframe=Timeframe.D1),
]


class TrainConfig(BaseModel):
    """How to train (the body of POST /api/v1/train; every field optional). Unknown keys are
    refused: a misspelt one would otherwise start a full training with the defaults."""

    model_config = ConfigDict(extra="forbid")

    synthetic_per_class: int = Field(default=250, ge=2, le=20000)
    synthetic_none: int | None = Field(
        default=None, ge=0, le=50000, description="random-walk windows; default 2x per class"
    )
    length_range: tuple[int, int] = Field(default=(30, 120), description="planted pattern bars")
    real_sources: list[RealSource] = Field(default_factory=lambda: list(DEFAULT_SOURCES))
    real_bars: int = Field(default=5000, ge=0, le=50000, description="newest bars per source")
    real_per_class_cap: int = Field(default=400, ge=0)
    real_none_cap: int = Field(default=800, ge=0)
    real_weight: float = Field(
        default=1.0, ge=0, description="loss weight of a rule-labelled real window (synthetic: 1)"
    )
    real_stride_frac: float = Field(
        default=0.1, gt=0, le=1, description="window stride when labelling real bars"
    )
    window_sizes: list[int] = Field(default_factory=lambda: [32, 48, 72, 108, 144])
    zigzag_frac: float = Field(default=0.1, gt=0, lt=1)
    val_fraction: float = Field(default=0.2, gt=0, lt=0.9)
    epochs: int = Field(default=12, ge=1, le=500)
    batch_size: int = Field(default=64, ge=1, le=8192)
    learning_rate: float = Field(default=2e-3, gt=0, lt=1)
    weight_decay: float = Field(default=1e-4, ge=0)
    channels: int = Field(default=32, ge=2, le=512)
    levels: int = Field(default=5, ge=1, le=10)
    kernel_size: int = Field(default=3, ge=2, le=9)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    window_length: int = Field(default=64, ge=8, le=1024)
    seed: int = 0
    device: str = Field(default="auto", pattern="^(auto|cpu|cuda)$")

    def model_config_(self) -> TCNConfig:
        return TCNConfig(
            channels=self.channels,
            levels=self.levels,
            kernel_size=self.kernel_size,
            dropout=self.dropout,
            window_length=self.window_length,
        )


TINY = TrainConfig(
    synthetic_per_class=24,
    real_sources=[RealSource(symbol="BTCUSD", timeframe=Timeframe.H1)],
    real_bars=600,
    real_per_class_cap=20,
    real_none_cap=40,
    epochs=4,
    batch_size=32,
    learning_rate=5e-3,
    channels=12,
    levels=3,
    window_length=32,
)
"""The on-demand model (`?train=true`): seconds on a CPU, for trying the service out."""


@dataclass
class Dataset:
    X: np.ndarray  # (n, 5, length) float32
    y: np.ndarray  # (n,) int64 class indices

    def __len__(self) -> int:
        return len(self.y)

    def counts(self) -> dict[str, int]:
        c = Counter(int(v) for v in self.y)
        return {CLASSES[k]: c[k] for k in sorted(c)}

    @staticmethod
    def concat(*parts: Dataset) -> Dataset:
        parts = tuple(p for p in parts if len(p))
        if not parts:
            return Dataset(np.zeros((0, 5, 1), np.float32), np.zeros(0, np.int64))
        return Dataset(np.concatenate([p.X for p in parts]), np.concatenate([p.y for p in parts]))


def synthetic_dataset(
    per_class: int,
    n_none: int,
    length: int,
    rng: np.random.Generator,
    length_range: tuple[int, int],
) -> Dataset:
    windows: list[np.ndarray] = []
    labels: list[int] = []
    for pattern in PATTERN_NAMES:
        for _ in range(per_class):
            w = synthetic.generate_window(pattern, rng, length_range=length_range)
            windows.append(w.bars)
            labels.append(CLASS_INDEX[pattern])
    for _ in range(n_none):
        w = synthetic.generate_window(None, rng, length_range=length_range)
        windows.append(w.bars)
        labels.append(CLASS_INDEX[NONE])
    return Dataset(batch_features(windows, length), np.array(labels, dtype=np.int64))


def _frame_bars(frame: pd.DataFrame) -> np.ndarray:
    return frame[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)


def rule_labelled(bars: np.ndarray, cfg: TrainConfig) -> list[rules.LabelledWindow]:
    return rules.label_windows(
        bars[:, 1],
        bars[:, 2],
        bars[:, 3],
        sizes=cfg.window_sizes,
        stride_frac=cfg.real_stride_frac,
        zigzag_frac=cfg.zigzag_frac,
    )


def real_datasets(
    frames: dict[str, pd.DataFrame], cfg: TrainConfig, rng: np.random.Generator
) -> tuple[Dataset, Dataset, dict[str, Any]]:
    """Rule-labelled windows of each series: the first (1 - val_fraction) trains, the rest
    validates; per-class caps applied to the training part."""
    train_w: list[np.ndarray] = []
    train_y: list[int] = []
    val_w: list[np.ndarray] = []
    val_y: list[int] = []
    summary: dict[str, Any] = {}
    for name, frame in frames.items():
        bars = _frame_bars(frame)
        split = int(len(bars) * (1.0 - cfg.val_fraction))
        parts = {"train": bars[:split], "validation": bars[split:]}
        summary[name] = {
            "bars": len(bars),
            "first": str(frame.index[0]) if len(frame) else None,
            "last": str(frame.index[-1]) if len(frame) else None,
            "split_time": str(frame.index[split]) if 0 < split < len(frame) else None,
        }
        for part, sub in parts.items():
            if len(sub) < min(cfg.window_sizes):
                continue
            labelled = rule_labelled(sub, cfg)
            ws, ys = (train_w, train_y) if part == "train" else (val_w, val_y)
            for lw in labelled:
                ws.append(sub[lw.start : lw.end])
                ys.append(CLASS_INDEX[lw.label])
    train = _cap(train_w, train_y, cfg.real_per_class_cap, cfg.real_none_cap, rng)
    val = _cap(val_w, val_y, cfg.real_per_class_cap, cfg.real_none_cap, rng)
    return (
        Dataset(
            batch_features([w for w, _ in train], cfg.window_length),
            np.array([y for _, y in train], dtype=np.int64),
        ),
        Dataset(
            batch_features([w for w, _ in val], cfg.window_length),
            np.array([y for _, y in val], dtype=np.int64),
        ),
        summary,
    )


def _cap(
    windows: list[np.ndarray], labels: list[int], cap: int, none_cap: int, rng: np.random.Generator
) -> list[tuple[np.ndarray, int]]:
    by_class: dict[int, list[int]] = {}
    for i, y in enumerate(labels):
        by_class.setdefault(y, []).append(i)
    keep: list[int] = []
    for y, idx in by_class.items():
        limit = none_cap if y == CLASS_INDEX[NONE] else cap
        if len(idx) > limit:
            idx = sorted(rng.choice(idx, size=limit, replace=False).tolist())
        keep += idx
    return [(windows[i], labels[i]) for i in sorted(keep)]


@torch.no_grad()
def predict_proba(
    model: TCNClassifier, X: np.ndarray, device: torch.device, batch: int = 1024
) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(X), batch):
        xb = torch.from_numpy(X[i : i + batch]).to(device)
        out.append(torch.softmax(model(xb), dim=1).cpu().numpy())
    if not out:
        return np.zeros((0, len(model.config.classes)), np.float32)
    return np.concatenate(out)


def evaluate(model: TCNClassifier, data: Dataset, device: torch.device) -> dict[str, Any]:
    """Accuracy and macro-F1 (over the classes present in the labels) of a labelled set."""
    if not len(data):
        return {"n": 0}
    pred = predict_proba(model, data.X, device).argmax(axis=1)
    labels = sorted(set(int(v) for v in data.y))
    per_class = f1_score(data.y, pred, labels=labels, average=None, zero_division=0)
    return {
        "n": len(data),
        "accuracy": round(float(accuracy_score(data.y, pred)), 4),
        "macro_f1": round(float(np.mean(per_class)), 4),
        "f1_per_class": {
            CLASSES[k]: round(float(f), 4) for k, f in zip(labels, per_class, strict=True)
        },
        "classes_present": len(labels),
    }


@dataclass
class TrainResult:
    model: TCNClassifier
    meta: ModelMeta
    history: list[float]


def train(
    cfg: TrainConfig,
    frames: dict[str, pd.DataFrame] | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Build the data sets, train, evaluate; `frames` are the real series (name -> bars)."""
    report: Progress = progress or (lambda **_: None)
    t0 = time.monotonic()
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    n_none = cfg.synthetic_none if cfg.synthetic_none is not None else 2 * cfg.synthetic_per_class
    n_val = max(2, round(cfg.synthetic_per_class * cfg.val_fraction))
    report(phase="generating synthetic windows")
    syn_train = synthetic_dataset(
        cfg.synthetic_per_class, n_none, cfg.window_length, rng, cfg.length_range
    )
    val_rng = np.random.default_rng([cfg.seed, 1])
    syn_val = synthetic_dataset(n_val, 2 * n_val, cfg.window_length, val_rng, cfg.length_range)
    report(phase="labelling real windows with the rules")
    real_train, real_val, real_summary = real_datasets(frames or {}, cfg, rng)
    data = Dataset.concat(syn_train, real_train)
    source_w = np.concatenate(
        [np.ones(len(syn_train)), np.full(len(real_train), cfg.real_weight)]
    ).astype(np.float32)

    counts = np.bincount(data.y, minlength=len(CLASSES)).astype(np.float64)
    weights = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1.0)), 0.0)
    weights = weights / weights[counts > 0].mean()
    model = TCNClassifier(cfg.model_config_()).to(device)
    optim = torch.optim.AdamW(
        model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay
    )
    loss_fn = torch.nn.CrossEntropyLoss(
        reduction="none", weight=torch.tensor(weights, dtype=torch.float32, device=device)
    )
    X = torch.from_numpy(data.X)
    y = torch.from_numpy(data.y)
    sw = torch.from_numpy(source_w)
    steps_per_epoch = max(1, (len(data) + cfg.batch_size - 1) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=cfg.learning_rate, total_steps=total)
    gen = torch.Generator().manual_seed(cfg.seed)
    report(phase="training", step=0, total_steps=total, epochs=cfg.epochs)
    history: list[float] = []
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(len(data), generator=gen)
        epoch_loss = 0.0
        for i in range(0, len(data), cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            xb, yb = X[idx].to(device), y[idx].to(device)
            optim.zero_grad(set_to_none=True)
            wb = sw[idx].to(device)
            loss = (loss_fn(model(xb), yb) * wb).sum() / wb.sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            step += 1
            epoch_loss += float(loss.item()) * len(idx)
            report(step=step, loss=float(loss.item()), epoch=epoch)
        history.append(round(epoch_loss / len(data), 6))
    report(phase="evaluating")
    model.eval()
    metrics = {
        "synthetic_validation": evaluate(model, syn_val, device),
        "real_validation": evaluate(model, real_val, device),
        "train_loss_per_epoch": history,
    }
    duration = time.monotonic() - t0
    meta = ModelMeta(
        trained_at=datetime.now(UTC),
        config=model.config,
        weights_sha256="",
        device=str(device),
        duration_seconds=round(duration, 3),
        training={
            "config": cfg.model_dump(mode="json"),
            "samples": len(data),
            "synthetic_counts": syn_train.counts(),
            "real_counts": real_train.counts(),
            "real_sources": real_summary,
        },
        metrics=metrics,
    )
    return TrainResult(model=model, meta=meta, history=history)
