"""Host metrics for `GET /api/v1/system/metrics`: CPU, memory and GPU.

GPU data comes from NVML (nvidia-ml-py) on discrete GPUs, and from the Jetson's sysfs
(`/sys/devices/platform/.../gpu*/load`, devfreq, thermal zones) on Jetson boards, where NVML
exposes little. Whatever is not readable is reported as null, never guessed.
"""

from __future__ import annotations

import glob
import os
import threading
import time
from pathlib import Path
from typing import Any, Literal

import psutil
from pydantic import BaseModel, Field


class CpuMetrics(BaseModel):
    percent: float = Field(description="utilisation since the previous call, 0-100")
    cores_logical: int
    cores_physical: int | None
    load_average: tuple[float, float, float] | None
    temperature_celsius: float | None


class MemoryMetrics(BaseModel):
    total_bytes: int
    used_bytes: int
    available_bytes: int
    percent: float


class GpuDevice(BaseModel):
    index: int
    name: str
    memory_total_bytes: int | None = None
    memory_used_bytes: int | None = None
    utilization_percent: float | None = None
    temperature_celsius: float | None = None


class GpuMetrics(BaseModel):
    available: bool
    source: Literal["nvml", "jetson-sysfs"] | None = None
    devices: list[GpuDevice] = []
    error: str | None = None


class SystemMetrics(BaseModel):
    cpu: CpuMetrics
    memory: MemoryMetrics
    gpu: GpuMetrics


_cpu_lock = threading.Lock()
_cpu_last: tuple[float, float] | None = None  # (busy seconds, total seconds), all CPUs


def _cpu_sample() -> tuple[float, float]:
    t = psutil.cpu_times()
    total = float(sum(t))
    idle = float(t.idle + getattr(t, "iowait", 0.0))
    return total - idle, total


def cpu_percent(min_interval: float = 0.1) -> float:
    """System CPU utilisation (0-100) since the previous call, from any thread.

    psutil.cpu_percent(interval=None) remembers its previous sample per thread, so a server
    answering from a thread pool got 0.0 from every fresh thread. This keeps one sample for
    the process, and measures over at least `min_interval` seconds.
    """
    global _cpu_last
    window = min_interval * (psutil.cpu_count() or 1)  # cpu_times() sums every CPU
    with _cpu_lock:
        previous = _cpu_last or _cpu_sample()
        busy, total = _cpu_sample()
        if total - previous[1] < window:  # first call, or right after another one
            time.sleep(min_interval)
            busy, total = _cpu_sample()
        _cpu_last = (busy, total)
    span = total - previous[1]
    if span <= 0:
        return 0.0
    return round(min(100.0, max(0.0, 100.0 * (busy - previous[0]) / span)), 1)


def _cpu_temperature(sys_root: str = "/sys") -> float | None:
    try:
        temps = psutil.sensors_temperatures()
    except (AttributeError, OSError):
        temps = {}
    for key in ("coretemp", "k10temp", "cpu_thermal", "cpu-thermal", "soc_thermal", "acpitz"):
        for entry in temps.get(key, []):
            if entry.current:
                return float(entry.current)
    return _thermal_zone(sys_root, ("cpu", "soc"))


def _thermal_zone(sys_root: str, kinds: tuple[str, ...]) -> float | None:
    for zone in sorted(glob.glob(os.path.join(sys_root, "class/thermal/thermal_zone*"))):
        try:
            kind = Path(zone, "type").read_text().strip().lower()
            if any(k in kind for k in kinds):
                return int(Path(zone, "temp").read_text().strip()) / 1000.0
        except (OSError, ValueError):
            continue
    return None


def _nvml() -> GpuMetrics | None:
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError: no driver, no GPU
        return None
    try:
        devices = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(handle)
            dev = GpuDevice(index=i, name=name.decode() if isinstance(name, bytes) else name)
            try:
                mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
                dev.memory_total_bytes, dev.memory_used_bytes = int(mem.total), int(mem.used)
            except Exception:
                pass
            try:
                dev.utilization_percent = float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except Exception:
                pass
            try:
                dev.temperature_celsius = float(
                    pynvml.nvmlDeviceGetTemperature(handle, pynvml.NVML_TEMPERATURE_GPU)
                )
            except Exception:
                pass
            devices.append(dev)
        return GpuMetrics(available=bool(devices), source="nvml", devices=devices)
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass


# Where L4T exposes the GPU load (per mille), by Jetson generation. sysfs has symlink loops, so
# these are fixed patterns, never a recursive walk.
JETSON_GPU_LOAD = (
    "devices/gpu.0/load",
    "devices/platform/gpu.0/load",
    "devices/platform/*.gpu/load",
    "devices/platform/bus@0/*.gpu/load",
    "devices/platform/*/*.gpu/load",
)


def _jetson(sys_root: str = "/sys") -> GpuMetrics | None:
    """Jetson boards expose GPU load (per mille) in sysfs; memory is shared with the CPU."""
    loads = [
        p for pattern in JETSON_GPU_LOAD for p in sorted(glob.glob(os.path.join(sys_root, pattern)))
    ]
    if not loads and not os.path.exists(os.path.join(sys_root, "firmware/devicetree/base/model")):
        return None
    model = None
    try:
        model = Path(sys_root, "firmware/devicetree/base/model").read_text().strip("\x00\n ")
    except OSError:
        pass
    if not loads and not (model and "jetson" in model.lower()):
        return None
    util = None
    if loads:
        try:
            util = int(Path(loads[0]).read_text().strip()) / 10.0
        except (OSError, ValueError):
            util = None
    vm = psutil.virtual_memory()
    dev = GpuDevice(
        index=0,
        name=model or "NVIDIA Jetson GPU",
        memory_total_bytes=int(vm.total),
        memory_used_bytes=int(vm.total - vm.available),
        utilization_percent=util,
        temperature_celsius=_thermal_zone(sys_root, ("gpu",)),
    )
    return GpuMetrics(available=True, source="jetson-sysfs", devices=[dev])


def gpu_metrics(sys_root: str = "/sys") -> GpuMetrics:
    for probe in (_nvml, lambda: _jetson(sys_root)):
        found = probe()
        if found is not None and found.available:
            return found
    return GpuMetrics(available=False, error="no NVIDIA GPU found (NVML and Jetson sysfs)")


def collect(sys_root: str = "/sys") -> SystemMetrics:
    vm = psutil.virtual_memory()
    try:
        load: tuple[float, float, float] | None = os.getloadavg()
    except OSError:
        load = None
    return SystemMetrics(
        cpu=CpuMetrics(
            percent=cpu_percent(),
            cores_logical=psutil.cpu_count(logical=True) or 1,
            cores_physical=psutil.cpu_count(logical=False),
            load_average=load,
            temperature_celsius=_cpu_temperature(sys_root),
        ),
        memory=MemoryMetrics(
            total_bytes=int(vm.total),
            used_bytes=int(vm.total - vm.available),
            available_bytes=int(vm.available),
            percent=float(vm.percent),
        ),
        gpu=gpu_metrics(sys_root),
    )


def as_dict(sys_root: str = "/sys") -> dict[str, Any]:
    return collect(sys_root).model_dump()
