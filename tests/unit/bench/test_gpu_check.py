"""bench/gpu_check.py on a machine without a GPU: every part says why it skipped, the CPU
half of each part runs (the services' real code at tiny sizes, so an API change that would
break the GPU run breaks this first), and the JSON has the shape the GPU run will have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import gpu_check
from bench.common import RESULTS

PARTS = {"nhits", "tcn", "embedder", "faiss", "rag_store", "system_metrics"}


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: this test is for machines without one")
    out = tmp_path_factory.mktemp("gpu-check") / "gpu.json"
    before = {p: p.stat().st_mtime for p in RESULTS.glob("gpu*.json")}
    code = gpu_check.main(["--tiny", "--cpu-reference", "--threads", "2", "--out", str(out)])
    after = {p: p.stat().st_mtime for p in RESULTS.glob("gpu*.json")}
    assert after == before  # with --out, bench/results/ is untouched
    assert code == 0  # skips are no failure
    return json.loads(out.read_text())  # type: ignore[no-any-return]


@pytest.mark.slow
def test_every_part_skips_with_its_reason(cpu_run: dict[str, object]) -> None:
    parts = cpu_run["parts"]
    assert isinstance(parts, dict) and set(parts) == PARTS
    assert cpu_run["summary"] == {
        "ok": [],
        "mismatch": [],
        "skipped": sorted(PARTS, key=list(gpu_check.PARTS).index),
        "failed": [],
    }
    for name in ("nhits", "tcn", "embedder"):
        assert parts[name]["reason"].startswith("no CUDA device"), parts[name]
    for name in ("faiss", "rag_store"):
        reason = parts[name]["reason"]
        assert "faiss" in reason and ("--group gpu" in reason or "sees no GPU" in reason)
    assert "no NVIDIA GPU" in parts["system_metrics"]["reason"]
    env = cpu_run["environment"]
    assert env["cuda_available"] is False and env["faiss_gpus"] == 0


@pytest.mark.slow
def test_the_cpu_half_of_each_part_ran(cpu_run: dict[str, object]) -> None:
    parts = cpu_run["parts"]
    assert isinstance(parts, dict)
    nhits = parts["nhits"]["cpu"]
    assert nhits["train_s"] > 0 and nhits["forecast_finite"] is True
    tcn = parts["tcn"]["cpu"]
    assert tcn["train_s"] > 0 and tcn["proba_rows_sum_to_1"] is True
    emb = parts["embedder"]
    assert emb["model"] == "all-MiniLM-L6-v2" and emb["cpu"]["unit_norm"] is True
    faiss = parts["faiss"]
    assert faiss["vectors"] == gpu_check.TINY.faiss_vectors
    assert faiss["cpu"]["flat"]["batch_queries"] == gpu_check.TINY.faiss_queries
    assert 0.3 < faiss["cpu"]["ivf"]["recall_at_10"] <= 1.0  # clustered data: IVF finds some
    store = parts["rag_store"]["cpu"]
    assert store["device"] == "cpu" and store["index"] == "ivf" and store["recall_at_10"] > 0.3
    health = parts["system_metrics"]["rag_health"]
    assert health["device"] == "cpu" and health["faiss_gpus"] == 0
    for part in parts.values():
        assert part["seconds"] >= 0 and "cuda" not in part and "gpu" not in part.get("cpu", {})


def test_without_a_gpu_the_result_is_never_gpu_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The default run (as `make bench` calls it) skips every GPU part in seconds and writes
    gpu-cpu-only.json, never gpu.json (that one comes from a real GPU run)."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    written: list[str] = []

    def write(name: str, result: dict[str, object]) -> Path:
        written.append(name)
        return tmp_path / f"{name}.json"

    monkeypatch.setattr(gpu_check, "write_result", write)
    assert gpu_check.main(["--only", "nhits", "faiss"]) == 0
    assert written == ["gpu-cpu-only"]
