"""The operator's Prometheus metrics (prefix `tradingstack_`) and its HTTP server: `/metrics`
and the read-only status API (`/status`, `/status/<namespace>/<name>`).

The server listens on `TS_OPERATOR_METRICS_ADDRESS` (default 0.0.0.0) and
`TS_OPERATOR_METRICS_PORT` (default 8081; 0 picks a free port, `off` disables it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

REGISTRY = CollectorRegistry()
"""Every operator metric; the dashboards' test reads metric names from here."""

STACK = ["namespace", "stack"]
WORKLOAD = [*STACK, "workload"]
FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

RECONCILES = Counter(
    "tradingstack_operator_reconciliations_total",
    "Reconciles of a TradingStack.",
    STACK,
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "tradingstack_operator_reconcile_errors_total",
    "Reconciles that failed (API errors, exceptions).",
    STACK,
    registry=REGISTRY,
)
RECONCILE_DURATION = Histogram(
    "tradingstack_operator_reconcile_duration_seconds",
    "Duration of one reconcile.",
    STACK,
    buckets=FAST,
    registry=REGISTRY,
)
STACK_READY = Gauge(
    "tradingstack_stack_ready",
    "1 when the TradingStack is Ready, else 0.",
    STACK,
    registry=REGISTRY,
)
GPUS_REQUESTED = Gauge(
    "tradingstack_gpus_requested",
    "nvidia.com/gpu requested by the enabled workloads of a TradingStack (gpu x replicas).",
    STACK,
    registry=REGISTRY,
)
WORKLOAD_UP = Gauge(
    "tradingstack_workload_up",
    "1 when the workload's last health check passed, else 0.",
    WORKLOAD,
    registry=REGISTRY,
)
WORKLOAD_FAILURES = Gauge(
    "tradingstack_workload_consecutive_failures",
    "Failed health checks in a row.",
    WORKLOAD,
    registry=REGISTRY,
)
PROBE_DURATION = Histogram(
    "tradingstack_workload_probe_duration_seconds",
    "Latency of a workload's health request (answered probes only).",
    WORKLOAD,
    buckets=FAST,
    registry=REGISTRY,
)
PROBES = Counter(
    "tradingstack_workload_probes_total",
    "Health checks by result (healthy, unhealthy).",
    [*WORKLOAD, "result"],
    registry=REGISTRY,
)
SWEEP_DURATION = Histogram(
    "tradingstack_health_sweep_duration_seconds",
    "Duration of one health sweep of a TradingStack (all workloads, concurrently).",
    STACK,
    buckets=FAST,
    registry=REGISTRY,
)
ALERTS_SENT = Counter(
    "tradingstack_alerts_sent_total",
    "Alerts delivered, by channel (telegram, webhook) and kind (down, recovered).",
    [*STACK, "channel", "kind"],
    registry=REGISTRY,
)
ALERT_FAILURES = Counter(
    "tradingstack_alert_failures_total",
    "Alerts that could not be delivered, by channel.",
    [*STACK, "channel"],
    registry=REGISTRY,
)
ALERTS_SUPPRESSED = Counter(
    "tradingstack_alerts_suppressed_total",
    "Down alerts not sent because the workload's cooldown had not passed.",
    WORKLOAD,
    registry=REGISTRY,
)


def forget_stack(namespace: str, stack: str) -> None:
    """Drop the series of a deleted TradingStack (gauges would otherwise stay forever)."""
    for metric in (STACK_READY, GPUS_REQUESTED):
        try:
            metric.remove(namespace, stack)
        except KeyError:
            pass
    for metric in (WORKLOAD_UP, WORKLOAD_FAILURES):
        for labels in [
            key
            for key in list(metric._metrics)  # prometheus_client has no public way
            if key[:2] == (namespace, stack)
        ]:
            try:
                metric.remove(*labels)
            except KeyError:
                pass


def metric_names(registry: CollectorRegistry = REGISTRY) -> set[str]:
    """Every series name the registry exports (with _total, _bucket, _sum, _count)."""
    names: set[str] = set()
    for family in registry.collect():
        for sample in family.samples:
            names.add(sample.name)
        names.add(family.name)
    return names


# ---- the HTTP server ----------------------------------------------------------------------

StatusSource = Callable[[], list[dict[str, Any]]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, indent=1, default=str), status=status, content_type="application/json"
    )


def make_app(stacks: StatusSource) -> web.Application:
    """`/metrics` (Prometheus text format) and the read-only status API."""

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def all_status(_: web.Request) -> web.Response:
        return _json({"stacks": stacks()})

    async def one_status(request: web.Request) -> web.Response:
        ns, name = request.match_info["namespace"], request.match_info["name"]
        for item in stacks():
            if item["namespace"] == ns and item["name"] == name:
                return _json(item)
        return _json({"error": f"no TradingStack {ns}/{name}"}, status=404)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/status", all_status)
    app.router.add_get("/status/{namespace}/{name}", one_status)
    return app


class Server:
    """The metrics and status server of the operator process."""

    def __init__(self, stacks: StatusSource) -> None:
        self.app = make_app(stacks)
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, address: str = "0.0.0.0", port: int | None = 8081) -> int | None:
        """Listen on `port` (0: any free one); returns the port, None when `port` is None
        (the settings' TS_OPERATOR_METRICS_PORT=off)."""
        if port is None:
            return None
        self.runner = web.AppRunner(self.app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, address, port)
        await site.start()
        server = site._server  # the bound port when asked for port 0
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        return self.port

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
