"""Prometheus metrics: request count and latency per route, in a registry per app."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class HttpMetrics:
    """The HTTP metrics of one service, registered in its own registry."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.service = service
        self.requests = Counter(
            "tradingstack_http_requests_total",
            "HTTP requests answered, by route template and status code.",
            ["service", "method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "tradingstack_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["service", "method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )


def route_template(scope: Scope) -> str:
    """The matched route's template, with the prefix of the router that included it.

    FastAPI >= 0.16x includes routers lazily: `scope["route"]` is the router's own route
    (`/items/{id}`) and the include prefix (`/api/v1`) lives in the include context.
    """
    path = getattr(scope.get("route"), "path", None)
    if path is None:
        return "<unmatched>"
    included = (scope.get("fastapi") or {}).get("included_router")
    context = getattr(included, "include_context", None)
    prefix = getattr(context, "prefix", "") or ""
    return f"{prefix}{path}" if not path.startswith(prefix or "\0") else path


class MetricsMiddleware:
    """Counts and times every request under its route template (`/api/v1/ohlcv/{symbol}`)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            template = route_template(scope)
            if template != "/metrics":
                method = scope.get("method", "GET")
                svc = self.metrics.service
                self.metrics.requests.labels(svc, method, template, str(status)).inc()
                self.metrics.latency.labels(svc, method, template).observe(
                    time.perf_counter() - start
                )
