"""The watchdog: health checks of every TradingStack's workloads, Events and alerts.

Each TradingStack gets its own task (next to its reconcile worker) that every
`spec.alerting.intervalSeconds` probes every enabled workload concurrently with the shared
probe code (`tradingstack.core.health`), then wakes the reconcile worker, which writes the
results into `status.services[]` and the conditions (`status.compute`). The decisions (which
Events, which alerts) are the pure function `decide`.

A workload counts as down when its health check fails while its pods are ready (or after it
was healthy once): a rollout in progress is not an outage. Every change of that verdict is a
Kubernetes Event on the TradingStack (`ServiceDown`, Warning / `ServiceRecovered`, Normal).
With `alerting.enabled`, a critical workload that goes down is announced once (then nothing
more for it until `cooldownSeconds` after that alert), and its recovery once. The alert state
lives in `status.alerts`, and a restarted operator starts from it: no repeated alerts.

Probe URLs: `http://<stack>-<workload>.<namespace>.svc:<port><health_path>`, or what the
operator's settings say (`TS_OPERATOR_PROBE_URLS`, `OperatorSettings.probe_urls`): a JSON
object whose keys are `namespace/stack/workload`, `stack/workload`, `workload` or `*` (most
specific wins) and whose values are URLs or templates with `{namespace}`, `{stack}`,
`{workload}`, `{port}`, `{health_path}` (for services running outside the cluster, as in the
tests).
"""

from __future__ import annotations

import base64
import logging
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from tradingstack.core import catalog
from tradingstack.core.health import ProbeResult, plain_probe_names, probe_many

from tradingstack_operator import alerts, builders, metrics, spec
from tradingstack_operator.kube import ApiError, Kube
from tradingstack_operator.status import WorkloadHealth

log = logging.getLogger("tradingstack_operator.watchdog")

Obj = dict[str, Any]
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _ts(t: datetime) -> str:
    return t.strftime(TIME_FORMAT)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


# ---- probe URLs ---------------------------------------------------------------------------


def probe_url(stack: builders.Stack, w: catalog.Workload, overrides: Mapping[str, str]) -> str:
    """Where the watchdog asks `w` for its health."""
    for key in (f"{stack.namespace}/{stack.name}/{w.name}", f"{stack.name}/{w.name}", w.name, "*"):
        if key in overrides:
            return overrides[key].format(
                namespace=stack.namespace,
                stack=stack.name,
                workload=w.name,
                port=w.port,
                health_path=w.health_path,
            )
    return f"http://{stack.child(w.name)}.{stack.namespace}.svc:{w.port}{w.health_path}"


def probe_targets(
    stack: builders.Stack, ts: spec.TradingStackSpec, overrides: Mapping[str, str]
) -> dict[str, str]:
    return {w.name: probe_url(stack, w, overrides) for w in ts.enabled()}


# ---- decisions (pure) ---------------------------------------------------------------------


@dataclass
class Decision:
    events: list[tuple[str, str, str]] = field(default_factory=list)
    """(type, reason, message) of each Event to post."""
    alerts: list[tuple[str, bool, str]] = field(default_factory=list)
    """(workload, down, detail) of each alert to send."""
    suppressed: list[str] = field(default_factory=list)
    """Workloads whose down alert the cooldown held back."""
    down: dict[str, bool] = field(default_factory=dict)
    """The new down verdict per workload."""
    alert_state: dict[str, Obj] = field(default_factory=dict)
    """The new `status.alerts`."""


def pods_ready(status: Obj | None) -> dict[str, bool]:
    """Per workload: all desired pods ready (from the reconcile's `status.services[]`)."""
    out: dict[str, bool] = {}
    for svc in (status or {}).get("services") or []:
        desired = int(svc.get("desiredReplicas") or 0)
        out[str(svc.get("name"))] = desired > 0 and int(svc.get("readyReplicas") or 0) >= desired
    return out


