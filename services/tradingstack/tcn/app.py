"""The TCN service: chart-pattern detection over the data service's bars.

Routes (under /api/v1): GET /patterns, GET /detect/{symbol}, POST /scan, POST /train,
GET /training/progress, GET /train/{job_id}, GET /model.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import pandas as pd
import torch
from fastapi import APIRouter, Body, FastAPI, Query, Request, Response
from prometheus_client import Counter, Gauge

from tradingstack.core.app import create_service_app, registry_of
from tradingstack.core.data_client import (
    DATA_PROBLEMS,
    DataClient,
    DataServiceError,
    data_problem,
)
from tradingstack.core.errors import MODEL_NOT_TRAINED, ProblemError, problems
from tradingstack.core.schemas import ModelQuality, SymbolPath
from tradingstack.core.settings import load_settings
from tradingstack.core.timeframes import Timeframe
from tradingstack.tcn import detector, training
from tradingstack.tcn.calibration import Calibration
from tradingstack.tcn.jobs import JobConflictError, JobManager, JobProgress, Reporter
from tradingstack.tcn.model import TCNClassifier, pick_device
from tradingstack.tcn.patterns import PATTERNS
from tradingstack.tcn.rules import WINDOW
from tradingstack.tcn.schemas import (
    DetectionOut,
    DetectResult,
    JobList,
    ModelInfo,
    PatternInfo,
    PatternLift,
    PatternList,
    ScanItem,
    ScanRequest,
    ScanResult,
)
from tradingstack.tcn.settings import TcnSettings
from tradingstack.tcn.store import ModelCorruptError, ModelMeta, ModelStore

router = APIRouter(tags=["patterns"])

HOW_TO_TRAIN = (
    "No trained pattern model yet: train one with POST /api/v1/train (progress at GET "
    "/api/v1/training/progress), or POST /api/v1/detect/{symbol} (the same query) to train a "
    "tiny model on demand first (seconds, lower accuracy)."
)


# --- state ----------------------------------------------------------------------------------
class TcnState:
    def __init__(self, settings: TcnSettings, data: DataClient, registry: Any) -> None:
        self.settings = settings
        self.data = data
        self.store = ModelStore(settings.dir)
        self.jobs = JobManager()
        self.device = pick_device(settings.device)
        self._lock = threading.Lock()
        self._model: TCNClassifier | None = None
        self._meta: ModelMeta | None = None
        self.detections = Counter(
            "tradingstack_tcn_detections_total",
            "Patterns reported by /detect and /scan, by type.",
            ["pattern"],
            registry=registry,
        )
        self.training_seconds = Gauge(
            "tradingstack_tcn_training_duration_seconds",
            "Wall time of the last completed training.",
            registry=registry,
        )
        self.model_f1 = Gauge(
            "tradingstack_tcn_model_macro_f1",
            "Held-out real macro-F1 of the loaded model (all classes; served patterns).",
            ["dataset"],
            registry=registry,
        )

    def loaded(self) -> tuple[TCNClassifier, ModelMeta] | None:
        """The model (loaded from disk on first use); None when none was trained."""
        with self._lock:
            if self._model is not None and self._meta is not None:
                return self._model, self._meta
            if not self.store.exists():
                return None
            model, meta = self.store.load(self.device)  # ModelCorruptError propagates
            self._set(model, meta)
            return model, meta

    def _set(self, model: TCNClassifier, meta: ModelMeta) -> None:
        self._model, self._meta = model.to(self.device).eval(), meta
        test = meta.metrics.get("real_test", {})
        if test.get("macro_f1") is not None:
            self.model_f1.labels("real_test").set(test["macro_f1"])
        if meta.quality is not None and meta.quality.value is not None:  # something is served
            self.model_f1.labels("real_test_served").set(meta.quality.value)

    def install(self, model: TCNClassifier, meta: ModelMeta) -> None:
        with self._lock:
            self._set(model, meta)

    def start_training(self, cfg: training.TrainConfig) -> JobProgress:
        async def work(report: Reporter) -> dict[str, Any]:
            report(phase="fetching real bars from the data service")
            frames: dict[str, pd.DataFrame] = {}
            skipped: dict[str, str] = {}
            if cfg.real_bars > 0:
                for src in cfg.real_sources:
                    name = f"{src.symbol}:{src.timeframe}"
                    try:
                        frames[name] = await self.data.ohlcv_frame(
                            src.symbol, src.timeframe, limit=cfg.real_bars
                        )
                    except DataServiceError as exc:
                        skipped[name] = exc.detail
            result = await asyncio.to_thread(training.train, cfg, frames, report)
            report(phase="saving")
            meta = await asyncio.to_thread(self.store.save, result.model, result.meta)
            self.install(result.model, meta)
            self.training_seconds.set(meta.duration_seconds)
            return {
                "trained_at": meta.trained_at.isoformat(),
                "duration_seconds": meta.duration_seconds,
                "device": meta.device,
                "samples": meta.training.get("samples"),
                "real_macro_f1": meta.metrics["real_test"].get("macro_f1"),
                "served_patterns": meta.calibration.served if meta.calibration else [],
                "quality": meta.quality.model_dump(mode="json") if meta.quality else None,
                "skipped_sources": skipped,
            }

        return self.jobs.start("train", work)


def _state(request: Request) -> TcnState:
    state: TcnState = request.app.state.tcn
    return state


def _model_info(meta: ModelMeta) -> ModelInfo:
    calib = meta.calibration
    return ModelInfo(
        trained_at=meta.trained_at,
        age_seconds=round((datetime.now(UTC) - meta.trained_at).total_seconds(), 1),
        device=meta.device,
        real_macro_f1=meta.metrics.get("real_test", {}).get("macro_f1"),
        served_patterns=calib.served if calib else [],
        patterns=[
            PatternLift(
                pattern=p.pattern,
                served=p.served,
                lift=p.lift,
                real_rate=p.real_rate,
                null_rate=p.null_rate,
                false_hit_rate=p.false_hit_rate,
                q_value=p.q_value,
                reason=p.reason,
            )
            for p in (calib.patterns if calib else [])
        ],
    )


def _lift(calib: Calibration | None, pattern: str) -> float | None:
    found = calib.get(pattern) if calib else None
    return found.lift if found else None


def _quality(meta: ModelMeta) -> ModelQuality:
    """The model's measured quality; a model without one has no demonstrated edge."""
    if meta.quality is not None:
        return meta.quality
    return ModelQuality(
        metric="macro-F1 on held-out real windows (served patterns + none)",
        value=None,
        baseline=None,
        higher_is_better=True,
        has_edge=False,
        evaluated_on="nothing: the model was saved without a held-out evaluation",
        summary="no demonstrated edge: not measured",
    )


