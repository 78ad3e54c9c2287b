"""Health probing, shared by the local launcher's health loop and the operator.

`probe` asks one service's `/health` (with a timeout and retries) and never raises;
`probe_many` probes many concurrently, so a sweep takes about as long as the slowest probe.
Third-party servers that answer no health document (Ollama's `/api/version`) are probed with
`document=False`: any HTTP 200 is healthy (`plain_probe_names` tells which workloads).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, ValidationError

from tradingstack.core.catalog import Workload
from tradingstack.core.schemas import Health


class ProbeResult(BaseModel):
    name: str
    url: str
    healthy: bool
    status: str
    """'healthy', 'degraded', 'unhealthy' from the service, or 'unreachable' / 'error'."""
    version: str | None = None
    uptime_seconds: float | None = None
    training_in_progress: bool = False
    latency_seconds: float | None = None
    error: str | None = None
    checked_at: datetime


async def probe(
    client: httpx.AsyncClient,
    name: str,
    url: str,
    *,
    timeout: float = 5.0,
    retries: int = 1,
    retry_delay: float = 0.2,
    document: bool = True,
) -> ProbeResult:
    """GET `url` (a service's /health) and judge it. Never raises.

    `document=False`: the server answers no health document; HTTP 200 is healthy.
    """
    error = "not probed"
    status = "unreachable"
    for attempt in range(retries + 1):
        start = time.perf_counter()
        try:
            resp = await client.get(url, timeout=timeout)
            latency = time.perf_counter() - start
            if not document:
                ok = resp.status_code == 200
                if ok or attempt >= retries:
                    return ProbeResult(
                        name=name,
                        url=url,
                        healthy=ok,
                        status="healthy" if ok else "unhealthy",
                        latency_seconds=latency,
                        error=None if ok else f"HTTP {resp.status_code}",
                        checked_at=datetime.now(UTC),
                    )
                error, status = f"HTTP {resp.status_code}", "unhealthy"
                await asyncio.sleep(retry_delay)
                continue
            try:
                health = Health.model_validate_json(resp.content)
            except ValidationError:
                error = f"HTTP {resp.status_code}: not a health document"
                status = "error"
            else:
                return ProbeResult(
                    name=name,
                    url=url,
                    healthy=resp.status_code == 200 and health.status != "unhealthy",
                    status=health.status,
                    version=health.version,
                    uptime_seconds=health.uptime_seconds,
                    training_in_progress=health.training_in_progress,
                    latency_seconds=latency,
                    error=None if resp.status_code == 200 else f"HTTP {resp.status_code}",
                    checked_at=datetime.now(UTC),
                )
        except httpx.TimeoutException:
            error, status = f"timed out after {timeout:g}s", "unreachable"
        except httpx.HTTPError as exc:
            error, status = f"{type(exc).__name__}: {exc}" or type(exc).__name__, "unreachable"
        if attempt < retries:
            await asyncio.sleep(retry_delay)
    return ProbeResult(
        name=name, url=url, healthy=False, status=status, error=error, checked_at=datetime.now(UTC)
    )


async def probe_many(
    targets: Mapping[str, str],
    *,
    timeout: float = 5.0,
    retries: int = 1,
    client: httpx.AsyncClient | None = None,
    plain: Collection[str] = (),
) -> dict[str, ProbeResult]:
    """Probe every `name -> health URL` concurrently; names in `plain` with `document=False`."""
    own = client is None
    client = client or httpx.AsyncClient()
    try:
        results = await asyncio.gather(
            *(
                probe(client, n, u, timeout=timeout, retries=retries, document=n not in plain)
                for n, u in targets.items()
            )
        )
    finally:
        if own:
            await client.aclose()
    return {r.name: r for r in results}


def plain_probe_names(workloads: Iterable[Workload]) -> set[str]:
    """Catalog workloads whose health path answers no health document: third-party servers
    (`app is None`, e.g. Ollama's /api/version)."""
    return {w.name for w in workloads if w.app is None}
