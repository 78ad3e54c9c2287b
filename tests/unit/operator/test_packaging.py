"""The Helm chart, manifests/ and the CRD copies agree (no helm binary needed here; the
cluster tests run `helm template/install`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from tradingstack_operator import crd

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "charts" / "tradingstack"


def _load_all(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def test_chart_crd_is_the_repository_crd() -> None:
    chart_crds = sorted(p.name for p in (CHART / "crds").iterdir())
    assert chart_crds == [crd.CRD_FILE]
    assert (CHART / "crds" / crd.CRD_FILE).read_text() == (ROOT / "crds" / crd.CRD_FILE).read_text()


def test_manifests_rbac_uses_the_chart_rules() -> None:
    rules = yaml.safe_load((CHART / "files" / "rbac-rules.yaml").read_text())
    docs = {d["kind"]: d for d in _load_all(ROOT / "manifests" / "rbac.yaml")}
    assert docs["ClusterRole"]["rules"] == rules
    subject = docs["ClusterRoleBinding"]["subjects"][0]
    assert subject["name"] == docs["ServiceAccount"]["metadata"]["name"]
    assert subject["namespace"] == docs["ServiceAccount"]["metadata"]["namespace"]


def test_rbac_is_least_privilege() -> None:
    rules = yaml.safe_load((CHART / "files" / "rbac-rules.yaml").read_text())
    for rule in rules:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"], rule
        if "secrets" in rule["resources"]:
            # create: the generated token; get (by name): the Telegram Secret of
            # spec.alerting; never list or watch (no way to read Secrets wholesale)
            assert rule["verbs"] == ["create", "get"]
        if "pods" in rule["resources"]:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}
        if rule["apiGroups"] == ["apiextensions.k8s.io"]:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}
        assert not {"namespaces", "nodes", "clusterroles", "clusterrolebindings"} & set(
            rule["resources"]
        )


def test_kustomization_lists_crd_namespace_rbac_operator() -> None:
    k = yaml.safe_load((ROOT / "manifests" / "kustomization.yaml").read_text())
    assert k["resources"] == ["../crds", "namespace.yaml", "rbac.yaml", "operator.yaml"]
    base = yaml.safe_load((ROOT / "crds" / "kustomization.yaml").read_text())
    assert base["resources"] == [crd.CRD_FILE]
    for name in k["resources"][1:]:
        assert (ROOT / "manifests" / name).exists()
    dep = _load_all(ROOT / "manifests" / "operator.yaml")[0]
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == "tradingstack-operator"


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((CHART / "values.schema.json").read_text())
    return schema


def test_default_values_match_the_schema() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    jsonschema.validate(values, _schema())


@pytest.mark.parametrize(
    "patch",
    [
        {"imgae": {"tag": "x"}},
        {"image": {"tga": "x"}},
        {"serviceMonitor": {"enabeld": True}},
        {"resyncSeconds": "ten"},
    ],
)
def test_schema_rejects_typos(patch: dict[str, Any]) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for key, value in patch.items():
        values[key] = {**values.get(key, {}), **value} if isinstance(value, dict) else value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, _schema())


def test_every_schema_object_refuses_unknown_keys() -> None:
    def walk(node: dict[str, Any], path: str) -> None:
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, path
            for name, child in node["properties"].items():
                walk(child, f"{path}.{name}")

    walk(_schema(), "values")
