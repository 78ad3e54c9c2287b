"""The `ollama` workload: its image (hack/images.py's, beside the service images) and its start
command, run here as the pod runs it, with the REAL pinned `ollama` binary (hack/ollama_server.py
builds it; `make test` does) on loopback: the model is created from the image's bundled GGUF at
first start, found on the volume at the next, never pulled when pulls are off."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tradingstack.llm.settings import bundled_gguf

from bench.common import load_hack
from tests.unit.operator.test_builders import build, by_kind, container, env
from tests.unit.servers import free_port

MODEL = "smollm2"


def test_the_ollama_image_is_the_stacks_own_beside_the_service_images() -> None:
    deps = by_kind(build({"image": {"registry": "reg.local/ts", "tag": "1.2.3"}}), "Deployment")
    assert container(deps["demo-ollama"])["image"] == "reg.local/ts/tradingstack-ollama:1.2.3"
    # the name hack/images.py builds it under (what the node imports and the kubelet asks for)
    images = load_hack("images")
    default = container(by_kind(build(), "Deployment")["demo-ollama"])["image"]
    assert default == images.BY_NAME["ollama"].ref()


def test_the_users_ollama_image_is_kept() -> None:
    deps = by_kind(build({"image": {"ollamaImage": "docker.io/ollama/ollama:0.6.8"}}), "Deployment")
    assert container(deps["demo-ollama"])["image"] == "docker.io/ollama/ollama:0.6.8"
    deps = by_kind(
        build({"image": {"ollamaImage": "a/b:1"}, "workloads": {"ollama": {"image": "c/d:2"}}}),
        "Deployment",
    )
    assert container(deps["demo-ollama"])["image"] == "c/d:2"


@pytest.mark.parametrize("pull", [True, False])
def test_an_ollama_without_pulls_stays_offline(pull: bool) -> None:
    ollama = env(by_kind(build({"ollama": {"pull": pull}}), "Deployment")["demo-ollama"])
    assert ollama["TS_OLLAMA_PULL"] == ("true" if pull else "false")
    assert ("OLLAMA_NO_CLOUD" in ollama) is not pull


# ---- the start command with the real server ------------------------------------------------

hack = load_hack("ollama_server")
BINARY = hack.present()
needs_binary = pytest.mark.skipif(
    BINARY is None,
    reason="the ollama binary is not built: `make ollama` (or `make test`) builds it",
)


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return dict(json.loads(resp.read()))


@contextlib.contextmanager
def started(models: Path, gguf_dir: Path | None, pull: bool) -> Iterator[tuple[str, Path]]:
    """The pod's command (/bin/sh -c <script>) with the pod's environment, on loopback; yields
    (url, log file). Stopped as the kubelet does: SIGTERM to the shell, which ends the server."""
    assert BINARY is not None
    dep = by_kind(
        build({"ollama": {"model": MODEL, "pull": pull}}), "Deployment"
    )["demo-ollama"]  # fmt: skip
    pod_env = {k: v for k, v in env(dep).items() if isinstance(v, str)}
    port = free_port()
    home = models.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    run_env = {
        **pod_env,
        "PATH": f"{BINARY.parent}:/usr/bin:/bin",
        "HOME": str(home),
        "OLLAMA_HOST": f"127.0.0.1:{port}",  # the pod's 0.0.0.0, on loopback here
        "OLLAMA_MODELS": str(models),
        "TS_OLLAMA_MODEL": MODEL,  # the ConfigMap's
    }
    if gguf_dir is not None:
        run_env["TS_OLLAMA_GGUF_DIR"] = str(gguf_dir)  # the image's ENV
    log = models.parent / f"pod-{time.monotonic_ns()}.log"
    cmd = container(dep)["command"]
    assert cmd[:2] == ["/bin/sh", "-c"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=run_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=home,
        )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}", log
        os.kill(proc.pid, signal.SIGTERM)  # the kubelet's stop: the shell's trap ends serve
        assert proc.wait(timeout=30) is not None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait(what: str, check: Any, log: Path, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            if result := check():
                return result
        time.sleep(0.3)
    pytest.fail(f"{what} not seen in {timeout:.0f} s; the pod's log:\n{log.read_text()[-3000:]}")


def _model_names(url: str) -> list[str]:
    return [str(m["name"]) for m in _get(f"{url}/api/tags")["models"]]


@needs_binary
@pytest.mark.slow
def test_the_bundled_model_is_created_at_first_start_and_kept(tmp_path: Path) -> None:
    """First start: `ollama create` from the bundled GGUF into the models volume; the next
    start finds it there and creates nothing."""
    gguf_dir = tmp_path / "gguf"
    gguf_dir.mkdir()
    (gguf_dir / f"{MODEL}.gguf").symlink_to(bundled_gguf())
    models = tmp_path / "volume" / "models"
    with started(models, gguf_dir, pull=False) as (url, log):
        _wait("the bundled model", lambda: f"{MODEL}:latest" in _model_names(url), log)
        assert f"creating model {MODEL} from {gguf_dir / MODEL}.gguf" in log.read_text()
        generated = urllib.request.Request(
            f"{url}/api/generate",
            data=json.dumps(
                {"model": MODEL, "prompt": "Hi", "stream": False, "options": {"num_predict": 4}}
            ).encode(),
        )
        with urllib.request.urlopen(generated, timeout=120) as resp:
            assert json.loads(resp.read())["done"] is True
    blobs = sorted(p.name for p in (models / "blobs").iterdir())
    with started(models, gguf_dir, pull=False) as (url, log):
        _wait("the server", lambda: _get(f"{url}/api/version").get("version"), log)
        _wait("the start command's check", lambda: "present" in log.read_text(), log)
        assert _model_names(url) == [f"{MODEL}:latest"]
        assert "creating" not in log.read_text()
    assert sorted(p.name for p in (models / "blobs").iterdir()) == blobs


@needs_binary
@pytest.mark.slow
def test_without_a_bundled_gguf_and_pulls_off_it_serves_and_says_why(tmp_path: Path) -> None:
    """No GGUF of the model in the image (e.g. upstream's image) and pulls off: no pull is
    tried, the server keeps serving and the log says how to get the model."""
    models = tmp_path / "volume" / "models"
    with started(models, None, pull=False) as (url, log):
        _wait("the missing-model note", lambda: "pulls are off" in log.read_text(), log)
        assert _get(f"{url}/api/version")["version"]
        assert _model_names(url) == []
        assert "pulling" not in log.read_text()
