"""Background training jobs: one at a time, with percent, step, loss and ETA."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatus = Literal["running", "completed", "failed"]


class JobProgress(BaseModel):
    id: str
    kind: str
    status: JobStatus
    phase: str = Field(description="what the job is doing now")
    percent: float = 0.0
    step: int = 0
    total_steps: int = 0
    epoch: int | None = None
    epochs: int | None = None
    loss: float | None = None
    eta_seconds: float | None = Field(default=None, description="estimated seconds left")
    elapsed_seconds: float = 0.0
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    result: dict[str, Any] | None = None


class JobConflictError(Exception):
    def __init__(self, running: JobProgress) -> None:
        super().__init__(f"job {running.id} is running")
        self.running = running


class JobCancelledError(Exception):
    """Raised inside the job (at its next progress report) when the service shuts down."""


class Reporter:
    """Handed to the training code; thread-safe updates of one job's progress.

    Each call is also a cancellation point: after `cancel()` it raises JobCancelledError.
    """

    def __init__(self, job: JobProgress, lock: threading.Lock) -> None:
        self._job = job
        self._lock = lock
        self.cancelled = threading.Event()
        self._t0 = time.monotonic()
        self._steps_t0: float | None = None

    def __call__(
        self,
        *,
        phase: str | None = None,
        step: int | None = None,
        total_steps: int | None = None,
        loss: float | None = None,
        epoch: int | None = None,
        epochs: int | None = None,
    ) -> None:
        if self.cancelled.is_set():
            raise JobCancelledError("the service is shutting down")
        with self._lock:
            job = self._job
            now = time.monotonic()
            if phase is not None:
                job.phase = phase
            if total_steps is not None:
                job.total_steps = total_steps
            if epoch is not None:
                job.epoch = epoch
            if epochs is not None:
                job.epochs = epochs
            if loss is not None:
                job.loss = round(float(loss), 6)
            if step is not None:
                if self._steps_t0 is None:
                    self._steps_t0 = now
                job.step = step
                if job.total_steps:
                    job.percent = round(100.0 * step / job.total_steps, 2)
                    done = now - self._steps_t0
                    if step > 0:
                        job.eta_seconds = round(done / step * (job.total_steps - step), 2)
            job.elapsed_seconds = round(now - self._t0, 3)


class JobManager:
    """Runs one job at a time as an asyncio task (the heavy part in a worker thread)."""

    def __init__(self, keep: int = 20) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, JobProgress] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._reporters: dict[str, Reporter] = {}
        self._keep = keep

    def running(self) -> JobProgress | None:
        with self._lock:
            for job in self._jobs.values():
                if job.status == "running":
                    return job.model_copy()
        return None

    def in_progress(self) -> bool:
        return self.running() is not None

    def get(self, job_id: str) -> JobProgress | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy() if job else None

    def all(self) -> list[JobProgress]:
        with self._lock:
            return [j.model_copy() for j in self._jobs.values()]

    def start(
        self, kind: str, work: Callable[[Reporter], Awaitable[dict[str, Any]]]
    ) -> JobProgress:
        """Start `work(reporter)`; raises JobConflictError while another job runs."""
        with self._lock:
            for job in self._jobs.values():
                if job.status == "running":
                    raise JobConflictError(job.model_copy())
            job = JobProgress(
                id=uuid.uuid4().hex[:12],
                kind=kind,
                status="running",
                phase="starting",
                started_at=datetime.now(UTC),
            )
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.status != "running"]
            for old in finished[: max(0, len(self._jobs) - self._keep)]:
                self._jobs.pop(old.id, None)
        reporter = Reporter(job, self._lock)
        self._reporters[job.id] = reporter

        async def run() -> None:
            try:
                result = await work(reporter)
            except Exception as exc:
                with self._lock:
                    job.status = "failed"
                    job.error = f"{type(exc).__name__}: {exc}"
                    job.phase = "failed"
            else:
                with self._lock:
                    job.status = "completed"
                    job.phase = "done"
                    job.percent = 100.0
                    job.eta_seconds = 0.0
                    job.result = result
            finally:
                with self._lock:
                    job.finished_at = datetime.now(UTC)
                    job.elapsed_seconds = round(
                        (job.finished_at - job.started_at).total_seconds(), 3
                    )
                self._tasks.pop(job.id, None)
                self._reporters.pop(job.id, None)

        self._tasks[job.id] = asyncio.get_running_loop().create_task(run())
        return job.model_copy()

    async def wait(self, job_id: str) -> JobProgress | None:
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.shield(task)
        return self.get(job_id)

    async def aclose(self) -> None:
        """Stop running jobs at their next progress report and wait for them."""
        for reporter in list(self._reporters.values()):
            reporter.cancelled.set()
        for task in list(self._tasks.values()):
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=30)
            except (TimeoutError, asyncio.CancelledError, Exception):
                task.cancel()
