"""The local stack's first start (local/prepare.py): the settings the launcher gives the
services, and the console's progress lines read from the services' real /jobs routes."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path

from fastapi import FastAPI
from rich.console import Console
from tradingstack.core.jobs import JobManager, Reporter, jobs_router, prepare_pairs
from tradingstack.local.launcher import service_env
from tradingstack.local.prepare import DEFAULT_PREPARE, first_start_env, watch

from tests.unit.servers import serve_app


def test_the_launcher_gives_every_service_the_lock_and_the_models_to_prepare(
    tmp_path: Path,
) -> None:
    env = service_env(tmp_path, base={})
    assert env["TS_JOBS_LOCK"] == str(tmp_path / "jobs.lock")
    assert env["TS_JOBS_PREPARE"] == DEFAULT_PREPARE == "BTCUSD:H1"
    assert prepare_pairs(env["TS_JOBS_PREPARE"]) == [("BTCUSD", "H1")]
    # the user's environment wins; an explicit --prepare wins over it; empty prepares nothing
    mine = service_env(tmp_path, base={"TS_JOBS_PREPARE": "", "TS_JOBS_LOCK": "/tmp/x.lock"})
    assert mine["TS_JOBS_PREPARE"] == "" and mine["TS_JOBS_LOCK"] == "/tmp/x.lock"
    assert prepare_pairs("") == []
    flag = first_start_env(tmp_path, "NVDA:D1,btcusd", {"TS_JOBS_PREPARE": "X:H1"})
    assert prepare_pairs(flag["TS_JOBS_PREPARE"]) == [("NVDA", "D1"), ("BTCUSD", "H1")]


def test_watch_prints_the_first_start_jobs_until_they_are_done() -> None:
    manager = JobManager("hmm")
    app = FastAPI()
    app.include_router(jobs_router(lambda request: manager), prefix="/api/v1")
    release = threading.Event()

    def fit(report: Reporter) -> None:
        report("fitting", done=1, total=4)
        release.wait(10)

    manager.submit("fit-regime", fit, symbol="BTCUSD", timeframe="H1", reason="first-start")
    manager.submit("fit", lambda r: None, reason="user")  # not a first-start job: not printed
    out = io.StringIO()
    console = Console(file=out, width=200)
    try:
        with serve_app(app) as url:
            threading.Timer(0.5, release.set).start()
            asyncio.run(asyncio.wait_for(watch({"hmm": url}, console, interval=0.1), 20))
    finally:
        release.set()
        manager.shutdown(timeout=5)
    text = out.getvalue()
    assert "preparing the default models in the background" in text
    assert "hmm fit-regime BTCUSD H1: queued" in text or "hmm fit-regime BTCUSD H1: running" in text
    assert "hmm fit-regime BTCUSD H1: succeeded" in text
    assert "fit : " not in text and text.rstrip().endswith("the default models are ready")
