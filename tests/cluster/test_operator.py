"""The operator against the real control plane (kube-apiserver, etcd, controller-manager,
scheduler; kwok runs the pods on one simulated Jetson AGX Thor with 4 nvidia.com/gpu).

The Helm chart is installed with the real `helm`; the operator then runs in-process
(kopf.testing.KopfRunner) with a token of the chart's ServiceAccount, so every test below also
proves that the chart's RBAC is enough.
"""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kopf.testing import KopfRunner
from kubernetes import client
from kubernetes.client.rest import ApiException
from tradingstack.core import catalog
from tradingstack_operator import builders as b
from tradingstack_operator import spec as s

from tests.cluster.conftest import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "tradingstack"
EXAMPLE = REPO / "manifests" / "examples" / "tradingstack.yaml"
GROUP, VERSION, PLURAL = s.GROUP, s.VERSION, s.PLURAL
# kwok's pods run no server: these tests check pods only (the watchdog: test_watchdog.py)
NO_WATCHDOG = {
    "TS_OPERATOR_RESYNC_SECONDS": "2",
    "TS_OPERATOR_HEALTH_CHECKS": "false",
    "TS_OPERATOR_METRICS_PORT": "0",
}


# ---- helpers ------------------------------------------------------------------------------


def run(cmd: list[str | Path], check: bool = True, **kw: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def small_spec(**extra: Any) -> dict[str, Any]:
    """A spec that needs no GPU and no PersistentVolume: the tests' default."""
    spec: dict[str, Any] = {
        "workloads": {w.name: {"gpu": 0} for w in catalog.WORKLOADS},
        "storage": {"ephemeral": True},
    }
    for key, value in extra.items():
        spec[key] = value
    return spec


def ts_body(name: str, spec: dict[str, Any], annotations: dict[str, str] | None = None) -> Any:
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": s.API_VERSION, "kind": s.KIND, "metadata": meta, "spec": spec}


class Cluster:
    """Admin helpers for one namespace."""

    def __init__(self, api: client.ApiClient, namespace: str) -> None:
        self.ns = namespace
        self.custom = client.CustomObjectsApi(api)
        self.apps = client.AppsV1Api(api)
        self.core = client.CoreV1Api(api)
        self.net = client.NetworkingV1Api(api)

    def create(self, name: str, spec: dict[str, Any], **kw: Any) -> Any:
        return self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.ns, PLURAL, ts_body(name, spec, **kw)
        )

    def get(self, name: str) -> dict[str, Any]:
        obj: dict[str, Any] = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.ns, PLURAL, name
        )
        return obj

    def patch(self, name: str, patch: dict[str, Any]) -> Any:
        return self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.ns, PLURAL, name, patch
        )

    def condition(self, name: str, type_: str) -> dict[str, Any]:
        for c in (self.get(name).get("status") or {}).get("conditions") or []:
            if c["type"] == type_:
                return dict(c)
        return {}

    def deployments(self, stack: str) -> dict[str, Any]:
        items = self.apps.list_namespaced_deployment(
            self.ns, label_selector=f"{b.STACK_LABEL}={stack}"
        ).items
        return {d.metadata.labels[b.WORKLOAD_LABEL]: d for d in items}

    def pods(self, stack: str) -> list[Any]:
        return list(
            self.core.list_namespaced_pod(self.ns, label_selector=f"{b.STACK_LABEL}={stack}").items
        )

    def children(self, stack: str) -> list[str]:
        """Every namespaced child kind the operator creates, by label."""
        sel = f"{b.STACK_LABEL}={stack}"
        out = []
        for kind, lister in [
            ("Deployment", self.apps.list_namespaced_deployment),
            ("Service", self.core.list_namespaced_service),
            ("ConfigMap", self.core.list_namespaced_config_map),
            ("Secret", self.core.list_namespaced_secret),
            ("ServiceAccount", self.core.list_namespaced_service_account),
            ("PersistentVolumeClaim", self.core.list_namespaced_persistent_volume_claim),
            ("Ingress", self.net.list_namespaced_ingress),
            ("NetworkPolicy", self.net.list_namespaced_network_policy),
            ("Pod", self.core.list_namespaced_pod),
        ]:
            out += [f"{kind}/{o.metadata.name}" for o in lister(self.ns, label_selector=sel).items]
        return out

    def wait_ready(self, name: str, timeout: float = 90) -> dict[str, Any]:
        wait_for(
            f"TradingStack {name} Ready",
            lambda: (
                self.condition(name, "Ready").get("status") == "True"
                and self.get(name)["status"].get("observedGeneration")
                == self.get(name)["metadata"]["generation"]
            ),
            timeout=timeout,
            interval=0.5,
        )
        return self.get(name)


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helm(control_plane: Any, kubeconfig: Path) -> Any:
    path = control_plane.bin("helm")

    def call(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run([path, "--kubeconfig", kubeconfig, *args], check=check)

    return call


@pytest.fixture(scope="module")
def release(helm: Any, api_client: client.ApiClient) -> Iterator[dict[str, str]]:
    """The chart installed with helm into its own namespace."""
    name = f"tsop-{uuid.uuid4().hex[:6]}"
    namespace = f"{name}-system"
    helm("install", name, CHART, "-n", namespace, "--create-namespace", "--set", "resyncSeconds=2")
    sa = f"{name}-tradingstack-operator"
    try:
        yield {"name": name, "namespace": namespace, "serviceAccount": sa}
    finally:
        helm("uninstall", name, "-n", namespace, check=False)
        with contextlib.suppress(ApiException):
            client.CoreV1Api(api_client).delete_namespace(namespace)


@pytest.fixture(scope="module")
def operator_kubeconfig(
    release: dict[str, str], kubeconfig: Path, api_client: client.ApiClient, tmp_path_factory: Any
) -> Path:
    """A kubeconfig with a real token of the chart's ServiceAccount (TokenRequest API)."""
    core = client.CoreV1Api(api_client)
    token = core.create_namespaced_service_account_token(
        release["serviceAccount"],
        release["namespace"],
        client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)
        ),
    ).status.token
    admin = yaml.safe_load(kubeconfig.read_text())
    cluster = dict(admin["clusters"][0]["cluster"])
    if "certificate-authority" in cluster:
        ca = Path(cluster.pop("certificate-authority")).read_bytes()
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    path: Path = tmp_path_factory.mktemp("operator") / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "test", "cluster": cluster}],
                "users": [{"name": "operator", "user": {"token": token}}],
                "contexts": [
                    {"name": "operator", "context": {"cluster": "test", "user": "operator"}}
                ],
                "current-context": "operator",
            }
        )
    )
    return path