def _corrupt(exc: ModelCorruptError) -> ProblemError:
    return ProblemError(503, f"The saved pattern model is unusable: {exc}", title="Model corrupt")


async def _model(state: TcnState, train: bool) -> tuple[TCNClassifier, ModelMeta]:
    try:
        found = await asyncio.to_thread(state.loaded)
    except ModelCorruptError as exc:
        if not train:
            raise _corrupt(exc) from None
        found = None
    if found is not None:
        return found
    if not train:
        raise ProblemError(404, HOW_TO_TRAIN, title="No trained model", type_=MODEL_NOT_TRAINED)
    running = state.jobs.running()
    job = running or state.start_training(training.TINY)
    done = await state.jobs.wait(job.id)
    if done is None or done.status != "completed":
        error = done.error if done else "the job disappeared"
        raise ProblemError(503, f"On-demand training failed: {error}", title="Training failed")
    try:
        found = await asyncio.to_thread(state.loaded)
    except ModelCorruptError as exc:
        raise _corrupt(exc) from None
    if found is None:
        raise ProblemError(503, "On-demand training finished but saved no model.")
    return found


async def _detect(
    state: TcnState,
    symbol: str,
    timeframe: Timeframe,
    min_confidence: float,
    bars: int | None,
    train: bool,
    include_unvalidated: bool = False,
) -> DetectResult:
    model, meta = await _model(state, train)
    limit = bars or state.settings.default_bars
    try:
        ohlcv = await state.data.ohlcv(symbol, timeframe, limit=limit)
    except DataServiceError as exc:
        raise data_problem(exc, symbol, timeframe) from None
    frame = pd.DataFrame(
        [b.model_dump() for b in ohlcv.bars],
        columns=["time", "open", "high", "low", "close", "volume"],
    )
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame = frame.set_index("time")
    if len(frame) < WINDOW:
        raise ProblemError(
            422,
            f"{symbol} {timeframe} has {len(frame)} bars; detection needs at least {WINDOW}.",
        )
    calib = meta.calibration
    run = await asyncio.to_thread(
        detector.detect,
        model,
        frame,
        state.device,
        served=calib.served if calib else [],
        include_unvalidated=include_unvalidated,
        temperature=meta.temperature,
        logit_bias=meta.logit_bias,
        stride=state.settings.stride,
        min_confidence=min_confidence,
        iou_threshold=state.settings.iou_threshold,
    )
    for d in run.detections:
        state.detections.labels(d.pattern).inc()
    return DetectResult(
        symbol=ohlcv.symbol,
        timeframe=timeframe,
        min_confidence=min_confidence,
        bars_scanned=len(frame),
        first_bar=frame.index[0].to_pydatetime(),
        last_bar=frame.index[-1].to_pydatetime(),
        windows_scanned=run.windows,
        candidates=run.candidates,
        unvalidated=run.unvalidated,
        detections=[
            DetectionOut(
                pattern=d.pattern,
                description=PATTERNS[d.pattern],
                confidence=d.confidence,
                start_time=d.start_time.to_pydatetime(),
                end_time=d.end_time.to_pydatetime(),
                bars=d.window_bars,
                beats_chance=d.beats_chance,
                lift=_lift(calib, d.pattern),
            )
            for d in run.detections
        ],
        model=_model_info(meta),
        quality=_quality(meta),
        data_provider=ohlcv.provider,
        data_stale=ohlcv.stale,
    )


