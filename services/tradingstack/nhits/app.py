"""The NHITS forecasting service (`/nhits`, port from the catalog)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from tradingstack.core.app import create_service_app, registry_of
from tradingstack.core.data_client import DATA_ERRORS, DataClient
from tradingstack.core.errors import (
    Conflict,
    ModelCorrupt,
    ModelNotTrained,
    ModelPreparing,
    problems,
)
from tradingstack.core.jobs import (
    Job,
    JobConflictError,
    JobManager,
    jobs_router,
    start_preparing,
    stop_preparing,
)
from tradingstack.core.schemas import HealthStatus, SymbolPath
from tradingstack.core.settings import KitSettings, load_settings
from tradingstack.core.timeframes import Timeframe
from tradingstack.nhits.registry import Registry
from tradingstack.nhits.schemas import Evaluation, Forecast, ModelList, RetrainCheck
from tradingstack.nhits.service import Metrics, NhitsService
from tradingstack.nhits.settings import NhitsSettings

TF = Annotated[Timeframe, Query(description="bar size: M5, M15, H1, H4 or D1")]


def _service(request: Request) -> NhitsService:
    service: NhitsService = request.app.state.nhits
    return service


def _jobs(request: Request) -> JobManager:
    return _service(request).jobs


def _conflict(exc: JobConflictError) -> Conflict:
    job = exc.job
    return Conflict(
        f"A training job for {job.symbol} {job.timeframe} is already {job.state} (job "
        f"{job.id}, in `job`).",
        title="Training already running",
        job=job.model_dump(mode="json"),
    )


# the data service's problems, passed through as they are (core.data_client)

router = APIRouter(tags=["nhits"])


@router.post(
    "/forecast/{symbol}/train",
    status_code=202,
    response_model=Job,
    responses=problems(*DATA_ERRORS, Conflict, ModelNotTrained, ModelCorrupt),
)
async def train(
    request: Request,
    response: Response,
    symbol: SymbolPath,
    timeframe: TF = Timeframe.H1,
    mode: Annotated[
        Literal["full", "finetune"],
        Query(description="full: from scratch; finetune: a few steps on the newest bars"),
    ] = "full",
    max_steps: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Job:
    """Start a training job (202 with the job; follow it at GET /api/v1/jobs/{id}); 409 with
    the `job` while one is queued or running for this model."""
    service = _service(request)
    try:
        job = await service.start_training(symbol, timeframe, mode, max_steps=max_steps)
    except JobConflictError as exc:
        raise _conflict(exc) from None
    root = request.scope.get("root_path", "")
    response.headers["Location"] = f"{root}/api/v1/jobs/{job.id}"
    return job


Horizon = Annotated[int | None, Query(ge=1, description="bars ahead (<= the model's)")]


PREPARING = (ModelPreparing, ModelCorrupt)


@router.get(
    "/forecast/{symbol}", response_model=Forecast, responses=problems(*DATA_ERRORS, *PREPARING)
)
async def forecast(
    request: Request,
    symbol: SymbolPath,
    timeframe: TF = Timeframe.H1,
    horizon: Horizon = None,
) -> dict[str, Any]:
    """Median and 80 %/95 % intervals for the next bars, with the model's age and measured
    quality. Never waits for a training: without a model, the job that trains a small one is
    started (or found) and the answer is a 503 `model-being-prepared` with that `job` and a
    Retry-After."""
    return await _service(request).forecast(symbol, timeframe, horizon)


@router.get(
    "/forecast/{symbol}/evaluation",
    response_model=Evaluation,
    responses=problems(*DATA_ERRORS, ModelNotTrained, ModelCorrupt),
)
async def evaluation(
    request: Request, symbol: SymbolPath, timeframe: TF = Timeframe.H1
) -> dict[str, Any]:
    """Walk-forward scores on bars the model never saw, against the naive forecasts."""
    return await _service(request).evaluation(symbol, timeframe)


@router.get("/models", response_model=ModelList)
async def models(request: Request) -> dict[str, Any]:
    """The model registry: one entry per symbol and timeframe."""
    items = await run_in_threadpool(_service(request).list_models)
    return {"items": items, "count": len(items)}


@router.delete("/models/{symbol}", status_code=204, responses=problems(Conflict, ModelNotTrained))
async def delete_model(
    request: Request, symbol: SymbolPath, timeframe: TF = Timeframe.H1
) -> Response:
    """Remove a model from the registry."""
    service = _service(request)
    sym = service.symbol(symbol)
    if service.jobs.active((sym, timeframe)) is not None:
        raise Conflict(f"{sym} {timeframe} is training; delete it after the job ends.")
    if not await run_in_threadpool(service.registry.delete, sym, timeframe):
        raise ModelNotTrained(f"No NHITS model for {sym} {timeframe}: nothing to delete.")
    return Response(status_code=204)


@router.post("/retrain/check", response_model=RetrainCheck)
async def retrain_check(request: Request) -> dict[str, Any]:
    """Apply the automatic-retraining policy now (the background loop does it every interval)."""
    return {"decisions": await _service(request).retrain_check()}


def create_app(
    settings: NhitsSettings | None = None,
    *,
    data_client: DataClient | None = None,
    kit: KitSettings | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    nhits_settings = settings or load_settings(NhitsSettings)
    registry = Registry(nhits_settings.dir)
    holder: dict[str, NhitsService] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service: NhitsService = app.state.nhits
        service.jobs.bind_loop()
        loop_task = (
            asyncio.create_task(service.retrain_loop()) if nhits_settings.retrain_enabled else None
        )
        preparing = start_preparing(
            "nhits", lambda s, tf: service.prepare_on_start(s, Timeframe(tf))
        )
        try:
            yield
        finally:
            await stop_preparing(preparing)
            if loop_task is not None:
                loop_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loop_task
            await run_in_threadpool(service.jobs.shutdown, True)
            if data_client is None:
                await service.data.aclose()

    async def health() -> tuple[HealthStatus, dict[str, Any]]:
        service = holder["service"]
        torch = sys.modules.get("torch")  # never import torch (seconds) just to answer /health
        device = None if torch is None else ("cuda" if torch.cuda.is_available() else "cpu")
        return "healthy", {
            "models": len(service.registry.entries()),
            "jobs_active": sum(1 for j in service.jobs.all() if not j.state.finished),
            "device": device,
            "retrain_enabled": nhits_settings.retrain_enabled,
            "last_retrain_check": (service.last_retrain_check or {}).get("at"),
        }

    app = create_service_app(
        "nhits",
        routers=[router, jobs_router(_jobs)],
        lifespan=lifespan,
        training_in_progress=lambda: "service" in holder and holder["service"].jobs.in_progress(),
        health_check=health,
        settings=kit,
        configure_logs=configure_logs,
    )
    data = data_client or DataClient()
    service = NhitsService(nhits_settings, data, registry, Metrics(registry_of(app), registry))
    holder["service"] = service
    app.state.nhits = service
    return app
