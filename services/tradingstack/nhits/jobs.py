"""Training jobs: one at a time per model, run in worker threads, with percent, step, loss, ETA."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tradingstack.core.timeframes import Timeframe
from tradingstack.nhits.model import Progress
from tradingstack.nhits.schemas import JobStatus, Mode

log = logging.getLogger("tradingstack.nhits.jobs")


@dataclass
class Job:
    id: str
    symbol: str
    timeframe: Timeframe
    mode: Mode
    reason: str
    progress: Progress
    status: JobStatus = "queued"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    result: dict[str, Any] | None = None
    started_mono: float | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def key(self) -> tuple[str, Timeframe]:
        return (self.symbol, self.timeframe)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def snapshot(self) -> dict[str, Any]:
        p = self.progress
        step = min(p.step, p.max_steps)
        if self.status == "succeeded":
            percent = 100.0
        else:
            percent = round(100.0 * step / p.max_steps, 3) if p.max_steps else 0.0
        eta: float | None = None
        if self.status == "running" and self.started_mono is not None and step > 0:
            elapsed = time.monotonic() - self.started_mono
            eta = round(elapsed / step * (p.max_steps - step), 1)
        elif self.status in ("succeeded", "failed", "cancelled"):
            eta = 0.0
        return {
            "job_id": self.id,
            "symbol": self.symbol,
            "timeframe": str(self.timeframe),
            "mode": self.mode,
            "reason": self.reason,
            "status": self.status,
            "percent": percent,
            "step": step,
            "max_steps": p.max_steps,
            "loss": p.loss,
            "eta_seconds": eta,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
            "model_version": (self.result or {}).get("version"),
        }


class JobConflictError(Exception):
    def __init__(self, job: Job) -> None:
        super().__init__(f"a training job for {job.symbol} {job.timeframe} is already {job.status}")
        self.job = job


class JobManager:
    """Runs jobs on a small thread pool; refuses a second active job for the same model."""

    def __init__(self, workers: int = 1, keep: int = 100) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nhits-train")
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._keep = keep
        self._closed = False

    def active_for(self, symbol: str, timeframe: Timeframe) -> Job | None:
        with self._lock:
            return next(
                (j for j in self._jobs.values() if j.active and j.key == (symbol, timeframe)), None
            )

    def submit(
        self,
        symbol: str,
        timeframe: Timeframe,
        mode: Mode,
        max_steps: int,
        work: Callable[[Job], dict[str, Any]],
        reason: str = "requested",
    ) -> Job:
        with self._lock:
            if self._closed:
                raise RuntimeError("the service is shutting down")
            for j in self._jobs.values():
                if j.active and j.key == (symbol, timeframe):
                    raise JobConflictError(j)
            job = Job(
                id=uuid.uuid4().hex[:12],
                symbol=symbol,
                timeframe=timeframe,
                mode=mode,
                reason=reason,
                progress=Progress(max_steps=max_steps),
            )
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                oldest = next((k for k, j in self._jobs.items() if not j.active), None)
                if oldest is None:
                    break
                del self._jobs[oldest]
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], dict[str, Any]]) -> None:
        if job.progress.cancel.is_set():
            self._finish(job, "cancelled", None, "cancelled before it started")
            return
        job.status = "running"
        job.started_at = datetime.now(UTC)
        job.started_mono = time.monotonic()
        log.info(
            "training %s %s (%s, %s) started as job %s",
            job.symbol,
            job.timeframe,
            job.mode,
            job.reason,
            job.id,
        )
        try:
            result = work(job)
        except Exception as exc:
            status: JobStatus = "cancelled" if job.progress.cancel.is_set() else "failed"
            log.warning("training job %s %s: %s: %s", job.id, status, type(exc).__name__, exc)
            self._finish(job, status, None, f"{type(exc).__name__}: {exc}")
            return
        self._finish(job, "succeeded", result, None)

    def _finish(
        self, job: Job, status: JobStatus, result: dict[str, Any] | None, error: str | None
    ) -> None:
        job.result, job.error = result, error
        job.finished_at = datetime.now(UTC)
        job.status = status
        job.done.set()
        if status == "succeeded":
            version = (result or {}).get("version")
            log.info("training job %s succeeded: model version %s", job.id, version)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def any_active(self) -> bool:
        with self._lock:
            return any(j.active for j in self._jobs.values())

    def shutdown(self, wait: bool = True) -> None:
        """Cancel every job (a running one stops after its current step) and stop the pool."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            if job.active:
                job.progress.cancel.set()
        self._pool.shutdown(wait=wait, cancel_futures=False)
