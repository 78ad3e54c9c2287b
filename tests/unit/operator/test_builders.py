"""The pure builders: spec in, manifests out (no cluster)."""

from __future__ import annotations

from typing import Any

import pytest
from tradingstack.core import catalog
from tradingstack_operator import builders as b
from tradingstack_operator import spec

STACK = b.Stack(name="demo", namespace="trading", uid="0000-uid")


def build(raw: dict[str, Any] | None = None, traefik: bool = True) -> list[dict[str, Any]]:
    ts = spec.TradingStackSpec.model_validate(raw or {})
    return b.build(STACK, ts, b.Options(traefik_middleware=traefik))


def by_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def container(dep: dict[str, Any]) -> dict[str, Any]:
    c: dict[str, Any] = dep["spec"]["template"]["spec"]["containers"][0]
    return c


def env(dep: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(dep)["env"]}


def test_defaults_give_nine_deployments_and_services_from_the_catalog() -> None:
    m = build()
    deps = by_kind(m, "Deployment")
    svcs = by_kind(m, "Service")
    assert set(deps) == {f"demo-{n}" for n in catalog.NAMES}
    assert set(svcs) == set(deps)
    for w in catalog.WORKLOADS:
        port = container(deps[f"demo-{w.name}"])["ports"][0]
        assert port == {"name": "http", "containerPort": w.port, "protocol": "TCP"}
        assert svcs[f"demo-{w.name}"]["spec"]["ports"][0]["port"] == w.port
        assert (
            svcs[f"demo-{w.name}"]["spec"]["selector"]
            == deps[f"demo-{w.name}"]["spec"]["selector"]["matchLabels"]
        )


def test_every_child_is_owned_and_labelled() -> None:
    for m in build():
        assert m["metadata"]["namespace"] == "trading"
        ref = m["metadata"]["ownerReferences"][0]
        assert ref["uid"] == "0000-uid" and ref["controller"] is True
        assert ref["kind"] == "TradingStack" and ref["apiVersion"] == "tradingstack.dev/v1alpha1"
        assert m["metadata"]["labels"][b.STACK_LABEL] == "demo"


def test_gpu_workloads_get_limits_and_the_runtime_class() -> None:
    deps = by_kind(build({"workloads": {"tcn": {"gpu": 2}}}), "Deployment")
    for w in catalog.WORKLOADS:
        d = deps[f"demo-{w.name}"]
        limits = container(d)["resources"]["limits"]
        pod = d["spec"]["template"]["spec"]
        if w.gpu:
            expected = "2" if w.name == "tcn" else "1"
            assert limits["nvidia.com/gpu"] == expected, w.name
            assert pod["runtimeClassName"] == "nvidia"
            assert d["spec"]["strategy"] == {"type": "Recreate"}
        else:
            assert "nvidia.com/gpu" not in limits
            assert "runtimeClassName" not in pod
    no_rc = by_kind(build({"runtimeClassName": "", "workloads": {"rag": {"gpu": 0}}}), "Deployment")
    assert "runtimeClassName" not in no_rc["demo-nhits"]["spec"]["template"]["spec"]
    assert "nvidia.com/gpu" not in container(no_rc["demo-rag"])["resources"]["limits"]


def test_resources_default_to_the_catalog_and_can_be_overridden() -> None:
    deps = by_kind(
        build({"workloads": {"hmm": {"resources": {"limits": {"memory": "3Gi"}}}}}), "Deployment"
    )
    hmm = catalog.get("hmm").resources
    assert container(deps["demo-hmm"])["resources"] == {
        "requests": {"cpu": hmm.cpu_request, "memory": hmm.memory_request},
        "limits": {"cpu": hmm.cpu_limit, "memory": "3Gi"},
    }


