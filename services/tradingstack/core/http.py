"""HTTP clients for calls between the stack's services.

Every service of a stack shares one API token (TS_API_TOKEN, from the Secret the operator
generates). The kit demands it on POST/PUT/PATCH/DELETE, so a service calling another one
(rag -> embedder, llm -> rag and hmm) must send it too: build such clients here.
"""

from __future__ import annotations

from typing import Any

import httpx

from tradingstack.core.settings import KitSettings, load_settings


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
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        transport=transport,
        headers=auth_headers(settings),
        **kwargs,
    )
