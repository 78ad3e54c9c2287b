"""ASGI middleware of the service kit: the forwarded path prefix and the API token."""

from __future__ import annotations

import hmac
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from tradingstack.core.errors import problem_response

_PREFIX_OK = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ForwardedPrefixMiddleware:
    """Serve correctly behind a path prefix that the gateway or the Ingress strips.

    Both the local gateway and Traefik's StripPrefix send `X-Forwarded-Prefix: /data`
    (ingress-nginx does with its `x-forwarded-prefix` annotation). Setting the ASGI
    `root_path` makes /docs load `/data/openapi.json` and lists `/data` as the server, so
    "Try it out" works through the prefix.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for key, value in scope.get("headers", ()):
                if key == b"x-forwarded-prefix":
                    prefix = value.decode("latin-1").rstrip("/")
                    if _PREFIX_OK.match(prefix):
                        scope = dict(scope)
                        scope["root_path"] = prefix
                    break
        await self.app(scope, receive, send)


class TokenAuthMiddleware:
    """Mutating requests need `Authorization: Bearer <TS_API_TOKEN>` when a token is set."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http" or scope.get("method") not in MUTATING:
            await self.app(scope, receive, send)
            return
        given = b""
        for key, value in scope.get("headers", ()):
            if key == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                if scheme.lower() == b"bearer":
                    given = credentials.strip()
                break
        if given and hmac.compare_digest(given, self.token):
            await self.app(scope, receive, send)
            return
        detail = (
            "This request changes data and needs 'Authorization: Bearer <token>' "
            "with the stack's API token (TS_API_TOKEN)."
            if not given
            else "The bearer token is wrong."
        )
        response = problem_response(
            401, detail, headers={"WWW-Authenticate": 'Bearer realm="tradingstack"'}
        )
        await response(scope, receive, send)
