"""NHITS on the bundled BTC-USD 15-minute and NVDA daily series (not part of `make test`).

Both services run as real uvicorn processes on loopback: the data service (bundled data) and
the NHITS service (CPU forced). For each series the bench trains through the API
(POST .../train, polling GET /training/progress), reads the walk-forward evaluation on the
held-out windows (MASE, sMAPE, directional accuracy, 80/95 % coverage, against the naive and
seasonal-naive forecasts), then times forecasts through the service (HTTP: data fetch +
inference) against calling neuralforecast's `NeuralForecast.predict` directly on the same
model and the same history in this process.

    .venv/bin/python -m bench nhits_bench        # or: .venv/bin/python bench/nhits_bench.py
    NHITS_BENCH_STEPS=500 NHITS_BENCH_WINDOWS=25 (defaults) tune the run.
"""

from __future__ import annotations

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

from bench.common import summary, write_result
from tests.unit.servers import free_port, wait_http

STEPS = int(os.environ.get("NHITS_BENCH_STEPS", "500"))
WINDOWS = int(os.environ.get("NHITS_BENCH_WINDOWS", "25"))
LATENCY_N = int(os.environ.get("NHITS_BENCH_LATENCY_N", "30"))
TRAIN_BARS = 8000
SERIES = [("BTCUSD", "M15"), ("NVDA", "D1")]


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
                f"   {symbol} {tf}: {job['percent']:.0f}% step {job['step']} loss {job['loss']} "
                f"eta {job['eta_seconds']}s",
                flush=True,
            )
        time.sleep(0.5)


