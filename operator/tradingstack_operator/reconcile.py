"""One reconcile of one TradingStack: builders -> server-side apply -> prune -> status.

The live children come from `Children`, a per-stack cache that the operator's watches keep
(every child kind is watched; `handlers.py`) and that the reconcile's own writes update; it is
filled by one LIST per kind on a stack's first reconcile and then now and then (`relist`), so
a converged reconcile sends no request at all. A desired manifest is applied only when the
live object differs from it (`drifted`); the applies of one pass run concurrently, in two
waves (what the pods need first: ServiceAccount, ConfigMap, volumes, policies, Services; then
Deployments and Ingresses), and before the status is written. Children of a disabled workload
are deleted, except its PersistentVolumeClaims (data survives a temporary disable; they go
with the TradingStack through garbage collection).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tradingstack_operator import builders, spec, status
from tradingstack_operator.kube import ApiError, Kube

log = logging.getLogger("tradingstack_operator")

CHILD_KINDS: list[tuple[str, str]] = [
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("v1", "PersistentVolumeClaim"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("networking.k8s.io/v1", "Ingress"),
    (builders.TRAEFIK_MIDDLEWARE_API, "Middleware"),
]
WATCHED_KINDS: list[tuple[str, str]] = [*CHILD_KINDS[:-1], ("v1", "Pod")]
"""What the operator watches (`handlers.py`): every child kind but Traefik's Middleware
(listed on each reconcile where Traefik is installed), and the pods of the Deployments."""
LATER_KINDS = {"Deployment", "Ingress"}
"""Applied in the second wave: what needs the first wave's objects."""
NEVER_PRUNED = {("v1", "PersistentVolumeClaim")}
EMPTY: tuple[Any, ...] = ("", {}, [], None)  # the API server drops these (omitempty)


def drifted(desired: Any, live: Any) -> bool:
    """True when `live` does not contain everything `desired` says.

    Dicts: every desired key must be in live with a matching value (live may have more:
    server defaults, status). Lists of objects: every desired item must match some live item.
    Lists of scalars and scalars: equal (ints and strings compared as text). An empty desired
    value matches an absent key (the API server omits empty fields).
    """
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return True
        return any(
            (v not in EMPTY) if k not in live else drifted(v, live[k]) for k, v in desired.items()
        )
    if isinstance(desired, list):
        if not isinstance(live, list):
            return True
        if all(not isinstance(x, dict | list) for x in desired):
            return [str(x) for x in desired] != [str(x) for x in live]
        return any(all(drifted(d, x) for x in live) for d in desired)
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is not live
    return str(desired) != str(live)


Obj = dict[str, Any]
ChildKey = tuple[str, str, str]
"""(apiVersion, kind, name) of a child within its stack's namespace."""


@dataclass(frozen=True)
class ParsedSpec:
    """A TradingStack's spec, validated once per generation (the controller caches it)."""

    ts: spec.TradingStackSpec
    error: str = ""
    """Why the spec is invalid ("invalid spec: ..."); `ts` is then the default spec."""
    generation: int = 0


def parse_spec(body: Obj) -> ParsedSpec:
    """Validate the spec of the TradingStack `body` (the CRD's schema and CEL rules should have
    refused an invalid one; say what is wrong anyway)."""
    generation = int((body.get("metadata") or {}).get("generation") or 0)
    try:
        return ParsedSpec(
            spec.TradingStackSpec.model_validate(body.get("spec") or {}), "", generation
        )
    except ValidationError as e:
        error = "invalid spec: " + "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        return ParsedSpec(spec.TradingStackSpec(), error, generation)


def _resource_version(obj: Obj) -> int:
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion") or 0)
    except ValueError:
        return 0


@dataclass
class Children:
    """The live children (and pods) of one stack as last seen: watch events, LISTs and the
    answers to the operator's own applies."""

    objects: dict[ChildKey, Obj] = field(default_factory=dict)
    listed: bool = False
    """Whether every kind was listed once (before that the cache may miss objects)."""

    def put(self, obj: Obj) -> None:
        """Keep `obj` unless what is there is newer (a late watch event after an apply)."""
        meta = obj.get("metadata") or {}
        key = (obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("name", ""))
        old = self.objects.get(key)
        if old is None or _resource_version(obj) >= _resource_version(old):
            self.objects[key] = obj

    def remove(self, api_version: str, kind: str, name: str) -> None:
        self.objects.pop((api_version, kind, name), None)

    def replace_kind(self, api_version: str, kind: str, items: list[Obj]) -> None:
        """What a LIST of one kind answered replaces what was known of that kind."""
        for key in [k for k in self.objects if (k[0], k[1]) == (api_version, kind)]:
            del self.objects[key]
        for obj in items:
            self.put(obj)

    def of_kind(self, kind: str) -> list[Obj]:
        return [obj for (_, k, _), obj in self.objects.items() if k == kind]

    def deployments(self) -> dict[str, Obj]:
        """Live Deployments by workload name."""
        out: dict[str, Obj] = {}
        for obj in self.of_kind("Deployment"):
            workload = ((obj.get("metadata") or {}).get("labels") or {}).get(
                builders.WORKLOAD_LABEL
            )
            if workload:
                out[workload] = obj
        return out


