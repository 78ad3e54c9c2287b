"""Pure status computation: live Deployments and Pods in, the TradingStack status out.

Ready is True only when every enabled workload has all its desired pods ready at the latest
generation, no pod of the stack is Pending and (when the watchdog checks health) every enabled
workload's last health check passed. A workload whose pods are ready but whose health check
fails makes the stack Degraded (reason `Unhealthy`, the message names it). Unschedulable pods
are named with the scheduler's own message (the pod's PodScheduled condition).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tradingstack.core import catalog
from tradingstack.core.health import ProbeResult

from tradingstack_operator import builders as b
from tradingstack_operator import spec as s

Obj = dict[str, Any]
WAITING_PROBLEMS = {
    "ImagePullBackOff",
    "ErrImagePull",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "RunContainerError",
}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Observed:
    """What the operator saw in the cluster for one stack."""

    deployments: dict[str, Obj] = field(default_factory=dict)
    """Live Deployments by workload name."""
    pods: list[Obj] = field(default_factory=list)
    error: str = ""
    """The last reconcile's error (API failure), empty when it went through."""


@dataclass
class WorkloadHealth:
    """The watchdog's view of one workload: its last probe and failures in a row."""

    result: ProbeResult
    failures: int = 0
    ever_healthy: bool = False

    def fields(self) -> Obj:
        """The health fields of the workload's `status.services[]` entry."""
        r = self.result
        return {
            "health": r.status,
            "healthy": r.healthy,
            "version": r.version,
            "uptimeSeconds": r.uptime_seconds,
            "trainingInProgress": r.training_in_progress,
            "lastProbeTime": r.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "latencySeconds": None if r.latency_seconds is None else round(r.latency_seconds, 4),
            "consecutiveFailures": self.failures,
            "healthMessage": r.error or "",
        }


@dataclass
class PodProblems:
    pending: int = 0
    unschedulable: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)


def pod_problems(pods: Iterable[Obj]) -> dict[str, PodProblems]:
    """Pending, unschedulable and failing pods per workload."""
    out: dict[str, PodProblems] = {}
    for pod in pods:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        workload = (meta.get("labels") or {}).get(b.WORKLOAD_LABEL)
        if not workload:
            continue
        p = out.setdefault(workload, PodProblems())
        st = pod.get("status") or {}
        if st.get("phase") == "Pending":
            p.pending += 1
        for cond in st.get("conditions") or []:
            if (
                cond.get("type") == "PodScheduled"
                and cond.get("status") == "False"
                and cond.get("reason") == "Unschedulable"
            ):
                msg = (cond.get("message") or "unschedulable").strip()
                if msg not in p.unschedulable:
                    p.unschedulable.append(msg)
        for cs in st.get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in WAITING_PROBLEMS:
                text = f"{waiting['reason']}: {waiting.get('message', '')}".strip(": ")
                if text not in p.failing:
                    p.failing.append(text)
    return out


def _condition(
    previous: list[Obj], type_: str, status: bool, reason: str, message: str, generation: int
) -> Obj:
    value = "True" if status else "False"
    old = next((c for c in previous if c.get("type") == type_), None)
    since = old["lastTransitionTime"] if old and old.get("status") == value else now()
    return {
        "type": type_,
        "status": value,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
        "observedGeneration": generation,
    }


