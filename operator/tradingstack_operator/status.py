"""Pure status computation: live Deployments and Pods in, the TradingStack status out.

Ready is True only when every enabled workload has all its desired pods ready at the latest
generation, no pod of the stack is Pending and (when the watchdog checks health) every enabled
workload's last health check passed. A workload whose pods are ready but whose health check
fails makes the stack Degraded (reason `Unhealthy`, the message names it). Unschedulable pods
are named with the scheduler's own message (the pod's PodScheduled condition).

The status is built as `spec.TradingStackStatus` (the model the CRD's status schema comes
from) with the condition types and reasons of `ConditionType` and `Reason`; `is_ready` is the
one reading of "Ready" for everyone (the controller's metrics, the status API).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from tradingstack.core import catalog
from tradingstack.core.health import ProbeResult

from tradingstack_operator import builders, spec

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


class ConditionType(StrEnum):
    READY = "Ready"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"


class Reason(StrEnum):
    """Every reason the operator puts on a condition."""

    ALL_SERVICES_READY = "AllServicesReady"
    SERVICES_NOT_READY = "ServicesNotReady"
    RECONCILE_FAILED = "ReconcileFailed"
    PAUSED = "Paused"
    CONVERGED = "Converged"
    ROLLING_OUT = "RollingOut"
    UNSCHEDULABLE = "Unschedulable"
    PODS_FAILING = "PodsFailing"
    UNHEALTHY = "Unhealthy"
    AS_EXPECTED = "AsExpected"


@dataclass(frozen=True)
class Verdict:
    """One condition's value before it gets its times."""

    status: bool
    reason: Reason
    message: str = ""


def is_ready(status: Mapping[str, Any] | None) -> bool:
    """Whether a TradingStack status (as stored, camelCase) says Ready=True."""
    return any(
        c.get("type") == ConditionType.READY and c.get("status") == "True"
        for c in (status or {}).get("conditions") or []
    )


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
        """The health fields of the workload's `spec.ServiceStatus` (keyword arguments)."""
        r = self.result
        return {
            "health": r.status,
            "healthy": r.healthy,
            "version": r.version,
            "uptime_seconds": r.uptime_seconds,
            "training_in_progress": r.training_in_progress,
            "last_probe_time": r.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "latency_seconds": None if r.latency_seconds is None else round(r.latency_seconds, 4),
            "consecutive_failures": self.failures,
            "health_message": r.error or "",
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
        workload = (meta.get("labels") or {}).get(builders.WORKLOAD_LABEL)
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
    previous: list[Obj], type_: ConditionType, verdict: Verdict, generation: int
) -> spec.Condition:
    value: Literal["True", "False"] = "True" if verdict.status else "False"
    old = next((c for c in previous if c.get("type") == type_), None)
    since = old["lastTransitionTime"] if old and old.get("status") == value else now()
    return spec.Condition(
        type=type_,
        status=value,
        reason=verdict.reason,
        message=verdict.message,
        last_transition_time=since,
        observed_generation=generation,
    )


@dataclass
class Tally:
    """What the services' checks found, for the conditions."""

    not_ready: list[str] = field(default_factory=list)
    unschedulable: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)
    unhealthy: list[str] = field(default_factory=list)
    pending: int = 0


