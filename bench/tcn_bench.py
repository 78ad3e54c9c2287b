"""TCN pattern benchmark: macro-F1 on a held-out synthetic set and on rule-labelled real windows,
and detection throughput (windows per second); written to bench/results/tcn.json.

    .venv/bin/python -m bench.tcn_bench [--per-class 150] [--epochs 10]

The real data service runs in a thread (bundled bars); the model trains on planted synthetic
patterns plus rule-labelled windows from the first 80 % of each real series; the real score is
on windows from the last 20 % (never trained on), labelled by the same rules.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.common import write_result
from tests.unit.servers import serve_app


def _frames(url: str, sources: list[Any], bars: int) -> dict[str, Any]:
    from tradingstack.core.data_client import DataClient

    async def go() -> dict[str, Any]:
        async with DataClient(url) as client:
            return {
                f"{s.symbol}:{s.timeframe}": await client.ohlcv_frame(
                    s.symbol, s.timeframe, limit=bars
                )
                for s in sources
            }

    return asyncio.run(go())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--test-per-class", type=int, default=60)
    args = parser.parse_args(argv or [])
    torch.set_num_threads(args.threads)

    from tradingstack.data.app import create_app as create_data_app
    from tradingstack.data.settings import DataSettings
    from tradingstack.tcn import detector, training
    from tradingstack.tcn.model import pick_device
    from tradingstack.tcn.patterns import CLASSES

    cfg = training.TrainConfig(synthetic_per_class=args.per_class, epochs=args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        with serve_app(create_data_app(DataSettings(dir=Path(tmp) / "data"))) as url:
            t0 = time.perf_counter()
            frames = _frames(url, cfg.real_sources, cfg.real_bars)
            fetch_s = time.perf_counter() - t0
    print(f"fetched {sum(len(f) for f in frames.values())} bars in {fetch_s:.1f}s", flush=True)

    last = {"t": time.perf_counter()}

    def progress(**kw: Any) -> None:
        if "phase" in kw:
            print(f"  {kw['phase']}", flush=True)
        if kw.get("step") and time.perf_counter() - last["t"] > 20:
            last["t"] = time.perf_counter()
            print(f"  step {kw['step']} loss {kw.get('loss'):.3f}", flush=True)

    t0 = time.perf_counter()
    result = training.train(cfg, frames, progress)
    train_s = time.perf_counter() - t0
    model, meta = result.model, result.meta
    device = pick_device(cfg.device)

    # held-out synthetic test set: its own random stream, never seen in training
    rng = np.random.default_rng([cfg.seed, 12345])
    test = training.synthetic_dataset(
        args.test_per_class, 2 * args.test_per_class, cfg.window_length, rng, cfg.length_range
    )
    synthetic_test = training.evaluate(model, test, device)

    # throughput: detection over the BTCUSD M15 series (features + model + NMS), and the
    # model alone on prepared windows
    frame = frames["BTCUSD:M15"]
    detector.detect(model, frame.iloc[:600], device)  # warm-up
    t0 = time.perf_counter()
    run = detector.detect(model, frame, device, min_confidence=0.6)
    detect_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    reps = 3
    for _ in range(reps):
        training.predict_proba(model, test.X, device)
    model_s = (time.perf_counter() - t0) / reps

    counts_real_val = meta.metrics["real_validation"]
    out = {
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "config": cfg.model_dump(mode="json"),
        "train": {
            "seconds": round(train_s, 1),
            "samples": meta.training["samples"],
            "synthetic_counts": meta.training["synthetic_counts"],
            "real_counts": meta.training["real_counts"],
            "loss_per_epoch": result.history,
        },
        "synthetic_test": synthetic_test,
        "synthetic_validation": meta.metrics["synthetic_validation"],
        "real_rule_labelled_holdout": counts_real_val,
        "real_sources": meta.training["real_sources"],
        "throughput": {
            "series": "BTCUSD:M15",
            "bars": len(frame),
            "windows": run.windows,
            "detections_at_0.6": len(run.detections),
            "detect_seconds": round(detect_s, 3),
            "windows_per_second_end_to_end": round(run.windows / detect_s, 1),
            "windows_per_second_model_only": round(len(test) / model_s, 1),
        },
        "chance_macro_f1": round(1 / len(CLASSES), 4),
        "notes": "real macro-F1 is agreement with the rule labeller on windows from the last 20% "
        "of each series (time split); the rules label noisy real data, so it measures how well "
        "the TCN reproduces the rules, not trading accuracy",
    }
    path = write_result("tcn", out)
    print(
        f"synthetic test macro-F1 {synthetic_test['macro_f1']}, real holdout macro-F1 "
        f"{counts_real_val.get('macro_f1')}, {out['throughput']['windows_per_second_end_to_end']}"
        f" windows/s end-to-end -> {path}"
    )
    return out


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
