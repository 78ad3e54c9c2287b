"""Pure builders: a TradingStack spec in, Kubernetes manifests (plain dicts) out.

Nothing here talks to the API server; the handlers apply what these functions return with
server-side apply. Every port, path prefix, GPU flag, volume and default resource comes from
the workload catalog (`tradingstack.core.catalog`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tradingstack.core import catalog
from tradingstack.core.catalog import Workload
from tradingstack.core.http import SERVER_KEEP_ALIVE_SECONDS

from tradingstack_operator import spec

Manifest = dict[str, Any]

MANAGER = "tradingstack-operator"
STACK_LABEL = f"{spec.GROUP}/stack"
WORKLOAD_LABEL = f"{spec.GROUP}/workload"
TOKEN_KEY = "token"
UID = 10001
CONFIG_HASH_ANNOTATION = f"{spec.GROUP}/config-hash"
TRAEFIK_MIDDLEWARE_API = "traefik.io/v1alpha1"
OPERATOR_PODS = {"matchLabels": {"app.kubernetes.io/name": "tradingstack-operator"}}
"""The operator's pods (chart and manifests/): allowed to reach every workload's health port."""


@dataclass(frozen=True)
class Stack:
    """Identity of one TradingStack object (what owner references and names need)."""

    name: str
    namespace: str
    uid: str = ""

    def child(self, suffix: str) -> str:
        """Name of a child object: `<stack>-<suffix>`."""
        return f"{self.name}-{suffix}"


@dataclass(frozen=True)
class Options:
    """Facts about the cluster the builders cannot know by themselves."""

    traefik_middleware: bool = False
    """The traefik.io/v1alpha1 Middleware CRD exists."""
    status_url: str | None = None
    """Base URL of the operator's read-only status API (its metrics Service), when served:
    the dashboard shows the stack's health from it."""

    def stack_status_url(self, stack: Stack) -> str | None:
        if not self.status_url:
            return None
        return f"{self.status_url.rstrip('/')}/status/{stack.namespace}/{stack.name}"


def labels(stack: Stack, workload: str | None = None) -> dict[str, str]:
    """The labels of every child; workload children also carry the workload name."""
    out = {
        "app.kubernetes.io/part-of": "tradingstack",
        "app.kubernetes.io/instance": stack.name,
        "app.kubernetes.io/managed-by": MANAGER,
        STACK_LABEL: stack.name,
    }
    if workload:
        out["app.kubernetes.io/name"] = workload
        out["app.kubernetes.io/component"] = workload
        out[WORKLOAD_LABEL] = workload
    return out


def selector(stack: Stack, workload: str) -> dict[str, str]:
    """The pod selector of one workload (immutable in a Deployment: keep it small)."""
    return {STACK_LABEL: stack.name, WORKLOAD_LABEL: workload}


