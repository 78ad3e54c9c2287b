"""The app factory every service is built with.

It gives each service the same face: `/health` (the seed's JSON), `/metrics` (Prometheus),
`/api/v1/system/metrics`, `/docs` that works behind the gateway's or the Ingress's path
prefix, problem+json errors, JSON logs, the API token on mutating requests (without one,
mutating requests from other web origins are refused), and strict JSON bodies.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool

from tradingstack import __version__
from tradingstack.core import system
from tradingstack.core.catalog import get as get_workload
from tradingstack.core.errors import document_problems, install_error_handlers
from tradingstack.core.logs import configure_logging
from tradingstack.core.metrics import HttpMetrics, MetricsMiddleware
from tradingstack.core.middleware import (
    ForwardedPrefixMiddleware,
    StrictJsonMiddleware,
    TokenAuthMiddleware,
)
from tradingstack.core.schemas import Health, HealthStatus
from tradingstack.core.settings import KitSettings, load_settings

API_PREFIX = "/api/v1"

HealthCheck = Callable[[], Awaitable[tuple[HealthStatus, dict[str, Any]]]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def registry_of(app: FastAPI) -> CollectorRegistry:
    """The Prometheus registry of a service: register model-level metrics here."""
    registry: CollectorRegistry = app.state.registry
    return registry


def create_service_app(
    name: str,
    *,
    routers: Sequence[APIRouter] = (),
    description: str | None = None,
    lifespan: Lifespan | None = None,
    training_in_progress: Callable[[], bool] | None = None,
    health_check: HealthCheck | None = None,
    settings: KitSettings | None = None,
    configure_logs: bool = True,
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    """Build the FastAPI app of service `name` (a catalog workload)."""
    workload = get_workload(name)
    kit = settings or load_settings(KitSettings)
    token = kit.api_token.get_secret_value() if kit.api_token else None
    if configure_logs:
        configure_logging(name, kit.log_level, json=kit.log_json, secrets=(token,) if token else ())

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.started_at = time.monotonic()
        system.cpu_percent()  # the first sample, so the first answer covers the uptime
        if lifespan is None:
            yield
        else:
            async with lifespan(app):
                yield

    app = FastAPI(
        title=f"TradingStack {name}",
        description=description or workload.description,
        version=__version__,
        lifespan=_lifespan,
        openapi_tags=openapi_tags,
    )
    app.state.service = name
    app.state.settings = kit
    app.state.started_at = time.monotonic()
    app.state.registry = CollectorRegistry()
    http_metrics = HttpMetrics(app.state.registry, name)

    install_error_handlers(app)
    _add_service_routes(app, name, health_check, training_in_progress)
    _add_api_routes(app, routers)
    _document_problems(app)
    # Added last = outermost: the prefix first, then metrics, then the token (or origin)
    # check, then the JSON check of what passed it.
    app.add_middleware(StrictJsonMiddleware)
    app.add_middleware(TokenAuthMiddleware, token=token)
    app.add_middleware(MetricsMiddleware, metrics=http_metrics)
    app.add_middleware(ForwardedPrefixMiddleware, prefix=workload.prefix)
    return app


def _add_service_routes(
    app: FastAPI,
    name: str,
    health_check: HealthCheck | None,
    training_in_progress: Callable[[], bool] | None,
) -> None:
    """`/health`, `/metrics` and `/`: what every service answers outside its API."""

    @app.get("/health", response_model=Health, tags=["system"])
    async def health(response: Response) -> Health:
        """Liveness and readiness of this service, in the seed's format."""
        status: HealthStatus = "healthy"
        details: dict[str, Any] = {}
        if health_check is not None:
            try:
                status, details = await health_check()
            except Exception as exc:  # a broken check is itself a finding
                status, details = "unhealthy", {"error": f"{type(exc).__name__}: {exc}"}
        if status == "unhealthy":
            response.status_code = 503
        return Health(
            status=status,
            service=name,
            version=__version__,
            uptime_seconds=round(time.monotonic() - app.state.started_at, 3),
            training_in_progress=bool(training_in_progress and training_in_progress()),
            details=details,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(app.state.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> JSONResponse:
        root = request.scope.get("root_path", "")
        return JSONResponse(
            {
                "service": name,
                "version": __version__,
                "docs": f"{root}/docs",
                "health": f"{root}/health",
                "metrics": f"{root}/metrics",
            }
        )


def _add_api_routes(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """The kit's `/api/v1/system/metrics` and the service's own routers, under `/api/v1`."""
    system_router = APIRouter(tags=["system"])

    @system_router.get("/system/metrics", response_model=system.SystemMetrics)
    async def system_metrics() -> system.SystemMetrics:
        """CPU (percent, cores, temperature), memory, and GPU (NVML or Jetson sysfs)."""
        return await run_in_threadpool(system.collect)

    app.include_router(system_router, prefix=API_PREFIX)
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document says what the kit answers on errors (built once, on first use)."""
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(plain_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
