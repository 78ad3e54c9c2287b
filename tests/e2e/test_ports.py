"""Ports: TS_GATEWAY_PORT moves the gateway, the services take free ports when theirs are
taken, and a second stack from another checkout (its own .state) runs beside the first.

The gateway used to be fixed on 3000 (Grafana's default) and every service on its catalog
port, so a trader running Grafana could not start the stack, and two stacks could not run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from tradingstack.core import catalog
from tradingstack.local.launcher import GATEWAY_PORT, STACK_FILE, listen, local_port

from tests.unit.servers import free_port, wait_http

pytestmark = pytest.mark.slow

SERVICES = "data"


@dataclass
class Up:
    proc: subprocess.Popen[bytes]
    base: str
    checkout: Path

    def stack_file(self) -> dict:
        return json.loads((self.checkout / ".state" / STACK_FILE).read_text())


def _up(checkout: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    checkout.mkdir(parents=True, exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TS_")}
    return subprocess.Popen(
        [sys.executable, "-m", "tradingstack.cli", "up", "--only", SERVICES],
        cwd=checkout,  # another checkout: its state is its own ./.state
        env={**clean, "TS_LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen[bytes]) -> str:
    children = []
    if proc.poll() is None:
        children = psutil.Process(proc.pid).children(recursive=True)
        os.killpg(proc.pid, signal.SIGINT)
    try:
        out = proc.communicate(timeout=40)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out = proc.communicate()[0]
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, (
            f"{child.pid} left running"
        )
    return out.decode(errors="replace")


@contextmanager
def stack(checkout: Path, port: int) -> Iterator[Up]:
    proc = _up(checkout, {"TS_GATEWAY_PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_http(base + "/data/health", timeout=150)
        except AssertionError:
            raise AssertionError(_stop(proc)[-3000:]) from None
        yield Up(proc, base, checkout)
    finally:
        _stop(proc)


@contextmanager
def default_ports_held() -> Iterator[list[int]]:
    """Listen on the gateway's and every service's default port, as Grafana and a first
    stack would; a port someone else holds already is just as taken."""
    ports = [GATEWAY_PORT] + [local_port(w) for w in catalog.local_workloads()]
    with ExitStack() as held:
        for port in ports:
            try:
                held.enter_context(listen(port))
            except OSError:
                pass
        yield ports


def _default_port_taken(port: int) -> bool:
    try:
        listen(port).close()
    except OSError:
        return True
    return False


def test_a_second_stack_runs_beside_the_first_while_the_default_ports_are_taken(
    tmp_path: Path,
) -> None:
    with default_ports_held() as defaults:
        assert all(_default_port_taken(p) for p in defaults)
        # without TS_GATEWAY_PORT: a clear refusal that says how to move the gateway
        refused = _up(tmp_path / "refused", {})
        out = refused.communicate(timeout=60)[0].decode(errors="replace")
        assert refused.returncode == 1, out
        assert f"port {GATEWAY_PORT}" in out and "TS_GATEWAY_PORT" in out, out
        assert not (tmp_path / "refused" / ".state" / STACK_FILE).exists()

        with (
            stack(tmp_path / "first", free_port()) as first,
            stack(tmp_path / "second", free_port()) as second,
        ):
            for up in (first, second):
                # the gateway routes to wherever the service really listens
                running = up.stack_file()
                assert running["gateway"] == up.base
                data_url = running["services"]["data"]
                assert int(data_url.rsplit(":", 1)[1]) not in defaults
                health = httpx.get(up.base + "/data/health", timeout=10).json()
                assert health["service"] == "data" and health["status"] == "healthy"
                assert httpx.get(data_url + "/health", timeout=10).status_code == 200
                status = httpx.get(up.base + "/_status", timeout=10).json()
                assert status["services"]["data"]["healthy"] is True
                # `tradingstack status` finds the services of the stack of its checkout
                out = subprocess.run(
                    [sys.executable, "-m", "tradingstack.cli", "status", "--json"],
                    cwd=up.checkout,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                assert out.returncode == 0, out.stdout + out.stderr
                assert json.loads(out.stdout)["data"]["status"] == "healthy"
            assert first.stack_file()["services"] != second.stack_file()["services"]
            # each stack keeps its own state
            sym = {"symbol": "ONLYFIRST", "name": "Only in the first", "category": "stock"}
            r = httpx.post(first.base + "/data/api/v1/symbols", json=sym, timeout=10)
            assert r.status_code == 201, r.text
            assert httpx.get(first.base + "/data/api/v1/symbols/ONLYFIRST").status_code == 200
            assert httpx.get(second.base + "/data/api/v1/symbols/ONLYFIRST").status_code == 404
            bars = httpx.get(
                second.base + "/data/api/v1/ohlcv/BTCUSD",
                params={"timeframe": "H1", "limit": 50},
                timeout=60,
            )
            assert bars.status_code == 200 and len(bars.json()["bars"]) == 50
        # a stopped stack leaves no stack.json behind
        deadline = time.monotonic() + 10
        while (tmp_path / "first" / ".state" / STACK_FILE).exists():
            assert time.monotonic() < deadline, "stack.json left behind"
            time.sleep(0.2)
        assert (tmp_path / "first" / ".state" / "data").is_dir()
        assert (tmp_path / "second" / ".state" / "data").is_dir()


def test_the_port_flag_moves_the_gateway_too(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradingstack.cli", "up", "--only", SERVICES, "--port", str(port)],
        cwd=tmp_path,
        env={**env, "TS_LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/data/health", timeout=150)
    finally:
        out = _stop(proc)
    assert f"TradingStack is up at http://127.0.0.1:{port}" in out
