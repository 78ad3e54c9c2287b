"""`tradingstack up`: every built service of the catalog as a process, behind the gateway.

Each service runs as `tradingstack serve NAME` (the same entry point as its container image),
logs to `.state/logs/NAME.log`, and is probed by the health loop, which uses the same probing
code as the operator. Ctrl-C (or SIGTERM) stops everything.

Ports: the gateway listens on `TS_GATEWAY_PORT` (or `tradingstack up --port`; 3000 by
default, which is Grafana's default too). Each service takes its catalog port when that is
free and any free port when it is not: the launcher binds every listening socket itself, hands
it to the service's process (`serve --fd`), and tells the services and the gateway where the
others really listen (`TS_<NAME>_URL`). So a second stack, from another checkout with its own
`.state`, runs beside the first with just another gateway port. While the stack runs, where
everything listens is in `<state>/stack.json` (`tradingstack status` reads it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
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
from tradingstack.local.prepare import first_start_env, watch

LOCAL_HOST = "127.0.0.1"
GATEWAY_PORT = 3000
GATEWAY_PORT_ENV = "TS_GATEWAY_PORT"
# The gateway takes the UI's port (3000) locally, so the UI process moves aside.
LOCAL_PORT_OVERRIDES = {"ui": 3010}
# Where a running stack's gateway and services listen, in its state directory.
STACK_FILE = "stack.json"


class PortInUse(RuntimeError):
    """The gateway's port is taken (by another stack, Grafana, ...)."""


def local_port(w: Workload) -> int:
    """The port a service takes when it is free (the catalog's; the UI's moved aside)."""
    return LOCAL_PORT_OVERRIDES.get(w.name, w.port)


def local_url(w: Workload) -> str:
    return f"http://{LOCAL_HOST}:{local_port(w)}"


def env_gateway_port(environ: Mapping[str, str] | None = None) -> int:
    """TS_GATEWAY_PORT, or 3000; ValueError when it is not a port number."""
    value = (os.environ if environ is None else environ).get(GATEWAY_PORT_ENV, "").strip()
    if not value:
        return GATEWAY_PORT
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"{GATEWAY_PORT_ENV} must be a port number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{GATEWAY_PORT_ENV} must be a port from 0 to 65535, got {port}")
    return port


def listen(port: int, host: str = LOCAL_HOST) -> socket.socket:
    """A listening TCP socket on host:port (0: any free port); OSError when it is taken.

    SO_REUSEADDR as uvicorn sets it, so a port left in TIME_WAIT by a stopped stack is free.
    The socket is inheritable: a service's process serves on it (`serve --fd`).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def bind_service(w: Workload, host: str = LOCAL_HOST) -> socket.socket:
    """A socket on the service's own port when that is free, else on any free port."""
    try:
        return listen(local_port(w), host)
    except OSError:
        return listen(0, host)


def bound_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def service_env(
    state_dir: Path,
    base: Mapping[str, str] | None = None,
    urls: Mapping[str, str] | None = None,
    prepare: str | None = None,
) -> dict[str, str]:
    """Environment of a local service: its state under .state/, the other services' URLs,
    the models to prepare on first start and the stack's one-job-at-a-time lock (prepare.py).

    `urls` say where the stack's services really listen and win over the environment; a
    service the stack does not run keeps TS_<NAME>_URL from the environment, or its own port.
    """
    env = dict(base if base is not None else os.environ)
    for w in local_workloads():
        # every service keeps its files in TS_<NAME>_DIR (its volume's mount in a cluster)
        env.setdefault(f"TS_{w.name.upper()}_DIR", str(state_dir / w.name))
        if urls and w.name in urls:
            env[f"TS_{w.name.upper()}_URL"] = urls[w.name]
        else:
            env.setdefault(f"TS_{w.name.upper()}_URL", local_url(w))
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(first_start_env(state_dir, prepare, env))
    return env


