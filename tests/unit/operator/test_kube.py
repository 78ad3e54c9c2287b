"""The operator's API client against a real HTTP server on loopback that misbehaves like an
API server under load: retries with backoff on 429/5xx, no retry on 4xx, 409 on create and
404 on delete are answers, not failures, server-side apply sends the right request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from kubernetes_asyncio import client
from tradingstack_operator.kube import FIELD_MANAGER, ApiError, Kube, path


class FlakyServer:
    """Answers each path from a script of (status, body); records the requests."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.seen: list[tuple[str, str, str, str, dict[str, Any]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.seen.append(
            (
                request.method,
                request.path,
                request.query_string,
                request.headers.get("Content-Type", ""),
                json.loads(body) if body else {},
            )
        )
        answers = self.script.get(request.path) or [(200, {})]
        status, payload = answers.pop(0) if len(answers) > 1 else answers[0]
        return web.json_response(payload, status=status)


@pytest.fixture
async def server() -> AsyncIterator[tuple[FlakyServer, Kube]]:
    fake = FlakyServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    cfg = client.Configuration(host=f"http://127.0.0.1:{port}")
    kube = Kube(client.ApiClient(cfg), timeout=5, backoff=0.01)
    try:
        yield fake, kube
    finally:
        await kube.close()
        await runner.cleanup()


def test_paths() -> None:
    assert path("apps/v1", "Deployment", "ns", "x") == "/apis/apps/v1/namespaces/ns/deployments/x"
    assert path("v1", "Secret", "ns") == "/api/v1/namespaces/ns/secrets"
    assert path("tradingstack.dev/v1alpha1", "TradingStack", "ns", "a").endswith("/tradingstacks/a")


async def test_retries_transient_errors_then_succeeds(server: tuple[FlakyServer, Kube]) -> None:
    fake, kube = server
    url = path("v1", "ConfigMap", "ns")
    fake.script[url] = [(503, {}), (429, {}), (500, {}), (200, {"items": [{"a": 1}]})]
    items = await kube.list("v1", "ConfigMap", "ns", "x=y")
    assert items == [{"a": 1, "apiVersion": "v1", "kind": "ConfigMap"}]  # as live objects
    assert len(fake.seen) == 4
    assert fake.seen[0][2] == "labelSelector=x%3Dy"


async def test_gives_up_after_the_attempts(server: tuple[FlakyServer, Kube]) -> None:
    fake, kube = server
    fake.script[path("v1", "Service", "ns")] = [(503, {"message": "overloaded"})]
    with pytest.raises(ApiError) as err:
        await kube.list("v1", "Service", "ns", "x=y")
    assert err.value.status == 503 and "overloaded" in str(err.value)
    assert len(fake.seen) == kube.attempts


async def test_client_errors_are_not_retried(server: tuple[FlakyServer, Kube]) -> None:
    fake, kube = server
    name = path("apps/v1", "Deployment", "ns", "d")
    fake.script[name] = [(422, {"message": "spec.replicas: Invalid value"})]
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "ns"},
    }
    with pytest.raises(ApiError, match="Invalid value"):
        await kube.apply(manifest)
    assert len(fake.seen) == 1
    method, url, query, ctype, body = fake.seen[0]
    assert method == "PATCH" and url == name
    assert f"fieldManager={FIELD_MANAGER}" in query and "force=true" in query
    assert ctype.startswith("application/apply-patch+yaml")
    assert body == manifest


async def test_create_conflict_and_delete_missing(server: tuple[FlakyServer, Kube]) -> None:
    fake, kube = server
    fake.script[path("v1", "Secret", "ns")] = [(409, {"message": "already exists"})]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t", "namespace": "ns"}}
    assert await kube.create(secret) is False
    fake.script[path("v1", "Service", "ns", "gone")] = [(404, {})]
    await kube.delete("v1", "Service", "ns", "gone")
    assert [s[0] for s in fake.seen] == ["POST", "DELETE"]
    assert kube.requests["POST"] == 1 and kube.requests["DELETE"] == 1


async def test_status_patch_is_a_merge_patch(server: tuple[FlakyServer, Kube]) -> None:
    fake, kube = server
    await kube.patch_status("ns", "s", {"servicesReady": "1/9"})
    method, url, _, ctype, body = fake.seen[0]
    assert method == "PATCH"
    assert url.endswith("/namespaces/ns/tradingstacks/s/status")
    assert ctype.startswith("application/merge-patch+json")
    assert body == {"status": {"servicesReady": "1/9"}}


async def test_connection_refused_is_an_api_error() -> None:
    kube = Kube(
        client.ApiClient(client.Configuration(host="http://127.0.0.1:9")), attempts=2, backoff=0.01
    )
    try:
        with pytest.raises(ApiError):
            await kube.list("v1", "Pod", "ns", "a=b")
        assert kube.requests["GET"] == 2
    finally:
        await kube.close()
