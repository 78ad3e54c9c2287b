"""The operator's watchdog on the real control plane: the services of a TradingStack run as
local processes (real service apps of the kit, uvicorn on 127.0.0.1) that the operator
reaches through TS_OPERATOR_PROBE_URLS; alerts go to a local server that speaks the Telegram
Bot API (and a webhook), and the operator runs as the chart's ServiceAccount.

Kill a service: within two intervals the status, an Event, the metric and one Telegram
message say so; restart it: the recovery message comes; flap it within the cooldown: no
second alert.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from kopf.testing import KopfRunner
from kubernetes import client
from tradingstack.core.app import create_service_app
from tradingstack_operator import spec as tsspec

from tests.cluster import test_operator as op
from tests.cluster.conftest import wait_for
from tests.cluster.test_operator import Cluster, small_spec
from tests.unit.servers import free_port, serve_app

# the chart installed with helm, and a kubeconfig of its ServiceAccount (module fixtures)
helm, release, operator_kubeconfig = op.helm, op.release, op.operator_kubeconfig

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(300)]

TOKEN = "987654321:AAFakeTokenForTheLocalBotApi_x-yz12345"
CHAT = "-100777"
INTERVAL = 2


class BotApi(ThreadingHTTPServer):
    """Speaks the Bot API's sendMessage (POST /bot<token>/sendMessage) and records messages;
    POST /hook is the generic webhook."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.hooks: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    if self.path == f"/bot{TOKEN}/sendMessage":
                        outer.messages.append(body)
                        answer = {"ok": True, "result": {"message_id": len(outer.messages)}}
                        code = 200
                    elif self.path == "/hook":
                        outer.hooks.append(body)
                        answer, code = {}, 200
                    else:
                        answer, code = {"ok": False, "description": "Not Found"}, 404
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def texts(self, namespace: str) -> list[str]:
        """The messages about TradingStacks in `namespace`."""
        with self.lock:
            return [str(m["text"]) for m in self.messages if f" {namespace}/" in m["text"]]

    def hook_kinds(self, namespace: str) -> list[str]:
        with self.lock:
            return [str(h["kind"]) for h in self.hooks if h["namespace"] == namespace]


