"""Background jobs: one vocabulary and one progress shape for every service that trains or fits.

This module is the contract (the models below); nhits, tcn and hmm answer their jobs with
`Job`, the dashboard reads `Job.progress` the same way for all of them, and a request whose
model is not ready yet answers 503 `model-being-prepared` (core.errors.MODEL_PREPARING) with the
`Job` that prepares it.
"""

from __future__ import annotations

import asyncio
import fcntl
import heapq
import itertools
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tradingstack.core.errors import (
    DomainError,
    ModelNotTrained,
    ModelPreparing,
    NotFound,
    UpstreamUnavailable,
)

T = TypeVar("T")


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class JobProgress(BaseModel):
    percent: float = Field(default=0.0, ge=0, le=100)
    step: str = Field(default="", description="what the job is doing now, in words")
    eta_seconds: float | None = Field(
        default=None, description="estimated seconds left; null before it can be told, 0 when done"
    )
    message: str = Field(default="", description="the latest detail (e.g. `epoch 3/10, loss 0.41`)")


class Job(BaseModel):
    id: str
    kind: str = Field(description="what it does, e.g. `train`, `fit`, `score`")
    service: str = Field(description="the service that runs it (nhits, tcn, hmm)")
    symbol: str | None = None
    timeframe: str | None = None
    reason: str = Field(
        default="user", description="why it runs: user, first-start, on-demand, schedule, drift"
    )
    state: JobState
    progress: JobProgress = Field(default_factory=JobProgress)
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = Field(default=None, description="why it failed, for people")


class JobList(BaseModel):
    in_progress: bool
    jobs: list[Job] = Field(description="newest first")


# --- the manager ------------------------------------------------------------------------------
# Everything below runs jobs: a queue per service, worker thread(s), a reporter that is also a
# cancellation point, and an optional gate shared by every service of a stack (a lock file), so
# a 2-core machine trains one model at a time across the whole stack.

log = logging.getLogger("tradingstack.jobs")

LOCK_ENV = "TS_JOBS_LOCK"
WAITING = "waiting for another training job of the stack to finish"
# a first-start job yields to anything a person (or a request) asked for
PRIORITY = {"user": 0, "on-demand": 0, "drift": 1, "schedule": 2, "first-start": 3}
# jobs that nobody waits on: when an upstream is unavailable (the data service still starting,
# e.g. its pod not Ready yet), they wait and run again instead of failing for good
RETRIED = frozenset({"first-start", "schedule", "drift"})


class JobCancelledError(Exception):
    """Raised inside a job, at its next progress report, once it was cancelled."""


class JobConflictError(Exception):
    """A job with the same key is queued or running already (`job` is a snapshot of it)."""

    def __init__(self, job: Job) -> None:
        super().__init__(
            f"job {job.id} ({job.kind} {job.symbol or ''} {job.timeframe or ''}) is {job.state}"
        )
        self.job = job


class FileGate:
    """One job at a time across processes: an exclusive `flock` on a file (the stack's state
    directory locally; a pod's own volume in a cluster, where each service gates only itself).

    `acquire` polls, so a cancelled or shut-down job stops waiting."""

    def __init__(self, path: Path, poll_seconds: float = 0.5) -> None:
        self.path = Path(path)
        self.poll_seconds = poll_seconds
        self._fd: int | None = None
        self._released_at = -math.inf

    def acquire(self, cancelled: threading.Event) -> bool:
        # flock is not fair: after its own job, a service lets the others' waiting jobs (which
        # poll) take their turn before it tries again
        pause = self._released_at + 2 * self.poll_seconds - time.monotonic()
        if pause > 0 and cancelled.wait(pause):
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if cancelled.wait(self.poll_seconds):
                    os.close(fd)
                    return False
                continue
            self._fd = fd
            return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            self._released_at = time.monotonic()