@pytest.fixture(scope="module")
def operator(operator_kubeconfig: Path) -> Iterator[KopfRunner]:
    """The operator, in-process, as the chart's ServiceAccount, resyncing every 2 s."""
    saved = {k: os.environ.get(k) for k in ("KUBECONFIG", *NO_WATCHDOG)}
    os.environ["KUBECONFIG"] = str(operator_kubeconfig)
    os.environ.update(NO_WATCHDOG)
    args = ["run", "--all-namespaces", "--standalone", "-m", "tradingstack_operator.handlers"]
    try:
        with KopfRunner(args, timeout=60) as runner:
            from tradingstack_operator import handlers

            wait_for("the operator's controller", lambda: handlers.CURRENT, timeout=30)
            yield runner
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert runner.exception is None, runner.output
    assert "Traceback" not in runner.output, runner.output


@pytest.fixture
def cluster(api_client: client.ApiClient, namespace: str, operator: KopfRunner) -> Cluster:
    return Cluster(api_client, namespace)


# ---- chart and RBAC -----------------------------------------------------------------------


def test_chart_values_schema_refuses_typos(helm: Any) -> None:
    ok = helm(
        "template",
        "x",
        CHART,
        "--kube-version",
        "1.35.0",
        "--set",
        "example.enabled=true",
        "--set",
        "watchNamespace=a",
    )
    kinds = [d["kind"] for d in yaml.safe_load_all(ok.stdout) if d]
    assert "TradingStack" in kinds and "RoleBinding" in kinds
    bad = helm(
        "template", "x", CHART, "--kube-version", "1.35.0", "--set", "imgae.tag=1", check=False
    )
    assert bad.returncode != 0
    assert "imgae" in bad.stderr and "additional properties" in bad.stderr.lower()


