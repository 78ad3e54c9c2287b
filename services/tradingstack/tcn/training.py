"""Training the pattern TCN by distilling the calibrated rules.

1. **Split by time.** Each real series (fetched from the data service) is cut into a training
   part (the first 70 %), a validation part (the next 10 %) and a test part (the last 20 %).
2. **Calibrate the rules** (`calibration.calibrate`) on surrogates of each series' training
   part: per-pattern thresholds so that at most 0.75 % of surrogate windows hit, the false-hit
   rate on fresh surrogates, and the binomial test (Benjamini-Hochberg) of each pattern's real
   hit rate against it. Patterns that do not beat chance by >= 1.5x are kept as classes (the
   network still learns the rules) but are **not served** by /detect.
3. **Label windows** (`rules.WINDOW` bars, every `rules.STRIDE`) of all three parts with the
   calibrated rules.
4. **Synthetic windows**, all labelled by the calibrated rules (never by what was planted):
   the surrogate windows scored during calibration (the real series' own returns shuffled,
   block-bootstrapped or GARCH-simulated), then, for classes still short of
   `synthetic_per_class`, `synthetic.generate_window`: the training parts' standardised
   returns with a faint planted shape (a limited try budget: on realistic noise the rules
   accept only a few per cent of planted windows).
5. **Train** on synthetic + real training windows: cross-entropy with class weights
   1/sqrt(frequency), AdamW, one-cycle learning rate, early stopping on the validation
   windows' log loss (best epoch kept).
6. **Calibrate the probabilities** on the validation windows: a label-shift correction of the
   logits (log real prior - log training prior; kept only if it does not lower validation
   macro-F1) and a temperature.
7. **Evaluate** on the untouched test windows: macro-F1 (all classes, and the served patterns
   with the unserved folded into "none"), its block-bootstrap interval, the no-skill macro-F1,
   and the expected calibration error before and after temperature scaling; the served
   macro-F1 becomes the `ModelQuality` that travels with every /detect answer.
"""

from __future__ import annotations

import copy
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

from tradingstack.core.schemas import ModelQuality, has_edge
from tradingstack.core.timeframes import Timeframe
from tradingstack.tcn import evaluation, rules, synthetic
from tradingstack.tcn.calibration import SurrogateWindows, calibrate, log_returns
from tradingstack.tcn.model import (
    IN_CHANNELS,
    TCNClassifier,
    TCNConfig,
    batch_features,
    pick_device,
)
from tradingstack.tcn.patterns import CLASS_INDEX, CLASSES, NONE, PATTERN_NAMES
from tradingstack.tcn.store import ModelMeta

Progress = Callable[..., None]
NONE_INDEX = CLASS_INDEX[NONE]
QUALITY_METRIC = "macro-F1 on held-out real windows (served patterns + none)"


class RealSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbol: str = Field(min_length=1, max_length=32)
    timeframe: Timeframe


DEFAULT_SOURCES = [
    RealSource(symbol="BTCUSD", timeframe=Timeframe.M15),
    RealSource(symbol="BTCUSD", timeframe=Timeframe.D1),
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

    synthetic_per_class: int = Field(default=400, ge=0, le=20000)
    synthetic_none: int | None = Field(
        default=None, ge=0, le=50000, description="synthetic 'none' windows; default 2x per class"
    )
    synthetic_max_tries: int = Field(
        default=3,
        ge=0,
        le=1000,
        description="planted windows drawn per window still wanted after the surrogates",
    )
    strength_range: tuple[float, float] = Field(
        default=(0.15, 0.4), description="planted drift per bar, in bar-sigmas"
    )
    real_sources: list[RealSource] = Field(default_factory=lambda: list(DEFAULT_SOURCES))
    real_bars: int = Field(default=5000, ge=0, le=50000, description="newest bars per source")
    real_weight: float = Field(
        default=1.0, ge=0, description="loss weight of a rule-labelled real window (synthetic: 1)"
    )
    val_fraction: float = Field(default=0.1, gt=0, lt=0.5)
    test_fraction: float = Field(default=0.2, gt=0, lt=0.5)
    calibration_target: float = Field(
        default=0.0075, gt=0, lt=0.5, description="hits per surrogate window allowed per pattern"
    )
    surrogate_paths: int = Field(
        default=6, ge=1, le=100, description="surrogate paths per series and kind (fit and check)"
    )
    epochs: int = Field(default=20, ge=1, le=500)
    patience: int = Field(default=4, ge=1, le=100)
    batch_size: int = Field(default=64, ge=1, le=8192)
    learning_rate: float = Field(default=4e-3, gt=0, lt=1)
    weight_decay: float = Field(default=1e-4, ge=0)
    channels: int = Field(default=32, ge=2, le=512)
    levels: int = Field(default=5, ge=1, le=10)
    kernel_size: int = Field(default=3, ge=2, le=9)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    window_length: int = Field(default=rules.WINDOW, ge=8, le=1024)
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
    synthetic_per_class=12,
    synthetic_max_tries=1,
    real_sources=[RealSource(symbol="BTCUSD", timeframe=Timeframe.H1)],
    real_bars=1200,
    surrogate_paths=1,
    epochs=3,
    batch_size=32,
    learning_rate=5e-3,
    channels=12,
    levels=3,
)
"""A model in seconds on a CPU, for tests and trying the service out."""