def owner_reference(stack: Stack) -> dict[str, Any]:
    """The controller owner reference to the TradingStack (garbage collection on delete)."""
    return {
        "apiVersion": spec.API_VERSION,
        "kind": spec.KIND,
        "name": stack.name,
        "uid": stack.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _meta(stack: Stack, name: str, workload: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": stack.namespace,
        "labels": labels(stack, workload),
    }
    if stack.uid:
        meta["ownerReferences"] = [owner_reference(stack)]
    return meta


def _env_name(workload: str) -> str:
    return workload.upper().replace("-", "_")


def service_url(stack: Stack, w: Workload) -> str:
    """The in-cluster URL of a workload's Service."""
    return f"http://{stack.child(w.name)}:{w.port}"


def token_secret_name(stack: Stack) -> str:
    return stack.child("api-token")


def config_map_name(stack: Stack) -> str:
    return stack.child("config")


def service_account_name(stack: Stack) -> str:
    return stack.child("workloads")


def pvc_name(stack: Stack, w: Workload, volume: str) -> str:
    return stack.child(f"{w.name}-{volume}")


# ---- objects ------------------------------------------------------------------------------


def token_secret(stack: Stack, token: str) -> Manifest:
    """The generated API token shared by the services (created once, never updated)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(stack, token_secret_name(stack)),
        "type": "Opaque",
        "stringData": {TOKEN_KEY: token},
    }


def config_data(
    stack: Stack, ts: spec.TradingStackSpec, opts: Options | None = None
) -> dict[str, str]:
    """Settings shared by every service, as TS_... environment variables."""
    data = {
        "TS_STACK_NAME": stack.name,
        "TS_SYMBOLS": ",".join(ts.market.symbols),
        "TS_TIMEFRAMES": ",".join(ts.market.timeframes),
        # the data service's fallback chain: the enabled providers in order, then the
        # bundled datasets (they ship in the image, so a stack answers even offline)
        "TS_DATA_PROVIDER_ORDER": ",".join(
            [*(p.name for p in ts.market.providers if p.enabled), "embedded"]
        ),
        "TS_OLLAMA_MODEL": ts.ollama.model,
        "TS_DATA_URL": service_url(stack, catalog.get("data")),
    }
    if ts.workload("ollama").enabled:
        # the analyst talks to the stack's Ollama (TS_OLLAMA_URL below) with the spec's model
        data["TS_LLM_BACKEND"] = "ollama"
        data["TS_LLM_MODEL"] = ts.ollama.model
    for w in ts.enabled():
        data[f"TS_{_env_name(w.name)}_URL"] = service_url(stack, w)
    status = (opts or Options()).stack_status_url(stack)
    if status:
        # the dashboard's Overview reads the watchdog's findings from the operator
        data["TS_UI_STATUS_URL"] = status
    return data


def config_map(stack: Stack, ts: spec.TradingStackSpec, opts: Options | None = None) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(stack, config_map_name(stack)),
        "data": config_data(stack, ts, opts),
    }


def service_account(stack: Stack) -> Manifest:
    """One ServiceAccount for the workloads; no token is mounted (they never call the API)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(stack, service_account_name(stack)),
        "automountServiceAccountToken": False,
    }


def image_for(ts: spec.TradingStackSpec, w: Workload) -> str:
    """The image of a workload: its own override, else the stack's service image.

    With a GPU and a GPU suffix, the GPU variant (it has everything); otherwise the torch
    variant for the workloads that need PyTorch, and the plain image for the rest.
    """
    ws = ts.workload(w.name)
    if ws.image:
        return ws.image
    if w.app is None:
        # the image hack/images.py builds beside the service images, same registry and tag
        return ts.image.ollama_image or f"{ts.image.registry}/{OLLAMA_REPOSITORY}:{ts.image.tag}"
    if ws.gpu > 0 and ts.image.gpu_tag_suffix:
        suffix = ts.image.gpu_tag_suffix
    elif w.torch:
        suffix = ts.image.torch_tag_suffix
    else:
        suffix = ""
    return f"{ts.image.registry}/{ts.image.repository}:{ts.image.tag}{suffix}"


def resources_for(ts: spec.TradingStackSpec, w: Workload) -> dict[str, dict[str, str]]:
    """Requests and limits: the spec's, else the catalog's; GPUs in limits."""
    ws = ts.workload(w.name)
    d = w.resources
    requests = {
        "cpu": ws.resources.requests.cpu or d.cpu_request,
        "memory": ws.resources.requests.memory or d.memory_request,
    }
    limits = {
        "cpu": ws.resources.limits.cpu or d.cpu_limit,
        "memory": ws.resources.limits.memory or d.memory_limit,
    }
    if ws.gpu > 0:
        limits["nvidia.com/gpu"] = str(ws.gpu)
    return {"requests": requests, "limits": limits}


