"""The real local stack in a subprocess, for the browser and the fuzz tests (and bench/fuzz).

It is the launcher's (one process per service behind the gateway, like `tradingstack up`)
with the services that exist in the tree; `TS_BROWSER_SERVICES=ui,data` picks them by hand.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from tradingstack.core import catalog

from tests.unit.servers import wait_http

REPO = Path(__file__).resolve().parents[1]
WANTED = ("ui", "data", "nhits", "tcn", "hmm", "embedder", "rag", "llm")
# Small, fast settings for the services (the tests train tiny models through the UI).
STACK_ENV = {
    "TS_LOG_LEVEL": "WARNING",
    "TS_NHITS_RETRAIN_ENABLED": "false",
    "TS_NHITS_TRAIN_BARS": "1200",
    "TS_NHITS_MLP_WIDTH": "64",
    "TS_NHITS_BATCH_WINDOWS": "64",
    "TS_TCN_TORCH_THREADS": "1",
    "TS_LLM_MAX_TOKENS": "256",
    "TS_LLM_RAG_K": "2",
}


def buildable(name: str) -> bool:
    """A catalog service whose app module exists in the tree."""
    app = catalog.get(name).app
    if app is None:
        return False
    try:
        return importlib.util.find_spec(app.partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def wanted_services() -> list[str]:
    names = os.environ.get("TS_BROWSER_SERVICES")
    picked = [n.strip() for n in names.split(",")] if names else list(WANTED)
    return [n for n in picked if buildable(n)]


@dataclass
class RunningStack:
    base: str
    proc: subprocess.Popen[bytes]
    services: list[str]
    state_dir: Path
    log: Path
    dropped: dict[str, str] = field(default_factory=dict)

    def has(self, *names: str) -> bool:
        return all(n in self.services for n in names)

    def service_process(self, name: str) -> psutil.Process:
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                cmd = child.cmdline()
            except psutil.Error:
                continue
            if "serve" in cmd and name in cmd:
                return child
        raise LookupError(f"no {name} process under the stack")

    def stop(self) -> str:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.log.read_text(errors="replace")


def service_dirs(state_dir: Path) -> dict[str, str]:
    """Each service's storage, as the launcher sets it for built services (it sets it only for
    `implemented` ones; the others would write to ./.state in the checkout). Where each
    service listens, the launcher tells them: it picks free ports when the defaults are taken
    (another stack, another test)."""
    env: dict[str, str] = {}
    for w in catalog.WORKLOADS:
        if w.app is not None:
            env[f"TS_{w.name.upper()}_DIR"] = str(state_dir / w.name)
    return env


UP = re.compile(r"TradingStack is up at (http://[0-9.]+:[0-9]+)")


def start_stack(services: list[str], state_dir: Path, env: dict[str, str]) -> RunningStack:
    """Start the stack; a service other than ui/data that dies at start-up is left out."""
    dropped: dict[str, str] = {}
    for attempt in range(3):
        log = state_dir / f"stack-{attempt}.log"
        cmd = [
            sys.executable,
            "-m",
            "tests.browser.run_stack",
            "--port",
            "0",  # any free port: the launcher binds it and says which
            "--state-dir",
            str(state_dir),
            "--services",
            ",".join(services),
        ]
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO,
                env={**os.environ, **service_dirs(state_dir), **STACK_ENV, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 170
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if up := UP.search(text):
                stack = RunningStack(up.group(1), proc, services, state_dir, log)
                stack.dropped = dropped
                return stack
            if proc.poll() is not None:
                break
            time.sleep(0.5)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"the stack did not start in 170 s:\n{log.read_text()[-3000:]}")
        text = log.read_text(errors="replace")
        dead = re.search(r"([a-z, ]+) exited at start-up", text)
        names = [n.strip() for n in dead.group(1).split(",")] if dead else []
        if not names or {"ui", "data"} & set(names):
            raise AssertionError(f"the stack failed to start:\n{text[-4000:]}")
        for n in names:
            log_file = state_dir / "logs" / f"{n}.log"
            tail = log_file.read_text(errors="replace")[-400:] if log_file.exists() else ""
            dropped[n] = tail
        services = [s for s in services if s not in names]
    raise AssertionError("the stack did not start after leaving out the failing services")


@contextlib.contextmanager
def healthy_stack(
    services: list[str], state_dir: Path, env: dict[str, str], timeout: float = 60
) -> Iterator[RunningStack]:
    """`start_stack`, then each service's /health through the gateway (the ui's at the root)
    answered within `timeout` seconds; the stack is stopped afterwards."""
    running = start_stack(services, state_dir, env)
    try:
        for name in running.services:
            wait_http(f"{running.base}/{'' if name == 'ui' else name + '/'}health", timeout=timeout)
        yield running
    finally:
        running.stop()
