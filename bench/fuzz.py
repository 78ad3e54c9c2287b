"""The nightly-sized fuzz run: schemathesis over every service's OpenAPI through the gateway
of the real local stack, several seeds, at least 100 examples per operation.

    python -m bench.fuzz [--examples 100] [--seeds 1,2,3] [--services data,hmm]

Writes bench/results/fuzz.json: per service and seed, the operations, generated cases,
failures and errors (any failure also fails the run); the reports of schemathesis go to
artifacts/fuzz-bench/. A run with `--services` replaces those services' rows and keeps the
other services' rows of the file (each row says when it ran).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, RESULTS, write_result
from tests.fuzzing import CHECKS, FUZZ_ENV, fuzz_service, fuzzable
from tests.local_stack import start_stack, wanted_services


def run(examples: int, seeds: list[int], services: list[str] | None) -> dict[str, Any]:
    names = fuzzable(services or wanted_services())
    reports = REPO / "artifacts" / "fuzz-bench"
    reports.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as state:
        stack = start_stack(wanted_services(), Path(state), FUZZ_ENV)
        try:
            for seed in seeds:
                for name in names:
                    if name not in stack.services:
                        rows.append({"service": name, "seed": seed, "started": False})
                        continue
                    result = fuzz_service(stack.base, name, reports, examples=examples, seed=seed)
                    row = {
                        **result.summary(),
                        "seed": seed,
                        "exit_code": result.exit_code,
                        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    }
                    if not result.ok:
                        row["output_tail"] = result.output[-2000:]
                    rows.append(row)
                    print(row if not result.ok else result.summary(), flush=True)
        finally:
            stack.stop()
    seconds = round(time.perf_counter() - start, 1)
    if services:
        rows = _kept_rows(names, examples) + rows
    return {
        "examples_per_operation": examples,
        "seeds": sorted({r["seed"] for r in rows}),
        "checks": list(CHECKS),
        "runs": rows,
        "total_cases": sum(r.get("cases", 0) for r in rows),
        "total_failures": sum(r.get("failures", 0) + r.get("errors", 0) for r in rows),
        "not_started": [r["service"] for r in rows if r.get("started") is False],
        "seconds": seconds,
    }


def _kept_rows(names: list[str], examples: int) -> list[dict[str, Any]]:
    """The rows of the last fuzz.json for the services not run now (same example budget)."""
    try:
        last = json.loads((RESULTS / "fuzz.json").read_text())
    except (OSError, ValueError):
        return []
    if last.get("examples_per_operation") != examples:
        return []
    return [
        {"at": last.get("at"), **r} if "at" not in r else r
        for r in last.get("runs", [])
        if r.get("service") not in names
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--services", default=None, help="comma list (default: all)")
    args = parser.parse_args([] if argv is None else argv)
    result = run(
        args.examples,
        [int(s) for s in args.seeds.split(",")],
        args.services.split(",") if args.services else None,
    )
    path = write_result("fuzz", result)
    print(f"{result['total_cases']} cases, {result['total_failures']} failures -> {path}")
    if result["total_failures"] or result["not_started"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
