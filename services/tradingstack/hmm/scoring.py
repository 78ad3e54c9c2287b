"""LightGBM signal scoring: how likely a long (or short) entry now pays off over a horizon, and
what that estimate is worth.

**Features** at bar t (all from bars <= t): the four filtered regime probabilities (an HMM
fitted on training bars only, then forward-filtered over every bar), technical indicators
from the data service (RSI, MACD, Bollinger bands, ATR, ADX, stochastic, CCI, MFI, ROC; price-
level ones divided by the close: MACD/close, ATR/close, Bollinger %B and band width), log
returns over 1, 5 and 20 bars, realised volatility and the distance from the moving average.

**Labels** from the forward log return over `horizon` bars, r = log(close[t+h] / close[t]):
long: r > threshold; short: r < -threshold; the threshold is `threshold_sigma` standard
deviations of r measured on the training rows. Long and short are separate models.

**Evaluation** (`hmm.evaluation`): `n_folds` purged and embargoed walk-forward folds, by time
only. In each fold a regime HMM is fitted on the fold's training bars, LightGBM trains with
early stopping on the last fifth of the fold's training rows (purged from the rest), and
predicts the fold's test block. The out-of-fold predictions give the AUC, IC, rank IC (with
block-bootstrap 95 % intervals), and, calibrated walk-forward (fold k by a Platt calibrator
fitted on folds before k), the Brier skill against the base rate and the calibration error.

**The served model** trains on every labelled row for the median of the folds' early-stopped
round counts, with a regime HMM fitted on every bar; its probability is calibrated by Platt
scaling fitted on all out-of-fold predictions. Its `quality` is the out-of-fold AUC: a model
whose AUC interval includes 0.5 has **no demonstrated edge** and its answer says so; without
an edge, the calibration pulls the probability to the base rate, so no such model can show
"long 90.7".

**Storage**: the booster in LightGBM's text format (`*.txt`), its metadata (features, folds,
metrics, calibration, the HMM's parameters) as JSON, each written to a temp file and
`os.replace`d.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from tradingstack.core.errors import ModelCorrupt
from tradingstack.core.schemas import Indicators, ModelQuality, has_edge
from tradingstack.hmm.evaluation import (
    Fold,
    Platt,
    auc_score,
    score_metrics,
    walk_forward_folds,
)
from tradingstack.hmm.regime import REGIMES, RegimeModel, fit_regimes, regime_features
from tradingstack.hmm.schemas import Direction, ScoreMetrics


class ScoringModelError(ModelCorrupt):
    """A saved scoring model cannot be used; the message says why (the service trains a new
    one in its place)."""


def indicator_features(ind: Indicators, close: pd.Series) -> pd.DataFrame:
    """The data service's indicator columns, price-level ones made scale-free."""
    raw = pd.DataFrame(ind.values, index=pd.to_datetime(ind.times, utc=True), dtype=np.float64)
    raw = raw.reindex(close.index)
    out = pd.DataFrame(index=close.index)
    for col in raw.columns:
        series = raw[col]
        if col.startswith("bbands"):
            continue
        if col.startswith(("macd", "atr")):
            out[f"{col}_rel"] = series / close
        elif col.startswith("obv"):
            continue  # cumulative volume: not stationary
        else:
            out[col] = series
    upper = [c for c in raw.columns if c.startswith("bbands") and c.endswith("_upper")]
    for up in upper:
        key = up.removesuffix("_upper")
        lo, mid = raw.get(f"{key}_lower"), raw.get(f"{key}_middle")
        if lo is None or mid is None:
            continue
        width = raw[up] - lo
        out[f"{key}_pct_b"] = (close - lo) / width.replace(0.0, np.nan)
        out[f"{key}_width"] = width / mid.replace(0.0, np.nan)
    return out


def base_features(close: pd.Series, vol_window: int, ma_window: int) -> pd.DataFrame:
    logc = np.log(close.astype(np.float64))
    out = pd.DataFrame(index=close.index)
    for n in (1, 5, 20):
        out[f"return_{n}"] = logc.diff(n)
    reg = regime_features(close, vol_window, ma_window)
    out["realised_vol"] = reg["realised_vol"]
    out["ma_distance"] = reg["ma_distance"]
    return out


