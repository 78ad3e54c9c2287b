"""OHLCV latency through the local gateway vs straight to the data service, and warm-cache RPS.

Both servers are real uvicorn processes on loopback; the data service serves the bundled
BTCUSD bars from its cache (warm: primed before timing). Run: `python -m bench gateway_bench`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import summary, write_result
from tests.unit.servers import free_port, wait_http

REQUESTS = 300
ROUNDS = 5
CONCURRENCY = 8
PARAMS: dict[str, str | int] = {"timeframe": "H1", "limit": 500}


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def _latency(url: str, n: int) -> list[float]:
    out = []
    async with httpx.AsyncClient(timeout=30) as c:
        for _ in range(n):
            t = time.perf_counter()
            r = await c.get(url, params=PARAMS)
            r.raise_for_status()
            out.append(time.perf_counter() - t)
    return out


async def _rps(url: str, n: int, concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as c:

        async def one() -> None:
            async with sem:
                (await c.get(url, params=PARAMS)).raise_for_status()

        t = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return n / (time.perf_counter() - t)


def main() -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="ts-bench-"))
    data_port, gw_port = free_port(), free_port()
    env = {
        **os.environ,
        "TS_DATA_DIR": str(tmp),
        "TS_DATA_CACHE_TTL_SECONDS": "3600",
        "TS_LOG_LEVEL": "WARNING",
    }
    data = _start(
        [
            "import uvicorn; from tradingstack.data.app import create_app; "
            f"uvicorn.run(create_app(), host='127.0.0.1', port={data_port}, log_level='warning')"
        ],
        env,
    )
    gw = _start(
        [
            "import uvicorn; from tradingstack.local.gateway import create_gateway; "
            f"uvicorn.run(create_gateway({{'data': 'http://127.0.0.1:{data_port}'}}), "
            "host='127.0.0.1', "
            f"port={gw_port}, log_level='warning')"
        ],
        env,
    )
    try:
        direct = f"http://127.0.0.1:{data_port}/api/v1/ohlcv/BTCUSD"
        via = f"http://127.0.0.1:{gw_port}/data/api/v1/ohlcv/BTCUSD"
        wait_http(f"http://127.0.0.1:{data_port}/health")
        wait_http(f"http://127.0.0.1:{gw_port}/data/health")
        httpx.get(direct, params=PARAMS, timeout=60).raise_for_status()  # warm the cache
        asyncio.run(_latency(direct, 20))
        asyncio.run(_latency(via, 20))
        # Interleaved rounds, so a change of machine load hits both paths alike.
        d: list[float] = []
        g: list[float] = []
        rps_d: list[float] = []
        rps_g: list[float] = []
        for _ in range(ROUNDS):
            d += asyncio.run(_latency(direct, REQUESTS // ROUNDS))
            g += asyncio.run(_latency(via, REQUESTS // ROUNDS))
            rps_d.append(asyncio.run(_rps(direct, REQUESTS // ROUNDS, CONCURRENCY)))
            rps_g.append(asyncio.run(_rps(via, REQUESTS // ROUNDS, CONCURRENCY)))
        rps_direct, rps_gw = statistics.median(rps_d), statistics.median(rps_g)
    finally:
        for p in (gw, data):
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=10)
    sd, sg = summary(d), summary(g)
    result = {
        "request": "GET /api/v1/ohlcv/BTCUSD?timeframe=H1&limit=500 (warm cache, 500 bars)",
        "direct": sd,
        "via_gateway": sg,
        "gateway_over_direct_median_ratio": round(sg["median_ms"] / sd["median_ms"], 3),
        "warm_cache_rps": {
            "concurrency": CONCURRENCY,
            "median_of_rounds": ROUNDS,
            "direct": round(rps_direct, 1),
            "via_gateway": round(rps_gw, 1),
        },
    }
    path = write_result("gateway", result)
    print(path.read_text())
    return result


if __name__ == "__main__":
    main()
