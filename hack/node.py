"""A real Kubernetes node beside the test control plane (standard library only).

containerd v2 with runc, a CNI bridge (Debian's containernetworking-plugins), kubelet and
kube-proxy from the control plane's `k8s.io/kubernetes` pin, CoreDNS for Service names,
Traefik as the Ingress controller (K3s' default) and K3s' local-path provisioner for the PVCs.
Every binary is built from a Go module pinned under hack/control-plane/ (hack/controlplane/).

`controlplane.start(node=True)` calls `prepare_host` before the apiserver starts (the node's
address must exist for it to bind) and starts the node's `components()` as rows of its table
once the controller-manager works; `ControlPlane.stop` calls `remove_pods` before containerd
stops and `teardown` at the end. Teardown leaves nothing
behind: no pod sandbox, mount, network namespace, veth, bridge, iptables rule, cgroup, sysctl
change or process. Only one node runs on a machine at a time (it owns the iptables rules and
the bridge); a lock file says so.

Addresses: the node, the apiserver, CoreDNS and the kubelet listen on NODE_ADDR, on a link
without ports that exists only on this host (pods reach it through their default route; nothing
outside the machine does). Pods get addresses from POD_SUBNET on the bridge. The Ingress
(Traefik) listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from controlplane import Component, ControlPlane, Start

NODE_ADDR = "10.41.0.1"  # the node's InternalIP, on the port-less link NODE_LINK
NODE_LINK = "ts-node0"
BRIDGE = "ts-cni0"
POD_SUBNET = "10.42.200.0/24"  # inside the cluster's 10.42.0.0/16; kwok uses its low end
NODE_NAME = "tradingstack-node"
CNI_BIN_DIRS = ("/usr/lib/cni", "/opt/cni/bin")
LOCK_FILE = Path("/run/tradingstack-node.lock")
# Sysctls that the node changes (ip_forward, the bridge's iptables hook; the kubelet sets the
# vm/kernel ones it wants): saved on start and put back on teardown.
SYSCTLS = (
    "net/ipv4/ip_forward",
    "net/bridge/bridge-nf-call-iptables",
    "net/bridge/bridge-nf-call-ip6tables",
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)
# Debian's packages the node needs at run time (`make test-deps` installs them).
DEBIAN_PACKAGES = ("containernetworking-plugins", "iptables", "conntrack")
CGROUP_ROOT = "tradingstack-node"  # kubelet's cgroupRoot: every pod's cgroup is below it
LOCAL_PATH_NAMESPACE = "local-path-storage"


def log(message: str) -> None:
    print(f"[node] {message}", flush=True, file=sys.stderr)


def cni_bin_dir() -> str | None:
    for directory in CNI_BIN_DIRS:
        if os.access(Path(directory) / "bridge", os.X_OK):
            return directory
    return None


def missing_requirements() -> list[str]:
    """Why a node cannot run here (empty when it can)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the node needs root (containerd, kubelet, iptables)")
    if cni_bin_dir() is None:
        problems.append("no CNI plugins (Debian's containernetworking-plugins)")
    for tool in ("iptables", "iptables-save", "ip"):
        if shutil.which(tool) is None:
            problems.append(f"`{tool}` is missing")
    if not Path("/proc/sys/net/bridge").is_dir():
        problems.append("the br_netfilter module is not loaded (/proc/sys/net/bridge)")
    if not Path("/sys/fs/cgroup").is_dir():
        problems.append("no cgroup file system")
    return problems


def _run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def _sysctl_path(name: str) -> Path:
    return Path("/proc/sys") / name


def _read_sysctls() -> dict[str, str]:
    out = {}
    for name in SYSCTLS:
        with contextlib.suppress(OSError):
            out[name] = _sysctl_path(name).read_text().strip()
    return out


def _write_sysctl(name: str, value: str) -> None:
    with contextlib.suppress(OSError):
        _sysctl_path(name).write_text(value + "\n")


def _cgroup_mounts() -> list[Path]:
    """Every cgroup hierarchy mounted (v1 controllers and the v2 one of a hybrid host)."""
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fstype = right.split()[0] if right else ""
        if fstype in ("cgroup", "cgroup2"):
            mounts.append(Path(left.split()[4]))
    return mounts


