"""The components of the test control plane as a table: each with its flags, its environment,
what it needs ready before it starts and the checks that say it is ready itself. `start` is a
loop over the table; the real node (hack/node.py) adds its components to the same table.

Order: components start in table order. Before one starts, the readiness checks of the
components it `needs` pass (waited for once); at the end every check not yet waited for passes.
So etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok start without waiting
for each other beyond the apiserver, as before the table.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .base import CLUSTER_DIR, HOST, env_int, log, sibling
from .build import KWOK_STAGES, MODULES, bin_dir, binaries_present, build, pinned_version
from .pki import NODE_ADDR, NODE_IP, POD_CIDR, SERVICE_CIDR, make_pki, write_kubeconfig
from .process import APIError, ControlPlane, _port, attach, free_port


@dataclass
class Start:
    """What the components' flags and checks read: the control plane being started, its
    ports and options."""

    cp: ControlPlane
    ports: dict[str, int]
    timeout: float  # for each check without its own
    kwok: bool
    node: bool
    node_images: Sequence[dict[str, object]] = ()  # the real node's (hack/images.py)

    @property
    def directory(self) -> Path:
        return self.cp.directory

    @property
    def pki(self) -> Path:
        return self.cp.directory / "pki"

    @property
    def api_host(self) -> str:
        """With a real node the apiserver listens on the node's address, for the pods."""
        return NODE_ADDR if self.node else HOST

    def kubeconfig(self, user: str) -> Path:
        return self.directory / f"{user}.kubeconfig"


@dataclass(frozen=True)
class Check:
    """A readiness check: `test` holds within `timeout` s (None: the start's timeout)."""

    what: str
    test: Callable[[Start], bool]
    timeout: float | None = None


def _always(start: Start) -> bool:
    return True


@dataclass(frozen=True)
class Component:
    """One process: binary `name` (also its log and its key in ControlPlane.processes)."""

    name: str
    flags: Callable[[Start], list[str]]
    ready: tuple[Check, ...] = ()
    needs: tuple[str, ...] = ()  # components whose checks pass before this one starts
    env: Callable[[Start], dict[str, str]] | None = None
    setup: Callable[[Start], None] | None = None  # before the launch: files, API objects
    enabled: Callable[[Start], bool] = _always


# --------------------------------------------------------------------------------------
# The control plane
# --------------------------------------------------------------------------------------


def _etcd_flags(s: Start) -> list[str]:
    client, peer = f"http://{HOST}:{s.ports['etcd']}", f"http://{HOST}:{s.ports['etcd-peer']}"
    return [
        "--name=default",
        f"--data-dir={s.directory / 'etcd'}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=default={peer}",
        "--unsafe-no-fsync=true",  # a throw-away test store, as envtest runs it
        "--log-level=warn",
    ]


def _apiserver_flags(s: Start) -> list[str]:
    pki = s.pki
    return [
        f"--etcd-servers=http://{HOST}:{s.ports['etcd']}",
        f"--bind-address={s.api_host}",
        f"--advertise-address={s.api_host}",
        f"--secure-port={s.ports['apiserver']}",
        f"--tls-cert-file={pki / 'apiserver.crt'}",
        f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        "--authorization-mode=Node,RBAC",
        "--anonymous-auth=false",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # with a node, pods reach the apiserver through the `kubernetes` Service
        f"--endpoint-reconciler-type={'lease' if s.node else 'none'}",
        f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
        "--kubelet-preferred-address-types=InternalIP,Hostname",
        "--allow-privileged=true",
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--v=1",
    ]


def _component_flags(s: Start, name: str, port: str, cert_dir: str) -> list[str]:
    """What the controller-manager and the scheduler share."""
    kubeconfig = s.kubeconfig(name)
    return [
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--secure-port={s.ports[port]}",
        f"--cert-dir={s.directory / cert_dir}",
        f"--bind-address={HOST}",
        "--leader-elect=false",
        "--v=1",
    ]


def _controller_manager_flags(s: Start) -> list[str]:
    return [
        *_component_flags(s, "kube-controller-manager", "controller-manager", "kcm-certs"),
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={s.pki / 'sa.key'}",
        f"--root-ca-file={s.pki / 'ca.crt'}",
        f"--cluster-signing-cert-file={s.pki / 'ca.crt'}",
        f"--cluster-signing-key-file={s.pki / 'ca.key'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
    ]


def _scheduler_flags(s: Start) -> list[str]:
    return _component_flags(s, "kube-scheduler", "scheduler", "scheduler-certs")


def _kwok_flags(s: Start) -> list[str]:
    return [
        f"--kubeconfig={s.kubeconfig('kwok')}",
        f"--config={s.cp.bin_path / KWOK_STAGES}",
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        f"--cidr={POD_CIDR}",
        f"--node-ip={NODE_IP}",
        f"--node-port={s.ports['kwok']}",
        f"--server-address={HOST}:{s.ports['kwok']}",
        "--node-lease-duration-seconds=40",
    ]