def read_stack_file(state_dir: Path) -> dict[str, Any] | None:
    """What the stack running on `state_dir` wrote to its stack.json, or None."""
    try:
        data = json.loads((state_dir / STACK_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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
        prepare: str | None = None,
    ) -> None:
        self.prepare = prepare
        self.workloads = list(workloads)
        self.state_dir = state_dir
        self.gateway_port = gateway_port
        self.console = console or Console(stderr=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        # where each service listens: its own port, or a free one when that was taken
        self.urls: dict[str, str] = {}

    def bind_gateway(self) -> socket.socket:
        """The gateway's socket, bound before any service starts: a taken port fails at
        once, and no service can take the gateway's port."""
        try:
            sock = listen(self.gateway_port)
        except OSError as exc:
            raise PortInUse(
                f"port {self.gateway_port} on {LOCAL_HOST} is in use ({exc.strerror}). "
                f"Start the stack on another port: {GATEWAY_PORT_ENV}=3300 make up "
                "(or tradingstack up --port 3300)."
            ) from None
        self.gateway_port = bound_port(sock)
        return sock

    def start_services(self) -> None:
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        sockets = {w.name: bind_service(w) for w in self.workloads}
        try:
            self.urls = {n: f"http://{LOCAL_HOST}:{bound_port(s)}" for n, s in sockets.items()}
            env = service_env(self.state_dir, urls=self.urls, prepare=self.prepare)
            for w in self.workloads:
                sock = sockets[w.name]
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
                    str(bound_port(sock)),
                    "--fd",
                    str(sock.fileno()),
                ]
                self.procs[w.name] = subprocess.Popen(
                    cmd,
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=(sock.fileno(),),
                )
                log_file.close()
        finally:
            # the services hold their sockets now; ours would keep a dead service's port
            # taking connections that nobody answers
            for sock in sockets.values():
                sock.close()

    def write_stack_file(self) -> None:
        body = {
            "pid": os.getpid(),
            "gateway": f"http://{LOCAL_HOST}:{self.gateway_port}",
            "services": self.urls,
        }
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / STACK_FILE).write_text(json.dumps(body, indent=2) + "\n")

    def remove_stack_file(self) -> None:
        data = read_stack_file(self.state_dir)
        if data is not None and data.get("pid") == os.getpid():
            (self.state_dir / STACK_FILE).unlink(missing_ok=True)

    async def wait_ready(self, timeout: float = 180.0) -> dict[str, ProbeResult]:
        targets = {w.name: self.urls[w.name] + w.health_path for w in self.workloads}
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
        gateway_socket = self.bind_gateway()
        try:
            self.start_services()
            self.console.print(f"starting {', '.join(w.name for w in self.workloads)} ...")
            await self.wait_ready(ready_timeout)
            targets = {w.name: self.urls[w.name] + w.health_path for w in self.workloads}
            loop = HealthLoop(targets, health_interval)
            await loop.sweep()
            gateway = create_gateway(dict(self.urls), status=loop.snapshot)
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
            self.write_stack_file()
            self.console.print(f"[bold green]TradingStack is up at {base}[/]")
            for w in self.workloads:
                url = self.urls[w.name]
                moved = "" if url == local_url(w) else f"   (its port was taken: on {url})"
                self.console.print(
                    f"  {w.name:<9} {base}{w.prefix or '/'}   docs: {base}{w.prefix}/docs{moved}"
                )
            self.console.print(f"  status    {base}/_status   (Ctrl-C stops everything)")
            health_task = asyncio.create_task(loop.run())
            watch_task = asyncio.create_task(watch(self.urls, self.console))
            try:
                await server.serve(sockets=[gateway_socket])
            finally:
                health_task.cancel()
                watch_task.cancel()
        finally:
            gateway_socket.close()
            self.remove_stack_file()
            self.stop()


def run(
    only: Sequence[str] | None = None,
    *,
    state_dir: Path = Path(".state"),
    gateway_port: int | None = None,
    prepare: str | None = None,
) -> None:
    """Run the stack until Ctrl-C (the gateway on `gateway_port`, default TS_GATEWAY_PORT or
    3000); PortInUse when the gateway's port is taken."""
    workloads = [w for w in local_workloads() if not only or w.name in only]
    port = env_gateway_port() if gateway_port is None else gateway_port
    stack = Stack(workloads, state_dir=state_dir, gateway_port=port, prepare=prepare)
    try:
        asyncio.run(stack.serve())
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
