"""LightGBM signal scoring: how likely a long (or short) entry now pays off over a horizon.

**Features** at bar t (all from bars <= t): the four filtered regime probabilities (an HMM
fitted on the training part only, then forward-filtered over every bar), technical indicators
from the data service (RSI, MACD, Bollinger bands, ATR, ADX, stochastic, CCI, MFI, ROC; price-
level ones divided by the close: MACD/close, ATR/close, Bollinger %B and band width), log
returns over 1, 5 and 20 bars, realised volatility and the distance from the moving average.

**Labels** from the forward log return over `horizon` bars, r = log(close[t+h] / close[t]):
long: r > threshold; short: r < -threshold; the threshold is `threshold_sigma` standard
deviations of r measured on the training rows. Long and short are separate models.

**Split** by time only, never at random: the first `train_fraction` of the labelled rows
train; the validation rows start `horizon` bars after the last training row (the purge gap:
a training label looks `horizon` bars ahead, so no validation bar's price is in a training
label). The AUC on that future holdout is stored with the model and reported as it is.

**Storage**: the booster in LightGBM's text format (`*.txt`), its metadata (features, split
times, threshold, AUC, the HMM's parameters) as JSON, each written to a temp file and
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
from sklearn.metrics import roc_auc_score

from tradingstack.core.schemas import Indicators
from tradingstack.hmm.regime import REGIMES, RegimeModel, fit_regimes, regime_features
from tradingstack.hmm.schemas import Direction


class ScoringModelError(Exception):
    """A saved scoring model cannot be used; the message says why."""


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
    after the last training row."""
    n_train = int(n * train_fraction)
    start_valid = n_train + gap
    if n_train < 50 or n - start_valid < 20:
        raise ValueError(
            f"{n} labelled rows are too few for a time-ordered split (train {n_train}, "
            f"validation {max(0, n - start_valid)}); ask for more bars"
        )
    return Split(np.arange(n_train), np.arange(start_valid, n))


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
    valid_start: datetime
    valid_end: datetime
    n_train: int
    n_valid: int
    base_rate_train: float
    base_rate_valid: float
    auc_valid: float | None = Field(description="ROC AUC on the future holdout (None: one class)")
    boost_rounds: int
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


def build_table(
    bars: pd.DataFrame,
    indicators: Indicators,
    regime_model: RegimeModel,
) -> FeatureTable:
    close = bars["close"].astype(np.float64)
    reg_raw = regime_features(close, regime_model.vol_window, regime_model.ma_window)
    probs = regime_model.regime_probabilities(reg_raw.to_numpy())
    regime = pd.DataFrame(probs, index=reg_raw.index, columns=[f"p_{r}" for r in REGIMES])
    table = pd.concat(
        [
            regime,
            base_features(close, regime_model.vol_window, regime_model.ma_window),
            indicator_features(indicators, close),
        ],
        axis=1,
    ).reindex(close.index)
    table = table.replace([np.inf, -np.inf], np.nan).dropna()
    return FeatureTable(table, close)


def forward_returns(close: pd.Series, horizon: int) -> pd.Series:
    logc = np.log(close.astype(np.float64))
    return logc.shift(-horizon) - logc


