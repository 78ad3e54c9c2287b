"""NHITS against "no change" on bundled series (not part of `make test`), issue 13's targets.

Both services run as real uvicorn processes on loopback: the data service (bundled data) and
the NHITS service (CPU forced, default settings: 64-wide MLP, dropout 0.3, 3 seeds, early
stopping on 20 validation horizons, 50 calibration horizons, 200 held-out rolling origins).
For each series the bench trains through the API (POST .../train, polling progress), reads
what the service decided to serve (naive, nhits or blend, and why) and its evaluation on the
held-out origins after the training and calibration bars: relative MAE vs naive with a
block-bootstrap 95 % interval (of the served forecast and of the network alone), coverage per
level and per step, the Winkler interval score against the volatility baseline (last close +/-
z * sigma * sqrt(k)), MASE scaled on the evaluated bars. Then it times forecasts through the
service against the ensemble's prediction in this process.

Series: BTCUSD M15 and NVDA D1 (looked at while building this), AMZN D1 and MSFT D1 (never
run before the bench: the untuned check).

    nice -n 5 .venv/bin/python -m bench nhits_bench      # or: bench/nhits_bench.py
    NHITS_BENCH_SERIES="BTCUSD:M15,NVDA:D1" NHITS_BENCH_LATENCY_N=20 tune the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS, summary, write_result
from tests.unit.servers import free_port, wait_http

LATENCY_N = int(os.environ.get("NHITS_BENCH_LATENCY_N", "20"))
SEEDS = int(os.environ.get("NHITS_BENCH_SEEDS", "3"))
TRAIN_BARS = 8000
SERIES = [
    tuple(s.split(":"))
    for s in os.environ.get("NHITS_BENCH_SERIES", "BTCUSD:M15,NVDA:D1,AMZN:D1,MSFT:D1").split(",")
]
UNTUNED = {"AMZN D1", "MSFT D1"}
TARGETS: dict[str, Any] = {
    "relative_mae_max": 1.0,
    "relative_mae_ci_high_max": 1.02,
    "coverage_80": [0.77, 0.83],
    "coverage_95": [0.93, 0.97],
    "winkler_ratio_max": 1.0,
}


def _start(code: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _train(c: httpx.Client, symbol: str, tf: str) -> dict[str, Any]:
    r = c.post(f"/api/v1/forecast/{symbol}/train", params={"timeframe": tf})
    r.raise_for_status()
    job_id = r.json()["job_id"]
    last = -1.0
    while True:
        job: dict[str, Any] = c.get("/api/v1/training/progress", params={"job_id": job_id}).json()[
            "jobs"
        ][0]
        if job["status"] not in ("queued", "running"):
            if job["status"] != "succeeded":
                raise RuntimeError(f"training {symbol} {tf} {job['status']}: {job['error']}")
            return job
        if job["percent"] >= last + 20:
            last = job["percent"]
            print(
                f"   {symbol} {tf}: {job['percent']:.0f}% step {job['step']} loss {job['loss']}",
                flush=True,
            )
        time.sleep(0.5)


def _direct_latency(registry_dir: Path, symbol: str, tf: str, closes: np.ndarray) -> list[float]:
    """The ensemble's median (every seed through NeuralForecast.predict), in this process."""
    from tradingstack.core.timeframes import Timeframe
    from tradingstack.nhits import model as nh
    from tradingstack.nhits.registry import Registry

    stored = Registry(registry_dir).load(symbol, Timeframe(tf))
    hyper = nh.Hyper.from_json(stored.meta["hyper"])
    ens = nh.rebuild(hyper, nh.states_from_bytes(stored.weights, hyper.seeds), "cpu")
    for _ in range(3):
        ens.median([closes])
    out = []
    for _ in range(LATENCY_N):
        t = time.perf_counter()
        ens.median([closes])
        out.append(time.perf_counter() - t)
    return out