def _remove_cgroup_tree(root: Path) -> None:
    if not root.is_dir():
        return
    for directory in sorted(
        (p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)
    ):
        with contextlib.suppress(OSError):
            directory.rmdir()
    with contextlib.suppress(OSError):
        root.rmdir()


NETNS_DIR = Path("/run/netns")  # where containerd's CNI setup pins pod network namespaces


def _netns() -> list[str]:
    return sorted(p.name for p in NETNS_DIR.glob("cni-*")) if NETNS_DIR.is_dir() else []


def _kill_cgroup_processes(timeout: float = 10.0) -> None:
    """SIGKILL whatever still runs in the pods' cgroups (containers whose shim died with a
    killed test run); a cgroup with a process in it cannot be removed."""
    deadline = time.monotonic() + timeout
    while True:
        pids: set[int] = set()
        for mount in _cgroup_mounts():
            root = mount / CGROUP_ROOT
            if root.is_dir():
                for procs in root.rglob("cgroup.procs"):
                    with contextlib.suppress(OSError):
                        pids.update(int(x) for x in procs.read_text().split())
        if not pids or time.monotonic() > deadline:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)


def _mounts_under(prefixes: Sequence[Path]) -> list[str]:
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == str(p) or point.startswith(str(p) + "/") for p in prefixes):
            found.append(point)
    return found