def _container_env(stack: Stack, ts: spec.TradingStackSpec, w: Workload) -> list[dict[str, Any]]:
    ws = ts.workload(w.name)
    env: list[dict[str, Any]] = [
        {
            "name": "TS_API_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": token_secret_name(stack), "key": TOKEN_KEY}},
        },
        {"name": "TS_SERVICE", "value": w.name},
        {"name": "TS_PORT", "value": str(w.port)},
        {"name": "HOME", "value": "/tmp"},
    ]
    prefix = f"TS_{_env_name(w.name)}_"
    if w.app is not None and w.volumes:
        # every service keeps its files in TS_<NAME>_DIR: its (single) volume's mount
        env.append({"name": f"{prefix}DIR", "value": w.volumes[0].mount_path})
    if w.name == "data":
        for p in ts.market.providers:
            if p.enabled and p.api_key_secret_ref is not None:
                env.append(
                    {
                        "name": f"{prefix}{p.name.upper()}_API_KEY",
                        "valueFrom": {
                            "secretKeyRef": {
                                "name": p.api_key_secret_ref.name,
                                "key": p.api_key_secret_ref.key,
                            }
                        },
                    }
                )
            if p.enabled and p.base_url:
                env.append({"name": f"{prefix}{p.name.upper()}_URL", "value": p.base_url})
    if w.app is None:  # the Ollama server
        models = next((v.mount_path for v in w.volumes), "/tmp/ollama")
        env += [
            {"name": "OLLAMA_HOST", "value": f"0.0.0.0:{w.port}"},
            {"name": "OLLAMA_MODELS", "value": f"{models}/models"},
            {"name": "TS_OLLAMA_PULL", "value": "true" if ts.ollama.pull else "false"},
        ]
        if not ts.ollama.pull:  # offline: no cloud models or web search either
            env.append({"name": "OLLAMA_NO_CLOUD", "value": "1"})
    if w.name in spec.PREPARE_WORKLOADS:
        env.append({"name": "TS_JOBS_PREPARE", "value": ",".join(ts.prepare)})
    for key, value in sorted(ws.env.items()):
        env.append({"name": key, "value": value})
    return env


OLLAMA_REPOSITORY = "tradingstack-ollama"

# The Ollama pod's start: serve, then make sure the spec's model is there. Created from the
# image's bundled GGUF ($TS_OLLAMA_GGUF_DIR/<model>.gguf, `ollama create` with a Modelfile
# `FROM <gguf>`) into the models volume at first start, offline; else pulled when the spec
# allows; else the log says how to get it. The server runs on while this happens (its
# /api/version is the probes'); the llm's /health reports the model missing until then.
_OLLAMA_SCRIPT = """\
ollama serve & server=$!
trap 'kill -TERM $server' TERM INT
until ollama list >/dev/null 2>&1; do
  kill -0 $server 2>/dev/null || exit 1
  sleep 1
done
gguf="${TS_OLLAMA_GGUF_DIR:+$TS_OLLAMA_GGUF_DIR/$TS_OLLAMA_MODEL.gguf}"
if ollama show "$TS_OLLAMA_MODEL" >/dev/null 2>&1; then
  echo "model $TS_OLLAMA_MODEL present"
elif [ -n "$gguf" ] && [ -f "$gguf" ]; then
  echo "creating model $TS_OLLAMA_MODEL from $gguf"
  printf 'FROM %s\\n' "$gguf" > /tmp/Modelfile
  ollama create "$TS_OLLAMA_MODEL" -f /tmp/Modelfile || echo "create of $TS_OLLAMA_MODEL failed"
elif [ "$TS_OLLAMA_PULL" = "true" ]; then
  ollama pull "$TS_OLLAMA_MODEL" || echo "pull of $TS_OLLAMA_MODEL failed"
else
  echo "model $TS_OLLAMA_MODEL is missing, the image bundles no GGUF of it and pulls are off:"
  echo "enable spec.ollama.pull or ollama create it in this pod"
fi
wait $server
"""


def _command(w: Workload) -> list[str]:
    if w.app is None:
        return ["/bin/sh", "-c", _OLLAMA_SCRIPT]
    cmd = ["uvicorn", "--factory", w.app, "--host", "0.0.0.0", "--port", str(w.port)]
    cmd += ["--proxy-headers", "--forwarded-allow-ips", "*"]
    # longer than the Ingress controller's idle backend connections (Traefik: 90 s), or it
    # reuses one as uvicorn closes it (default 5 s) and answers 502
    cmd += ["--timeout-keep-alive", str(SERVER_KEEP_ALIVE_SECONDS)]
    if w.prefix:
        cmd += ["--root-path", w.prefix]
    return cmd


def _probe(w: Workload, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": w.health_path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def _volumes(stack: Stack, ts: spec.TradingStackSpec, w: Workload) -> tuple[list[Any], list[Any]]:
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]
    for v in w.volumes:
        if ts.storage.ephemeral:
            volumes.append({"name": v.name, "emptyDir": {"sizeLimit": ts.storage.size(v.name)}})
        else:
            volumes.append(
                {"name": v.name, "persistentVolumeClaim": {"claimName": pvc_name(stack, w, v.name)}}
            )
        mounts.append({"name": v.name, "mountPath": v.mount_path})
    return volumes, mounts


