"""The CRD: generated from the pydantic model, committed once, structural and documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from tradingstack.core import catalog
from tradingstack_operator import crd, spec

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "crds" / crd.CRD_FILE


def _schema() -> dict[str, Any]:
    return crd.crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def _walk(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = [(path, node)]
    for name, child in (node.get("properties") or {}).items():
        out += _walk(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        out += _walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        out += _walk(node["additionalProperties"], f"{path}{{}}")
    return out


def test_committed_crd_equals_generated() -> None:
    assert COMMITTED.read_text() == crd.render(), (
        "crds/ is stale: run `python -m tradingstack_operator.crd --write`"
    )


def test_schema_is_structural_and_every_field_is_described() -> None:
    for path, node in _walk(_schema()):
        assert "type" in node or path == "", f"{path} has no type"
        for bad in ("$ref", "anyOf", "oneOf", "allOf", "title", "$defs", "const", "nullable"):
            assert bad not in node, f"{path} has {bad}"
        assert node.get("additionalProperties") is not False, path
        if node.get("type") == "object" and path not in (".metadata",) and "properties" in node:
            for name, child in node["properties"].items():
                if f"{path}.{name}" == ".metadata":
                    continue
                assert child.get("description"), f"{path}.{name} has no description"


def test_defaults_fill_nested_sections() -> None:
    props = _schema()["properties"]["spec"]["properties"]
    for section in ("image", "workloads", "market", "ollama", "storage", "ingress", "alerting"):
        assert props[section]["default"] == {}, section
    workloads = props["workloads"]["properties"]
    assert set(workloads) == set(catalog.NAMES)
    for w in catalog.WORKLOADS:
        assert workloads[w.name]["default"] == {}
        assert workloads[w.name]["properties"]["gpu"]["default"] == (1 if w.gpu else 0)
        assert workloads[w.name]["properties"]["enabled"]["default"] is True
    assert props["runtimeClassName"]["default"] == "nvidia"


def test_cel_rules_cover_gpu_dependencies_and_storage_class() -> None:
    props = _schema()["properties"]["spec"]["properties"]
    rules = props["workloads"]["x-kubernetes-validations"]
    expected = {
        f"{w.name} depends on {d}: enable {d} or disable {w.name} too"
        for w in catalog.WORKLOADS
        for d in w.depends_on
    }
    assert {r["message"] for r in rules} == expected
    for r in rules:
        w, d = r["message"].split(" depends on ")[0], r["message"].split(":")[0].split()[-1]
        assert f"self.{w}.enabled" in r["rule"] and f"self.{d}.enabled" in r["rule"]
    assert all(r["message"] for r in rules)
    gpu_rules = props["workloads"]["properties"]["nhits"]["x-kubernetes-validations"]
    assert gpu_rules[0]["rule"] == "!has(self.gpu) || self.gpu >= 0"
    storage_rule = props["storage"]["x-kubernetes-validations"][0]
    assert "oldSelf.className" in storage_rule["rule"]


def test_crd_metadata_printer_columns_and_status() -> None:
    doc = yaml.safe_load(COMMITTED.read_text())
    assert doc["metadata"]["name"] == "tradingstacks.tradingstack.dev"
    assert doc["spec"]["names"]["shortNames"] == ["ts"]
    version = doc["spec"]["versions"][0]
    assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
    cols = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert cols == {
        "Ready": '.status.conditions[?(@.type=="Ready")].status',
        "Services": ".status.servicesReady",
        "URL": ".status.url",
        "Age": ".metadata.creationTimestamp",
    }
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert {"conditions", "services", "servicesReady", "url", "observedGeneration"} <= set(status)


def test_model_enforces_the_same_rules_as_cel() -> None:
    with pytest.raises(ValidationError, match="cannot be negative"):
        spec.TradingStackSpec.model_validate({"workloads": {"nhits": {"gpu": -1}}})
    with pytest.raises(ValidationError, match="rag depends on embedder"):
        spec.TradingStackSpec.model_validate({"workloads": {"embedder": {"enabled": False}}})
    # disabling a dependency together with its dependents is fine
    ok = spec.TradingStackSpec.model_validate(
        {
            "workloads": {
                "embedder": {"enabled": False},
                "rag": {"enabled": False},
                "llm": {"enabled": False},
            }
        }
    )
    assert [w.name for w in ok.enabled()] == ["ui", "data", "nhits", "tcn", "hmm", "ollama"]
    with pytest.raises(ValidationError, match=r"needs ingress\.host"):
        spec.TradingStackSpec.model_validate({"ingress": {"tlsSecretName": "tls"}})
    with pytest.raises(ValidationError, match="extra"):
        spec.TradingStackSpec.model_validate({"workloads": {"nhits": {"gpus": 1}}})
    with pytest.raises(ValidationError, match=r"alerting\.enabled needs a destination"):
        spec.TradingStackSpec.model_validate({"alerting": {"enabled": True}})
    # a webhook alone is a destination (no Telegram needed)
    hook = {"alerting": {"enabled": True, "webhookUrl": "http://10.0.0.5:8080/alerts"}}
    assert spec.TradingStackSpec.model_validate(hook).alerting.webhook_url


def test_example_is_valid_and_fits_a_thor() -> None:
    doc = yaml.safe_load((ROOT / "manifests" / "examples" / "tradingstack.yaml").read_text())
    assert doc["apiVersion"] == spec.API_VERSION and doc["kind"] == spec.KIND
    ts = spec.TradingStackSpec.model_validate(doc["spec"])
    gpus = sum(ts.workload(w.name).gpu * ts.workload(w.name).replicas for w in ts.enabled())
    assert gpus == 4  # one Thor GPU, four time-slicing replicas
    assert len(ts.enabled()) == 9


def test_cpu_example_needs_no_gpu_and_runs_the_analyst_in_process() -> None:
    doc = yaml.safe_load((ROOT / "manifests" / "examples" / "tradingstack-cpu.yaml").read_text())
    assert doc["apiVersion"] == spec.API_VERSION and doc["kind"] == spec.KIND
    ts = spec.TradingStackSpec.model_validate(doc["spec"])
    assert all(ts.workload(w.name).gpu == 0 for w in ts.enabled())
    names = [w.name for w in ts.enabled()]
    assert "ollama" not in names and "llm" in names and len(names) == 8
    assert [p.name for p in ts.market.providers] == []  # offline: the bundled datasets
