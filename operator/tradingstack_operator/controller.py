"""The controller: one reconcile worker (and one watchdog task) per TradingStack.

`handlers.py` only routes kopf's watch events here. Each TradingStack gets a worker task that
reconciles (`reconcile.reconcile`) when woken and at least every `resync_seconds` (default
10 s): its generation or pause annotation changed, a child was created, deleted or changed
its spec (a full pass: build, apply what drifted, prune, status), or one of its pods or a
Deployment's status changed (a status-only pass). Events that arrive during a pass are
coalesced into the next one: a spec or child change is reconciled at once, and the
status-only passes of one stack run at most every `status_interval_seconds` (1 s), so a burst
of pod events is one status write and the writes that create children go first. Failures
back off exponentially (up to 60 s). A new generation never waits for the pass in flight:
that pass is dropped (`_preemptible_pass`) and the new spec is applied at once, even while
a request of the old pass is being retried.

The live children come from the watches (`reconcile.Children`), listed once when a worker
starts and again every `maintenance` period (with the token Secret's re-check), so a
converged reconcile sends no request. The spec is validated once per generation
(`Worker.parsed`).

Why not kopf daemons or timers (which would give "one task per object" for free): kopf puts
a finalizer on every object that has a daemon or timer, to stop it before the object goes.
Then deleting a TradingStack hangs while the operator is not running, and the operator writes
to TradingStacks beyond their status. Here nothing but the status is written to a
TradingStack: children carry owner references, so deleting a TradingStack lets the garbage
collector remove everything, even when the operator is not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from tradingstack_operator import alerts, builders, metrics, reconcile, spec, status
from tradingstack_operator.kube import ApiError, Kube
from tradingstack_operator.settings import OperatorSettings
from tradingstack_operator.watchdog import StackWatch, Watchdog

log = logging.getLogger("tradingstack_operator")

Key = tuple[str, str]
"""(namespace, name) of a TradingStack."""
Obj = dict[str, Any]


def gpus_requested(parsed: reconcile.ParsedSpec) -> int:
    """nvidia.com/gpu the enabled workloads of a TradingStack request (gpu x replicas)."""
    if parsed.error:
        return 0
    ts = parsed.ts
    return sum(ts.workload(w.name).gpu * ts.workload(w.name).replicas for w in ts.enabled())


def _seen(body: Obj) -> tuple[int, str]:
    """What wakes a worker when it changes: the generation and the pause annotation."""
    meta = body.get("metadata") or {}
    paused = (meta.get("annotations") or {}).get(spec.PAUSE_ANNOTATION, "")
    return int(meta.get("generation") or 0), paused


@dataclass
class Worker:
    """The reconcile loop of one TradingStack."""

    key: Key
    body: Obj
    children: reconcile.Children = field(default_factory=reconcile.Children)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    urgent: asyncio.Event = field(default_factory=asyncio.Event)
    """Set with `apply_needed`: a status-only hold ends at once."""
    newer: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the generation or pause annotation changed: the pass in flight is dropped."""
    apply_needed: bool = True
    """The next pass builds and applies (else it only writes the status)."""
    task: asyncio.Task[None] | None = None
    seen: tuple[int, str] = (-1, "")
    reconciles: int = 0
    maintained_at: float = -1e9
    """When the token Secret was last ensured and the children listed."""
    watch: StackWatch = field(default_factory=StackWatch)
    health_task: asyncio.Task[None] | None = None
    _parsed: reconcile.ParsedSpec | None = None
    _parsed_for: tuple[str, int] = ("", -1)

    def parsed(self) -> reconcile.ParsedSpec:
        """The validated spec of the current body: parsed once per (uid, generation)."""
        meta = self.body.get("metadata") or {}
        at = (str(meta.get("uid", "")), int(meta.get("generation") or 0))
        if self._parsed is None or at != self._parsed_for:
            self._parsed = reconcile.parse_spec(self.body)
            self._parsed_for = at
        return self._parsed