PREPARE = TrainConfig(
    synthetic_per_class=60,
    synthetic_max_tries=2,
    real_sources=[
        RealSource(symbol="BTCUSD", timeframe=Timeframe.H1),
        RealSource(symbol="BTCUSD", timeframe=Timeframe.M15),
        RealSource(symbol="NVDA", timeframe=Timeframe.D1),
    ],
    real_bars=3000,
    surrogate_paths=2,
    epochs=6,
    batch_size=64,
    channels=16,
    levels=4,
)
"""The model a detection prepares when none is saved (and the stack's first start): CPU-sized
(about a minute on one core), on three bundled series; `POST /train` trains the full one."""


@dataclass
class Dataset:
    X: np.ndarray  # (n, channels, length) float32
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
            return Dataset(np.zeros((0, IN_CHANNELS, 1), np.float32), np.zeros(0, np.int64))
        return Dataset(np.concatenate([p.X for p in parts]), np.concatenate([p.y for p in parts]))


def _frame_bars(frame: pd.DataFrame) -> np.ndarray:
    return frame[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)


def split_bars(bars: np.ndarray, cfg: TrainConfig) -> dict[str, np.ndarray]:
    n = len(bars)
    a = int(n * (1.0 - cfg.val_fraction - cfg.test_fraction))
    b = int(n * (1.0 - cfg.test_fraction))
    return {"train": bars[:a], "validation": bars[a:b], "test": bars[b:]}


def labelled_windows(
    bars: np.ndarray, thresholds: dict[str, float], length: int
) -> tuple[Dataset, list[str]]:
    lw = rules.label_windows(bars[:, 3], thresholds)
    X = batch_features([bars[w.start : w.end] for w in lw], length)
    labels = [w.label for w in lw]
    return Dataset(X, np.array([CLASS_INDEX[s] for s in labels], dtype=np.int64)), labels


def _close_bars(close: np.ndarray) -> np.ndarray:
    """A window of closes as bar rows (open = high = low = close; the features read closes)."""
    c = np.asarray(close, dtype=np.float64)
    return np.column_stack([c, c, c, c, np.ones_like(c)])


def synthetic_dataset(
    per_class: int,
    n_none: int,
    thresholds: dict[str, float],
    rng: np.random.Generator,
    *,
    pool: np.ndarray | None,
    length: int,
    max_tries: int,
    strength_range: tuple[float, float] = (0.15, 0.4),
    surrogates: SurrogateWindows | None = None,
) -> tuple[Dataset, dict[str, Any]]:
    """Windows labelled by the calibrated rules: first the surrogate windows of calibration
    (each class up to `per_class`, none up to `n_none`, drawn at random), then planted windows
    for the classes still short, until `max_tries` x the windows wanted were drawn."""
    want = {p: per_class for p in PATTERN_NAMES}
    want[NONE] = n_none
    got: dict[str, list[np.ndarray]] = {c: [] for c in CLASSES}
    from_surrogates = 0
    if surrogates is not None and surrogates.scores:
        labels = rules.labels_from_scores(np.stack(surrogates.scores), thresholds)
        for i in rng.permutation(len(labels)):
            label = labels[int(i)]
            if len(got[label]) < want[label]:
                got[label].append(_close_bars(surrogates.closes[int(i)]))
                from_surrogates += 1
    budget = max_tries * sum(max(0, want[c] - len(got[c])) for c in CLASSES)
    drawn = 0
    agree = 0
    while drawn < budget:
        short: list[str | None] = [p for p in PATTERN_NAMES if len(got[p]) < want[p]]
        if not short and len(got[NONE]) >= want[NONE]:
            break
        for pattern in short or [None]:
            w = synthetic.generate_window(pattern, rng, pool=pool, strength_range=strength_range)
            drawn += 1
            scores = rules.score_matrix(w.bars[:, 3], [0], len(w.bars))
            label = rules.labels_from_scores(scores, thresholds)[0]
            if len(got[label]) < want[label]:
                got[label].append(w.bars)
                agree += int(label == w.label)
            if drawn >= budget:
                break
    windows = [w for c in CLASSES for w in got[c]]
    y = np.array([CLASS_INDEX[c] for c in CLASSES for _ in got[c]], dtype=np.int64)
    info = {
        "from_surrogate_windows": from_surrogates,
        "planted_drawn": drawn,
        "kept": len(y),
        "kept_label_equals_planted": agree,
        "short_classes": {c: len(got[c]) for c in CLASSES if len(got[c]) < want[c]},
    }
    return Dataset(batch_features(windows, length), y), info


