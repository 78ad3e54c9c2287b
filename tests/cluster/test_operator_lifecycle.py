"""The operator across restarts, and the plain `kubectl apply -k manifests/` install, on the
real control plane."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kopf.testing import KopfRunner
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.cluster.conftest import wait_for
from tests.cluster.test_operator import Cluster, small_spec

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
ARGS = ["run", "--all-namespaces", "--standalone", "-m", "tradingstack_operator.handlers"]
# kwok's pods run no server, so these tests check pods only (the watchdog has test_watchdog.py)
NO_WATCHDOG = {
    "TS_OPERATOR_RESYNC_SECONDS": "2",
    "TS_OPERATOR_HEALTH_CHECKS": "false",
    "TS_OPERATOR_METRICS_PORT": "0",
}


@contextlib.contextmanager
def operator_env(kubeconfig: Path) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("KUBECONFIG", *NO_WATCHDOG)}
    os.environ["KUBECONFIG"] = str(kubeconfig)
    os.environ.update(NO_WATCHDOG)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def started(runner: KopfRunner) -> KopfRunner:
    from tradingstack_operator import handlers

    wait_for("the operator's controller", lambda: handlers.CURRENT, timeout=30)
    return runner


@pytest.fixture
def crd(control_plane: Any, kubeconfig: Path) -> None:
    """The CRD, applied as `kubectl apply -k crds/` would (no-op when already there)."""
    kubectl = control_plane.bin("kubectl")
    subprocess.run(
        [kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "-k", REPO / "crds"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [
            kubectl,
            "--kubeconfig",
            kubeconfig,
            "wait",
            "--for=condition=Established",
            "crd/tradingstacks.tradingstack.dev",
            "--timeout=30s",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_operator_restart_mid_reconcile_converges(
    crd: None, kubeconfig: Path, api_client: client.ApiClient, namespace: str
) -> None:
    cluster = Cluster(api_client, namespace)
    with operator_env(kubeconfig):
        with KopfRunner(ARGS, timeout=60) as first:
            started(first)
            cluster.create("restart", small_spec())
            # stop as soon as the first children appear: the reconcile is under way
            wait_for(
                "first children", lambda: cluster.children("restart"), timeout=30, interval=0.02
            )
        assert first.exception is None
        partial = len(cluster.children("restart"))
        # while no operator runs: a spec change
        cluster.patch("restart", {"spec": {"workloads": {"ui": {"enabled": False}}}})
        time.sleep(1)
        with KopfRunner(ARGS, timeout=60) as second:
            started(second)
            status = cluster.wait_ready("restart", timeout=60)
            assert status["status"]["servicesReady"] == "8/8"
            assert "ui" not in cluster.deployments("restart")
            assert len(cluster.deployments("restart")) == 8
        assert second.exception is None
    assert partial > 0


def test_kubectl_apply_k_manifests(control_plane: Any, kubeconfig: Path) -> None:
    kubectl = control_plane.bin("kubectl")
    base = [str(kubectl), "--kubeconfig", str(kubeconfig)]
    rendered = subprocess.run(
        [*base, "kustomize", str(REPO / "manifests")], check=True, capture_output=True, text=True
    ).stdout
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(rendered) if d)
    assert kinds == sorted(
        [
            "CustomResourceDefinition",
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Deployment",
            "Service",  # the operator's metrics and status API
        ]
    )
    applied = subprocess.run(
        [*base, "apply", "--server-side", "-k", str(REPO / "manifests")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:
        assert applied.returncode == 0, applied.stderr
        api = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            dep = client.AppsV1Api(api).read_namespaced_deployment(
                "tradingstack-operator", "tradingstack-system"
            )
            assert dep.spec.template.spec.service_account_name == "tradingstack-operator"
            env = {e.name: e.value for e in dep.spec.template.spec.containers[0].env}
            svc = client.CoreV1Api(api).read_namespaced_service(
                "tradingstack-operator-metrics", "tradingstack-system"
            )
            # the stacks' dashboards reach the status API through this Service
            assert env["TS_OPERATOR_STATUS_URL"] == (
                f"http://{svc.metadata.name}.tradingstack-system.svc:{svc.spec.ports[0].port}"
            )
            review = client.AuthorizationV1Api(api).create_subject_access_review(
                client.V1SubjectAccessReview(
                    spec=client.V1SubjectAccessReviewSpec(
                        user="system:serviceaccount:tradingstack-system:tradingstack-operator",
                        resource_attributes=client.V1ResourceAttributes(
                            group="apps", resource="deployments", verb="patch", namespace="any"
                        ),
                    )
                )
            )
            assert review.status.allowed
        finally:
            api.close()
    finally:
        # everything but the CRD (other tests' TradingStacks live in it)
        for args in (
            ["delete", "namespace", "tradingstack-system", "--wait=false"],
            ["delete", "clusterrolebinding", "tradingstack-operator"],
            ["delete", "clusterrole", "tradingstack-operator"],
        ):
            with contextlib.suppress(subprocess.SubprocessError, ApiException):
                subprocess.run([*base, *args], capture_output=True, timeout=60)


TRAEFIK_MIDDLEWARE_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "middlewares.traefik.io"},
    "spec": {
        "group": "traefik.io",
        "scope": "Namespaced",
        "names": {"kind": "Middleware", "plural": "middlewares", "singular": "middleware"},
        "versions": [
            {
                "name": "v1alpha1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}


def test_traefik_middleware_when_its_crd_exists(
    crd: None, kubeconfig: Path, api_client: client.ApiClient, namespace: str
) -> None:
    """K3s ships Traefik's CRDs; with them the operator strips the prefixes by Middleware."""
    ext = client.ApiextensionsV1Api(api_client)
    ext.create_custom_resource_definition(TRAEFIK_MIDDLEWARE_CRD)
    cluster = Cluster(api_client, namespace)
    try:
        wait_for(
            "Middleware CRD established",
            lambda: any(
                c.type == "Established" and c.status == "True"
                for c in ext.read_custom_resource_definition(
                    "middlewares.traefik.io"
                ).status.conditions
                or []
            ),
            timeout=30,
        )
        with operator_env(kubeconfig), KopfRunner(ARGS, timeout=60) as runner:
            started(runner)
            cluster.create("web", small_spec(ingress={"basicAuthSecretName": "users"}))
            cluster.wait_ready("web")
            mws = cluster.custom.list_namespaced_custom_object(
                "traefik.io", "v1alpha1", namespace, "middlewares"
            )["items"]
            by_name = {m["metadata"]["name"]: m for m in mws}
            assert set(by_name) == {"web-strip-prefix", "web-basic-auth"}
            assert "/data" in by_name["web-strip-prefix"]["spec"]["stripPrefix"]["prefixes"]
            ing = cluster.net.read_namespaced_ingress("web-data", namespace)
            chain = ing.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"]
            assert chain == (
                f"{namespace}-web-strip-prefix@kubernetescrd,{namespace}-web-basic-auth@kubernetescrd"
            )
            ui = cluster.net.read_namespaced_ingress("web-ui", namespace)
            assert (
                "strip-prefix"
                not in ui.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"]
            )
            # deleting the stack deletes its Middlewares too (owner references)
            cluster.custom.delete_namespaced_custom_object(
                "tradingstack.dev", "v1alpha1", namespace, "tradingstacks", "web"
            )
            wait_for(
                "Middlewares gone",
                lambda: (
                    not cluster.custom.list_namespaced_custom_object(
                        "traefik.io", "v1alpha1", namespace, "middlewares"
                    )["items"]
                ),
                timeout=60,
                interval=0.5,
            )
        assert runner.exception is None
    finally:
        with contextlib.suppress(ApiException):
            ext.delete_custom_resource_definition("middlewares.traefik.io")


def test_operator_process_with_liveness_probe(
    crd: None, kubeconfig: Path, api_client: client.ApiClient, namespace: str
) -> None:
    """`python -m tradingstack_operator` (the image's entrypoint, main.run) as a process:
    the liveness endpoint the chart probes answers, a stack converges, SIGTERM stops it."""
    import json
    import signal
    import socket
    import sys
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), **NO_WATCHDOG}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tradingstack_operator",
            "--all-namespaces",
            f"--liveness=http://127.0.0.1:{port}/healthz",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def healthz() -> dict[str, Any] | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    return dict(json.loads(r.read()))
            except OSError:
                return None

        probe = wait_for("liveness endpoint", healthz, timeout=60, interval=0.5)
        assert "workers" in probe
        cluster = Cluster(api_client, namespace)
        cluster.create("proc", small_spec())
        assert cluster.wait_ready("proc", timeout=60)["status"]["servicesReady"] == "9/9"
        assert wait_for("one worker", lambda: (healthz() or {}).get("workers", 0) >= 1, 20)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert proc.returncode == 0, out
    assert "Traceback" not in out, out