@dataclass
class Split:
    train: np.ndarray  # positions into the labelled rows
    valid: np.ndarray


def time_split(n: int, train_fraction: float, gap: int) -> Split:
    """The first `train_fraction` of n time-ordered rows train; validation starts `gap` rows
    after the last training row (used for early stopping inside a fold)."""
    n_train = int(n * train_fraction)
    start_valid = n_train + gap
    if n_train < 50 or n - start_valid < 20:
        raise ValueError(
            f"{n} labelled rows are too few for a time-ordered split (train {n_train}, "
            f"validation {max(0, n - start_valid)}); ask for more bars"
        )
    return Split(np.arange(n_train), np.arange(start_valid, n))


class FoldInfo(BaseModel):
    train_end: datetime
    test_start: datetime
    test_end: datetime
    n_train: int
    n_test: int
    best_iteration: int
    auc: float | None


class ScoringMeta(BaseModel):
    symbol: str
    timeframe: str
    direction: Direction
    trained_at: datetime
    features: list[str]
    horizon_bars: int
    threshold: float = Field(description="log-return threshold of a positive label")
    train_start: datetime
    train_end: datetime
    valid_start: datetime = Field(description="first out-of-fold bar")
    valid_end: datetime = Field(description="last out-of-fold bar")
    n_train: int = Field(description="rows the served model trained on")
    n_valid: int = Field(description="out-of-fold rows evaluated")
    base_rate_train: float
    base_rate_valid: float
    auc_valid: float | None = Field(description="out-of-fold ROC AUC (None: one class)")
    boost_rounds: int = Field(description="rounds of the served model (median early stop)")
    folds: list[FoldInfo]
    embargo_bars: int
    calibration: Platt
    metrics: ScoreMetrics
    quality: ModelQuality
    params: dict[str, Any]
    regime_model: RegimeModel
    train_seconds: float
    lightgbm_version: str = Field(default_factory=lambda: str(lgb.__version__))


@dataclass
class TrainedScorer:
    booster: lgb.Booster
    meta: ScoringMeta


@dataclass
class FeatureTable:
    X: pd.DataFrame  # every bar with complete features (time-indexed)
    close: pd.Series


def _regime_columns(regime_model: RegimeModel, reg_raw: pd.DataFrame) -> pd.DataFrame:
    probs = regime_model.regime_probabilities(reg_raw.to_numpy())
    return pd.DataFrame(probs, index=reg_raw.index, columns=[f"p_{r}" for r in REGIMES])


def _other_columns(
    close: pd.Series, indicators: Indicators, vol_window: int, ma_window: int
) -> pd.DataFrame:
    return pd.concat(
        [base_features(close, vol_window, ma_window), indicator_features(indicators, close)],
        axis=1,
    )


def _table(regime: pd.DataFrame, other: pd.DataFrame, close: pd.Series) -> FeatureTable:
    table = pd.concat([regime, other], axis=1).reindex(close.index)
    return FeatureTable(table.replace([np.inf, -np.inf], np.nan).dropna(), close)


def build_table(
    bars: pd.DataFrame,
    indicators: Indicators,
    regime_model: RegimeModel,
) -> FeatureTable:
    close = bars["close"].astype(np.float64)
    reg_raw = regime_features(close, regime_model.vol_window, regime_model.ma_window)
    other = _other_columns(close, indicators, regime_model.vol_window, regime_model.ma_window)
    return _table(_regime_columns(regime_model, reg_raw), other, close)


def forward_returns(close: pd.Series, horizon: int) -> pd.Series:
    logc = np.log(close.astype(np.float64))
    return logc.shift(-horizon) - logc


def _labels(r: np.ndarray, threshold: float, direction: Direction) -> np.ndarray:
    return ((r > threshold) if direction == "long" else (r < -threshold)).astype(int)