@torch.no_grad()
def predict_logits(
    model: TCNClassifier, X: np.ndarray, device: torch.device, batch: int = 1024
) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(X), batch):
        xb = torch.from_numpy(X[i : i + batch]).to(device)
        out.append(model(xb).float().cpu().numpy())
    if not out:
        return np.zeros((0, len(model.config.classes)), np.float32)
    return np.concatenate(out).astype(np.float64)


def calibrated_proba(
    logits: np.ndarray, temperature: float = 1.0, bias: list[float] | np.ndarray | None = None
) -> np.ndarray:
    z = logits + (np.asarray(bias) if bias is not None else 0.0)
    return evaluation.softmax(z, temperature)


def predict_proba(
    model: TCNClassifier,
    X: np.ndarray,
    device: torch.device,
    temperature: float = 1.0,
    bias: list[float] | None = None,
) -> np.ndarray:
    return calibrated_proba(predict_logits(model, X, device), temperature, bias)


def fold_unserved(y: np.ndarray, served: list[str]) -> np.ndarray:
    """Class indices with every pattern that is not served turned into "none"."""
    keep = np.array([c in served or c == NONE for c in CLASSES])
    return np.where(keep[y], y, NONE_INDEX)


def evaluate(proba: np.ndarray, y: np.ndarray, served: list[str], seed: int = 0) -> dict[str, Any]:
    """Macro-F1 (all classes; served only), intervals, no-skill baselines and ECE."""
    if len(y) == 0:
        return {"n": 0}
    pred = proba.argmax(axis=1)
    lo, hi = evaluation.bootstrap_ci(y, pred, seed=seed)
    ys, ps = fold_unserved(y, served), fold_unserved(pred, served)
    f1s = evaluation.macro_f1(ys, ps)
    slo, shi = evaluation.bootstrap_ci(ys, ps, seed=seed)
    return {
        "n": len(y),
        "label_counts": {CLASSES[k]: int(v) for k, v in sorted(Counter(y.tolist()).items())},
        "accuracy": round(float(np.mean(pred == y)), 4),
        "macro_f1": round(evaluation.macro_f1(y, pred), 4),
        "macro_f1_ci95": [round(lo, 4), round(hi, 4)],
        "no_skill_macro_f1": round(evaluation.no_skill_macro_f1(y), 4),
        "f1_per_class": {
            CLASSES[k]: round(v, 4) for k, v in evaluation.per_class_f1(y, pred).items()
        },
        "served_macro_f1": round(f1s, 4),
        "served_macro_f1_ci95": [round(slo, 4), round(shi, 4)],
        "served_no_skill_macro_f1": round(evaluation.no_skill_macro_f1(ys), 4),
        "served_classes_present": len(set(ys.tolist()) | set(ps.tolist())),
        "ece": round(evaluation.ece(proba, y), 4),
    }


