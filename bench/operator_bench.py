"""Benchmark of the TradingStack operator on the real control plane (kwok nodes):
time from `create` to all children created, to every Deployment's pods ready (the cluster's
part) and to Ready (the operator saw it and wrote it), for 1 and for 20 stacks; API requests
per reconcile (during roll-out and when converged); the operator's memory.

    .venv/bin/python -m bench.operator_bench                 # -> bench/results/operator.json
    .venv/bin/python -m bench.operator_bench --baseline REV  # the operator at git REV first,
                                                             # then this tree, with ratios

With `--baseline`, each side runs in its own process and control plane, one after the other,
the baseline's operator package taken from `git archive REV operator` (the benchmark's code
is this tree's for both); each side records the load average before and after it.

20 full stacks (180 pods, 80 GPUs) do not fit one Jetson (110 pods, 4 GPUs): the benchmark adds
two more simulated Thor nodes and gives its stacks `gpu: 0`, small requests and emptyDir
storage; the reconcile work (38 children per stack) is the same as with the example.
The operator runs in-process (kopf.testing.KopfRunner, resync 10 s and the operator's own
default debounce), with the admin's kubeconfig; memory is the RSS growth of this process from
before the operator started (the Python client libraries already imported) to after the 20
stacks converged.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import psutil
from kubernetes import client, config

from bench.common import load_hack, write_result

REPO = Path(__file__).resolve().parent.parent
N_MANY = 20
STEADY_S = 60.0


def bench_spec() -> dict[str, Any]:
    from tradingstack.core import catalog

    small = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    return {
        "workloads": {w.name: {"gpu": 0, "resources": small} for w in catalog.WORKLOADS},
        "storage": {"ephemeral": True},
    }


def expected_children(name: str, namespace: str) -> int:
    from tradingstack_operator import builders as b
    from tradingstack_operator import spec as s

    ts = s.TradingStackSpec.model_validate(bench_spec())
    # + the token Secret; Middlewares only with Traefik's CRD (absent here)
    return len(b.build(b.Stack(name, namespace, "x"), ts, b.Options())) + 1


class Watcher:
    """Counts the children and reads the Ready condition of every stack: one list request
    per kind, across all namespaces, as metadata only (PartialObjectMetadataList, decoded as
    plain JSON) but for the Deployments, whose status says whether their pods are ready; so
    the polling costs the API server and this process little next to the operator."""

    SELECTOR = "app.kubernetes.io/managed-by=tradingstack-operator"
    METADATA = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
    PATHS = (
        "/apis/apps/v1/deployments",
        "/api/v1/services",
        "/api/v1/configmaps",
        "/api/v1/secrets",
        "/api/v1/serviceaccounts",
        "/apis/networking.k8s.io/v1/ingresses",
        "/apis/networking.k8s.io/v1/networkpolicies",
    )

    def __init__(self, api: client.ApiClient) -> None:
        self.api = api
        self.custom = client.CustomObjectsApi(api)
        self.core = client.CoreV1Api(api)

    def _list(self, path: str, accept: str = "application/json") -> list[dict[str, Any]]:
        request = self.api.param_serialize(
            "GET",
            path,
            query_params=[("labelSelector", self.SELECTOR)],
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
        response = self.api.call_api(*request)
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}: {response.read()!r}")
        body = response.read()
        items: list[dict[str, Any]] = json.loads(body).get("items") or []
        return items

    def children(self) -> tuple[dict[str, int], dict[str, int]]:
        """Per namespace: the children, and the Deployments whose pods are all ready."""
        counts: dict[str, int] = {}
        ready: dict[str, int] = {}
        for path in self.PATHS:
            deployments = path == self.PATHS[0]
            for item in self._list(path, "application/json" if deployments else self.METADATA):
                ns = item["metadata"]["namespace"]
                counts[ns] = counts.get(ns, 0) + 1
                if deployments:
                    st = item.get("status") or {}
                    want = (item.get("spec") or {}).get("replicas") or 0
                    if (st.get("readyReplicas") or 0) >= want:
                        ready[ns] = ready.get(ns, 0) + 1
        return counts, ready

    def ready(self) -> set[str]:
        out = set()
        found = cast(
            dict[str, Any],
            self.custom.list_cluster_custom_object("tradingstack.dev", "v1alpha1", "tradingstacks"),
        )
        for obj in found["items"]:
            conds = (obj.get("status") or {}).get("conditions") or []
            if any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
                out.add(obj["metadata"]["namespace"])
        return out


def run_round(w: Watcher, stacks: list[tuple[str, str]], timeout: float = 600) -> dict[str, Any]:
    """Create the stacks at once; time all children present, all pods ready (what the
    Deployments say) and Ready (the stack's condition), per stack. `median_operator_lag_s`:
    from the pods ready to the operator's Ready."""
    from tradingstack.core import catalog

    for ns, _ in stacks:
        w.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    t0 = time.monotonic()
    for ns, name in stacks:
        w.custom.create_namespaced_custom_object(
            "tradingstack.dev",
            "v1alpha1",
            ns,
            "tradingstacks",
            {
                "apiVersion": "tradingstack.dev/v1alpha1",
                "kind": "TradingStack",
                "metadata": {"name": name},
                "spec": bench_spec(),
            },
        )
    children_at: dict[str, float] = {}
    pods_at: dict[str, float] = {}
    ready_at: dict[str, float] = {}
    want = {ns: expected_children(name, ns) for ns, name in stacks}
    deployments = len(catalog.WORKLOADS)
    while len(ready_at) < len(stacks) and time.monotonic() - t0 < timeout:
        counts, pods_ready = w.children() if len(pods_at) < len(stacks) else ({}, {})
        ready = w.ready()
        now = time.monotonic() - t0
        for ns, _ in stacks:
            if ns not in children_at and counts.get(ns, 0) >= want[ns]:
                children_at[ns] = now
            if ns not in pods_at and pods_ready.get(ns, 0) >= deployments:
                pods_at[ns] = now
            if ns not in ready_at and ns in ready:
                ready_at[ns] = now
                pods_at.setdefault(ns, now)
        time.sleep(0.25)
    if len(ready_at) < len(stacks):
        raise RuntimeError(f"only {len(ready_at)}/{len(stacks)} stacks Ready after {timeout} s")
    return {
        "stacks": len(stacks),
        "children_per_stack": next(iter(want.values())),
        "all_children_created_s": round(max(children_at.values()), 2),
        "all_pods_ready_s": round(max(pods_at.values()), 2),
        "all_ready_s": round(max(ready_at.values()), 2),
        "median_children_created_s": round(statistics.median(children_at.values()), 2),
        "median_pods_ready_s": round(statistics.median(pods_at.values()), 2),
        "median_ready_s": round(statistics.median(ready_at.values()), 2),
        "median_operator_lag_s": round(
            statistics.median(ready_at[ns] - pods_at[ns] for ns, _ in stacks), 2
        ),
    }


def raise_client_qps(cpm: Any, qps: int) -> None:
    """Give the controller-manager and the scheduler `--kube-api-qps` (burst 1.5x) instead of
    their defaults (20 and 50): a diagnostic of how much of Ready is the cluster's."""
    import dataclasses

    components: Any = sys.modules[f"{cpm.__name__}.components"]
    extra = [f"--kube-api-qps={qps}", f"--kube-api-burst={qps * 3 // 2}"]

    def more(flags: Any) -> Any:
        return lambda s: [*flags(s), *extra]

    components.CONTROL_PLANE = tuple(
        dataclasses.replace(c, flags=more(c.flags))
        if c.name in ("kube-controller-manager", "kube-scheduler")
        else c
        for c in components.CONTROL_PLANE
    )


def measure(client_qps: int | None = None) -> dict[str, Any]:
    """One side: a control plane, the operator in-process, 1 then 20 stacks."""
    load_before = round(os.getloadavg()[0], 2)
    cpm = load_hack("controlplane")
    if client_qps:
        raise_client_qps(cpm, client_qps)
    if not cpm.binaries_present():
        cpm.build()
    directory = cpm.CLUSTER_DIR / f"bench-operator-{os.getpid()}"
    cp = cpm.start(directory, tie_to_parent=True)
    saved = os.environ.get("KUBECONFIG")
    try:
        version = cpm.pinned_version(cpm.MODULES[0])
        for i in (2, 3):  # two more Thors: 20 stacks are 180 pods, one node takes 110
            cp.request("POST", "/api/v1/nodes", cpm.jetson_node(f"thor-{i}", 1, 4, version))
        kubectl = cp.bin("kubectl")
        subprocess.run(
            [kubectl, "--kubeconfig", cp.kubeconfig, "apply", "--server-side", "-k", REPO / "crds"],
            check=True,
            capture_output=True,
        )
        os.environ["KUBECONFIG"] = str(cp.kubeconfig)
        os.environ["TS_OPERATOR_RESYNC_SECONDS"] = "10"
        # kwok's pods run no server: Ready from pods alone (no health checks)
        os.environ["TS_OPERATOR_HEALTH_CHECKS"] = "false"
        os.environ["TS_OPERATOR_METRICS_PORT"] = "0"
        os.environ.pop("TS_OPERATOR_DEBOUNCE_SECONDS", None)  # each side's own default
        api = config.new_client_from_config(config_file=str(cp.kubeconfig))
        w = Watcher(api)
        import tradingstack_operator
        from kopf.testing import KopfRunner
        from tradingstack_operator import handlers

        proc = psutil.Process()
        rss_before = proc.memory_info().rss
        args = ["run", "--all-namespaces", "--standalone", "-m", "tradingstack_operator.handlers"]
        with KopfRunner(args, timeout=60):
            deadline = time.monotonic() + 30
            while not handlers.CURRENT and time.monotonic() < deadline:
                time.sleep(0.1)
            ctl = handlers.CURRENT[0]
            one = run_round(w, [("bench-one", "stack")])
            print(f"1 stack: {one}", flush=True)
            before_req, before_rec = sum(ctl.kube.requests.values()), ctl.reconciles
            cpu0 = sum(proc.cpu_times()[:2])
            many = run_round(w, [(f"bench-{i:02d}", "stack") for i in range(N_MANY)])
            # this process: the operator's thread and the benchmark's polling (the same
            # requests on both sides)
            many["process_cpu_s"] = round(sum(proc.cpu_times()[:2]) - cpu0, 1)
            print(f"{N_MANY} stacks: {many}", flush=True)
            rollout_req = sum(ctl.kube.requests.values()) - before_req
            rollout_rec = ctl.reconciles - before_rec
            # converged: only periodic resyncs now; the window is a whole maintenance period
            # (the children re-listed and the token re-checked once a minute per stack)
            time.sleep(5)
            r0, c0, t0 = dict(ctl.kube.requests), ctl.reconciles, time.monotonic()
            time.sleep(STEADY_S)
            steady_req = {k: v - r0.get(k, 0) for k, v in ctl.kube.requests.items()}
            steady_rec = ctl.reconciles - c0
            steady_s = time.monotonic() - t0
            rss_after = proc.memory_info().rss
        result = {
            "load_average_1m_at_start": load_before,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "note": "2 CPU cores shared with other engineers' builds and tests while measuring",
            "control_plane": "kube-apiserver + etcd + controller-manager + scheduler, kwok "
            "(3 simulated Jetson AGX Thor nodes)",
            "controller_manager_and_scheduler_qps": client_qps or "their defaults (20, 50)",
            "operator": f"in-process (KopfRunner) from {tradingstack_operator.__file__}, "
            "resync 10 s, its default debounce",
            "one_stack": one,
            "many_stacks": many,
            "api_requests": {
                "rollout_requests_per_reconcile": round(rollout_req / max(rollout_rec, 1), 1),
                "rollout_reconciles_per_stack": round(rollout_rec / N_MANY, 1),
                "converged_requests_per_reconcile": round(
                    sum(steady_req.values()) / max(steady_rec, 1), 1
                ),
                "converged_by_verb": {
                    k: round(v / max(steady_rec, 1), 2) for k, v in steady_req.items() if v
                },
                "converged_reconciles_per_second": round(steady_rec / steady_s, 2),
                "stacks_during_steady_window": N_MANY + 1,
                "steady_window_s": round(steady_s, 1),
                "note": "the operator's watch streams (kopf, long-lived) are not counted",
            },
            "operator_memory": {
                "process_rss_mib_after": round(rss_after / 2**20, 1),
                "rss_growth_mib_for_21_stacks": round((rss_after - rss_before) / 2**20, 1),
            },
        }
        api.close()
        return result
    finally:
        if saved is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = saved
        cp.stop()
        shutil.rmtree(directory, ignore_errors=True)


RATIOS = [
    ("many_stacks", "all_children_created_s"),
    ("many_stacks", "all_pods_ready_s"),
    ("many_stacks", "all_ready_s"),
    ("many_stacks", "median_operator_lag_s"),
    ("many_stacks", "process_cpu_s"),
    ("one_stack", "all_ready_s"),
    ("api_requests", "rollout_requests_per_reconcile"),
    ("api_requests", "converged_requests_per_reconcile"),
]


def side(operator_src: Path | None) -> dict[str, Any]:
    """`measure()` in a child process (with the operator package from `operator_src`)."""
    env = dict(os.environ)
    if operator_src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(operator_src), str(REPO)])
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, "-m", "bench.operator_bench", "--side", out.name]
        subprocess.run(cmd, check=True, env=env, cwd=REPO)
        result: dict[str, Any] = json.loads(Path(out.name).read_text())
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", help="git revision whose operator runs first")
    parser.add_argument("--side", help=argparse.SUPPRESS)  # internal: one side, JSON here
    parser.add_argument(
        "--client-qps",
        type=int,
        help="the controller-manager's and scheduler's --kube-api-qps (a diagnostic run, "
        "written to operator_qps<N>.json)",
    )
    args = parser.parse_args()
    if args.side:
        Path(args.side).write_text(json.dumps(measure()))
        return
    if args.client_qps:
        path = write_result(f"operator_qps{args.client_qps}", measure(args.client_qps))
        print(f"wrote {path}", flush=True)
        return
    if not args.baseline:
        path = write_result("operator", measure())
        print(f"wrote {path}", flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", args.baseline, "operator"], cwd=REPO, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        before = side(Path(tmp) / "operator")
    after = side(None)
    rev = subprocess.run(
        ["git", "rev-parse", "--short", args.baseline], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    ratios = {
        f"{group}.{name}": round(after[group][name] / before[group][name], 3)
        for group, name in RATIOS
        if before[group].get(name)
    }
    result = {"baseline": rev, "ratios_after_over_before": ratios, "before": before}
    result["after"] = after
    path = write_result("operator", result)
    print(json.dumps(ratios, indent=1), f"wrote {path}", sep="\n", flush=True)


if __name__ == "__main__":
    main()
