"""ASGI middleware of the service kit: the forwarded path prefix, the API token (and the
cross-origin check without one), and strict JSON bodies."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradingstack.core.errors import problem_response

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ForwardedPrefixMiddleware:
    """Serve correctly behind the path prefix that the gateway or the Ingress strips.

    Both the local gateway and Traefik's StripPrefix send `X-Forwarded-Prefix: /data`
    (ingress-nginx does with its `x-forwarded-prefix` annotation). Setting the ASGI
    `root_path` makes /docs load `/data/openapi.json` and lists `/data` as the server, so
    "Try it out" works through the prefix.

    The header is believed only when it names this service's own prefix (the catalog's,
    which the gateway and the operator's Ingress route by): a client that sends another one
    cannot move the OpenAPI servers, the docs or redirects elsewhere.
    """

    def __init__(self, app: ASGIApp, prefix: str = "") -> None:
        self.app = app
        self.prefix = prefix.rstrip("/").encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.prefix and scope["type"] in ("http", "websocket"):
            for key, value in scope.get("headers", ()):
                if key == b"x-forwarded-prefix":
                    if value.rstrip(b"/") == self.prefix:
                        scope = dict(scope)
                        scope["root_path"] = self.prefix.decode("latin-1")
                    break
        await self.app(scope, receive, send)


class TokenAuthMiddleware:
    """Mutating requests need `Authorization: Bearer <TS_API_TOKEN>` when a token is set.

    Without a token (the local stack's default), a mutating request that a browser sends from
    another origin is refused (403): a foreign page could otherwise start a training or import
    a CSV with a form or a body-less POST, which need no CORS preflight. Same-origin requests
    (the dashboard) and clients that send no `Origin` (curl, the services) pass.
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in MUTATING:
            await self.app(scope, receive, send)
            return
        if self.token is None:
            if _cross_origin(scope):
                response = problem_response(
                    403,
                    "A request from another web origin may not change data unless the stack "
                    "has an API token (TS_API_TOKEN) and the request carries it.",
                )
                await response(scope, receive, send)
                return
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


def _cross_origin(scope: Scope) -> bool:
    """Whether a browser sent this from a page of another origin (`Origin` or Sec-Fetch-Site).

    The host the browser addressed is `X-Forwarded-Host` behind the gateway or the Ingress
    (a page cannot set that header without a preflight), else `Host`."""
    headers = dict(scope.get("headers", ()))
    if headers.get(b"sec-fetch-site") == b"cross-site":
        return True
    origin = headers.get(b"origin")
    if origin is None:
        return False
    addressed = headers.get(b"x-forwarded-host") or headers.get(b"host") or b""
    netloc = urlsplit(origin.decode("latin-1")).netloc.lower()
    return netloc != addressed.decode("latin-1").split(",")[0].strip().lower()


class StrictJsonMiddleware:
    """Refuse JSON bodies that Python's parser takes but no JSON peer can mean, with a 422:
    `NaN`/`Infinity` (not JSON; they reached models as floats) and lone surrogates in strings
    (`"\\ud800"`, which fail later in every encoder: a tokenizer, SQLite, a log line). One
    check for every body of every service, instead of one per field."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = _json_problem(body) if body else None
        if problem is not None:
            await problem_response(422, problem, title="Invalid JSON")(scope, receive, send)
            return
        await self.app(scope, _replay([body], None, receive), send)


def _is_json(scope: Scope) -> bool:
    for key, value in scope.get("headers", ()):
        if key == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _replay(bodies: list[bytes], last: Message | None, receive: Receive) -> Receive:
    pending: list[Message] = [
        {"type": "http.request", "body": b, "more_body": False} for b in bodies
    ]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number; send a finite number or null")


def _json_problem(body: bytes) -> str | None:
    """Why the body is refused, or None (a body that is not JSON at all is left to FastAPI,
    which answers its own 422)."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except _NotJson as exc:
        return str(exc)
    except ValueError:
        return None
    for text in _strings(value):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return (
                "A string holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), "
                "which is not Unicode text."
            )
    return None


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