def score_quality(
    metrics: ScoreMetrics, n_folds: int, valid_start: datetime, valid_end: datetime
) -> ModelQuality:
    """The out-of-fold AUC as a ModelQuality: an edge only when its whole 95 % interval lies
    above 0.5."""
    auc = metrics.auc
    edge = has_edge(auc.ci_low, auc.ci_high, 0.5, higher_is_better=True)
    if auc.value is None:
        summary = "not measured: one class in the out-of-fold labels"
    elif edge:
        summary = (
            f"edge: out-of-fold AUC {auc.value:.3f} (95 % CI {auc.ci_low:.3f}-"
            f"{auc.ci_high:.3f}) lies above 0.5"
        )
    elif auc.ci_high is not None and auc.ci_high < 0.5:
        summary = (
            f"no demonstrated edge: out-of-fold AUC {auc.value:.3f} (95 % CI {auc.ci_low:.3f}-"
            f"{auc.ci_high:.3f}) lies below 0.5, worse than chance on held-out bars"
        )
    else:
        ci = "" if auc.ci_low is None else f" (95 % CI {auc.ci_low:.3f}-{auc.ci_high:.3f})"
        summary = f"no demonstrated edge: out-of-fold AUC {auc.value:.3f}{ci} includes 0.5 (chance)"
    return ModelQuality(
        metric=f"out-of-fold ROC AUC, {n_folds} purged walk-forward folds",
        value=auc.value,
        ci_low=auc.ci_low,
        ci_high=auc.ci_high,
        baseline=0.5,
        higher_is_better=True,
        has_edge=edge,
        evaluated_on=f"{metrics.n} bars {valid_start:%Y-%m-%d %H:%M}..{valid_end:%Y-%m-%d %H:%M} "
        "UTC, each scored by a model trained only on earlier bars (block bootstrap, blocks "
        f"of {metrics.bootstrap_block})",
        summary=summary,
    )


def _lgb_params(
    learning_rate: float, num_leaves: int, min_data_in_leaf: int, seed: int, threads: int
) -> dict[str, Any]:
    """LightGBM's parameters of every scoring booster (deterministic for a seed)."""
    return {
        "objective": "binary",
        "learning_rate": learning_rate,
        "num_leaves": num_leaves,
        "min_data_in_leaf": min_data_in_leaf,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "seed": seed,
        "deterministic": True,
        "verbosity": -1,
        "num_threads": threads,
    }


@dataclass
class _Run:
    """One scorer training: its settings and the labelled rows (`rows`: the bars with complete
    features and a forward return `r`)."""

    direction: Direction
    horizon: int
    threshold_sigma: float
    max_boost_rounds: int
    early_stopping_rounds: int
    hmm_restarts: int
    hmm_iter: int
    vol_window: int
    ma_window: int
    seed: int
    params: dict[str, Any]
    reg_all: pd.DataFrame
    other: pd.DataFrame
    rows: pd.Index
    r: np.ndarray

    def regimes(self, reg: pd.DataFrame, restarts: int, times: Any = None) -> RegimeModel:
        return fit_regimes(
            reg.to_numpy(), restarts=restarts, n_iter=self.hmm_iter, seed=self.seed,
            vol_window=self.vol_window, ma_window=self.ma_window, times=times,
        )  # fmt: skip

    def features(self, regime_model: RegimeModel) -> pd.DataFrame:
        regimes = _regime_columns(regime_model, self.reg_all)
        return pd.concat([regimes, self.other], axis=1).loc[self.rows]

    def labels(self, on: np.ndarray | slice) -> tuple[float, np.ndarray]:
        """The label threshold (`threshold_sigma` of the returns at `on`) and every row's label."""
        threshold = float(self.threshold_sigma * self.r[on].std())
        return threshold, _labels(self.r, threshold, self.direction)


@dataclass
class _OutOfFold:
    """Each labelled row's walk-forward prediction (NaN where no fold tested it), label, the
    base rate of its fold's training rows, and its fold (-1: none)."""

    raw: np.ndarray
    y: np.ndarray
    ref: np.ndarray
    fold_of: np.ndarray
    infos: list[FoldInfo]