# --- routes ---------------------------------------------------------------------------------
@router.get("/patterns", response_model=PatternList)
def list_patterns() -> PatternList:
    """The 16 pattern types this service detects, each with a one-line description."""
    return PatternList(
        count=len(PATTERNS),
        patterns=[PatternInfo(name=k, description=v) for k, v in PATTERNS.items()],
    )


MinConfidence = Annotated[float, Query(ge=0, le=1, description="confidence threshold")]
Unvalidated = Annotated[
    bool,
    Query(
        description="also answer patterns that did not beat chance at calibration, flagged "
        "beats_chance=false"
    ),
]
ScanBars = Annotated[int | None, Query(ge=32, le=5000, description="newest N bars to scan")]


@router.get("/detect/{symbol}", response_model=DetectResult, responses=DATA_PROBLEMS)
async def detect_patterns(
    request: Request,
    symbol: SymbolPath,
    timeframe: Timeframe = Timeframe.H1,
    min_confidence: MinConfidence = 0.6,
    bars: ScanBars = None,
    include_unvalidated: Unvalidated = False,
) -> DetectResult:
    """Patterns in the newest bars: type, calibrated confidence, first and last bar (after
    NMS), only patterns that beat chance (see `model.patterns` for each one's lift), and the
    model's measured `quality`. Reads only: without a model, a 404 that says how to get one."""
    return await _detect(
        _state(request), symbol, timeframe, min_confidence, bars, False, include_unvalidated
    )


@router.post(
    "/detect/{symbol}", response_model=DetectResult, responses={**DATA_PROBLEMS, **problems(503)}
)
async def detect_patterns_training_if_needed(
    request: Request,
    symbol: SymbolPath,
    timeframe: Timeframe = Timeframe.H1,
    min_confidence: MinConfidence = 0.6,
    bars: ScanBars = None,
    include_unvalidated: Unvalidated = False,
) -> DetectResult:
    """As GET, after training a tiny model when none exists (it writes one, so it is a POST
    and needs the token; it was `GET ?train=true`)."""
    return await _detect(
        _state(request), symbol, timeframe, min_confidence, bars, True, include_unvalidated
    )