def _lock() -> int:
    fd = os.open(LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        owner = LOCK_FILE.read_text().strip() or "another process"
        raise RuntimeError(
            f"a TradingStack test node already runs on this machine ({owner}); stop it first "
            "(make cluster-down)"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()}\n".encode())
    return fd


_LOCK_FD: int | None = None


def prepare_host(node_dir: Path) -> dict[str, Any]:
    """Before the apiserver starts: the lock, the node's address, the saved sysctls. Returns
    the state that teardown needs (kept in the control plane's state.json)."""
    global _LOCK_FD
    problems = missing_requirements()
    if problems:
        raise RuntimeError("cannot run a node here: " + "; ".join(problems))
    _LOCK_FD = _lock()
    shutil.rmtree(node_dir, ignore_errors=True)
    node_dir.mkdir(parents=True)
    state: dict[str, Any] = {
        "dir": str(node_dir),
        "sysctls": _read_sysctls(),
        "had_var_lib_cni": Path("/var/lib/cni").exists(),
        "had_var_log_containers": Path("/var/log/containers").exists(),
        "netns_before": _netns(),
        "iptables_before": _iptables_rules(),
    }
    (node_dir / "host-state.json").write_text(json.dumps(state, indent=2) + "\n")
    _run("ip", "link", "del", NODE_LINK, check=False)  # a crashed earlier run
    # a bridge without ports holds the address: this kernel may lack the dummy link type
    _run("ip", "link", "add", NODE_LINK, "type", "bridge")
    _run("ip", "addr", "add", f"{NODE_ADDR}/32", "dev", NODE_LINK)
    _run("ip", "link", "set", NODE_LINK, "up")
    _run("iptables", *OFF_MACHINE_REJECT)
    return state


# Pods reach nothing off this machine. Without it, a pod's connection to a Service that has no
# endpoints yet (before kube-proxy's REJECT rule for it is synced) left through the default
# route, masqueraded by the bridge plugin, and an address off the machine answered it: the
# operator's health probe kept that keep-alive connection and read "HTTP 404" for rag for good.
# Pod-to-pod traffic and DNATed Service traffic (to pods, or to the node's own processes, which
# is INPUT, not FORWARD) are not touched. The teardown removes it with the node's other rules.
OFF_MACHINE_REJECT = (
    "-I", "FORWARD", "1", "-s", POD_SUBNET, "!", "-d", "10.42.0.0/16",
    "-m", "comment", "--comment", "tradingstack test node: pods reach nothing off this machine",
    "-j", "REJECT",
)  # fmt: skip


def _iptables_rules() -> list[str]:
    """The host's iptables rules and chains, as `<tool> <table> <rule>` (counters dropped), for
    the no-rule-left-behind check and the teardown."""
    rules = []
    for tool in ("iptables-save", "ip6tables-save"):
        if shutil.which(tool) is None:
            continue
        table = ""
        for line in _run(tool, check=False).stdout.splitlines():
            if line.startswith("*"):
                table = line[1:]
            elif line.startswith("-A "):
                rules.append(f"{tool} {table} {line}")
            elif line.startswith(":"):
                rules.append(f"{tool} {table} {line.split()[0]}")
    return sorted(rules)


def leftover_rules(state: dict[str, Any]) -> list[str]:
    before = set(state.get("iptables_before", []))
    return [rule for rule in _iptables_rules() if rule not in before]


def _remove_leftover_rules(state: dict[str, Any]) -> None:
    """Delete the rules and chains that appeared since the node started (what kube-proxy's
    --cleanup and the CNI plugins' DEL did not remove)."""
    leftovers = leftover_rules(state)
    for entry in leftovers:
        tool, table, rule = entry.split(" ", 2)
        if rule.startswith("-A "):
            args = shlex.split(rule)
            args[0] = "-D"
            _run(tool.removesuffix("-save"), "-t", table, *args, check=False)
    for entry in leftovers:
        tool, table, rule = entry.split(" ", 2)
        if rule.startswith(":"):
            _run(tool.removesuffix("-save"), "-t", table, "-X", rule[1:], check=False)


# ---- configuration files ------------------------------------------------------------------


def containerd_config(node_dir: Path, bins: Path, cni_bin: str, sandbox_image: str) -> str:
    root, state = node_dir / "containerd" / "root", node_dir / "containerd" / "state"
    return f"""version = 3
root = "{root}"
state = "{state}"
imports = []
# these would create /opt/containerd and /var/run/nri on the host
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri"]

[grpc]
  address = "{node_dir / "containerd.sock"}"

[ttrpc]
  address = "{node_dir / "containerd.sock.ttrpc"}"

[debug]
  level = "warn"

[plugins.'io.containerd.cri.v1.runtime']
  enable_selinux = false
  # runc init cannot lower its oom_score_adj without CAP_SYS_RESOURCE
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "{bins / "runc"}"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["{cni_bin}"]
    conf_dir = "{node_dir / "cni" / "net.d"}"
    max_conf_num = 1

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "{sandbox_image}"

[plugins.'io.containerd.grpc.v1.cri']
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
"""


def cni_config(node_dir: Path) -> dict[str, Any]:
    return {
        "cniVersion": "1.0.0",
        "name": "tradingstack",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": POD_SUBNET}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": str(node_dir / "cni" / "ipam"),
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def kubelet_config(node_dir: Path, ports: dict[str, int]) -> dict[str, Any]:
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "failCgroupV1": False,  # the host is cgroup v1 (hybrid); kubelet 1.35 refuses it else
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": "/" + CGROUP_ROOT,
        "containerRuntimeEndpoint": f"unix://{node_dir / 'containerd.sock'}",
        "address": NODE_ADDR,
        "port": ports["kubelet"],
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": ports["kubelet-healthz"],
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": False},
            "x509": {"clientCAFile": str(node_dir.parent / "pki" / "ca.crt")},
        },
        "authorization": {"mode": "AlwaysAllow"},
        "clusterDNS": [NODE_ADDR],
        "clusterDomain": "cluster.local",
        "resolvConf": "/etc/resolv.conf",
        "podLogsDir": str(node_dir / "pod-logs"),
        "failSwapOn": False,
        "serializeImagePulls": False,
        "maxPods": 60,
        # a test node on a shared disk: evict nothing for disk space, collect no images
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%",
                         "imagefs.available": "1%", "nodefs.inodesFree": "1%"},
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "imageMinimumGCAge": "87600h",
        "protectKernelDefaults": False,
        "kernelMemcgNotification": False,
        "nodeStatusReportFrequency": "10s",
        "nodeStatusUpdateFrequency": "5s",
        "syncFrequency": "10s",
        "fileCheckFrequency": "0s",
        "staticPodPath": "",
        "localStorageCapacityIsolation": True,
        "shutdownGracePeriod": "0s",
    }  # fmt: skip