@dataclass
class Controller:
    """All workers of this operator process, and what they share."""

    kube: Kube
    settings: OperatorSettings = field(default_factory=OperatorSettings)
    workers: dict[Key, Worker] = field(default_factory=dict)
    children: dict[Key, reconcile.Children] = field(default_factory=dict)
    """The live children of every stack (also of stacks whose event has not come yet)."""
    reconciles: int = 0
    notifier: alerts.Notifier = field(default_factory=alerts.Notifier)
    watchdog: Watchdog | None = None
    server: metrics.Server | None = None
    _closing: set[asyncio.Task[None]] = field(default_factory=set)
    _opts: builders.Options | None = None
    _opts_at: float = 0.0
    _writes: asyncio.Semaphore | None = None

    def __post_init__(self) -> None:
        self._writes = asyncio.Semaphore(self.settings.apply_concurrency)

    @classmethod
    async def start(cls, settings: OperatorSettings) -> Controller:
        """Connect, start the alert sender, the watchdog and the metrics/status server."""
        controller = cls(
            kube=await Kube.connect(settings),
            settings=settings,
            notifier=alerts.Notifier(telegram_api_url=settings.telegram_api_url),
        )
        controller.notifier.start()
        controller.watchdog = Watchdog(controller.kube, controller.notifier, settings.probe_urls)
        controller.server = metrics.Server(controller.status_api)
        try:
            port = await controller.server.start(settings.metrics_address, settings.metrics_port)
        except OSError as e:  # the port is taken: run on without /metrics rather than not at all
            log.error("cannot serve /metrics and /status: %s", e)
            await controller.server.stop()
            port = None
        if port is not None:
            log.info("metrics and status API on port %d (/metrics, /status)", port)
        return controller

    @property
    def maintenance(self) -> float:
        """How often a worker re-lists the children and re-checks the token Secret (one
        POST, 409 when it exists, so that a deleted one comes back)."""
        return max(60.0, 5 * self.settings.resync_seconds)

    async def options(self) -> builders.Options:
        """Cluster facts for the builders, refreshed every minute."""
        if self._opts is None or time.monotonic() - self._opts_at > 60:
            try:
                has = await self.kube.has_api(builders.TRAEFIK_MIDDLEWARE_API, "Middleware")
            except ApiError:
                has = self._opts.traefik_middleware if self._opts else False
            self._opts = builders.Options(
                traefik_middleware=has, status_url=self.settings.status_url or None
            )
            self._opts_at = time.monotonic()
        return self._opts

    # ---- events --------------------------------------------------------------------------

    def observe(self, body: Obj, deleted: bool) -> None:
        """A TradingStack event: start, wake or stop its worker."""
        meta = body.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        if deleted or meta.get("deletionTimestamp"):
            self._forget(key)
            return
        worker = self.workers.get(key)
        if worker is None:
            children = self.children.setdefault(key, reconcile.Children())
            worker = self.workers[key] = Worker(key=key, body=body, children=children)
            log.info("%s/%s: reconciling (generation %s)", *key, meta.get("generation"))
            worker.task = asyncio.create_task(self._loop(worker), name=f"ts:{key[0]}/{key[1]}")
            if self.settings.health_checks:
                worker.health_task = asyncio.create_task(
                    self._health_loop(worker), name=f"ts-health:{key[0]}/{key[1]}"
                )
        worker.body = body
        if _seen(body) != worker.seen:
            worker.apply_needed = True
            worker.urgent.set()
            worker.wake.set()
            worker.newer.set()

    def _forget(self, key: Key) -> None:
        self.children.pop(key, None)
        worker = self.workers.pop(key, None)
        if worker is None:
            return
        log.info("%s/%s: deleted: its worker stops", *key)
        for task in (worker.task, worker.health_task):
            if task:
                task.cancel()
        metrics.forget_stack(*key)
        closing = asyncio.create_task(worker.watch.aclose())
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    def poke(self, namespace: str, stack: str, apply: bool = True) -> None:
        """Something of the stack changed: reconcile it soon (`apply`: a full pass)."""
        worker = self.workers.get((namespace, stack))
        if worker is not None:
            worker.apply_needed = worker.apply_needed or apply
            if apply:
                worker.urgent.set()
            worker.wake.set()

    def child_event(self, obj: Obj, deleted: bool) -> None:
        """A watch event of a child or pod: into the stack's cache; wake its worker. A full
        pass when a child came, went or changed its spec (metadata.generation; kinds without
        one on every change); a status-only pass for pods and status changes."""
        meta = obj.get("metadata") or {}
        stack = (meta.get("labels") or {}).get(builders.STACK_LABEL)
        if not stack:
            return
        key = (meta.get("namespace", ""), stack)
        if deleted and key not in self.children:
            return  # the stack is gone (garbage collection of its children)
        children = self.children.setdefault(key, reconcile.Children())
        child = (obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("name", ""))
        old = children.objects.get(child)
        if deleted:
            children.remove(*child)
        else:
            children.put(obj)
        old_generation = ((old or {}).get("metadata") or {}).get("generation")
        changed_spec = deleted or old is None or old_generation != meta.get("generation")
        if "generation" not in meta and old is not None and not deleted:
            changed_spec = old.get("spec") != obj.get("spec") or old.get("data") != obj.get("data")
        self.poke(key[0], stack, apply=child[1] != "Pod" and changed_spec)

    # ---- the loops -----------------------------------------------------------------------

    async def _loop(self, worker: Worker) -> None:
        backoff = 1.0
        while True:
            ok = await self._preemptible_pass(worker)
            passed = time.monotonic()
            delay = self.settings.resync_seconds if ok else min(backoff, 60.0)
            backoff = 1.0 if ok else min(backoff * 2, 60.0)
            try:
                await asyncio.wait_for(worker.wake.wait(), timeout=delay)
            except TimeoutError:
                worker.apply_needed = True  # the periodic resync: drift is restored
                continue
            if self.settings.debounce_seconds:
                await asyncio.sleep(self.settings.debounce_seconds)
            hold = passed + self.settings.status_interval_seconds - time.monotonic()
            if not worker.apply_needed and hold > 0:  # pods changed: one write per burst
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(worker.urgent.wait(), timeout=hold)

    async def _preemptible_pass(self, worker: Worker) -> bool:
        """`_pass`, dropped when a new generation (or pause) of the stack comes during it.

        A pass can wait long on the API: each request is retried (5 tries, 30 s each, on a
        5xx, 429 or timeout), so a slow or failing write held a spec change back for minutes.
        A new generation cancels the pass in flight (its applies are idempotent) and the next
        pass, for the new spec, starts at once."""
        worker.newer.clear()
        current = asyncio.create_task(self._pass(worker), name=f"pass:{worker.key}")
        newer = asyncio.create_task(worker.newer.wait())
        try:
            await asyncio.wait({current, newer}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the loop is stopped
            current.cancel()
            raise
        finally:
            newer.cancel()
        if not current.done():
            current.cancel()
            await asyncio.wait({current})
        if current.cancelled():
            log.info("%s/%s: a new generation: the pass in flight is dropped", *worker.key)
            worker.apply_needed = True
            worker.wake.set()
            return True
        return current.result()

    async def _pass(self, worker: Worker) -> bool:
        """One reconcile of the worker's stack; False when it failed."""
        worker.seen = _seen(worker.body)
        worker.wake.clear()
        worker.urgent.clear()
        apply, worker.apply_needed = worker.apply_needed, False
        maintain = time.monotonic() - worker.maintained_at > self.maintenance
        parsed = worker.parsed()
        job = reconcile.Pass(
            body=worker.body,
            parsed=parsed,
            opts=await self.options(),
            children=worker.children,
            ensure_token=maintain,
            relist=maintain,
            apply=apply or maintain,
            health=worker.watch.health if self.settings.health_checks else None,
            alerts=worker.watch.alert_state,
            writes=self._writes,
        )
        labels = worker.key
        started = time.perf_counter()
        ok = False
        try:
            result = await reconcile.reconcile(self.kube, job)
            ok = not result.error
            if result.status:
                worker.body["status"] = result.status
                metrics.STACK_READY.labels(*labels).set(1 if status.is_ready(result.status) else 0)
            metrics.GPUS_REQUESTED.labels(*labels).set(gpus_requested(parsed))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # keep the worker alive; report and back off
            log.warning("%s/%s: reconcile failed: %s", *labels, e)
        worker.reconciles += 1
        self.reconciles += 1
        if ok and maintain:
            worker.maintained_at = time.monotonic()
        if not ok:
            worker.apply_needed = True
            metrics.RECONCILE_ERRORS.labels(*labels).inc()
        metrics.RECONCILES.labels(*labels).inc()
        metrics.RECONCILE_DURATION.labels(*labels).observe(time.perf_counter() - started)
        return ok

    async def _health_loop(self, worker: Worker) -> None:
        """The watchdog of one stack: a sweep every spec.alerting.intervalSeconds."""
        assert self.watchdog is not None
        while True:
            started = time.monotonic()
            parsed = worker.parsed()
            interval = float(parsed.ts.alerting.interval_seconds or 30)
            try:
                if not parsed.error:
                    decision = await self.watchdog.sweep(worker.body, worker.watch, parsed.ts)
                    if decision is not None:
                        self.poke(*worker.key, apply=False)  # the worker writes the status
            except asyncio.CancelledError:
                raise
            except Exception as e:  # keep checking; report
                log.warning("%s/%s: health sweep failed: %s", *worker.key, e)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    # ---- the status API and shutdown -----------------------------------------------------

    def status_api(self) -> list[Obj]:
        """The read-only status of every TradingStack (the status API's answer)."""
        out = []
        for (ns, name), worker in sorted(self.workers.items()):
            st = worker.body.get("status") or {}
            out.append(
                {
                    "namespace": ns,
                    "name": name,
                    "ready": status.is_ready(st),
                    "servicesReady": st.get("servicesReady", ""),
                    "url": st.get("url", ""),
                    "conditions": st.get("conditions") or [],
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
        self.children.clear()
        if self.server is not None:
            await self.server.stop()
        await self.notifier.stop()
        await self.kube.close()


CURRENT: list[Controller] = []
"""The controller of the operator running in this process (for tests and benchmarks)."""