def train_scorer(
    symbol: str,
    timeframe: str,
    direction: Direction,
    bars: pd.DataFrame,
    indicators: Indicators,
    *,
    horizon: int = 12,
    threshold_sigma: float = 0.25,
    train_fraction: float = 0.8,
    boost_rounds: int = 200,
    learning_rate: float = 0.05,
    num_leaves: int = 15,
    min_data_in_leaf: int = 20,
    threads: int = 1,
    hmm_restarts: int = 3,
    hmm_iter: int = 300,
    vol_window: int = 20,
    ma_window: int = 50,
    seed: int = 0,
) -> TrainedScorer:
    """Fit the training-part HMM, build features and labels, split by time, train, evaluate."""
    t0 = time.monotonic()
    close = bars["close"].astype(np.float64)
    fwd = forward_returns(close, horizon)
    # The HMM used for the regime features sees the training part only.
    reg_all = regime_features(close, vol_window, ma_window)
    labelled_times = fwd.dropna().index
    cut = labelled_times[int(len(labelled_times) * train_fraction) - 1]
    reg_train = reg_all.loc[:cut]
    regime_model = fit_regimes(
        reg_train.to_numpy(),
        restarts=hmm_restarts,
        n_iter=hmm_iter,
        seed=seed,
        vol_window=vol_window,
        ma_window=ma_window,
        times=reg_train.index,
    )
    table = build_table(bars, indicators, regime_model)
    rows = table.X.index.intersection(fwd.dropna().index)
    X = table.X.loc[rows]
    r = fwd.loc[rows]
    split = time_split(len(rows), train_fraction, gap=horizon)
    r_train = r.iloc[split.train]
    threshold = float(threshold_sigma * r_train.std())
    y = (r > threshold) if direction == "long" else (r < -threshold)
    y = y.astype(int).to_numpy()
    X_train, y_train = X.iloc[split.train], y[split.train]
    X_valid, y_valid = X.iloc[split.valid], y[split.valid]
    assert X_train.index.max() < X_valid.index.min()  # time-ordered, never shuffled
    params = {
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
    booster = lgb.train(
        params,
        lgb.Dataset(X_train, label=y_train, free_raw_data=True),
        num_boost_round=boost_rounds,
    )
    auc: float | None = None
    if len(set(y_valid.tolist())) == 2:
        auc = round(float(roc_auc_score(y_valid, booster.predict(X_valid))), 4)
    meta = ScoringMeta(
        symbol=symbol,
        timeframe=timeframe,
        direction=direction,
        trained_at=datetime.now(UTC),
        features=list(X.columns),
        horizon_bars=horizon,
        threshold=threshold,
        train_start=X_train.index[0].to_pydatetime(),
        train_end=X_train.index[-1].to_pydatetime(),
        valid_start=X_valid.index[0].to_pydatetime(),
        valid_end=X_valid.index[-1].to_pydatetime(),
        n_train=len(X_train),
        n_valid=len(X_valid),
        base_rate_train=round(float(y_train.mean()), 4),
        base_rate_valid=round(float(y_valid.mean()), 4),
        auc_valid=auc,
        boost_rounds=boost_rounds,
        params=params,
        regime_model=regime_model,
        train_seconds=round(time.monotonic() - t0, 3),
    )
    return TrainedScorer(booster, meta)


@dataclass
class Score:
    score: float
    probability: float
    as_of: datetime
    contributions: list[dict[str, float | str]]
    bias: float


def score_latest(scorer: TrainedScorer, table: FeatureTable, top: int = 5) -> Score:
    """Score the newest bar with complete features; top contributions by |SHAP| (log-odds)."""
    if table.X.empty:
        raise ValueError("no bar has complete features; ask for more bars")
    x = table.X[scorer.meta.features].iloc[[-1]]
    prob = float(scorer.booster.predict(x)[0])
    contrib = np.asarray(scorer.booster.predict(x, pred_contrib=True))[0]
    values, bias = contrib[:-1], float(contrib[-1])
    order = np.argsort(-np.abs(values))[:top]
    return Score(
        score=round(100.0 * prob, 2),
        probability=prob,
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


# --- storage --------------------------------------------------------------------------------
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ScorerStore:
    """Scoring models under `directory/scoring/` (TS_HMM_DIR)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory) / "scoring"

    def _paths(self, symbol: str, timeframe: str, direction: str) -> tuple[Path, Path]:
        stem = _SAFE.sub("_", f"{symbol}_{timeframe}_{direction}")
        return self.directory / f"{stem}.txt", self.directory / f"{stem}.json"

    def save(self, scorer: TrainedScorer) -> None:
        m = scorer.meta
        model_path, meta_path = self._paths(m.symbol, m.timeframe, m.direction)
        _atomic_write_text(model_path, scorer.booster.model_to_string())
        _atomic_write_text(meta_path, m.model_dump_json(indent=2))

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
                f"{str(exc)[:200]}); retrain with ?retrain=true"
            ) from exc
        if booster.feature_name() != meta.features:
            raise ScoringModelError(
                f"the scoring model {model_path.name} does not match its metadata; retrain "
                "with ?retrain=true"
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