def _checks(ev: dict[str, Any]) -> dict[str, bool]:
    lo80, hi80 = TARGETS["coverage_80"]
    lo95, hi95 = TARGETS["coverage_95"]
    return {
        "relative_mae_le_1": ev["relative_mae"] <= TARGETS["relative_mae_max"] + 1e-12,
        "relative_mae_ci_high_le_1.02": ev["relative_mae_ci"][1]
        <= TARGETS["relative_mae_ci_high_max"],
        "coverage_80_in_range": lo80 <= ev["coverage"]["80"] <= hi80,
        "coverage_95_in_range": lo95 <= ev["coverage"]["95"] <= hi95,
        "winkler_no_worse_than_volatility_baseline": all(
            v <= TARGETS["winkler_ratio_max"] + 1e-12 for v in ev["winkler_ratio"].values()
        ),
    }


def main() -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="ts-nhits-bench-"))
    data_port, nhits_port = free_port(), free_port()
    env = {
        **os.environ,
        "TS_LOG_LEVEL": "WARNING",
        "TS_DATA_DIR": str(tmp / "data"),
        "TS_DATA_CACHE_TTL_SECONDS": "86400",
        "TS_DATA_URL": f"http://127.0.0.1:{data_port}",
        "TS_NHITS_DIR": str(tmp / "nhits"),
        "TS_NHITS_ACCELERATOR": "cpu",
        "TS_NHITS_RETRAIN_ENABLED": "false",
        "TS_NHITS_TRAIN_BARS": str(TRAIN_BARS),
        "TS_NHITS_SEEDS": str(SEEDS),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
    }
    env.pop("TS_API_TOKEN", None)
    procs = [
        _start(
            "import uvicorn; from tradingstack.data.app import create_app; "
            f"uvicorn.run(create_app(), host='127.0.0.1', port={data_port}, log_level='warning')",
            env,
            tmp / "data.log",
        ),
        _start(
            "import torch; torch.set_num_threads(2); "
            "import uvicorn; from tradingstack.nhits.app import create_app; "
            f"uvicorn.run(create_app(), host='127.0.0.1', port={nhits_port}, log_level='warning')",
            env,
            tmp / "nhits.log",
        ),
    ]
    results: dict[str, Any] = {}
    started = time.monotonic()

    def save(done: bool) -> dict[str, Any]:
        result = _result(results, time.monotonic() - started, done)
        print(write_result("nhits", result), flush=True)
        return result

    try:
        wait_http(f"http://127.0.0.1:{data_port}/health", timeout=300)
        wait_http(f"http://127.0.0.1:{nhits_port}/health", timeout=300)
        with httpx.Client(base_url=f"http://127.0.0.1:{nhits_port}", timeout=900) as c:
            for symbol, tf in SERIES:
                print(f"-- {symbol} {tf}: training on CPU", flush=True)
                t0 = time.monotonic()
                job = _train(c, symbol, tf)
                wall = time.monotonic() - t0
                meta = next(
                    m
                    for m in c.get("/api/v1/models").json()["items"]
                    if m["symbol"] == symbol and m["timeframe"] == tf
                )
                ev = c.get(f"/api/v1/forecast/{symbol}/evaluation", params={"timeframe": tf})
                ev.raise_for_status()
                body = ev.json()
                params = {"timeframe": tf}
                forecast = c.get(f"/api/v1/forecast/{symbol}", params=params)
                forecast.raise_for_status()
                for _ in range(3):
                    c.get(f"/api/v1/forecast/{symbol}", params=params).raise_for_status()
                service = []
                for _ in range(LATENCY_N):
                    t = time.perf_counter()
                    c.get(f"/api/v1/forecast/{symbol}", params=params).raise_for_status()
                    service.append(time.perf_counter() - t)
                need = meta["input_size"] * 2 + 1
                bars = httpx.get(
                    f"http://127.0.0.1:{data_port}/api/v1/ohlcv/{symbol}",
                    params={"timeframe": tf, "limit": need},
                ).json()["bars"]
                closes = np.array([b["close"] for b in bars], dtype=np.float64)
                direct = _direct_latency(tmp / "nhits", symbol, tf, closes)
                s_svc, s_dir = summary(service), summary(direct)
                h = body["holdout"]
                name = f"{symbol} {tf}"
                results[f"{symbol}_{tf}"] = {
                    "series": name,
                    "tuned_on": name not in UNTUNED,
                    "seeds": SEEDS,
                    "served": body["served"],
                    "served_reason": body["served_reason"],
                    "quality": body["quality"],
                    "verdict": body["verdict"],
                    "targets_met": _checks(h),
                    "data": meta["data"],
                    "horizon": meta["horizon"],
                    "input_size": meta["input_size"],
                    "training_cpu": {
                        **{
                            k: meta["training"][k]
                            for k in (
                                "steps",
                                "max_steps_per_seed",
                                "seeds",
                                "best_steps",
                                "best_val_losses",
                                "early_stopping",
                                "duration_seconds",
                            )
                        },
                        "job_wall_seconds": round(wall, 1),
                        "job_id": job["job_id"],
                    },
                    "intervals": meta["calibration"],
                    "holdout": h,
                    "forecast_example": {
                        "served": forecast.json()["model"]["served"],
                        "median_first": forecast.json()["median"][0],
                        "last_close": forecast.json()["last_bar"]["close"],
                    },
                    "latency": {
                        "service_http": s_svc,
                        "ensemble_direct": s_dir,
                        "service_over_direct_median_ratio": round(
                            s_svc["median_ms"] / s_dir["median_ms"], 3
                        ),
                    },
                }
                print(
                    f"   served {body['served']}: relMAE {h['relative_mae']:.3f} "
                    f"CI {[round(v, 3) for v in h['relative_mae_ci']]}; NHITS alone "
                    f"{h['relative_mae_nhits']:.3f} CI "
                    f"{[round(v, 3) for v in h['relative_mae_nhits_ci']]}; coverage "
                    f"{h['coverage']} (baseline {h['coverage_volatility_baseline']}); Winkler "
                    f"ratio {h['winkler_ratio']}; MASE {h['mase']:.3f}; train {wall:.0f}s",
                    flush=True,
                )
                save(done=False)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    return save(done=True)