class Service:
    """A real kit service app on a fixed loopback port that can be killed and restarted."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._ctx: contextlib.AbstractContextManager[str] | None = None

    def start(self) -> None:
        self._ctx = serve_app(create_service_app(self.name, configure_logs=False), self.port)
        self._ctx.__enter__()

    def kill(self) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(None, None, None)
            self._ctx = None


@pytest.fixture(scope="module")
def bot() -> Iterator[BotApi]:
    server = BotApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def operator_running(kubeconfig: Path, bot: BotApi) -> Iterator[tuple[KopfRunner, str]]:
    """The operator with its watchdog on (as the chart's ServiceAccount when given its
    kubeconfig); yields (runner, metrics URL)."""
    port = free_port()
    env = {
        "KUBECONFIG": str(kubeconfig),
        "TS_OPERATOR_RESYNC_SECONDS": "2",
        "TS_OPERATOR_HEALTH_CHECKS": "true",
        "TS_OPERATOR_METRICS_PORT": str(port),
        "TS_OPERATOR_METRICS_ADDRESS": "127.0.0.1",
        "TS_OPERATOR_TELEGRAM_API_URL": bot.url,
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    args = ["run", "--all-namespaces", "--standalone", "-m", "tradingstack_operator.handlers"]
    try:
        with KopfRunner(args, timeout=60) as runner:
            from tradingstack_operator import handlers

            wait_for("the operator's controller", lambda: handlers.CURRENT, timeout=30)
            yield runner, f"http://127.0.0.1:{port}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert runner.exception is None, runner.output
    assert "Traceback" not in runner.output, runner.output
    assert TOKEN not in runner.output and TOKEN.split(":")[1] not in runner.output


@pytest.fixture(scope="module")
def watchdog_operator(operator_kubeconfig: Path, bot: BotApi) -> Iterator[tuple[KopfRunner, str]]:
    saved = os.environ.get("TS_OPERATOR_PROBE_URLS")
    try:
        with operator_running(operator_kubeconfig, bot) as running:
            yield running
    finally:
        if saved is None:
            os.environ.pop("TS_OPERATOR_PROBE_URLS", None)
        else:
            os.environ["TS_OPERATOR_PROBE_URLS"] = saved


def watched_stack(
    api_client: client.ApiClient, namespace: str, bot: BotApi, services: dict[str, Service]
) -> dict[str, Any]:
    """Probe URLs to the local services, the Telegram Secret; returns the stack's spec.

    The URLs go into TS_OPERATOR_PROBE_URLS for an operator started later, and into the
    watchdog of the one running now (the operator reads its settings once, at start)."""
    from tradingstack_operator import controller

    urls = {f"{namespace}/wd/{n}": f"{s.url}/health" for n, s in services.items()}
    os.environ["TS_OPERATOR_PROBE_URLS"] = json.dumps(urls)
    for running in controller.CURRENT:
        assert running.watchdog is not None
        running.watchdog.probe_urls.update(urls)
    client.CoreV1Api(api_client).create_namespaced_secret(
        namespace,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name="telegram"),
            string_data={"bot-token": TOKEN, "chat-id": CHAT},
        ),
    )
    spec = small_spec(
        alerting={
            "enabled": True,
            "telegram": {"secretName": "telegram"},
            "webhookUrl": bot.url + "/hook",
            "intervalSeconds": INTERVAL,
            "cooldownSeconds": 120,
            "probeRetries": 0,
            "probeTimeoutSeconds": 1,
        }
    )
    for w in spec["workloads"]:
        spec["workloads"][w]["enabled"] = w in services
    return spec


def test_operator_restart_sends_no_repeat(
    api_client: client.ApiClient, namespace: str, operator_kubeconfig: Path, bot: BotApi
) -> None:
    """The alert state survives a restart: a workload still down gets no second message;
    its recovery (seen by the new operator) gets one."""
    cluster = Cluster(api_client, namespace)
    services = {name: Service(name) for name in ("data", "hmm")}
    for svc in services.values():
        svc.start()
    saved = os.environ.get("TS_OPERATOR_PROBE_URLS")
    try:
        spec = watched_stack(api_client, namespace, bot, services)
        before = len(bot.texts(namespace))
        with operator_running(operator_kubeconfig, bot):
            cluster.create("wd", spec)
            cluster.wait_ready("wd", timeout=90)
            services["data"].kill()
            wait_for(
                "the down message", lambda: len(bot.texts(namespace)) == before + 1, timeout=20
            )
            wait_for(
                "the alert state in the status",
                lambda: (cluster.get("wd")["status"].get("alerts") or {}).get("data"),
                timeout=20,
            )
        probed = {s["name"]: s for s in cluster.get("wd")["status"]["services"]}
        with operator_running(operator_kubeconfig, bot):
            wait_for(
                "health checks by the new operator",
                lambda: any(
                    s["name"] == "data"
                    and s.get("lastProbeTime") != probed["data"].get("lastProbeTime")
                    for s in cluster.get("wd")["status"]["services"]
                ),
                timeout=20,
            )
            time.sleep(2 * INTERVAL)
            assert len(bot.texts(namespace)) == before + 1, bot.texts(namespace)[
                before:
            ]  # no repeat
            services["data"].start()
            wait_for(
                "the recovery message",
                lambda: any("data recovered" in x for x in bot.texts(namespace)[before:]),
                timeout=20,
            )
            time.sleep(INTERVAL)
            assert len(bot.texts(namespace)) == before + 2, bot.texts(namespace)[before:]
            cluster.custom.delete_namespaced_custom_object(
                tsspec.GROUP, tsspec.VERSION, namespace, tsspec.PLURAL, "wd"
            )
    finally:
        for svc in services.values():
            svc.kill()
        if saved is None:
            os.environ.pop("TS_OPERATOR_PROBE_URLS", None)
        else:
            os.environ["TS_OPERATOR_PROBE_URLS"] = saved


def metric(url: str, name: str, **labels: str) -> float | None:
    """The value of one series on the operator's /metrics (None when absent)."""
    text = httpx.get(url + "/metrics", timeout=5).text
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        inner, value = line[len(name) + 1 :].rsplit("} ", 1)
        found = dict(part.split("=", 1) for part in inner.split(",") if part)
        if {k: v.strip('"') for k, v in found.items()} == labels:
            return float(value)
    return None