def _register_jetson(s: Start) -> None:
    """The simulated Jetson and the `nvidia` RuntimeClass; kwok keeps the node Ready."""
    gpus = env_int("TS_CLUSTER_GPUS", 1)
    replicas = env_int("TS_CLUSTER_GPU_REPLICAS", 4)
    jetson = jetson_node(s.cp.node_name, gpus, replicas, pinned_version(MODULES[0]))
    if s.node:  # pods land on the real node unless they tolerate this
        jetson["spec"]["taints"] = [
            {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}
        ]
    s.cp.request("POST", "/api/v1/nodes", jetson)
    s.cp.request("POST", "/apis/node.k8s.io/v1/runtimeclasses", RUNTIME_CLASS)


def node_ready(cp: ControlPlane, name: str) -> bool:
    """Node `name` exists and its Ready condition is True."""
    try:
        status: Any = cp.request("GET", f"/api/v1/nodes/{name}").get("status", {})
    except (APIError, OSError, ValueError):  # not there yet, or the apiserver is busy
        return False
    return any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", []))


def _controllers_work(s: Start) -> bool:
    """The serviceaccount controller has filled `default`."""
    try:
        s.cp.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")
    except APIError:
        return False
    return True


CONTROL_PLANE: tuple[Component, ...] = (
    Component("etcd", _etcd_flags),
    Component(
        "kube-apiserver",
        _apiserver_flags,
        ready=(Check("kube-apiserver", lambda s: s.cp.healthy()),),
    ),
    Component(
        "kube-controller-manager",
        _controller_manager_flags,
        ready=(Check("kube-controller-manager", _controllers_work),),
        needs=("kube-apiserver",),
    ),
    Component("kube-scheduler", _scheduler_flags, needs=("kube-apiserver",)),
    Component(
        "kwok",
        _kwok_flags,
        ready=(Check("the simulated Jetson", lambda s: node_ready(s.cp, s.cp.node_name)),),
        needs=("kube-apiserver",),
        setup=_register_jetson,
        enabled=lambda s: s.kwok,
    ),
)


# --------------------------------------------------------------------------------------
# The simulated Jetson AGX Thor node
# --------------------------------------------------------------------------------------


def jetson_node(name: str, gpus: int, replicas: int, k8s_version: str) -> dict[str, Any]:
    """The Node as K3s, the NVIDIA device plugin (time-slicing) and GPU feature discovery
    would publish it on a Jetson AGX Thor developer kit; kwok keeps it Ready."""
    shared = replicas > 1
    product = "NVIDIA-Jetson-AGX-Thor" + ("-SHARED" if shared else "")
    resources = {
        "cpu": "14",
        "memory": "128Gi",
        "pods": "110",
        "ephemeral-storage": "937Gi",
        "nvidia.com/gpu": str(gpus * replicas),
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {
                "kwok.x-k8s.io/node": "fake",
                "node.alpha.kubernetes.io/ttl": "0",
            },
            "labels": {
                "kubernetes.io/arch": "arm64",
                "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name,
                "beta.kubernetes.io/arch": "arm64",
                "beta.kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": "k3s",
                "node-role.kubernetes.io/control-plane": "true",
                "node-role.kubernetes.io/master": "true",
                "type": "kwok",
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.product": product,
                "nvidia.com/gpu.machine": "NVIDIA-Jetson-AGX-Thor-Developer-Kit",
                "nvidia.com/gpu.family": "blackwell",
                "nvidia.com/gpu.compute.major": "11",
                "nvidia.com/gpu.compute.minor": "0",
                "nvidia.com/gpu.count": str(gpus),
                "nvidia.com/gpu.replicas": str(replicas),
                "nvidia.com/gpu.sharing-strategy": "time-slicing" if shared else "none",
                "nvidia.com/device-plugin.config": "time-slicing" if shared else "default",
                "nvidia.com/cuda.driver.major": "580",
                "nvidia.com/cuda.runtime.major": "13",
                "nvidia.com/jetpack.major": "7",
            },
        },
        "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"]},
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "nodeInfo": {
                "architecture": "arm64",
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.3 LTS",
                "kernelVersion": "6.8.12-tegra",
                "containerRuntimeVersion": "containerd://2.1.4-k3s1",
                "kubeletVersion": f"{k8s_version}+k3s1",
                "kubeProxyVersion": f"{k8s_version}+k3s1",
            },
        },
    }


RUNTIME_CLASS = {
    "apiVersion": "node.k8s.io/v1",
    "kind": "RuntimeClass",
    "metadata": {"name": "nvidia"},
    "handler": "nvidia",
}


# --------------------------------------------------------------------------------------
# Start: a loop over the table
# --------------------------------------------------------------------------------------


