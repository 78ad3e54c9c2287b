"""The watchdog's pure parts (decisions, status with health, probe URLs) and its real I/O
parts against real local HTTP servers: the Bot API, a webhook, a service's /health, Ollama's
plain /api/version, the operator's /metrics and /status."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from tradingstack.core import catalog
from tradingstack.core.app import create_service_app
from tradingstack.core.health import ProbeResult, plain_probe_names, probe_many
from tradingstack_operator import alerts as a
from tradingstack_operator import builders as b
from tradingstack_operator import metrics as m
from tradingstack_operator import spec
from tradingstack_operator import status as st
from tradingstack_operator import watchdog as wd

from tests.unit.operator.test_status import STACK, all_ready, cond, pod
from tests.unit.servers import serve_app

TOKEN = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ra"
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def result(name: str, healthy: bool, error: str | None = None) -> ProbeResult:
    return ProbeResult(
        name=name,
        url=f"http://x/{name}",
        healthy=healthy,
        status="healthy" if healthy else "unreachable",
        version="1.0" if healthy else None,
        uptime_seconds=3.0 if healthy else None,
        latency_seconds=0.01 if healthy else None,
        error=error or (None if healthy else "ConnectError: refused"),
        checked_at=NOW,
    )


def health(healthy: dict[str, bool], ever: bool = True) -> dict[str, st.WorkloadHealth]:
    return {
        n: st.WorkloadHealth(result(n, ok), failures=0 if ok else 1, ever_healthy=ever or ok)
        for n, ok in healthy.items()
    }


ALERTING = spec.AlertingSpec(enabled=True, telegram={"secretName": "tg"}, cooldown_seconds=900)


# ---- status with health -------------------------------------------------------------------


def test_ready_needs_every_workload_healthy() -> None:
    ok = {n: True for n in catalog.NAMES}
    s = st.compute(STACK, spec.TradingStackSpec(), all_ready(), 1, health=health(ok))
    assert cond(s, "Ready")["status"] == "True"
    data = next(x for x in s["services"] if x["name"] == "data")
    assert data["healthy"] is True and data["version"] == "1.0" and data["consecutiveFailures"] == 0
    assert data["lastProbeTime"] == "2026-01-01T12:00:00Z"

    s = st.compute(
        STACK, spec.TradingStackSpec(), all_ready(), 1, health=health(ok | {"nhits": False})
    )
    assert cond(s, "Ready")["status"] == "False"
    degraded = cond(s, "Degraded")
    assert degraded["status"] == "True" and degraded["reason"] == "Unhealthy"
    assert "nhits" in degraded["message"] and "ConnectError" in degraded["message"]
    assert cond(s, "Progressing")["reason"] == "Unhealthy"
    nhits = next(x for x in s["services"] if x["name"] == "nhits")
    assert nhits["ready"] is False and nhits["health"] == "unreachable"


def test_not_ready_before_the_first_check_and_never_while_pending() -> None:
    ok = {n: True for n in catalog.NAMES}
    partial = {n: True for n in catalog.NAMES if n != "rag"}
    s = st.compute(STACK, spec.TradingStackSpec(), all_ready(), 1, health=health(partial))
    assert cond(s, "Ready")["status"] == "False"
    assert "rag" in cond(s, "Ready")["message"]
    observed = all_ready()
    observed.pods.append(pod("data", "Pending"))
    s = st.compute(STACK, spec.TradingStackSpec(), observed, 1, health=health(ok))
    assert cond(s, "Ready")["status"] == "False"
    # health off (None): pods alone decide, as before
    s = st.compute(STACK, spec.TradingStackSpec(), all_ready(), 1, health=None)
    assert cond(s, "Ready")["status"] == "True"
    assert "health" not in s["services"][0]


def test_alert_state_is_kept_in_the_status() -> None:
    state = {"data": {"down": True, "lastAlertTime": "t", "lastDownAlertTime": "t"}}
    s = st.compute(STACK, spec.TradingStackSpec(), all_ready(), 1, alerts=state)
    assert s["alerts"] == state
    spec.TradingStackStatus.model_validate(s)  # the CRD's status schema keeps every field


# ---- decisions ----------------------------------------------------------------------------


def test_down_recovered_and_cooldown() -> None:
    pods = {n: True for n in catalog.NAMES}
    d = wd.decide(health({"data": False}), pods, {}, {}, ALERTING, NOW)
    assert d.alerts == [("data", True, "ConnectError: refused")]
    assert d.events == [("Warning", "ServiceDown", "data is down: ConnectError: refused")]
    assert d.alert_state["data"]["down"] is True
    # still down next sweep: nothing new
    d2 = wd.decide(health({"data": False}), pods, d.down, d.alert_state, ALERTING, NOW)
    assert d2.alerts == [] and d2.events == []
    # recovered: one recovery message and a Normal event
    later = NOW + timedelta(seconds=10)
    d3 = wd.decide(health({"data": True}), pods, d2.down, d2.alert_state, ALERTING, later)
    assert d3.alerts == [("data", False, "")]
    assert d3.events == [("Normal", "ServiceRecovered", "data is healthy again")]
    # down again within the cooldown: an Event, but no alert
    d4 = wd.decide(health({"data": False}), pods, d3.down, d3.alert_state, ALERTING, later)
    assert d4.alerts == [] and d4.suppressed == ["data"] and d4.events[0][1] == "ServiceDown"
    # ... and no recovery message for a down that was never announced
    d5 = wd.decide(health({"data": True}), pods, d4.down, d4.alert_state, ALERTING, later)
    assert d5.alerts == [] and d5.events[0][1] == "ServiceRecovered"
    # still down after the cooldown: the down alert goes out then
    d6 = wd.decide(health({"data": False}), pods, d5.down, d5.alert_state, ALERTING, later)
    late = NOW + timedelta(seconds=901)
    d7 = wd.decide(health({"data": False}), pods, d6.down, d6.alert_state, ALERTING, late)
    assert d6.alerts == [] and d7.alerts == [("data", True, "ConnectError: refused")]


def test_rollout_is_not_an_outage_and_criticality() -> None:
    not_ready = {n: False for n in catalog.NAMES}
    d = wd.decide(health({"data": False}, ever=False), not_ready, {}, {}, ALERTING, NOW)
    assert d.alerts == [] and d.events == [] and d.down == {"data": False}
    pods = {n: True for n in catalog.NAMES}
    d = wd.decide(health({"ui": False}), pods, {}, {}, ALERTING, NOW)  # catalog: ui not critical
    assert d.alerts == [] and d.events[0][1] == "ServiceDown"
    override = ALERTING.model_copy(update={"critical": {"ui": True, "data": False}})
    d = wd.decide(health({"ui": False, "data": False}), pods, {}, {}, override, NOW)
    assert [x[0] for x in d.alerts] == ["ui"]
    off = ALERTING.model_copy(update={"enabled": False})
    assert wd.decide(health({"data": False}), pods, {}, {}, off, NOW).alerts == []


def test_restart_seeds_from_the_status() -> None:
    watch = wd.StackWatch()
    watch.seed({"alerts": {"data": {"down": True, "lastAlertTime": "2026-01-01T11:59:00Z"}}})
    pods = {n: True for n in catalog.NAMES}
    d = wd.decide(
        health({"data": False}), pods, watch.reported_down, watch.alert_state, ALERTING, NOW
    )
    assert d.alerts == [] and d.events == []  # no repeat after a restart


def test_probe_urls() -> None:
    ts = spec.TradingStackSpec(workloads={"ui": {"enabled": False}})
    urls = wd.probe_targets(STACK, ts, {})
    assert urls["data"] == "http://demo-data.trading.svc:8001/health".replace(
        "8001", str(catalog.get("data").port)
    )
    assert "ui" not in urls
    over = {"*": "http://127.0.0.1:9/{workload}{health_path}", "demo/data": "http://h:1/health"}
    urls = wd.probe_targets(STACK, ts, over)
    assert (
        urls["data"] == "http://h:1/health" and urls["nhits"] == "http://127.0.0.1:9/nhits/health"
    )


# ---- real HTTP: probes, Bot API, webhook, metrics ------------------------------------------


async def test_probe_a_service_and_ollama_plain_mode() -> None:
    plain = plain_probe_names(catalog.WORKLOADS)
    assert plain == {"ollama"}

    async def version(_: web.Request) -> web.Response:
        return web.json_response({"version": "0.9.0"})

    app = web.Application()
    app.router.add_get("/api/version", version)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with serve_app(create_service_app("data", configure_logs=False)) as url:
            results = await probe_many(
                {
                    "data": url + "/health",
                    "ollama": f"http://127.0.0.1:{port}/api/version",
                    "rag": f"http://127.0.0.1:{port}/health",
                },
                timeout=2,
                retries=0,
                plain=plain,
            )
    finally:
        await runner.cleanup()
    assert results["data"].healthy and results["data"].version
    assert results["ollama"].healthy and results["ollama"].status == "healthy"
    assert not results["rag"].healthy  # 404, not a health document


class BotApi:
    """A local server that speaks the Telegram Bot API's sendMessage and a webhook."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.hooks: list[dict[str, Any]] = []
        self.tokens: list[str] = []
        self.fail = False
        self.url = ""

    async def send(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self.fail or not token.startswith("bot"):
            return web.json_response({"ok": False, "description": "Unauthorized"}, status=401)
        body = await request.json()
        self.tokens.append(token[3:])
        self.messages.append(body)
        return web.json_response({"ok": True, "result": {"message_id": len(self.messages)}})

    async def hook(self, request: web.Request) -> web.Response:
        self.hooks.append(await request.json())
        return web.json_response({})


@pytest.fixture
async def bot() -> AsyncIterator[BotApi]:
    api = BotApi()
    app = web.Application()
    app.router.add_post("/{token}/sendMessage", api.send)
    app.router.add_post("/hook", api.hook)
    runner = web.AppRunner(app, access_log=None)  # the fake server's own log is not ours
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api.url = f"http://127.0.0.1:{port}"
    try:
        yield api
    finally:
        await runner.cleanup()


async def test_telegram_and_webhook_delivery_without_logging_the_token(
    bot: BotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = a.Notifier(timeout=5, telegram_api_url=bot.url)
    notifier.start()
    tg = a.Telegram(token=TOKEN, chat_id="42")
    before = m.REGISTRY.get_sample_value(
        "tradingstack_alerts_sent_total",
        {"namespace": "ns", "stack": "s", "channel": "telegram", "kind": "down"},
    )
    try:
        notifier.submit(a.Alert("ns", "s", "data", True, "refused", "now"), tg, bot.url + "/hook")
        notifier.submit(a.Alert("ns", "s", "data", False, "", "later"), tg, None)
        await notifier.drain()
        bot.fail = True
        notifier.submit(a.Alert("ns", "s", "nhits", True, "x", "now"), tg, None)
        await notifier.drain()
    finally:
        await notifier.stop()
    assert [msg["chat_id"] for msg in bot.messages] == ["42", "42"]
    assert "data is DOWN" in bot.messages[0]["text"] and "recovered" in bot.messages[1]["text"]
    assert bot.tokens == [TOKEN, TOKEN]
    assert bot.hooks[0]["kind"] == "down" and bot.hooks[0]["workload"] == "data"
    after = m.REGISTRY.get_sample_value(
        "tradingstack_alerts_sent_total",
        {"namespace": "ns", "stack": "s", "channel": "telegram", "kind": "down"},
    )
    assert (after or 0) - (before or 0) == 1
    failures = m.REGISTRY.get_sample_value(
        "tradingstack_alert_failures_total",
        {"namespace": "ns", "stack": "s", "channel": "telegram"},
    )
    assert failures and failures >= 1
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "HTTP Request" in text or "sent down alert" in text  # httpx/our records were there
    assert TOKEN not in text and TOKEN.split(":")[1] not in text


async def test_a_dead_endpoint_does_not_block_submit() -> None:
    notifier = a.Notifier(timeout=0.5)
    notifier.start()
    try:
        started = asyncio.get_running_loop().time()
        for i in range(50):
            notifier.submit(
                a.Alert("ns", "s", f"w{i}", True, "x", "now"), None, "http://127.0.0.1:9/"
            )
        assert asyncio.get_running_loop().time() - started < 0.1
        await notifier.drain(timeout=30)
    finally:
        await notifier.stop()


async def test_metrics_and_status_api() -> None:
    m.STACK_READY.labels("ns-api", "s").set(1)
    m.WORKLOAD_UP.labels("ns-api", "s", "data").set(0)
    stacks = [{"namespace": "ns-api", "name": "s", "ready": True, "services": []}]
    server = m.Server(lambda: stacks)
    port = await server.start(address="127.0.0.1", port=0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            text = (await c.get("/metrics")).text
            assert 'tradingstack_stack_ready{namespace="ns-api",stack="s"} 1.0' in text
            assert (
                'tradingstack_workload_up{namespace="ns-api",stack="s",workload="data"} 0.0' in text
            )
            assert (await c.get("/status")).json() == {"stacks": stacks}
            assert (await c.get("/status/ns-api/s")).json()["ready"] is True
            assert (await c.get("/status/ns-api/nope")).status_code == 404
    finally:
        await server.stop()
    m.forget_stack("ns-api", "s")
    assert (
        m.REGISTRY.get_sample_value(
            "tradingstack_workload_up", {"namespace": "ns-api", "stack": "s", "workload": "data"}
        )
        is None
    )


def test_builders_service_name_matches_probe_default() -> None:
    w = catalog.get("rag")
    assert wd.probe_url(STACK, w, {}).startswith(
        f"http://{b.Stack.child(STACK, 'rag')}.trading.svc"
    )


def test_gpus_requested() -> None:
    from tradingstack_operator.controller import gpus_requested
    from tradingstack_operator.reconcile import parse_spec

    default = sum(1 for w in catalog.WORKLOADS if w.gpu)
    assert gpus_requested(parse_spec({"spec": {}})) == default > 0
    body = {"spec": {"workloads": {"nhits": {"gpu": 2, "replicas": 2}, "tcn": {"gpu": 0}}}}
    assert gpus_requested(parse_spec(body)) == default - 1 - 1 + 4  # tcn none, nhits 2 x 2
    assert gpus_requested(parse_spec({"spec": {"workloads": {"nope": {}}}})) == 0  # invalid