def decide(
    health: Mapping[str, WorkloadHealth],
    ready_pods: Mapping[str, bool],
    reported_down: Mapping[str, bool],
    alert_state: Mapping[str, Obj],
    alerting: spec.AlertingSpec,
    now: datetime,
) -> Decision:
    """Events and alerts for the new health results."""
    d = Decision(alert_state={k: dict(v) for k, v in alert_state.items()})
    by_name = {w.name: w for w in catalog.WORKLOADS}
    for name, h in health.items():
        w = by_name.get(name)
        if w is None:
            continue
        down = not h.result.healthy and (ready_pods.get(name, False) or h.ever_healthy)
        d.down[name] = down
        detail = h.result.error or h.result.status
        if down != reported_down.get(name, False):
            if down:
                d.events.append(("Warning", "ServiceDown", f"{name} is down: {detail}"))
            else:
                d.events.append(("Normal", "ServiceRecovered", f"{name} is healthy again"))
        if not alerting.enabled or not alerting.is_critical(w):
            continue
        state = d.alert_state.get(name) or {}
        if down and not state.get("down"):
            last = _parse(state.get("lastDownAlertTime"))
            if last is not None and (now - last).total_seconds() < alerting.cooldown_seconds:
                if not reported_down.get(name, False):
                    d.suppressed.append(name)
                continue
            d.alerts.append((name, True, detail))
            d.alert_state[name] = {
                "down": True,
                "lastAlertTime": _ts(now),
                "lastDownAlertTime": _ts(now),
            }
        elif h.result.healthy and state.get("down"):
            d.alerts.append((name, False, ""))
            d.alert_state[name] = {
                "down": False,
                "lastAlertTime": _ts(now),
                "lastDownAlertTime": state.get("lastDownAlertTime"),
            }
    return d


def _health(
    results: Mapping[str, ProbeResult],
    previous: Mapping[str, WorkloadHealth],
    labels: tuple[str, str],
) -> dict[str, WorkloadHealth]:
    """The new health of each workload (failures in a row counted on), with its metrics."""
    health: dict[str, WorkloadHealth] = {}
    for name, r in results.items():
        prev = previous.get(name)
        failures = 0 if r.healthy else (prev.failures if prev else 0) + 1
        ever = r.healthy or bool(prev and prev.ever_healthy)
        health[name] = WorkloadHealth(result=r, failures=failures, ever_healthy=ever)
        metrics.WORKLOAD_UP.labels(*labels, name).set(1 if r.healthy else 0)
        metrics.WORKLOAD_FAILURES.labels(*labels, name).set(failures)
        metrics.PROBES.labels(*labels, name, "healthy" if r.healthy else "unhealthy").inc()
        if r.latency_seconds is not None:
            metrics.PROBE_DURATION.labels(*labels, name).observe(r.latency_seconds)
    for name in set(previous) - set(health):  # disabled since the last sweep
        try:
            metrics.WORKLOAD_UP.remove(*labels, name)
            metrics.WORKLOAD_FAILURES.remove(*labels, name)
        except KeyError:
            pass
    return health


# ---- the per-stack state and loop ---------------------------------------------------------


@dataclass
class StackWatch:
    """The watchdog's memory of one TradingStack."""

    health: dict[str, WorkloadHealth] = field(default_factory=dict)
    reported_down: dict[str, bool] = field(default_factory=dict)
    alert_state: dict[str, Obj] = field(default_factory=dict)
    last_sweep: datetime | None = None
    sweeps: int = 0
    telegram: alerts.Telegram | None = None
    telegram_at: float = -1e9
    seeded: bool = False
    client: httpx.AsyncClient | None = None
    """This stack's own HTTP client: a small connection pool per stack (one pool for many
    stacks makes httpcore's connection bookkeeping grow with the square of the probes)."""

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    def seed(self, status: Obj | None) -> None:
        """Start from the persisted status (after an operator restart)."""
        if self.seeded:
            return
        self.seeded = True
        st = status or {}
        for name, state in (st.get("alerts") or {}).items():
            if isinstance(state, dict):
                self.alert_state[name] = dict(state)
                self.reported_down[name] = bool(state.get("down"))
        for svc in st.get("services") or []:
            if svc.get("health") is not None and not svc.get("healthy", True):
                self.reported_down.setdefault(str(svc.get("name")), True)


