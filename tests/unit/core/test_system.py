"""GPU discovery from a Jetson's sysfs layout (files as L4T writes them)."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tradingstack.core.system import cpu_percent, gpu_metrics


def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def test_jetson_sysfs_is_read(tmp_path: Path) -> None:
    _write(tmp_path, "firmware/devicetree/base/model", "NVIDIA Jetson AGX Thor Developer Kit\x00")
    _write(tmp_path, "devices/platform/bus@0/17000000.gpu/load", "437\n")
    _write(tmp_path, "class/thermal/thermal_zone0/type", "cpu-thermal\n")
    _write(tmp_path, "class/thermal/thermal_zone0/temp", "41500\n")
    _write(tmp_path, "class/thermal/thermal_zone1/type", "gpu-thermal\n")
    _write(tmp_path, "class/thermal/thermal_zone1/temp", "39250\n")
    found = gpu_metrics(str(tmp_path))
    if found.source == "nvml":  # a machine with a discrete NVIDIA GPU answers NVML first
        return
    assert found.available and found.source == "jetson-sysfs"
    dev = found.devices[0]
    assert dev.name == "NVIDIA Jetson AGX Thor Developer Kit"
    assert dev.utilization_percent == 43.7
    assert dev.temperature_celsius == 39.25


def test_no_gpu_says_so(tmp_path: Path) -> None:
    found = gpu_metrics(str(tmp_path))
    if found.source == "nvml":
        return
    assert not found.available
    assert "no NVIDIA GPU" in (found.error or "")


def _burn(seconds: float) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        pass


def test_cpu_percent_covers_the_time_since_the_last_call_from_any_thread() -> None:
    """Servers answer from a pool of long-lived worker threads.

    psutil.cpu_percent(interval=None) keeps its previous sample per thread, so a worker that
    had not asked before measured only the instant of the call (the dashboard showed 0 % on
    a loaded machine). Here one worker asks, a core burns, and another worker asks: the
    answer must cover the burst.
    """
    with ThreadPoolExecutor(max_workers=2) as pool:
        ready, release = threading.Barrier(2), threading.Event()

        def first() -> float:
            value = cpu_percent()
            ready.wait()
            release.wait()  # stay alive: the second call must come from another thread
            return value

        pending = pool.submit(first)
        ready.wait()
        _burn(0.8)
        seen = pool.submit(cpu_percent).result()
        release.set()
        pending.result()
    floor = 100.0 / (os.cpu_count() or 1) / 2  # one core was busy most of the window
    assert seen >= floor, seen
