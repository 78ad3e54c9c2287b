"""The TCN service: chart-pattern detection over the data service's bars.

Routes (under /api/v1): GET /patterns, GET /detect/{symbol}, POST /scan, POST /train,
GET /jobs, GET /jobs/{id}, DELETE /jobs/{id}, GET /model.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import pandas as pd
import torch
from fastapi import APIRouter, Body, FastAPI, Query, Request, Response
from prometheus_client import Counter, Gauge

from tradingstack.core.app import create_service_app, registry_of
from tradingstack.core.data_client import DATA_ERRORS, DataClient, DataServiceError
from tradingstack.core.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    ModelCorrupt,
    ModelNotTrained,
    ModelPreparing,
    TooLarge,
    problems,
)
from tradingstack.core.jobs import (
    Job,
    JobConflictError,
    JobManager,
    Reporter,
    gate_from_env,
    jobs_router,
    model_preparing,
    start_preparing,
    stop_preparing,
)
from tradingstack.core.schemas import ModelQuality, SymbolPath
from tradingstack.core.settings import load_settings
from tradingstack.core.timeframes import Timeframe
from tradingstack.tcn import detector, training
from tradingstack.tcn.calibration import Calibration
from tradingstack.tcn.model import TCNClassifier, pick_device
from tradingstack.tcn.patterns import PATTERNS
from tradingstack.tcn.rules import WINDOW
from tradingstack.tcn.schemas import (
    DetectionOut,
    DetectResult,
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

# the data service's problems, passed through as they are (core.data_client)

router = APIRouter(tags=["patterns"])

HOW_TO_TRAIN = (
    "No pattern model is trained yet: a detection starts training a small one in the "
    "background, a training request a full one; the jobs list shows their progress."
)
MODEL_KEY = ("pattern-model",)  # one model for every symbol: one training at a time


# --- state ----------------------------------------------------------------------------------
class TcnState:
    def __init__(self, settings: TcnSettings, data: DataClient, registry: Any) -> None:
        self.settings = settings
        self.data = data
        self.store = ModelStore(settings.dir)
        self.jobs = JobManager("tcn", gate=gate_from_env())
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

    def start_training(self, cfg: training.TrainConfig, reason: str = "user") -> Job:
        """Queue a training job (JobConflictError while one is queued or running)."""
        return self.jobs.submit("train", self._work(cfg), reason=reason, key=MODEL_KEY)

    def prepare(self, reason: str) -> Job:
        """The job that trains the model: the queued or running one, else a new small one."""
        job, _ = self.jobs.ensure(
            "train", self._work(training.PREPARE), reason=reason, key=MODEL_KEY
        )
        return job

    async def prepare_on_start(self) -> Job | None:
        """First start: the job that trains the model when none is saved (None when one is)."""
        if await asyncio.to_thread(self.store.exists):
            return None
        return self.prepare("first-start")

    def _work(self, cfg: training.TrainConfig) -> Callable[[Reporter], dict[str, Any]]:
        def work(report: Reporter) -> dict[str, Any]:
            report("fetching real bars from the data service")
            frames: dict[str, pd.DataFrame] = {}
            skipped: dict[str, str] = {}
            if cfg.real_bars > 0:
                for src in cfg.real_sources:
                    name = f"{src.symbol}:{src.timeframe}"
                    try:
                        frames[name] = report.run(
                            self.data.ohlcv_frame(src.symbol, src.timeframe, limit=cfg.real_bars)
                        )
                    except DataServiceError as exc:
                        skipped[name] = exc.detail
            result = training.train(cfg, frames, report)
            report("saving")
            meta = self.store.save(result.model, result.meta)
            self.install(result.model, meta)
            self.training_seconds.set(meta.duration_seconds)
            return {"trained_at": meta.trained_at.isoformat(), "skipped_sources": skipped}

        return work


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


def _corrupt(exc: ModelCorruptError) -> ModelCorrupt:
    return ModelCorrupt(f"The saved pattern model is unusable ({exc}); train a new one.")


async def _model(state: TcnState) -> tuple[TCNClassifier, ModelMeta]:
    """The saved model; without one, the job that trains a small one is started (or found)
    and the answer is 503 `model-being-prepared` with it: a request never waits for a fit."""
    try:
        found = await asyncio.to_thread(state.loaded)
    except ModelCorruptError as exc:
        raise _corrupt(exc) from None
    if found is None:
        raise model_preparing(state.prepare("on-demand"), "The pattern model")
    return found


async def _detect(
    state: TcnState,
    symbol: str,
    timeframe: Timeframe,
    min_confidence: float,
    bars: int | None,
    include_unvalidated: bool = False,
) -> DetectResult:
    model, meta = await _model(state)
    limit = bars or state.settings.default_bars
    ohlcv = await state.data.ohlcv(symbol, timeframe, limit=limit)  # its problems pass through
    frame = pd.DataFrame(
        [b.model_dump() for b in ohlcv.bars],
        columns=["time", "open", "high", "low", "close", "volume"],
    )
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame = frame.set_index("time")
    if len(frame) < WINDOW:
        raise InvalidRequest(
            f"{symbol} {timeframe} has {len(frame)} bars; detection needs at least {WINDOW}."
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


PREPARING = (ModelPreparing, ModelCorrupt)


@router.get(
    "/detect/{symbol}", response_model=DetectResult, responses=problems(*DATA_ERRORS, *PREPARING)
)
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
    model's measured `quality`. Without a model, the job that trains a small one is started
    (or found) and the answer is a 503 `model-being-prepared` with that `job`."""
    return await _detect(
        _state(request), symbol, timeframe, min_confidence, bars, include_unvalidated
    )