def run_components(s: Start, table: Sequence[Component]) -> None:
    """Start each enabled component in table order, waiting first for the checks of those it
    needs; then wait for every check not waited for yet."""
    pending: dict[str, tuple[Check, ...]] = {}

    def wait(name: str) -> None:
        for check in pending.pop(name, ()):
            s.cp.wait_for(check.what, partial(check.test, s), check.timeout or s.timeout)
            log(f"{check.what} ready after {time.monotonic() - t0:.1f} s")

    t0 = time.monotonic()
    for component in table:
        if not component.enabled(s):
            continue
        for name in component.needs:
            wait(name)
        if component.setup is not None:
            component.setup(s)
        s.cp.launch(component.name, component.flags(s), component.env(s) if component.env else None)
        pending[component.name] = component.ready
    for name in list(pending):
        wait(name)


def _prepare(directory: Path, node: bool) -> ControlPlane:
    """A fresh directory (pki, kubeconfigs, logs) and the ControlPlane that will run from it."""
    bins = build() if not binaries_present() else bin_dir()
    for sub in ("pki", "etcd", "logs", "kcm-certs", "scheduler-certs"):
        shutil.rmtree(directory / sub, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    pki = directory / "pki"
    (directory / "logs").mkdir()
    make_pki(pki)
    api_port = _port("TS_CLUSTER_API_PORT")
    server = f"https://{NODE_ADDR if node else HOST}:{api_port}"
    kubeconfig = directory / "kubeconfig"
    write_kubeconfig(kubeconfig, server, pki, "admin")
    users = ["kube-controller-manager", "kube-scheduler", "kwok"]
    users += ["kubelet", "kube-proxy"] if node else []
    for user in users:
        write_kubeconfig(directory / f"{user}.kubeconfig", server, pki, user)
    node_name = os.environ.get("TS_CLUSTER_NODE_NAME", "jetson-agx-thor")
    return ControlPlane(directory, server, kubeconfig, bins, node_name)


def start(
    directory: Path | None = None,
    *,
    tie_to_parent: bool = False,
    timeout: float = 90.0,
    node: bool = False,
    kwok: bool = True,
) -> ControlPlane:
    """Start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on
    127.0.0.1, register the Jetson node and the `nvidia` RuntimeClass, and wait until the
    node is Ready and the controller-manager works. `tie_to_parent`: the components die with
    the calling process (pytest), even when it is killed.

    `node`: also a real node (hack/node.py: containerd, kubelet, kube-proxy, CoreDNS, Traefik,
    local-path); the apiserver then listens on the node's address so that pods reach it.
    `kwok`: the simulated Jetson (tainted when a real node runs beside it, so that only pods
    that tolerate it land there)."""
    t0 = time.monotonic()
    directory = (directory or CLUSTER_DIR).resolve()
    previous = ControlPlane.load(directory)
    if previous is not None and any(previous.running().values()):
        raise RuntimeError(
            f"a control plane is already running from {directory} ({previous.server}); "
            "stop it first (make cluster-down)"
        )
    node_mod = sibling("node") if node else None
    table = CONTROL_PLANE
    node_images: list[dict[str, object]] = []
    if node_mod is not None:
        problems = node_mod.missing_requirements()
        if problems:
            raise RuntimeError("cannot run a real node here: " + "; ".join(problems))
        node_images = sibling("images").node_images()  # seconds when cached
        table = (*CONTROL_PLANE, *node_mod.components())
    cp = _prepare(directory, node)
    cp.tie_to_parent = tie_to_parent
    ports = {"apiserver": int(cp.server.rsplit(":", 1)[1]), "etcd": _port("TS_CLUSTER_ETCD_PORT")}
    ports |= {
        name: free_port() for name in ("etcd-peer", "controller-manager", "scheduler", "kwok")
    }
    run = Start(cp, ports, timeout, kwok=kwok, node=node, node_images=node_images)
    try:
        if node_mod is not None:  # the node's address first: the apiserver binds it
            cp.node_state = node_mod.prepare_host(directory / "node")
            cp.save_state()
        run_components(run, table)
        if cp.ingress_url is not None and directory == CLUSTER_DIR.resolve():
            (directory / "ingress-url").write_text(cp.ingress_url + "\n")
    except BaseException:
        cp.stop()
        raise
    nodes = [n for n, on in ((cp.node_name, kwok), ("tradingstack-node", node)) if on]
    log(
        f"control plane up in {time.monotonic() - t0:.1f} s: {cp.server}, "
        f"node{'s' if len(nodes) > 1 else ''} {', '.join(nodes) or '(none)'} Ready; "
        f"kubeconfig {cp.kubeconfig}"
    )
    return cp


@contextlib.contextmanager
def running(directory: Path | None = None, *, reuse: bool = False) -> Iterator[ControlPlane]:
    """Start a control plane (or reuse a live one when `reuse`), stop it afterwards."""
    reused = attach(directory) if reuse else None
    cp = reused if reused is not None else start(directory, tie_to_parent=True)
    try:
        yield cp
    finally:
        cp.stop()
