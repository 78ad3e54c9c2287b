"""HMM regime and LightGBM scoring benchmark; written to bench/results/hmm.json.

    .venv/bin/python -m bench.hmm_bench [--restarts 5]

- HMM fit time on 10,000 bars: every BTCUSD M15 bar (~8,700) plus the newest NVDA D1 bars to
  make 10,000, fitted as two sequences (hmmlearn `lengths`, so no transition is learnt across
  the seam); each series' features are standardised on their own first, since 15-minute and
  daily returns differ in scale. Timed for one restart and for the service's default restarts.
- Regime persistence: the diagonal of the transition matrix, the expected durations
  1/(1-p_ii), and the mean run length of the forward-filtered regime labels, per series.
- LightGBM AUC on a time-ordered holdout (last 20 %, horizon purged) for long and short, on
  BTCUSD M15, BTCUSD H1 and NVDA D1 (all bars the data service has).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import write_result
from tests.unit.servers import serve_app


def _runs(labels: list[str]) -> dict[str, Any]:
    runs: dict[str, list[int]] = {}
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            runs.setdefault(labels[start], []).append(i - start)
            start = i
    all_runs = [r for rs in runs.values() for r in rs]
    return {
        "mean_run_length_bars": round(float(np.mean(all_runs)), 2),
        "switches": len(all_runs) - 1,
        "per_regime": {
            k: {
                "runs": len(v),
                "mean_bars": round(float(np.mean(v)), 2),
                "share": round(sum(v) / len(labels), 4),
            }
            for k, v in sorted(runs.items())
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--n-iter", type=int, default=500)
    parser.add_argument("--total-bars", type=int, default=10_000)
    args = parser.parse_args(argv or [])

    from tradingstack.core.data_client import DataClient
    from tradingstack.data.app import create_app as create_data_app
    from tradingstack.data.settings import DataSettings
    from tradingstack.hmm.regime import REGIMES, fit_regimes, regime_features
    from tradingstack.hmm.scoring import train_scorer
    from tradingstack.hmm.settings import HmmSettings

    s = HmmSettings()
    series = {"BTCUSD:M15": ("BTCUSD", "M15"), "BTCUSD:H1": ("BTCUSD", "H1"),
              "NVDA:D1": ("NVDA", "D1")}  # fmt: skip

    async def fetch(url: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with DataClient(url, timeout=120) as client:
            for name, (sym, tf) in series.items():
                bars = await client.ohlcv_frame(sym, tf, limit=20_000)
                ind = await client.indicators(sym, tf, names=s.indicators, limit=len(bars))
                out[name] = (bars, ind)
        return out

    with tempfile.TemporaryDirectory() as tmp:
        data_settings = DataSettings(dir=Path(tmp) / "data", max_limit=20_000)
        with serve_app(create_data_app(data_settings)) as url:
            data = asyncio.run(fetch(url))
    for name, (bars, _) in data.items():
        print(f"{name}: {len(bars)} bars {bars.index[0]} .. {bars.index[-1]}", flush=True)

    # --- HMM fit on 10,000 bars ----------------------------------------------------------
    m15 = regime_features(data["BTCUSD:M15"][0]["close"], s.vol_window, s.ma_window)
    d1_all = regime_features(data["NVDA:D1"][0]["close"], s.vol_window, s.ma_window)
    d1 = d1_all.iloc[-(args.total_bars - len(m15)) :]

    def z(f: pd.DataFrame) -> np.ndarray:
        a = f.to_numpy()
        return (a - a.mean(axis=0)) / a.std(axis=0)

    X = np.concatenate([z(m15), z(d1)])
    lengths = [len(m15), len(d1)]
    fits: dict[str, Any] = {}
    model = None
    for restarts in sorted({1, args.restarts}):
        t0 = time.perf_counter()
        model = fit_regimes(X, lengths=lengths, restarts=restarts, n_iter=args.n_iter, tol=s.tol)
        secs = time.perf_counter() - t0
        fits[f"restarts_{restarts}"] = {
            "seconds": round(secs, 2),
            "seconds_per_restart": round(secs / restarts, 2),
            "converged": model.converged,
            "converged_restarts": model.converged_restarts,
            "iterations_of_best": model.iterations,
            "log_likelihood": round(model.log_likelihood, 2),
        }
        print(f"fit {restarts} restart(s): {secs:.1f}s", flush=True)
    assert model is not None
    trans = model.regime_transmat()
    persistence: dict[str, Any] = {
        "transmat_diagonal": {r: round(float(trans[i, i]), 4) for i, r in enumerate(REGIMES)},
        "expected_duration_bars": {r: round(v, 2) for r, v in model.expected_durations().items()},
    }
    offset = 0
    for name, length in (("BTCUSD:M15", lengths[0]), ("NVDA:D1", lengths[1])):
        probs = model.regime_probabilities(X[offset : offset + length])
        labels = [REGIMES[i] for i in probs.argmax(axis=1)]
        persistence[f"filtered_{name}"] = _runs(labels)
        offset += length

    # --- LightGBM AUC ------------------------------------------------------------------------
    scoring: dict[str, Any] = {}
    for name, (bars, ind) in data.items():
        for direction in ("long", "short"):
            t0 = time.perf_counter()
            scorer = train_scorer(
                name.split(":")[0], name.split(":")[1], direction, bars, ind,
                horizon=s.horizon_bars, threshold_sigma=s.threshold_sigma,
                train_fraction=s.train_fraction, boost_rounds=s.boost_rounds,
                learning_rate=s.learning_rate, num_leaves=s.num_leaves,
                min_data_in_leaf=s.min_data_in_leaf, threads=1, hmm_restarts=3,
                hmm_iter=args.n_iter, vol_window=s.vol_window, ma_window=s.ma_window,
            )  # fmt: skip
            m = scorer.meta
            scoring[f"{name}:{direction}"] = {
                "auc_holdout": m.auc_valid,
                "base_rate_train": m.base_rate_train,
                "base_rate_holdout": m.base_rate_valid,
                "n_train": m.n_train,
                "n_holdout": m.n_valid,
                "train": [m.train_start.isoformat(), m.train_end.isoformat()],
                "holdout": [m.valid_start.isoformat(), m.valid_end.isoformat()],
                "horizon_bars": m.horizon_bars,
                "threshold_log_return": round(m.threshold, 6),
                "features": len(m.features),
                "seconds": round(time.perf_counter() - t0, 2),
            }
            print(f"{name} {direction}: AUC {m.auc_valid}", flush=True)
    aucs = [v["auc_holdout"] for v in scoring.values() if v["auc_holdout"] is not None]
    out = {
        "hmm_fit": {
            "bars": int(sum(lengths)),
            "sequences": {"BTCUSD:M15 (all)": lengths[0], "NVDA:D1 (newest)": lengths[1]},
            "n_iter_max": args.n_iter,
            "tol": s.tol,
            "covariance": "full",
            "states": 4,
            **fits,
        },
        "regime_persistence": persistence,
        "lightgbm": scoring,
        "lightgbm_mean_auc": round(float(np.mean(aucs)), 4) if aucs else None,
        "notes": "AUC near 0.5 means no edge on the future holdout; reported as measured",
    }
    path = write_result("hmm", out)
    print(f"-> {path}")
    return out


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
