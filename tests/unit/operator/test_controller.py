"""The controller's bookkeeping without a cluster: the spec parsed once per generation, the
children cache fed by watch events, and which events ask for a full pass."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from tradingstack_operator import builders, controller, reconcile
from tradingstack_operator.kube import Kube


def stack_body(generation: int = 1, uid: str = "u1", spec: Any = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "demo", "namespace": "ns", "uid": uid, "generation": generation},
        "spec": spec if spec is not None else {},
    }


def child(kind: str, name: str, generation: int | None, rv: int, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "ns",
        "resourceVersion": str(rv),
        "labels": {builders.STACK_LABEL: "demo", builders.WORKLOAD_LABEL: "data"},
    }
    if generation is not None:
        meta["generation"] = generation
    api = {"Deployment": "apps/v1"}.get(kind, "v1")
    return {"apiVersion": api, "kind": kind, "metadata": meta, **extra}


def test_spec_is_parsed_once_per_generation() -> None:
    worker = controller.Worker(key=("ns", "demo"), body=stack_body(1))
    first = worker.parsed()
    worker.body = {**stack_body(1), "status": {"servicesReady": "1/9"}}  # a status change
    assert worker.parsed() is first
    worker.body = stack_body(2, spec={"workloads": {"data": {"replicas": 2}}})
    second = worker.parsed()
    assert second is not first and second.ts.workload("data").replicas == 2
    worker.body = stack_body(2, uid="u2")  # recreated under the same name
    assert worker.parsed() is not second
    worker.body = stack_body(3, spec={"workloads": {"nope": {}}})
    assert worker.parsed().error.startswith("invalid spec: ")


def test_child_events_fill_the_cache_and_choose_the_pass() -> None:
    ctl = controller.Controller(kube=Kube(api=None))  # type: ignore[arg-type]  # never called
    worker = controller.Worker(key=("ns", "demo"), body=stack_body(), apply_needed=False)
    ctl.workers[worker.key] = worker
    worker.children = ctl.children.setdefault(worker.key, reconcile.Children())

    def event(obj: dict[str, Any], deleted: bool = False) -> bool:
        worker.apply_needed = False
        worker.wake.clear()
        ctl.child_event(obj, deleted)
        assert worker.wake.is_set()
        return worker.apply_needed

    dep = child("Deployment", "demo-data", 1, 10)
    assert event(dep)  # new child: full pass
    assert not event(child("Deployment", "demo-data", 1, 11, status={"readyReplicas": 1}))
    assert worker.children.deployments()["data"]["metadata"]["resourceVersion"] == "11"
    assert event(child("Deployment", "demo-data", 2, 12))  # its spec was edited
    assert not event(child("Pod", "demo-data-x", None, 13))  # pods: status only
    assert len(worker.children.of_kind("Pod")) == 1
    cm = child("ConfigMap", "demo-config", None, 14, data={"a": "1"})
    assert event(cm)
    assert not event({**cm, "metadata": {**cm["metadata"], "resourceVersion": "15"}})
    assert event(child("ConfigMap", "demo-config", None, 16, data={"a": "2"}))
    assert event(dep, deleted=True)  # a deleted Deployment comes back at once
    assert "data" not in worker.children.deployments()
    # an event older than what an apply answered does not replace it
    worker.children.put(child("Deployment", "demo-data", 3, 30))
    ctl.child_event(child("Deployment", "demo-data", 2, 20), deleted=False)
    assert worker.children.deployments()["data"]["metadata"]["resourceVersion"] == "30"
    ctl.child_event({"metadata": {"name": "other", "namespace": "ns"}}, deleted=False)  # not ours


async def test_applies_run_concurrently_and_in_two_waves() -> None:
    """The children of one pass are applied at once (up to the limit), Deployments after
    what their pods need."""
    order: list[str] = []
    running = 0
    most = 0

    class CountingKube(Kube):
        async def request(self, method: str, url: str, **kwargs: Any) -> Any:
            nonlocal running, most
            self.requests[method] += 1
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1
            body = kwargs.get("body") or {}
            if method == "PATCH" and "kind" in body:
                order.append(body["kind"])
                return {**body, "metadata": {**body["metadata"], "resourceVersion": "1"}}
            return {"items": []}

    kube = CountingKube(api=None)  # type: ignore[arg-type]  # request is answered above
    job = reconcile.Pass(
        body=stack_body(),
        parsed=reconcile.parse_spec(stack_body()),
        opts=builders.Options(),
        writes=asyncio.Semaphore(4),
    )
    result = await reconcile.reconcile(kube, job)
    assert not result.error and most == 8  # the 8 LISTs at once, then 4 applies at a time
    first_deployment = order.index("Deployment")
    assert all(k in ("Deployment", "Ingress") for k in order[first_deployment:])
    assert {"ServiceAccount", "ConfigMap", "Service"} <= set(order[:first_deployment])
    before = sum(kube.requests.values())
    again = await reconcile.reconcile(
        kube, reconcile.Pass(**{**job.__dict__, "ensure_token": False})
    )
    assert not again.applied and sum(kube.requests.values()) == before + 1  # the status patch


def test_children_of_a_deleted_stack_are_not_kept() -> None:
    ctl = controller.Controller(kube=Kube(api=None))  # type: ignore[arg-type]  # never called
    ctl.child_event(child("Pod", "demo-data-x", None, 1), deleted=False)
    assert ("ns", "demo") in ctl.children
    ctl.observe({**stack_body(), "metadata": {"name": "demo", "namespace": "ns"}}, deleted=True)
    assert ("ns", "demo") not in ctl.children
    ctl.child_event(child("Pod", "demo-data-x", None, 2), deleted=True)  # the GC's deletions
    assert ("ns", "demo") not in ctl.children


async def test_a_burst_of_pod_events_is_one_status_pass_and_spec_changes_wait_for_nothing() -> None:
    from tradingstack_operator.settings import OperatorSettings

    settings = OperatorSettings(resync_seconds=60, status_interval_seconds=1.0)
    ctl = controller.Controller(kube=Kube(api=None), settings=settings)  # type: ignore[arg-type]
    worker = controller.Worker(key=("ns", "demo"), body=stack_body())
    passes: list[tuple[float, bool]] = []

    async def counted(w: controller.Worker) -> bool:  # the loop's timing, not the reconcile
        passes.append((asyncio.get_running_loop().time(), w.apply_needed))
        w.wake.clear()
        w.urgent.clear()
        w.apply_needed = False
        return True

    ctl._pass = counted  # type: ignore[method-assign]
    ctl.workers[worker.key] = worker
    task = asyncio.create_task(ctl._loop(worker))
    try:
        await asyncio.sleep(0.05)
        assert len(passes) == 1  # the first pass
        for _ in range(10):  # pods of the stack change, 10 events in 0.2 s
            ctl.poke("ns", "demo", apply=False)
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)
        assert len(passes) == 2  # one status pass for the burst, not ten
        await asyncio.sleep(1.1)
        ctl.poke("ns", "demo", apply=False)
        ctl.poke("ns", "demo", apply=True)  # a child deleted: no hold
        asked = asyncio.get_running_loop().time()
        await asyncio.sleep(0.4)
        assert len(passes) == 3 and passes[-1][1] and passes[-1][0] - asked < 0.3
        ctl.poke("ns", "demo", apply=False)
        ctl.poke("ns", "demo", apply=True)  # within the hold of the last pass: at once too
        asked = asyncio.get_running_loop().time()
        await asyncio.sleep(0.4)
        assert len(passes) == 4 and passes[-1][0] - asked < 0.3
    finally:
        task.cancel()


async def test_a_new_generation_does_not_wait_for_a_stuck_pass() -> None:
    """A pass stuck on the API (here: the Deployment applies of generation 1 never answer, as
    a request retried for minutes) is dropped when the spec changes: generation 2's
    Deployment is applied at once."""
    from tradingstack_operator.settings import OperatorSettings

    stuck = asyncio.Event()
    applied: list[tuple[str, Any]] = []

    class StuckKube(Kube):
        async def request(self, method: str, url: str, **kwargs: Any) -> Any:
            body = kwargs.get("body") or {}
            if method == "PATCH" and "kind" in body:
                if body["kind"] == "Deployment":
                    if body["spec"]["replicas"] == 1 and url.endswith("demo-data"):
                        await stuck.wait()  # never set
                    applied.append((body["metadata"]["name"], body["spec"]["replicas"]))
                return {**body, "metadata": {**body["metadata"], "resourceVersion": "1"}}
            if method == "GET" and url.startswith("/apis/traefik"):
                return {"resources": []}
            return {"items": []}

    settings = OperatorSettings(resync_seconds=60, health_checks=False)
    ctl = controller.Controller(kube=StuckKube(api=None), settings=settings)  # type: ignore[arg-type]
    ctl.observe(stack_body(1), deleted=False)
    try:
        await asyncio.sleep(0.3)
        assert ("demo-data", 1) not in applied  # generation 1's pass is stuck
        ctl.observe(stack_body(2, spec={"workloads": {"data": {"replicas": 2}}}), deleted=False)
        asked = asyncio.get_running_loop().time()
        for _ in range(40):
            if ("demo-data", 2) in applied:
                break
            await asyncio.sleep(0.05)
        assert ("demo-data", 2) in applied
        assert asyncio.get_running_loop().time() - asked < 1.0
    finally:
        for w in list(ctl.workers.values()):
            assert w.task is not None
            w.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await w.task
