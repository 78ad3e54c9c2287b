"""Benchmark of the operator's watchdog: the time of one health sweep of 9 workloads x N
stacks (N = 1, 5, 10, 20), every stack swept by its own task as in the operator.

    .venv/bin/python -m bench.watchdog_bench        # -> bench/results/watchdog.json

The nine workloads are servers in a separate process, one port per workload; every stack's
probes go to them (TS_OPERATOR_PROBE_URLS): light aiohttp servers answering the health
document (the main numbers), and the kit's real service apps (create_service_app) for
comparison.
Each /health answer takes 50 ms (an awaited delay in the app's health check, standing in for
a pod's answer time; it does not block the server), so probing one after the other would cost
9 x N x 50 ms. The code measured is the operator's own `Watchdog.sweep` (shared probe code,
status decisions, metrics). A sequential baseline (one probe at a time) is measured for
comparison at N = 20.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.common import summary, write_result

DELAY = 0.05
STACKS = (1, 5, 10, 20)
REPEAT = 5


def serve(kind: str, ports: list[int]) -> None:
    """The nine services (child process): each /health answers after DELAY seconds.

    `kit`: the real kit service apps (FastAPI, uvicorn, one event loop for all nine: its CPU
    per request dominates on a small machine). `light`: aiohttp servers answering the same
    health document, cheap enough that the watchdog's own cost shows.
    """
    from tradingstack.core import catalog

    if kind == "light":
        from aiohttp import web
        from tradingstack.core.schemas import Health

        async def light() -> None:
            started = time.monotonic()
            for w, port in zip(catalog.WORKLOADS, ports, strict=True):

                async def health(_: web.Request, name: str = w.name) -> web.Response:
                    await asyncio.sleep(DELAY)
                    doc = Health(
                        status="healthy",
                        service=name,
                        version="bench",
                        uptime_seconds=time.monotonic() - started,
                    )
                    return web.Response(text=doc.model_dump_json(), content_type="application/json")

                app = web.Application()
                app.router.add_get("/health", health)
                runner = web.AppRunner(app, access_log=None)
                await runner.setup()
                await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
            await asyncio.Event().wait()

        asyncio.run(light())
        return

    import uvicorn
    from tradingstack.core.app import create_service_app

    async def slow() -> tuple[Any, dict[str, Any]]:
        await asyncio.sleep(DELAY)
        return "healthy", {}

    async def main() -> None:
        servers = []
        for w, port in zip(catalog.WORKLOADS, ports, strict=True):
            app = create_service_app(w.name, health_check=slow, configure_logs=False)
            cfg = uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", backlog=2048
            )
            servers.append(uvicorn.Server(cfg))
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(main())


def _free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [int(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


async def _measure(ports: list[int], stacks: tuple[int, ...]) -> dict[str, Any]:
    import httpx
    from tradingstack.core import catalog
    from tradingstack.core.health import probe
    from tradingstack_operator import alerts, watchdog
    from tradingstack_operator.settings import OperatorSettings

    os.environ["TS_OPERATOR_PROBE_URLS"] = json.dumps(
        {
            w.name: f"http://127.0.0.1:{p}/health"
            for w, p in zip(catalog.WORKLOADS, ports, strict=True)
        }
    )
    async with httpx.AsyncClient() as c:  # wait for the services
        deadline = time.monotonic() + 60
        for p in ports:
            while True:
                try:
                    if (await c.get(f"http://127.0.0.1:{p}/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("services did not start")
                await asyncio.sleep(0.2)

    notifier = alerts.Notifier()
    probe_urls = OperatorSettings().probe_urls
    wd = watchdog.Watchdog(kube=None, notifier=notifier, probe_urls=probe_urls)
    ready = {
        "services": [
            {"name": w.name, "desiredReplicas": 1, "readyReplicas": 1} for w in catalog.WORKLOADS
        ]
    }
    results: dict[str, Any] = {}
    watches: list[watchdog.StackWatch] = []
    try:
        for n in stacks:
            bodies = [
                {
                    "metadata": {"name": f"s{i}", "namespace": "bench", "uid": f"u{i}"},
                    "spec": {"alerting": {"intervalSeconds": 30}},
                    "status": ready,
                }
                for i in range(n)
            ]
            for w in watches:
                await w.aclose()
            watches = [watchdog.StackWatch() for _ in bodies]
            samples = []
            for rep in range(REPEAT + 1):
                start = time.perf_counter()
                decisions = await asyncio.gather(
                    *(
                        asyncio.create_task(wd.sweep(b, w))
                        for b, w in zip(bodies, watches, strict=True)
                    )
                )
                took = time.perf_counter() - start
                assert all(d is not None and not d.events for d in decisions)
                assert all(all(h.result.healthy for h in w.health.values()) for w in watches)
                if rep:  # the first one opens the connections
                    samples.append(took)
            results[str(n)] = {"probes": 9 * n, **summary(samples)}
            print(f"{n:>3} stacks ({9 * n} probes): median {results[str(n)]['median_ms']} ms")
        cpu = time.process_time()
        await asyncio.gather(*(wd.sweep(b, w) for b, w in zip(bodies, watches, strict=True)))
        results["operator_cpu_ms_per_probe"] = round(
            (time.process_time() - cpu) * 1000 / (9 * stacks[-1]), 3
        )
        # sequential baseline: one probe after the other, as many stacks as the last
        targets = probe_urls
        seq = []
        async with httpx.AsyncClient() as c:
            for _ in range(2):
                start = time.perf_counter()
                for _stack in range(stacks[-1]):
                    for name, url in targets.items():
                        await probe(c, name, url, timeout=5, retries=0)
                seq.append(time.perf_counter() - start)
        results["sequential"] = {"probes": 9 * stacks[-1], **summary(seq)}
        print(f"sequential: median {results['sequential']['median_ms']} ms")
    finally:
        for w in watches:
            await w.aclose()
    return results


def run(kind: str, stacks: tuple[int, ...]) -> dict[str, Any]:
    ports = _free_ports(9)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.watchdog_bench", "--serve", kind, *map(str, ports)],
        stdout=subprocess.DEVNULL,
    )
    try:
        return asyncio.run(_measure(ports, stacks))
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def main() -> None:
    print("light servers (aiohttp, the health document):")
    light = run("light", STACKS)
    print("the kit's service apps (FastAPI, all nine in one process):")
    kit = run("kit", (1, 20))
    per_stack = {n: light[str(n)]["median_ms"] for n in STACKS}
    result = {
        "what": "one health sweep of 9 workloads x N stacks (Watchdog.sweep, one task per "
        "stack, all concurrent); each /health answers after 50 ms; services in another process",
        "health_answer_delay_ms": DELAY * 1000,
        "light_servers": light,
        "kit_servers": kit,
        "median_ms_per_stacks": per_stack,
        "ratio_20_to_1_stacks": round(per_stack[20] / per_stack[1], 2),
        "linear_would_be": 20,
        "sequential_over_concurrent_20": round(light["sequential"]["median_ms"] / per_stack[20], 1),
        "kit_ratio_20_to_1_stacks": round(kit["20"]["median_ms"] / kit["1"]["median_ms"], 2),
        "spread_ms": round(statistics.pstdev(per_stack.values()), 3),
        "note": "on 2 shared cores; with the kit apps the one server process's CPU per request "
        "(FastAPI middleware, metrics) is the limit, not the probing",
    }
    path = write_result("watchdog", result)
    print(f"wrote {path}")


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--serve":
        serve(sys.argv[2], [int(p) for p in sys.argv[3:]])
    else:
        main()
