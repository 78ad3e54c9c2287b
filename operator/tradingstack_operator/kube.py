"""A small async Kubernetes client over kubernetes_asyncio: server-side apply, list, create,
delete and status patches for any kind, with retries and a request counter.

Transient API errors (429, 5xx, timeouts, dropped connections) are retried with exponential
backoff; anything else is raised as `ApiError` for the caller to report in the status.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from tradingstack_operator import spec
from tradingstack_operator.settings import OperatorSettings

FIELD_MANAGER = "tradingstack-operator"
RETRY_STATUSES = {429, 500, 502, 503, 504}

# (apiVersion, kind) -> plural; every kind the operator touches.
PLURALS: dict[tuple[str, str], str] = {
    ("v1", "ConfigMap"): "configmaps",
    ("v1", "Secret"): "secrets",
    ("v1", "Service"): "services",
    ("v1", "ServiceAccount"): "serviceaccounts",
    ("v1", "PersistentVolumeClaim"): "persistentvolumeclaims",
    ("v1", "Pod"): "pods",
    ("v1", "Event"): "events",
    ("apps/v1", "Deployment"): "deployments",
    ("networking.k8s.io/v1", "Ingress"): "ingresses",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networkpolicies",
    ("traefik.io/v1alpha1", "Middleware"): "middlewares",
    (spec.API_VERSION, spec.KIND): spec.PLURAL,
}


class ApiError(Exception):
    """An API call that failed for good (after retries, or not retryable)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, ApiException):
        return exc.status in RETRY_STATUSES
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | ConnectionError)


def path(api_version: str, kind: str, namespace: str | None, name: str | None = None) -> str:
    """The REST path of a kind (namespaced when `namespace` is given), optionally one object."""
    plural = PLURALS[(api_version, kind)]
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{plural}"
    return f"{base}/{name}" if name else base


async def load_configuration(settings: OperatorSettings) -> client.Configuration:
    """The kubeconfig (`OperatorSettings.kubeconfig_path`), else the in-cluster service
    account."""
    cfg = client.Configuration()
    kubeconfig = settings.kubeconfig_path()
    if kubeconfig:
        await config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
    else:
        config.load_incluster_config(client_configuration=cfg)
    return cfg


@dataclass
class Kube:
    """The operator's API access: one ApiClient, counted requests."""

    api: client.ApiClient
    attempts: int = 5
    timeout: float = 30.0
    backoff: float = 0.2
    """First retry delay in seconds; doubles per attempt (with jitter), at most 5 s."""
    requests: Counter[str] = field(default_factory=Counter)

    @classmethod
    async def connect(cls, settings: OperatorSettings) -> Kube:
        return cls(client.ApiClient(await load_configuration(settings)))

    async def close(self) -> None:
        await self.api.close()

    async def request(
        self,
        method: str,
        url: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        """One REST call with retries; returns the decoded JSON answer."""
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_retryable),
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential_jitter(initial=self.backoff, max=5.0, jitter=self.backoff),
                reraise=True,
            ):
                with attempt:
                    self.requests[method] += 1
                    return await self.api.call_api(
                        url,
                        method,
                        query_params=query or [],
                        header_params={"Content-Type": content_type, "Accept": "application/json"},
                        body=body,
                        response_types_map={200: "object", 201: "object", 202: "object"},
                        auth_settings=["BearerToken"],
                        _return_http_data_only=True,
                        _request_timeout=self.timeout,
                    )
        except ApiException as e:
            raise ApiError(e.status or 0, e.reason or "", _message(e)) from None
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as e:
            raise ApiError(0, type(e).__name__, str(e) or "connection failed") from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply under the operator's field manager (force: the operator owns it)."""
        meta = manifest["metadata"]
        url = path(manifest["apiVersion"], manifest["kind"], meta.get("namespace"), meta["name"])
        result: dict[str, Any] = await self.request(
            "PATCH",
            url,
            query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            body=manifest,
            content_type="application/apply-patch+yaml",
        )
        return result

    async def create(self, manifest: dict[str, Any]) -> bool:
        """Create an object; False when it already exists (it is never read)."""
        meta = manifest["metadata"]
        url = path(manifest["apiVersion"], manifest["kind"], meta.get("namespace"))
        try:
            await self.request("POST", url, query=[("fieldManager", FIELD_MANAGER)], body=manifest)
        except ApiError as e:
            if e.status == 409:
                return False
            raise
        return True

    async def list(
        self, api_version: str, kind: str, namespace: str, label_selector: str
    ) -> list[dict[str, Any]]:
        answer = await self.request(
            "GET",
            path(api_version, kind, namespace),
            query=[("labelSelector", label_selector)],
        )
        items: list[dict[str, Any]] = answer.get("items") or []
        for item in items:  # list items come without them
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    async def delete(self, api_version: str, kind: str, namespace: str, name: str) -> None:
        try:
            await self.request(
                "DELETE",
                path(api_version, kind, namespace, name),
                body={"propagationPolicy": "Background"},
            )
        except ApiError as e:
            if e.status != 404:
                raise

    async def patch_status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        """Merge-patch the TradingStack's status subresource."""
        url = path(spec.API_VERSION, spec.KIND, namespace, name) + "/status"
        await self.request(
            "PATCH", url, body={"status": status}, content_type="application/merge-patch+json"
        )

    async def has_api(self, api_version: str, kind: str) -> bool:
        """Whether the API server serves `kind` in `api_version` (discovery)."""
        try:
            answer = await self.request("GET", f"/apis/{api_version}")
        except ApiError as e:
            if e.status == 404:
                return False
            raise
        return any(r.get("kind") == kind for r in answer.get("resources") or [])


def _message(e: ApiException) -> str:
    import json

    try:
        body = json.loads(e.body or "{}")
        return str(body.get("message") or e.reason)
    except (ValueError, TypeError):
        return str(e.body or e.reason)