def config_hash(stack: Stack, ts: spec.TradingStackSpec, opts: Options | None = None) -> str:
    """A hash of the ConfigMap's data: in the pod template so a change rolls the pods."""
    raw = json.dumps(config_data(stack, ts, opts), sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def deployment(
    stack: Stack, ts: spec.TradingStackSpec, w: Workload, opts: Options | None = None
) -> Manifest:
    """The Deployment of one workload."""
    ws = ts.workload(w.name)
    volumes, mounts = _volumes(stack, ts, w)
    container: dict[str, Any] = {
        "name": w.name,
        "image": image_for(ts, w),
        "imagePullPolicy": ts.image.pull_policy,
        "command": _command(w),
        "ports": [{"name": "http", "containerPort": w.port, "protocol": "TCP"}],
        "env": _container_env(stack, ts, w),
        "envFrom": [{"configMapRef": {"name": config_map_name(stack)}}],
        "resources": resources_for(ts, w),
        "readinessProbe": _probe(w, period=10, failures=3),
        "livenessProbe": _probe(w, period=20, failures=3),
        "startupProbe": _probe(w, period=5, failures=120),
        "volumeMounts": mounts,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": service_account_name(stack),
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": volumes,
    }
    if ws.gpu > 0 and ts.runtime_class_name:
        pod_spec["runtimeClassName"] = ts.runtime_class_name
    if ws.node_selector:
        pod_spec["nodeSelector"] = dict(sorted(ws.node_selector.items()))
    if ws.tolerations:
        pod_spec["tolerations"] = [
            t.model_dump(by_alias=True, exclude_none=True) for t in ws.tolerations
        ]
    if ts.image.pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": n} for n in ts.image.pull_secrets]
    # A GPU or a ReadWriteOnce volume cannot be held by two pods during a rolling update on a
    # single Jetson: replace the pod instead.
    exclusive = ws.gpu > 0 or (bool(w.volumes) and not ts.storage.ephemeral)
    strategy: dict[str, Any] = {"type": "Recreate"} if exclusive else {"type": "RollingUpdate"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(stack, stack.child(w.name), w.name),
        "spec": {
            "replicas": ws.replicas,
            "selector": {"matchLabels": selector(stack, w.name)},
            "strategy": strategy,
            "template": {
                "metadata": {
                    "labels": labels(stack, w.name),
                    "annotations": {CONFIG_HASH_ANNOTATION: config_hash(stack, ts, opts)},
                },
                "spec": pod_spec,
            },
        },
    }


def service(stack: Stack, w: Workload) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(stack, stack.child(w.name), w.name),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(stack, w.name),
            "ports": [{"name": "http", "port": w.port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def pvcs(stack: Stack, ts: spec.TradingStackSpec, w: Workload) -> list[Manifest]:
    """One claim per catalog volume of an enabled workload (none when storage is ephemeral)."""
    if ts.storage.ephemeral:
        return []
    out = []
    for v in w.volumes:
        claim: dict[str, Any] = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": ts.storage.size(v.name)}},
        }
        if ts.storage.class_name:
            claim["storageClassName"] = ts.storage.class_name
        out.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": _meta(stack, pvc_name(stack, w, v.name), w.name),
                "spec": claim,
            }
        )
    return out


# ---- ingress ------------------------------------------------------------------------------


def strip_middleware_name(stack: Stack) -> str:
    return stack.child("strip-prefix")


def auth_middleware_name(stack: Stack) -> str:
    return stack.child("basic-auth")


def _routed(ts: spec.TradingStackSpec) -> list[Workload]:
    return [w for w in ts.enabled() if w.path is not None]