def compute(
    stack: b.Stack,
    ts: s.TradingStackSpec,
    observed: Observed,
    generation: int,
    previous: Obj | None = None,
    paused: bool = False,
    health: Mapping[str, WorkloadHealth] | None = None,
    alerts: Mapping[str, Obj] | None = None,
) -> Obj:
    """The status subresource content (camelCase dict) for the observed state.

    `health`: the watchdog's last checks by workload, None when health is not checked (then
    Ready depends on pods only). `alerts`: the watchdog's alert state, kept in the status.
    """
    previous = previous or {}
    prev_conditions = previous.get("conditions") or []
    problems = pod_problems(observed.pods)
    services = []
    not_ready: list[str] = []
    unschedulable: list[str] = []
    failing: list[str] = []
    unhealthy: list[str] = []
    pending_total = 0
    enabled = ts.enabled()
    for w in catalog.WORKLOADS:
        ws = ts.workload(w.name)
        dep = observed.deployments.get(w.name)
        dst = (dep or {}).get("status") or {}
        ready_replicas = int(dst.get("readyReplicas") or 0)
        updated = int(dst.get("updatedReplicas") or 0)
        total = int(dst.get("replicas") or 0)  # old and new pods, not the terminating ones
        current = dep is not None and int(dst.get("observedGeneration") or 0) >= int(
            (dep.get("metadata") or {}).get("generation") or 0
        )
        prob = problems.get(w.name, PodProblems())
        if not ws.enabled:
            services.append(
                {
                    "name": w.name,
                    "enabled": False,
                    "desiredReplicas": 0,
                    "readyReplicas": ready_replicas,
                    "gpu": ws.gpu,
                    "ready": False,
                    "message": "disabled",
                }
            )
            continue
        pending_total += prob.pending
        ok = (
            dep is not None
            and current
            and ready_replicas >= ws.replicas
            and updated >= ws.replicas
            and total <= ws.replicas  # no pod of an older template left (rollout complete)
            and prob.pending == 0
        )
        message = ""
        if dep is None:
            message = "Deployment not created yet"
        elif prob.unschedulable:
            message = "unschedulable: " + "; ".join(prob.unschedulable)
            unschedulable.append(f"{w.name} ({'; '.join(prob.unschedulable)})")
        elif prob.failing:
            message = "; ".join(prob.failing)
            failing.append(f"{w.name} ({message})")
        elif prob.pending:
            message = f"{prob.pending} pod(s) pending"
        elif not ok:
            message = f"{ready_replicas}/{ws.replicas} pods ready"
        h = health.get(w.name) if health is not None else None
        if ok and health is not None:
            if h is None:
                ok, message = False, "waiting for the first health check"
            elif not h.result.healthy:
                ok = False
                message = f"unhealthy: {h.result.error or h.result.status}"
                unhealthy.append(f"{w.name} ({h.result.error or h.result.status})")
        if not ok:
            not_ready.append(w.name)
        entry: Obj = {
            "name": w.name,
            "enabled": True,
            "desiredReplicas": ws.replicas,
            "readyReplicas": ready_replicas,
            "gpu": ws.gpu,
            "ready": ok,
            "message": message,
        }
        if h is not None:
            entry.update({k: v for k, v in h.fields().items() if v is not None})
        services.append(entry)
    n_ready = sum(1 for x in services if x["enabled"] and x["ready"])
    ready = not not_ready and pending_total == 0 and not observed.error and not paused
    if paused:
        ready_reason, ready_msg = "Paused", f"reconciliation paused ({s.PAUSE_ANNOTATION})"
        prog = (False, "Paused", "reconciliation paused: the operator changes nothing")
    elif ready:
        ready_reason, ready_msg = "AllServicesReady", f"{n_ready}/{len(enabled)} services ready"
        prog = (False, "Converged", "every workload is up to date")
    else:
        ready_reason = "ServicesNotReady"
        ready_msg = f"{n_ready}/{len(enabled)} services ready; waiting for " + ", ".join(not_ready)
        if observed.error:
            ready_reason, ready_msg = "ReconcileFailed", observed.error
        prog = (True, "RollingOut", ready_msg)
    if unschedulable:
        degraded = (True, "Unschedulable", "cannot schedule: " + "; ".join(unschedulable))
    elif failing:
        degraded = (True, "PodsFailing", "; ".join(failing))
    elif unhealthy:
        degraded = (True, "Unhealthy", "unhealthy: " + "; ".join(unhealthy))
    elif observed.error:
        degraded = (True, "ReconcileFailed", observed.error)
    else:
        degraded = (False, "AsExpected", "")
    if unschedulable and not paused:
        prog = (False, "Unschedulable", degraded[2])
    elif unhealthy and not paused and len(unhealthy) == len(not_ready) and not observed.error:
        prog = (False, "Unhealthy", degraded[2])  # nothing rolls out; services are down
    conditions = [
        _condition(prev_conditions, "Ready", ready, ready_reason, ready_msg, generation),
        _condition(prev_conditions, "Progressing", prog[0], prog[1], prog[2], generation),
        _condition(prev_conditions, "Degraded", degraded[0], degraded[1], degraded[2], generation),
    ]
    return {
        "observedGeneration": generation,
        "conditions": conditions,
        "services": services,
        "servicesReady": f"{n_ready}/{len(enabled)}",
        "url": b.url(stack, ts),
        "paused": paused,
        **({"alerts": dict(alerts)} if alerts else {}),
    }


def without_times(status: Obj) -> Obj:
    """The status with transition times removed (to tell whether a patch is needed)."""
    out = dict(status)
    out["conditions"] = [
        {k: v for k, v in c.items() if k != "lastTransitionTime"}
        for c in status.get("conditions") or []
    ]
    return out