def gate_from_env() -> FileGate | None:
    """The stack's gate when `TS_JOBS_LOCK` names a lock file (the local launcher sets it)."""
    path = os.environ.get(LOCK_ENV, "").strip()
    return FileGate(Path(path)) if path else None


class Reporter:
    """Handed to a job's work: `report(step, done=, total=, message=)` updates its progress
    (percent from done/total, ETA from the rate so far) and is a cancellation point: after
    `cancel`, the next call raises JobCancelledError. `run(coro)` awaits a coroutine on the
    service's event loop (its HTTP clients live there) from the job's thread."""

    def __init__(self, entry: _Entry, lock: threading.Lock, loop: asyncio.AbstractEventLoop | None):
        self._entry = entry
        self._lock = lock
        self._loop = loop
        self.cancel_event = entry.cancel
        self._count_t0: float | None = None
        self._count_done0 = 0.0

    @property
    def job_id(self) -> str:
        return self._entry.job.id

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise JobCancelledError("the job was cancelled")

    def __call__(
        self,
        step: str | None = None,
        *,
        done: float | None = None,
        total: float | None = None,
        message: str | None = None,
        percent: float | None = None,
    ) -> None:
        self.check()
        self.update(step, done=done, total=total, message=message, percent=percent)

    def update(
        self,
        step: str | None = None,
        *,
        done: float | None = None,
        total: float | None = None,
        message: str | None = None,
        percent: float | None = None,
    ) -> None:
        """As calling it, without the cancellation check (for callbacks that must not raise)."""
        now = time.monotonic()
        with self._lock:
            p = self._entry.job.progress
            if step is not None:
                p.step = step
            if message is not None:
                p.message = message
            if total is not None:
                self._entry.total = max(float(total), 0.0)
            if done is not None:
                if self._count_t0 is None:
                    self._count_t0, self._count_done0 = now, float(done)
                self._entry.done = float(done)
            total_, done_ = self._entry.total, self._entry.done
            if percent is None and total_:
                percent = 100.0 * min(done_, total_) / total_
            if percent is not None:
                p.percent = round(min(max(percent, 0.0), 100.0), 2)
            if self._count_t0 is not None and total_ and done_ > self._count_done0:
                rate = (done_ - self._count_done0) / max(now - self._count_t0, 1e-9)
                p.eta_seconds = round(max(total_ - done_, 0.0) / rate, 1)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            return asyncio.run(coro)
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()


Work = Callable[[Reporter], Any]


@dataclass
class _Entry:
    job: Job
    work: Work
    key: tuple[Any, ...] | None
    priority: int
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    total: float = 0.0
    done: float = 0.0
    picked: bool = False  # a worker took it (it may still wait for the gate)
    attempts: int = 0

    @property
    def active(self) -> bool:
        return not self.job.state.finished


