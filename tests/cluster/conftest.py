"""Fixtures for tests against a real control plane (kube-apiserver, etcd, controller-manager,
scheduler) with kwok simulating one Jetson AGX Thor node.

The control plane is hack/controlplane/, the same code `make cluster-up` runs. A session
starts its own, in a private directory under .cluster/, and stops it at the end: on success,
on failure, on Ctrl-C (fixture teardown), on SIGTERM/SIGHUP (signal handlers), at interpreter
exit (atexit), and even when pytest is killed (the components get SIGKILL with their parent).
With TS_CLUSTER_REUSE=1 a live control plane from `make cluster-up` is used instead (and left
running). Missing binaries are built first, with progress printed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from bench.common import load_hack

REPO = Path(__file__).resolve().parents[2]


controlplane = load_hack("controlplane")

NAMESPACE_LABEL = "tradingstack.io/test-namespace"


def wait_for(
    what: str, check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2
) -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def _stop_stale_sessions() -> None:
    """Stop control planes left by pytest sessions that died without cleaning up."""
    for directory in controlplane.CLUSTER_DIR.glob("pytest-*"):
        try:
            pid = int(directory.name.split("-")[1])  # pytest-<pid> or pytest-<pid>-node
        except ValueError:
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            stale = controlplane.ControlPlane.load(directory)
            if stale is not None:
                stale.stop()
            shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def _output_shown(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let the build's progress reach the terminal despite pytest's capturing."""
    capman = request.config.pluginmanager.getplugin("capturemanager")
    if capman is None:
        yield
        return
    with capman.global_and_fixture_disabled():
        yield


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build missing binaries before any test runs, so that a cold build (tens of minutes on
    two cores) is not cut short by a test's timeout; progress goes to the terminal."""
    if session.config.option.collectonly or controlplane.binaries_present():
        return
    if not any(item.get_closest_marker("cluster") for item in session.items):
        return
    capman = session.config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        controlplane.build()


@pytest.fixture(scope="session")
def control_plane(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The control plane: `.kubeconfig` (Path), `.server` (https URL), `.bin(name)` (Path of
    a pinned binary: 'kubectl', 'helm', 'kwok', ...), `.node_name` (the Jetson node)."""
    if os.environ.get("TS_CLUSTER_REUSE") == "1":
        reused = controlplane.attach()
        if reused is not None:
            yield reused
            return
    if not controlplane.binaries_present():
        with _output_shown(request):
            controlplane.build()
    _stop_stale_sessions()
    directory = controlplane.CLUSTER_DIR / f"pytest-{os.getpid()}"
    try:
        cp = controlplane.start(directory, tie_to_parent=True)  # stops what it began on error
    except BaseException:
        if os.environ.get("TS_CLUSTER_KEEP_LOGS") != "1":
            shutil.rmtree(directory, ignore_errors=True)
        raise

    def cleanup() -> None:
        cp.stop()
        if os.environ.get("TS_CLUSTER_KEEP_LOGS") != "1":
            shutil.rmtree(directory, ignore_errors=True)

    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        cleanup()
        signal.signal(signum, previous.get(signum, signal.SIG_DFL))
        os.kill(os.getpid(), signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, on_signal)
    atexit.register(cleanup)
    try:
        yield cp
    finally:
        cleanup()
        atexit.unregister(cleanup)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@pytest.fixture(scope="session")
def kubeconfig(control_plane: Any) -> Path:
    """The admin kubeconfig (client certificate in system:masters)."""
    return Path(control_plane.kubeconfig)


@pytest.fixture(scope="session")
def api_client(kubeconfig: Path) -> Iterator[client.ApiClient]:
    """A `kubernetes.client.ApiClient` for the admin."""
    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def namespace(api_client: client.ApiClient) -> Iterator[str]:
    """A fresh namespace (with its `default` ServiceAccount in place), deleted afterwards."""
    core = client.CoreV1Api(api_client)
    name = f"ts-test-{uuid.uuid4().hex[:8]}"
    core.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={NAMESPACE_LABEL: "1"}))
    )

    def default_sa() -> bool:
        try:
            core.read_namespaced_service_account("default", name)
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    try:
        wait_for(f"ServiceAccount default in {name}", default_sa, timeout=30)
        yield name
    finally:
        with contextlib.suppress(ApiException):
            core.delete_namespace(name, propagation_policy="Background")


_load_hack = load_hack  # the tests' name for it


@pytest.fixture(scope="module")
def node_cluster(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A control plane with a real node (hack/node.py): `.kubeconfig`, `.bin(name)`,
    `.ingress_url` (Traefik), `.node_state` (addresses, ports). No kwok: every pod runs."""
    node = _load_hack("node")
    problems = node.missing_requirements()
    if os.geteuid() != 0:
        pytest.skip("the real node needs root (containerd, kubelet, iptables)")
    assert not problems, f"`make test-deps` installs what the node needs: {problems}"
    if not controlplane.binaries_present():
        with _output_shown(request):
            controlplane.build()
    _stop_stale_sessions()
    directory = controlplane.CLUSTER_DIR / f"pytest-{os.getpid()}-node"
    with _output_shown(request):
        cp = controlplane.start(directory, tie_to_parent=True, node=True, kwok=False)

    def cleanup() -> None:
        cp.stop()
        if os.environ.get("TS_CLUSTER_KEEP_LOGS") != "1":
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(cleanup)
    try:
        yield cp
    finally:
        cleanup()
        atexit.unregister(cleanup)