def _out_of_fold(run: _Run, folds: list[Fold]) -> _OutOfFold:
    """Fit a regime HMM and a booster on each fold's training rows only (early-stopped on the
    last 20 % of them) and predict its test rows."""
    n = len(run.rows)
    oof = _OutOfFold(
        np.full(n, np.nan), np.zeros(n, dtype=int), np.full(n, np.nan), np.full(n, -1), []
    )
    for k, fold in enumerate(folds):
        cut = run.rows[fold.train[-1]]
        X = run.features(run.regimes(run.reg_all.loc[:cut], max(1, run.hmm_restarts - 1)))
        _, y = run.labels(fold.train)
        inner = time_split(len(fold.train), 0.8, gap=run.horizon)
        X_tr, y_tr = X.iloc[fold.train[inner.train]], y[fold.train[inner.train]]
        X_es, y_es = X.iloc[fold.train[inner.valid]], y[fold.train[inner.valid]]
        booster = lgb.train(
            run.params,
            lgb.Dataset(X_tr, label=y_tr),
            num_boost_round=run.max_boost_rounds,
            valid_sets=[lgb.Dataset(X_es, label=y_es)],
            callbacks=[lgb.early_stopping(run.early_stopping_rounds, verbose=False)],
        )
        best = int(booster.best_iteration or run.max_boost_rounds)
        pred = np.asarray(booster.predict(X.iloc[fold.test], num_iteration=best))
        oof.raw[fold.test] = pred
        oof.y[fold.test] = y[fold.test]
        oof.ref[fold.test] = float(y[fold.train].mean())
        oof.fold_of[fold.test] = k
        fold_auc = None
        if len(set(y[fold.test].tolist())) == 2:
            fold_auc = round(auc_score(y[fold.test], pred), 4)
        oof.infos.append(
            FoldInfo(
                train_end=cut.to_pydatetime(),
                test_start=run.rows[fold.test[0]].to_pydatetime(),
                test_end=run.rows[fold.test[-1]].to_pydatetime(),
                n_train=len(fold.train),
                n_test=len(fold.test),
                best_iteration=best,
                auc=fold_auc,
            )
        )
    return oof


def _labelled_rows(
    bars: pd.DataFrame, indicators: Indicators, horizon: int, vol_window: int, ma_window: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Index, np.ndarray]:
    """The regime features, the other feature columns, the rows with every feature and a
    forward return over `horizon` bars, and those returns."""
    close = bars["close"].astype(np.float64)
    fwd = forward_returns(close, horizon)
    reg_all = regime_features(close, vol_window, ma_window)
    other = _other_columns(close, indicators, vol_window, ma_window)
    complete = pd.concat([reg_all, other], axis=1).replace([np.inf, -np.inf], np.nan).dropna()
    rows = complete.index.intersection(fwd.dropna().index)
    return reg_all, other, rows, fwd.loc[rows].to_numpy()


@dataclass
class _Served:
    """The served model: a regime HMM and a booster on every labelled row."""

    booster: lgb.Booster
    regime_model: RegimeModel
    features: list[str]
    threshold: float
    base_rate: float
    rounds: int


def _served_model(run: _Run, infos: list[FoldInfo]) -> _Served:
    """Fit on every labelled row, for the median early-stopped round count of the folds."""
    regime_model = run.regimes(run.reg_all, run.hmm_restarts, times=run.reg_all.index)
    X_all = run.features(regime_model)
    threshold, y_all = run.labels(slice(None))
    rounds = max(1, int(np.median([f.best_iteration for f in infos])))
    booster = lgb.train(run.params, lgb.Dataset(X_all, label=y_all), num_boost_round=rounds)
    base_rate = round(float(y_all.mean()), 4)
    return _Served(booster, regime_model, list(X_all.columns), threshold, base_rate, rounds)


def _oof_metrics(
    oof: _OutOfFold, r: np.ndarray, n_folds: int, *, block: int, n_boot: int, seed: int
) -> ScoreMetrics:
    """The walk-forward scores of the rows a fold tested: raw and walk-forward calibrated."""
    e = oof.fold_of >= 0
    cal = _walk_forward_calibration(oof, n_folds)
    return score_metrics(
        oof.y[e], oof.raw[e], r[e], cal[e], np.where(np.isfinite(cal), oof.ref, np.nan)[e],
        block=block, n_boot=n_boot, seed=seed,
    )  # fmt: skip


