"""Service-hop overheads (issue 18, item 3), each a ratio against its anchor in the same run.

- embedder: sentences per second through the service (its own uvicorn process, LRU cache off,
  sequential POSTs of 64 texts, the client parses the answer) vs. sentence-transformers'
  `SentenceTransformer.encode` on the same 1024 texts in this process (a worker thread, batch
  32). Target: service >= 0.95x of direct.
- gateway: GET /api/v1/ohlcv/BTCUSD?timeframe=H1&limit=500 (warm cache) through the local
  gateway vs. straight to the data service (both real uvicorn processes). Target <= 1.1x.
- nhits: GET /api/v1/forecast/BTCUSD?timeframe=H1 through the NHITS service (the model is
  trained first through the API with small settings: this measures serving, not skill) vs.
  neuralforecast called directly in this process: `NeuralForecast.predict(df)` of every seed's
  network on the same last bars, and the median over seeds. Target <= 1.1x.

Each part interleaves anchor and service in rounds (a change of machine load hits both alike)
and reports the median of the per-round ratios, with the load average before and after.

    OVERHEADS_LABEL=before nice -n 5 .venv/bin/python -m bench overheads_bench
    OVERHEADS_PARTS=gateway,nhits OVERHEADS_ROUNDS=5 tune a run; results merge by label into
    bench/results/overheads.json.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS, summary, write_result
from tests.unit.servers import free_port, wait_http

LABEL = os.environ.get("OVERHEADS_LABEL", "after")
PARTS = os.environ.get("OVERHEADS_PARTS", "embedder,embedder_concurrent,gateway,nhits").split(",")
ROUNDS = int(os.environ.get("OVERHEADS_ROUNDS", "7"))
# one torch thread on both sides: on a shared 2-core box a second thread mostly spins
THREADS = os.environ.get("OVERHEADS_THREADS", "1")
TARGETS = {
    "embedder_service_over_direct_throughput_min": 0.95,
    "gateway_over_direct_latency_max": 1.1,
    "nhits_service_over_neuralforecast_latency_max": 1.1,
}


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TS_LOG_LEVEL": "WARNING",
        "TS_DATA_DIR": str(tmp / "data"),
        "TS_DATA_CACHE_TTL_SECONDS": "86400",
        "OMP_NUM_THREADS": THREADS,
        **extra,
    }
    env.pop("TS_API_TOKEN", None)
    return env


@contextmanager
def _serve(code: str, env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """`code` builds `app`; it runs under uvicorn (the services' keep-alive) on a free port."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import torch; torch.set_num_threads({THREADS})\n"
            f"{code}\nimport uvicorn\n"
            f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning', "
            "timeout_keep_alive=120)",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Meter:
    """Wall and CPU seconds of a call: CPU of this process (all its threads: the client, or
    the direct call) plus that of the service processes `pids` (0 for a direct call)."""

    def __init__(self, pids: list[int]) -> None:
        self.procs = [psutil.Process(p) for p in pids]

    def _cpu(self, procs: list[psutil.Process]) -> float:
        own = time.process_time()
        return own + sum(t.user + t.system for t in (p.cpu_times() for p in procs))

    def time(self, fn: Callable[[], Any], service: bool) -> tuple[float, float]:
        procs = self.procs if service else []
        c0, t0 = self._cpu(procs), time.perf_counter()
        fn()
        return time.perf_counter() - t0, self._cpu(procs) - c0


def _pairs(
    meter: Meter, direct: Callable[[], Any], service: Callable[[], Any], n: int, k: int
) -> dict[str, list[float]]:
    """`n` calls each, interleaved one by one (which goes first alternates)."""
    out: dict[str, list[float]] = {"dw": [], "dc": [], "sw": [], "sc": []}

    def one(side: str) -> None:
        w, c = meter.time(direct if side == "d" else service, side == "s")
        out[side + "w"].append(w)
        out[side + "c"].append(c)

    for j in range(n):
        for side in ("d", "s") if (j + k) % 2 == 0 else ("s", "d"):
            one(side)
    return out


def _ratio_summary(ratios: list[float]) -> dict[str, Any]:
    return {
        "median": round(statistics.median(ratios), 3),
        "per_round": [round(r, 3) for r in ratios],
    }


# --- embedder ---------------------------------------------------------------------------------
EMB_N = int(os.environ.get("OVERHEADS_EMBED_N", "192"))
EMB_BATCH = 64


def _embedder(tmp: Path) -> dict[str, Any]:
    import torch

    from bench.embedder_bench import sentences

    torch.set_num_threads(int(THREADS))
    from tradingstack.embedder.text import TextEncoder

    texts = sentences(EMB_N * ROUNDS)
    model = TextEncoder(device="cpu", cache_size=0).model
    pool = ThreadPoolExecutor(1)  # one long-lived worker thread, as a server would use

    def direct(batch: list[str]) -> Any:
        def run() -> Any:
            return model.encode(
                batch, batch_size=32, normalize_embeddings=True, show_progress_bar=False
            )

        return pool.submit(run).result()

    env = _env(tmp, TS_EMBEDDER_CACHE_SIZE="0", TS_EMBEDDER_DEVICE="cpu")
    code = "from tradingstack.embedder.app import create_app\napp = create_app()"
    load0 = _load()
    encodings = ["float", "base64"]
    with _serve(code, env, tmp / "embedder.log") as (url, pid):
        wait_http(f"{url}/health", timeout=300)
        direct(texts[:EMB_BATCH])  # warm-up
        meter = Meter([pid])
        with httpx.Client(base_url=url, timeout=300) as c:
            probe = c.post(
                "/api/v1/embed/text", json={"texts": texts[:EMB_BATCH], "encoding": "base64"}
            )
            probe.raise_for_status()
            if "embeddings_base64" not in probe.json():
                encodings = ["float"]  # the service has no base64 answer (before issue 18)
            sizes = {}
            for enc in encodings:
                r = c.post("/api/v1/embed/text", json={"texts": texts[:EMB_BATCH], "encoding": enc})
                sizes[enc] = len(r.content)

            def service(batch: list[str], enc: str) -> None:
                r = c.post("/api/v1/embed/text", json={"texts": batch, "encoding": enc})
                r.raise_for_status()
                body = r.json()
                if enc == "base64":
                    vecs = np.frombuffer(base64.b64decode(body["embeddings_base64"]), "<f4")
                    assert vecs.size == len(batch) * body["dimension"]
                else:
                    assert len(body["embeddings"]) == len(batch)

            per: dict[str, list[dict[str, float]]] = {e: [] for e in encodings}
            for k in range(ROUNDS):
                # fresh texts each round (nothing cached anywhere), request by request
                chunk = texts[k * EMB_N : (k + 1) * EMB_N]
                batches = [chunk[i : i + EMB_BATCH] for i in range(0, EMB_N, EMB_BATCH)]
                for enc in encodings:
                    sums = {"dw": 0.0, "dc": 0.0, "sw": 0.0, "sc": 0.0}
                    for j, batch in enumerate(batches):
                        out = _pairs(
                            meter,
                            functools.partial(direct, batch),
                            functools.partial(service, batch, enc),
                            1,
                            k + j,
                        )
                        for key in sums:
                            sums[key] += out[key][0]
                    per[enc].append(sums)
    pool.shutdown()
    result: dict[str, Any] = {
        "what": f"{EMB_N} new sentences a round, sequential POST /api/v1/embed/text of "
        f"{EMB_BATCH} (cache off, own process, the client decodes the answer) vs "
        f"SentenceTransformer.encode(the same {EMB_BATCH}, batch_size=32) in a worker thread of "
        "this process, interleaved request by request; throughput ratio = direct seconds / "
        "service seconds (wall), and the same of CPU seconds (this process + the service's)",
        "response_bytes_per_64": sizes,
        "load_before_after": [load0, _load()],
    }
    for enc, rounds in per.items():
        result[f"encoding_{enc}"] = {
            "direct_sentences_per_second": round(
                EMB_N / statistics.median(r["dw"] for r in rounds), 1
            ),
            "service_sentences_per_second": round(
                EMB_N / statistics.median(r["sw"] for r in rounds), 1
            ),
            "service_over_direct_throughput_wall": _ratio_summary(
                [r["dw"] / r["sw"] for r in rounds]
            ),
            "service_over_direct_throughput_cpu": _ratio_summary(
                [r["dc"] / r["sc"] for r in rounds]
            ),
        }
    return result


CONC_REQUESTS, CONC_TEXTS = 8, 8


def _embedder_concurrent(tmp: Path) -> dict[str, Any]:
    """8 clients at once, 8 texts each (rag embedding a few chunks per call): the service's
    throughput vs. the same 8 encode calls in this process, one after the other."""
    import torch

    from bench.embedder_bench import sentences

    torch.set_num_threads(int(THREADS))
    from tradingstack.embedder.text import TextEncoder

    per_round = CONC_REQUESTS * CONC_TEXTS
    texts = sentences(per_round * ROUNDS * 2)
    model = TextEncoder(device="cpu", cache_size=0).model
    pool = ThreadPoolExecutor(1)

    def direct(batches: list[list[str]]) -> None:
        def run() -> None:
            for b in batches:
                model.encode(b, batch_size=32, normalize_embeddings=True, show_progress_bar=False)

        pool.submit(run).result()

    env = _env(tmp, TS_EMBEDDER_CACHE_SIZE="0", TS_EMBEDDER_DEVICE="cpu")
    code = "from tradingstack.embedder.app import create_app\napp = create_app()"
    load0 = _load()
    with _serve(code, env, tmp / "embedder.log") as (url, pid):
        wait_http(f"{url}/health", timeout=300)
        meter = Meter([pid])

        def service(batches: list[list[str]]) -> None:
            async def fire() -> None:
                async with httpx.AsyncClient(base_url=url, timeout=300) as c:
                    answers = await asyncio.gather(
                        *(c.post("/api/v1/embed/text", json={"texts": b}) for b in batches)
                    )
                for b, r in zip(batches, answers, strict=True):
                    r.raise_for_status()
                    assert len(r.json()["embeddings"]) == len(b)

            asyncio.run(fire())

        def batches(k: int) -> list[list[str]]:
            chunk = texts[k * per_round : (k + 1) * per_round]
            return [chunk[i : i + CONC_TEXTS] for i in range(0, per_round, CONC_TEXTS)]

        direct(batches(0))
        service(batches(1))
        rounds = []
        for k in range(ROUNDS):
            d, s = batches(2 * k), batches(2 * k + 1)
            if k % 2:
                d, s = s, d
            out = _pairs(meter, functools.partial(direct, d), functools.partial(service, s), 1, k)
            rounds.append({key: v[0] for key, v in out.items()})
    pool.shutdown()
    return {
        "what": f"{CONC_REQUESTS} concurrent POST /api/v1/embed/text of {CONC_TEXTS} new texts "
        f"each (cache off, own process) vs the same {CONC_REQUESTS} encode calls of "
        f"{CONC_TEXTS} in a worker thread of this process; throughput = direct seconds / "
        "service seconds",
        "direct_sentences_per_second": round(
            per_round / statistics.median(r["dw"] for r in rounds), 1
        ),
        "service_sentences_per_second": round(
            per_round / statistics.median(r["sw"] for r in rounds), 1
        ),
        "service_over_direct_throughput_wall": _ratio_summary([r["dw"] / r["sw"] for r in rounds]),
        "service_over_direct_throughput_cpu": _ratio_summary([r["dc"] / r["sc"] for r in rounds]),
        "load_before_after": [load0, _load()],
    }


# --- gateway ----------------------------------------------------------------------------------
GW_PARAMS: dict[str, str | int] = {"timeframe": "H1", "limit": 500}
GW_REQUESTS = 50  # per round and side


async def _latencies(c: httpx.AsyncClient, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = await c.get(url, params=GW_PARAMS)
        r.raise_for_status()
        out.append(time.perf_counter() - t)
    return out


def _gateway(tmp: Path) -> dict[str, Any]:
    env = _env(tmp)
    load0 = _load()
    with _serve(
        "from tradingstack.data.app import create_app\napp = create_app()", env, tmp / "data.log"
    ) as (data_url, _):
        wait_http(f"{data_url}/health", timeout=120)
        code = (
            "from tradingstack.local.gateway import create_gateway\n"
            f"app = create_gateway({{'data': {data_url!r}}})"
        )
        with _serve(code, env, tmp / "gateway.log") as (gw_url, _):
            wait_http(f"{gw_url}/data/health", timeout=120)
            direct = f"{data_url}/api/v1/ohlcv/BTCUSD"
            via = f"{gw_url}/data/api/v1/ohlcv/BTCUSD"

            async def run() -> tuple[list[list[float]], list[list[float]], int, int]:
                async with httpx.AsyncClient(timeout=30) as c:
                    a = await c.get(direct, params=GW_PARAMS)
                    b = await c.get(via, params=GW_PARAMS)
                    assert a.json()["bars"] == b.json()["bars"], "the gateway changed the bars"
                    await _latencies(c, direct, 20)
                    await _latencies(c, via, 20)
                    d, g = [], []
                    for k in range(ROUNDS):
                        dk, gk = [], []
                        for j in range(GW_REQUESTS):  # request by request, alternating first
                            if (j + k) % 2 == 0:
                                dk += await _latencies(c, direct, 1)
                                gk += await _latencies(c, via, 1)
                            else:
                                gk += await _latencies(c, via, 1)
                                dk += await _latencies(c, direct, 1)
                        d.append(dk)
                        g.append(gk)
                    return d, g, len(a.content), len(a.json()["bars"])

            d, g, size, bars = asyncio.run(run())
    ratios = [statistics.median(gi) / statistics.median(di) for di, gi in zip(d, g, strict=True)]
    flat_d = [x for r in d for x in r]
    flat_g = [x for r in g for x in r]
    return {
        "what": f"GET /api/v1/ohlcv/BTCUSD?timeframe=H1&limit=500 (warm cache, {bars} bars, "
        f"{size} bytes), {GW_REQUESTS} sequential requests per round and side, interleaved one "
        "by one, one keep-alive client",
        "direct": summary(flat_d),
        "via_gateway": summary(flat_g),
        "hop_ms": round(summary(flat_g)["median_ms"] - summary(flat_d)["median_ms"], 3),
        "gateway_over_direct_latency": _ratio_summary(ratios),
        "load_before_after": [load0, _load()],
    }


# --- nhits ------------------------------------------------------------------------------------
NH_SYMBOL, NH_TF = "BTCUSD", "H1"
NH_N = int(os.environ.get("OVERHEADS_NHITS_N", "15"))  # per round and side


def _nhits(tmp: Path) -> dict[str, Any]:
    import torch

    torch.set_num_threads(int(THREADS))

    from tradingstack.core.timeframes import Timeframe
    from tradingstack.nhits import model as nh
    from tradingstack.nhits.registry import Registry

    env = _env(
        tmp,
        TS_NHITS_DIR=str(tmp / "nhits"),
        TS_NHITS_ACCELERATOR="cpu",
        TS_NHITS_RETRAIN_ENABLED="false",
        TS_NHITS_MAX_STEPS="30",
        TS_NHITS_TRAIN_BARS="1500",
        TS_NHITS_EVAL_ORIGINS="20",
        TS_NHITS_CALIB_WINDOWS="20",
        TS_NHITS_SEEDS="3",
    )
    load0 = _load()
    with _serve(
        "from tradingstack.data.app import create_app\napp = create_app()", env, tmp / "data.log"
    ) as (data_url, data_pid):
        wait_http(f"{data_url}/health", timeout=300)
        env["TS_DATA_URL"] = data_url
        code = "from tradingstack.nhits.app import create_app\napp = create_app()"
        with (
            _serve(code, env, tmp / "nhits.log") as (url, nhits_pid),
            httpx.Client(base_url=url, timeout=900) as c,
        ):
            wait_http(f"{url}/health", timeout=300)
            t0 = time.monotonic()
            r = c.post(f"/api/v1/forecast/{NH_SYMBOL}/train", params={"timeframe": NH_TF})
            r.raise_for_status()
            path = f"/api/v1/forecast/{NH_SYMBOL}"
            params = {"timeframe": NH_TF}
            # the job's API changes with the service's versions: wait for the forecast itself
            while c.get(path, params=params).status_code != 200:
                assert time.monotonic() - t0 < 900, "the model did not train in 15 minutes"
                time.sleep(2)
            train_s = time.monotonic() - t0
            served = c.get(path, params=params)
            served.raise_for_status()

            stored = Registry(tmp / "nhits").load(NH_SYMBOL, Timeframe(NH_TF))
            hyper = nh.Hyper.from_json(stored.meta["hyper"])
            ens = nh.rebuild(hyper, nh.states_from_bytes(stored.weights, hyper.seeds), "cpu")
            nfs = [nh.forecaster(net) for net in ens.nets]
            need = hyper.input_size + hyper.vol_window + 1
            bars = httpx.get(
                f"{data_url}/api/v1/ohlcv/{NH_SYMBOL}", params={"timeframe": NH_TF, "limit": need}
            ).json()["bars"]
            closes = np.array([b["close"] for b in bars], dtype=np.float64)
            df = nh.frame(closes, hyper, keep=hyper.input_size)

            def direct_once() -> np.ndarray:
                paths = [nf.predict(df=df)[nh.MODEL_NAME].to_numpy(dtype=np.float64) for nf in nfs]
                return np.median(np.stack(paths), axis=0)

            # the service answers what neuralforecast computes (served or not, nhits_median is
            # the network's median path in price space)
            want = nh.from_target(direct_once(), hyper.target)
            got = np.array(served.json()["nhits_median"])
            agree = float(np.max(np.abs(got - want) / np.abs(want)))

            pool = ThreadPoolExecutor(1)  # the direct calls in one worker thread

            def direct() -> None:
                pool.submit(direct_once).result()

            def service() -> None:
                c.get(path, params=params).raise_for_status()

            meter = Meter([nhits_pid, data_pid])
            for _ in range(3):
                direct()
                service()
            rounds = [_pairs(meter, direct, service, NH_N, k) for k in range(ROUNDS)]
            pool.shutdown()
    med = statistics.median
    return {
        "what": f"GET /api/v1/forecast/{NH_SYMBOL}?timeframe={NH_TF} (HTTP, own process, data "
        "service fetch included) vs NeuralForecast.predict(df) of each of the "
        f"{hyper.seeds} seeds' networks + median over seeds, in this process (a worker thread);"
        f" {NH_N} sequential calls per round and side, interleaved one by one",
        "model": {
            "seeds": hyper.seeds,
            "h": hyper.h,
            "input_size": hyper.input_size,
            "train_seconds": round(train_s, 1),
        },
        "service_vs_direct_max_relative_difference": agree,
        "service": summary([x for r in rounds for x in r["sw"]]),
        "neuralforecast_direct": summary([x for r in rounds for x in r["dw"]]),
        "service_over_direct_latency_wall": _ratio_summary(
            [med(r["sw"]) / med(r["dw"]) for r in rounds]
        ),
        "service_over_direct_cpu": _ratio_summary([med(r["sc"]) / med(r["dc"]) for r in rounds]),
        "load_before_after": [load0, _load()],
    }


PART_FUNCS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "embedder": _embedder,
    "embedder_concurrent": _embedder_concurrent,
    "gateway": _gateway,
    "nhits": _nhits,
}


def main() -> dict[str, Any]:
    path = RESULTS / "overheads.json"
    old: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    runs: dict[str, Any] = old.get("runs", {})
    run = runs.setdefault(LABEL, {})
    for part in PARTS:
        tmp = Path(tempfile.mkdtemp(prefix=f"ts-overheads-{part}-"))
        print(f"-- {part} ({LABEL})", flush=True)
        started = time.monotonic()
        out = PART_FUNCS[part](tmp)
        out["at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        out["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        out["wall_seconds"] = round(time.monotonic() - started, 1)
        run[part] = out
        print(json.dumps(out, indent=1), flush=True)
        result = {
            "targets": TARGETS,
            "settings": {"rounds": ROUNDS, "torch_threads": THREADS, "cpu": "2 cores, shared"},
            "notes": "ratios are medians of per-round ratios, anchor and service interleaved "
            "in one run; load_before_after: os.getloadavg() (1, 5, 15 min) around each part",
            "runs": runs,
        }
        write_result("overheads", result)
    return runs


if __name__ == "__main__":
    main()
