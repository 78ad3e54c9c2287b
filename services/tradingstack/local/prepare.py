"""First start of the local stack: the models a fresh state trains, and their progress.

The work is the services' own: each one that trains (nhits, tcn, hmm) reads `TS_JOBS_PREPARE`
when it starts and queues a background job for every named model it has not saved yet (a
later start finds them saved and trains nothing). `TS_JOBS_LOCK` names one lock file in the
stack's state directory: every service takes it around each job, so the stack trains one model
at a time and the machine stays usable. In a cluster each service runs in its own pod with its
own volume, so the lock only serialises that service's jobs, and each pod trains its own
models when TS_JOBS_PREPARE is set on it.

This module gives the launcher those two settings and prints the jobs' progress on the
console (`watch`) until every model is prepared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from tradingstack.core.jobs import LOCK_ENV, PREPARE_ENV, JobList

# BTCUSD H1: the dashboard's default symbol and timeframe (ui settings), from the bundled data
DEFAULT_PREPARE = "BTCUSD:H1"
TRAINING_SERVICES = ("hmm", "tcn", "nhits")
LOCK_FILE = "jobs.lock"


def first_start_env(
    state_dir: Path, prepare: str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """TS_JOBS_LOCK and TS_JOBS_PREPARE for the stack's services: `prepare` (`up --prepare`)
    when given, else the environment's, else BTCUSD:H1; an empty one prepares nothing."""
    env = environ or {}
    return {
        LOCK_ENV: env.get(LOCK_ENV, str(state_dir / LOCK_FILE)),
        PREPARE_ENV: prepare if prepare is not None else env.get(PREPARE_ENV, DEFAULT_PREPARE),
    }


def describe(service: str, job: Mapping[str, Any]) -> str:
    p = job.get("progress") or {}
    what = " ".join(str(x) for x in (job.get("symbol"), job.get("timeframe")) if x)
    line = f"{service} {job.get('kind')} {what}: {job.get('state')}"
    if job.get("state") == "running":
        line += f" {p.get('percent', 0):.0f} %"
        if p.get("eta_seconds"):
            line += f", about {p['eta_seconds']:.0f} s left"
        if p.get("step"):
            line += f" ({p['step']})"
    if job.get("error"):
        line += f": {job['error']}"
    return line


async def watch(
    urls: Mapping[str, str],
    console: Console,
    *,
    interval: float = 5.0,
    client: httpx.AsyncClient | None = None,
) -> None:
    """Print each first-start job's state changes until none is queued or running (`urls`:
    where the training services listen). Errors are printed once and never stop the stack."""
    seen: dict[str, str] = {}
    started = False
    own = client is None
    http = client or httpx.AsyncClient(timeout=5.0)
    try:
        while True:
            busy = False
            for name in TRAINING_SERVICES:
                if name not in urls:
                    continue
                try:
                    r = await http.get(f"{urls[name]}/api/v1/jobs")
                    listing = JobList.model_validate(r.json())
                except (httpx.HTTPError, ValueError):
                    continue
                busy = busy or listing.in_progress
                for job in reversed(listing.jobs):
                    if job.reason != "first-start":
                        continue
                    if not started:
                        console.print("preparing the default models in the background ...")
                        started = True
                    if seen.get(job.id) != job.state:
                        seen[job.id] = job.state
                        console.print("  " + describe(name, job.model_dump(mode="json")))
            if not busy:
                if started:
                    console.print("[green]the default models are ready[/]")
                return
            await asyncio.sleep(interval)
    finally:
        if own:
            await http.aclose()