def quality_from(test: dict[str, Any], served: list[str], where: str) -> ModelQuality:
    """The served macro-F1 on the test windows as the answer's ModelQuality."""
    if not served or not test.get("n"):
        why = "no pattern beat chance on the real training data, so none is served"
        if served:
            why = "no held-out real windows to measure on"
        return ModelQuality(
            metric=QUALITY_METRIC,
            value=None,
            baseline=None,
            higher_is_better=True,
            has_edge=False,
            evaluated_on=where,
            summary=f"no demonstrated edge: {why}",
        )
    value = float(test["served_macro_f1"])
    lo, hi = (float(v) for v in test["served_macro_f1_ci95"])
    base = float(test["served_no_skill_macro_f1"])
    edge = has_edge(lo, hi, base, higher_is_better=True)
    summary = (
        f"reproduces the calibrated rules of {len(served)} pattern(s) that beat chance: "
        f"macro-F1 {value:.2f} (95 % CI {lo:.2f}-{hi:.2f}) vs {base:.2f} with no skill"
        if edge
        else f"no demonstrated edge: macro-F1 {value:.2f} (95 % CI {lo:.2f}-{hi:.2f}) vs "
        f"{base:.2f} with no skill"
    )
    return ModelQuality(
        metric=QUALITY_METRIC,
        value=round(value, 4),
        ci_low=round(lo, 4),
        ci_high=round(hi, 4),
        baseline=round(base, 4),
        higher_is_better=True,
        has_edge=edge,
        evaluated_on=where,
        summary=summary,
    )


@dataclass
class TrainResult:
    model: TCNClassifier
    meta: ModelMeta
    history: list[float]


def _random_walk_series(rng: np.random.Generator, n: int = 4000) -> np.ndarray:
    return 100.0 * np.exp(np.cumsum(0.01 * synthetic.noise(n, rng)))


def _real_parts(
    frames: dict[str, pd.DataFrame] | None, cfg: TrainConfig
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, Any]]:
    """Each real series cut by time into train, validation and test bars (step 1), and what
    was used of each (a series under three windows is skipped)."""
    parts: dict[str, dict[str, np.ndarray]] = {}
    summary: dict[str, Any] = {}
    for name, frame in (frames or {}).items():
        bars = _frame_bars(frame)
        if len(bars) < 3 * rules.WINDOW:
            summary[name] = {"bars": len(bars), "skipped": "too few bars"}
            continue
        parts[name] = split_bars(bars, cfg)
        a = len(parts[name]["train"])
        b = a + len(parts[name]["validation"])
        summary[name] = {
            "bars": len(bars),
            "first": str(frame.index[0]),
            "validation_from": str(frame.index[a]),
            "test_from": str(frame.index[b]),
            "last": str(frame.index[-1]),
        }
    return parts, summary


def _real_datasets(
    parts: dict[str, dict[str, np.ndarray]], thresholds: dict[str, float], length: int
) -> tuple[Dataset, Dataset, Dataset]:
    """The real train, validation and test windows, labelled by the calibrated rules (3)."""
    real: dict[str, list[Dataset]] = {"train": [], "validation": [], "test": []}
    for p in parts.values():
        for part, sub in p.items():
            if len(sub) >= rules.WINDOW:
                real[part].append(labelled_windows(sub, thresholds, length)[0])
    real_train, real_val, real_test = (Dataset.concat(*real[k]) for k in real)
    return real_train, real_val, real_test


@dataclass
class _Fit:
    """What the training loop (step 5) leaves besides the model: the losses per epoch and the
    epoch whose weights were kept."""

    history: list[float]
    val_history: list[float]
    best_epoch: int


def _fit(
    model: TCNClassifier,
    data: Dataset,
    val: Dataset,
    source_w: np.ndarray,
    class_weights: np.ndarray,
    cfg: TrainConfig,
    device: torch.device,
    report: Progress,
) -> _Fit:
    """Train `model` in place (step 5): weighted cross-entropy, AdamW, one-cycle learning rate,
    early stopping on the validation log loss; the best epoch's weights are loaded at the
    end."""
    optim = torch.optim.AdamW(
        model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay
    )
    loss_fn = torch.nn.CrossEntropyLoss(
        reduction="none", weight=torch.tensor(class_weights, dtype=torch.float32, device=device)
    )
    X = torch.from_numpy(data.X)
    y = torch.from_numpy(data.y)
    sw = torch.from_numpy(source_w)
    steps_per_epoch = max(1, (len(data) + cfg.batch_size - 1) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=cfg.learning_rate, total_steps=total)
    gen = torch.Generator().manual_seed(cfg.seed)
    report("training", done=0, total=total)
    history: list[float] = []
    val_history: list[float] = []
    best_state, best_loss, best_epoch, stale = None, float("inf"), 0, 0
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
            loss = (loss_fn(model(xb), yb) * wb).sum() / wb.sum().clamp_min(1e-6)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            sched.step()
            step += 1
            epoch_loss += float(loss.item()) * len(idx)
            report(done=step, message=f"epoch {epoch}/{cfg.epochs}, loss {float(loss.item()):.4g}")
        history.append(round(epoch_loss / len(data), 6))
        vloss = evaluation.log_loss(predict_logits(model, val.X, device), val.y)
        val_history.append(round(vloss, 6))
        if vloss < best_loss - 1e-4:
            best_state, best_loss, best_epoch, stale = (
                copy.deepcopy(model.state_dict()),
                vloss,
                epoch,
                0,
            )
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return _Fit(history, val_history, best_epoch)