def _service(
    w: catalog.Workload,
    ws: spec.WorkloadSpec,
    dep: Obj | None,
    prob: PodProblems,
    health: Mapping[str, WorkloadHealth] | None,
    tally: Tally,
) -> spec.ServiceStatus:
    """The `status.services[]` entry of one workload; what is wrong goes to `tally`."""
    dst = (dep or {}).get("status") or {}
    ready_replicas = int(dst.get("readyReplicas") or 0)
    if not ws.enabled:
        return spec.ServiceStatus(
            name=w.name,
            enabled=False,
            desired_replicas=0,
            ready_replicas=ready_replicas,
            gpu=ws.gpu,
            ready=False,
            message="disabled",
        )
    updated = int(dst.get("updatedReplicas") or 0)
    total = int(dst.get("replicas") or 0)  # old and new pods, not the terminating ones
    current = dep is not None and int(dst.get("observedGeneration") or 0) >= int(
        (dep.get("metadata") or {}).get("generation") or 0
    )
    tally.pending += prob.pending
    ok = (
        current
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
        tally.unschedulable.append(f"{w.name} ({'; '.join(prob.unschedulable)})")
    elif prob.failing:
        message = "; ".join(prob.failing)
        tally.failing.append(f"{w.name} ({message})")
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
            tally.unhealthy.append(f"{w.name} ({h.result.error or h.result.status})")
    if not ok:
        tally.not_ready.append(w.name)
    return spec.ServiceStatus(
        name=w.name,
        enabled=True,
        desired_replicas=ws.replicas,
        ready_replicas=ready_replicas,
        gpu=ws.gpu,
        ready=ok,
        message=message,
        **(h.fields() if h is not None else {}),
    )


def _verdicts(
    tally: Tally, summary: str, error: str, paused: bool
) -> tuple[Verdict, Verdict, Verdict]:
    """Ready, Progressing and Degraded from what the services' checks found."""
    ready = not tally.not_ready and tally.pending == 0 and not error and not paused
    if paused:
        ready_v = Verdict(False, Reason.PAUSED, f"reconciliation paused ({spec.PAUSE_ANNOTATION})")
        prog = Verdict(False, Reason.PAUSED, "reconciliation paused: the operator changes nothing")
    elif ready:
        ready_v = Verdict(True, Reason.ALL_SERVICES_READY, f"{summary} services ready")
        prog = Verdict(False, Reason.CONVERGED, "every workload is up to date")
    else:
        waiting = f"{summary} services ready; waiting for " + ", ".join(tally.not_ready)
        ready_v = (
            Verdict(False, Reason.RECONCILE_FAILED, error)
            if error
            else Verdict(False, Reason.SERVICES_NOT_READY, waiting)
        )
        prog = Verdict(True, Reason.ROLLING_OUT, ready_v.message)
    if tally.unschedulable:
        message = "cannot schedule: " + "; ".join(tally.unschedulable)
        degraded = Verdict(True, Reason.UNSCHEDULABLE, message)
    elif tally.failing:
        degraded = Verdict(True, Reason.PODS_FAILING, "; ".join(tally.failing))
    elif tally.unhealthy:
        degraded = Verdict(True, Reason.UNHEALTHY, "unhealthy: " + "; ".join(tally.unhealthy))
    elif error:
        degraded = Verdict(True, Reason.RECONCILE_FAILED, error)
    else:
        degraded = Verdict(False, Reason.AS_EXPECTED, "")
    if tally.unschedulable and not paused:
        prog = Verdict(False, Reason.UNSCHEDULABLE, degraded.message)
    elif (
        tally.unhealthy
        and not paused
        and len(tally.unhealthy) == len(tally.not_ready)
        and not error
    ):
        prog = Verdict(False, Reason.UNHEALTHY, degraded.message)  # nothing rolls out; down
    return ready_v, prog, degraded


def build(
    stack: builders.Stack,
    ts: spec.TradingStackSpec,
    observed: Observed,
    generation: int,
    previous: Obj | None = None,
    paused: bool = False,
    health: Mapping[str, WorkloadHealth] | None = None,
    alerts: Mapping[str, Obj] | None = None,
) -> spec.TradingStackStatus:
    """The typed status for the observed state.

    `health`: the watchdog's last checks by workload, None when health is not checked (then
    Ready depends on pods only). `alerts`: the watchdog's alert state, kept in the status.
    """
    prev_conditions = (previous or {}).get("conditions") or []
    problems = pod_problems(observed.pods)
    tally = Tally()
    services = [
        _service(
            w,
            ts.workload(w.name),
            observed.deployments.get(w.name),
            problems.get(w.name, PodProblems()),
            health,
            tally,
        )
        for w in catalog.WORKLOADS
    ]
    n_ready = sum(1 for x in services if x.enabled and x.ready)
    summary = f"{n_ready}/{len(ts.enabled())}"
    ready, prog, degraded = _verdicts(tally, summary, observed.error, paused)
    return spec.TradingStackStatus(
        observed_generation=generation,
        conditions=[
            _condition(prev_conditions, ConditionType.READY, ready, generation),
            _condition(prev_conditions, ConditionType.PROGRESSING, prog, generation),
            _condition(prev_conditions, ConditionType.DEGRADED, degraded, generation),
        ],
        services=services,
        services_ready=summary,
        url=builders.url(stack, ts),
        paused=paused,
        alerts={k: spec.AlertState.model_validate(v) for k, v in (alerts or {}).items()},
    )


def to_dict(status: spec.TradingStackStatus) -> Obj:
    """The status subresource content (camelCase, no empty optional fields; `alerts` only
    when there are some)."""
    out: Obj = status.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not out.get("alerts"):
        out.pop("alerts", None)
    return out


def compute(
    stack: builders.Stack,
    ts: spec.TradingStackSpec,
    observed: Observed,
    generation: int,
    previous: Obj | None = None,
    paused: bool = False,
    health: Mapping[str, WorkloadHealth] | None = None,
    alerts: Mapping[str, Obj] | None = None,
) -> Obj:
    """`build`'s status as the status subresource content (camelCase dict)."""
    return to_dict(build(stack, ts, observed, generation, previous, paused, health, alerts))


def without_times(status: Obj) -> Obj:
    """The status with transition times removed (to tell whether a patch is needed)."""
    out = dict(status)
    out["conditions"] = [
        {k: v for k, v in c.items() if k != "lastTransitionTime"}
        for c in status.get("conditions") or []
    ]
    return out
