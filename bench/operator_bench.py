"""Benchmark of the TradingStack operator on the real control plane (kwok nodes):
time from `create` to all children created and to Ready, for 1 and for 20 stacks; API requests
per reconcile (during roll-out and when converged); the operator's memory.

    .venv/bin/python -m bench.operator_bench        # -> bench/results/operator.json

20 full stacks (180 pods, 80 GPUs) do not fit one Jetson (110 pods, 4 GPUs): the benchmark adds
two more simulated Thor nodes and gives its stacks `gpu: 0`, small requests and emptyDir
storage; the reconcile work (38 children per stack) is the same as with the example.
The operator runs in-process (kopf.testing.KopfRunner, resync 10 s, the default), with the
admin's kubeconfig; memory is the RSS growth of this process from before the operator started
(the Python client libraries already imported) to after the 20 stacks converged.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil
from kubernetes import client, config

from bench.common import load_hack, write_result

REPO = Path(__file__).resolve().parent.parent
N_MANY = 20


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
    per kind, across all namespaces (cheap, so the polling does not slow the operator)."""

    SELECTOR = "app.kubernetes.io/managed-by=tradingstack-operator"

    def __init__(self, api: client.ApiClient) -> None:
        apps = client.AppsV1Api(api)
        core = client.CoreV1Api(api)
        net = client.NetworkingV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.core = core
        self.listers = [
            apps.list_deployment_for_all_namespaces,
            core.list_service_for_all_namespaces,
            core.list_config_map_for_all_namespaces,
            core.list_secret_for_all_namespaces,
            core.list_service_account_for_all_namespaces,
            net.list_ingress_for_all_namespaces,
            net.list_network_policy_for_all_namespaces,
        ]

    def children(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for lister in self.listers:
            for item in lister(label_selector=self.SELECTOR).items:
                counts[item.metadata.namespace] = counts.get(item.metadata.namespace, 0) + 1
        return counts

    def ready(self) -> set[str]:
        out = set()
        for obj in self.custom.list_cluster_custom_object(
            "tradingstack.dev", "v1alpha1", "tradingstacks"
        )["items"]:
            conds = (obj.get("status") or {}).get("conditions") or []
            if any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
                out.add(obj["metadata"]["namespace"])
        return out


def run_round(w: Watcher, stacks: list[tuple[str, str]], timeout: float = 600) -> dict[str, Any]:
    """Create the stacks at once; time all children present and all Ready (per stack)."""
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
    ready_at: dict[str, float] = {}
    want = {ns: expected_children(name, ns) for ns, name in stacks}
    while len(ready_at) < len(stacks) and time.monotonic() - t0 < timeout:
        counts = w.children() if len(children_at) < len(stacks) else {}
        ready = w.ready()
        now = time.monotonic() - t0
        for ns, _ in stacks:
            if ns not in children_at and counts.get(ns, 0) >= want[ns]:
                children_at[ns] = now
            if ns not in ready_at and ns in ready:
                ready_at[ns] = now
        time.sleep(0.25)
    if len(ready_at) < len(stacks):
        raise RuntimeError(f"only {len(ready_at)}/{len(stacks)} stacks Ready after {timeout} s")
    return {
        "stacks": len(stacks),
        "children_per_stack": next(iter(want.values())),
        "all_children_created_s": round(max(children_at.values()), 2),
        "all_ready_s": round(max(ready_at.values()), 2),
        "median_children_created_s": round(statistics.median(children_at.values()), 2),
        "median_ready_s": round(statistics.median(ready_at.values()), 2),
    }


def main() -> None:
    cpm = load_hack("controlplane")
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
        api = config.new_client_from_config(config_file=str(cp.kubeconfig))
        w = Watcher(api)
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
            many = run_round(w, [(f"bench-{i:02d}", "stack") for i in range(N_MANY)])
            print(f"{N_MANY} stacks: {many}", flush=True)
            rollout_req = sum(ctl.kube.requests.values()) - before_req
            rollout_rec = ctl.reconciles - before_rec
            # converged: only periodic resyncs now
            time.sleep(5)
            r0, c0, t0 = dict(ctl.kube.requests), ctl.reconciles, time.monotonic()
            time.sleep(30)
            steady_req = {k: v - r0.get(k, 0) for k, v in ctl.kube.requests.items()}
            steady_rec = ctl.reconciles - c0
            steady_s = time.monotonic() - t0
            rss_after = proc.memory_info().rss
        result = {
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "note": "2 CPU cores shared with other engineers' builds and tests while measuring",
            "control_plane": "kube-apiserver + etcd + controller-manager + scheduler, kwok "
            "(3 simulated Jetson AGX Thor nodes)",
            "operator": "in-process (KopfRunner), resync 10 s, debounce 0.5 s",
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
            },
            "operator_memory": {
                "process_rss_mib_after": round(rss_after / 2**20, 1),
                "rss_growth_mib_for_21_stacks": round((rss_after - rss_before) / 2**20, 1),
            },
        }
        path = write_result("operator", result)
        print(f"wrote {path}", flush=True)
        api.close()
    finally:
        if saved is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = saved
        cp.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