def test_pods_are_locked_down() -> None:
    for d in by_kind(build(), "Deployment").values():
        pod = d["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        sc = container(d)["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert {"name": "tmp", "mountPath": "/tmp"} in container(d)["volumeMounts"]
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"]
    sa = by_kind(build(), "ServiceAccount")["demo-workloads"]
    assert sa["automountServiceAccountToken"] is False


def test_env_token_data_url_and_provider_keys() -> None:
    raw = {
        "market": {
            "providers": [
                {"name": "twelvedata", "apiKeySecretRef": {"name": "keys", "key": "td"}},
                {"name": "yahoo"},
            ]
        },
        "workloads": {"llm": {"env": {"TS_LLM_TEMPERATURE": "0.2"}}},
    }
    m = build(raw)
    deps = by_kind(m, "Deployment")
    for d in deps.values():
        e = env(d)
        assert e["TS_API_TOKEN"] == {"secretKeyRef": {"name": "demo-api-token", "key": "token"}}
        assert container(d)["envFrom"] == [{"configMapRef": {"name": "demo-config"}}]
    data_env = env(deps["demo-data"])
    assert data_env["TS_DATA_TWELVEDATA_API_KEY"] == {"secretKeyRef": {"name": "keys", "key": "td"}}
    assert "TS_DATA_TWELVEDATA_API_KEY" not in env(deps["demo-llm"])
    assert env(deps["demo-llm"])["TS_LLM_TEMPERATURE"] == "0.2"
    assert env(deps["demo-nhits"])["TS_NHITS_DIR"] == "/var/lib/tradingstack/models"
    cm = by_kind(m, "ConfigMap")["demo-config"]["data"]
    assert cm["TS_DATA_URL"] == f"http://demo-data:{catalog.get('data').port}"
    assert cm["TS_SYMBOLS"] == "EURUSD,BTCUSD,AAPL"
    assert cm["TS_DATA_PROVIDER_ORDER"] == "twelvedata,yahoo,embedded"
    assert cm["TS_OLLAMA_URL"] == f"http://demo-ollama:{catalog.get('ollama').port}"
    assert cm["TS_LLM_BACKEND"] == "ollama"


def test_llm_without_ollama_runs_the_bundled_model_in_process() -> None:
    """A stack without the Ollama workload is valid; the analyst runs the bundled model with
    llama.cpp's server (the prebuilt one in the image without torch) then."""
    m = build({"workloads": {"ollama": {"enabled": False}}})
    deps = by_kind(m, "Deployment")
    assert "demo-ollama" not in deps and "demo-llm" in deps
    cm = by_kind(m, "ConfigMap")["demo-config"]["data"]
    assert "TS_LLM_BACKEND" not in cm and "TS_OLLAMA_URL" not in cm
    from tradingstack.llm.settings import LlmSettings

    assert LlmSettings.model_validate({}).backend == "llama-server"


def test_token_secret_is_built_with_the_given_token() -> None:
    sec = b.token_secret(STACK, "s3cr3t")
    assert sec["metadata"]["name"] == "demo-api-token"
    assert sec["stringData"] == {"token": "s3cr3t"}
    assert sec["metadata"]["ownerReferences"][0]["uid"] == "0000-uid"


def test_images_stack_default_gpu_variant_and_per_workload_override() -> None:
    raw = {"image": {"tag": "1.2.3"}, "workloads": {"hmm": {"image": "reg/hmm:hotfix"}}}
    deps = by_kind(build(raw), "Deployment")
    assert container(deps["demo-data"])["image"] == "ghcr.io/tradingstack/tradingstack:1.2.3"
    assert (
        container(deps["demo-nhits"])["image"] == "ghcr.io/tradingstack/tradingstack:1.2.3-jetson"
    )
    assert container(deps["demo-hmm"])["image"] == "reg/hmm:hotfix"
    assert (
        container(deps["demo-ollama"])["image"] == "ghcr.io/tradingstack/tradingstack-ollama:1.2.3"
    )
    data = container(deps["demo-data"])
    assert data["command"][:3] == ["uvicorn", "--factory", catalog.get("data").app]
    assert data["command"][data["command"].index("--root-path") + 1] == "/data"


def test_services_keep_idle_connections_longer_than_traefik() -> None:
    """Traefik keeps idle backend connections 90 s; uvicorn's default keep-alive is 5 s, so
    Traefik would reuse connections as the service closes them (a spurious 502)."""
    data = container(by_kind(build({}), "Deployment")["demo-data"])
    keep_alive = int(data["command"][data["command"].index("--timeout-keep-alive") + 1])
    assert keep_alive > 90


def test_images_without_gpu_torch_workloads_get_the_torch_variant() -> None:
    """A CPU stack: torch workloads on `-torch`, the rest on the image without torch."""
    gpu0 = {w.name: {"gpu": 0} for w in catalog.WORKLOADS}
    deps = by_kind(build({"image": {"tag": "1.2.3"}, "workloads": gpu0}), "Deployment")
    base = "ghcr.io/tradingstack/tradingstack:1.2.3"
    for w in catalog.WORKLOADS:
        if w.app is None:
            continue
        expected = f"{base}-torch" if w.name in ("nhits", "tcn", "embedder") else base
        assert container(deps[f"demo-{w.name}"])["image"] == expected, w.name
    # no GPU suffix configured: a GPU workload falls back to the torch variant, never the
    # image without torch
    raw = {"image": {"tag": "1.2.3", "gpuTagSuffix": ""}, "workloads": {"nhits": {"gpu": 1}}}
    deps = by_kind(build(raw), "Deployment")
    assert container(deps["demo-nhits"])["image"] == f"{base}-torch"


def test_pvcs_per_workload_volume_sizes_class_and_ephemeral() -> None:
    m = build({"storage": {"className": "local-path", "models": "3Gi"}})
    pvcs = by_kind(m, "PersistentVolumeClaim")
    expected = {f"demo-{w.name}-{v.name}" for w in catalog.WORKLOADS for v in w.volumes}
    assert set(pvcs) == expected
    nh = pvcs["demo-nhits-models"]["spec"]
    assert nh["resources"]["requests"]["storage"] == "3Gi"
    assert nh["storageClassName"] == "local-path"
    vol = {
        v["name"]: v
        for v in by_kind(m, "Deployment")["demo-nhits"]["spec"]["template"]["spec"]["volumes"]
    }
    assert vol["models"]["persistentVolumeClaim"]["claimName"] == "demo-nhits-models"
    eph = build({"storage": {"ephemeral": True}})
    assert not by_kind(eph, "PersistentVolumeClaim")
    vol = {
        v["name"]: v
        for v in by_kind(eph, "Deployment")["demo-rag"]["spec"]["template"]["spec"]["volumes"]
    }
    assert vol["faiss"] == {"name": "faiss", "emptyDir": {"sizeLimit": "5Gi"}}


def test_disabled_workloads_have_no_children() -> None:
    raw = {"workloads": {"llm": {"enabled": False}, "ui": {"enabled": False}}}
    m = build(raw)
    names = {x["metadata"]["name"] for x in m}
    assert "demo-llm" not in names and "demo-ui" not in names
    assert "TS_LLM_URL" not in by_kind(m, "ConfigMap")["demo-config"]["data"]
    assert len(by_kind(m, "Deployment")) == 7


def test_traefik_ingress_with_middleware() -> None:
    m = build({"ingress": {"host": "thor.local", "basicAuthSecretName": "users"}})
    ings = by_kind(m, "Ingress")
    routed = [w for w in catalog.WORKLOADS if w.path is not None]
    assert set(ings) == {f"demo-{w.name}" for w in routed}
    mws = by_kind(m, "Middleware")
    strip = mws["demo-strip-prefix"]
    assert strip["apiVersion"] == "traefik.io/v1alpha1"
    assert sorted(strip["spec"]["stripPrefix"]["prefixes"]) == sorted(
        w.prefix for w in routed if w.prefix
    )
    assert mws["demo-basic-auth"]["spec"] == {"basicAuth": {"secret": "users"}}
    ui = ings["demo-ui"]
    assert ui["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/"
    assert ui["metadata"]["annotations"] == {
        "traefik.ingress.kubernetes.io/router.middlewares": "trading-demo-basic-auth@kubernetescrd"
    }
    data = ings["demo-data"]
    assert data["spec"]["ingressClassName"] == "traefik"
    assert data["spec"]["rules"][0]["host"] == "thor.local"
    assert data["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/data"
    assert data["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] == (
        "trading-demo-strip-prefix@kubernetescrd,trading-demo-basic-auth@kubernetescrd"
    )
    assert "demo-ollama" not in ings  # cluster-internal


def test_traefik_without_middleware_crd_has_no_middleware() -> None:
    m = build(traefik=False)
    assert not by_kind(m, "Middleware")
    assert all("annotations" not in i["metadata"] for i in by_kind(m, "Ingress").values())


def test_nginx_ingress_rewrites_and_forwards_prefix() -> None:
    m = build({"ingress": {"className": "nginx", "host": "t.example", "tlsSecretName": "tls"}})
    assert not by_kind(m, "Middleware")
    ings = by_kind(m, "Ingress")
    tcn = ings["demo-tcn"]
    ann = tcn["metadata"]["annotations"]
    assert ann["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"
    assert ann["nginx.ingress.kubernetes.io/x-forwarded-prefix"] == "/tcn"
    assert tcn["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/tcn(/|$)(.*)"
    assert tcn["spec"]["tls"] == [{"hosts": ["t.example"], "secretName": "tls"}]
    ui = ings["demo-ui"]
    assert "annotations" not in ui["metadata"]
    assert ui["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/"
    assert (
        b.url(
            STACK,
            spec.TradingStackSpec.model_validate(
                {"ingress": {"host": "t.example", "tlsSecretName": "tls"}}
            ),
        )
        == "https://t.example/"
    )


def test_ingress_disabled() -> None:
    m = build({"ingress": {"enabled": False}})
    assert not by_kind(m, "Ingress") and not by_kind(m, "Middleware")


@pytest.mark.parametrize("pull", [True, False])
def test_network_policies_follow_the_data_flow_rules(pull: bool) -> None:
    m = build({"ollama": {"pull": pull}})
    pols = by_kind(m, "NetworkPolicy")
    internal = pols["demo-internal"]["spec"]
    assert internal["podSelector"] == {"matchLabels": {b.STACK_LABEL: "demo"}}
    assert internal["policyTypes"] == ["Ingress", "Egress"]
    egress_ports = [r.get("ports") for r in internal["egress"]]
    assert [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}] in egress_ports
    assert {"to": [{"podSelector": {}}]} in internal["egress"]  # in-namespace only
    internet = pols["demo-internet-egress"]["spec"]
    allowed = internet["podSelector"]["matchExpressions"][0]["values"]
    expected = sorted(w.name for w in catalog.WORKLOADS if w.internet_egress)
    if not pull:
        expected = [n for n in expected if n != "ollama"]
    assert allowed == expected
    assert {"ipBlock": {"cidr": "0.0.0.0/0"}} in internet["egress"][0]["to"]
    exposed = pols["demo-from-ingress"]["spec"]["podSelector"]["matchExpressions"][0]["values"]
    assert "ollama" not in exposed and "ui" in exposed


def test_config_change_changes_the_pod_template() -> None:
    a = by_kind(build(), "Deployment")["demo-data"]
    c = by_kind(build({"market": {"symbols": ["EURUSD"]}}), "Deployment")["demo-data"]
    key = b.CONFIG_HASH_ANNOTATION
    assert (
        a["spec"]["template"]["metadata"]["annotations"][key]
        != c["spec"]["template"]["metadata"]["annotations"][key]
    )


def test_node_selector_tolerations_replicas() -> None:
    raw = {
        "workloads": {
            "data": {
                "replicas": 3,
                "nodeSelector": {"kubernetes.io/hostname": "thor"},
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            }
        }
    }
    d = by_kind(build(raw), "Deployment")["demo-data"]
    assert d["spec"]["replicas"] == 3
    pod = d["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/hostname": "thor"}
    assert pod["tolerations"] == [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_the_dashboard_reads_the_operators_status_api() -> None:
    ts = spec.TradingStackSpec()
    plain = b.build(STACK, ts)
    assert "TS_UI_STATUS_URL" not in by_kind(plain, "ConfigMap")["demo-config"]["data"]
    opts = b.Options(status_url="http://ts-operator-metrics.tradingstack-system.svc:8081")
    m = b.build(STACK, ts, opts)
    cm = by_kind(m, "ConfigMap")["demo-config"]["data"]
    assert cm["TS_UI_STATUS_URL"] == (
        "http://ts-operator-metrics.tradingstack-system.svc:8081/status/trading/demo"
    )
    policy = by_kind(m, "NetworkPolicy")["demo-ui-to-operator"]["spec"]
    assert policy["podSelector"]["matchExpressions"][0]["values"] == ["ui"]
    assert policy["egress"][0]["to"] == [{"namespaceSelector": {}, "podSelector": b.OPERATOR_PODS}]
    assert policy["egress"][0]["ports"] == [{"protocol": "TCP", "port": 8081}]
    # the pods roll when the status URL changes: it is part of the config hash
    ui = by_kind(m, "Deployment")["demo-ui"]["spec"]["template"]["metadata"]["annotations"]
    ui_plain = by_kind(plain, "Deployment")["demo-ui"]["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert ui != ui_plain
