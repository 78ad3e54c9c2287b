"""The kit's job manager (core.jobs): one queue per service, one job at a time, progress with
an ETA, a reporter that is a cancellation point, a gate shared by every service of a stack."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from tradingstack.core.errors import MODEL_NOT_TRAINED, MODEL_PREPARING, install_error_handlers
from tradingstack.core.jobs import (
    WAITING,
    FileGate,
    Job,
    JobConflictError,
    JobList,
    JobManager,
    JobState,
    Reporter,
    jobs_router,
    model_preparing,
)


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def blocker(release: threading.Event, started: threading.Event | None = None) -> Any:
    def work(report: Reporter) -> str:
        if started is not None:
            started.set()
        while not release.wait(0.01):
            report("blocking")
        return "ok"

    return work


@pytest.fixture
def manager() -> Any:
    m = JobManager("test")
    yield m
    m.shutdown(wait=True, timeout=5)


def test_one_job_at_a_time_newest_first(manager: JobManager) -> None:
    release, started = threading.Event(), threading.Event()
    a = manager.submit("train", blocker(release, started), symbol="BTCUSD", timeframe="H1")
    b = manager.submit("fit", lambda r: 42, symbol="NVDA", timeframe="D1")
    assert started.wait(5)
    assert manager.get(a.id).state is JobState.RUNNING  # type: ignore[union-attr]
    assert manager.get(b.id).state is JobState.QUEUED  # type: ignore[union-attr]
    listing = manager.listing()
    assert listing.in_progress and [j.id for j in listing.jobs] == [b.id, a.id]
    release.set()
    done = manager.wait(b.id, 5)
    assert done is not None and done.state is JobState.SUCCEEDED
    assert manager.result(b.id) == 42 and manager.result(a.id) == "ok"
    first = manager.get(a.id)
    assert first is not None and first.finished_at is not None
    assert done.started_at is not None and done.started_at >= first.finished_at
    assert done.progress.percent == 100 and done.progress.eta_seconds == 0
    assert not manager.in_progress()
    JobList.model_validate(manager.listing().model_dump(mode="json"))  # the contract


def test_progress_percent_and_eta(manager: JobManager) -> None:
    seen: dict[str, Job] = {}
    go = threading.Event()

    def work(report: Reporter) -> None:
        report("fitting", done=0, total=10)
        for i in range(1, 5):
            time.sleep(0.05)
            report(done=i, message=f"epoch {i}/10")
        seen["mid"] = manager.get(job.id)  # type: ignore[assignment]
        go.wait(5)

    job = manager.submit("train", work)
    wait_for(lambda: "mid" in seen)
    mid = seen["mid"]
    assert mid.state is JobState.RUNNING and mid.progress.step == "fitting"
    assert mid.progress.percent == 40 and mid.progress.message == "epoch 4/10"
    # 4 steps in ~0.2 s: 6 left take ~0.3 s
    assert mid.progress.eta_seconds is not None and 0.1 <= mid.progress.eta_seconds <= 3
    go.set()
    assert manager.wait(job.id, 5).state is JobState.SUCCEEDED  # type: ignore[union-attr]


def test_cancel_stops_a_running_job_at_its_next_report(manager: JobManager) -> None:
    steps: list[int] = []
    started = threading.Event()

    def work(report: Reporter) -> None:
        for i in range(10_000):
            started.set()
            report(done=i, total=10_000)
            steps.append(i)
            time.sleep(0.005)

    job = manager.submit("train", work)
    assert started.wait(5)
    cancelled = manager.cancel(job.id)
    assert cancelled is not None
    done = manager.wait(job.id, 5)
    assert done is not None and done.state is JobState.CANCELLED
    assert len(steps) < 10_000 and manager.result(job.id) is None
    assert manager.cancel("nope") is None


def test_a_cancelled_queued_job_never_runs(manager: JobManager) -> None:
    release = threading.Event()
    ran: list[str] = []
    manager.submit("train", blocker(release))
    queued = manager.submit("fit", lambda r: ran.append("x"))
    got = manager.cancel(queued.id)
    assert got is not None and got.state is JobState.CANCELLED
    release.set()
    follow = manager.submit("fit", lambda r: "after")
    assert manager.wait(follow.id, 5).state is JobState.SUCCEEDED  # type: ignore[union-attr]
    assert ran == []


def test_a_failure_is_the_jobs_answer(manager: JobManager) -> None:
    def work(report: Reporter) -> None:
        raise ValueError("not enough bars")

    job = manager.submit("fit", work)
    done = manager.wait(job.id, 5)
    assert done is not None and done.state is JobState.FAILED
    assert done.error == "ValueError: not enough bars"
    # the worker lives on
    again = manager.submit("fit", lambda r: 1)
    assert manager.wait(again.id, 5).state is JobState.SUCCEEDED  # type: ignore[union-attr]


def test_one_active_job_per_key(manager: JobManager) -> None:
    release = threading.Event()
    first = manager.submit("train", blocker(release), key=("BTCUSD", "H1"))
    with pytest.raises(JobConflictError) as conflict:
        manager.submit("train", lambda r: None, key=("BTCUSD", "H1"))
    assert conflict.value.job.id == first.id
    found, started = manager.ensure("train", lambda r: None, key=("BTCUSD", "H1"))
    assert found.id == first.id and not started
    other, started = manager.ensure("train", lambda r: None, key=("NVDA", "D1"))
    assert other.id != first.id and started
    release.set()
    manager.wait(other.id, 5)
    # finished: the key is free again
    new, started = manager.ensure("train", lambda r: None, key=("BTCUSD", "H1"))
    assert started and new.id != first.id


def test_first_start_jobs_yield_to_requests(manager: JobManager) -> None:
    release = threading.Event()
    order: list[str] = []
    manager.submit("train", blocker(release))
    background = manager.submit("fit", lambda r: order.append("first-start"), reason="first-start")
    asked = manager.submit("fit", lambda r: order.append("on-demand"), reason="on-demand")
    release.set()
    manager.wait(background.id, 5)
    manager.wait(asked.id, 5)
    assert order == ["on-demand", "first-start"]


def test_the_gate_runs_one_job_across_services(tmp_path: Path) -> None:
    """Two services (two managers, two lock-file descriptors) share one gate file: the second
    service's job waits, queued and saying why, until the first one's ends."""
    lock = tmp_path / "jobs.lock"
    nhits, hmm = (
        JobManager("nhits", gate=FileGate(lock, 0.02)),
        JobManager("hmm", gate=FileGate(lock, 0.02)),
    )
    try:
        release, started = threading.Event(), threading.Event()
        a = nhits.submit("train", blocker(release, started))
        assert started.wait(5)
        b = hmm.submit("fit", lambda r: "fitted")
        time.sleep(0.3)
        waiting = hmm.get(b.id)
        assert waiting is not None and waiting.state is JobState.QUEUED
        assert waiting.progress.step == WAITING
        release.set()
        assert hmm.wait(b.id, 5).state is JobState.SUCCEEDED  # type: ignore[union-attr]
        assert nhits.get(a.id).state is JobState.SUCCEEDED  # type: ignore[union-attr]
    finally:
        nhits.shutdown(timeout=5)
        hmm.shutdown(timeout=5)


def test_the_gate_holds_against_another_process(tmp_path: Path) -> None:
    lock = tmp_path / "jobs.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"f = open({str(lock)!r}, 'w'); fcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True); time.sleep(1.0)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    manager = JobManager("tcn", gate=FileGate(lock, 0.02))
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        job = manager.submit("train", lambda r: "ok")
        time.sleep(0.2)
        assert manager.get(job.id).state is JobState.QUEUED  # type: ignore[union-attr]
        done = manager.wait(job.id, 10)
        assert done is not None and done.state is JobState.SUCCEEDED
        assert time.monotonic() - t0 >= 0.5  # it waited for the other process
    finally:
        holder.wait(10)
        manager.shutdown(timeout=5)


def test_cancel_while_waiting_for_the_gate(tmp_path: Path) -> None:
    lock = tmp_path / "jobs.lock"
    a, b = JobManager("a", gate=FileGate(lock, 0.02)), JobManager("b", gate=FileGate(lock, 0.02))
    try:
        release, started = threading.Event(), threading.Event()
        a.submit("train", blocker(release, started))
        assert started.wait(5)
        ran: list[int] = []
        waiting = b.submit("fit", lambda r: ran.append(1))
        wait_for(lambda: b.get(waiting.id).progress.step == WAITING)  # type: ignore[union-attr]
        b.cancel(waiting.id)
        done = b.wait(waiting.id, 5)
        assert done is not None and done.state is JobState.CANCELLED and ran == []
        release.set()
    finally:
        a.shutdown(timeout=5)
        b.shutdown(timeout=5)


def test_shutdown_cancels_running_and_queued_jobs() -> None:
    manager = JobManager("test")
    started = threading.Event()

    def forever(report: Reporter) -> None:
        while True:
            started.set()
            report("looping")
            time.sleep(0.01)

    running = manager.submit("train", forever)
    queued = manager.submit("fit", lambda r: None)
    assert started.wait(5)
    manager.shutdown(wait=True, timeout=5)
    assert manager.get(running.id).state is JobState.CANCELLED  # type: ignore[union-attr]
    assert manager.get(queued.id).state is JobState.CANCELLED  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="shutting down"):
        manager.submit("fit", lambda r: None)


def test_routes_and_the_model_preparing_problem() -> None:
    manager = JobManager("nhits")
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(jobs_router(lambda request: manager), prefix="/api/v1")
    release, started = threading.Event(), threading.Event()

    @app.get("/api/v1/forecast")
    def forecast(request: Request) -> None:
        job, _ = manager.ensure("train", blocker(release, started), key=("BTCUSD", "H1"))
        raise model_preparing(job, "The BTCUSD H1 forecast model")

    try:
        with TestClient(app) as client:
            r = client.get("/api/v1/forecast")
            assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
            body = r.json()
            assert body["type"] == MODEL_PREPARING and 2 <= int(r.headers["Retry-After"]) <= 60
            job = Job.model_validate(body["job"])
            assert job.service == "nhits" and job.kind == "train"
            assert client.get("/api/v1/forecast").json()["job"]["id"] == job.id  # found again
            assert started.wait(5)
            listing = JobList.model_validate(client.get("/api/v1/jobs").json())
            assert listing.in_progress and [j.id for j in listing.jobs] == [job.id]
            one = Job.model_validate(client.get(f"/api/v1/jobs/{job.id}").json())
            assert one.state is JobState.RUNNING
            assert client.get("/api/v1/jobs/nope").status_code == 404
            r = client.delete(f"/api/v1/jobs/{job.id}")
            assert r.status_code == 202
            done = manager.wait(job.id, 5)
            assert done is not None and done.state is JobState.CANCELLED
            assert client.delete("/api/v1/jobs/nope").status_code == 404
    finally:
        release.set()
        manager.shutdown(timeout=5)


def test_the_gate_takes_turns_between_services(tmp_path: Path) -> None:
    """A service with a queue of jobs lets another service's waiting job in between (flock
    alone would let the releasing service take it again at once, starving the other)."""
    lock = tmp_path / "jobs.lock"
    busy, other = (
        JobManager("nhits", gate=FileGate(lock, 0.05)),
        JobManager("hmm", gate=FileGate(lock, 0.05)),
    )
    order: list[str] = []
    try:
        release, started = threading.Event(), threading.Event()

        def first(report: Reporter) -> None:
            started.set()
            release.wait(5)
            order.append("nhits-1")

        busy.submit("train", first)
        assert started.wait(5)
        second = busy.submit("train", lambda r: order.append("nhits-2"))
        waiting = other.submit("fit", lambda r: order.append("hmm"))
        wait_for(lambda: other.get(waiting.id).progress.step == WAITING)  # type: ignore[union-attr]
        release.set()
        busy.wait(second.id, 10)
        other.wait(waiting.id, 10)
        assert order == ["nhits-1", "hmm", "nhits-2"]
    finally:
        busy.shutdown(timeout=5)
        other.shutdown(timeout=5)


def test_a_model_that_cannot_be_made_is_not_retried_by_every_request() -> None:
    manager = JobManager("hmm", retry_failed_after=0.5)
    calls: list[int] = []

    def work(report: Reporter) -> None:
        calls.append(1)
        raise ValueError("only 30 bars")

    try:
        job, started = manager.ensure("fit", work, key=("NEW", "D1"))
        assert started and manager.wait(job.id, 5).state is JobState.FAILED  # type: ignore[union-attr]
        again, started = manager.ensure("fit", work, key=("NEW", "D1"))
        assert again.id == job.id and not started and calls == [1]
        problem = model_preparing(again, "The regime model of NEW D1")
        assert problem.status == 404 and problem.type == MODEL_NOT_TRAINED
        assert "only 30 bars" in problem.detail and problem.extensions["job"]["id"] == job.id
        time.sleep(0.6)
        later, started = manager.ensure("fit", work, key=("NEW", "D1"))
        assert started and later.id != job.id
        manager.wait(later.id, 5)
    finally:
        manager.shutdown(timeout=5)


def test_a_first_start_job_waits_for_its_upstream_and_runs_again() -> None:
    """The data pod may not be Ready when hmm's first-start jobs run: the job waits and tries
    again (the node test saw a score model never prepared). A person's job fails at once."""
    from tradingstack.core.data_client import DataUnavailable

    manager = JobManager("hmm", upstream_retry_seconds=0.2, upstream_give_up_after=30)
    tries: list[int] = []

    def work(report: Reporter) -> str:
        tries.append(1)
        if len(tries) < 3:
            raise DataUnavailable("the data service is unreachable", upstream="data")
        return "fitted"

    try:
        job = manager.submit("fit-scores", work, reason="first-start", key=("BTCUSD", "H1"))
        seen: list[Job] = []

        def waiting() -> bool:
            j = manager.get(job.id)
            if j is not None and j.progress.step == "waiting for data":
                seen.append(j)
            return bool(seen)

        wait_for(waiting)  # 0.2 s between tries, read every 0.01 s
        assert seen[0].state is JobState.QUEUED and seen[0].started_at is None
        assert "unreachable" in seen[0].progress.message
        done = manager.wait(job.id, 10)
        assert done is not None and done.state is JobState.SUCCEEDED and len(tries) == 3
        assert manager.result(job.id) == "fitted"

        def down(report: Reporter) -> None:
            raise DataUnavailable("the data service is unreachable", upstream="data")

        mine = manager.submit("fit-scores", down, reason="user")
        failed = manager.wait(mine.id, 5)
        assert failed is not None and failed.state is JobState.FAILED
    finally:
        manager.shutdown(timeout=5)


def test_a_waiting_job_gives_up_and_can_be_cancelled() -> None:
    from tradingstack.core.errors import UpstreamUnavailable

    manager = JobManager("tcn", upstream_retry_seconds=0.2, upstream_give_up_after=0.5)
    tries: list[int] = []

    def down(report: Reporter) -> None:
        tries.append(1)
        raise UpstreamUnavailable("the data service is unreachable", upstream="data")

    try:
        job = manager.submit("train", down, reason="first-start")
        done = manager.wait(job.id, 10)
        assert done is not None and done.state is JobState.FAILED and 2 <= len(tries) <= 4
        manager.upstream_give_up_after = 60
        other = manager.submit("train", down, reason="first-start")
        wait_for(
            lambda: (
                (j := manager.get(other.id)) is not None and j.progress.step.startswith("waiting")
            )
        )
        cancelled = manager.cancel(other.id)
        assert cancelled is not None and cancelled.state is JobState.CANCELLED
        count = len(tries)
        time.sleep(0.5)
        assert len(tries) == count  # it did not run again
    finally:
        manager.shutdown(timeout=5)
