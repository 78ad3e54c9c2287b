"""The dashboard in a real browser (headless Debian chromium) against the real local stack.

Every view loads without console errors at 1280x800 and on a phone; the chart draws bars; a
forecast shows after training through the UI; patterns (and the regime, when hmm exists) are
drawn; a stopped service shows its error in place while the rest of the page works; the API
token from Settings is sent on changes. Screenshots of every view go to artifacts/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from tradingstack.core import catalog

from tests.browser.conftest import ARTIFACTS
from tests.local_stack import RunningStack, healthy_stack, start_stack, wanted_services

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWS = ("overview", "symbol", "analysis", "knowledge", "training", "manage", "settings")
TITLES = {
    "overview": "Overview",
    "symbol": "Chart",
    "analysis": "Analysis",
    "knowledge": "Knowledge",
    "training": "Training",
    "manage": "Symbols & strategies",
    "settings": "Settings",
}
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TOKEN = "browser-test-token"
UP = (38, 166, 154)  # candle colours in the chart (src/chart.ts)
DOWN = (239, 83, 80)
FORECAST = (66, 165, 245)


@dataclass
class Watch:
    """What the page said: console errors, uncaught exceptions, failed responses."""

    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("response", self._response)
        page.on(
            "request",
            lambda r: self.requests.append((r.method, r.url, r.headers.get("authorization"))),
        )

    def _response(self, r: Any) -> None:
        if r.status >= 400:
            self.failed.append((r.status, r.url, r.headers.get("content-type", "")))
            if r.status == 503:  # which problem: read now, a later navigation drops the body
                try:
                    self.types[r.url] = str(r.json().get("type", ""))
                except Exception as exc:
                    self.types[r.url] = f"unreadable: {exc}"

    def problem_type(self, url: str) -> str:
        return self.types.get(url, "")

    def assert_clean(self, stack: RunningStack, also_down: tuple[str, ...] = ()) -> None:
        """No JS error; the only failed requests are services' problem+json answers: 503/502
        from a service that is not running, 503 model-being-prepared (a model trained on
        demand), 404 for what is not there, 409, and 422 (a model that cannot answer for these
        bars)."""
        assert not self.page_errors, self.page_errors
        noise = "Failed to load resource: the server responded with a status of"
        assert [c for c in self.console if not c.startswith(noise)] == []
        for status, url, ctype in self.failed:
            assert ctype.startswith("application/problem+json"), (status, url, ctype)
            path = url.split("://", 1)[1].split("/", 1)[1]
            service = path.split("/", 1)[0]
            if status == 503 and self.problem_type(url).endswith(":model-being-prepared"):
                continue
            if status in (502, 503):
                assert service not in stack.services or service in also_down, (status, url)
            else:
                assert status in (404, 409, 422), (status, url)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state = tmp_path_factory.mktemp("stack")
    with healthy_stack(wanted_services(), state, {}, timeout=30) as running:
        yield running


def open_view(browser: Any, base: str, view: str, viewport: str = "desktop") -> tuple[Any, Watch]:
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    goto(page, base, view)
    return page, watch


def goto(page: Any, base: str, view: str, timeout: float = 60) -> None:
    page.goto(f"{base}/#/{view}")
    wait_ready(page, timeout)


def wait_ready(page: Any, timeout: float = 60) -> None:
    # page.wait_for_function evaluates strings, which the dashboard's CSP forbids: poll instead
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate("() => Boolean(window.__tradingstack && window.__tradingstack.ready)"):
            return
        time.sleep(0.1)
    # say which panels were still waiting for a service, so a hang names its culprit
    busy = page.evaluate(
        "() => [...document.querySelectorAll('[aria-busy=true]')]"
        ".map((e) => e.id || e.querySelector('h2')?.textContent || e.className)"
    )
    raise AssertionError(f"{page.url} not ready after {timeout} s; still loading: {busy}")


def wait_for(page: Any, js: str, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(js)
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what}: not after {timeout} s")


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"ui-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def chart_stats(page: Any) -> dict[str, int]:
    stats: dict[str, int] = page.evaluate("() => window.__tradingstack.chart")
    return stats


def colour_pixels(page: Any, *colours: tuple[int, int, int]) -> list[int]:
    """Pixels of each exact colour on the chart's canvases (what the browser really drew)."""
    counts: list[int] = page.evaluate(
        """(colours) => {
            const counts = colours.map(() => 0);
            for (const c of document.querySelectorAll('#price-chart canvas')) {
                if (!c.width || !c.height) continue;
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 0; i < d.length; i += 4) {
                    colours.forEach(([r, g, b], k) => {
                        if (d[i] === r && d[i + 1] === g && d[i + 2] === b && d[i + 3] > 200)
                            counts[k] += 1;
                    });
                }
            }
            return counts;
        }""",
        [list(c) for c in colours],
    )
    return counts


