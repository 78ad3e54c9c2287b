"""`tradingstack up` for real: processes, the gateway on one port, the health loop, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from tests.unit.servers import free_port, wait_http

pytestmark = pytest.mark.slow


def test_up_serves_the_data_service_through_the_gateway(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "TS_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tradingstack.cli",
            "up",
            "--port",
            str(port),
            "--state-dir",
            str(tmp_path),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # every built service starts (torch, the models): minutes on a busy 2-core machine
        health = wait_http(base + "/data/health", timeout=300).json()
        assert health["service"] == "data" and health["status"] == "healthy"
        r = httpx.get(
            base + "/data/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": 100}, timeout=30
        )
        assert r.status_code == 200 and len(r.json()["bars"]) == 100
        status = httpx.get(base + "/_status").json()
        assert status["services"]["data"]["healthy"] is True
        out = subprocess.run(
            [
                sys.executable,
                *("-m", "tradingstack.cli", "status", "--json", "--state-dir", str(tmp_path)),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert json.loads(out.stdout)["data"]["status"] == "healthy"
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the launcher runs services as child processes"
    finally:
        os.killpg(proc.pid, signal.SIGINT) if proc.poll() is None else None
        try:
            output = proc.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output = proc.communicate()[0].decode(errors="replace")
    assert proc.returncode is not None
    assert "TradingStack is up" in output
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, (
            f"{child.pid} left running"
        )
    assert (tmp_path / "logs" / "data.log").exists()
