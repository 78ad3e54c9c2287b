"""Background jobs: one vocabulary and one progress shape for every service that trains or fits.

This module is the contract (the models below); nhits, tcn and hmm answer their jobs with
`Job`, the dashboard reads `Job.progress` the same way for all of them, and a request whose
model is not ready yet answers 503 `model-being-prepared` (core.errors.MODEL_PREPARING) with the
`Job` that prepares it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


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