def kube_proxy_config(node_dir: Path, ports: dict[str, int]) -> dict[str, Any]:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clientConnection": {"kubeconfig": str(node_dir.parent / "kube-proxy.kubeconfig")},
        "hostnameOverride": NODE_NAME,
        "bindAddress": NODE_ADDR,
        "clusterCIDR": "10.42.0.0/16",
        "healthzBindAddress": f"127.0.0.1:{ports['kube-proxy-healthz']}",
        "metricsBindAddress": f"127.0.0.1:{ports['kube-proxy-metrics']}",
        # leave the host's conntrack sysctls and route_localnet alone
        "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s",
                      "tcpCloseWaitTimeout": "0s", "udpTimeout": "0s", "udpStreamTimeout": "0s"},
        "iptables": {"localhostNodePorts": False, "syncPeriod": "10s", "minSyncPeriod": "0s"},
    }  # fmt: skip


def corefile(node_dir: Path, ready_port: int) -> str:
    return f""".:53 {{
    bind {NODE_ADDR}
    errors
    ready 127.0.0.1:{ready_port}
    kubernetes cluster.local in-addr.arpa ip6.arpa {{
        kubeconfig {node_dir.parent / "kubeconfig"} tradingstack-test
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }}
    forward . /etc/resolv.conf
    cache 10
}}
"""


# ---- start --------------------------------------------------------------------------------


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except (OSError, urllib.error.URLError):
        return False


def _ctr(cp: ControlPlane, *args: str) -> subprocess.CompletedProcess[str]:
    sock = Path(cp.node_state["dir"]) / "containerd.sock"
    return _run(str(cp.bin("ctr")), "--address", str(sock), "-n", "k8s.io", *args)


def disk_needed(archives: Sequence[Path]) -> int:
    """Bytes the node's containerd needs for these archives: their layers in its content store
    and unpacked in its snapshots (both uncompressed), and 2 GiB for etcd, logs and volumes."""
    return 2 * sum(a.stat().st_size for a in archives) + 2 * 2**30


def import_images(cp: ControlPlane, archives: Sequence[Path]) -> float:
    """Load image archives into the node's containerd (what `k3s ctr images import` does).
    Refused up front when the disk cannot hold them: a full disk stalls etcd and the kubelet
    and fails pods much later, with errors far from the cause."""
    node_dir = Path(cp.node_state["dir"])
    free, needed = shutil.disk_usage(node_dir).free, disk_needed(archives)
    if free < needed:
        raise RuntimeError(
            f"{node_dir} has {free / 2**30:.1f} GiB free; the images need {needed / 2**30:.1f}"
            " GiB on the node (content store and snapshots): free some space"
            " (`hack/images.py build` prunes earlier image builds)"
        )
    start = time.monotonic()
    for archive in archives:
        _ctr(cp, "images", "import", "--local", str(archive))  # unpacked once, here
    return time.monotonic() - start


# ---- start: the node's components, added to the control plane's table --------------------


def components() -> list[Component]:
    """containerd, kubelet, kube-proxy, CoreDNS, Traefik and local-path as rows of the control
    plane's table (controlplane.components): started after the controller-manager works; at
    the end the node is Ready, DNS answers and the Ingress controller is up."""
    from controlplane import Check, Component, node_ready  # the control plane calls this

    return [
        Component(
            "containerd",
            lambda s: ["--config", str(_node_dir(s) / "containerd.toml")],
            ready=(Check("containerd", _containerd_up, 30),),
            needs=("kube-controller-manager", "kwok"),
            env=_bin_path,
            setup=_prepare_containerd,
        ),
        Component(
            "kubelet",
            _kubelet_flags,
            ready=(Check(f"node {NODE_NAME}", lambda s: node_ready(s.cp, NODE_NAME)),),
            needs=("containerd",),
            env=_bin_path,
            setup=_prepare_kubelet,
        ),
        Component(
            "kube-proxy",
            lambda s: [f"--config={_node_dir(s) / 'kube-proxy.yaml'}", "--v=1"],
            setup=_write_kube_proxy_config,
        ),
        Component(
            "coredns",
            lambda s: ["-conf", str(_node_dir(s) / "Corefile")],
            ready=(Check("CoreDNS", lambda s: _http_ok(_local(s, "coredns-ready", "/ready")), 60),),
            setup=_write_corefile,
        ),
        Component(
            "traefik",
            _traefik_flags,
            ready=(Check("Traefik", lambda s: _http_ok(_local(s, "traefik-ping", "/ping")), 60),),
            needs=("kubelet", "coredns"),
            setup=_prepare_traefik,
        ),
        Component(
            "local-path-provisioner",
            _local_path_flags,
            needs=("traefik",),
            env=lambda s: {"POD_NAMESPACE": LOCAL_PATH_NAMESPACE},
            setup=_prepare_local_path,
        ),
    ]