def _kept() -> dict[str, Any]:
    """With NHITS_BENCH_KEEP=1, the series of the last result that this run does not redo."""
    path = RESULTS / "nhits.json"
    if os.environ.get("NHITS_BENCH_KEEP") != "1" or not path.exists():
        return {}
    old: dict[str, Any] = json.loads(path.read_text()).get("series", {})
    seeds = json.loads(path.read_text()).get("settings", {}).get("seeds")
    return {k: {"seeds": seeds, **v} for k, v in old.items()}


KEPT = _kept()


def _result(results: dict[str, Any], wall: float, done: bool) -> dict[str, Any]:
    result = {
        "settings": {
            "service_defaults": "TS_NHITS_* defaults but TS_NHITS_SEEDS: mlp_width 64, "
            "mlp_layers 2, dropout 0.3, max_steps 600 per seed, "
            "early stopping after 4 checks of 25 steps, "
            "val_windows 20, calib_windows 50, eval_origins 200, eval_stride = horizon "
            "(smaller when the series is too short), vol_window = input size",
            "train_bars_requested": TRAIN_BARS,
            "target": "log_price",
            "loss": "MAE (median)",
            "device": "cpu",
            "latency_samples": LATENCY_N,
            "seeds": SEEDS,
            "seeds_note": "per series in series.*.seeds (NHITS_BENCH_KEEP=1 keeps the series "
            "of the previous result that a run does not redo)",
            "wall_seconds": round(wall, 1),
            "complete": done,
        },
        "targets": TARGETS,
        "notes": [
            "Held-out origins come after the training span (whose last 20 horizons are the "
            "validation block) and after the 50 calibration horizons: nothing evaluated was "
            "trained, calibrated or selected on.",
            "relative_mae is the SERVED forecast's (naive when the service serves naive: then "
            "exactly 1.0 with CI [1, 1]); relative_mae_nhits is the network's own median.",
            "CI: circular block bootstrap over origins (2000 resamples, blocks >= the overlap).",
            "MASE scale: mean absolute one-bar change over the evaluated bars.",
            "Winkler ratio: interval score of the served intervals / the volatility baseline's "
            "(last close +/- z * sigma * sqrt(k), sigma = trailing std of log returns).",
            "tuned_on: false for series never run while this was built (the untuned check).",
        ],
        "series": {**{k: v for k, v in KEPT.items() if k not in results}, **results},
    }
    return result


if __name__ == "__main__":
    main()
