"""Models being prepared on a first start (issue 14, item 1's dashboard part).

While nhits, tcn or hmm has a job queued or running (GET /<service>/api/v1/jobs answers
core.jobs.JobList), the dashboard says which model for which symbol and timeframe is being
prepared, its percent, step and ETA; a symbol-view panel whose model answers 503
`model-being-prepared` says "being prepared (NN %)" instead of an error, and asks again by
itself after Retry-After.

A small real stack (ui, data, nhits). The jobs a first start runs are not reproducible on demand
(they depend on the machine's speed, and a fresh state finishes them in minutes), so the
browser's requests for the jobs and for the forecast are answered by Playwright's `page.route`
at the network boundary, with bodies built from the real contract: `core.jobs.Job`/`JobList`
instances and the kit's own rendering of `ModelPreparing` (status, type, Retry-After, `job`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tradingstack.core.errors import ModelPreparing, problem_response
from tradingstack.core.jobs import Job, JobList, JobProgress, JobState

from tests.browser.test_dashboard import VIEWPORTS, open_view, shot, wait_for
from tests.local_stack import RunningStack, buildable, healthy_stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def prep_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    names = [n for n in ("ui", "data", "nhits") if buildable(n)]
    with healthy_stack(
        names, tmp_path_factory.mktemp("prep-stack"), {"TS_JOBS_PREPARE": ""}
    ) as running:
        yield running


def job(
    service: str,
    symbol: str | None,
    timeframe: str | None,
    state: JobState,
    percent: float = 0.0,
    step: str = "queued",
    eta: float | None = None,
    reason: str = "first-start",
    kind: str = "train",
) -> Job:
    return Job(
        id=uuid.uuid4().hex[:12],
        kind=kind,
        service=service,
        symbol=symbol,
        timeframe=timeframe,
        reason=reason,
        state=state,
        progress=JobProgress(percent=percent, step=step, eta_seconds=eta, message=""),
        created_at=NOW - timedelta(minutes=2),
        started_at=NOW - timedelta(minutes=1) if state is not JobState.QUEUED else None,
    )


class Jobs:
    """What each service's GET /api/v1/jobs answers, changeable while the page polls."""

    def __init__(self) -> None:
        self.lists: dict[str, list[Job]] = {"nhits": [], "tcn": [], "hmm": []}
        self.asked: list[str] = []

    def handle(self, route: Any) -> None:
        service = route.request.url.split("://", 1)[1].split("/")[1]
        self.asked.append(service)
        jobs = self.lists[service]
        body = JobList(in_progress=any(not j.state.finished for j in jobs), jobs=jobs)
        route.fulfill(status=200, content_type="application/json", body=body.model_dump_json())


def preparing_answer(j: Job, what: str) -> dict[str, Any]:
    """The kit's 503 model-being-prepared answer for `j`, as a service sends it."""
    exc = ModelPreparing(f"{what} is being prepared", job=j, retry_after=2)
    resp = problem_response(
        exc.status,
        exc.detail,
        title=exc.title,
        type_=exc.type,
        headers=exc.headers,
        **exc.extensions,
    )
    return {
        "status": resp.status_code,
        "headers": {"Retry-After": resp.headers["retry-after"]},
        "content_type": resp.media_type,
        "body": bytes(resp.body).decode(),
    }


def route_jobs(page: Any, jobs: Jobs) -> None:
    page.route(re.compile(r".*/(nhits|tcn|hmm)/api/v1/jobs(\?.*)?$"), jobs.handle)