def test_chart_toggles(helm: Any) -> None:
    dash = helm(
        "template",
        "x",
        CHART,
        "--kube-version",
        "1.35.0",
        "--set",
        "grafanaDashboards.enabled=true",
    )
    maps = [d for d in yaml.safe_load_all(dash.stdout) if d and d["kind"] == "ConfigMap"]
    assert maps and maps[0]["metadata"]["labels"]["grafana_dashboard"] == "1"
    sm = helm(
        "template",
        "x",
        CHART,
        "--kube-version",
        "1.35.0",
        "--set",
        "serviceMonitor.enabled=true",
        check=False,
    )
    assert sm.returncode != 0 and "ServiceMonitor CRD" in sm.stderr  # not in this cluster
    with_api = helm(
        "template",
        "x",
        CHART,
        "--kube-version",
        "1.35.0",
        "--set",
        "serviceMonitor.enabled=true",
        "--api-versions",
        "monitoring.coreos.com/v1/ServiceMonitor",
    )
    kinds = [d["kind"] for d in yaml.safe_load_all(with_api.stdout) if d]
    assert "ServiceMonitor" in kinds


def test_kubectl_explain_uses_the_descriptions(
    release: dict[str, str], control_plane: Any, kubeconfig: Path
) -> None:
    kubectl = control_plane.bin("kubectl")
    out = run([kubectl, "--kubeconfig", kubeconfig, "explain", "ts.spec.workloads.nhits.gpu"])
    assert "nvidia.com/gpu" in out.stdout, out.stdout
    out = run([kubectl, "--kubeconfig", kubeconfig, "explain", "ts.spec.storage.className"])
    assert "Immutable once set" in out.stdout, out.stdout


def test_chart_installed_crd_and_operator(
    release: dict[str, str], api_client: client.ApiClient
) -> None:
    ext = client.ApiextensionsV1Api(api_client)
    crd = ext.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
    assert crd.spec.names.short_names == ["ts"]
    dep = client.AppsV1Api(api_client).read_namespaced_deployment(
        release["serviceAccount"], release["namespace"]
    )
    container = dep.spec.template.spec.containers[0]
    assert container.liveness_probe.http_get.path == "/healthz"
    assert dep.spec.template.spec.service_account_name == release["serviceAccount"]


def test_service_account_cannot_read_secrets_wholesale(
    operator_kubeconfig: Path, namespace: str, api_client: client.ApiClient
) -> None:
    """The operator may `get` a Secret by name (the Telegram Secret of spec.alerting) and
    create one (the generated token), but never list or watch Secrets."""
    from kubernetes import config as kconfig

    client.CoreV1Api(api_client).create_namespaced_secret(
        namespace,
        client.V1Secret(metadata=client.V1ObjectMeta(name="private"), string_data={"k": "v"}),
    )
    sa_api = kconfig.new_client_from_config(config_file=str(operator_kubeconfig))
    try:
        core = client.CoreV1Api(sa_api)
        for call in (
            lambda: core.list_namespaced_secret(namespace),
            lambda: core.list_secret_for_all_namespaces(),
            lambda: core.list_namespaced_secret(namespace, watch=True, timeout_seconds=1),
        ):
            with pytest.raises(ApiException) as err:
                call()
            assert err.value.status == 403
        assert core.read_namespaced_secret("private", namespace).data  # by name: allowed

        def allowed(verb: str) -> bool:
            review = client.AuthorizationV1Api(sa_api).create_self_subject_access_review(
                client.V1SelfSubjectAccessReview(
                    spec=client.V1SelfSubjectAccessReviewSpec(
                        resource_attributes=client.V1ResourceAttributes(
                            namespace=namespace, verb=verb, resource="secrets"
                        )
                    )
                )
            )
            return bool(review.status.allowed)

        assert allowed("create") and allowed("get")
        assert not allowed("list") and not allowed("watch") and not allowed("update")
    finally:
        sa_api.close()


