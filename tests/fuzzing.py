"""Schemathesis over every service's OpenAPI, through the local gateway.

`fuzz_service` runs the `st` CLI (schemathesis from PyPI) against one service's document at
`<gateway><prefix>/openapi.json`, so each request takes the path a user's does, and reads the
run's JSON report. The CI test (`tests/e2e/test_fuzz.py`) uses a small budget; the nightly-sized
run is `python -m bench.fuzz`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradingstack.core import catalog

# No 5xx (but a model being prepared: tests/fuzz_checks.py), and every answer as the document
# says: its status, media type, body and headers.
CHECKS = (
    "no_unplanned_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# The stateful phase needs OpenAPI links, which no service declares.
PHASES = "examples,coverage,fuzzing"
TOKEN = "fuzz-token-0123456789"
# Small, fast settings: the fuzzer can start a training (tcn's POST /train with `{}` is valid),
# a chat or an analysis (each a generation); they must not take the machine for minutes.
FUZZ_ENV = {
    "TS_API_TOKEN": TOKEN,
    "TS_LLM_MAX_TOKENS": "16",
    "TS_LLM_CHAT_MAX_TOKENS": "16",
    "TS_LLM_RATIONALE_MAX_TOKENS": "32",
    "TS_LLM_RATIONALE_ATTEMPTS": "1",
    "TS_NHITS_TRAIN_BARS": "600",
    "TS_NHITS_MAX_STEPS": "5",
}


@dataclass
class FuzzResult:
    service: str
    exit_code: int
    cases: int
    failures: list[dict[str, Any]]
    errors: list[Any]
    operations: int
    seconds: float
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.failures and not self.errors

    def summary(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operations": self.operations,
            "cases": self.cases,
            "failures": len(self.failures),
            "errors": len(self.errors),
            "seconds": round(self.seconds, 1),
        }


# The dashboard's server only serves the front-end and its status; the APIs are the others'.
NOT_APIS = frozenset({"ui"})


def fuzzable(services: list[str]) -> list[str]:
    """The API services among `services` (each has an OpenAPI document behind the gateway)."""
    return [
        n
        for n in services
        if n not in NOT_APIS and catalog.get(n).path is not None and catalog.get(n).app
    ]


def fuzz_service(
    gateway: str,
    service: str,
    report_dir: Path,
    *,
    examples: int,
    seed: int,
    max_time: float | None = None,
) -> FuzzResult:
    prefix = catalog.get(service).prefix
    report = report_dir / f"{service}-seed{seed}.json"
    st = Path(sys.executable).with_name("st")
    cmd = [
        str(st),
        "run",
        f"{gateway}{prefix}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        PHASES,
        "--max-examples",
        str(examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    if max_time is not None:
        cmd += ["--max-time", str(int(max_time))]
    # run in the report folder: schemathesis keeps its example database in ./.schemathesis
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("fuzz_checks.py"))}
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=1800, cwd=report_dir, env=env
    )
    output = proc.stdout + proc.stderr
    data: dict[str, Any] = json.loads(report.read_text()) if report.exists() else {}
    return FuzzResult(
        service=service,
        exit_code=proc.returncode,
        cases=int(data.get("test_cases", {}).get("generated", 0)),
        failures=list(data.get("failures", [])),
        errors=list(data.get("errors", [])),
        operations=int(data.get("operations", {}).get("tested", 0)),
        seconds=float(data.get("running_time", 0.0)),
        output=output,
    )