def save_token(page: Any, base: str, token: str) -> None:
    goto(page, base, "settings")
    page.get_by_label("Token", exact=True).fill(token)
    page.get_by_role("button", name="Save token").click()
    page.get_by_text("Token saved in this browser.").wait_for()


# --- a stack with TS_API_TOKEN: changes need the token from Settings -------------------------
def test_token_from_settings_is_sent_and_a_401_shows_in_place(browser: Any, tmp_path: Path) -> None:
    stack = start_stack(["ui", "data"], tmp_path, {"TS_API_TOKEN": TOKEN})
    try:
        page, watch = open_view(browser, stack.base, "manage")
        panel = page.locator("[data-panel=add-symbol]")
        panel.get_by_label("Symbol", exact=True).fill("TOKTEST")
        panel.get_by_label("Name").fill("Token test")
        panel.get_by_role("button", name="Add symbol").click()
        alert = panel.get_by_role("alert")
        alert.wait_for()
        # said for people, with the link that fixes it (the 401 is in the technical details)
        assert "needs the API token" in alert.inner_text(), alert.inner_text()
        fix = alert.get_by_role("link", name="Enter the token in Settings")
        assert fix.get_attribute("href") == "#/settings"
        # the page still works: the symbols table is there
        assert page.locator("[data-panel=symbols] tbody tr").count() >= 5

        save_token(page, stack.base, TOKEN)
        goto(page, stack.base, "manage")
        panel = page.locator("[data-panel=add-symbol]")
        panel.get_by_label("Symbol", exact=True).fill("TOKTEST")
        panel.get_by_label("Name").fill("Token test")
        panel.get_by_role("button", name="Add symbol").click()
        panel.get_by_text("Added TOKTEST.").wait_for()
        posts = [r for r in watch.requests if r[0] == "POST" and "/data/api/v1/symbols" in r[1]]
        assert posts[0][2] is None and posts[-1][2] == f"Bearer {TOKEN}"
        gets = [r for r in watch.requests if r[0] == "GET" and "/data/api/v1/" in r[1]]
        assert gets and all(auth is None for _, _, auth in gets), "GETs never carry the token"
        assert httpx.get(f"{stack.base}/data/api/v1/symbols/TOKTEST").status_code == 200
        assert [s for s, *_ in watch.failed] == [401]
        assert not watch.page_errors
    finally:
        stack.stop()