@dataclass
class Result:
    """What one reconcile did."""

    status: Obj
    applied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class Pass:
    """The inputs of one reconcile of one stack."""

    body: Obj
    parsed: ParsedSpec
    opts: builders.Options
    children: Children = field(default_factory=Children)
    ensure_token: bool = True
    relist: bool = False
    """LIST every kind first (also done when `children` was never listed)."""
    apply: bool = True
    """Build, apply and prune; False: only observe and write the status (a pod changed)."""
    health: Mapping[str, status.WorkloadHealth] | None = None
    alerts: Mapping[str, Obj] | None = None
    writes: asyncio.Semaphore | None = None
    """The operator's writes in flight at once, all stacks together (the controller's);
    None: this pass's own limit of 8."""


def _owned_by(obj: Obj, uid: str) -> bool:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("uid") == uid for r in refs)


def _name(m: Obj) -> str:
    return f"{m['kind']}/{m['metadata']['name']}"


def _stack(body: Obj) -> builders.Stack:
    meta = body["metadata"]
    return builders.Stack(name=meta["name"], namespace=meta["namespace"], uid=meta.get("uid", ""))


async def _gather(
    calls: list[Callable[[], Awaitable[None]]], gate: asyncio.Semaphore | None = None
) -> None:
    """Run `calls` concurrently (at most as many at once as `gate` lets through); the first
    error is raised after all of them ended (so the cache holds every write that went
    through)."""
    gate = gate or asyncio.Semaphore(len(calls) or 1)

    async def one(call: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await call()

    results = await asyncio.gather(*(one(c) for c in calls), return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r


async def list_children(
    kube: Kube, stack: builders.Stack, children: Children, middleware: bool
) -> None:
    """One LIST per kind (and the pods), concurrently, into `children`."""
    selector = f"{builders.STACK_LABEL}={stack.name}"
    kinds = list(WATCHED_KINDS)
    if middleware:
        kinds.append((builders.TRAEFIK_MIDDLEWARE_API, "Middleware"))

    def lister(api_version: str, kind: str) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            items = await kube.list(api_version, kind, stack.namespace, selector)
            children.replace_kind(api_version, kind, items)

        return call

    await _gather([lister(v, k) for v, k in kinds])
    children.listed = True


async def _apply(kube: Kube, stack: builders.Stack, job: Pass, result: Result) -> None:
    """Apply what drifted (two waves), then delete what is no longer wanted."""
    desired = builders.build(stack, job.parsed.ts, job.opts)
    if job.ensure_token and await kube.create(
        builders.token_secret(stack, secrets.token_urlsafe(32))
    ):
        result.applied.append(f"Secret/{builders.token_secret_name(stack)}")
    children = job.children

    def applier(m: Obj) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            children.put(await kube.apply(m))
            result.applied.append(_name(m))

        return call

    todo = [
        m
        for m in desired
        if (live := children.objects.get(builders.key(m))) is None or drifted(m, live)
    ]
    gate = job.writes or asyncio.Semaphore(8)
    for wave in (False, True):
        await _gather([applier(m) for m in todo if (m["kind"] in LATER_KINDS) == wave], gate)
    wanted = {builders.key(m) for m in desired}
    kinds = {k for k in CHILD_KINDS if k[1] != "Middleware" or job.opts.traefik_middleware}
    for key, obj in list(children.objects.items()):
        if key in wanted or (key[0], key[1]) in NEVER_PRUNED or (key[0], key[1]) not in kinds:
            continue
        if not _owned_by(obj, stack.uid):
            continue
        await kube.delete(key[0], key[1], stack.namespace, key[2])
        result.deleted.append(f"{key[1]}/{key[2]}")
        children.remove(*key)


async def reconcile(kube: Kube, job: Pass) -> Result:
    """Bring the children of the TradingStack `job.body` to the desired state; write the
    status (a merge patch, only when it changed)."""
    meta = job.body["metadata"]
    stack = _stack(job.body)
    paused = (meta.get("annotations") or {}).get(spec.PAUSE_ANNOTATION) == "true"
    previous = job.body.get("status") or {}
    result = Result(status={})
    observed = status.Observed(error=job.parsed.error)
    try:
        if job.relist or not job.children.listed:
            await list_children(kube, stack, job.children, job.opts.traefik_middleware)
        if job.apply and not paused and not job.parsed.error:
            await _apply(kube, stack, job, result)
    except ApiError as e:
        observed.error = observed.error or f"API error: {e}"
        result.error = str(e)
    observed.deployments = job.children.deployments()
    observed.pods = job.children.of_kind("Pod")
    if result.applied or result.deleted:
        log.info(
            "%s/%s: applied %s; deleted %s",
            stack.namespace,
            stack.name,
            ", ".join(result.applied) or "nothing",
            ", ".join(result.deleted) or "nothing",
        )
    generation = int(meta.get("generation") or 0)
    new = status.compute(
        stack,
        job.parsed.ts,
        observed,
        generation,
        previous,
        paused=paused,
        health=job.health,
        alerts=job.alerts,
    )
    if status.without_times(new) != status.without_times(previous):
        await kube.patch_status(stack.namespace, stack.name, new)
    result.status = new
    return result