@router.post("/scan", response_model=ScanResult, responses=DATA_PROBLEMS)
async def scan(request: Request, body: ScanRequest) -> ScanResult:
    """Detect patterns for every symbol x timeframe; failures are reported per item."""
    state = _state(request)
    pairs = [(s, tf) for s in dict.fromkeys(body.symbols) for tf in dict.fromkeys(body.timeframes)]
    if len(pairs) > state.settings.max_scan_items:
        raise ProblemError(
            422,
            f"{len(pairs)} symbol x timeframe pairs; at most {state.settings.max_scan_items} per "
            "scan (TS_TCN_MAX_SCAN_ITEMS).",
        )
    await _model(state, train=False)  # no model: one clear 404 instead of one per item
    items: list[ScanItem] = []
    for symbol, tf in pairs:
        try:
            result = await _detect(state, symbol, tf, body.min_confidence, body.bars, False)
        except ProblemError as exc:
            items.append(
                ScanItem(symbol=symbol, timeframe=tf, ok=False, error=exc.detail, status=exc.status)
            )
        else:
            items.append(ScanItem(symbol=symbol, timeframe=tf, ok=True, result=result))
    return ScanResult(
        items=items, detections=sum(len(i.result.detections) for i in items if i.result)
    )


@router.post(
    "/train",
    response_model=JobProgress,
    status_code=202,
    tags=["training"],
    responses=problems(409),
)
async def start_training(
    request: Request,
    response: Response,
    body: Annotated[training.TrainConfig | None, Body()] = None,
) -> JobProgress:
    """Train a new model in the background (one job at a time; 409 names the running one)."""
    state = _state(request)
    try:
        job = state.start_training(body or training.TrainConfig())
    except JobConflictError as exc:
        raise ProblemError(
            409,
            f"Training job {exc.running.id} is already running ({exc.running.percent:.0f} %); "
            "follow it at GET /api/v1/training/progress.",
            job_id=exc.running.id,
        ) from None
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/api/v1/train/{job.id}"
    return job


@router.get("/training/progress", response_model=JobList, tags=["training"])
def training_progress(request: Request) -> JobList:
    """Every recent training job: status, phase, percent, step, loss and ETA."""
    jobs = _state(request).jobs
    return JobList(in_progress=jobs.in_progress(), jobs=jobs.all())


@router.get("/train/{job_id}", response_model=JobProgress, tags=["training"])
def training_job(request: Request, job_id: str) -> JobProgress:
    job = _state(request).jobs.get(job_id)
    if job is None:
        raise ProblemError(404, f"No training job {job_id!r}; see GET /api/v1/training/progress.")
    return job


@router.get("/model", response_model=ModelMeta, tags=["training"], responses=problems(404))
async def model_info(request: Request) -> ModelMeta:
    """The loaded model's metadata: architecture, training data and validation metrics."""
    state = _state(request)
    try:
        found = await asyncio.to_thread(state.loaded)
    except ModelCorruptError as exc:
        raise _corrupt(exc) from None
    if found is None:
        raise ProblemError(404, HOW_TO_TRAIN, title="No trained model", type_=MODEL_NOT_TRAINED)
    return found[1]


def create_app(
    settings: TcnSettings | None = None,
    *,
    data_client: DataClient | None = None,
    data_url: str | None = None,
) -> FastAPI:
    """The TCN service; tests pass `data_url` (or a client) of a real data service."""
    settings = settings or load_settings(TcnSettings)
    holder: dict[str, TcnState] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.torch_threads > 0:
            torch.set_num_threads(settings.torch_threads)
        settings.dir.mkdir(parents=True, exist_ok=True)
        client = data_client or DataClient(data_url)
        state = TcnState(settings, client, registry_of(app))
        holder["state"] = state
        app.state.tcn = state
        try:
            yield
        finally:
            await state.jobs.aclose()
            if data_client is None:
                await client.aclose()

    async def health_check() -> tuple[Any, dict[str, Any]]:
        state = holder.get("state")
        if state is None:
            return "unhealthy", {"model": "service not started"}
        details: dict[str, Any] = {"device": str(state.device), "model_dir": str(settings.dir)}
        try:
            found = await asyncio.to_thread(state.loaded)
        except ModelCorruptError as exc:
            return "degraded", {**details, "model": f"corrupt: {exc}"}
        if found is None:
            details["model"] = None
        else:
            details["model"] = _model_info(found[1]).model_dump(mode="json")
        return "healthy", details

    def training_in_progress() -> bool:
        state = holder.get("state")
        return bool(state and state.jobs.in_progress())

    return create_service_app(
        "tcn",
        routers=[router],
        lifespan=lifespan,
        health_check=health_check,
        training_in_progress=training_in_progress,
    )