# --- the main stack --------------------------------------------------------------------------
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_view_loads_without_console_errors(
    browser: Any, stack: RunningStack, viewport: str
) -> None:
    for view in VIEWS:
        page, watch = open_view(browser, stack.base, view, viewport)
        assert page.locator("h1").inner_text() == TITLES[view]
        current = page.locator("nav a[aria-current=page]")
        assert current.count() == 1 and current.get_attribute("href") == f"#/{view}"
        # every form control has a label, every button a name
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                .map((el) => el.outerHTML.slice(0, 80))"""
        )
        assert unlabelled == []
        nameless = page.evaluate(
            "() => [...document.querySelectorAll('button')].filter((b) => !b.textContent.trim()"
            " && !b.getAttribute('aria-label')).length"
        )
        assert nameless == 0
        # readable: nothing wider than the viewport (tables scroll inside their panel)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{view} is {overflow}px wider than the {viewport} viewport"
        shot(page, f"{view}-{viewport}")
        watch.assert_clean(stack)
        page.context.close()


def test_overview_shows_every_workload_with_health_and_metrics(
    browser: Any, stack: RunningStack
) -> None:
    page, watch = open_view(browser, stack.base, "overview")
    health = page.locator("[data-panel=health]")
    for name in stack.services:
        row = health.locator("tr", has=page.locator(f"strong:text-is('{name}')"))
        assert "healthy" in row.inner_text(), row.inner_text()
    for w in catalog.WORKLOADS:
        if w.name not in stack.services:
            row = health.locator("tr", has=page.locator(f"strong:text-is('{w.name}')"))
            badge = row.locator(".badge").inner_text()
            assert badge == (
                "cluster only"
                if w.app is None
                else "not built"
                if not w.implemented
                else "not running"
            ), (w.name, badge)
    system = page.locator("[data-panel=system]")
    data_row = system.locator("tr", has=page.locator("strong:text-is('data')"))
    assert "cores" in data_row.inner_text() and "GiB" in data_row.inner_text()
    watch.assert_clean(stack)
    page.context.close()


def test_chart_draws_bars_volume_and_indicators(browser: Any, stack: RunningStack) -> None:
    page, watch = open_view(browser, stack.base, "symbol/BTCUSD/H1")
    stats = chart_stats(page)
    assert stats["bars"] == 500 and stats["overlays"] >= 3 and stats["panes"] >= 2
    up, down = colour_pixels(page, UP, DOWN)
    assert up > 200 and down > 200, (up, down)
    # another timeframe redraws from the data service
    page.get_by_label("Timeframe").select_option("D1")
    wait_for(
        page,
        "() => window.__tradingstack.ready && window.__tradingstack.chartOf === 'BTCUSD/D1'",
        30,
        "D1 bars",
    )
    d1 = httpx.get(
        f"{stack.base}/data/api/v1/ohlcv/BTCUSD", params={"timeframe": "D1", "limit": 500}
    ).json()
    assert chart_stats(page)["bars"] == len(d1["bars"])
    assert page.url.endswith("#/symbol/BTCUSD/D1")
    watch.assert_clean(stack)
    page.context.close()


def test_keyboard_reaches_and_opens_every_view(browser: Any, stack: RunningStack) -> None:
    page, watch = open_view(browser, stack.base, "overview")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("() => document.activeElement.textContent"))
        if seen[-1] == "Knowledge":
            break
    assert seen[-1] == "Knowledge", seen
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focused links show a focus ring"
    page.keyboard.press("Enter")
    wait_for(page, "() => location.hash === '#/knowledge'", 5, "Enter follows the link")
    wait_ready(page)
    assert page.locator("h1").inner_text() == "Knowledge"
    watch.assert_clean(stack)
    page.context.close()


def test_manage_symbols_strategies_and_csv_import(
    browser: Any, stack: RunningStack, tmp_path: Path
) -> None:
    page, watch = open_view(browser, stack.base, "manage")
    add = page.locator("[data-panel=add-symbol]")
    add.get_by_label("Symbol", exact=True).fill("UITEST")
    add.get_by_label("Name").fill("UI test symbol")
    add.get_by_label("Category").select_option("index")
    add.get_by_role("button", name="Add symbol").click()
    add.get_by_text("Added UITEST.").wait_for()
    symbols = page.locator("[data-panel=symbols]")
    symbols.get_by_role("button", name="Favourite UITEST").click()
    wait_for(
        page,
        """() => document.querySelector('[aria-label="Favourite UITEST"]')
        ?.getAttribute('aria-pressed') === 'true'""",
        10,
        "favourite toggled",
    )

    csv = tmp_path / "uitest.csv"
    rows = ["date,open,high,low,close,volume"]
    for i in range(60):
        day = f"2024-{1 + i // 28:02d}-{1 + i % 28:02d}"
        base = 100 + i
        rows.append(f"{day},{base},{base + 2},{base - 1},{base + 1},{1000 + i}")
    csv.write_text("\n".join(rows) + "\n")
    imp = page.locator("[data-panel=import]")
    imp.get_by_label("Symbol").select_option("UITEST")
    imp.get_by_label("Timeframe").select_option("D1")
    imp.get_by_label("CSV file").set_input_files(str(csv))
    imp.get_by_role("button", name="Import").click()
    imp.get_by_text("Imported 60 D1 bars of UITEST").wait_for()
    # a bad CSV says what is wrong, in place
    bad = tmp_path / "bad.csv"
    bad.write_text("when,price\nyesterday,1\n")
    imp.get_by_label("CSV file").set_input_files(str(bad))
    imp.get_by_role("button", name="Import").click()
    alert = imp.get_by_role("alert")
    alert.wait_for()
    assert "refused" in alert.inner_text() and "422" not in alert.inner_text()

    strat = page.locator("[data-panel=add-strategy]")
    strat.get_by_role("button", name="Add strategy").click()
    strat.get_by_text("Added my-strategy.").wait_for()
    strategies = page.locator("[data-panel=strategies]")
    strategies.get_by_text("My strategy").wait_for()
    delete = strategies.get_by_role("button", name="Delete my-strategy")
    delete.click()
    strategies.get_by_role("button", name="Confirm: Delete my-strategy").click()
    strategies.get_by_text("Deleted my-strategy.").wait_for()
    shot(page, "manage-after-changes-desktop")

    # the imported bars are what the chart draws for the new symbol
    goto(page, stack.base, "symbol/UITEST/D1")
    assert chart_stats(page)["bars"] == 60
    failed = [f for f in watch.failed if f[0] != 422]
    watch.failed[:] = failed
    watch.assert_clean(stack)
    page.context.close()


def _train_nhits_through_the_ui(page: Any, base: str) -> None:
    goto(page, base, "training")
    form = page.locator("[data-panel=nhits-train]")
    form.get_by_label("Symbol").select_option("BTCUSD")
    form.get_by_label("Timeframe").select_option("H1")
    form.get_by_label("Steps").fill("25")
    form.get_by_role("button", name="Start training").click()
    form.get_by_text("Started job").wait_for()
    jobs = page.locator("[data-panel=nhits-jobs]")
    jobs.locator(
        ".job[data-status=running] [role=progressbar], .job[data-status=succeeded]"
    ).first.wait_for(timeout=60_000)
    shot(page, "training-progress-desktop")
    # the service also fits the models its held-out skill is measured with (75 steps for 25
    # asked, seen 272 s on the shared 2-core machine under load)
    jobs.locator(".job[data-status=succeeded]").first.wait_for(timeout=420_000)


def test_forecast_shows_after_training(browser: Any, stack: RunningStack) -> None:
    if not stack.has("nhits"):
        pytest.skip(f"the nhits service is not in this stack ({stack.dropped or 'not built'})")
    page, watch = open_view(browser, stack.base, "symbol/BTCUSD/H1")
    forecast = page.locator("[data-panel=forecast]")
    # the stack prepares BTCUSD H1 at first start: until its model is in, the panel says it is
    # being prepared (no error), then fills in by itself
    text = forecast.inner_text()
    assert "being prepared (" in text or "Median in" in text, text
    assert forecast.get_by_role("alert").count() == 0
    assert chart_stats(page)["bars"] == 500
    page.get_by_test_id("forecast-median").wait_for(timeout=420_000)

    _train_nhits_through_the_ui(page, stack.base)
    bar = page.locator("[data-panel=nhits-jobs] .job[data-status=succeeded] [role=progressbar]")
    assert bar.first.get_attribute("aria-valuenow") == "100"
    models = page.locator("[data-panel=nhits-models]")
    models.get_by_role("button", name="Refresh").click()
    models.get_by_role("button", name="Evaluate BTCUSD H1").click()
    models.get_by_text("Hold-out metric").wait_for(timeout=60_000)
    shot(page, "training-done-desktop")

    goto(page, stack.base, "symbol/BTCUSD/H1")
    stats = chart_stats(page)
    assert stats["forecastPoints"] == 24, stats
    assert colour_pixels(page, FORECAST)[0] > 50
    median = page.get_by_test_id("forecast-median").inner_text()
    assert float(median.replace(",", "")) > 0
    shot(page, "symbol-forecast-desktop")
    watch.assert_clean(stack)
    page.context.close()


def test_patterns_and_regime_are_drawn(browser: Any, stack: RunningStack) -> None:
    if not stack.has("tcn") and not stack.has("hmm"):
        pytest.skip("neither tcn nor hmm is in this stack")
    page, watch = open_view(browser, stack.base, "training")
    if stack.has("tcn"):
        tcn = page.locator("[data-panel=tcn-train]")
        tcn.get_by_label("Size").select_option("quick")
        tcn.get_by_role("button", name="Train pattern model").click()
        # a started job, or the first-start job that is queued or running already (409 with it)
        tcn.get_by_text(re.compile(r"Started job|already; its progress is below")).wait_for()
        tcn.locator(".job[data-status=succeeded]").first.wait_for(timeout=150_000)
    goto(page, stack.base, "symbol/BTCUSD/H1")
    page.get_by_label("Pattern confidence ≥").select_option("0.5")
    page.get_by_role("button", name="Update chart").click()
    wait_for(page, "() => window.__tradingstack.ready", 60, "chart with layers")
    if stack.has("hmm"):
        # the stack prepares the BTCUSD H1 regime model at first start (a read never fits one;
        # while it is prepared the panel says so and asks again)
        page.get_by_test_id("regime-current").wait_for(timeout=120_000)
    stats = chart_stats(page)
    if stack.has("tcn"):
        found = httpx.get(
            f"{stack.base}/tcn/api/v1/detect/BTCUSD",
            params={"timeframe": "H1", "min_confidence": 0.5, "bars": 500},
            timeout=60,
        ).json()["detections"]
        # the tcn service serves only the patterns whose calibrated rule beats chance: a quick
        # model may serve none, and then the panel says so in words
        assert stats["patterns"] == len(found)
        rows = page.locator("[data-panel=patterns] tbody tr").count()
        assert rows == len(found)
        if found:
            bullish, bearish = colour_pixels(page, (255, 213, 79), (239, 154, 154))
            assert bullish + bearish > 50, "pattern boxes, labels and markers are on the canvas"
        else:
            page.get_by_text("No pattern above the threshold in BTCUSD H1").wait_for()
    if stack.has("hmm"):
        assert stats["regimes"] >= 1, stats
        assert page.get_by_test_id("regime-current").inner_text() not in ("", "–")
    assert stats["patterns"] + stats["regimes"] >= 1, stats
    shot(page, "symbol-patterns-desktop")
    watch.assert_clean(stack)
    page.context.close()


def test_knowledge_add_search_delete(browser: Any, stack: RunningStack) -> None:
    if not stack.has("rag", "embedder"):
        pytest.skip("rag and embedder are not both in this stack")
    page, watch = open_view(browser, stack.base, "knowledge")
    add = page.locator("[data-panel=add-document]")
    add.get_by_label("Text").fill(
        "NVIDIA raised its data-centre revenue guidance after strong GPU demand."
    )
    add.get_by_label("Symbol").fill("NVDA")
    add.get_by_label("Source").fill("news")
    add.get_by_role("button", name="Add document").click()
    add.get_by_text("Added").wait_for(timeout=60_000)
    docs = page.locator("[data-panel=documents]")
    docs.locator("tbody tr", has_text="NVDA").wait_for()
    search = page.locator("[data-panel=search]")
    search.get_by_label("Question or keywords").fill("GPU demand guidance")
    search.get_by_role("button", name="Search").click()
    search.locator(".hits li").first.wait_for(timeout=30_000)
    assert "data-centre" in search.locator(".hits").inner_text()
    shot(page, "knowledge-with-document-desktop")
    delete = docs.locator("tbody tr", has_text="NVDA").get_by_role("button")
    delete.click()
    delete.click()
    docs.get_by_text("Deleted").wait_for()
    assert docs.locator("tbody tr", has_text="NVDA").count() == 0
    watch.assert_clean(stack)
    page.context.close()


def test_analysis_and_streaming_chat(browser: Any, stack: RunningStack) -> None:
    if not stack.has("llm"):
        pytest.skip("the llm service is not in this stack")
    page, watch = open_view(browser, stack.base, "analysis")
    chat = page.locator("[data-panel=chat]")
    message = chat.get_by_label("Message", exact=True)
    message.fill("In one sentence: what is a moving average?")
    message.press("Enter")
    wait_for(page, "() => window.__tradingstack.chatPieces", 120, "streamed reply")
    assert page.evaluate("() => window.__tradingstack.chatPieces") > 1
    assert chat.locator(".msg.assistant p").inner_text().strip()

    analysis = page.locator("[data-panel=analysis]")
    analysis.get_by_label("Symbol").select_option("BTCUSD")
    analysis.get_by_label("Timeframe").select_option("H1")
    analysis.get_by_role("button", name="Analyze").click()
    wait_for(page, "() => window.__tradingstack.analysisDone", 180, "analysis")
    text = analysis.inner_text()
    # answered, or the small model's answer was invalid twice (a 502 shown in place); either
    # way the page says which inputs were gathered and which were missing
    assert page.get_by_test_id("direction").count() == 1 or "502" in text, text
    assert "Inputs used" in text and "Inputs missing" in text
    used = " ".join(analysis.locator(".chip.good").all_inner_texts())
    missing = " ".join(analysis.locator(".chip.bad").all_inner_texts())
    # a missing input says why for people: no "HTTP 404", no API path
    assert not re.search(r"HTTP \d{3}|/api/v1/|Problem:", missing), missing
    assert "bars" in used and "indicators" in used
    answers = {  # an input is there when its service runs and (nhits, tcn) has a model
        "forecast": stack.has("nhits")
        and any(
            (m["symbol"], m["timeframe"]) == ("BTCUSD", "H1")
            for m in httpx.get(f"{stack.base}/nhits/api/v1/models").json()["items"]
        ),
        "patterns": stack.has("tcn")
        and httpx.get(f"{stack.base}/tcn/api/v1/model").status_code == 200,
        "regime": stack.has("hmm"),
    }
    for name, there in answers.items():
        assert name in (used if there else missing), (name, used, missing)
    shot(page, "analysis-answered-desktop")
    failed = [f for f in watch.failed if not (f[0] == 502 and "/llm/" in f[1])]
    watch.failed[:] = failed
    watch.assert_clean(stack)
    page.context.close()


def test_a_stopped_service_shows_its_error_and_the_page_keeps_working(
    browser: Any, stack: RunningStack
) -> None:
    victim = next((s for s in ("nhits", "tcn", "rag", "llm") if stack.has(s)), None)
    if victim is None:
        pytest.skip("only ui and data run: nothing to stop but them")
    proc = stack.service_process(victim)
    proc.terminate()  # the launcher reaps it only at the end: it stays a zombie until then
    deadline = time.monotonic() + 30
    while proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, f"{victim} did not stop"
        time.sleep(0.2)
    wait_for_status = time.monotonic() + 20
    while time.monotonic() < wait_for_status:
        status = httpx.get(f"{stack.base}/_status").json()["services"][victim]
        if not status["healthy"]:
            break
        time.sleep(0.5)
    assert not status["healthy"]

    page, watch = open_view(browser, stack.base, "overview")
    row = page.locator("[data-panel=health] tr", has=page.locator(f"strong:text-is('{victim}')"))
    assert "unreachable" in row.inner_text()
    goto(page, stack.base, "symbol/BTCUSD/H1")
    panel = {"nhits": "forecast", "tcn": "patterns"}.get(victim)
    if panel:
        alert = page.locator(f"[data-panel={panel}]").get_by_role("alert")
        text = alert.inner_text()
        assert "not answering" in text and victim.upper() in text, text
    assert chart_stats(page)["bars"] == 500
    assert colour_pixels(page, UP)[0] > 200
    shot(page, f"symbol-{victim}-stopped-desktop")
    goto(page, stack.base, "training")
    shot(page, f"training-{victim}-stopped-desktop")
    watch.assert_clean(stack, also_down=(victim,))
    page.context.close()
