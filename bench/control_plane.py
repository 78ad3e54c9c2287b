"""Benchmark of the test control plane (hack/controlplane/): cold build time, start-up time
with cached binaries, resident memory of the whole control plane; written to
bench/results/control_plane.json.

    .venv/bin/python -m bench.control_plane            # start-up and memory (binaries cached)
    .venv/bin/python -m bench.control_plane --cold     # also a cold build: empty Go module and
                                                       # build caches, as on a fresh CI machine

Without --cold, the cold-build figures of the previous result file are kept (with the date they
were measured), since a cold build takes tens of minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.common import load_hack

REPO = Path(__file__).resolve().parent.parent
RESULT = REPO / "bench" / "results" / "control_plane.json"


cpm = load_hack("controlplane")


def machine() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def cold_build() -> dict[str, Any]:
    """Build every binary with empty Go caches into a scratch directory and time it."""
    with tempfile.TemporaryDirectory(prefix="ts-cold-build-") as scratch:
        env = dict(os.environ)
        env.update(
            GOMODCACHE=f"{scratch}/mod",
            GOCACHE=f"{scratch}/build",
            TS_CONTROL_PLANE_BIN=f"{scratch}/bin",
        )
        start = time.monotonic()
        subprocess.run(
            [sys.executable, str(REPO / "hack" / "controlplane"), "build"], env=env, check=True
        )
        seconds = time.monotonic() - start
        record = json.loads((Path(scratch) / "bin" / "build.json").read_text())
        subprocess.run(["chmod", "-R", "u+w", scratch], check=False)  # Go's read-only mod cache
    return {
        "seconds": round(seconds, 1),
        "seconds_per_module": record["seconds_per_module"],
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "how": "python3 hack/controlplane build with empty GOMODCACHE and GOCACHE "
        "(downloads every module from the Go module proxy, compiles everything)",
    }


def tree_rss(pids: dict[str, int]) -> dict[str, int]:
    """RSS of each component, including any child processes it started."""
    out: dict[str, int] = {}
    for name, pid in pids.items():
        try:
            proc = psutil.Process(pid)
            procs = [proc, *proc.children(recursive=True)]
            out[name] = sum(p.memory_info().rss for p in procs)
        except psutil.NoSuchProcess:
            out[name] = 0
    return out


def startup_runs(runs: int, settle: float) -> dict[str, Any]:
    times: list[float] = []
    stops: list[float] = []
    rss_samples: list[dict[str, int]] = []
    leftovers: list[int] = []
    for _ in range(runs):
        directory = Path(tempfile.mkdtemp(prefix="ts-bench-cluster-"))
        start = time.monotonic()
        cp = cpm.start(directory, tie_to_parent=True)
        times.append(time.monotonic() - start)
        time.sleep(settle)  # let the controllers settle before measuring memory
        rss_samples.append(tree_rss(cp.pids))
        pids = list(cp.pids.values())
        start = time.monotonic()
        cp.stop()
        stops.append(time.monotonic() - start)
        leftovers += [
            p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"
        ]
        shutil.rmtree(directory, ignore_errors=True)
    last = rss_samples[-1]
    total_mib = [sum(s.values()) / 2**20 for s in rss_samples]
    return {
        "startup_seconds": {
            "runs": [round(t, 2) for t in times],
            "median": round(statistics.median(times), 2),
            "max": round(max(times), 2),
            "what": "from nothing running (fresh certificates, empty etcd) to the Jetson node "
            "Ready and the controller-manager working; binaries cached",
        },
        "stop_seconds": {"median": round(statistics.median(stops), 2)},
        "processes_left_after_stop": leftovers,
        "rss_mib": {
            "total_median": round(statistics.median(total_mib), 1),
            "per_component_last_run": {k: round(v / 2**20, 1) for k, v in last.items()},
            "settle_seconds": settle,
            "what": "sum of resident memory of etcd, kube-apiserver, kube-controller-manager, "
            "kube-scheduler and kwok",
        },
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench` calls this without arguments: the defaults apply."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold", action="store_true", help="also time a cold build")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument(
        "--cold-build-json",
        type=Path,
        help="record a cold build measured earlier: the build.json it left in the binary cache",
    )
    args = parser.parse_args(argv or [])

    previous: dict[str, Any] = {}
    if RESULT.is_file():
        previous = json.loads(RESULT.read_text())
    cpm.build()  # the cached binaries (a no-op when they are present)
    result: dict[str, Any] = {
        "benchmark": "control_plane",
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "versions": cpm.pinned_versions(),
        "go": cpm._go_version(),
        "cold_build": cold_build() if args.cold else previous.get("cold_build"),
        **startup_runs(args.runs, args.settle),
    }
    if args.cold_build_json is not None:
        record = json.loads(args.cold_build_json.read_text())
        result["cold_build"] = {
            "seconds": record["seconds"],
            "seconds_per_module": record["seconds_per_module"],
            "measured": record["finished"],
            "how": "python3 hack/controlplane build with empty GOMODCACHE and GOCACHE "
            "(downloads every module from the Go module proxy, compiles everything)",
        }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULT.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, RESULT)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