def test_with_watch_namespace_no_secret_elsewhere(
    helm: Any, api_client: client.ApiClient, namespace: str
) -> None:
    """With watchNamespace the operator's rules hold in that namespace only: it cannot read a
    Secret in any other namespace (here: its own release namespace and `default`)."""
    name = f"tsw-{uuid.uuid4().hex[:6]}"
    release_ns = f"{name}-system"
    helm(
        "install", name, CHART, "-n", release_ns, "--create-namespace", "--skip-crds",
        "--set", f"watchNamespace={namespace}", "--set", "metrics.service.enabled=false",
    )  # fmt: skip
    user = f"system:serviceaccount:{release_ns}:{name}-tradingstack-operator"
    auth = client.AuthorizationV1Api(api_client)

    def allowed(ns: str, verb: str) -> bool:
        review = auth.create_subject_access_review(
            client.V1SubjectAccessReview(
                spec=client.V1SubjectAccessReviewSpec(
                    user=user,
                    groups=["system:serviceaccounts", f"system:serviceaccounts:{release_ns}"],
                    resource_attributes=client.V1ResourceAttributes(
                        namespace=ns, verb=verb, resource="secrets"
                    ),
                )
            )
        )
        return bool(review.status.allowed)

    try:
        assert allowed(namespace, "get") and allowed(namespace, "create")
        assert not allowed(namespace, "list")
        for other in (release_ns, "default", "kube-system"):
            assert not allowed(other, "get"), other
            assert not allowed(other, "create"), other
    finally:
        helm("uninstall", name, "-n", release_ns, check=False)
        with contextlib.suppress(ApiException):
            client.CoreV1Api(api_client).delete_namespace(release_ns)


# ---- the example on the Jetson ------------------------------------------------------------


