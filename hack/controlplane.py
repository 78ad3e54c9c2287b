#!/usr/bin/env python3
"""The test control plane: build its binaries from Go modules, start and stop it on loopback.

One place for the logic that `make control-plane`, `make cluster-up`, `make cluster-down`,
the pytest fixtures (tests/cluster/conftest.py) and bench/control_plane.py all use.

    python3 hack/controlplane.py build     # build the pinned binaries into the cache (once)
    python3 hack/controlplane.py up        # etcd, kube-apiserver, controller-manager,
                                           # scheduler, kwok, the Jetson node, and (as root)
                                           # the real node (hack/node.py); .cluster/kubeconfig
    python3 hack/controlplane.py down      # stop what `up` started
    python3 hack/controlplane.py status
    python3 hack/controlplane.py bin kubectl   # path of a cached binary

Standard library only (plus `openssl` and `go`), so it runs before the virtual environment
exists. Every version is pinned once, in the go.mod of its module under hack/control-plane/.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MODULES_DIR = REPO / "hack" / "control-plane"
CLUSTER_DIR = Path(os.environ.get("TS_CLUSTER_DIR", str(REPO / ".cluster")))
CACHE_ROOT = Path(
    os.environ.get(
        "TS_CACHE_DIR",
        str(Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "tradingstack"),
    )
)
HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[control-plane] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoModule:
    """One Go module under hack/control-plane/ and the binaries it builds."""

    name: str
    binaries: dict[str, str]  # binary name -> Go package
    ldflags_x: dict[str, str] = field(default_factory=dict)  # -X symbol -> "{version}" template
    version_of: str = ""  # the module whose pinned version fills {version}
    node: bool = False  # a component of the real node (hack/node.py), not of the control plane
    cgo: bool = False  # needs cgo (runc links Debian's libseccomp for RuntimeDefault seccomp)
    tags: str = ""  # go build -tags


_K8S_X = {
    "k8s.io/component-base/version.gitVersion": "{version}",
    "k8s.io/component-base/version.gitMajor": "{major}",
    "k8s.io/component-base/version.gitMinor": "{minor}",
    "k8s.io/component-base/version.gitTreeState": "clean",
    "k8s.io/client-go/pkg/version.gitVersion": "{version}",
    "k8s.io/client-go/pkg/version.gitMajor": "{major}",
    "k8s.io/client-go/pkg/version.gitMinor": "{minor}",
    "k8s.io/client-go/pkg/version.gitTreeState": "clean",
}

MODULES: tuple[GoModule, ...] = (
    GoModule(
        "kubernetes",
        {
            "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
            "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
            "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
            "kubectl": "k8s.io/kubernetes/cmd/kubectl",
        },
        _K8S_X,
        "k8s.io/kubernetes",
    ),
    GoModule(
        "kubernetes",
        {
            "kubelet": "k8s.io/kubernetes/cmd/kubelet",
            "kube-proxy": "k8s.io/kubernetes/cmd/kube-proxy",
        },
        _K8S_X,
        "k8s.io/kubernetes",
        node=True,
    ),
    GoModule("etcd", {"etcd": "."}, {}, "go.etcd.io/etcd/server/v3"),
    GoModule(
        "kwok",
        {"kwok": "sigs.k8s.io/kwok/cmd/kwok"},
        {"sigs.k8s.io/kwok/pkg/consts.Version": "{version}"},
        "sigs.k8s.io/kwok",
    ),
    GoModule(
        "helm",
        {"helm": "helm.sh/helm/v3/cmd/helm"},
        {"helm.sh/helm/v3/internal/version.version": "{version}"},
        "helm.sh/helm/v3",
    ),
    # The real node (hack/node.py): runtime, DNS, Ingress controller, storage provisioner.
    GoModule(
        "containerd",
        {
            name: f"github.com/containerd/containerd/v2/cmd/{name}"
            for name in ("containerd", "containerd-shim-runc-v2", "ctr")
        },
        {"github.com/containerd/containerd/v2/version.Version": "{version}"},
        "github.com/containerd/containerd/v2",
        node=True,
        tags="no_btrfs no_devmapper no_zfs",
    ),
    GoModule(
        "runc",
        {"runc": "github.com/opencontainers/runc"},
        {"main.version": "{version}"},
        "github.com/opencontainers/runc",
        node=True,
        cgo=True,
        tags="seccomp",
    ),
    GoModule(
        "cri-tools",
        {"crictl": "sigs.k8s.io/cri-tools/cmd/crictl"},
        {"sigs.k8s.io/cri-tools/pkg/version.Version": "{version}"},
        "sigs.k8s.io/cri-tools",
        node=True,
    ),
    GoModule(
        "coredns",
        {"coredns": "github.com/coredns/coredns"},
        {},
        "github.com/coredns/coredns",
        node=True,
    ),
    GoModule(
        "traefik",
        {"traefik": "github.com/traefik/traefik/v3/cmd/traefik"},
        {"github.com/traefik/traefik/v3/pkg/version.Version": "{version}"},
        "github.com/traefik/traefik/v3",
        node=True,
    ),
    GoModule(
        "local-path",
        {"local-path-provisioner": "github.com/rancher/local-path-provisioner"},
        {"main.VERSION": "{version}"},
        "github.com/rancher/local-path-provisioner",
        node=True,
    ),
)
BINARIES = tuple(b for m in MODULES for b in m.binaries)
NODE_BINARIES = tuple(b for m in MODULES if m.node for b in m.binaries)


def go_executable() -> str:
    found = shutil.which("go")
    if found:
        return found
    for candidate in ("/usr/local/go/bin/go", str(Path.home() / "go" / "bin" / "go")):
        if Path(candidate).is_file():
            return candidate
    raise SystemExit("`go` is needed to build the control plane (https://go.dev/dl/)")


def pinned_version(module: GoModule) -> str:
    """The version of `module.version_of` required in the module's go.mod (the one pin)."""
    text = (MODULES_DIR / module.name / "go.mod").read_text()
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(module.version_of)}\s+(v\S+)", text, re.M)
    if not match:
        raise SystemExit(f"{module.version_of} is not required in {module.name}/go.mod")
    return match.group(1)


