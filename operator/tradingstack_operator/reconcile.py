"""One reconcile of one TradingStack: builders -> server-side apply -> prune -> status.

The live children are listed once per kind; a desired manifest is applied only when the live
object differs from it (`drifted`), so a converged stack costs a handful of GET requests and
no writes. Children of a disabled workload are deleted, except its PersistentVolumeClaims
(data survives a temporary disable; they go with the TradingStack through garbage collection).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tradingstack_operator import builders as b
from tradingstack_operator import spec as s
from tradingstack_operator import status as st
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
    (b.TRAEFIK_MIDDLEWARE_API, "Middleware"),
]
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


@dataclass
class Result:
    """What one reconcile did."""

    status: dict[str, Any]
    applied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    error: str = ""


def _owned_by(obj: dict[str, Any], uid: str) -> bool:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("uid") == uid for r in refs)


def _name(m: dict[str, Any]) -> str:
    return f"{m['kind']}/{m['metadata']['name']}"


async def reconcile(
    kube: Kube,
    body: dict[str, Any],
    opts: b.Options,
    ensure_token: bool = True,
    health: Mapping[str, st.WorkloadHealth] | None = None,
    alerts: Mapping[str, dict[str, Any]] | None = None,
) -> Result:
    """Bring the children of the TradingStack `body` to the desired state; write the status."""
    meta = body["metadata"]
    stack = b.Stack(name=meta["name"], namespace=meta["namespace"], uid=meta.get("uid", ""))
    generation = int(meta.get("generation") or 0)
    paused = (meta.get("annotations") or {}).get(s.PAUSE_ANNOTATION) == "true"
    previous = body.get("status") or {}
    selector = f"{b.STACK_LABEL}={stack.name}"
    result = Result(status={})
    observed = st.Observed()
    skip_apply = paused
    try:
        ts = s.TradingStackSpec.model_validate(body.get("spec") or {})
    except ValidationError as e:
        # the CRD's schema and CEL rules should have refused it; say what is wrong anyway
        ts = s.TradingStackSpec()
        observed.error = "invalid spec: " + "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        skip_apply = True
    live_deployments: dict[str, dict[str, Any]] = {}
    try:
        if not skip_apply:
            desired = b.build(stack, ts, opts)
            if ensure_token and await kube.create(b.token_secret(stack, secrets.token_urlsafe(32))):
                result.applied.append(f"Secret/{b.token_secret_name(stack)}")
            kinds = [k for k in CHILD_KINDS if k[1] != "Middleware" or opts.traefik_middleware]
            wanted = {b.key(m) for m in desired}
            live: dict[tuple[str, str, str], dict[str, Any]] = {}
            for api_version, kind in kinds:
                for obj in await kube.list(api_version, kind, stack.namespace, selector):
                    live[(api_version, kind, obj["metadata"]["name"])] = obj
            for m in desired:
                current = live.get(b.key(m))
                if current is None or drifted(m, current):
                    live[b.key(m)] = await kube.apply(m)
                    result.applied.append(_name(m))
            for k, obj in list(live.items()):
                if k in wanted or (k[0], k[1]) in NEVER_PRUNED or not _owned_by(obj, stack.uid):
                    continue
                await kube.delete(k[0], k[1], stack.namespace, k[2])
                result.deleted.append(f"{k[1]}/{k[2]}")
                del live[k]
            for (_, kind, _), obj in live.items():
                if kind == "Deployment":
                    w = (obj["metadata"].get("labels") or {}).get(b.WORKLOAD_LABEL)
                    if w:
                        live_deployments[w] = obj
        else:
            for obj in await kube.list("apps/v1", "Deployment", stack.namespace, selector):
                w = (obj["metadata"].get("labels") or {}).get(b.WORKLOAD_LABEL)
                if w:
                    live_deployments[w] = obj
        observed.deployments = live_deployments
        observed.pods = await kube.list("v1", "Pod", stack.namespace, selector)
    except ApiError as e:
        observed.error = observed.error or f"API error: {e}"
        observed.deployments = live_deployments
        result.error = str(e)
    if result.applied or result.deleted:
        log.info(
            "%s/%s: applied %s; deleted %s",
            stack.namespace,
            stack.name,
            ", ".join(result.applied) or "nothing",
            ", ".join(result.deleted) or "nothing",
        )
    status = st.compute(
        stack, ts, observed, generation, previous, paused=paused, health=health, alerts=alerts
    )
    if st.without_times(status) != st.without_times(previous):
        await kube.patch_status(stack.namespace, stack.name, status)
    result.status = status
    return result