def _node_dir(s: Start) -> Path:
    return Path(s.cp.node_state["dir"])


def _ports(s: Start) -> dict[str, int]:
    ports: dict[str, int] = s.cp.node_state["ports"]
    return ports


def _local(s: Start, port: str, path: str) -> str:
    return f"http://127.0.0.1:{_ports(s)[port]}{path}"


def _bin_path(s: Start) -> dict[str, str]:
    """PATH with the cached binaries first (containerd finds its shim and runc there)."""
    return {"PATH": f"{s.cp.bin_path}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"}


def _prepare_containerd(s: Start) -> None:
    """The node's directories, its CNI and containerd configs, sysctls and cgroup roots."""
    node_dir = _node_dir(s)
    cni_bin = cni_bin_dir()
    assert cni_bin is not None
    for sub in ("cni/net.d", "cni/ipam", "kubelet", "pod-logs", "local-path", "volume-plugins"):
        (node_dir / sub).mkdir(parents=True, exist_ok=True)
    (node_dir / "cni" / "net.d" / "10-tradingstack.conflist").write_text(
        json.dumps(cni_config(node_dir), indent=2) + "\n"
    )
    sandbox_image = str(s.node_images[0]["ref"])
    (node_dir / "containerd.toml").write_text(
        containerd_config(node_dir, s.cp.bin_path, cni_bin, sandbox_image)
    )
    for name, value in (("net/ipv4/ip_forward", "1"), ("net/bridge/bridge-nf-call-iptables", "1")):
        _write_sysctl(name, value)
    for mount in _cgroup_mounts():  # kubelet wants its cgroupRoot to exist in every hierarchy
        with contextlib.suppress(OSError):
            (mount / CGROUP_ROOT).mkdir(exist_ok=True)


def _containerd_up(s: Start) -> bool:
    return (_node_dir(s) / "containerd.sock").exists() and _ctr(s.cp, "version").returncode == 0


def _prepare_kubelet(s: Start) -> None:
    """The node images in containerd (the pod sandbox first), the node's ports, kubelet.yaml."""
    for entry in s.node_images:
        _ctr(s.cp, "images", "import", "--local", str(entry["archive"]))
    log("node images imported")
    s.cp.node_state["ports"] = ports = {
        "kubelet": _free_port(NODE_ADDR),
        "kubelet-healthz": _free_port(),
        "kube-proxy-healthz": _free_port(),
        "kube-proxy-metrics": _free_port(),
        "coredns-ready": _free_port(),
        "ingress": int(os.environ.get("TS_CLUSTER_INGRESS_PORT", "0")) or _free_port(),
        "traefik-ping": _free_port(),
        "local-path": 0,
    }
    node_dir = _node_dir(s)
    (node_dir / "kubelet.yaml").write_text(json.dumps(kubelet_config(node_dir, ports), indent=2))


def _write_kube_proxy_config(s: Start) -> None:
    config = kube_proxy_config(_node_dir(s), _ports(s))
    (_node_dir(s) / "kube-proxy.yaml").write_text(json.dumps(config))


def _write_corefile(s: Start) -> None:
    (_node_dir(s) / "Corefile").write_text(corefile(_node_dir(s), _ports(s)["coredns-ready"]))


def _kubelet_flags(s: Start) -> list[str]:
    node_dir = _node_dir(s)
    return [
        f"--config={node_dir / 'kubelet.yaml'}",
        f"--kubeconfig={s.cp.directory / 'kubelet.kubeconfig'}",
        f"--root-dir={node_dir / 'kubelet'}",
        f"--cert-dir={node_dir / 'kubelet' / 'pki'}",
        f"--volume-plugin-dir={node_dir / 'volume-plugins'}",
        f"--hostname-override={NODE_NAME}",
        f"--node-ip={NODE_ADDR}",
        "--node-labels=tradingstack.dev/test-node=true",
        "--v=1",
    ]


