"""First start of the local stack, measured as a new user meets it (`make up` on a fresh state).

Runs `tradingstack up` (what `make up` runs) on a fresh state directory with the gateway on
TS_GATEWAY_PORT (3300 by default, so it runs beside a stack on 3000), and asks through the
gateway, as the dashboard does, every `--poll` seconds, for the BTCUSD H1 forecast, patterns,
regime and long score until each answers 200 (before that they answer 503
model-being-prepared while the first-start jobs train them, one at a time across the stack).
Then one analysis, to see which inputs it used. Then the stack is stopped and started again on
the same state: the models must answer at once and no job may run (later starts reuse them).

Writes bench/results/first_start.json: seconds from the gateway's first answer to each model's
first answer, the jobs and their durations, and the machine's load average along the way.

    .venv/bin/python -m bench.first_start [--port 3300] [--timeout 1200]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, write_result

SYMBOL, TIMEFRAME = "BTCUSD", "H1"
ASKS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "forecast": ("GET", f"/nhits/api/v1/forecast/{SYMBOL}?timeframe={TIMEFRAME}", None),
    "patterns": ("GET", f"/tcn/api/v1/detect/{SYMBOL}?timeframe={TIMEFRAME}", None),
    "regime": ("GET", f"/hmm/api/v1/regime/{SYMBOL}?timeframe={TIMEFRAME}", None),
    # an analysis asks for both directions
    "score_long": (
        "POST",
        "/hmm/api/v1/score",
        {"symbol": SYMBOL, "timeframe": TIMEFRAME, "direction": "long"},
    ),
    "score_short": (
        "POST",
        "/hmm/api/v1/score",
        {"symbol": SYMBOL, "timeframe": TIMEFRAME, "direction": "short"},
    ),
}
TRAINING = ("nhits", "tcn", "hmm")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def start(state: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TS_GATEWAY_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("TS_JOBS_PREPARE", None)  # the default, as a new user has it
    cmd = [str(REPO / ".venv/bin/tradingstack"), "up", "--state-dir", str(state)]
    out = open(log, "ab")
    return subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_gateway(client: httpx.Client, proc: subprocess.Popen[bytes], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tradingstack up exited with {proc.returncode}")
        try:
            if client.get("/_status", timeout=2).status_code == 200:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the gateway did not answer")


def jobs(client: httpx.Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in TRAINING:
        try:
            r = client.get(f"/{name}/api/v1/jobs", timeout=10)
            out.extend(r.json()["jobs"] if r.status_code == 200 else [])
        except (httpx.HTTPError, ValueError, KeyError):
            pass
    return out


def ask_until_ready(
    client: httpx.Client, t0: float, timeout: float, poll: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ready: dict[str, Any] = {}
    samples: list[dict[str, Any]] = []
    deadline = t0 + timeout
    while len(ready) < len(ASKS) and time.monotonic() < deadline:
        row: dict[str, Any] = {"t": round(time.monotonic() - t0, 1), "load": load()}
        for name, (method, path, body) in ASKS.items():
            if name in ready:
                continue
            t = time.monotonic()
            try:
                r = client.request(method, path, json=body, timeout=60)
                status, answer = r.status_code, r.json()
            except (httpx.HTTPError, ValueError) as exc:
                status, answer = None, {"error": type(exc).__name__}
            took = time.monotonic() - t
            row[name] = status
            row[f"{name}_request_seconds"] = round(took, 2)
            if status == 200:
                quality = answer.get("quality") or {}
                ready[name] = {
                    "seconds": round(time.monotonic() - t0, 1),
                    "request_seconds": round(took, 2),
                    "load": load(),
                    "has_edge": quality.get("has_edge"),
                    "quality": quality.get("summary"),
                }
            elif status == 503:
                job = answer.get("job") or {}
                row[f"{name}_job"] = f"{job.get('kind')} {job.get('state')} {job.get('reason')}"
        samples.append(row)
        print(row, flush=True)
        if len(ready) < len(ASKS):
            time.sleep(poll)
    return ready, samples


def job_rows(all_jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for j in sorted(all_jobs, key=lambda j: j["created_at"]):
        started, finished = j.get("started_at"), j.get("finished_at")
        seconds = None
        if started and finished:
            from datetime import datetime

            seconds = round(
                (
                    datetime.fromisoformat(finished) - datetime.fromisoformat(started)
                ).total_seconds(),
                1,
            )
        rows.append(
            {
                "service": j["service"],
                "kind": j["kind"],
                "symbol": j["symbol"],
                "timeframe": j["timeframe"],
                "reason": j["reason"],
                "state": j["state"],
                "run_seconds": seconds,
                "error": j.get("error"),
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=int(os.environ.get("TS_GATEWAY_PORT", 3300)))
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds for the first start")
    ap.add_argument("--poll", type=float, default=10.0, help="seconds between the asks")
    ap.add_argument("--state", type=Path, default=None, help="state dir (default: a fresh one)")
    args = ap.parse_args()
    state = args.state or Path(tempfile.mkdtemp(prefix="ts-first-start-"))
    log = state / "up.log"
    state.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{args.port}"
    result: dict[str, Any] = {
        "what": "tradingstack up (make up) on a fresh state dir: seconds from the gateway's "
        f"first answer to each {SYMBOL} {TIMEFRAME} model's first 200 through the gateway "
        f"(asked every {args.poll:g} s as the dashboard does); then a second start on the same "
        "state",
        "niceness": os.nice(0),
        "state_dir": str(state),
        "load_before": load(),
    }
    proc = start(state, args.port, log)
    t_launch = time.monotonic()
    try:
        with httpx.Client(base_url=base) as client:
            t0 = wait_gateway(client, proc, 300)
            result["gateway_seconds_after_launch"] = round(t0 - t_launch, 1)
            result["load_at_gateway"] = load()
            ready, samples = ask_until_ready(client, t0, args.timeout, args.poll)
            result["first_answer_seconds"] = {k: v["seconds"] for k, v in ready.items()}
            result["first_answers"] = ready
            result["all_ready_seconds"] = (
                max(v["seconds"] for v in ready.values()) if len(ready) == len(ASKS) else None
            )
            result["within_15_minutes"] = bool(
                result["all_ready_seconds"] is not None and result["all_ready_seconds"] <= 900
            )
            result["samples"] = samples
            t = time.monotonic()
            try:
                r = client.post(
                    "/llm/api/v1/analyze",
                    json={"symbol": SYMBOL, "timeframe": TIMEFRAME},
                    timeout=300,
                )
                body = r.json()
                keys = ("direction", "confidence", "inputs", "used", "missing", "preparing")
                result["analysis"] = {
                    "status": r.status_code,
                    "seconds": round(time.monotonic() - t, 1),
                    **{k: body[k] for k in keys if k in body},
                }
            except (httpx.HTTPError, ValueError) as exc:
                result["analysis"] = {"error": f"{type(exc).__name__}: {exc}"}
            result["jobs"] = job_rows(jobs(client))
            result["load_after"] = load()
    finally:
        stop(proc)
    # a later start: the saved models answer at once, nothing is trained again
    proc = start(state, args.port, log)
    try:
        with httpx.Client(base_url=base) as client:
            t0 = wait_gateway(client, proc, 300)
            ready, _ = ask_until_ready(client, t0, 120, 2.0)
            result["second_start"] = {
                "first_answer_seconds": {k: v["seconds"] for k, v in ready.items()},
                "jobs": job_rows(jobs(client)),
                "load": load(),
            }
    finally:
        stop(proc)
    path = write_result("first_start", result)
    print(path, result.get("first_answer_seconds"), result.get("second_start"))
    if not result.get("within_15_minutes"):
        sys.exit(1)


if __name__ == "__main__":
    main()
