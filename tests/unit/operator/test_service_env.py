"""The environment the operator gives each pod is the one the services read.

Each Deployment's env (and the shared ConfigMap) is loaded by the service's own settings
class: storage lands on the mounted volume, the data service gets its provider order, and
the analyst talks to the stack's Ollama.
"""

from __future__ import annotations

from typing import Any

import pytest
from tradingstack.core import catalog
from tradingstack_operator import builders as b
from tradingstack_operator import spec as s

STACK = b.Stack(name="demo", namespace="trading", uid="uid-1")


def _pod_env(manifests: list[dict[str, Any]], workload: str) -> dict[str, str]:
    cm = next(m for m in manifests if m["kind"] == "ConfigMap")["data"]
    dep = next(
        m
        for m in manifests
        if m["kind"] == "Deployment" and m["metadata"]["name"] == f"demo-{workload}"
    )
    env = dict(cm)
    for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]:
        if "value" in e:
            env[e["name"]] = e["value"]
    return env


@pytest.fixture
def manifests() -> list[dict[str, Any]]:
    raw = {"market": {"providers": [{"name": "yahoo"}]}}
    return b.build(STACK, s.TradingStackSpec.model_validate(raw))


def _load(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], cls: type) -> Any:
    for key in list(__import__("os").environ):
        if key.startswith("TS_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return cls()


def test_every_service_stores_on_its_volume(
    monkeypatch: pytest.MonkeyPatch, manifests: list[dict[str, Any]]
) -> None:
    from tradingstack.data.settings import DataSettings
    from tradingstack.hmm.settings import HmmSettings
    from tradingstack.nhits.settings import NhitsSettings
    from tradingstack.rag.settings import RagSettings
    from tradingstack.tcn.settings import TcnSettings

    classes = {
        "data": DataSettings,
        "nhits": NhitsSettings,
        "tcn": TcnSettings,
        "hmm": HmmSettings,
        "rag": RagSettings,
    }
    for name, cls in classes.items():
        w = catalog.get(name)
        settings = _load(monkeypatch, _pod_env(manifests, name), cls)
        assert str(settings.dir) == w.volumes[0].mount_path, name


def test_data_gets_its_provider_order_and_llm_its_ollama(
    monkeypatch: pytest.MonkeyPatch, manifests: list[dict[str, Any]]
) -> None:
    from tradingstack.data.providers.settings import ProviderSettings
    from tradingstack.llm.settings import LlmSettings

    providers = _load(monkeypatch, _pod_env(manifests, "data"), ProviderSettings)
    assert providers.order() == ["yahoo", "embedded"]
    llm = _load(monkeypatch, _pod_env(manifests, "llm"), LlmSettings)
    assert llm.backend == "ollama"
    assert llm.ollama_url == f"http://demo-ollama:{catalog.get('ollama').port}"
    assert llm.model == s.TradingStackSpec().ollama.model