def _walk_forward_calibration(oof: _OutOfFold, n_folds: int) -> np.ndarray:
    """Fold k's predictions through a Platt calibrator fitted on the folds before it (NaN for
    the first fold and where the earlier folds hold one class only)."""
    cal = np.full(len(oof.raw), np.nan)
    for k in range(1, n_folds):
        before, this = (oof.fold_of >= 0) & (oof.fold_of < k), oof.fold_of == k
        if len(set(oof.y[before].tolist())) == 2:
            cal[this] = Platt.fit(oof.raw[before], oof.y[before])(oof.raw[this])
    return cal


def train_scorer(
    symbol: str,
    timeframe: str,
    direction: Direction,
    bars: pd.DataFrame,
    indicators: Indicators,
    *,
    horizon: int = 12,
    threshold_sigma: float = 0.25,
    n_folds: int = 6,
    embargo: int | None = None,
    initial_train_fraction: float = 0.4,
    max_boost_rounds: int = 500,
    early_stopping_rounds: int = 30,
    learning_rate: float = 0.05,
    num_leaves: int = 15,
    min_data_in_leaf: int = 20,
    threads: int = 1,
    hmm_restarts: int = 3,
    hmm_iter: int = 300,
    vol_window: int = 20,
    ma_window: int = 50,
    n_boot: int = 1000,
    bootstrap_block: int | None = None,
    seed: int = 0,
) -> TrainedScorer:
    """Walk-forward evaluation, calibration, then the served model (see the module docstring)."""
    t0 = time.monotonic()
    embargo = horizon if embargo is None else embargo
    block = bootstrap_block or max(2 * horizon, 10)
    params = _lgb_params(learning_rate, num_leaves, min_data_in_leaf, seed, threads)
    run = _Run(
        direction, horizon, threshold_sigma, max_boost_rounds, early_stopping_rounds,
        hmm_restarts, hmm_iter, vol_window, ma_window, seed, params,
        *_labelled_rows(bars, indicators, horizon, vol_window, ma_window),
    )  # fmt: skip
    rows = run.rows
    folds = walk_forward_folds(
        len(rows),
        n_folds=n_folds,
        horizon=horizon,
        embargo=embargo,
        initial_train_fraction=initial_train_fraction,
    )
    oof = _out_of_fold(run, folds)
    e = oof.fold_of >= 0
    metrics = _oof_metrics(oof, run.r, len(folds), block=block, n_boot=n_boot, seed=seed)
    served = _served_model(run, oof.infos)
    valid_idx = np.flatnonzero(e)
    valid_start = rows[valid_idx[0]].to_pydatetime()
    valid_end = rows[valid_idx[-1]].to_pydatetime()
    meta = ScoringMeta(
        symbol=symbol,
        timeframe=timeframe,
        direction=direction,
        trained_at=datetime.now(UTC),
        features=served.features,
        horizon_bars=horizon,
        threshold=served.threshold,
        train_start=rows[0].to_pydatetime(),
        train_end=rows[-1].to_pydatetime(),
        valid_start=valid_start,
        valid_end=valid_end,
        n_train=len(rows),
        n_valid=int(e.sum()),
        base_rate_train=served.base_rate,
        base_rate_valid=metrics.base_rate,
        auc_valid=metrics.auc.value,
        boost_rounds=served.rounds,
        folds=oof.infos,
        embargo_bars=embargo,
        calibration=Platt.fit(oof.raw[e], oof.y[e]),
        metrics=metrics,
        quality=score_quality(metrics, len(folds), valid_start, valid_end),
        params=params,
        regime_model=served.regime_model,
        train_seconds=round(time.monotonic() - t0, 3),
    )
    return TrainedScorer(served.booster, meta)


@dataclass
class Score:
    score: float
    probability: float
    raw_probability: float
    as_of: datetime
    contributions: list[dict[str, float | str]]
    bias: float