def pinned_versions() -> dict[str, str]:
    return {m.version_of: pinned_version(m) for m in MODULES}


def module_dirs() -> list[str]:
    return sorted({m.name for m in MODULES})


def _go_version() -> str:
    out = subprocess.run([go_executable(), "env", "GOVERSION"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def build_hash() -> str:
    """A hash of everything that decides the binaries: go.mod, go.sum, Go sources, Go version."""
    digest = hashlib.sha256()
    for name in module_dirs():
        for path in sorted((MODULES_DIR / name).iterdir()):
            if path.suffix in (".mod", ".sum", ".go"):
                digest.update(f"{name}/{path.name}\0".encode())
                text = path.read_text()
                if path.suffix == ".mod":  # comments do not change the binaries
                    text = re.sub(r"^\s*//.*\n", "", text, flags=re.M)
                digest.update(text.encode())
    digest.update(_go_version().encode())
    build_inputs = [(m.name, sorted(m.ldflags_x.items()), m.cgo, m.tags) for m in MODULES]
    digest.update(repr(sorted(build_inputs)).encode())
    return digest.hexdigest()[:16]


def bin_dir() -> Path:
    override = os.environ.get("TS_CONTROL_PLANE_BIN")
    if override:
        return Path(override)
    return CACHE_ROOT / "bin" / build_hash()


KWOK_STAGES = "kwok-stages.yaml"
# kwok's own default stages (what `kwokctl` configures): nodes become Ready and keep a lease,
# pods bound to them become Running/Ready, complete (Jobs) and go away when deleted.
_KWOK_STAGE_FILES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)


def binaries_present(directory: Path | None = None) -> bool:
    directory = directory or bin_dir()
    return (
        all(os.access(directory / b, os.X_OK) for b in BINARIES)
        and (directory / KWOK_STAGES).is_file()
        and (directory / TRAEFIK_CRDS).is_file()
    )


TRAEFIK_CRDS = "traefik-crds.yaml"
_TRAEFIK_CRD_FILE = "docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml"


def _module_source(module: str, directory: str, env: dict[str, str]) -> Path:
    out = subprocess.run(
        [go_executable(), "list", "-m", "-f", "{{.Dir}}", module],
        cwd=MODULES_DIR / directory, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return Path(out.stdout.strip())


def _write_traefik_crds(target: Path, env: dict[str, str]) -> None:
    """Traefik's CRDs (its Middleware among them) from the pinned module, next to its binary."""
    source = _module_source("github.com/traefik/traefik/v3", "traefik", env)
    tmp = target / (TRAEFIK_CRDS + ".tmp")
    tmp.write_text((source / _TRAEFIK_CRD_FILE).read_text())
    os.replace(tmp, target / TRAEFIK_CRDS)


def _write_kwok_stages(target: Path, env: dict[str, str]) -> None:
    """Copy the stage configs of the pinned kwok release next to its binary."""
    out = subprocess.run(
        [go_executable(), "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"],
        cwd=MODULES_DIR / "kwok",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    source = Path(out.stdout.strip())
    docs = [(source / name).read_text().strip() + "\n" for name in _KWOK_STAGE_FILES]
    tmp = target / (KWOK_STAGES + ".tmp")
    tmp.write_text("---\n".join(docs))
    os.replace(tmp, target / KWOK_STAGES)


def build(force: bool = False) -> Path:
    """Build every missing binary into the cache directory; return that directory."""
    target = bin_dir()
    if binaries_present(target) and not force:
        log(f"binaries up to date in {target}")
        return target
    target.mkdir(parents=True, exist_ok=True)
    go = go_executable()
    env = dict(os.environ)
    env.setdefault("CGO_ENABLED", "0")
    env.setdefault("GOFLAGS", "-mod=readonly")
    env["GOTOOLCHAIN"] = env.get("GOTOOLCHAIN", "local")
    log(f"building into {target} with {_go_version()} ({os.cpu_count()} CPUs)")
    total_start = time.monotonic()
    timings: dict[str, float] = {}
    for module in MODULES:
        missing = [b for b in module.binaries if force or not os.access(target / b, os.X_OK)]
        if not missing:
            continue
        version = pinned_version(module)
        major, minor = [*version.lstrip("v").split("."), "0", "0"][:2]
        xs = [
            f"-X {symbol}={value.format(version=version, major=major, minor=minor)}"
            for symbol, value in module.ldflags_x.items()
        ]
        ldflags = " ".join(["-s", "-w", *xs])
        with tempfile.TemporaryDirectory(dir=target, prefix=".build-") as tmp:
            log(f"building {', '.join(missing)} ({module.version_of} {version}) ...")
            start = time.monotonic()
            cmd = [go, "build", "-trimpath", f"-ldflags={ldflags}", "-o", tmp + "/"]
            if module.tags:
                cmd.append(f"-tags={module.tags.replace(' ', ',')}")
            cmd += [module.binaries[b] for b in missing]
            module_env = {**env, "CGO_ENABLED": "1"} if module.cgo else env
            run_go_build(cmd, MODULES_DIR / module.name, module_env, module.name, start)
            for binary in missing:  # go names each binary after its package's last element
                os.replace(Path(tmp) / binary, target / binary)
            key = module.name + ("-node" if module.node and module.name == "kubernetes" else "")
            timings[key] = time.monotonic() - start
            log(f"built {', '.join(missing)} in {timings[key]:.0f} s")
    if not (target / KWOK_STAGES).is_file() or force:
        _write_kwok_stages(target, env)
    if not (target / TRAEFIK_CRDS).is_file() or force:
        _write_traefik_crds(target, env)
    total = time.monotonic() - total_start
    record = {
        "versions": pinned_versions(),
        "go": _go_version(),
        "seconds": round(total, 1),
        "seconds_per_module": {k: round(v, 1) for k, v in timings.items()},
        "cpus": os.cpu_count(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if timings:
        (target / "build.json").write_text(json.dumps(record, indent=2) + "\n")
        log(f"all binaries built in {total:.0f} s")
    return target


def pin(module_name: str, version: str) -> None:
    """Pin `module_name` (kubernetes, etcd, kwok, helm) to `version` in its go.mod; for
    Kubernetes also point every staging module (k8s.io/api, ...) at the matching v0.X.Y."""
    module = next((m for m in MODULES if m.name == module_name), None)
    if module is None:
        raise SystemExit(f"unknown module {module_name!r}: {', '.join(m.name for m in MODULES)}")
    go, cwd = go_executable(), MODULES_DIR / module.name
    edits = [f"-require={module.version_of}@{version}"]
    if module.name == "kubernetes":
        info = subprocess.run(
            [go, "mod", "download", "-json", f"k8s.io/kubernetes@{version}"],
            cwd=cwd, capture_output=True, text=True, check=True,
        )  # fmt: skip
        gomod = Path(json.loads(info.stdout)["GoMod"]).read_text()
        staging = re.findall(r"^\s*(k8s\.io/\S+)\s+=>\s+\./staging/", gomod, re.M)
        minor_version = "v0." + version.lstrip("v").split(".", 1)[1]
        edits += [f"-replace={m}={m}@{minor_version}" for m in staging]
        edits += [f"-droprequire={m}" for m in staging]  # tidy adds them back at that version
    subprocess.run([go, "mod", "edit", *edits], cwd=cwd, check=True)
    subprocess.run([go, "mod", "tidy"], cwd=cwd, check=True)
    log(f"{module.version_of} pinned at {version}; `make control-plane` rebuilds")


def binary(name: str) -> Path:
    """Path of a cached binary (building the set first when it is missing)."""
    if name not in BINARIES:
        raise KeyError(f"unknown binary {name!r}; known: {', '.join(BINARIES)}")
    path = bin_dir() / name
    if not os.access(path, os.X_OK):
        build()
    return path


# --------------------------------------------------------------------------------------
# Certificates (openssl CLI) and kubeconfigs
# --------------------------------------------------------------------------------------

SERVICE_CIDR = "10.43.0.0/16"  # K3s' default service range
SERVICE_IP = "10.43.0.1"  # the `kubernetes` Service
POD_CIDR = "10.42.0.0/16"  # K3s' default pod range; kwok hands pod IPs out of it
NODE_IP = "10.42.0.1"  # the simulated node's InternalIP (data only; nothing binds it)


_REQ_CONFIG = "[req]\ndistinguished_name = dn\n[dn]\n"  # no default extensions from openssl.cnf
_EC = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _openssl_all(pki: Path, commands: Sequence[Sequence[str]]) -> None:
    """Run `openssl` commands in parallel in `pki`; fail with openssl's message."""
    procs = [
        (cmd, subprocess.Popen(["openssl", *cmd], cwd=pki, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True))
        for cmd in commands
    ]  # fmt: skip
    for cmd, proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(cmd)} failed: {err.strip()}")


def _leaf(name: str, subject: str, *extensions: str) -> list[str]:
    """`openssl req` that makes key `name`.key and certificate `name`.crt signed by the CA."""
    cmd = ["req", "-config", "req.cnf", "-x509", "-new", *_EC, "-keyout", f"{name}.key"]
    cmd += ["-subj", subject, "-days", "3650", "-sha256", "-CA", "ca.crt", "-CAkey", "ca.key"]
    for extension in ("basicConstraints=critical,CA:FALSE", *extensions):
        cmd += ["-addext", extension]
    return [*cmd, "-out", f"{name}.crt"]


CLIENT_USAGE = ("keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth")

# Client identities: admin for people and tests, one per component (as kubeadm does).
CLIENTS = {
    "admin": "/O=system:masters/CN=kubernetes-admin",
    "kube-controller-manager": "/CN=system:kube-controller-manager",
    "kube-scheduler": "/CN=system:kube-scheduler",
    "kwok": "/O=system:masters/CN=kwok-controller",
    # the real node (hack/node.py)
    "kubelet": "/O=system:nodes/CN=system:node:tradingstack-node",
    "kube-proxy": "/CN=system:kube-proxy",
    "apiserver-kubelet-client": "/O=system:masters/CN=kube-apiserver-kubelet-client",
}
NODE_ADDR = "10.41.0.1"  # node.NODE_ADDR: the real node's address, on a dummy link


def make_pki(pki: Path) -> None:
    """A CA, the apiserver's serving certificate, client certificates, the service-account
    signing key (ECDSA P-256 throughout: fast to make, accepted everywhere)."""
    pki.mkdir(parents=True, exist_ok=True)
    (pki / "req.cnf").write_text(_REQ_CONFIG)
    ca = ["req", "-config", "req.cnf", "-x509", "-new", *_EC, "-keyout", "ca.key"]
    ca += ["-subj", "/CN=tradingstack-test-ca", "-days", "3650", "-sha256", "-out", "ca.crt"]
    ca += ["-addext", "basicConstraints=critical,CA:TRUE"]
    ca += ["-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"]
    sa_key = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    _openssl_all(pki, [ca, [*sa_key, "-out", "sa.key"]])
    sans = [
        "IP:127.0.0.1",
        f"IP:{NODE_ADDR}",
        f"IP:{SERVICE_IP}",
        "DNS:localhost",
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local",
    ]
    serving = _leaf(
        "apiserver",
        "/CN=kube-apiserver",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        f"subjectAltName={','.join(sans)}",
    )
    clients = [_leaf(name, subject, *CLIENT_USAGE) for name, subject in CLIENTS.items()]
    sa_pub = ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]
    _openssl_all(pki, [serving, *clients, sa_pub])
    for key in pki.glob("*.key"):
        key.chmod(0o600)


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(path: Path, server: str, pki: Path, user: str) -> None:
    """A self-contained kubeconfig (certificates embedded); JSON is valid YAML."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "tradingstack-test",
                "cluster": {"server": server, "certificate-authority-data": _b64(pki / "ca.crt")},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": _b64(pki / f"{user}.crt"),
                    "client-key-data": _b64(pki / f"{user}.key"),
                },
            }
        ],
        "contexts": [
            {"name": "tradingstack-test", "context": {"cluster": "tradingstack-test", "user": user}}
        ],
        "current-context": "tradingstack-test",
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    tmp.chmod(0o600)
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------
# The simulated Jetson AGX Thor node
# --------------------------------------------------------------------------------------


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, not {value!r}") from exc


def jetson_node(name: str, gpus: int, replicas: int, k8s_version: str) -> dict[str, object]:
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
# Processes
# --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port(env_name: str) -> int:
    return _env_int(env_name, 0) or free_port()


def _proc_start_time(pid: int) -> str | None:
    """The start time of `pid` (field 22 of /proc/PID/stat; it guards against PID reuse),
    or None when there is no such process or only its zombie is left."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def _alive(pid: int, started: str | None) -> bool:
    current = _proc_start_time(pid)
    return current is not None and (started is None or current == started)


_LIBC: ctypes.CDLL | None = None


def _set_pdeathsig() -> None:  # runs in the child between fork and exec: no imports here
    """Kill the child when the process that started it dies (even by SIGKILL)."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _load_libc() -> None:
    global _LIBC
    if _LIBC is None and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def run_go_build(cmd: list[str], cwd: Path, env: dict[str, str], name: str, start: float) -> None:
    """Run a `go build` command, saying every minute that it still runs (cold builds take
    many minutes on two cores); SystemExit when it fails."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env)
    while True:
        try:
            proc.wait(timeout=60)
            break
        except subprocess.TimeoutExpired:
            log(f"  ... still building {name}: {time.monotonic() - start:.0f} s")
    if proc.returncode != 0:
        raise SystemExit(f"go build failed for {name} (exit {proc.returncode})")


class APIError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


@dataclass
class ControlPlane:
    """A running (or reused) control plane: what the fixtures and the CLI hand out."""

    directory: Path
    server: str
    kubeconfig: Path
    bin_path: Path
    node_name: str
    processes: dict[str, dict[str, object]] = field(default_factory=dict)
    owned: bool = True  # False when reused: stop() leaves it running
    node_state: dict[str, Any] = field(default_factory=dict)  # the real node (hack/node.py)

    @property
    def ingress_url(self) -> str | None:
        """The real node's Ingress (Traefik), e.g. http://127.0.0.1:8080; None without a node."""
        return self.node_state.get("ingress_url")

    def bin(self, name: str) -> Path:
        """Path of a cached binary of the pinned set: 'kubectl', 'helm', 'kwok', ..."""
        if name not in BINARIES:
            raise KeyError(f"unknown binary {name!r}; known: {', '.join(BINARIES)}")
        return self.bin_path / name

    @property
    def pids(self) -> dict[str, int]:
        return {name: int(str(info["pid"])) for name, info in self.processes.items()}

    # -- a tiny HTTPS client (stdlib) -------------------------------------------------

    def _ssl(self, user: str = "admin") -> ssl.SSLContext:
        pki = self.directory / "pki"
        ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        ctx.load_cert_chain(str(pki / f"{user}.crt"), str(pki / f"{user}.key"))
        return ctx

    def request(
        self, method: str, path: str, body: object | None = None, timeout: float = 10.0
    ) -> dict[str, object]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self._ssl(), timeout=timeout) as resp:
                raw = resp.read().decode()
        except urllib.error.HTTPError as exc:
            raise APIError(exc.code, exc.read().decode(errors="replace")) from None
        return json.loads(raw) if raw.startswith("{") else {"text": raw}

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            return self.request("GET", "/readyz", timeout=timeout).get("text") == "ok"
        except (OSError, APIError, ssl.SSLError, ValueError):
            return False

    # -- lifecycle ---------------------------------------------------------------------

    def save_state(self) -> None:
        state = {
            "server": self.server,
            "kubeconfig": str(self.kubeconfig),
            "bin": str(self.bin_path),
            "node": self.node_name,
            "processes": self.processes,
            "node_state": self.node_state,
        }
        tmp = self.directory / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        os.replace(tmp, self.directory / "state.json")

    @classmethod
    def load(cls, directory: Path) -> ControlPlane | None:
        try:
            state = json.loads((directory / "state.json").read_text())
        except (OSError, ValueError):
            return None
        return cls(
            directory=directory,
            server=state["server"],
            kubeconfig=Path(state["kubeconfig"]),
            bin_path=Path(state["bin"]),
            node_name=state["node"],
            processes=state["processes"],
            node_state=state.get("node_state", {}),
        )

    def running(self) -> dict[str, bool]:
        return {
            name: _alive(int(str(info["pid"])), info.get("started"))  # type: ignore[arg-type]
            for name, info in self.processes.items()
        }

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every process this control plane started (process groups, reverse order)."""
        if not self.owned:
            return
        node = _node_module() if self.node_state else None
        for name in reversed(list(self.processes)):
            if name == "containerd" and node is not None:
                node.remove_pods(self)  # the kubelet is stopped: nothing recreates them
            info = self.processes[name]
            pid, started = int(str(info["pid"])), info.get("started")
            if not _alive(pid, started):  # type: ignore[arg-type]
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)  # each component leads its own group
            deadline = time.monotonic() + timeout
            while _alive(pid, started) and time.monotonic() < deadline:  # type: ignore[arg-type]
                _reap(pid)
                time.sleep(0.05)
            if _alive(pid, started):  # type: ignore[arg-type]
                log(f"{name} did not stop in {timeout:.0f} s: SIGKILL")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                _reap(pid, block=True)
        self.processes = {}
        if node is not None:
            node.teardown(self)
            self.node_state = {}
        with contextlib.suppress(OSError):
            (self.directory / "state.json").unlink()
        with contextlib.suppress(OSError):
            (self.directory / "ingress-url").unlink()


def _node_module() -> Any:
    """hack/node.py (a sibling script, imported on demand)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import node

    return node


def _reap(pid: int, block: bool = False) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, 0 if block else os.WNOHANG)


def _wait_for(what: str, check: object, timeout: float, proc_check: object = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        if proc_check is not None:
            proc_check()  # type: ignore[operator]
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


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
    bins = build() if not binaries_present() else bin_dir()
    node_mod = _node_module() if node else None
    node_images: list[dict[str, object]] = []
    if node_mod is not None:
        problems = node_mod.missing_requirements()
        if problems:
            raise RuntimeError("cannot run a real node here: " + "; ".join(problems))
        node_images = _build_node_images()
    for sub in ("pki", "etcd", "logs", "kcm-certs", "scheduler-certs"):
        shutil.rmtree(directory / sub, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    pki, logs = directory / "pki", directory / "logs"
    logs.mkdir()
    make_pki(pki)

    etcd_port, peer_port = _port("TS_CLUSTER_ETCD_PORT"), free_port()
    api_port = _port("TS_CLUSTER_API_PORT")
    kcm_port, sched_port, kwok_port = free_port(), free_port(), free_port()
    api_host = NODE_ADDR if node_mod is not None else HOST
    server = f"https://{api_host}:{api_port}"
    kubeconfig = directory / "kubeconfig"
    write_kubeconfig(kubeconfig, server, pki, "admin")
    users = ["kube-controller-manager", "kube-scheduler", "kwok"]
    if node_mod is not None:
        users += ["kubelet", "kube-proxy"]
    for user in users:
        write_kubeconfig(directory / f"{user}.kubeconfig", server, pki, user)

    node_name = os.environ.get("TS_CLUSTER_NODE_NAME", "jetson-agx-thor")
    cp = ControlPlane(directory, server, kubeconfig, bins, node_name)
    if tie_to_parent:
        _load_libc()

    def launch(name: str, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        log_file = open(logs / f"{name}.log", "ab")  # the child keeps its own copy
        proc = subprocess.Popen(
            [str(bins / name), *args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=directory,
            env={**os.environ, **env} if env else None,
            start_new_session=True,  # its own process group: stop() signals the group
            preexec_fn=_set_pdeathsig if tie_to_parent else None,
        )
        log_file.close()
        cp.processes[name] = {"pid": proc.pid, "started": _proc_start_time(proc.pid)}
        cp.save_state()

    def check_alive() -> None:
        for name, alive in cp.running().items():
            if not alive:
                raise RuntimeError(f"{name} exited:\n{_tail(logs / (name + '.log'))}")

    try:
        if node_mod is not None:  # the node's address first: the apiserver binds it
            cp.node_state = node_mod.prepare_host(directory / "node")
            cp.save_state()
        launch(
            "etcd",
            [
                "--name=default",
                f"--data-dir={directory / 'etcd'}",
                f"--listen-client-urls=http://{HOST}:{etcd_port}",
                f"--advertise-client-urls=http://{HOST}:{etcd_port}",
                f"--listen-peer-urls=http://{HOST}:{peer_port}",
                f"--initial-advertise-peer-urls=http://{HOST}:{peer_port}",
                f"--initial-cluster=default=http://{HOST}:{peer_port}",
                "--unsafe-no-fsync=true",  # a throw-away test store, as envtest runs it
                "--log-level=warn",
            ],
        )
        launch(
            "kube-apiserver",
            [
                f"--etcd-servers=http://{HOST}:{etcd_port}",
                f"--bind-address={api_host}",
                f"--advertise-address={api_host}",
                f"--secure-port={api_port}",
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
                f"--endpoint-reconciler-type={'lease' if node_mod is not None else 'none'}",
                f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
                f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
                "--kubelet-preferred-address-types=InternalIP,Hostname",
                "--allow-privileged=true",
                "--enable-priority-and-fairness=false",
                "--profiling=false",
                "--v=1",
            ],
        )
        _wait_for("kube-apiserver", cp.healthy, timeout, check_alive)
        log(f"kube-apiserver ready at {server} after {time.monotonic() - t0:.1f} s")
        component_common = [f"--bind-address={HOST}", "--leader-elect=false", "--v=1"]
        launch(
            "kube-controller-manager",
            [
                f"--kubeconfig={directory / 'kube-controller-manager.kubeconfig'}",
                f"--authentication-kubeconfig={directory / 'kube-controller-manager.kubeconfig'}",
                f"--authorization-kubeconfig={directory / 'kube-controller-manager.kubeconfig'}",
                f"--secure-port={kcm_port}",
                f"--cert-dir={directory / 'kcm-certs'}",
                "--use-service-account-credentials=true",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--root-ca-file={pki / 'ca.crt'}",
                f"--cluster-signing-cert-file={pki / 'ca.crt'}",
                f"--cluster-signing-key-file={pki / 'ca.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                *component_common,
            ],
        )
        launch(
            "kube-scheduler",
            [
                f"--kubeconfig={directory / 'kube-scheduler.kubeconfig'}",
                f"--authentication-kubeconfig={directory / 'kube-scheduler.kubeconfig'}",
                f"--authorization-kubeconfig={directory / 'kube-scheduler.kubeconfig'}",
                f"--secure-port={sched_port}",
                f"--cert-dir={directory / 'scheduler-certs'}",
                *component_common,
            ],
        )
        if kwok:
            launch(
                "kwok",
                [
                    f"--kubeconfig={directory / 'kwok.kubeconfig'}",
                    f"--config={bins / KWOK_STAGES}",
                    "--manage-all-nodes=false",
                    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                    f"--cidr={POD_CIDR}",
                    f"--node-ip={NODE_IP}",
                    f"--node-port={kwok_port}",
                    f"--server-address={HOST}:{kwok_port}",
                    "--node-lease-duration-seconds=40",
                ],
            )
            gpus = _env_int("TS_CLUSTER_GPUS", 1)
            replicas = _env_int("TS_CLUSTER_GPU_REPLICAS", 4)
            k8s_version = pinned_version(MODULES[0])
            jetson = jetson_node(node_name, gpus, replicas, k8s_version)
            if node_mod is not None:  # pods land on the real node unless they tolerate this
                jetson["spec"]["taints"] = [  # type: ignore[index]
                    {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}
                ]
            cp.request("POST", "/api/v1/nodes", jetson)
            cp.request("POST", "/apis/node.k8s.io/v1/runtimeclasses", RUNTIME_CLASS)

            def node_ready() -> bool:
                status: Any = cp.request("GET", f"/api/v1/nodes/{node_name}").get("status", {})
                conditions = status.get("conditions", [])
                return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

            _wait_for(f"node {node_name}", node_ready, timeout, check_alive)

        def controllers_work() -> bool:  # the serviceaccount controller fills `default`
            try:
                cp.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")
            except APIError:
                return False
            return True

        _wait_for("kube-controller-manager", controllers_work, timeout, check_alive)
        if node_mod is not None:
            node_mod.start(
                cp,
                launch,
                lambda what, check, limit: _wait_for(what, check, limit, check_alive),
                node_images=node_images,
                timeout=timeout,
            )
            cp.save_state()
            if directory == CLUSTER_DIR.resolve():
                (directory / "ingress-url").write_text(cp.ingress_url + "\n")
    except BaseException:
        cp.stop()
        raise
    nodes = [n for n, on in ((node_name, kwok), ("tradingstack-node", node_mod)) if on]
    log(
        f"control plane up in {time.monotonic() - t0:.1f} s: {server}, "
        f"node{'s' if len(nodes) > 1 else ''} {', '.join(nodes) or '(none)'} Ready; "
        f"kubeconfig {kubeconfig}"
    )
    return cp


def _build_node_images() -> list[dict[str, object]]:
    """The node's pause and local-path helper images (hack/images.py; seconds when cached):
    their index entries (ref, archive)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import images

    return images.node_images()


def attach(directory: Path | None = None) -> ControlPlane | None:
    """The control plane running from `directory` (e.g. started by `make cluster-up`),
    when its apiserver answers; it is not owned: stop() leaves it running."""
    cp = ControlPlane.load((directory or CLUSTER_DIR).resolve())
    if cp is None or not cp.healthy():
        return None
    cp.owned = False
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


def rss_bytes(cp: ControlPlane) -> dict[str, int]:
    """Resident memory of each component (from /proc, no psutil needed)."""
    page = os.sysconf("SC_PAGE_SIZE")
    out: dict[str, int] = {}
    for name, pid in cp.pids.items():
        with contextlib.suppress(OSError):
            out[name] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
    return out


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="controlplane", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build the pinned binaries into the cache")
    p_build.add_argument("--force", action="store_true", help="rebuild even when present")
    p_pin = sub.add_parser("pin", help="change a pinned version (rewrites its go.mod)")
    p_pin.add_argument("module", choices=[m.name for m in MODULES])
    p_pin.add_argument("version", help="e.g. v1.36.3 for kubernetes")
    p_up = sub.add_parser("up", help="start the control plane; writes .cluster/kubeconfig")
    p_up.add_argument(
        "--no-node", action="store_true", help="only kwok's simulated Jetson, no real node"
    )
    sub.add_parser("down", help="stop the control plane started by `up`")
    sub.add_parser("status", help="what runs, where")
    p_bin = sub.add_parser("bin", help="print the path of a cached binary")
    p_bin.add_argument("name", choices=BINARIES)
    sub.add_parser("bin-dir", help="print the cache directory of the binaries")
    args = parser.parse_args(argv)

    if args.command == "build":
        build(force=args.force)
    elif args.command == "pin":
        pin(args.module, args.version)
    elif args.command == "up":
        with_node = not args.no_node
        if with_node and os.geteuid() != 0:
            log("not root: no real node (kwok's simulated Jetson only)")
            with_node = False
        cp = start(node=with_node)
        if cp.ingress_url:
            log(f"Ingress: {cp.ingress_url} (also in {CLUSTER_DIR / 'ingress-url'})")
        print(f"export KUBECONFIG={cp.kubeconfig}")
    elif args.command == "down":
        recorded = ControlPlane.load(CLUSTER_DIR.resolve())
        if recorded is None:
            log("no control plane recorded in .cluster/")
        else:
            recorded.stop()
            log("control plane stopped")
    elif args.command == "status":
        recorded = ControlPlane.load(CLUSTER_DIR.resolve())
        if recorded is None:
            print("not running")
            return 1
        healthy = recorded.healthy()
        print(json.dumps({"server": recorded.server, "healthy": healthy, **recorded.running()}))
        return 0 if healthy else 1
    elif args.command == "bin":
        print(binary(args.name))
    elif args.command == "bin-dir":
        print(bin_dir())
    return 0


if __name__ == "__main__":
    sys.exit(main())
