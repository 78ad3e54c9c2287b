"""The local gateway: one port (3000) that routes path prefixes exactly as the Ingress does.

`/data/...` goes to the data service with the prefix stripped and `X-Forwarded-Prefix: /data`
set (what Traefik's StripPrefix middleware does in a cluster), and so on for every catalog
workload with a path; `/` goes to the UI. Responses stream (chat, progress). The gateway also
serves the local health loop's findings at `/_status`.

The path goes upstream exactly as the client sent it: not decoded, not normalised, so `%2F`
inside a path parameter stays inside it (decoded, `symbols/NOPE%2F..%2FX` addressed the symbol
`X`). A path a client should never send is refused with 400: a control character, raw or
percent-encoded (no URL can hold one), or a `.`/`..` segment, raw or encoded (the client
resolves those; forwarding one would address a resource other than the one named).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote_to_bytes

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, request_response

from tradingstack.core.catalog import Workload, routed_workloads
from tradingstack.core.errors import problem_response
from tradingstack.core.http import client_limits

log = logging.getLogger("tradingstack.gateway")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


def match(path: str, workloads: list[Workload]) -> tuple[Workload, str] | None:
    """The workload whose prefix matches `path` element-wise, and the path with it stripped.

    Like an Ingress `pathType: Prefix`: `/data` matches `/data` and `/data/x`, not `/database`.
    """
    for w in workloads:
        prefix = w.prefix
        if prefix == "":
            return w, path
        if path == prefix or path.startswith(prefix + "/"):
            return w, path[len(prefix) :] or "/"
    return None


def refusal(raw_path: bytes) -> str | None:
    """Why the gateway refuses this raw request path, or None when it forwards it."""
    decoded = unquote_to_bytes(raw_path)
    if any(b < 0x20 or b == 0x7F for b in raw_path + decoded):
        return "The path holds a control character."
    for part in raw_path.split(b"/"):
        if unquote_to_bytes(part) in (b".", b".."):
            return "The path holds a '.' or '..' segment; send the path it resolves to."
    return None


def create_gateway(
    upstreams: Mapping[str, str],
    *,
    status: Callable[[], dict[str, Any]] | None = None,
    timeout: float = 300.0,
    buffer_limit: int = 1 << 20,
) -> Starlette:
    """A gateway for `upstreams` (workload name -> base URL of its running process).

    Answers with a Content-Length up to `buffer_limit` bytes are passed on whole; longer ones
    and those without a length (chat, progress streams) stream."""
    workloads = routed_workloads()
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=5.0),
        follow_redirects=False,
        limits=client_limits(),
    )

    async def status_route(request: Request) -> Response:
        body = status() if status else {}
        return JSONResponse(body)

    async def index_without_ui(request: Request) -> Response:
        return JSONResponse(
            {
                "gateway": "tradingstack local gateway",
                "ui": "not built yet",
                "routes": {
                    w.prefix or "/": {"service": w.name, "running": w.name in upstreams}
                    for w in workloads
                },
                "status": "/_status",
            }
        )

    async def proxy(request: Request) -> Response:
        raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
        reason = refusal(raw_path)
        if reason is not None:
            return problem_response(400, reason, title="Bad request")
        # bytes outside ASCII (not valid in a request target, but sent by some clients) go on
        # percent-encoded, as the same bytes
        path = "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw_path)
        found = match(path, workloads)
        if found is None:  # pragma: no cover - '/' always matches the UI
            return problem_response(404, f"No service serves {path}.")
        workload, upstream_path = found
        base = upstreams.get(workload.name)
        if base is None:
            if workload.name == "ui" and path == "/":
                return await index_without_ui(request)
            return problem_response(
                503,
                f"The {workload.name} service is not running in this local stack "
                f"({'not built yet' if not workload.implemented else 'not started'}).",
                title="Service unavailable",
                service=workload.name,
            )
        # A client's own X-Forwarded-* would come first and be believed: only ours go on.
        headers = [
            (k, v)
            for k, v in request.headers.raw
            if (name := k.decode("latin-1").lower()) not in HOP_BY_HOP
            and not name.startswith("x-forwarded-")
        ]
        client_host = request.client.host if request.client else "127.0.0.1"
        headers += [
            (b"x-forwarded-for", client_host.encode()),
            (b"x-forwarded-proto", request.url.scheme.encode()),
            (b"x-forwarded-host", request.headers.get("host", "").encode("latin-1")),
        ]
        if workload.prefix:
            headers.append((b"x-forwarded-prefix", workload.prefix.encode()))
        url = httpx.URL(base + upstream_path, query=request.url.query.encode("latin-1"))
        body = await request.body()
        upstream = client.build_request(request.method, url, headers=headers, content=body)
        try:
            resp = await client.send(upstream, stream=True)
        except httpx.TransportError as exc:
            return problem_response(
                502,
                f"The {workload.name} service did not answer: {type(exc).__name__}.",
                title="Bad gateway",
                service=workload.name,
            )
        out_headers = {k: v for k, v in resp.headers.items() if k.lower() not in HOP_BY_HOP}
        if "location" in out_headers and out_headers["location"].startswith(base):
            out_headers["location"] = workload.prefix + out_headers["location"][len(base) :]
        length = resp.headers.get("content-length", "")
        if length.isdigit() and int(length) <= buffer_limit:
            # A body of known, small size (most API answers) goes on in one write with its
            # Content-Length: no chunked framing for the client to parse, no chunk per read.
            # The bytes are the upstream's as sent (raw: still compressed if they were).
            try:
                content = b"".join([chunk async for chunk in resp.aiter_raw()])
            except httpx.TransportError as exc:
                return problem_response(
                    502,
                    f"The {workload.name} service broke off its answer: {type(exc).__name__}.",
                    title="Bad gateway",
                    service=workload.name,
                )
            finally:
                await resp.aclose()
            # the upstream's length, also where no body comes (HEAD: the GET's length)
            out_headers["content-length"] = length
            return Response(content, status_code=resp.status_code, headers=out_headers)
        return StreamingResponse(
            resp.aiter_raw(),
            status_code=resp.status_code,
            headers=out_headers,
            background=BackgroundTask(resp.aclose),
        )

    @asynccontextmanager
    async def _lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    app = Starlette(
        routes=[
            Route("/_status", status_route, methods=["GET"]),
            Route("/{path:path}", proxy, methods=methods),
        ],
        lifespan=_lifespan,
    )
    # `{path:path}` is a regex whose `.` stops at a newline: `%0A` in a path fell through to
    # Starlette's plain-text 404 instead of the refusal's problem+json 400.
    app.router.default = request_response(proxy)
    return app