def test_example_runs_nine_workloads_on_the_jetson(
    cluster: Cluster, control_plane: Any, kubeconfig: Path
) -> None:
    doc = yaml.safe_load(EXAMPLE.read_text())
    spec = s.TradingStackSpec.model_validate(doc["spec"])
    stack = b.Stack(name=doc["metadata"]["name"], namespace=cluster.ns)
    # PersistentVolumes for the example's claims (no provisioner here), pre-bound to them.
    pvs = []
    for w in spec.enabled():
        for v in w.volumes:
            pv = f"{cluster.ns}-{w.name}-{v.name}"
            cluster.core.create_persistent_volume(
                client.V1PersistentVolume(
                    metadata=client.V1ObjectMeta(name=pv),
                    spec=client.V1PersistentVolumeSpec(
                        capacity={"storage": spec.storage.size(v.name)},
                        access_modes=["ReadWriteOnce"],
                        storage_class_name=spec.storage.class_name,
                        host_path=client.V1HostPathVolumeSource(path=f"/var/lib/ts/{pv}"),
                        claim_ref=client.V1ObjectReference(
                            namespace=cluster.ns, name=b.pvc_name(stack, w, v.name)
                        ),
                    ),
                )
            )
            pvs.append(pv)
    kubectl = control_plane.bin("kubectl")

    def gpus_free() -> bool:
        """No other test's pod (e.g. in a namespace being deleted) holds a GPU of the node."""
        used = 0
        for p in cluster.core.list_pod_for_all_namespaces(
            field_selector=f"spec.nodeName={control_plane.node_name}"
        ).items:
            if p.status.phase in ("Succeeded", "Failed"):
                continue
            for c in p.spec.containers:
                used += int(((c.resources and c.resources.limits) or {}).get("nvidia.com/gpu", 0))
        return used == 0

    wait_for("the Jetson's 4 GPUs free", gpus_free, timeout=90, interval=1)
    try:
        run([kubectl, "--kubeconfig", kubeconfig, "apply", "-n", cluster.ns, "-f", EXAMPLE])
        deps = wait_for(
            "nine Deployments",
            lambda: len(cluster.deployments(stack.name)) == 9 and cluster.deployments(stack.name),
            60,
        )
        for w in catalog.WORKLOADS:
            c = deps[w.name].spec.template.spec.containers[0]
            gpu = spec.workload(w.name).gpu
            assert (c.resources.limits or {}).get("nvidia.com/gpu") == (str(gpu) if gpu else None)
            rc = deps[w.name].spec.template.spec.runtime_class_name
            assert rc == ("nvidia" if gpu else None), w.name
        wait = run(
            [
                kubectl,
                "--kubeconfig",
                kubeconfig,
                "wait",
                "-n",
                cluster.ns,
                "--for=condition=Ready",
                f"ts/{stack.name}",
                "--timeout=120s",
            ],
            check=False,
        )
        assert wait.returncode == 0, (wait.stderr, cluster.get(stack.name).get("status"))
        pods = cluster.pods(stack.name)
        assert len(pods) == 9
        assert {p.spec.node_name for p in pods} == {control_plane.node_name}
        assert all(p.status.phase == "Running" for p in pods)
        gpu_pods = [
            p for p in pods if (p.spec.containers[0].resources.requests or {}).get("nvidia.com/gpu")
        ]
        assert len(gpu_pods) == 4  # requests default to the limits for extended resources
        table = run([kubectl, "--kubeconfig", kubeconfig, "get", "ts", "-n", cluster.ns]).stdout
        assert "9/9" in table and "True" in table, table
        # deleting the TradingStack removes every child (owner references + garbage collector)
        assert len(cluster.children(stack.name)) > 30
        cluster.custom.delete_namespaced_custom_object(
            GROUP, VERSION, cluster.ns, PLURAL, stack.name
        )
        wait_for(
            "every child gone",
            lambda: not cluster.children(stack.name) or None,
            timeout=90,
            interval=1,
        )
    finally:
        for pv in pvs:
            with contextlib.suppress(ApiException):
                cluster.core.delete_persistent_volume(pv)


def test_too_few_gpus_names_the_unschedulable_workloads(cluster: Cluster) -> None:
    spec = small_spec()
    spec["workloads"]["ollama"] = {"gpu": 5}  # the Thor advertises 4
    cluster.create("gpus", spec)

    def degraded() -> dict[str, Any] | None:
        c = cluster.condition("gpus", "Degraded")
        return c if c.get("reason") == "Unschedulable" else None

    cond = wait_for("Degraded/Unschedulable", degraded, timeout=60, interval=0.5)
    assert "ollama" in cond["message"] and "nvidia.com/gpu" in cond["message"], cond
    status = cluster.get("gpus")["status"]
    svc = {x["name"]: x for x in status["services"]}
    assert "Insufficient nvidia.com/gpu" in svc["ollama"]["message"]
    assert not svc["ollama"]["ready"]
    assert cluster.condition("gpus", "Ready")["status"] == "False"
    others = [n for n in catalog.NAMES if n != "ollama"]
    wait_for(
        "the other eight ready",
        lambda: all(
            x["ready"] for x in cluster.get("gpus")["status"]["services"] if x["name"] in others
        ),
        timeout=60,
        interval=0.5,
    )
    assert cluster.get("gpus")["status"]["servicesReady"] == "8/9"
    assert cluster.condition("gpus", "Ready")["status"] == "False"  # never Ready while Pending


# ---- convergence --------------------------------------------------------------------------