def _apply(cp: ControlPlane, manifests: Sequence[dict[str, Any]]) -> None:
    """Create objects (server-side apply through kubectl would need a file; this is enough)."""
    kubectl = str(cp.bin("kubectl"))
    subprocess.run(
        [kubectl, f"--kubeconfig={cp.kubeconfig}", "apply", "--server-side", "-f", "-"],
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(manifests)}),
        text=True,
        check=True,
        capture_output=True,
    )


# Traefik's own ClusterRole (docs/content/reference/dynamic-configuration/kubernetes-crd-rbac.yml
# of the pinned release), for its kubernetesIngress and kubernetesCRD providers.
TRAEFIK_RULES = [
    {"apiGroups": [""], "resources": ["services", "secrets", "nodes", "configmaps"],
     "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
     "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["extensions", "networking.k8s.io"],
     "resources": ["ingresses", "ingressclasses"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["extensions", "networking.k8s.io"], "resources": ["ingresses/status"],
     "verbs": ["update"]},
    {"apiGroups": ["traefik.io"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
]  # fmt: skip


def _prepare_traefik(s: Start) -> None:
    """Its CRDs, ServiceAccount, ClusterRole and IngressClass; a token for its providers."""
    cp = s.cp
    node_dir = _node_dir(s)
    kubectl = str(cp.bin("kubectl"))
    subprocess.run(
        [kubectl, f"--kubeconfig={cp.kubeconfig}", "apply", "--server-side", "-f",
         str(cp.bin_path / "traefik-crds.yaml")],
        check=True, capture_output=True,
    )  # fmt: skip
    _apply(
        cp,
        [
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "traefik", "namespace": "kube-system"}},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": "traefik"}, "rules": TRAEFIK_RULES},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": "traefik"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                         "name": "traefik"},
             "subjects": [{"kind": "ServiceAccount", "name": "traefik",
                           "namespace": "kube-system"}]},
            # K3s ships this IngressClass with its Traefik
            {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
             "metadata": {"name": "traefik",
                          "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
             "spec": {"controller": "traefik.io/ingress-controller"}},
        ],
    )  # fmt: skip
    token: Any = cp.request(
        "POST",
        "/api/v1/namespaces/kube-system/serviceaccounts/traefik/token",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
         "spec": {"expirationSeconds": 86400}},
    )  # fmt: skip
    token_file = node_dir / "traefik.token"
    token_file.write_text(token["status"]["token"])
    token_file.chmod(0o600)
    cp.node_state["ingress_url"] = _local(s, "ingress", "")


def _traefik_flags(s: Start) -> list[str]:
    ports, token = _ports(s), (_node_dir(s) / "traefik.token").read_text()
    endpoint = s.cp.server
    ca = str(s.cp.directory / "pki" / "ca.crt")
    args = [
        f"--entryPoints.web.address=127.0.0.1:{ports['ingress']}",
        f"--entryPoints.traefik.address=127.0.0.1:{ports['traefik-ping']}",
        "--ping=true",
        "--ping.entryPoint=traefik",
        "--log.level=WARN",
        "--global.checkNewVersion=false",
        "--global.sendAnonymousUsage=false",
    ]
    for provider in ("kubernetesIngress", "kubernetesCRD"):
        args += [
            f"--providers.{provider}.endpoint={endpoint}",
            f"--providers.{provider}.token={token}",
            f"--providers.{provider}.certAuthFilePath={ca}",
            f"--providers.{provider}.throttleDuration=1s",
        ]
    return args


