"""The local gateway routes like the Ingress: prefixes stripped, X-Forwarded-Prefix set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tradingstack.core import catalog
from tradingstack.core.catalog import routed_workloads
from tradingstack.data.app import create_app
from tradingstack.data.settings import DataSettings
from tradingstack.local.gateway import create_gateway, match, refusal
from tradingstack.local.launcher import (
    PortInUse,
    Stack,
    bind_service,
    bound_port,
    env_gateway_port,
    listen,
    local_port,
    service_env,
)

from tests.unit.servers import raw_requests, serve_app


def test_prefix_matching_is_element_wise() -> None:
    ws = routed_workloads()
    assert match("/data", ws)[0].name == "data"  # type: ignore[index]
    assert match("/data/api/v1/x", ws)[1] == "/api/v1/x"  # type: ignore[index]
    assert match("/database", ws)[0].name == "ui"  # type: ignore[index]
    assert match("/", ws)[0].name == "ui"  # type: ignore[index]
    assert match("/nhits/health", ws) == (next(w for w in ws if w.name == "nhits"), "/health")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = DataSettings(dir=Path(tmp_path_factory.mktemp("gw")) / "data")
    with serve_app(create_app(settings)) as data_url:
        gw = create_gateway({"data": data_url}, status=lambda: {"services": {"data": "ok"}})
        with serve_app(gw) as gw_url:
            yield gw_url


def test_routes_through_the_gateway(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as c:
        health = c.get("/data/health").json()
        assert health["service"] == "data" and health["status"] == "healthy"
        r = c.get("/data/api/v1/ohlcv/BTCUSD", params={"timeframe": "H1", "limit": 100})
        assert r.status_code == 200 and len(r.json()["bars"]) == 100
        # POST bodies pass through
        sym = {"symbol": "GWTEST", "name": "gw", "category": "stock", "provider_order": []}
        assert c.post("/data/api/v1/symbols", json=sym).status_code == 201


def test_docs_work_behind_the_gateway(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as c:
        docs = c.get("/data/docs")
        assert docs.status_code == 200 and "/data/openapi.json" in docs.text
        spec = c.get("/data/openapi.json").json()
        assert spec["servers"] == [{"url": "/data"}]
        assert "/api/v1/ohlcv/{symbol}" in spec["paths"]


def test_services_not_running_and_the_index(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as c:
        r = c.get("/nhits/health")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert "nhits" in r.json()["detail"]
        index = c.get("/").json()
        assert index["routes"]["/data"] == {"service": "data", "running": True}
        assert index["routes"]["/nhits"]["running"] is False
        assert c.get("/_status").json() == {"services": {"data": "ok"}}


def _raw(gateway: str, requests: list[tuple[str, str]]) -> list[tuple[int, bytes]]:
    return raw_requests(gateway, [(method, path, {}) for method, path in requests], timeout=10)


def test_a_control_character_is_a_400_and_the_connection_lives_on(gateway: str) -> None:
    paths = ["/data/api/v1/symbols/%07", "/data/api/v1/symbols/a%00b", "/data/x%7F", "/data/%1f"]
    # a newline or CR: the catch-all route's regex does not match them (a plain-text 404)
    paths += ["/data/api/v1/strategies/a%0Ab", "/data/api/v1/strategies/%0D"]
    answers = _raw(gateway, [("GET", p) for p in paths] + [("GET", "/data/health")] * 3)
    assert [status for status, _ in answers] == [400] * len(paths) + [200] * 3
    assert b"control character" in answers[0][1]


def test_an_encoded_slash_stays_inside_its_path_parameter(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as c:
        sym = {"symbol": "GWTRAV", "name": "t", "category": "stock", "provider_order": []}
        assert c.post("/data/api/v1/symbols", json=sym).status_code == 201
    deleted, listed, twice = _raw(
        gateway,
        [
            ("DELETE", "/data/api/v1/symbols/NOPE%2F..%2FGWTRAV"),
            ("GET", "/data/api/v1/symbols/x%2F..%2F"),
            ("GET", "/data/api/v1/symbols/%252e%252e%252fGWTRAV"),
        ],
    )
    # decoded and resolved by the gateway, these addressed GWTRAV and the symbol list; now
    # they name no route (404), or a symbol outside the pattern (422)
    assert deleted[0] == 404 and listed[0] == 404, (deleted, listed)
    assert twice[0] == 422 and b"pattern" in twice[1], twice  # decoded once: `%2e%2e%2fGWTRAV`
    with httpx.Client(base_url=gateway) as c:
        assert c.get("/data/api/v1/symbols/GWTRAV").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/data/../nhits/health", "/data/api/v1/symbols/%2e%2e", "/data/./health", "/%2E%2e/data"],
)
def test_a_dot_segment_is_refused(gateway: str, path: str) -> None:
    [(status, body)] = _raw(gateway, [("GET", path)])
    assert status == 400 and b"segment" in body, body


def test_refusal_allows_what_clients_send() -> None:
    assert refusal(b"/data/api/v1/ohlcv/BTCUSD") is None
    assert refusal(b"/data/api/v1/symbols/%2E%2Ehidden/x.y") is None  # dots inside a segment
    assert refusal(b"/ui/assets/app.v1.js") is None


def test_a_clients_forwarded_headers_do_not_pass_the_gateway(gateway: str) -> None:
    """The gateway sends its own X-Forwarded-*; a client's copies came first and were believed
    (the prefix of the docs, the host of the cross-origin check)."""
    host = httpx.URL(gateway).netloc.decode()
    with httpx.Client(base_url=gateway) as c:
        spec = c.get("/data/openapi.json", headers={"X-Forwarded-Prefix": "/evil"}).json()
        assert spec["servers"] == [{"url": "/data"}]
        sym = {"symbol": "GWORIGIN", "name": "gw", "category": "stock", "provider_order": []}
        foreign = {"Origin": "http://evil.example", "X-Forwarded-Host": "evil.example"}
        assert c.post("/data/api/v1/symbols", json=sym, headers=foreign).status_code == 403
        same = {"Origin": f"http://{host}"}
        assert c.post("/data/api/v1/symbols", json=sym, headers=same).status_code == 201


def test_a_service_whose_port_is_taken_listens_on_a_free_one() -> None:
    data = catalog.get("data")
    try:
        holder = listen(local_port(data))
    except OSError:
        holder = None  # taken already (another stack): just as good
    try:
        sock = bind_service(data)
        try:
            assert bound_port(sock) != local_port(data)
            assert sock.get_inheritable()  # handed to the service's process
        finally:
            sock.close()
    finally:
        if holder is not None:
            holder.close()


def test_the_gateway_port_comes_from_ts_gateway_port() -> None:
    assert env_gateway_port({}) == 3000
    assert env_gateway_port({"TS_GATEWAY_PORT": " 3300 "}) == 3300
    for bad in ("grafana", "70000", "-1"):
        with pytest.raises(ValueError, match="TS_GATEWAY_PORT"):
            env_gateway_port({"TS_GATEWAY_PORT": bad})


def test_a_taken_gateway_port_says_how_to_move_it(tmp_path: Path) -> None:
    with listen(0) as held:
        stack = Stack([], state_dir=tmp_path, gateway_port=bound_port(held))
        with pytest.raises(PortInUse, match="TS_GATEWAY_PORT=3300"):
            stack.bind_gateway()
    free = Stack([], state_dir=tmp_path, gateway_port=0)
    with free.bind_gateway() as sock:
        assert free.gateway_port == bound_port(sock) > 0


def test_services_are_told_where_the_others_really_listen(tmp_path: Path) -> None:
    env = service_env(
        tmp_path,
        base={"TS_DATA_URL": "http://elsewhere:1", "TS_RAG_URL": "http://rag.example:8"},
        urls={"data": "http://127.0.0.1:45001"},
    )
    assert env["TS_DATA_URL"] == "http://127.0.0.1:45001"  # where it runs wins
    assert env["TS_RAG_URL"] == "http://rag.example:8"  # not in this stack: as configured
    assert env["TS_HMM_URL"] == "http://127.0.0.1:3004"
    assert env["TS_DATA_DIR"] == str(tmp_path / "data")
