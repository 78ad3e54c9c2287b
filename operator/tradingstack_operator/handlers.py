"""kopf handlers: thin. They only route watch events to per-stack workers that call
`reconcile.reconcile` (builders + server-side apply + status).

No finalizer is put on TradingStacks and nothing is written to them except their status:
children carry owner references, so deleting a TradingStack lets the garbage collector
remove everything, even when the operator is not running.

Each TradingStack gets a worker task that reconciles when woken (the TradingStack's
generation or pause annotation changed, one of its Deployments or Pods changed) and at least
every `TS_OPERATOR_RESYNC_SECONDS` (default 10 s): drift of any child is restored within that
time, a deleted Deployment at once. Failures back off exponentially (up to 60 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

import kopf

from tradingstack_operator import alerts as a
from tradingstack_operator import builders as b
from tradingstack_operator import kube as k
from tradingstack_operator import metrics as m
from tradingstack_operator import spec as s
from tradingstack_operator import watchdog as wd
from tradingstack_operator.reconcile import reconcile

log = logging.getLogger("tradingstack_operator")

Key = tuple[str, str]


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() not in ("0", "false", "no", "off")


def gpus_requested(body: dict[str, Any]) -> int:
    """nvidia.com/gpu the enabled workloads of a TradingStack request (gpu x replicas)."""
    try:
        ts = s.TradingStackSpec.model_validate(body.get("spec") or {})
    except ValueError:
        return 0
    return sum(ts.workload(w.name).gpu * ts.workload(w.name).replicas for w in ts.enabled())


@dataclass
class Worker:
    """The reconcile loop of one TradingStack."""

    key: Key
    body: dict[str, Any]
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    seen: tuple[int, str] = (-1, "")
    reconciles: int = 0
    watch: wd.StackWatch = field(default_factory=wd.StackWatch)
    health_task: asyncio.Task[None] | None = None


@dataclass
class Controller:
    """All workers of this operator process, and what they share."""

    kube: k.Kube
    resync: float = 10.0
    debounce: float = 0.5
    workers: dict[Key, Worker] = field(default_factory=dict)
    reconciles: int = 0
    health_checks: bool = True
    notifier: a.Notifier = field(default_factory=a.Notifier)
    watchdog: wd.Watchdog | None = None
    server: m.Server | None = None
    _closing: set[asyncio.Task[None]] = field(default_factory=set)
    _opts: b.Options | None = None
    _opts_at: float = 0.0

    async def options(self) -> b.Options:
        """Cluster facts for the builders, refreshed every minute."""
        if self._opts is None or time.monotonic() - self._opts_at > 60:
            try:
                has = await self.kube.has_api(b.TRAEFIK_MIDDLEWARE_API, "Middleware")
            except k.ApiError:
                has = self._opts.traefik_middleware if self._opts else False
            self._opts = b.Options(
                traefik_middleware=has,
                status_url=os.environ.get("TS_OPERATOR_STATUS_URL") or None,
            )
            self._opts_at = time.monotonic()
        return self._opts

    def observe(self, body: dict[str, Any], deleted: bool) -> None:
        """A TradingStack event: start, wake or stop its worker."""
        meta = body.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        if deleted or meta.get("deletionTimestamp"):
            worker = self.workers.pop(key, None)
            if worker:
                for task in (worker.task, worker.health_task):
                    if task:
                        task.cancel()
                m.forget_stack(*key)
                closing = asyncio.create_task(worker.watch.aclose())
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            return
        worker = self.workers.get(key)
        if worker is None:
            worker = self.workers[key] = Worker(key=key, body=body)
            worker.task = asyncio.create_task(self._loop(worker), name=f"ts:{key[0]}/{key[1]}")
            if self.health_checks:
                worker.health_task = asyncio.create_task(
                    self._health_loop(worker), name=f"ts-health:{key[0]}/{key[1]}"
                )
        worker.body = body
        paused = (meta.get("annotations") or {}).get(s.PAUSE_ANNOTATION, "")
        seen = (int(meta.get("generation") or 0), paused)
        if seen != worker.seen:
            worker.wake.set()

    def poke(self, namespace: str, stack: str) -> None:
        """A child changed: reconcile its stack soon."""
        worker = self.workers.get((namespace, stack))
        if worker is not None:
            worker.wake.set()

    async def _loop(self, worker: Worker) -> None:
        backoff = 1.0
        last_token_check = -1e9
        while True:
            body = worker.body
            meta = body["metadata"]
            paused = (meta.get("annotations") or {}).get(s.PAUSE_ANNOTATION, "")
            worker.seen = (int(meta.get("generation") or 0), paused)
            worker.wake.clear()
            # the token Secret is created once; re-checked now and then (one POST, 409 when
            # it exists) so that a deleted one comes back
            ensure_token = time.monotonic() - last_token_check > max(60.0, 5 * self.resync)
            started = time.perf_counter()
            try:
                result = await reconcile(
                    self.kube,
                    body,
                    await self.options(),
                    ensure_token,
                    health=worker.watch.health if self.health_checks else None,
                    alerts=worker.watch.alert_state,
                )
                worker.reconciles += 1
                self.reconciles += 1
                if ensure_token and not result.error:
                    last_token_check = time.monotonic()
                if result.status:
                    body["status"] = result.status
                    ready = any(
                        c.get("type") == "Ready" and c.get("status") == "True"
                        for c in result.status.get("conditions") or []
                    )
                    m.STACK_READY.labels(*worker.key).set(1 if ready else 0)
                m.GPUS_REQUESTED.labels(*worker.key).set(gpus_requested(body))
                if result.error:
                    m.RECONCILE_ERRORS.labels(*worker.key).inc()
                delay = self.resync if not result.error else min(backoff, self.resync)
                backoff = 1.0 if not result.error else min(backoff * 2, 60.0)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # keep the worker alive; report and back off
                log.warning("%s/%s: reconcile failed: %s", *worker.key, e)
                m.RECONCILE_ERRORS.labels(*worker.key).inc()
                delay = backoff
                backoff = min(backoff * 2, 60.0)
            m.RECONCILES.labels(*worker.key).inc()
            m.RECONCILE_DURATION.labels(*worker.key).observe(time.perf_counter() - started)
            try:
                await asyncio.wait_for(worker.wake.wait(), timeout=delay)
                await asyncio.sleep(self.debounce)  # coalesce bursts of events
            except TimeoutError:
                pass  # the periodic resync

    async def _health_loop(self, worker: Worker) -> None:
        """The watchdog of one stack: a sweep every spec.alerting.intervalSeconds."""
        assert self.watchdog is not None
        while True:
            started = time.monotonic()
            interval = 30.0
            try:
                alerting = (worker.body.get("spec") or {}).get("alerting") or {}
                interval = float(alerting.get("intervalSeconds") or 30)
                decision = await self.watchdog.sweep(worker.body, worker.watch)
                if decision is not None:
                    worker.wake.set()  # the reconcile worker writes the status
            except asyncio.CancelledError:
                raise
            except Exception as e:  # keep checking; report
                log.warning("%s/%s: health sweep failed: %s", *worker.key, e)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    def status_api(self) -> list[dict[str, Any]]:
        """The read-only status of every TradingStack (the status API's answer)."""
        out = []
        for (ns, name), worker in sorted(self.workers.items()):
            st = worker.body.get("status") or {}
            conditions = st.get("conditions") or []
            out.append(
                {
                    "namespace": ns,
                    "name": name,
                    "ready": any(
                        c.get("type") == "Ready" and c.get("status") == "True" for c in conditions
                    ),
                    "servicesReady": st.get("servicesReady", ""),
                    "url": st.get("url", ""),
                    "conditions": conditions,
                    "services": st.get("services") or [],
                    "alerts": worker.watch.alert_state,
                    "lastHealthCheck": (
                        worker.watch.last_sweep.isoformat() if worker.watch.last_sweep else None
                    ),
                    "healthChecks": worker.watch.sweeps,
                }
            )
        return out

    async def stop(self) -> None:
        tasks = [t for w in self.workers.values() for t in (w.task, w.health_task) if t]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for w in self.workers.values():
            await w.watch.aclose()
        self.workers.clear()
        if self.server is not None:
            await self.server.stop()
        await self.notifier.stop()
        await self.kube.close()


# ---- kopf wiring ------------------------------------------------------------------------


@kopf.on.login()
async def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """Same identity as our own client: $KUBECONFIG (read at start) or the service account."""
    if os.environ.get("KUBERNETES_SERVICE_HOST") and not os.environ.get("KUBECONFIG"):
        return kopf.login_with_service_account(**kwargs)
    cfg = await k.load_configuration()
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


CURRENT: list[Controller] = []
"""The controller of the operator running in this process (for tests and benchmarks)."""


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.peering.standalone = True
    # kopf logs every handled watch event at INFO ("Handler ... succeeded"): too chatty here
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.networking.error_backoffs = [1, 2, 4, 8, 16]
    kube = await k.Kube.connect()
    controller = Controller(
        kube=kube,
        resync=_env_float("TS_OPERATOR_RESYNC_SECONDS", 10.0),
        debounce=_env_float("TS_OPERATOR_DEBOUNCE_SECONDS", 0.5),
        health_checks=_env_bool("TS_OPERATOR_HEALTH_CHECKS", True),
    )
    controller.notifier.start()
    controller.watchdog = wd.Watchdog(kube, controller.notifier)
    controller.server = m.Server(controller.status_api)
    try:
        port = await controller.server.start()
    except OSError as e:  # the port is taken: run on without /metrics rather than not at all
        log.error("cannot serve /metrics and /status: %s", e)
        await controller.server.stop()
        port = None
    if port is not None:
        log.info("metrics and status API on port %d (/metrics, /status)", port)
    memo.controller = controller
    CURRENT[:] = [controller]


@kopf.on.cleanup()
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    controller: Controller | None = getattr(memo, "controller", None)
    if controller is not None:
        await controller.stop()
        if controller in CURRENT:
            CURRENT.remove(controller)


@kopf.on.event(s.GROUP, s.VERSION, s.PLURAL)
async def tradingstack_event(event: kopf.RawEvent, body: kopf.Body, memo: Any, **_: Any) -> None:
    controller: Controller = memo.controller
    controller.observe(copy.deepcopy(dict(body)), deleted=event.get("type") == "DELETED")


@kopf.on.event("apps", "v1", "deployments", labels={"app.kubernetes.io/managed-by": b.MANAGER})
async def deployment_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.poke(body.metadata.namespace or "", body.metadata.labels.get(b.STACK_LABEL, ""))


@kopf.on.event("v1", "pods", labels={"app.kubernetes.io/managed-by": b.MANAGER})
async def pod_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.poke(body.metadata.namespace or "", body.metadata.labels.get(b.STACK_LABEL, ""))


@kopf.on.probe(id="workers")
async def probe_workers(memo: kopf.Memo, **_: Any) -> int:
    """Liveness detail: how many TradingStacks this process reconciles."""
    controller: Controller | None = getattr(memo, "controller", None)
    return len(controller.workers) if controller else 0