def middlewares(stack: Stack, ts: spec.TradingStackSpec, opts: Options) -> list[Manifest]:
    """Traefik Middlewares (only with class traefik and when their CRD exists)."""
    ing = ts.ingress
    if not ing.enabled or ing.class_name != "traefik" or not opts.traefik_middleware:
        return []
    prefixes = [w.prefix for w in _routed(ts) if w.prefix]
    out: list[Manifest] = []
    if prefixes:
        out.append(
            {
                "apiVersion": TRAEFIK_MIDDLEWARE_API,
                "kind": "Middleware",
                "metadata": _meta(stack, strip_middleware_name(stack)),
                "spec": {"stripPrefix": {"prefixes": prefixes}},
            }
        )
    if ing.basic_auth_secret_name:
        out.append(
            {
                "apiVersion": TRAEFIK_MIDDLEWARE_API,
                "kind": "Middleware",
                "metadata": _meta(stack, auth_middleware_name(stack)),
                "spec": {"basicAuth": {"secret": ing.basic_auth_secret_name}},
            }
        )
    return out


def ingresses(stack: Stack, ts: spec.TradingStackSpec, opts: Options) -> list[Manifest]:
    """One Ingress per routed workload: the UI at /, the APIs at their catalog prefixes.

    One per workload because nginx's x-forwarded-prefix is an Ingress-wide annotation, and so
    that the prefix-stripping never applies to the UI's own paths.
    """
    ing = ts.ingress
    if not ing.enabled:
        return []
    out = []
    for w in _routed(ts):
        annotations: dict[str, str] = {}
        path: dict[str, Any] = {
            "path": w.prefix or "/",
            "pathType": "Prefix",
            "backend": {"service": {"name": stack.child(w.name), "port": {"name": "http"}}},
        }
        if ing.class_name == "traefik" and opts.traefik_middleware:
            chain = []
            if w.prefix:
                chain.append(strip_middleware_name(stack))
            if ing.basic_auth_secret_name:
                chain.append(auth_middleware_name(stack))
            if chain:
                annotations["traefik.ingress.kubernetes.io/router.middlewares"] = ",".join(
                    f"{stack.namespace}-{m}@kubernetescrd" for m in chain
                )
        elif ing.class_name == "nginx":
            if w.prefix:
                path["path"] = f"{w.prefix}(/|$)(.*)"
                path["pathType"] = "ImplementationSpecific"
                annotations["nginx.ingress.kubernetes.io/use-regex"] = "true"
                annotations["nginx.ingress.kubernetes.io/rewrite-target"] = "/$2"
                annotations["nginx.ingress.kubernetes.io/x-forwarded-prefix"] = w.prefix
            if ing.basic_auth_secret_name:
                annotations["nginx.ingress.kubernetes.io/auth-type"] = "basic"
                annotations["nginx.ingress.kubernetes.io/auth-secret"] = ing.basic_auth_secret_name
                annotations["nginx.ingress.kubernetes.io/auth-realm"] = "TradingStack"
        rule: dict[str, Any] = {"http": {"paths": [path]}}
        if ing.host:
            rule["host"] = ing.host
        meta = _meta(stack, stack.child(w.name), w.name)
        if annotations:
            meta["annotations"] = annotations
        body: dict[str, Any] = {"ingressClassName": ing.class_name, "rules": [rule]}
        if ing.tls_secret_name and ing.host:
            body["tls"] = [{"hosts": [ing.host], "secretName": ing.tls_secret_name}]
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": meta,
                "spec": body,
            }
        )
    return out


def url(stack: Stack, ts: spec.TradingStackSpec) -> str:
    """Where the UI is: the Ingress host, else the UI Service inside the cluster."""
    ui = catalog.get("ui")
    if ts.ingress.enabled and ts.ingress.host:
        scheme = "https" if ts.ingress.tls_secret_name else "http"
        return f"{scheme}://{ts.ingress.host}/"
    if ts.workload(ui.name).enabled:
        return f"http://{stack.child(ui.name)}.{stack.namespace}.svc:{ui.port}/"
    return ""


# ---- network policies ---------------------------------------------------------------------


def _workloads_selector(stack: Stack, names: list[str]) -> dict[str, Any]:
    return {
        "matchLabels": {STACK_LABEL: stack.name},
        "matchExpressions": [{"key": WORKLOAD_LABEL, "operator": "In", "values": sorted(names)}],
    }


def internet_workloads(ts: spec.TradingStackSpec) -> list[str]:
    """Workloads allowed to reach the internet: data, and ollama only when it pulls models."""
    names = []
    for w in ts.enabled():
        if not w.internet_egress:
            continue
        if w.app is None and not ts.ollama.pull:  # ollama without pulls stays offline
            continue
        names.append(w.name)
    return names


