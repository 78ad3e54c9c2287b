"""Status computation and drift detection (pure functions)."""

from __future__ import annotations

from typing import Any

from tradingstack.core import catalog
from tradingstack_operator import builders as b
from tradingstack_operator import spec
from tradingstack_operator import status as st
from tradingstack_operator.reconcile import drifted

STACK = b.Stack(name="demo", namespace="trading", uid="u1")
TS = spec.TradingStackSpec()


def deployment(name: str, ready: int, generation: int = 1, observed: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"name": f"demo-{name}", "generation": generation},
        "status": {
            "observedGeneration": observed,
            "readyReplicas": ready,
            "updatedReplicas": ready,
            "replicas": ready,
        },
    }


def pod(workload: str, phase: str, unschedulable: str = "", waiting: str = "") -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase, "conditions": []}
    if unschedulable:
        status["conditions"].append(
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": unschedulable,
            }
        )
    if waiting:
        status["containerStatuses"] = [{"state": {"waiting": {"reason": waiting, "message": "x"}}}]
    return {"metadata": {"labels": {b.WORKLOAD_LABEL: workload}}, "status": status}


def cond(status: dict[str, Any], type_: str) -> dict[str, Any]:
    c: dict[str, Any] = next(c for c in status["conditions"] if c["type"] == type_)
    return c


def all_ready() -> st.Observed:
    return st.Observed(
        deployments={n: deployment(n, 1) for n in catalog.NAMES},
        pods=[pod(n, "Running") for n in catalog.NAMES],
    )


def test_ready_when_everything_runs() -> None:
    s = st.compute(STACK, TS, all_ready(), generation=3)
    assert cond(s, "Ready")["status"] == "True"
    assert cond(s, "Progressing")["status"] == "False"
    assert cond(s, "Degraded")["status"] == "False"
    assert all(c["observedGeneration"] == 3 for c in s["conditions"])
    assert s["servicesReady"] == "9/9"
    assert s["url"] == "http://demo-ui.trading.svc:3000/"
    assert {x["name"] for x in s["services"]} == set(catalog.NAMES)


def test_never_ready_while_a_pod_is_pending() -> None:
    obs = all_ready()
    obs.pods.append(pod("hmm", "Pending"))  # e.g. a surge pod of a rollout
    s = st.compute(STACK, TS, obs, generation=1)
    assert cond(s, "Ready")["status"] == "False"
    assert "hmm" in cond(s, "Ready")["message"]
    assert cond(s, "Progressing")["status"] == "True"


def test_unschedulable_pods_are_named_with_the_scheduler_message() -> None:
    obs = all_ready()
    msg = "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
    obs.deployments["ollama"] = deployment("ollama", 0)
    obs.deployments["rag"] = deployment("rag", 0)
    obs.pods += [pod("ollama", "Pending", msg), pod("rag", "Pending", msg)]
    s = st.compute(STACK, TS, obs, generation=1)
    degraded = cond(s, "Degraded")
    assert degraded["status"] == "True" and degraded["reason"] == "Unschedulable"
    assert "ollama" in degraded["message"] and "rag" in degraded["message"]
    assert "Insufficient nvidia.com/gpu" in degraded["message"]
    assert cond(s, "Ready")["status"] == "False"
    assert s["servicesReady"] == "7/9"
    svc = {x["name"]: x for x in s["services"]}
    assert svc["ollama"]["message"].startswith("unschedulable: 0/1 nodes")


def test_failing_containers_degrade() -> None:
    obs = all_ready()
    obs.deployments["tcn"] = deployment("tcn", 0)
    obs.pods.append(pod("tcn", "Pending", waiting="ImagePullBackOff"))
    s = st.compute(STACK, TS, obs, generation=1)
    assert cond(s, "Degraded")["reason"] == "PodsFailing"
    assert "tcn" in cond(s, "Degraded")["message"]


def test_stale_generation_is_not_ready() -> None:
    obs = all_ready()
    obs.deployments["data"] = deployment("data", 1, generation=2, observed=1)
    s = st.compute(STACK, TS, obs, generation=1)
    assert cond(s, "Ready")["status"] == "False"


def test_not_ready_until_the_old_pods_are_gone() -> None:
    obs = all_ready()
    surge = deployment("data", 3)  # 2 new pods ready, 1 old pod still ready
    surge["status"]["updatedReplicas"] = 2
    obs.deployments["data"] = surge
    ts = spec.TradingStackSpec.model_validate({"workloads": {"data": {"replicas": 2}}})
    s = st.compute(STACK, ts, obs, generation=1)
    assert cond(s, "Ready")["status"] == "False"
    surge["status"]["replicas"] = surge["status"]["readyReplicas"] = 2
    assert cond(st.compute(STACK, ts, obs, generation=1), "Ready")["status"] == "True"


def test_disabled_workloads_do_not_count() -> None:
    ts = spec.TradingStackSpec.model_validate({"workloads": {"ui": {"enabled": False}}})
    obs = all_ready()
    del obs.deployments["ui"]
    s = st.compute(STACK, ts, obs, generation=1)
    assert cond(s, "Ready")["status"] == "True"
    assert s["servicesReady"] == "8/8"
    assert s["url"] == ""


def test_paused_and_errors() -> None:
    s = st.compute(STACK, TS, all_ready(), generation=1, paused=True)
    assert s["paused"] is True
    assert cond(s, "Progressing")["reason"] == "Paused"
    assert cond(s, "Ready")["reason"] == "Paused" and cond(s, "Ready")["status"] == "False"
    err = all_ready()
    err.error = "API error: 503 Service Unavailable"
    s = st.compute(STACK, TS, err, generation=1)
    assert cond(s, "Degraded")["reason"] == "ReconcileFailed"
    assert cond(s, "Ready")["status"] == "False"


def test_transition_time_kept_while_status_unchanged() -> None:
    first = st.compute(STACK, TS, all_ready(), generation=1)
    for c in first["conditions"]:
        c["lastTransitionTime"] = "2020-01-01T00:00:00Z"
    again = st.compute(STACK, TS, all_ready(), generation=2, previous=first)
    assert all(c["lastTransitionTime"] == "2020-01-01T00:00:00Z" for c in again["conditions"])
    obs = all_ready()
    obs.pods.append(pod("ui", "Pending"))
    changed = st.compute(STACK, TS, obs, generation=2, previous=first)
    assert cond(changed, "Ready")["lastTransitionTime"] != "2020-01-01T00:00:00Z"


def test_drift_detection() -> None:
    desired = b.build(STACK, TS)
    dep = next(m for m in desired if m["kind"] == "Deployment")
    live = {
        **dep,
        "metadata": {**dep["metadata"], "resourceVersion": "7", "uid": "x"},
        "status": {"readyReplicas": 1},
    }
    assert not drifted(dep, live)
    scaled = {**live, "spec": {**live["spec"], "replicas": 5}}
    assert drifted(dep, scaled)
    assert drifted({"a": [1, 2]}, {"a": [2, 1]})
    assert not drifted({"a": [{"x": 1}]}, {"a": [{"x": 1, "y": 2}, {"z": 3}]})
    assert drifted({"a": [{"x": 1}]}, {"a": [{"x": 2}]})
    assert not drifted({"port": 80, "v": ""}, {"port": "80"})  # empty values are omitted
    assert drifted({"flag": False}, {"flag": True})
    assert drifted({"labels": {"a": "b"}}, {"labels": {}})
