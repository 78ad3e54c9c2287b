"""HTTP clients for calls between the stack's services.

Every service of a stack shares one API token (TS_API_TOKEN, from the Secret the operator
generates). The kit demands it on POST/PUT/PATCH/DELETE, so a service calling another one
(rag -> embedder, llm -> rag and hmm) must send it too: build such clients here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from tradingstack.core.errors import passed_on
from tradingstack.core.settings import KitSettings, load_settings

# How long a service's HTTP server keeps an idle connection open. It must outlast the idle
# timeout of every client that pools connections to it, or a client reuses a connection in
# the instant the server closes it and gets "Server disconnected without sending a
# response" (a spurious 502 at the gateway). uvicorn's default is 5 s, the same as httpx's
# pool, so the race was there on every request made about 5 s after the last one; Traefik
# keeps idle backend connections for 90 s.
SERVER_KEEP_ALIVE_SECONDS = 120
# How long the stack's own clients (service to service, the local gateway) keep one.
CLIENT_KEEP_ALIVE_SECONDS = 30.0


def segment(value: str) -> str:
    """`value` as one path segment of an internal URL (`f"/api/v1/ohlcv/{segment(symbol)}"`).

    Values from requests (a symbol in a body or a path) go into other services' URLs: unquoted,
    `../symbols/X` or `X/../../strategies` would address another resource, and a control
    character would make the URL invalid. Quoted, `/`, `?`, `#`, `%` and control characters
    reach the other service as data. A value of only dots is encoded too, or the client would
    resolve it as a dot segment.
    """
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if set(value) <= {"."} else quoted


def read_problem(resp: httpx.Response, limit: int = 500) -> tuple[str, str]:
    """The detail and problem type of another service's error answer (problem+json), or its
    text cut to `limit` and `about:blank` when the answer is no JSON object."""
    try:
        problem = resp.json()
        return str(problem.get("detail", resp.text)), str(problem.get("type", "about:blank"))
    except (ValueError, AttributeError):
        return resp.text[:limit], "about:blank"


def raise_for_problem(resp: httpx.Response, upstream: str) -> None:
    """Raise another service's error answer as this service's own domain error, by its problem
    `type` (core.errors.passed_on): a route that lets it through answers the same problem."""
    if resp.status_code >= 400:
        detail, type_ = read_problem(resp)
        raise passed_on(resp.status_code, detail, type_, upstream)


def client_limits() -> httpx.Limits:
    """Connection-pool limits of the stack's clients: idle connections expire well before the
    servers' keep-alive ends."""
    return httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_SECONDS)


def auth_headers(settings: KitSettings | None = None) -> dict[str, str]:
    """`Authorization: Bearer <TS_API_TOKEN>` when the stack has a token, else nothing."""
    kit = settings or load_settings(KitSettings)
    if kit.api_token is None:
        return {}
    return {"Authorization": f"Bearer {kit.api_token.get_secret_value()}"}


def service_client(
    base_url: str = "",
    *,
    timeout: float | httpx.Timeout = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
    settings: KitSettings | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An async client for another service of the stack, carrying the stack's token."""
    kwargs.setdefault("limits", client_limits())
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        transport=transport,
        headers=auth_headers(settings),
        **kwargs,
    )