@dataclass
class _ProbabilityCalibration:
    """Step 6: the logit bias (the label-shift correction, or zeros) and the temperature."""

    bias: np.ndarray
    temperature: float
    val_logits: np.ndarray
    f1_plain: float
    f1_shift: float


def _calibrate_probabilities(
    model: TCNClassifier,
    val: Dataset,
    real_train: Dataset,
    weighted_counts: np.ndarray,
    device: torch.device,
) -> _ProbabilityCalibration:
    """The label-shift correction (log real prior - log training prior), kept only if it does
    not lower the validation macro-F1, then a temperature fitted on the validation windows
    (`weighted_counts`: the training classes' counts times their loss weights)."""
    val_logits = predict_logits(model, val.X, device)
    prior_train = (weighted_counts + 1.0) / (weighted_counts + 1.0).sum()
    real_counts = np.bincount(real_train.y, minlength=len(CLASSES)).astype(np.float64)
    prior_real = (real_counts + 1.0) / (real_counts + 1.0).sum()
    shift = np.log(prior_real) - np.log(prior_train)
    f1_plain = evaluation.macro_f1(val.y, val_logits.argmax(axis=1))
    f1_shift = evaluation.macro_f1(val.y, (val_logits + shift).argmax(axis=1))
    bias = shift if len(real_train) and f1_shift >= f1_plain else np.zeros(len(CLASSES))
    temperature = evaluation.fit_temperature(val_logits + bias, val.y)
    return _ProbabilityCalibration(bias, temperature, val_logits, f1_plain, f1_shift)


def _synthetic_train(
    cfg: TrainConfig,
    train_closes: dict[str, np.ndarray],
    thresholds: dict[str, float],
    rng: np.random.Generator,
    kept: SurrogateWindows,
) -> tuple[Dataset, dict[str, Any]]:
    """The synthetic windows (step 4): the surrogate windows kept by the calibration, then
    planted shapes on the training parts' standardised returns, all labelled by the rules."""
    pool_parts = [
        synthetic.standardise(log_returns(c)) for c in train_closes.values() if len(c) > 40
    ]
    pool = np.concatenate(pool_parts) if pool_parts else None
    n_none = cfg.synthetic_none if cfg.synthetic_none is not None else 2 * cfg.synthetic_per_class
    return synthetic_dataset(
        cfg.synthetic_per_class,
        n_none,
        thresholds,
        rng,
        pool=pool,
        length=cfg.window_length,
        max_tries=cfg.synthetic_max_tries,
        strength_range=cfg.strength_range,
        surrogates=kept,
    )