def _direct_latency(registry_dir: Path, symbol: str, tf: str, closes: np.ndarray) -> list[float]:
    """NeuralForecast.predict on the saved model and the same history, in this process."""
    from tradingstack.core.timeframes import Timeframe
    from tradingstack.nhits import model as nh
    from tradingstack.nhits.registry import Registry

    stored = Registry(registry_dir).load(symbol, Timeframe(tf))
    hyper = nh.Hyper.from_json(stored.meta["hyper"])
    nf = nh.forecaster(nh.rebuild(hyper, nh.state_from_bytes(stored.weights), "cpu"))
    df = nh.frame(nh.to_target(closes[-hyper.input_size :], hyper.target))
    for _ in range(3):
        nf.predict(df=df)
    out = []
    for _ in range(LATENCY_N):
        t = time.perf_counter()
        nf.predict(df=df)
        out.append(time.perf_counter() - t)
    return out


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
        "TS_NHITS_MAX_STEPS": str(STEPS),
        "TS_NHITS_EVAL_WINDOWS": str(WINDOWS),
        "TS_NHITS_TRAIN_BARS": str(TRAIN_BARS),
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
            "import uvicorn; from tradingstack.nhits.app import create_app; "
            f"uvicorn.run(create_app(), host='127.0.0.1', port={nhits_port}, log_level='warning')",
            env,
            tmp / "nhits.log",
        ),
    ]
    results: dict[str, Any] = {}
    try:
        wait_http(f"http://127.0.0.1:{data_port}/health", timeout=180)
        wait_http(f"http://127.0.0.1:{nhits_port}/health", timeout=180)
        with httpx.Client(base_url=f"http://127.0.0.1:{nhits_port}", timeout=600) as c:
            for symbol, tf in SERIES:
                print(f"-- {symbol} {tf}: training {STEPS} steps on CPU", flush=True)
                job = _train(c, symbol, tf)
                meta = next(
                    m
                    for m in c.get("/api/v1/models").json()["items"]
                    if m["symbol"] == symbol and m["timeframe"] == tf
                )
                ev = c.get(f"/api/v1/forecast/{symbol}/evaluation", params={"timeframe": tf}).json()
                params = {"timeframe": tf}
                first = c.get(f"/api/v1/forecast/{symbol}", params=params)
                first.raise_for_status()
                for _ in range(3):
                    c.get(f"/api/v1/forecast/{symbol}", params=params).raise_for_status()
                service = []
                for _ in range(LATENCY_N):
                    t = time.perf_counter()
                    c.get(f"/api/v1/forecast/{symbol}", params=params).raise_for_status()
                    service.append(time.perf_counter() - t)
                bars = httpx.get(
                    f"http://127.0.0.1:{data_port}/api/v1/ohlcv/{symbol}",
                    params={"timeframe": tf, "limit": meta["input_size"]},
                ).json()["bars"]
                data_only = []
                with httpx.Client(base_url=f"http://127.0.0.1:{data_port}") as dc:
                    for _ in range(LATENCY_N):
                        t = time.perf_counter()
                        dc.get(
                            f"/api/v1/ohlcv/{symbol}",
                            params={"timeframe": tf, "limit": meta["input_size"]},
                        ).raise_for_status()
                        data_only.append(time.perf_counter() - t)
                closes = np.array([b["close"] for b in bars], dtype=np.float64)
                direct = _direct_latency(tmp / "nhits", symbol, tf, closes)
                s_svc, s_dir, s_data = summary(service), summary(direct), summary(data_only)
                training = meta["training"]
                results[f"{symbol}_{tf}"] = {
                    "series": f"{symbol} {tf}",
                    "bars_trained": meta["data"]["bars"]
                    - meta["data"]["holdout_bars"]
                    - meta["data"]["calibration_bars"],
                    "data": meta["data"],
                    "horizon": meta["horizon"],
                    "input_size": meta["input_size"],
                    "training_cpu": {
                        "steps": training["steps"],
                        "seconds": training["duration_seconds"],
                        "ms_per_step": round(
                            1000 * training["duration_seconds"] / training["steps"], 2
                        ),
                        "final_loss": training["final_loss"],
                        "job_id": job["job_id"],
                    },
                    "calibration": meta["calibration"],
                    "walk_forward": ev["holdout"],
                    "latency": {
                        "service_http": s_svc,
                        "neuralforecast_direct": s_dir,
                        "data_fetch_only": s_data,
                        "service_over_direct_median_ratio": round(
                            s_svc["median_ms"] / s_dir["median_ms"], 3
                        ),
                    },
                }
                h = ev["holdout"]
                print(
                    f"   MASE {h['mase']:.3f} (naive {h['mase_naive']:.3f}, seasonal naive "
                    f"{h['mase_seasonal_naive']:.3f}) sMAPE {h['smape']:.3f}% DA "
                    f"{h['directional_accuracy']:.3f} (base {h['directional_base_rate']:.3f}) "
                    f"coverage {h['coverage']} train {training['duration_seconds']}s; "
                    f"latency svc {s_svc['median_ms']}ms direct {s_dir['median_ms']}ms",
                    flush=True,
                )
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    result = {
        "settings": {
            "max_steps": STEPS,
            "eval_windows": WINDOWS,
            "calib_windows": 8,
            "train_bars_requested": TRAIN_BARS,
            "target": "log_price",
            "loss": "MQLoss(level=[80, 95])",
            "device": "cpu",
            "latency_samples": LATENCY_N,
        },
        "notes": [
            "Walk-forward: the last eval_windows windows of `horizon` bars are held out at "
            "training time; window k forecasts them from the bars before it.",
            "MASE divides MAE by the mean absolute one-step change of the newest 500 training "
            "bars; "
            "mase_naive is the last-close forecast on the same windows.",
            "Directional base rate: the share of the more frequent direction among actual moves.",
            "Intervals: MQLoss quantiles widened by split-conformal factors fitted on the 8 "
            "windows before the held-out ones (kept out of training too).",
            "service_http = GET /api/v1/forecast (data-service fetch + inference + JSON); "
            "neuralforecast_direct = NeuralForecast.predict on the same model and history.",
        ],
        "series": results,
    }
    path = write_result("nhits", result)
    print(path)
    return result


if __name__ == "__main__":
    main()