def test_spec_changes_converge(cluster: Cluster) -> None:
    cluster.create("conv", small_spec())
    cluster.wait_ready("conv")
    cluster.patch(
        "conv",
        {
            "spec": {
                "workloads": {"llm": {"enabled": False}, "data": {"replicas": 2}},
                "image": {"tag": "9.9.9"},
            }
        },
    )

    def converged() -> bool:
        deps = cluster.deployments("conv")
        return (
            "llm" not in deps
            and deps["data"].spec.replicas == 2
            and all(
                ":9.9.9" in d.spec.template.spec.containers[0].image
                for n, d in deps.items()
                if n != "ollama"
            )
        )

    wait_for("disable, replicas and tag applied", converged, timeout=30, interval=0.5)
    names = {x.split("/")[1] for x in cluster.children("conv") if not x.startswith("Pod/")}
    assert "conv-llm" not in names  # Service, Ingress and Deployment of llm are gone
    status = cluster.wait_ready("conv")
    assert status["status"]["servicesReady"] == "8/8"
    svc = {x["name"]: x for x in status["status"]["services"]}
    assert svc["data"]["desiredReplicas"] == 2 and svc["data"]["readyReplicas"] == 2
    assert svc["llm"]["enabled"] is False
    ready = cluster.condition("conv", "Ready")
    assert ready["observedGeneration"] == cluster.get("conv")["metadata"]["generation"]


def test_drift_is_restored(cluster: Cluster) -> None:
    cluster.create("drift", small_spec())
    cluster.wait_ready("drift")
    old = cluster.deployments("drift")["hmm"].metadata.uid
    cluster.apps.delete_namespaced_deployment("drift-hmm", cluster.ns)
    t0 = time.monotonic()
    wait_for(
        "the deleted Deployment back",
        lambda: (
            (d := cluster.deployments("drift").get("hmm")) is not None and d.metadata.uid != old
        ),
        timeout=30,
        interval=0.2,
    )
    restored_after = time.monotonic() - t0
    cluster.apps.patch_namespaced_deployment("drift-data", cluster.ns, {"spec": {"replicas": 3}})
    cluster.core.delete_namespaced_service("drift-tcn", cluster.ns)
    wait_for(
        "edited replicas and deleted Service restored",
        lambda: (
            cluster.deployments("drift")["data"].spec.replicas == 1
            and any(x == "Service/drift-tcn" for x in cluster.children("drift"))
        ),
        timeout=30,
        interval=0.5,
    )
    assert restored_after < 30


def test_a_converged_stack_costs_no_request(cluster: Cluster) -> None:
    """The watches keep the live children: once converged, a resync reads nothing from the
    API server (the children are re-listed once a minute, the window here is shorter than
    that after the stack's first pass).

    Counted: the requests about this stack's namespace (each test has its own). Stacks of the
    earlier tests may still be reconciling meanwhile, e.g. while their namespace terminates
    (CI saw 84 requests in one window from one such stack), and they are not this stack."""
    from tradingstack_operator import controller

    cluster.create("quiet", small_spec())
    cluster.wait_ready("quiet")
    ctl = controller.CURRENT[0]
    worker = ctl.workers[(cluster.ns, "quiet")]
    maintained, reconciles = worker.maintained_at, worker.reconciles

    made: Counter[str] = Counter()
    request = ctl.kube.request

    async def counted(method: str, url: str, **kw: Any) -> Any:
        if f"/namespaces/{cluster.ns}/" in url:
            made[f"{method} {url}"] += 1
        return await request(method, url, **kw)

    ctl.kube.request = counted  # type: ignore[method-assign]
    try:
        wait_for("three resyncs", lambda: worker.reconciles >= reconciles + 3, timeout=30)
    finally:
        del ctl.kube.request
    passes = worker.reconciles - reconciles
    # at 8 GETs a reconcile this was 8 x passes; a pass now and then may write its status
    assert sum(made.values()) <= passes // 2, (passes, made)
    assert worker.maintained_at == maintained  # this stack did not re-list


