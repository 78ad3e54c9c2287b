"""What every part of the control plane shares: where things live, the log line, env values."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
HACK = REPO / "hack"
MODULES_DIR = HACK / "control-plane"
CLUSTER_DIR = Path(os.environ.get("TS_CLUSTER_DIR", str(REPO / ".cluster")))
CACHE_ROOT = Path(
    os.environ.get(
        "TS_CACHE_DIR",
        str(Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "tradingstack"),
    )
)
HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[control-plane] {message}", file=sys.stderr, flush=True)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, not {value!r}") from exc


def sibling(name: str) -> ModuleType:
    """A script of hack/ (node.py, images.py), imported on demand by its name."""
    if str(HACK) not in sys.path:
        sys.path.insert(0, str(HACK))
    return __import__(name)
