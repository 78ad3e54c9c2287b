"""Building the pinned binaries: every Go module under hack/control-plane/, its version pinned
once in its go.mod, built into ~/.cache/tradingstack/bin/<hash>/ (the hash covers what decides
the binaries, so a cache hit needs no Go at all)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .base import CACHE_ROOT, MODULES_DIR, log


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
TRAEFIK_CRDS = "traefik-crds.yaml"
_TRAEFIK_CRD_FILE = "docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml"
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
    source = _module_source("sigs.k8s.io/kwok", "kwok", env)
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