def test_invalid_specs_are_refused_with_the_cel_message(cluster: Cluster) -> None:
    cases = [
        ({"workloads": {"tcn": {"gpu": -1}}}, "cannot be negative"),
        ({"workloads": {"embedder": {"enabled": False}}}, "rag depends on embedder"),
        ({"ingress": {"tlsSecretName": "tls"}}, "ingress.tlsSecretName needs ingress.host"),
        ({"workloads": {"nhits": {"replicas": "two"}}}, "replicas"),
        ({"alerting": {"enabled": True}}, "alerting.enabled needs a destination"),
    ]
    for spec, message in cases:
        with pytest.raises(ApiException) as err:
            cluster.create("bad", spec)
        assert err.value.status == 422 and message in err.value.body, err.value.body
    cluster.create("hook", small_spec(alerting={"enabled": True, "webhookUrl": "http://h/a"}))
    cluster.create("sc", small_spec(storage={"ephemeral": True, "className": "fast"}))
    with pytest.raises(ApiException) as err:
        cluster.patch("sc", {"spec": {"storage": {"className": "slow"}}})
    assert "storage.className cannot be changed once set" in err.value.body


def test_pause_stops_changes(cluster: Cluster) -> None:
    cluster.create("pause", small_spec())
    cluster.wait_ready("pause")
    cluster.patch("pause", {"metadata": {"annotations": {s.PAUSE_ANNOTATION: "true"}}})
    wait_for(
        "Paused condition",
        lambda: cluster.condition("pause", "Progressing").get("reason") == "Paused",
        20,
    )
    cluster.patch("pause", {"spec": {"workloads": {"hmm": {"replicas": 3}}}})
    cluster.apps.delete_namespaced_deployment("pause-ui", cluster.ns)
    time.sleep(6)  # three resync periods
    deps = cluster.deployments("pause")
    assert deps["hmm"].spec.replicas == 1 and "ui" not in deps
    assert cluster.get("pause")["status"]["paused"] is True
    cluster.patch("pause", {"metadata": {"annotations": {s.PAUSE_ANNOTATION: None}}})
    wait_for(
        "changes applied after unpause",
        lambda: (
            (d := cluster.deployments("pause")).get("hmm") is not None
            and d["hmm"].spec.replicas == 3
            and "ui" in d
        ),
        timeout=30,
        interval=0.5,
    )
    assert cluster.wait_ready("pause")["status"]["paused"] is False


def test_spec_patch_applies_at_once_while_pods_fail(cluster: Cluster) -> None:
    """A Deployment whose pods cannot be created (a RuntimeClass that does not exist) must not
    hold back the next generation: the patch reaches the Deployment within seconds."""
    spec = small_spec(runtimeClassName="no-such-runtime")
    spec["workloads"]["ollama"] = {"gpu": 1}
    cluster.create("stuck", spec)

    def refused() -> bool:
        deps = cluster.deployments("stuck")
        dep = deps.get("ollama")
        conds = (dep.status.conditions or []) if dep is not None and dep.status else []
        return any(c.type == "ReplicaFailure" and c.status == "True" for c in conds)

    wait_for("ollama's pods refused (no RuntimeClass)", refused, timeout=60, interval=0.5)
    time.sleep(5)  # the operator sees the failing rollout for a while (status passes, retries)
    cluster.patch("stuck", {"spec": {"workloads": {"ollama": {"gpu": 0}}}})
    patched = time.monotonic()

    def applied() -> bool:
        dep = cluster.deployments("stuck")["ollama"]
        pod = dep.spec.template.spec
        limits = (pod.containers[0].resources.limits or {}) if pod.containers[0].resources else {}
        return pod.runtime_class_name is None and "nvidia.com/gpu" not in limits

    wait_for("gpu 0 applied to the Deployment", applied, timeout=60, interval=0.2)
    assert time.monotonic() - patched < 5, time.monotonic() - patched