def _metrics(
    model: TCNClassifier,
    sets: dict[str, Dataset],
    served: list[str],
    probs: _ProbabilityCalibration,
    fit: _Fit,
    where: str,
    device: torch.device,
) -> tuple[dict[str, Any], ModelQuality]:
    """Step 7: the scores on the untouched real test windows (their served macro-F1 is the
    model's quality), on the validation windows, and the fit to the synthetic ones; `sets`
    holds the test, validation and synthetic datasets, `where` says which series."""
    real_test, val, syn_train = sets["test"], sets["validation"], sets["synthetic"]
    temperature, bias = probs.temperature, probs.bias
    test_logits = predict_logits(model, real_test.X, device)
    test_eval = evaluate(calibrated_proba(test_logits, temperature, bias), real_test.y, served)
    if len(real_test):
        test_eval["ece_before_temperature"] = round(
            evaluation.ece(calibrated_proba(test_logits, 1.0, bias), real_test.y), 4
        )
    held_out = (
        f"{test_eval.get('n', 0)} windows of {rules.WINDOW} bars from {where} (never trained, "
        "calibrated or tuned on), labelled by the calibrated rules"
    )
    quality = quality_from(test_eval, served, held_out)
    syn_val_logits = predict_logits(model, syn_train.X[: min(len(syn_train), 2000)], device)
    val_proba = calibrated_proba(probs.val_logits, temperature, bias)
    metrics = {
        "real_test": test_eval,
        "real_validation": evaluate(val_proba, val.y, served),
        "synthetic_train_fit": {
            "n": int(min(len(syn_train), 2000)),
            "accuracy": round(
                float(np.mean(syn_val_logits.argmax(axis=1) == syn_train.y[:2000])), 4
            )
            if len(syn_train)
            else None,
        },
        "train_loss_per_epoch": fit.history,
        "validation_loss_per_epoch": fit.val_history,
        "best_epoch": fit.best_epoch,
        "label_shift_correction": bool(np.any(bias != 0)),
        "validation_macro_f1_plain_vs_shifted": [
            round(probs.f1_plain, 4),
            round(probs.f1_shift, 4),
        ],
    }
    return metrics, quality


def train(
    cfg: TrainConfig,
    frames: dict[str, pd.DataFrame] | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Calibrate, label, train, calibrate the probabilities, evaluate (see the module doc);
    `frames` are the real series (name -> bars)."""
    report: Progress = progress or (lambda *_, **__: None)
    t0 = time.monotonic()
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    length = cfg.window_length

    parts, summary = _real_parts(frames, cfg)
    train_closes = {n: p["train"][:, 3] for n, p in parts.items()}
    if not train_closes:  # no real data: calibrate on a random walk (nothing will be served)
        train_closes = {"random_walk": _random_walk_series(rng)}

    kept = SurrogateWindows([], [])
    calib = calibrate(
        train_closes,
        target=cfg.calibration_target,
        fit_paths=cfg.surrogate_paths,
        eval_paths=cfg.surrogate_paths,
        seed=cfg.seed,
        progress=report,
        keep=kept,
    )
    thresholds, served = calib.thresholds, calib.served

    report("labelling real windows with the calibrated rules")
    real_train, real_val, real_test = _real_datasets(parts, thresholds, length)

    report("generating synthetic windows labelled by the rules")
    syn_train, syn_info = _synthetic_train(cfg, train_closes, thresholds, rng, kept)
    del kept
    data = Dataset.concat(syn_train, real_train)
    val = real_val if len(real_val) else syn_train
    if not len(data):
        raise ValueError("no training windows: give real sources or synthetic_per_class > 0")
    source_w = np.concatenate(
        [np.ones(len(syn_train)), np.full(len(real_train), cfg.real_weight)]
    ).astype(np.float32)

    counts = np.bincount(data.y, minlength=len(CLASSES)).astype(np.float64)
    weights = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1.0)), 0.0)
    weights = weights / weights[counts > 0].mean()
    model = TCNClassifier(cfg.model_config_()).to(device)
    fit = _fit(model, data, val, source_w, weights, cfg, device, report)

    report("calibrating the probabilities")
    probs = _calibrate_probabilities(model, val, real_train, counts * weights, device)

    report("evaluating")
    where = f"the last {cfg.test_fraction:.0%} of {', '.join(parts) or 'no real series'}"
    sets = {"test": real_test, "validation": val, "synthetic": syn_train}
    metrics, quality = _metrics(model, sets, served, probs, fit, where, device)
    duration = time.monotonic() - t0
    meta = ModelMeta(
        trained_at=datetime.now(UTC),
        config=model.config,
        weights_sha256="",
        device=str(device),
        duration_seconds=round(duration, 3),
        temperature=round(probs.temperature, 4),
        logit_bias=[round(float(b), 5) for b in probs.bias],
        calibration=calib,
        quality=quality,
        training={
            "config": cfg.model_dump(mode="json"),
            "samples": len(data),
            "synthetic_counts": syn_train.counts(),
            "synthetic": syn_info,
            "real_counts": real_train.counts(),
            "real_sources": summary,
        },
        metrics=metrics,
    )
    return TrainResult(model=model, meta=meta, history=fit.history)
