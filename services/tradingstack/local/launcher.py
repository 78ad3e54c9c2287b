"""`tradingstack up`: every built service of the catalog as a process, behind the gateway.

Each service runs as `tradingstack serve NAME` (the same entry point as its container image),
logs to `.state/logs/NAME.log`, and is probed by the health loop, which uses the same probing
code as the operator. Ctrl-C (or SIGTERM) stops everything.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console

from tradingstack.core.catalog import Workload, local_workloads
from tradingstack.core.health import ProbeResult, probe_many
from tradingstack.core.http import SERVER_KEEP_ALIVE_SECONDS
from tradingstack.local.gateway import create_gateway

LOCAL_HOST = "127.0.0.1"
GATEWAY_PORT = 3000
# The gateway takes the UI's port (3000) locally, so the UI process moves aside.
LOCAL_PORT_OVERRIDES = {"ui": 3010}


def local_port(w: Workload) -> int:
    return LOCAL_PORT_OVERRIDES.get(w.name, w.port)


def local_url(w: Workload) -> str:
    return f"http://{LOCAL_HOST}:{local_port(w)}"


def service_env(state_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of a local service: state under .state/, the data service's URL."""
    env = dict(base if base is not None else os.environ)
    for w in local_workloads():
        # every service keeps its files in TS_<NAME>_DIR (its volume's mount in a cluster)
        env.setdefault(f"TS_{w.name.upper()}_DIR", str(state_dir / w.name))
        env.setdefault(f"TS_{w.name.upper()}_URL", f"http://{LOCAL_HOST}:{local_port(w)}")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass
class HealthLoop:
    """Probes every running service every `interval` seconds; keeps the latest results."""

    targets: dict[str, str]
    interval: float = 10.0
    results: dict[str, ProbeResult] = field(default_factory=dict)
    last_sweep: float | None = None

    async def sweep(self) -> dict[str, ProbeResult]:
        self.results = await probe_many(self.targets, timeout=5.0, retries=1)
        self.last_sweep = time.time()
        return self.results

    async def run(self) -> None:
        while True:
            await self.sweep()
            await asyncio.sleep(self.interval)

    def snapshot(self) -> dict[str, Any]:
        return {
            "source": "local health loop",
            "interval_seconds": self.interval,
            "last_sweep": self.last_sweep,
            "services": {n: r.model_dump(mode="json") for n, r in self.results.items()},
        }


class Stack:
    def __init__(
        self,
        workloads: Sequence[Workload],
        *,
        state_dir: Path,
        gateway_port: int = GATEWAY_PORT,
        console: Console | None = None,
    ) -> None:
        self.workloads = list(workloads)
        self.state_dir = state_dir
        self.gateway_port = gateway_port
        self.console = console or Console(stderr=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start_services(self) -> None:
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = service_env(self.state_dir)
        for w in self.workloads:
            log_file = open(logs / f"{w.name}.log", "ab")
            cmd = [
                sys.executable,
                "-m",
                "tradingstack.cli",
                "serve",
                w.name,
                "--host",
                LOCAL_HOST,
                "--port",
                str(local_port(w)),
            ]
            self.procs[w.name] = subprocess.Popen(
                cmd, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
            log_file.close()

    async def wait_ready(self, timeout: float = 180.0) -> dict[str, ProbeResult]:
        targets = {w.name: local_url(w) + w.health_path for w in self.workloads}
        deadline = time.monotonic() + timeout
        results: dict[str, ProbeResult] = {}
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                results = await probe_many(targets, timeout=2.0, retries=0, client=client)
                dead = [n for n, p in self.procs.items() if p.poll() is not None]
                if dead:
                    raise RuntimeError(
                        f"{', '.join(dead)} exited at start-up; see "
                        + ", ".join(str(self.state_dir / "logs" / f"{n}.log") for n in dead)
                    )
                if all(r.healthy for r in results.values()):
                    return results
                await asyncio.sleep(0.5)
        slow = [n for n, r in results.items() if not r.healthy]
        raise TimeoutError(f"not healthy after {timeout:.0f}s: {', '.join(slow)}")

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()

    async def serve(self, *, health_interval: float = 10.0, ready_timeout: float = 180.0) -> None:
        self.start_services()
        try:
            self.console.print(f"starting {', '.join(w.name for w in self.workloads)} ...")
            await self.wait_ready(ready_timeout)
            loop = HealthLoop(
                {w.name: local_url(w) + w.health_path for w in self.workloads}, health_interval
            )
            await loop.sweep()
            gateway = create_gateway(
                {w.name: local_url(w) for w in self.workloads}, status=loop.snapshot
            )
            config = uvicorn.Config(
                gateway,
                host=LOCAL_HOST,
                port=self.gateway_port,
                log_level="warning",
                lifespan="on",
                timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
            )
            server = uvicorn.Server(config)
            base = f"http://{LOCAL_HOST}:{self.gateway_port}"
            self.console.print(f"[bold green]TradingStack is up at {base}[/]")
            for w in self.workloads:
                self.console.print(
                    f"  {w.name:<9} {base}{w.prefix or '/'}   docs: {base}{w.prefix}/docs"
                )
            self.console.print(f"  status    {base}/_status   (Ctrl-C stops everything)")
            health_task = asyncio.create_task(loop.run())
            try:
                await server.serve()
            finally:
                health_task.cancel()
        finally:
            self.stop()


def run(
    only: Sequence[str] | None = None,
    *,
    state_dir: Path = Path(".state"),
    gateway_port: int = GATEWAY_PORT,
) -> None:
    workloads = [w for w in local_workloads() if not only or w.name in only]
    stack = Stack(workloads, state_dir=state_dir, gateway_port=gateway_port)
    try:
        asyncio.run(stack.serve())
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
