"""GPU discovery from a Jetson's sysfs layout (files as L4T writes them)."""

from __future__ import annotations

from pathlib import Path

from tradingstack.core.system import gpu_metrics


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
