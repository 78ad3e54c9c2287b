"""Helpers shared by the benchmarks: result files and machine facts."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil

RESULTS = Path(__file__).parent / "results"
REPO = Path(__file__).resolve().parent.parent


def load_hack(name: str) -> ModuleType:
    """A module of hack/ (a script folder, not a package), imported by its file once: hack/NAME.py
    or the package hack/NAME/ (controlplane)."""
    if name in sys.modules:
        return sys.modules[name]
    package = REPO / "hack" / name
    if (package / "__init__.py").is_file():
        spec = importlib.util.spec_from_file_location(
            name, package / "__init__.py", submodule_search_locations=[str(package)]
        )
    else:
        spec = importlib.util.spec_from_file_location(name, REPO / "hack" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write bench/results/<name>.json atomically."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    body = {
        "benchmark": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        **result,
    }
    fd, tmp = tempfile.mkstemp(dir=RESULTS, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(body, f, indent=2, sort_keys=False)
        f.write("\n")
    path = RESULTS / f"{name}.json"
    os.replace(tmp, path)
    return path


def summary(samples: list[float]) -> dict[str, float]:
    """Milliseconds: median, p95, mean of samples given in seconds."""
    ms = sorted(s * 1000 for s in samples)
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }
