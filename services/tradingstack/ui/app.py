"""The ui service: the dashboard's built assets at `/`, and `/config.json` for the page.

The page is a single-page app built from npm packages by `make ui-assets` (Vite, TypeScript,
lightweight-charts) into `static/` beside this module; nothing is loaded from a CDN at run time.
It talks only to the gateway paths (`/data`, `/nhits`, ...), so it works the same behind the
local gateway and behind the Ingress. The page routes on the URL's fragment (`/#/symbol/X/H1`);
a path that names one of its views (`/training`) is redirected to that fragment, and every other
path that is no file of the build is a 404, so a request meant for a service that reaches the
UI (`/data%2Fapi/...`, a service that is not deployed) never gets a 200 page in its place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.staticfiles import StaticFiles

from tradingstack import __version__
from tradingstack.core.app import create_service_app
from tradingstack.core.catalog import WORKLOADS
from tradingstack.core.errors import problem_response
from tradingstack.core.schemas import HealthStatus
from tradingstack.core.settings import KitSettings, load_settings
from tradingstack.core.timeframes import Timeframe
from tradingstack.ui.settings import UiSettings

# Paths the service itself answers (the kit's); never replaced by the page.
RESERVED = (
    "api/",
    "health",
    "metrics",
    "docs",
    "redoc",
    "openapi.json",
    "config.json",
    "status.json",
)
# The page's views (`ROUTES` in frontend/src/main.ts): `/<view>/...` redirects to `/#/<view>/...`.
VIEWS = frozenset({"overview", "symbol", "analysis", "knowledge", "training", "manage", "settings"})
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def proxied(status_url: str) -> bool:
    """An absolute status URL (the operator's status API in a cluster) is fetched by this
    service for the page (`/status.json`): the browser cannot reach a cluster-internal Service."""
    return urlsplit(status_url).scheme in ("http", "https")


def page_config(settings: UiSettings) -> dict[str, Any]:
    """What the page needs to know: where health comes from, the workloads and their paths."""
    return {
        "service": "ui",
        "version": __version__,
        "status_url": "status.json" if proxied(settings.status_url) else settings.status_url,
        "status_upstream": settings.status_url,
        "status_source": settings.status_source,
        "timeframes": [str(t) for t in Timeframe],
        "default_symbol": settings.default_symbol,
        "default_timeframe": settings.default_timeframe,
        "workloads": [
            {
                "name": w.name,
                "prefix": w.prefix if w.path is not None else None,
                "description": w.description,
                "gpu": w.gpu,
                "implemented": w.implemented,
                "local": w.app is not None,
                "critical": w.critical,
            }
            for w in WORKLOADS
        ],
    }


class _Assets(StaticFiles):
    """Hashed build output: cached for a year (a new build has new names)."""

    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def create_app(
    settings: UiSettings | None = None,
    *,
    kit: KitSettings | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    ui = settings or load_settings(UiSettings)
    static = ui.static_dir.resolve()
    index = static / "index.html"
    security_headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }

    async def health() -> tuple[HealthStatus, dict[str, Any]]:
        if index.is_file():
            return "healthy", {"assets": str(static), "status_url": ui.status_url}
        return "degraded", {
            "assets": f"{index} is missing: build the front-end with `make ui-assets`",
            "status_url": ui.status_url,
        }

    app = create_service_app(
        "ui",
        description="TradingStack's web dashboard: a single-page app over the gateway paths.",
        health_check=health,
        settings=kit,
        configure_logs=configure_logs,
    )
    # The kit answers `/` with a JSON index; the dashboard lives there instead.
    app.router.routes[:] = [
        r for r in app.router.routes if not (isinstance(r, APIRoute) and r.path == "/")
    ]

    def page() -> Response:
        if not index.is_file():
            return problem_response(
                503,
                f"The dashboard is not built ({index} is missing). Run `make ui-assets` "
                "(npm ci + npm run build in services/tradingstack/ui/frontend).",
                title="Dashboard not built",
            )
        return FileResponse(index, headers={"Cache-Control": NO_CACHE, **security_headers})

    @app.get("/config.json", tags=["ui"])
    async def config() -> JSONResponse:
        """The page's configuration: TS_UI_STATUS_URL, timeframes, the workloads' paths."""
        return JSONResponse(page_config(ui), headers={"Cache-Control": NO_CACHE})

    @app.get("/status.json", tags=["ui"])
    async def status_json() -> Response:
        """The health of every workload from TS_UI_STATUS_URL when it is an absolute URL (the
        operator's status API), fetched here because the browser cannot reach it."""
        if not proxied(ui.status_url):
            return problem_response(
                404,
                f"TS_UI_STATUS_URL is {ui.status_url!r}, which the page reads directly.",
            )
        try:
            async with httpx.AsyncClient(timeout=ui.status_timeout_seconds) as client:
                upstream = await client.get(ui.status_url)
        except httpx.HTTPError as exc:
            return problem_response(
                502,
                f"The status API at {ui.status_url} did not answer ({type(exc).__name__}).",
                title="Bad gateway",
            )
        if upstream.status_code != 200:
            return problem_response(
                502, f"The status API at {ui.status_url} answered HTTP {upstream.status_code}."
            )
        try:
            body = upstream.json()
        except ValueError:
            return problem_response(502, f"The status API at {ui.status_url} did not answer JSON.")
        return JSONResponse(body, headers={"Cache-Control": NO_CACHE})

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return page()

    app.mount("/assets", _Assets(directory=static / "assets", check_dir=False), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(request: Request, path: str) -> Response:
        if path.startswith(RESERVED):
            return problem_response(
                404, f"No route GET /{path}; see /docs for the API.", instance=f"/{path}"
            )
        candidate = (static / path).resolve()
        if candidate.is_relative_to(static) and candidate.is_file():
            return FileResponse(candidate, headers={"Cache-Control": NO_CACHE})
        if path.split("/", 1)[0] in VIEWS:
            return RedirectResponse("/#/" + quote(path, safe="/"), status_code=307)
        if Path(path).suffix:  # a file that is not there: no page in its place
            return problem_response(404, f"No file /{path} in the dashboard's build.")
        return problem_response(
            404,
            f"No page or route at /{path}. The dashboard is at / and its views at /#/<view>; "
            "the services are under their prefixes (/data, /nhits, ...).",
            instance=f"/{path}",
        )

    return app
