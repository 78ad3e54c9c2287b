"""The test control plane behaves like a real cluster on a Jetson AGX Thor: the scheduler
places GPU pods by `nvidia.com/gpu`, kwok runs them, the controller-manager garbage-collects,
and RBAC is enforced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def gpu_container(gpus: int) -> client.V1Container:
    return client.V1Container(
        name="work",
        image="nvcr.io/nvidia/l4t-jetpack:r38.2.0",
        resources=client.V1ResourceRequirements(
            requests={"cpu": "100m", "memory": "64Mi", "nvidia.com/gpu": str(gpus)},
            limits={"nvidia.com/gpu": str(gpus)},
        ),
    )


def gpu_pod_spec(gpus: int) -> client.V1PodSpec:
    return client.V1PodSpec(
        runtime_class_name="nvidia",
        node_selector={"kubernetes.io/arch": "arm64", "nvidia.com/gpu.present": "true"},
        containers=[gpu_container(gpus)],
    )


def node_gpus(core: client.CoreV1Api, name: str) -> int:
    node = core.read_node(name)
    return int(node.status.allocatable["nvidia.com/gpu"])


NODE_COLUMNS = (
    "{range .items[*]}{.metadata.name} "
    "{.status.conditions[?(@.type=='Ready')].status} "
    "{.metadata.labels.kubernetes\\.io/arch} "
    "{.status.allocatable.nvidia\\.com/gpu} {end}"
)


def test_jetson_node_is_ready_with_time_sliced_gpus(control_plane: Any, kubeconfig: Any) -> None:
    kubectl = [str(control_plane.bin("kubectl")), "--kubeconfig", str(kubeconfig)]
    out = subprocess.run(
        [*kubectl, "get", "nodes", "-o", f"jsonpath={NODE_COLUMNS}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.split()
    gpus, replicas = int(_env("TS_CLUSTER_GPUS", "1")), int(_env("TS_CLUSTER_GPU_REPLICAS", "4"))
    assert out == [control_plane.node_name, "True", "arm64", str(gpus * replicas)]


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def test_node_carries_jetson_and_device_plugin_labels(control_plane: Any, api_client: Any) -> None:
    node = client.CoreV1Api(api_client).read_node(control_plane.node_name)
    labels = node.metadata.labels
    assert labels["kubernetes.io/os"] == "linux"
    assert labels["nvidia.com/gpu.present"] == "true"
    assert labels["nvidia.com/gpu.product"].startswith("NVIDIA-Jetson-AGX-Thor")
    assert int(labels["nvidia.com/gpu.count"]) * int(labels["nvidia.com/gpu.replicas"]) == int(
        node.status.allocatable["nvidia.com/gpu"]
    )
    assert node.status.allocatable["cpu"] == "14"
    assert node.status.allocatable["memory"] == "128Gi"
    assert node.status.node_info.architecture == "arm64"
    runtime = client.NodeV1Api(api_client).read_runtime_class("nvidia")
    assert runtime.handler == "nvidia"


def test_gpu_deployment_is_scheduled_on_jetson_and_runs(
    control_plane: Any, api_client: Any, namespace: str
) -> None:
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    labels = {"app": "gpu-work"}
    apps.create_namespaced_deployment(
        namespace,
        client.V1Deployment(
            metadata=client.V1ObjectMeta(name="gpu-work"),
            spec=client.V1DeploymentSpec(
                replicas=1,
                selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels), spec=gpu_pod_spec(1)
                ),
            ),
        ),
    )

    def running_pod() -> Any:
        pods = core.list_namespaced_pod(namespace, label_selector="app=gpu-work").items
        return next((p for p in pods if p.status.phase == "Running"), None)

    pod = wait_for("the GPU pod to run", running_pod, timeout=60)
    assert pod.spec.node_name == control_plane.node_name
    assert pod.spec.runtime_class_name == "nvidia"
    ready = {c.type: c.status for c in pod.status.conditions}
    assert ready["PodScheduled"] == "True" and ready["Ready"] == "True"
    assert pod.status.pod_ip.startswith("10.42.")

    def deployment_available() -> bool:
        status = apps.read_namespaced_deployment_status("gpu-work", namespace).status
        return (status.available_replicas or 0) == 1

    wait_for("the Deployment to be available", deployment_available, timeout=30)


def test_pod_asking_more_gpus_than_the_node_has_stays_unschedulable(
    control_plane: Any, api_client: Any, namespace: str
) -> None:
    core = client.CoreV1Api(api_client)
    too_many = node_gpus(core, control_plane.node_name) + 1
    core.create_namespaced_pod(
        namespace,
        client.V1Pod(metadata=client.V1ObjectMeta(name="greedy"), spec=gpu_pod_spec(too_many)),
    )

    def unschedulable() -> Any:
        pod = core.read_namespaced_pod("greedy", namespace)
        for condition in pod.status.conditions or []:
            if condition.type == "PodScheduled" and condition.status == "False":
                return condition
        return None

    condition = wait_for("PodScheduled=False", unschedulable, timeout=30)
    assert condition.reason == "Unschedulable"
    assert "nvidia.com/gpu" in condition.message
    time.sleep(2)  # and it stays so: nothing binds it later
    pod = core.read_namespaced_pod("greedy", namespace)
    assert pod.status.phase == "Pending"
    assert pod.spec.node_name is None


def test_deleting_an_owner_garbage_collects_its_dependents(api_client: Any, namespace: str) -> None:
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    owner = core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="owner"))
    )
    reference = client.V1OwnerReference(
        api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid
    )
    core.create_namespaced_config_map(
        namespace,
        client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="dependent", owner_references=[reference])
        ),
    )
    # A Deployment's ReplicaSet and pods are dependents too (created by the controllers).
    labels = {"app": "plain"}
    apps.create_namespaced_deployment(
        namespace,
        client.V1Deployment(
            metadata=client.V1ObjectMeta(name="plain"),
            spec=client.V1DeploymentSpec(
                replicas=2,
                selector=client.V1LabelSelector(match_labels=labels),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels=labels),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")]),
                ),
            ),
        ),
    )
    wait_for(
        "two pods of the Deployment",
        lambda: len(core.list_namespaced_pod(namespace, label_selector="app=plain").items) == 2,
        timeout=30,
    )
    assert len(apps.list_namespaced_replica_set(namespace).items) == 1

    core.delete_namespaced_config_map("owner", namespace, propagation_policy="Background")
    apps.delete_namespaced_deployment("plain", namespace, propagation_policy="Background")

    def gone() -> bool:
        names = [c.metadata.name for c in core.list_namespaced_config_map(namespace).items]
        return (
            "dependent" not in names
            and not apps.list_namespaced_replica_set(namespace).items
            and not core.list_namespaced_pod(namespace, label_selector="app=plain").items
        )

    wait_for("the garbage collector to delete the dependents", gone, timeout=45)


def test_rbac_refuses_what_a_narrow_role_does_not_allow(
    control_plane: Any, api_client: Any, namespace: str
) -> None:
    core, rbac = client.CoreV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
    core.create_namespaced_service_account(
        namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="reader"))
    )
    rbac.create_namespaced_role(
        namespace,
        client.V1Role(
            metadata=client.V1ObjectMeta(name="configmap-reader"),
            rules=[
                client.V1PolicyRule(
                    api_groups=[""], resources=["configmaps"], verbs=["get", "list", "watch"]
                )
            ],
        ),
    )
    rbac.create_namespaced_role_binding(
        namespace,
        client.V1RoleBinding(
            metadata=client.V1ObjectMeta(name="reader"),
            role_ref=client.V1RoleRef(
                api_group="rbac.authorization.k8s.io", kind="Role", name="configmap-reader"
            ),
            subjects=[
                client.RbacV1Subject(kind="ServiceAccount", name="reader", namespace=namespace)
            ],
        ),
    )
    core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="visible"))
    )
    token = core.create_namespaced_service_account_token(
        "reader", namespace, client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
            audiences=[], expiration_seconds=600))
    ).status.token  # fmt: skip

    configuration = client.Configuration()
    configuration.host = control_plane.server
    configuration.ssl_ca_cert = api_client.configuration.ssl_ca_cert
    configuration.api_key = {"authorization": token}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    with client.ApiClient(configuration) as reader_client:
        reader = client.CoreV1Api(reader_client)
        names = [c.metadata.name for c in reader.list_namespaced_config_map(namespace).items]
        assert "visible" in names
        assert reader.read_namespaced_config_map("visible", namespace).metadata.name == "visible"

        def refused(call: Callable[[], Any]) -> ApiException:
            with pytest.raises(ApiException) as info:
                call()
            return info.value

        for call in (
            lambda: reader.list_namespaced_secret(namespace),
            lambda: reader.create_namespaced_config_map(
                namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="nope"))
            ),
            lambda: reader.delete_namespaced_config_map("visible", namespace),
            lambda: reader.list_namespaced_config_map("default"),
            lambda: reader.list_node(),
        ):
            error = refused(call)
            assert error.status == 403, error
            assert f"system:serviceaccount:{namespace}:reader" in error.body

    assert core.read_namespaced_config_map("visible", namespace).metadata.name == "visible"


def test_namespace_fixture_gives_a_fresh_namespace(api_client: Any, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    assert namespace.startswith("ts-test-")
    assert core.read_namespace(namespace).status.phase == "Active"
    # nothing in it but what the controller-manager puts into every namespace
    names = {c.metadata.name for c in core.list_namespaced_config_map(namespace).items}
    assert names <= {"kube-root-ca.crt"}
    assert [p.metadata.name for p in core.list_namespaced_pod(namespace).items] == []


@pytest.mark.slow
def test_cluster_up_and_down_leave_no_process_behind(tmp_path: Any) -> None:
    """What `make cluster-up` / `make cluster-down` run: a second control plane, with its own
    ports and directory, configured for 2 GPUs x 2 replicas; `down` leaves nothing running."""
    script = [sys.executable, str(REPO / "hack" / "controlplane")]
    env = {
        **os.environ,
        "TS_CLUSTER_DIR": str(tmp_path),
        "TS_CLUSTER_GPUS": "2",
        "TS_CLUSTER_GPU_REPLICAS": "2",
    }
    env.pop("TS_CLUSTER_API_PORT", None)
    env.pop("TS_CLUSTER_ETCD_PORT", None)
    up = subprocess.run([*script, "up"], env=env, capture_output=True, text=True, timeout=120)
    try:
        assert up.returncode == 0, up.stderr
        assert up.stdout.strip() == f"export KUBECONFIG={tmp_path / 'kubeconfig'}"
        state = json.loads((tmp_path / "state.json").read_text())
        pids = [info["pid"] for info in state["processes"].values()]
        # as root `up` adds the real node: containerd, kubelet, kube-proxy, CoreDNS, Traefik,
        # local-path (hack/node.py)
        expected = 11 if os.geteuid() == 0 else 5
        assert len(pids) == expected and all(Path(f"/proc/{pid}").exists() for pid in pids)
        if os.geteuid() == 0:
            ingress = (tmp_path / "ingress-url").read_text().strip()
            assert ingress == state["node_state"]["ingress_url"]
            assert ingress.startswith("http://127.0.0.1:")
        kubectl = subprocess.run(
            [*script, "bin", "kubectl"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        gpus = subprocess.run(
            [kubectl, "--kubeconfig", str(tmp_path / "kubeconfig"), "get", "nodes", "-o",
             "jsonpath={.items[0].status.allocatable.nvidia\\.com/gpu}"],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout  # fmt: skip
        assert gpus == "4"
        listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
        for line in listening.splitlines():
            if any(f"pid={pid}," in line for pid in pids):
                # loopback, or the node's address on its port-less host-only link
                assert line.split()[3].startswith(("127.0.0.1:", "10.41.0.1:")), line
    finally:
        down = subprocess.run([*script, "down"], env=env, capture_output=True, text=True)
    assert down.returncode == 0, down.stderr
    assert not (tmp_path / "state.json").exists()
    assert not (tmp_path / "ingress-url").exists()
    alive = [pid for pid in pids if _running(pid)]
    assert alive == []


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False