def panel_text(page: Any, panel: str) -> str:
    text: str = page.locator(f"[data-panel={panel}]").inner_text()
    return text


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_models_being_prepared_say_which_model_percent_step_and_eta(
    browser: Any, prep_stack: RunningStack, viewport: str
) -> None:
    jobs = Jobs()
    jobs.lists["nhits"] = [
        job("nhits", "BTCUSD", "H1", JobState.RUNNING, 42.4, "training, step 170/400", 95.0),
        job("nhits", "BTCUSD", "M15", JobState.SUCCEEDED, 100.0, "done", 0.0),
    ]
    jobs.lists["tcn"] = [job("tcn", "BTCUSD", "H1", JobState.QUEUED)]
    jobs.lists["hmm"] = [
        job("hmm", "NVDA", "D1", JobState.QUEUED, kind="fit", step="waiting for another job")
    ]
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    route_jobs(page, jobs)
    page.goto(f"{prep_stack.base}/#/overview")
    panel = page.locator("[data-panel=preparing]")
    panel.locator(".prep-job").first.wait_for(timeout=30_000)
    rows = panel.locator(".prep-job")
    assert rows.count() == 3  # the finished nhits job is not being prepared
    text = panel_text(page, "preparing")
    assert "First start" in text, text
    running = rows.nth(0)  # the running one first
    assert running.get_attribute("data-state") == "running"
    words = running.inner_text()
    assert "Forecast (NHITS) · BTCUSD H1" in words and "42 %" in words, words
    assert "training, step 170/400" in words and "ETA 1 min 35 s" in words, words
    assert running.get_by_role("progressbar").get_attribute("aria-valuenow") == "42.4"
    assert "Pattern model (TCN) · BTCUSD H1 queued" in rows.nth(1).inner_text()
    assert "NVDA D1" in rows.nth(2).inner_text()
    assert {"nhits", "tcn", "hmm"} <= set(jobs.asked)
    shot(page, f"preparing-overview-{viewport}")

    # on the chart too, and gone once every job finished (the panel polls every 2 s)
    page.goto(f"{prep_stack.base}/#/symbol/BTCUSD/H1")
    panel.locator(".prep-job").first.wait_for(timeout=30_000)
    assert panel.is_visible()
    shot(page, f"preparing-symbol-{viewport}")
    jobs.lists["nhits"][0] = job("nhits", "BTCUSD", "H1", JobState.SUCCEEDED, 100.0, "done", 0.0)
    jobs.lists["tcn"] = []
    jobs.lists["hmm"] = []
    wait_for(page, "() => window.__tradingstack.preparingJobs === 0", 20, "jobs finished")
    assert not panel.is_visible()
    context.close()


def test_a_model_being_prepared_says_so_instead_of_an_error(
    browser: Any, prep_stack: RunningStack
) -> None:
    preparing = job("nhits", "BTCUSD", "H1", JobState.RUNNING, 37.0, "training, step 148/400", 60.0)
    answer = preparing_answer(preparing, "The forecast of BTCUSD H1")
    assert answer["status"] == 503
    assert json.loads(answer["body"])["type"] == "urn:tradingstack:problem:model-being-prepared"
    asked: list[str] = []

    def forecast(route: Any) -> None:
        asked.append(route.request.url)
        if len(asked) <= 2:
            route.fulfill(**answer)
        else:
            route.fallback()  # the real nhits service answers from the third request on

    page, watch = open_view(browser, prep_stack.base, "overview")
    route_jobs(page, Jobs())
    page.route(re.compile(r".*/nhits/api/v1/forecast/BTCUSD\?.*"), forecast)
    page.goto(f"{prep_stack.base}/#/symbol/BTCUSD/H1")
    fc = page.locator("[data-panel=forecast]")
    fc.get_by_test_id("preparing").wait_for(timeout=60_000)
    text = panel_text(page, "forecast")
    assert "Forecast for BTCUSD H1 is being prepared (37 %)" in text, text
    assert "training, step 148/400" in text and "about 1 min 0 s left" in text, text
    assert fc.get_by_role("alert").count() == 0, text  # no error
    assert fc.get_by_role("progressbar").get_attribute("aria-valuenow") == "37"
    shot(page, "symbol-forecast-preparing-desktop")
    # it asks again after Retry-After (2 s) by itself; the real service answers the third time
    wait_for(
        page,
        "() => !document.querySelector('[data-panel=forecast]').innerText.includes('(37 %)')",
        30,
        "the forecast panel asked again",
    )
    assert len(asked) >= 3, asked
    assert "being prepared (37 %)" not in panel_text(page, "forecast")
    watch.failed = [f for f in watch.failed if f[0] != 503 or "/nhits/" not in f[1]]
    watch.assert_clean(prep_stack)
    page.context.close()
