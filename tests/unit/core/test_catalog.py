"""The catalog is the single source of truth; it must be consistent."""

from __future__ import annotations

from tradingstack.core import catalog


def test_nine_workloads_with_the_designed_ports_and_paths() -> None:
    expected = {
        "ui": (3000, "/"),
        "data": (3001, "/data"),
        "nhits": (3002, "/nhits"),
        "tcn": (3003, "/tcn"),
        "hmm": (3004, "/hmm"),
        "embedder": (3005, "/embedder"),
        "rag": (3008, "/rag"),
        "llm": (3009, "/llm"),
        "ollama": (11434, None),
    }
    assert {w.name: (w.port, w.path) for w in catalog.WORKLOADS} == expected


def test_gpu_flags_follow_the_design() -> None:
    gpu = {w.name for w in catalog.WORKLOADS if w.gpu}
    assert gpu == {"nhits", "tcn", "embedder", "rag", "ollama"}


def test_unique_ports_and_paths_and_known_dependencies() -> None:
    ports = [w.port for w in catalog.WORKLOADS]
    paths = [w.path for w in catalog.WORKLOADS if w.path]
    assert len(set(ports)) == len(ports)
    assert len(set(paths)) == len(paths)
    for w in catalog.WORKLOADS:
        assert set(w.depends_on) <= set(catalog.NAMES), w.name
        assert w.name not in w.depends_on


def test_only_data_and_ollama_reach_the_internet() -> None:
    assert {w.name for w in catalog.WORKLOADS if w.internet_egress} == {"data", "ollama"}


def test_routing_order_puts_the_ui_last() -> None:
    routed = catalog.routed_workloads()
    assert routed[-1].name == "ui"
    assert "ollama" not in {w.name for w in routed}


def test_local_workloads_are_built_services_only() -> None:
    local = catalog.local_workloads()
    assert all(w.implemented and w.app for w in local)
    assert "ollama" not in {w.name for w in local}
    assert "data" in {w.name for w in local}