class JobManager:
    """Queues a service's jobs and runs them on `workers` threads (one by default), each under
    the stack's gate when there is one. Jobs with the same `key` (e.g. one model) are never
    queued twice: `submit` refuses the second (JobConflictError), `ensure` returns the first."""

    def __init__(
        self,
        service: str,
        *,
        workers: int = 1,
        keep: int = 100,
        gate: FileGate | None = None,
        retry_failed_after: float = 60.0,
        upstream_retry_seconds: float = 5.0,
        upstream_give_up_after: float = 600.0,
    ) -> None:
        self.service = service
        self.retry_failed_after = retry_failed_after
        self.upstream_retry_seconds = upstream_retry_seconds
        self.upstream_give_up_after = upstream_give_up_after
        self.workers = max(1, workers)
        self.keep = keep
        self.gate = gate
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._entries: dict[str, _Entry] = {}
        self._queue: list[tuple[int, int, str]] = []
        self._seq = itertools.count()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- submitting -------------------------------------------------------------------------
    def bind_loop(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """The event loop that `Reporter.run` awaits on (the service's; call from its lifespan)."""
        self._loop = loop or asyncio.get_running_loop()

    def submit(
        self,
        kind: str,
        work: Work,
        *,
        symbol: str | None = None,
        timeframe: str | None = None,
        reason: str = "user",
        key: tuple[Any, ...] | None = None,
        step: str = "queued",
    ) -> Job:
        with self._lock:
            return self._submit(kind, work, symbol, timeframe, reason, key, step)

    def ensure(
        self,
        kind: str,
        work: Work,
        *,
        symbol: str | None = None,
        timeframe: str | None = None,
        reason: str = "on-demand",
        key: tuple[Any, ...] | None = None,
        step: str = "queued",
    ) -> tuple[Job, bool]:
        """The active job of `key` if there is one, else a new one; (job, started_now). A job
        of `key` that failed less than `retry_failed_after` seconds ago is answered instead of
        a new one, so requests for a model that cannot be made do not start a job each."""
        with self._lock:
            found = self._active(key) or self._recent_failure(key)
            if found is not None:
                return found.job.model_copy(deep=True), False
            return self._submit(kind, work, symbol, timeframe, reason, key, step), True

    def recent_failure(self, key: tuple[Any, ...]) -> Job | None:
        """The newest job of `key` when it failed less than `retry_failed_after` s ago."""
        with self._lock:
            entry = self._recent_failure(key)
            return entry.job.model_copy(deep=True) if entry else None

    def _recent_failure(self, key: tuple[Any, ...] | None) -> _Entry | None:
        if key is None:
            return None
        mine = [e for e in self._entries.values() if e.key == key]
        if not mine:
            return None
        last = max(mine, key=lambda e: e.job.created_at)
        finished = last.job.finished_at
        if last.job.state is JobState.FAILED and finished is not None:
            if (datetime.now(UTC) - finished).total_seconds() < self.retry_failed_after:
                return last
        return None

    def _submit(
        self,
        kind: str,
        work: Work,
        symbol: str | None,
        timeframe: str | None,
        reason: str,
        key: tuple[Any, ...] | None,
        step: str,
    ) -> Job:
        if self._closed:
            raise RuntimeError(f"the {self.service} service is shutting down")
        running = self._active(key)
        if running is not None:
            raise JobConflictError(running.job.model_copy(deep=True))
        job = Job(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            service=self.service,
            symbol=symbol,
            timeframe=None if timeframe is None else str(timeframe),
            reason=reason,
            state=JobState.QUEUED,
            progress=JobProgress(step=step),
            created_at=datetime.now(UTC),
        )
        entry = _Entry(job, work, key, PRIORITY.get(reason, 1))
        self._entries[job.id] = entry
        heapq.heappush(self._queue, (entry.priority, next(self._seq), job.id))
        self._forget_old()
        self._start_workers()
        self._wake.notify()
        return job.model_copy(deep=True)

    def _active(self, key: tuple[Any, ...] | None) -> _Entry | None:
        if key is None:
            return None
        return next((e for e in self._entries.values() if e.active and e.key == key), None)

    def _forget_old(self) -> None:
        finished = [i for i, e in self._entries.items() if not e.active]
        for job_id in finished[: max(0, len(self._entries) - self.keep)]:
            del self._entries[job_id]

    def _start_workers(self) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.workers:
            t = threading.Thread(
                target=self._worker, name=f"{self.service}-jobs-{len(self._threads)}", daemon=True
            )
            self._threads.append(t)
            t.start()

    # --- running ----------------------------------------------------------------------------
    def _worker(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue:
                    return  # closed and drained
                _, _, job_id = heapq.heappop(self._queue)
                entry = self._entries.get(job_id)
                if entry is None or entry.picked or entry.job.state is not JobState.QUEUED:
                    continue
                entry.picked = True
            self._run(entry)

    def _run(self, entry: _Entry) -> None:
        job = entry.job
        gate = self.gate
        if gate is not None:
            with self._lock:
                job.progress.step = WAITING
            if not gate.acquire(entry.cancel):
                self._finish(entry, JobState.CANCELLED, "cancelled before it started")
                return
        try:
            if entry.cancel.is_set():
                self._finish(entry, JobState.CANCELLED, "cancelled before it started")
                return
            with self._lock:
                job.state = JobState.RUNNING
                job.started_at = datetime.now(UTC)
                job.progress.step = "starting"
            log.info(
                "job %s started: %s %s %s (%s)",
                job.id,
                job.kind,
                job.symbol or "",
                job.timeframe or "",
                job.reason,
            )
            try:
                entry.result = entry.work(Reporter(entry, self._lock, self._loop))
            except BaseException as exc:
                if entry.cancel.is_set() or isinstance(exc, JobCancelledError):
                    self._finish(entry, JobState.CANCELLED, "cancelled")
                elif not self._wait_for_upstream(entry, exc):
                    log.warning("job %s failed: %s: %s", job.id, type(exc).__name__, exc)
                    self._finish(entry, JobState.FAILED, _error_text(exc))
                if not isinstance(exc, Exception):
                    raise
                return
            self._finish(entry, JobState.SUCCEEDED, None)
        finally:
            if gate is not None:
                gate.release()

    def _wait_for_upstream(self, entry: _Entry, exc: BaseException) -> bool:
        """A job of RETRIED reason whose upstream is unavailable goes back to the queue after
        `upstream_retry_seconds` (until `upstream_give_up_after` from its creation); True
        when it does. Everyone else sees it queued, waiting, with the reason."""
        job = entry.job
        age = (datetime.now(UTC) - job.created_at).total_seconds()
        if (
            not isinstance(exc, UpstreamUnavailable)
            or job.reason not in RETRIED
            or age + self.upstream_retry_seconds > self.upstream_give_up_after
        ):
            return False
        upstream = exc.extensions["upstream"]
        with self._lock:
            if self._closed:
                return False
            entry.attempts += 1
            entry.picked = False  # cancel() now finishes it at once
            job.state = JobState.QUEUED
            job.started_at = None
            job.progress = JobProgress(
                step=f"waiting for {upstream}",
                message=f"try {entry.attempts + 1} in {self.upstream_retry_seconds:g} s: "
                + _error_text(exc),
                eta_seconds=job.progress.eta_seconds,
            )
        log.info(
            "job %s waits for %s (%s); it runs again in %g s",
            job.id,
            upstream,
            _error_text(exc),
            self.upstream_retry_seconds,
        )
        timer = threading.Timer(self.upstream_retry_seconds, self._requeue, (entry,))
        timer.daemon = True
        timer.start()
        return True

    def _requeue(self, entry: _Entry) -> None:
        with self._lock:
            if self._closed or entry.picked or entry.job.state is not JobState.QUEUED:
                return  # cancelled, or the service stopped, meanwhile
            heapq.heappush(self._queue, (entry.priority, next(self._seq), entry.job.id))
            self._start_workers()
            self._wake.notify()

    def _finish(self, entry: _Entry, state: JobState, error: str | None) -> None:
        with self._lock:
            job = entry.job
            job.state = state
            job.error = error
            job.finished_at = datetime.now(UTC)
            job.progress.eta_seconds = 0.0
            if state is JobState.SUCCEEDED:
                job.progress.percent = 100.0
                job.progress.step = "done"
            else:
                job.progress.step = str(state)
        entry.finished.set()
        seconds = (job.finished_at - (job.started_at or job.created_at)).total_seconds()
        log.info("job %s %s after %.1f s", job.id, state, seconds)

    # --- reading ----------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        with self._lock:
            entry = self._entries.get(job_id)
            return entry.job.model_copy(deep=True) if entry else None

    def active(self, key: tuple[Any, ...]) -> Job | None:
        with self._lock:
            entry = self._active(key)
            return entry.job.model_copy(deep=True) if entry else None

    def result(self, job_id: str) -> Any:
        with self._lock:
            entry = self._entries.get(job_id)
            return entry.result if entry else None

    def all(self) -> list[Job]:
        """Every remembered job, newest first."""
        with self._lock:
            jobs = [e.job.model_copy(deep=True) for e in self._entries.values()]
        return sorted(jobs, key=lambda j: j.created_at, reverse=True)

    def in_progress(self) -> bool:
        with self._lock:
            return any(e.active for e in self._entries.values())

    def listing(self) -> JobList:
        jobs = self.all()
        return JobList(in_progress=any(not j.state.finished for j in jobs), jobs=jobs)

    def wait(self, job_id: str, timeout: float | None = None) -> Job | None:
        """Block until the job finished (or `timeout`); its snapshot."""
        with self._lock:
            entry = self._entries.get(job_id)
        if entry is None:
            return None
        entry.finished.wait(timeout)
        return self.get(job_id)

    async def wait_async(self, job_id: str, timeout: float | None = None) -> Job | None:
        return await asyncio.to_thread(self.wait, job_id, timeout)

    # --- stopping ---------------------------------------------------------------------------
    def cancel(self, job_id: str) -> Job | None:
        """Cancel a job: a queued one never runs, a running one stops at its next report and
        saves nothing. None when there is no such job."""
        with self._lock:
            entry = self._entries.get(job_id)
            if entry is None:
                return None
            waiting = entry.active and not entry.picked
            entry.picked = True  # a worker that pops it now skips it
            entry.cancel.set()
        if waiting:  # still in the queue: no worker will touch it
            self._finish(entry, JobState.CANCELLED, "cancelled before it started")
        return self.get(job_id)

    def shutdown(self, wait: bool = True, timeout: float = 30.0) -> None:
        """Cancel every job (a running one stops at its next report) and end the workers."""
        with self._lock:
            self._closed = True
            entries = [e for e in self._entries.values() if e.active]
            queued = [e for e in entries if not e.picked]
            for e in entries:
                e.picked = True
                e.cancel.set()
            self._queue.clear()
            self._wake.notify_all()
        for e in queued:
            self._finish(e, JobState.CANCELLED, "the service stopped before it started")
        if wait:
            deadline = time.monotonic() + timeout
            for t in self._threads:
                t.join(max(0.0, deadline - time.monotonic()))


def _error_text(exc: BaseException) -> str:
    detail = getattr(exc, "detail", None)
    text = detail if isinstance(detail, str) else str(exc)
    return f"{type(exc).__name__}: {text}"[:500]


def retry_after(job: Job) -> int:
    """Seconds a client should wait before asking again: the ETA, between 2 and 60."""
    eta = job.progress.eta_seconds
    return int(min(60, max(2, round(eta if eta is not None else 10))))


def model_preparing(job: Job, what: str) -> DomainError:
    """The 503 `model-being-prepared` answer: `what` is being prepared by `job` (its progress
    in the `job` extension); Retry-After says when to ask again. When that job failed (it is
    not retried for a minute), the answer is `model-not-trained` with the job and why."""
    if job.state is JobState.FAILED:
        return ModelNotTrained(
            f"{what} could not be prepared: {job.error}", job=job.model_dump(mode="json")
        )
    eta = job.progress.eta_seconds
    when = f", about {eta:.0f} s left" if eta else ""
    return ModelPreparing(
        f"{what} is being prepared by job {job.id} ({job.state}, "
        f"{job.progress.percent:.0f} % done{when}); ask again in a moment.",
        job=job,
        retry_after=retry_after(job),
    )


def jobs_router(manager_of: Callable[[Request], JobManager]) -> APIRouter:
    """`GET /jobs` (JobList, newest first), `GET /jobs/{id}` (Job) and `DELETE /jobs/{id}`
    (cancel; 202 with the Job) for a service's manager."""
    router = APIRouter(tags=["jobs"])

    @router.get("/jobs", response_model=JobList)
    def list_jobs(request: Request) -> JobList:
        """The service's recent jobs (training, fits), newest first, with their progress."""
        return manager_of(request).listing()

    @router.get("/jobs/{job_id}", response_model=Job)
    def get_job(request: Request, job_id: str) -> Job:
        """One job: state, progress (percent, step, ETA, message), error."""
        job = manager_of(request).get(job_id)
        if job is None:
            raise NotFound(f"No job {job_id!r}: it never ran here, or it was forgotten.")
        return job

    @router.delete("/jobs/{job_id}", response_model=Job, status_code=202)
    def cancel_job(request: Request, job_id: str) -> Job:
        """Cancel a job: a queued one never runs, a running one stops at its next progress
        report and saves nothing."""
        job = manager_of(request).cancel(job_id)
        if job is None:
            raise NotFound(f"No job {job_id!r}: it never ran here, or it was forgotten.")
        return job

    return router


# --- first start ------------------------------------------------------------------------------
PREPARE_ENV = "TS_JOBS_PREPARE"


def prepare_pairs(value: str | None = None) -> list[tuple[str, str]]:
    """The models a service prepares when it starts without them: `TS_JOBS_PREPARE`, a comma
    list of SYMBOL:TIMEFRAME (e.g. `BTCUSD:H1,NVDA:D1`); empty (the default) prepares nothing.
    The local launcher sets it for a stack; in a cluster, set it on the services' pods."""
    raw = os.environ.get(PREPARE_ENV, "") if value is None else value
    pairs: list[tuple[str, str]] = []
    for item in raw.split(","):
        symbol, _, timeframe = item.strip().partition(":")
        if symbol:
            pairs.append((symbol.strip().upper(), (timeframe.strip() or "H1").upper()))
    return pairs


async def prepare_on_start(
    service: str,
    pairs: list[tuple[str, str]],
    prepare: Callable[[str, str], Coroutine[Any, Any, Job | None]],
    *,
    retry_seconds: float = 2.0,
    give_up_after: float = 600.0,
) -> list[Job]:
    """Queue the job that prepares each missing model of `pairs` (first-start jobs, which run
    after anything a request asks for, one at a time across the stack under its gate).

    `prepare(symbol, timeframe)` answers the job, or None when the model is saved already (a
    later start: nothing is retrained). The data service may still be starting: a 5xx or an
    unreachable upstream is retried every `retry_seconds` for up to `give_up_after` seconds; a
    4xx (an unknown symbol, too few bars) is logged and skipped."""
    jobs: list[Job] = []
    for symbol, timeframe in pairs:
        deadline = time.monotonic() + give_up_after
        while True:
            try:
                job = await prepare(symbol, timeframe)
            except DomainError as exc:
                if exc.status < 500 or time.monotonic() > deadline:
                    log.warning(
                        "%s: cannot prepare %s %s on start: %s", service, symbol, timeframe, exc
                    )
                    break
            except Exception as exc:
                if time.monotonic() > deadline:
                    log.warning(
                        "%s: cannot prepare %s %s on start: %s: %s",
                        service,
                        symbol,
                        timeframe,
                        type(exc).__name__,
                        exc,
                    )
                    break
            else:
                if job is None:
                    log.info(
                        "%s: the %s %s model is saved; nothing to prepare",
                        service,
                        symbol,
                        timeframe,
                    )
                else:
                    log.info("%s: preparing %s %s (job %s)", service, symbol, timeframe, job.id)
                    jobs.append(job)
                break
            await asyncio.sleep(retry_seconds)
    return jobs


def start_preparing(
    service: str, prepare: Callable[[str, str], Coroutine[Any, Any, Job | None]]
) -> asyncio.Task[list[Job]] | None:
    """In a service's lifespan: the background task of `prepare_on_start` for TS_JOBS_PREPARE
    (None when it names nothing). Cancel it when the service stops."""
    pairs = prepare_pairs()
    if not pairs:
        return None
    return asyncio.get_running_loop().create_task(prepare_on_start(service, pairs, prepare))


async def stop_preparing(task: asyncio.Task[list[Job]] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