def _prepare_local_path(s: Start) -> None:
    """Its namespace, ServiceAccount, ConfigMap and the default StorageClass; its config files."""
    node_dir, helper_image = _node_dir(s), _helper_image(s)
    storage = node_dir / "local-path"
    config = {
        "nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": [str(storage)]}]
    }
    helper_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "helper-pod"},
        "spec": {
            "priorityClassName": "system-node-critical",
            "containers": [{"name": "helper-pod", "image": helper_image,
                            "imagePullPolicy": "Never"}],
        },
    }  # fmt: skip
    namespace = LOCAL_PATH_NAMESPACE
    _apply(
        s.cp,
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "local-path-provisioner", "namespace": namespace}},
            {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "local-path-config", "namespace": namespace},
             "data": {
                 "config.json": json.dumps(config),
                 "setup": '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
                 "teardown": '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
                 "helperPod.yaml": json.dumps(helper_pod),
             }},
            {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
             "metadata": {"name": "local-path",
                          "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
             "provisioner": "rancher.io/local-path",
             "volumeBindingMode": "WaitForFirstConsumer", "reclaimPolicy": "Delete"},
        ],
    )  # fmt: skip
    (node_dir / "local-path.json").write_text(json.dumps(config))
    (node_dir / "helperPod.yaml").write_text(json.dumps(helper_pod))


def _helper_image(s: Start) -> str:
    return str(s.node_images[1]["ref"])


def _local_path_flags(s: Start) -> list[str]:
    node_dir = _node_dir(s)
    return [
        "start",
        f"--kubeconfig={s.cp.kubeconfig}",
        f"--config={node_dir / 'local-path.json'}",
        f"--helper-pod-file={node_dir / 'helperPod.yaml'}",
        f"--namespace={LOCAL_PATH_NAMESPACE}",
        f"--helper-image={_helper_image(s)}",
        "--service-account-name=local-path-provisioner",
    ]


# ---- stop ---------------------------------------------------------------------------------


def remove_pods(cp: ControlPlane) -> None:
    """With the kubelet stopped and containerd still up: stop and remove every pod sandbox, so
    the CNI plugins delete their veths, iptables rules and network namespaces."""
    node_dir = Path(cp.node_state["dir"])
    crictl = [str(cp.bin("crictl")), f"--runtime-endpoint=unix://{node_dir / 'containerd.sock'}",
              "--timeout=30s"]  # fmt: skip
    if not (node_dir / "containerd.sock").exists():
        return
    proc = subprocess.run([*crictl, "rmp", "--all", "--force"], capture_output=True, text=True)
    if proc.returncode != 0:
        log(f"crictl rmp: {proc.stderr.strip()[-500:]}")


def teardown(cp: ControlPlane) -> None:
    """After every process stopped: what the node left in the kernel and on disk."""
    state = cp.node_state
    node_dir = Path(state["dir"])
    shim = str(cp.bin_path / "containerd-shim-runc-v2")
    for pid_dir in Path("/proc").glob("[0-9]*"):  # shims outlive containerd by design
        with contextlib.suppress(OSError):
            if os.readlink(pid_dir / "exe") == shim:
                os.kill(int(pid_dir.name), signal.SIGKILL)
    proxy = cp.bin_path / "kube-proxy"
    if proxy.is_file():
        subprocess.run([str(proxy), "--cleanup", "--v=0"], capture_output=True)
    _remove_leftover_rules(state)
    _kill_cgroup_processes()
    before = set(state.get("netns_before", []))
    for name in _netns():  # pinned by a containerd that could not remove its sandboxes
        if name not in before:
            subprocess.run(["umount", "-l", str(NETNS_DIR / name)], capture_output=True)
            with contextlib.suppress(OSError):
                (NETNS_DIR / name).unlink()
    for point in sorted(_mounts_under([node_dir]), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)
    for link in (BRIDGE, NODE_LINK):
        _run("ip", "link", "del", link, check=False)
    for mount in _cgroup_mounts():
        _remove_cgroup_tree(mount / CGROUP_ROOT)
    for name, value in state.get("sysctls", {}).items():
        _write_sysctl(name, value)
    for log_link in Path("/var/log/containers").glob("*.log"):  # the kubelet's symlinks
        with contextlib.suppress(OSError):
            if os.readlink(log_link).startswith(str(node_dir)):
                log_link.unlink()
    if not state.get("had_var_log_containers", True):
        with contextlib.suppress(OSError):
            Path("/var/log/containers").rmdir()  # only when empty
    if not state.get("had_var_lib_cni", True):
        shutil.rmtree("/var/lib/cni", ignore_errors=True)
    shutil.rmtree(node_dir, ignore_errors=True)
    global _LOCK_FD
    if _LOCK_FD is not None:
        os.close(_LOCK_FD)
        _LOCK_FD = None