def score_latest(scorer: TrainedScorer, table: FeatureTable, top: int = 5) -> Score:
    """Score the newest bar with complete features: the calibrated probability, and the top
    contributions by |SHAP| (log-odds of the raw model)."""
    if table.X.empty:
        raise ValueError("no bar has complete features; ask for more bars")
    x = table.X[scorer.meta.features].iloc[[-1]]
    raw = float(scorer.booster.predict(x)[0])
    prob = float(scorer.meta.calibration(np.array([raw]))[0])
    contrib = np.asarray(scorer.booster.predict(x, pred_contrib=True))[0]
    values, bias = contrib[:-1], float(contrib[-1])
    order = np.argsort(-np.abs(values))[:top]
    return Score(
        score=round(100.0 * prob, 2),
        probability=prob,
        raw_probability=raw,
        as_of=x.index[0].to_pydatetime(),
        contributions=[
            {
                "feature": scorer.meta.features[i],
                "value": float(x.iloc[0, i]),
                "contribution": round(float(values[i]), 6),
            }
            for i in order
        ],
        bias=bias,
    )


def score_summary(direction: str, probability: float, meta: ScoringMeta) -> str:
    """One line for people: the calibrated probability, the base rate, and whether the model
    has shown an edge."""
    base = meta.metrics.base_rate
    head = f"{direction} {100 * probability:.0f}/100 (base rate {100 * base:.0f}/100)"
    if meta.quality.has_edge:
        return f"{head}; {meta.quality.summary}"
    return f"{head}: not a signal, {meta.quality.summary}"


# --- storage --------------------------------------------------------------------------------
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = _staged(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _staged(path: Path, text: str) -> str:
    """`text` written to a temporary file beside `path` (renamed onto it by the caller)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


class ScorerStore:
    """Scoring models under `directory/scoring/` (TS_HMM_DIR)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory) / "scoring"

    def _paths(self, symbol: str, timeframe: str, direction: str) -> tuple[Path, Path]:
        stem = _SAFE.sub("_", f"{symbol}_{timeframe}_{direction}")
        return self.directory / f"{stem}.txt", self.directory / f"{stem}.json"

    def save(self, scorer: TrainedScorer) -> None:
        self.save_all([scorer])

    def save_all(self, scorers: list[TrainedScorer]) -> None:
        """Save models as one step: every file is written under a temporary name first, then all
        are renamed together (models before metadata, which a reader looks for first), so a
        reader finds all of them or none but for the instants between the renames. An analysis
        asks for long and short together; saving one after the other let it find one of them
        while the other was still being written."""
        staged: list[tuple[str, Path]] = []
        try:
            for scorer in scorers:
                m = scorer.meta
                model_path, meta_path = self._paths(m.symbol, m.timeframe, m.direction)
                staged.append((_staged(model_path, scorer.booster.model_to_string()), model_path))
                staged.append((_staged(meta_path, m.model_dump_json(indent=2)), meta_path))
            for tmp, path in sorted(staged, key=lambda item: item[1].suffix == ".json"):
                os.replace(tmp, path)
        except BaseException:
            for tmp, _ in staged:
                Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, symbol: str, timeframe: str, direction: str) -> TrainedScorer | None:
        model_path, meta_path = self._paths(symbol, timeframe, direction)
        if not meta_path.exists():
            return None
        try:
            meta = ScoringMeta.model_validate(json.loads(meta_path.read_text(encoding="utf-8")))
            booster = lgb.Booster(model_str=model_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError, lgb.basic.LightGBMError) as exc:
            raise ScoringModelError(
                f"the scoring model {model_path.name} cannot be loaded ({type(exc).__name__}: "
                f"{str(exc)[:200]})"
            ) from exc
        if booster.feature_name() != meta.features:
            raise ScoringModelError(
                f"the scoring model {model_path.name} does not match its metadata"
            )
        return TrainedScorer(booster, meta)


class RegimeStore:
    """Regime models under `directory/regime/` as JSON."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory) / "regime"

    def _path(self, symbol: str, timeframe: str) -> Path:
        return self.directory / (_SAFE.sub("_", f"{symbol}_{timeframe}") + ".json")

    def save(self, symbol: str, timeframe: str, model: RegimeModel) -> None:
        _atomic_write_text(self._path(symbol, timeframe), model.model_dump_json(indent=2))

    def load(self, symbol: str, timeframe: str) -> RegimeModel | None:
        path = self._path(symbol, timeframe)
        if not path.exists():
            return None
        try:
            return RegimeModel.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError):
            return None  # refitted (a regime fit takes seconds)