@router.post(
    "/scan", response_model=ScanResult, responses=problems(*DATA_ERRORS, *PREPARING, TooLarge)
)
async def scan(request: Request, body: ScanRequest) -> ScanResult:
    """Detect patterns for every symbol x timeframe; failures are reported per item."""
    state = _state(request)
    pairs = [(s, tf) for s in dict.fromkeys(body.symbols) for tf in dict.fromkeys(body.timeframes)]
    if len(pairs) > state.settings.max_scan_items:
        raise TooLarge(
            f"{len(pairs)} symbol x timeframe pairs; at most {state.settings.max_scan_items} per "
            "scan (TS_TCN_MAX_SCAN_ITEMS)."
        )
    await _model(state)  # no model: one clear 503 instead of one per item
    items: list[ScanItem] = []
    for symbol, tf in pairs:
        try:
            result = await _detect(state, symbol, tf, body.min_confidence, body.bars)
        except DomainError as exc:
            items.append(
                ScanItem(
                    symbol=symbol,
                    timeframe=tf,
                    ok=False,
                    error=exc.detail,
                    status=exc.status,
                    type=exc.type,
                )
            )
        else:
            items.append(ScanItem(symbol=symbol, timeframe=tf, ok=True, result=result))
    return ScanResult(
        items=items, detections=sum(len(i.result.detections) for i in items if i.result)
    )


@router.post(
    "/train",
    response_model=Job,
    status_code=202,
    tags=["training"],
    responses=problems(Conflict),
)
async def start_training(
    request: Request,
    response: Response,
    body: Annotated[training.TrainConfig | None, Body()] = None,
) -> Job:
    """Train a new model in the background (202 with the job; follow it at GET
    /api/v1/jobs/{id}); one training at a time: 409 with the queued or running `job`."""
    state = _state(request)
    try:
        job = state.start_training(body or training.TrainConfig())
    except JobConflictError as exc:
        raise Conflict(
            f"Training job {exc.job.id} is already {exc.job.state} "
            f"({exc.job.progress.percent:.0f} % done); one training at a time.",
            title="Training already running",
            job=exc.job.model_dump(mode="json"),
        ) from None
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/api/v1/jobs/{job.id}"
    return job


@router.get(
    "/model",
    response_model=ModelMeta,
    tags=["training"],
    responses=problems(ModelNotTrained, ModelCorrupt),
)
async def model_info(request: Request) -> ModelMeta:
    """The loaded model's metadata: architecture, training data and validation metrics."""
    state = _state(request)
    try:
        found = await asyncio.to_thread(state.loaded)
    except ModelCorruptError as exc:
        raise _corrupt(exc) from None
    if found is None:
        raise ModelNotTrained(HOW_TO_TRAIN)
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
        state.jobs.bind_loop()
        holder["state"] = state
        app.state.tcn = state
        # one model serves every symbol: prepared once, whatever TS_JOBS_PREPARE names
        preparing = start_preparing("tcn", lambda symbol, timeframe: state.prepare_on_start())
        try:
            yield
        finally:
            await stop_preparing(preparing)
            await asyncio.to_thread(state.jobs.shutdown, True)
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

    def manager(request: Request) -> JobManager:
        return _state(request).jobs

    return create_service_app(
        "tcn",
        routers=[router, jobs_router(manager)],
        lifespan=lifespan,
        health_check=health_check,
        training_in_progress=training_in_progress,
    )
