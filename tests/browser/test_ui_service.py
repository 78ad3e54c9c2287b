"""The ui service without a browser: the page, /config.json, client routes, the kit's paths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tradingstack.core import catalog
from tradingstack.core.settings import KitSettings
from tradingstack.ui import app as ui_app
from tradingstack.ui.app import create_app
from tradingstack.ui.settings import UiSettings

from tests.unit.servers import free_port, serve_app

BUILD = Path(__file__).resolve().parents[2] / "services/tradingstack/ui/static"


@pytest.fixture
def fake_build(tmp_path: Path) -> Path:
    """A small build output (the real one is checked by the browser tests)."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        '<!doctype html><link rel="stylesheet" href="./assets/main-AB12.css">'
        '<script type="module" src="./assets/main-CD34.js"></script>'
    )
    (tmp_path / "assets" / "main-CD34.js").write_text("console.log('hi')")
    (tmp_path / "assets" / "main-AB12.css").write_text("body{}")
    (tmp_path / "robots.txt").write_text("User-agent: *\n")
    return tmp_path


@pytest.fixture
def client(fake_build: Path) -> Iterator[TestClient]:
    settings = UiSettings(static_dir=fake_build, status_url="http://operator.example:8080/status")
    with TestClient(create_app(settings, kit=KitSettings(), configure_logs=False)) as c:
        yield c


def test_index_answers_the_page_and_view_paths_redirect_to_their_fragment(
    client: TestClient,
) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "main-CD34.js" in r.text
    assert r.headers["cache-control"] == "no-cache"
    for path, fragment in (
        ("/symbol/BTCUSD/H1", "/#/symbol/BTCUSD/H1"),
        ("/training", "/#/training"),
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == fragment
    csp = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self';" in csp


def test_assets_are_cached_and_missing_files_are_404_problems(client: TestClient) -> None:
    r = client.get("/assets/main-CD34.js")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    assert client.get("/robots.txt").text.startswith("User-agent")
    for path in ("/assets/nope.js", "/nope.png"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")


def test_api_paths_stay_the_kits(client: TestClient) -> None:
    assert client.get("/health").json()["service"] == "ui"
    assert client.get("/health").json()["status"] == "healthy"
    assert "cpu" in client.get("/api/v1/system/metrics").json()
    assert client.get("/metrics").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["detail"].startswith("No route")


def test_a_path_that_is_no_view_and_no_file_is_a_404_not_the_page(client: TestClient) -> None:
    # a request meant for a service that reaches the UI (an encoded slash after the prefix, a
    # service that is not deployed) must not get a 200 page in place of its answer
    for path in ("/data%2Fapi/v1/symbols", "/datax/api/v1/symbols", "/ollama/api/tags", "/nope"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json")


def test_the_views_redirected_are_the_pages_routes() -> None:
    main_ts = Path(ui_app.__file__).parent / "frontend" / "src" / "main.ts"
    routes = set(re.findall(r'\{ path: "([a-z]+)", title:', main_ts.read_text()))
    assert routes and routes == set(ui_app.VIEWS)


def test_paths_outside_the_build_are_never_served(client: TestClient) -> None:
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../ui/app.py"):
        r = client.get(path)
        assert "root:" not in r.text and "create_app" not in r.text


def test_config_names_the_status_url_and_every_workload(client: TestClient) -> None:
    cfg = client.get("/config.json").json()
    # an absolute status URL is fetched by the service: the page reads it at status.json
    assert cfg["status_url"] == "status.json"
    assert cfg["status_upstream"] == "http://operator.example:8080/status"
    by_name = {w["name"]: w for w in cfg["workloads"]}
    assert list(by_name) == list(catalog.NAMES)
    assert by_name["data"]["prefix"] == "/data" and by_name["ui"]["prefix"] == ""
    assert by_name["ollama"]["prefix"] is None and by_name["ollama"]["local"] is False
    assert cfg["timeframes"] == ["M5", "M15", "H1", "H4", "D1"]


def test_status_url_comes_from_the_environment(
    fake_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TS_UI_STATUS_URL", "/operator/status")
    monkeypatch.setenv("TS_UI_STATIC_DIR", str(fake_build))
    with TestClient(create_app(kit=KitSettings(), configure_logs=False)) as c:
        assert c.get("/config.json").json()["status_url"] == "/operator/status"


def test_without_a_build_the_page_says_how_to_build_it(tmp_path: Path) -> None:
    app = create_app(UiSettings(static_dir=tmp_path / "none"), configure_logs=False)
    with TestClient(app) as c:
        r = c.get("/")
        assert r.status_code == 503 and "make ui-assets" in r.json()["detail"]
        health = c.get("/health").json()
        assert health["status"] == "degraded" and "make ui-assets" in health["details"]["assets"]


def test_the_real_build_references_only_its_own_assets() -> None:
    if not (BUILD / "index.html").is_file():
        pytest.fail("the dashboard is not built: run `make ui-assets`")
    html = (BUILD / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(r.startswith("./assets/") or r.startswith("data:") for r in refs), refs
    for ref in refs:
        if ref.startswith("./"):
            assert (BUILD / ref[2:]).is_file(), ref
    # no CDN at run time: the only URLs in the bundle are the SVG namespace and the chart
    # library's attribution link (neither is fetched)
    js = next(BUILD.glob("assets/*.js")).read_text()
    urls = set(re.findall(r"https?://[A-Za-z0-9./_-]+", js))
    assert urls <= {"http://www.w3.org/2000/svg", "https://www.tradingview.com/"}, urls


def test_an_absolute_status_url_is_fetched_for_the_page(fake_build: Path) -> None:
    """The operator's status API (a real HTTP server here) through /status.json."""
    stack = {
        "namespace": "trading",
        "name": "edge",
        "ready": False,
        "services": [{"name": "data", "ready": True, "health": "healthy", "healthy": True}],
    }

    async def status(request: Request) -> JSONResponse:
        return JSONResponse(stack)

    operator = Starlette(routes=[Route("/status/trading/edge", status)])
    with serve_app(operator) as base:
        ok = UiSettings(static_dir=fake_build, status_url=f"{base}/status/trading/edge")
        gone = UiSettings(static_dir=fake_build, status_url=f"{base}/status/trading/nope")
        with TestClient(create_app(ok, kit=KitSettings(), configure_logs=False)) as c:
            assert c.get("/status.json").json() == stack
        with TestClient(create_app(gone, kit=KitSettings(), configure_logs=False)) as c:
            r = c.get("/status.json")
            assert r.status_code == 502 and "HTTP 404" in r.json()["detail"]
    down = UiSettings(static_dir=fake_build, status_url=f"http://127.0.0.1:{free_port()}/status")
    with TestClient(create_app(down, kit=KitSettings(), configure_logs=False)) as c:
        r = c.get("/status.json")
        assert r.status_code == 502 and "did not answer" in r.json()["detail"]
    local = UiSettings(static_dir=fake_build)  # /_status: the page reads the gateway directly
    with TestClient(create_app(local, kit=KitSettings(), configure_logs=False)) as c:
        assert c.get("/config.json").json()["status_url"] == "/_status"
        assert c.get("/status.json").status_code == 404
