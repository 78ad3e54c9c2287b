"""kopf handlers: thin. They route watch events to the controller (`controller.py`: one
reconcile worker per TradingStack, and why it is not a kopf daemon) and nothing else.

Watched: TradingStacks, every kind of child the operator creates and the pods of its
Deployments (all with the operator's `app.kubernetes.io/managed-by` label), so the
controller knows the live children without asking (`reconcile.Children`).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import kopf

from tradingstack_operator import builders, controller, kube, spec
from tradingstack_operator.settings import OperatorSettings

MANAGED = {"app.kubernetes.io/managed-by": builders.MANAGER}
CHILD_RESOURCES: list[tuple[str, ...]] = [
    ("v1", "serviceaccounts"),
    ("v1", "configmaps"),
    ("v1", "persistentvolumeclaims"),
    ("networking.k8s.io", "v1", "networkpolicies"),
    ("v1", "services"),
    ("apps", "v1", "deployments"),
    ("networking.k8s.io", "v1", "ingresses"),
    ("v1", "pods"),
]
"""What `reconcile.WATCHED_KINDS` names, as kopf resources."""

CURRENT = controller.CURRENT
"""The controller of the operator running in this process (for tests and benchmarks)."""


def _settings(memo: Any) -> OperatorSettings:
    """The settings `main.run` read (kopf's memo), else read now (e.g. under KopfRunner)."""
    settings = getattr(memo, "settings", None)
    if not isinstance(settings, OperatorSettings):
        settings = OperatorSettings()
        memo.settings = settings
    return settings


@kopf.on.login()
async def login(memo: kopf.Memo, **kwargs: Any) -> kopf.ConnectionInfo | None:
    """Same identity as our own client: $KUBECONFIG or the service account."""
    settings = _settings(memo)
    if settings.use_service_account():
        return kopf.login_with_service_account(**kwargs)
    cfg = await kube.load_configuration(settings)
    header = cfg.api_key.get("BearerToken") or cfg.api_key.get("authorization") or ""
    prefix = cfg.api_key_prefix.get("BearerToken") or cfg.api_key_prefix.get("authorization")
    token = header.split(" ", 1)[-1] if header else None
    return kopf.ConnectionInfo(
        server=cfg.host or "",
        ca_path=cfg.ssl_ca_cert,
        insecure=not cfg.verify_ssl,
        scheme=prefix or ("Bearer" if token else None),
        token=token or None,
        certificate_path=cfg.cert_file,
        private_key_path=cfg.key_file,
    )


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.peering.standalone = True
    # kopf logs every handled watch event at INFO ("Handler ... succeeded"): too chatty here
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.error_backoffs = [1, 2, 4, 8, 16]
    memo.controller = await controller.Controller.start(_settings(memo))
    controller.CURRENT[:] = [memo.controller]


@kopf.on.cleanup()
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    current: controller.Controller | None = getattr(memo, "controller", None)
    if current is not None:
        await current.stop()
        if current in controller.CURRENT:
            controller.CURRENT.remove(current)


@kopf.on.event(spec.GROUP, spec.VERSION, spec.PLURAL)
async def tradingstack_event(event: kopf.RawEvent, body: kopf.Body, memo: Any, **_: Any) -> None:
    memo.controller.observe(copy.deepcopy(dict(body)), deleted=event.get("type") == "DELETED")


async def child_event(event: kopf.RawEvent, memo: Any, **_: Any) -> None:
    """A child or pod of some TradingStack was listed, added, changed or deleted."""
    obj = copy.deepcopy(dict(event["object"]))
    memo.controller.child_event(obj, deleted=event.get("type") == "DELETED")


for _resource in CHILD_RESOURCES:
    kopf.on.event(*_resource, labels=MANAGED)(child_event)


@kopf.on.probe(id="workers")
async def probe_workers(memo: kopf.Memo, **_: Any) -> int:
    """Liveness detail: how many TradingStacks this process reconciles."""
    current: controller.Controller | None = getattr(memo, "controller", None)
    return len(current.workers) if current else 0