def test_kill_restart_and_flap(
    api_client: client.ApiClient,
    namespace: str,
    watchdog_operator: tuple[KopfRunner, str],
    bot: BotApi,
) -> None:
    _, metrics_url = watchdog_operator
    cluster = Cluster(api_client, namespace)
    core = client.CoreV1Api(api_client)
    services = {name: Service(name) for name in ("data", "hmm")}
    for svc in services.values():
        svc.start()
    spec = watched_stack(api_client, namespace, bot, services)
    before = len(bot.texts(namespace))

    def svc_status(name: str) -> dict[str, Any]:
        st = cluster.get("wd").get("status") or {}
        return next((s for s in st.get("services") or [] if s["name"] == name), {})

    def events(reason: str) -> list[Any]:
        items = core.list_namespaced_event(
            namespace, field_selector=f"involvedObject.name=wd,reason={reason}"
        ).items
        return list(items)

    try:
        cluster.create("wd", spec)
        stack = cluster.wait_ready("wd", timeout=90)
        data = svc_status("data")
        assert data["healthy"] is True and data["health"] == "healthy", data
        assert data["version"] and data["lastProbeTime"] and data["consecutiveFailures"] == 0
        assert data["latencySeconds"] >= 0 and data["uptimeSeconds"] > 0
        assert stack["status"]["servicesReady"] == "2/2"
        labels = {"namespace": namespace, "stack": "wd"}
        assert metric(metrics_url, "tradingstack_stack_ready", **labels) == 1
        assert metric(metrics_url, "tradingstack_workload_up", **labels, workload="data") == 1
        api = httpx.get(f"{metrics_url}/status/{namespace}/wd", timeout=5).json()
        assert api["ready"] is True and api["servicesReady"] == "2/2"
        assert len(bot.texts(namespace)) == before  # nothing to say while healthy

        # ---- kill data: status, Event, metric and one Telegram message within 2 intervals
        services["data"].kill()
        killed = time.monotonic()
        within = 2 * INTERVAL + 1.5  # a sweep, plus the status write (debounce) and slack
        seen: dict[str, float] = {}

        def all_say_so() -> bool:
            if "metric" not in seen and (
                metric(metrics_url, "tradingstack_workload_up", **labels, workload="data") == 0
            ):
                seen["metric"] = time.monotonic() - killed
            if "telegram" not in seen and any("data is DOWN" in t for t in bot.texts(namespace)):
                seen["telegram"] = time.monotonic() - killed
            if "event" not in seen and events("ServiceDown"):
                seen["event"] = time.monotonic() - killed
            if "status" not in seen:
                degraded = cluster.condition("wd", "Degraded")
                if degraded.get("reason") == "Unhealthy" and "data" in degraded["message"]:
                    seen["status"] = time.monotonic() - killed
            return len(seen) == 4

        wait_for("status, Event, metric and Telegram to report data down", all_say_so, 30, 0.1)
        # KopfRunner (click) swaps sys.stdout while the operator runs: the real stderr
        sys.__stderr__.write(f"\nreported down after (s): {seen}\n")
        assert max(seen.values()) <= within, seen
        assert cluster.condition("wd", "Ready")["status"] == "False"
        data = svc_status("data")
        assert data["healthy"] is False and data["consecutiveFailures"] >= 1, data
        assert "data is down" in events("ServiceDown")[0].message
        assert events("ServiceDown")[0].type == "Warning"
        time.sleep(2 * INTERVAL)  # still down: no second message
        down_msgs = [t for t in bot.texts(namespace)[before:] if "DOWN" in t]
        assert len(down_msgs) == 1, bot.texts(namespace)
        assert {m["chat_id"] for m in bot.messages} == {CHAT}
        assert bot.hook_kinds(namespace) == ["down"]
        assert cluster.get("wd")["status"]["alerts"]["data"]["down"] is True  # persisted

        # ---- restart: the recovery message
        services["data"].start()
        wait_for(
            "the recovery message",
            lambda: any("data recovered" in t for t in bot.texts(namespace)),
            timeout=4 * INTERVAL + 5,
            interval=0.1,
        )
        wait_for("ServiceRecovered Event", lambda: events("ServiceRecovered"), timeout=10)
        cluster.wait_ready("wd", timeout=30)
        assert metric(metrics_url, "tradingstack_workload_up", **labels, workload="data") == 1

        # ---- flap within the cooldown: the Event and metric, but no second alert
        count = len(bot.texts(namespace))
        services["data"].kill()
        wait_for(
            "the second ServiceDown Event", lambda: len(events("ServiceDown")) >= 2, timeout=15
        )
        wait_for(
            "the metric",
            lambda: metric(metrics_url, "tradingstack_workload_up", **labels, workload="data") == 0,
            timeout=10,
        )
        services["data"].start()
        wait_for(
            "data healthy again",
            lambda: metric(metrics_url, "tradingstack_workload_up", **labels, workload="data") == 1,
            timeout=15,
        )
        time.sleep(2 * INTERVAL)
        assert len(bot.texts(namespace)) == count, bot.texts(namespace)[count:]
        suppressed = metric(
            metrics_url, "tradingstack_alerts_suppressed_total", **labels, workload="data"
        )
        assert suppressed == 1
        sent = metric(
            metrics_url, "tradingstack_alerts_sent_total", **labels, channel="telegram", kind="down"
        )
        assert sent == 1
    finally:
        for svc in services.values():
            svc.kill()
