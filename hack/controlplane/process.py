"""The processes of a control plane: starting each component in its own process group (tied to
the caller's life when asked), recording them in state.json, stopping them; a tiny HTTPS client
of the apiserver (standard library)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from .base import CLUSTER_DIR, HOST, env_int, log, sibling
from .build import BINARIES


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port(env_name: str) -> int:
    return env_int(env_name, 0) or free_port()


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


class ProcessInfo(TypedDict):
    pid: int
    started: str | None  # its start time in /proc (a reused PID has another)


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
    processes: dict[str, ProcessInfo] = field(default_factory=dict)
    owned: bool = True  # False when reused: stop() leaves it running
    node_state: dict[str, Any] = field(default_factory=dict)  # the real node (hack/node.py)
    tie_to_parent: bool = False  # components die with this process (not recorded)

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
        return {name: info["pid"] for name, info in self.processes.items()}

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

    def launch(self, name: str, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        """Start binary `name` with `args` (environment: ours plus `env`), its output in
        logs/<name>.log, in its own process group; record it in state.json."""
        if self.tie_to_parent:
            _load_libc()
        log_file = open(self.directory / "logs" / f"{name}.log", "ab")  # the child has a copy
        proc = subprocess.Popen(
            [str(self.bin_path / name), *args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=self.directory,
            env={**os.environ, **env} if env else None,
            start_new_session=True,  # its own process group: stop() signals the group
            preexec_fn=_set_pdeathsig if self.tie_to_parent else None,
        )
        log_file.close()
        self.processes[name] = {"pid": proc.pid, "started": _proc_start_time(proc.pid)}
        self.save_state()

    def check_alive(self) -> None:
        """RuntimeError with the end of its log when a component has exited."""
        for name, alive in self.running().items():
            if not alive:
                log_file = self.directory / "logs" / f"{name}.log"
                raise RuntimeError(f"{name} exited:\n{_tail(log_file)}")

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float) -> None:
        """Poll `check` until it holds; TimeoutError after `timeout` s, RuntimeError as soon
        as a component exits."""
        _wait_for(what, check, timeout, self.check_alive)

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
            name: _alive(info["pid"], info.get("started")) for name, info in self.processes.items()
        }

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every process this control plane started (process groups, reverse order)."""
        if not self.owned:
            return
        node = sibling("node") if self.node_state else None
        for name in reversed(list(self.processes)):
            if name == "containerd" and node is not None:
                node.remove_pods(self)  # the kubelet is stopped: nothing recreates them
            info = self.processes[name]
            pid, started = info["pid"], info.get("started")
            if not _alive(pid, started):
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)  # each component leads its own group
            deadline = time.monotonic() + timeout
            while _alive(pid, started) and time.monotonic() < deadline:
                _reap(pid)
                time.sleep(0.05)
            if _alive(pid, started):
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


def _reap(pid: int, block: bool = False) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, 0 if block else os.WNOHANG)


def _wait_for(
    what: str, check: Callable[[], bool], timeout: float, proc_check: Callable[[], None]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        proc_check()
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def attach(directory: Path | None = None) -> ControlPlane | None:
    """The control plane running from `directory` (e.g. started by `make cluster-up`),
    when its apiserver answers; it is not owned: stop() leaves it running."""
    cp = ControlPlane.load((directory or CLUSTER_DIR).resolve())
    if cp is None or not cp.healthy():
        return None
    cp.owned = False
    return cp


def rss_bytes(cp: ControlPlane) -> dict[str, int]:
    """Resident memory of each component (from /proc, no psutil needed)."""
    page = os.sysconf("SC_PAGE_SIZE")
    out: dict[str, int] = {}
    for name, pid in cp.pids.items():
        with contextlib.suppress(OSError):
            out[name] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
    return out