def _policy(
    stack: Stack,
    suffix: str,
    workloads: list[str],
    *,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
) -> Manifest:
    """A NetworkPolicy adding `ingress` and/or `egress` rules to some workloads of the stack."""
    body: dict[str, Any] = {
        "podSelector": _workloads_selector(stack, workloads),
        "policyTypes": [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules],
    }
    if ingress:
        body["ingress"] = ingress
    if egress:
        body["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(stack, stack.child(suffix)),
        "spec": body,
    }


def _internal_policy(stack: Stack) -> Manifest:
    """Every pod of the stack: ingress from the stack's own pods and from the operator's pods
    (its health checks, any namespace), egress to the namespace's pods and to DNS; nothing
    else (a default deny for the stack)."""
    stack_pods = {"matchLabels": {STACK_LABEL: stack.name}}
    dns_ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(stack, stack.child("internal")),
        "spec": {
            "podSelector": stack_pods,
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {"from": [{"podSelector": stack_pods}]},
                {"from": [{"namespaceSelector": {}, "podSelector": OPERATOR_PODS}]},
            ],
            "egress": [
                {"to": [{"podSelector": {}}]},
                {"to": [{"namespaceSelector": {}}], "ports": dns_ports},
            ],
        },
    }


def _from_ingress_policy(stack: Stack, routed: list[str]) -> Manifest:
    """Routed workloads: ingress on their port from the Ingress controller and Prometheus,
    from any namespace."""
    ingress = [
        {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": "http"}]}
    ]
    return _policy(stack, "from-ingress", routed, ingress=ingress)


def _ui_to_operator_policy(stack: Stack, port: int) -> Manifest:
    """The dashboard (its server side) reads the operator's status API."""
    egress = [
        {
            "to": [{"namespaceSelector": {}, "podSelector": OPERATOR_PODS}],
            "ports": [{"protocol": "TCP", "port": port}],
        }
    ]
    return _policy(stack, "ui-to-operator", ["ui"], egress=egress)


def _internet_policy(stack: Stack, workloads: list[str]) -> Manifest:
    """Egress to the internet on 80/443."""
    egress = [
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}],
            "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 80}],
        }
    ]
    return _policy(stack, "internet-egress", workloads, egress=egress)


def network_policies(
    stack: Stack, ts: spec.TradingStackSpec, opts: Options | None = None
) -> list[Manifest]:
    """Enforce the data-flow rules in the cluster.

    - every pod of the stack: ingress from the stack's own pods and from the operator's pods
      (its health checks, any namespace), egress to the namespace's pods and to DNS; nothing
      else (a default deny for the stack).
    - routed workloads (everything with a path prefix): ingress on their port from any
      namespace (the Ingress controller, Prometheus).
    - data (and ollama when model pulls are enabled): egress to the internet on 80/443.
    """
    out = [_internal_policy(stack)]
    routed = [w.name for w in _routed(ts)]
    if routed:
        out.append(_from_ingress_policy(stack, routed))
    status = urlsplit((opts or Options()).status_url or "")
    if status.port and ts.workload("ui").enabled:
        out.append(_ui_to_operator_policy(stack, status.port))
    internet = internet_workloads(ts)
    if internet:
        out.append(_internet_policy(stack, internet))
    return out


# ---- everything ---------------------------------------------------------------------------


def build(stack: Stack, ts: spec.TradingStackSpec, opts: Options | None = None) -> list[Manifest]:
    """Every child object of the stack except the token Secret, in apply order."""
    opts = opts or Options()
    enabled = ts.enabled()
    out: list[Manifest] = [service_account(stack), config_map(stack, ts, opts)]
    for w in enabled:
        out += pvcs(stack, ts, w)
    out += network_policies(stack, ts, opts)
    for w in enabled:
        out.append(service(stack, w))
    for w in enabled:
        out.append(deployment(stack, ts, w, opts))
    out += middlewares(stack, ts, opts)
    out += ingresses(stack, ts, opts)
    return out


def key(manifest: Manifest) -> tuple[str, str, str]:
    """(apiVersion, kind, name): identifies a child within its namespace."""
    return (manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"])
