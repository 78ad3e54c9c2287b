"""The test control plane: build its binaries from Go modules, start and stop it on loopback.

One place for the logic that `make control-plane`, `make cluster-up`, `make cluster-down`,
the pytest fixtures (tests/cluster/conftest.py) and bench/control_plane.py all use.

    python3 hack/controlplane build     # build the pinned binaries into the cache (once)
    python3 hack/controlplane up        # etcd, kube-apiserver, controller-manager,
                                        # scheduler, kwok, the Jetson node, and (as root)
                                        # the real node (hack/node.py); .cluster/kubeconfig
    python3 hack/controlplane down      # stop what `up` started
    python3 hack/controlplane status
    python3 hack/controlplane bin kubectl   # path of a cached binary

The parts: base (paths, log), build (the Go modules, their pins and the binary cache), pki
(certificates and kubeconfigs), process (launching, recording and stopping components; the
apiserver client), components (the table of components and `start`, a loop over it), cli.

Standard library only (plus `openssl` and `go`), so it runs before the virtual environment
exists. Every version is pinned once, in the go.mod of its module under hack/control-plane/.
hack/ is no package: the scripts beside this one import it as `controlplane` (with hack/ on
sys.path), the tests and benchmarks with bench.common.load_hack.
"""

from __future__ import annotations

from .base import CACHE_ROOT, CLUSTER_DIR, HOST, MODULES_DIR, REPO, log
from .build import (
    BINARIES,
    KWOK_STAGES,
    MODULES,
    NODE_BINARIES,
    TRAEFIK_CRDS,
    GoModule,
    _go_version,
    _module_source,
    bin_dir,
    binaries_present,
    binary,
    build,
    build_hash,
    go_executable,
    pin,
    pinned_version,
    pinned_versions,
    run_go_build,
)
from .cli import main
from .components import (
    CONTROL_PLANE,
    RUNTIME_CLASS,
    Check,
    Component,
    Start,
    jetson_node,
    node_ready,
    run_components,
    running,
    start,
)
from .pki import (
    CLIENTS,
    NODE_ADDR,
    NODE_IP,
    POD_CIDR,
    SERVICE_CIDR,
    SERVICE_IP,
    make_pki,
    write_kubeconfig,
)
from .process import (
    APIError,
    ControlPlane,
    ProcessInfo,
    _load_libc,
    _set_pdeathsig,
    _tail,
    attach,
    free_port,
    rss_bytes,
)

__all__ = [
    "BINARIES",
    "CACHE_ROOT",
    "CLIENTS",
    "CLUSTER_DIR",
    "CONTROL_PLANE",
    "HOST",
    "KWOK_STAGES",
    "MODULES",
    "MODULES_DIR",
    "NODE_ADDR",
    "NODE_BINARIES",
    "NODE_IP",
    "POD_CIDR",
    "REPO",
    "RUNTIME_CLASS",
    "SERVICE_CIDR",
    "SERVICE_IP",
    "TRAEFIK_CRDS",
    "APIError",
    "Check",
    "Component",
    "ControlPlane",
    "GoModule",
    "ProcessInfo",
    "Start",
    "_go_version",
    "_load_libc",
    "_module_source",
    "_set_pdeathsig",
    "_tail",
    "attach",
    "bin_dir",
    "binaries_present",
    "binary",
    "build",
    "build_hash",
    "free_port",
    "go_executable",
    "jetson_node",
    "log",
    "main",
    "make_pki",
    "node_ready",
    "pin",
    "pinned_version",
    "pinned_versions",
    "rss_bytes",
    "run_components",
    "run_go_build",
    "running",
    "start",
    "write_kubeconfig",
]