class Watchdog:
    """Sweeps, Events and alerts for all TradingStacks of the operator."""

    def __init__(
        self, kube: Kube, notifier: alerts.Notifier, probe_urls: Mapping[str, str] | None = None
    ) -> None:
        self.kube = kube
        self.notifier = notifier
        self.probe_urls = dict(probe_urls or {})
        """URL overrides (`probe_url`), from the operator's settings."""
        self.instance = socket.gethostname()

    async def sweep(
        self, body: Obj, watch: StackWatch, ts: spec.TradingStackSpec | None = None
    ) -> Decision | None:
        """One health check of every enabled workload of the stack `body` (whose validated
        spec is `ts`, parsed here when not given); posts Events and queues alerts. Returns
        None when the spec is invalid."""
        meta = body["metadata"]
        stack = builders.Stack(
            name=meta["name"], namespace=meta["namespace"], uid=meta.get("uid", "")
        )
        if ts is None:
            try:
                ts = spec.TradingStackSpec.model_validate(body.get("spec") or {})
            except ValueError:
                return None
        watch.seed(body.get("status"))
        targets = probe_targets(stack, ts, self.probe_urls)
        if watch.client is None:
            watch.client = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=16)
            )
        started = time.perf_counter()
        results = await probe_many(
            targets,
            timeout=ts.alerting.probe_timeout_seconds,
            retries=ts.alerting.probe_retries,
            client=watch.client,
            plain=plain_probe_names(catalog.WORKLOADS),
        )
        labels = (stack.namespace, stack.name)
        metrics.SWEEP_DURATION.labels(*labels).observe(time.perf_counter() - started)
        health = _health(results, watch.health, labels)
        now = datetime.now(UTC)
        d = decide(
            health,
            pods_ready(body.get("status")),
            watch.reported_down,
            watch.alert_state,
            ts.alerting,
            now,
        )
        watch.health = health
        watch.reported_down = {k: v for k, v in d.down.items()}
        watch.alert_state = d.alert_state
        watch.last_sweep = now
        watch.sweeps += 1
        await self._announce(stack, ts, watch, d, now)
        return d

    async def _announce(
        self,
        stack: builders.Stack,
        ts: spec.TradingStackSpec,
        watch: StackWatch,
        d: Decision,
        now: datetime,
    ) -> None:
        """Post the decision's Events and queue its alerts."""
        labels = (stack.namespace, stack.name)
        for name in d.suppressed:
            metrics.ALERTS_SUPPRESSED.labels(*labels, name).inc()
            log.info("%s/%s: %s is down again within the cooldown: no alert", *labels, name)
        for type_, reason, message in d.events:
            log.log(
                logging.WARNING if type_ == "Warning" else logging.INFO,
                "%s/%s: %s: %s",
                *labels,
                reason,
                message,
            )
            await self.event(stack, type_, reason, message, now)
        if d.alerts:
            telegram = await self.telegram(stack, ts, watch)
            webhook = ts.alerting.webhook_url
            for name, down, detail in d.alerts:
                alert = alerts.Alert(stack.namespace, stack.name, name, down, detail, _ts(now))
                if telegram is None and not webhook:
                    log.warning("%s/%s: no alert channel for %s", *labels, alert.kind)
                    continue
                self.notifier.submit(alert, telegram, webhook)

    async def telegram(
        self, stack: builders.Stack, ts: spec.TradingStackSpec, watch: StackWatch
    ) -> alerts.Telegram | None:
        """Bot token and chat id from the Secret named in spec.alerting (cached for 60 s)."""
        tg = ts.alerting.telegram
        if tg is None:
            return None
        if watch.telegram is not None and time.monotonic() - watch.telegram_at < 60:
            return watch.telegram
        url = f"/api/v1/namespaces/{stack.namespace}/secrets/{tg.secret_name}"
        try:
            secret = await self.kube.request("GET", url)
            data = secret.get("data") or {}
            token = base64.b64decode(data[tg.bot_token_key]).decode().strip()
            chat = base64.b64decode(data[tg.chat_id_key]).decode().strip()
        except (ApiError, KeyError, ValueError) as e:
            what = f"key {e}" if isinstance(e, KeyError) else str(e)
            log.warning(
                "%s/%s: cannot read the Telegram Secret %s: %s",
                stack.namespace,
                stack.name,
                tg.secret_name,
                what,
            )
            metrics.ALERT_FAILURES.labels(stack.namespace, stack.name, "telegram").inc()
            return None
        alerts.REDACT.secrets.add(token)
        watch.telegram = alerts.Telegram(token=token, chat_id=chat)
        watch.telegram_at = time.monotonic()
        return watch.telegram

    async def event(
        self, stack: builders.Stack, type_: str, reason: str, message: str, now: datetime
    ) -> None:
        """A core/v1 Event on the TradingStack (failures are logged, never raised)."""
        manifest = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{stack.name}.", "namespace": stack.namespace},
            "involvedObject": {
                "apiVersion": spec.API_VERSION,
                "kind": spec.KIND,
                "name": stack.name,
                "namespace": stack.namespace,
                "uid": stack.uid,
            },
            "type": type_,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": builders.MANAGER},
            "reportingComponent": builders.MANAGER,
            "reportingInstance": self.instance,
            "firstTimestamp": _ts(now),
            "lastTimestamp": _ts(now),
            "count": 1,
        }
        try:
            await self.kube.create(manifest)
        except ApiError as e:
            log.warning("%s/%s: cannot post Event %s: %s", stack.namespace, stack.name, reason, e)
