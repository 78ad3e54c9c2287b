"""The NHITS service's work: data from the data service, training jobs, forecasts, evaluation,
the registry, and the automatic-retraining loop. The HTTP layer (app.py) only maps to this."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from tradingstack.core.data_client import (
    DataClient,
    DataServiceError,
    UnknownSymbolError,
    data_problem,
)
from tradingstack.core.errors import MODEL_NOT_TRAINED, NO_DATA, ProblemError
from tradingstack.core.timeframes import Timeframe
from tradingstack.nhits import model as nh
from tradingstack.nhits.jobs import Job, JobConflictError, JobManager, Mode
from tradingstack.nhits.policy import RollingScore, retrain_reason
from tradingstack.nhits.registry import (
    CorruptModelError,
    ModelNotFoundError,
    Registry,
    safe_symbol,
)
from tradingstack.nhits.settings import NhitsSettings

log = logging.getLogger("tradingstack.nhits")


class Metrics:
    def __init__(self, registry: CollectorRegistry, models: Registry) -> None:
        self.training_duration = Histogram(
            "tradingstack_nhits_training_duration_seconds",
            "Wall time of NHITS training jobs, by mode (full or finetune).",
            ["mode"],
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600),
            registry=registry,
        )
        self.forecast_latency = Histogram(
            "tradingstack_forecast_latency_seconds",
            "Time to answer a forecast (data fetch + inference), by service.",
            ["service"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.retrains = Counter(
            "tradingstack_nhits_retrains_total",
            "Automatic retrainings started, by reason (age, underperforms_naive, corrupt).",
            ["reason"],
            registry=registry,
        )
        self.jobs = Counter(
            "tradingstack_nhits_training_jobs_total",
            "Training jobs finished, by mode and status.",
            ["mode", "status"],
            registry=registry,
        )
        registry.register(_ModelAgeCollector(models))


class _ModelAgeCollector(Collector):
    """tradingstack_nhits_model_age_seconds, read from the registry at scrape time."""

    def __init__(self, models: Registry) -> None:
        self.models = models

    def collect(self) -> Any:
        gauge = GaugeMetricFamily(
            "tradingstack_nhits_model_age_seconds",
            "Seconds since each NHITS model in the registry was trained.",
            labels=["symbol", "timeframe"],
        )
        now = datetime.now(UTC)
        for symbol, tf in self.models.entries():
            try:
                trained = datetime.fromisoformat(self.models.meta(symbol, tf)["trained_at"])
            except (CorruptModelError, ModelNotFoundError, KeyError, ValueError):
                continue
            gauge.add_metric([symbol, str(tf)], (now - trained).total_seconds())
        yield gauge


@dataclass
class Loaded:
    version: str
    meta: dict[str, Any]
    hyper: nh.Hyper
    nf: Any
    lock: threading.Lock
    signature: tuple[Any, ...] = ()

    @property
    def scales(self) -> dict[str, float]:
        return dict((self.meta.get("calibration") or {}).get("scales") or {})

    def predict(self, histories: list[np.ndarray]) -> nh.Quantiles:
        """Calibrated quantiles (the caller holds `lock`)."""
        return nh.predict(self.nf, self.hyper, histories, self.scales)


def _finite(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def future_times(index: pd.DatetimeIndex, timeframe: Timeframe, steps: int) -> list[datetime]:
    """The open times of the next `steps` bars. When the history has no weekend bars (a
    stock), weekends are skipped; otherwise (crypto) bars follow each other without gaps."""
    skip_weekends = len(index) > 0 and not bool((index.dayofweek >= 5).any())
    out: list[datetime] = []
    t = index[-1].to_pydatetime()
    while len(out) < steps:
        t = t + timeframe.delta
        if skip_weekends and t.weekday() >= 5:
            continue
        out.append(t)
    return out


class NhitsService:
    def __init__(
        self,
        settings: NhitsSettings,
        data: DataClient,
        registry: Registry,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.data = data
        self.registry = registry
        self.metrics = metrics
        self.jobs = JobManager(workers=settings.max_concurrent_jobs)
        self._cache: OrderedDict[tuple[str, Timeframe], Loaded] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.last_retrain_check: dict[str, Any] | None = None

    # --- inputs -------------------------------------------------------------------------
    @staticmethod
    def symbol(symbol: str) -> str:
        try:
            return safe_symbol(symbol)
        except ValueError as exc:
            raise ProblemError(422, str(exc)) from None

    def hyper(self, timeframe: Timeframe) -> nh.Hyper:
        s = self.settings
        return nh.Hyper(
            h=s.horizon(timeframe),
            input_size=s.input_size(timeframe),
            levels=sorted(s.levels),
            mlp_width=s.mlp_width,
            mlp_layers=s.mlp_layers,
            scaler_type=s.scaler_type,
            learning_rate=s.learning_rate,
            batch_windows=s.batch_windows,
            random_seed=s.random_seed,
            target=s.target,
        )

    async def closes(self, symbol: str, timeframe: Timeframe, bars: int) -> tuple[pd.Series, str]:
        """The newest `bars` closes (oldest first), paging below the data service's limit."""
        frames: list[pd.DataFrame] = []
        provider = ""
        end: datetime | None = None
        remaining = bars
        try:
            while remaining > 0:
                n = min(remaining, self.settings.data_page_limit)
                ohlcv = await self.data.ohlcv(symbol, timeframe, limit=n, end=end)
                provider = provider or ohlcv.provider
                if not ohlcv.bars:
                    break
                frame = pd.DataFrame(
                    {"close": [b.close for b in ohlcv.bars]},
                    index=pd.to_datetime([b.time for b in ohlcv.bars], utc=True),
                )
                frames.append(frame)
                remaining -= len(frame)
                if len(frame) < n:
                    break
                end = frame.index[0].to_pydatetime() - timedelta(seconds=1)
        except DataServiceError as exc:
            # paging back past the first bar ends the series; anything else is the answer
            if not (frames and isinstance(exc, UnknownSymbolError) and exc.type == NO_DATA):
                raise data_problem(exc, symbol, timeframe) from None
        if not frames:
            return pd.Series(dtype=np.float64), provider
        series = pd.concat(frames)["close"].sort_index()
        series = series[~series.index.duplicated(keep="last")].dropna()
        series = series[series > 0] if self.settings.target == "log_price" else series
        return series.astype(np.float64), provider

    # --- training -----------------------------------------------------------------------
    async def start_training(
        self,
        symbol: str,
        timeframe: Timeframe,
        mode: Mode = "full",
        *,
        max_steps: int | None = None,
        reason: str = "requested",
    ) -> Job:
        symbol = self.symbol(symbol)
        running = self.jobs.active_for(symbol, timeframe)
        if running is not None:
            raise JobConflictError(running)
        s = self.settings
        base: Loaded | None = None
        if mode == "finetune":
            base = await self.model(symbol, timeframe)
            hyper = base.hyper
            steps = max_steps or s.finetune_steps
            bars = s.finetune_bars
        else:
            hyper = self.hyper(timeframe)
            steps = max_steps or s.max_steps
            bars = s.train_bars
        holdout = (s.eval_windows + s.calib_windows) * hyper.h
        need = hyper.input_size + hyper.h + holdout + 1
        series, provider = await self.closes(symbol, timeframe, max(bars, need))
        if len(series) < need:
            raise ProblemError(
                422,
                f"{symbol} {timeframe} has {len(series)} bars; training needs at least {need} "
                f"(input {hyper.input_size} + horizon {hyper.h} + {s.eval_windows} held-out and "
                f"{s.calib_windows} calibration windows). Use a longer history or smaller "
                "TS_NHITS_INPUT_SIZES/HORIZONS.",
            )
        init_state = nh.clone_state(base.nf.models[0]) if base is not None else None

        def work(job: Job) -> dict[str, Any]:
            return self._train(job, series, provider, hyper, init_state, base)

        return self.jobs.submit(symbol, timeframe, mode, steps, work, reason=reason)

    def _train(
        self,
        job: Job,
        series: pd.Series,
        provider: str,
        hyper: nh.Hyper,
        init_state: dict[str, Any] | None,
        base: Loaded | None,
    ) -> dict[str, Any]:
        s = self.settings
        close = series.to_numpy()
        holdout = s.eval_windows * hyper.h
        calib = s.calib_windows * hyper.h
        train = close[: -(holdout + calib)]
        lr = s.finetune_learning_rate if job.mode == "finetune" else hyper.learning_rate
        nh.preload()
        started = time.monotonic()
        status = "failed"
        try:
            net = nh.fit(
                hyper,
                train,
                max_steps=job.progress.max_steps,
                learning_rate=lr,
                accelerator=s.accelerator,
                progress=job.progress,
                init_state=init_state,
            )
            duration = time.monotonic() - started
            weights = nh.state_bytes(net)
            nf = nh.forecaster(nh.rebuild(hyper, nh.state_from_bytes(weights), s.accelerator))
            scales: dict[str, float] = {}
            if s.calib_windows:
                scales = nh.conformal_scales(
                    lambda hs: nh.predict(nf, hyper, hs),
                    close[:-holdout],
                    h=hyper.h,
                    windows=s.calib_windows,
                    levels=hyper.levels,
                    target=hyper.target,
                )
            evaluation = nh.evaluate(
                lambda hs: nh.predict(nf, hyper, hs, scales),
                close,
                h=hyper.h,
                windows=s.eval_windows,
                season=s.season(job.timeframe),
                scale_history=train,
                levels=hyper.levels,
            )
            base_steps = int(base.meta.get("training", {}).get("total_steps", 0)) if base else 0
            meta = {
                "symbol": job.symbol,
                "timeframe": str(job.timeframe),
                "trained_at": datetime.now(UTC).isoformat(),
                "mode": job.mode,
                "reason": job.reason,
                "job_id": job.id,
                "base_version": base.version if base else None,
                "hyper": hyper.to_json(),
                "training": {
                    "steps": job.progress.step,
                    "max_steps": job.progress.max_steps,
                    "total_steps": base_steps + job.progress.step,
                    "learning_rate": lr,
                    "final_loss": job.progress.loss,
                    "duration_seconds": round(duration, 3),
                    "device": nh.device() if s.accelerator != "cpu" else "cpu",
                },
                "data": {
                    "provider": provider,
                    "bars": len(close),
                    "start": series.index[0].isoformat(),
                    "end": series.index[-1].isoformat(),
                    "train_start": series.index[0].isoformat(),
                    "train_end": series.index[len(train) - 1].isoformat(),
                    "calibration_bars": calib,
                    "holdout_start": series.index[len(close) - holdout].isoformat(),
                    "holdout_bars": holdout,
                },
                "calibration": {
                    "method": "split conformal: interval half-widths scaled so that each level "
                    "covers its share of calibration windows the network did not train on",
                    "windows": s.calib_windows,
                    "bars": calib,
                    "scales": scales,
                },
                "evaluation": _finite(evaluation),
            }
            meta = self.registry.save(job.symbol, job.timeframe, weights, meta)
            self.metrics.training_duration.labels(job.mode).observe(duration)
            status = "succeeded"
            log.info(
                "trained %s %s in %.1fs (%d steps, loss %s): %s",
                job.symbol,
                job.timeframe,
                duration,
                job.progress.step,
                job.progress.loss,
                evaluation["verdict"],
            )
            return meta
        finally:
            self.metrics.jobs.labels(job.mode, status).inc()

    async def wait(self, job: Job) -> Job:
        await run_in_threadpool(job.done.wait)
        return job

    # --- models -------------------------------------------------------------------------
    def _load(self, symbol: str, timeframe: Timeframe) -> Loaded:
        signature = self.registry.signature(symbol, timeframe)
        with self._cache_lock:
            hit = self._cache.get((symbol, timeframe))
            if hit is not None and hit.signature == signature:
                self._cache.move_to_end((symbol, timeframe))
                return hit
        stored = self.registry.load(symbol, timeframe)
        try:
            hyper = nh.Hyper.from_json(stored.meta["hyper"])
            net = nh.rebuild(hyper, nh.state_from_bytes(stored.weights), self.settings.accelerator)
        except Exception as exc:  # safetensors, shape or hyper-parameter errors alike
            msg = f"the weights do not load: {type(exc).__name__}: {exc}"
            raise CorruptModelError(msg) from exc
        loaded = Loaded(
            stored.meta["version"], stored.meta, hyper, nh.forecaster(net), threading.Lock()
        )
        loaded.signature = signature
        with self._cache_lock:
            self._cache[(symbol, timeframe)] = loaded
            while len(self._cache) > self.settings.model_cache_size:
                self._cache.popitem(last=False)
        return loaded

    async def model(self, symbol: str, timeframe: Timeframe) -> Loaded:
        try:
            return await run_in_threadpool(self._load, symbol, timeframe)
        except ModelNotFoundError:
            raise ProblemError(
                404,
                f"No NHITS model for {symbol} {timeframe} yet. Train one with "
                f"POST /api/v1/forecast/{symbol}/train?timeframe={timeframe} and follow "
                f"GET /api/v1/training/progress, or POST /api/v1/forecast/{symbol}"
                f"?timeframe={timeframe} to train a small one on demand and forecast.",
                title="No trained model",
                type_=MODEL_NOT_TRAINED,
                symbol=symbol,
                timeframe=str(timeframe),
            ) from None
        except CorruptModelError as exc:
            raise ProblemError(
                409,
                f"The NHITS model for {symbol} {timeframe} is corrupt ({exc}). Retrain it with "
                f"POST /api/v1/forecast/{symbol}/train?timeframe={timeframe}.",
                title="Corrupt model",
                symbol=symbol,
                timeframe=str(timeframe),
            ) from None

    def model_age(self, meta: dict[str, Any]) -> float:
        return (datetime.now(UTC) - datetime.fromisoformat(meta["trained_at"])).total_seconds()

    def list_models(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for symbol, tf in self.registry.entries():
            try:
                meta = self.registry.meta(symbol, tf)
            except CorruptModelError as exc:
                out.append(
                    {"symbol": symbol, "timeframe": str(tf), "status": "corrupt", "error": str(exc)}
                )
                continue
            ev = meta.get("evaluation") or {}
            out.append(
                {
                    "symbol": symbol,
                    "timeframe": str(tf),
                    "status": "ok",
                    "version": meta.get("version"),
                    "trained_at": meta.get("trained_at"),
                    "age_seconds": round(self.model_age(meta), 3),
                    "mode": meta.get("mode"),
                    "horizon": meta["hyper"]["h"],
                    "input_size": meta["hyper"]["input_size"],
                    "data": meta.get("data"),
                    "training": meta.get("training"),
                    "calibration": meta.get("calibration"),
                    "beats_naive": ev.get("beats_naive"),
                    "mase": ev.get("mase"),
                }
            )
        return out

    # --- forecasts ----------------------------------------------------------------------
    async def forecast(
        self, symbol: str, timeframe: Timeframe, horizon: int | None, train: bool
    ) -> dict[str, Any]:
        started = time.perf_counter()
        symbol = self.symbol(symbol)
        trained_now: str | None = None
        if train and not self._exists(symbol, timeframe):
            trained_now = await self._train_on_demand(symbol, timeframe)
        loaded = await self.model(symbol, timeframe)
        h = loaded.hyper.h
        horizon = horizon or h
        if horizon > h:
            raise ProblemError(
                422,
                f"horizon {horizon} is longer than this model's {h} bars; ask for at most {h}, "
                f"or retrain with a longer horizon (TS_NHITS_HORIZONS).",
            )
        series, provider = await self.closes(symbol, timeframe, loaded.hyper.input_size)
        if len(series) < loaded.hyper.input_size:
            raise ProblemError(
                422,
                f"{symbol} {timeframe} has {len(series)} bars; the model needs the last "
                f"{loaded.hyper.input_size} to forecast.",
            )
        close = series.to_numpy()

        def infer() -> nh.Quantiles:
            with loaded.lock:
                return loaded.predict([close])

        q = await run_in_threadpool(infer)
        times = future_times(pd.DatetimeIndex(series.index), timeframe, horizon)
        intervals = [
            {
                "level": lv,
                "lower": q.lower[lv][0, :horizon].tolist(),
                "upper": q.upper[lv][0, :horizon].tolist(),
            }
            for lv in loaded.hyper.levels
        ]
        meta = loaded.meta
        ev = meta.get("evaluation") or {}
        self.metrics.forecast_latency.labels("nhits").observe(time.perf_counter() - started)
        return {
            "symbol": symbol,
            "timeframe": str(timeframe),
            "horizon": horizon,
            "target": loaded.hyper.target,
            "last_bar": {"time": series.index[-1].isoformat(), "close": float(close[-1])},
            "timestamps": [t.isoformat() for t in times],
            "median": q.median[0, :horizon].tolist(),
            "intervals": intervals,
            "model": {
                "version": loaded.version,
                "trained_at": meta["trained_at"],
                "age_seconds": round(self.model_age(meta), 3),
                "mode": meta.get("mode"),
                "data_end": (meta.get("data") or {}).get("end"),
                "beats_naive": ev.get("beats_naive"),
                "trained_on_demand": trained_now is not None,
            },
            "provider": provider,
        }

    def _exists(self, symbol: str, timeframe: Timeframe) -> bool:
        try:
            self.registry.current_version(symbol, timeframe)
        except ModelNotFoundError:
            return False
        except CorruptModelError:
            return True
        return True

    async def _train_on_demand(self, symbol: str, timeframe: Timeframe) -> str:
        try:
            job = await self.start_training(
                symbol,
                timeframe,
                "full",
                max_steps=self.settings.on_demand_steps,
                reason="on_demand",
            )
        except JobConflictError as exc:
            job = exc.job  # someone is training this model already: wait for that job
        await self.wait(job)
        if job.status != "succeeded":
            raise ProblemError(
                503,
                f"On-demand training of {symbol} {timeframe} {job.status}: {job.error}. Retry, or "
                f"train with POST /api/v1/forecast/{symbol}/train?timeframe={timeframe}.",
                job_id=job.id,
            )
        return job.id

    # --- evaluation ---------------------------------------------------------------------
    async def evaluation(self, symbol: str, timeframe: Timeframe) -> dict[str, Any]:
        symbol = self.symbol(symbol)
        loaded = await self.model(symbol, timeframe)
        meta = loaded.meta
        ev = meta.get("evaluation") or {}
        rolling = await self.rolling(symbol, timeframe, loaded)
        return {
            "symbol": symbol,
            "timeframe": str(timeframe),
            "model_version": loaded.version,
            "trained_at": meta["trained_at"],
            "evaluated_on": {
                "bars": (meta.get("data") or {}).get("holdout_bars"),
                "from": (meta.get("data") or {}).get("holdout_start"),
                "until": (meta.get("data") or {}).get("end"),
                "note": "walk-forward windows held out at training time: the model never saw them",
            },
            "holdout": ev,
            "beats_naive": ev.get("beats_naive"),
            "verdict": ev.get("verdict"),
            "rolling": rolling,
        }

    async def rolling(
        self, symbol: str, timeframe: Timeframe, loaded: Loaded
    ) -> dict[str, Any] | None:
        """Scores on bars that arrived after the model's training data ended (None if < h)."""
        hyper = loaded.hyper
        s = self.settings
        end = datetime.fromisoformat((loaded.meta.get("data") or {})["end"])
        series, _ = await self.closes(
            symbol, timeframe, hyper.input_size + (s.eval_windows + 1) * hyper.h
        )
        new = int((series.index > pd.Timestamp(end)).sum())
        windows = min(s.eval_windows, new // hyper.h)
        if windows == 0:
            return None
        close = series.to_numpy()

        def run() -> dict[str, Any]:
            with loaded.lock:
                return nh.evaluate(
                    loaded.predict,
                    close,
                    h=hyper.h,
                    windows=windows,
                    season=s.season(timeframe),
                    scale_history=close,
                    levels=hyper.levels,
                )

        out: dict[str, Any] = _finite(await run_in_threadpool(run))
        out["new_bars"] = new
        return out

    # --- automatic retraining -----------------------------------------------------------
    async def retrain_check(self) -> list[dict[str, Any]]:
        """Apply the retrain policy to every model; start (and wait for) one job at a time."""
        s = self.settings
        decisions: list[dict[str, Any]] = []
        for symbol, tf in self.registry.entries():
            if self.jobs.active_for(symbol, tf) is not None:
                decisions.append({"symbol": symbol, "timeframe": str(tf), "action": "busy"})
                continue
            corrupt, trained_at, rolling = False, None, None
            try:
                loaded = await run_in_threadpool(self._load, symbol, tf)
                trained_at = datetime.fromisoformat(loaded.meta["trained_at"])
                try:
                    r = await self.rolling(symbol, tf, loaded)
                except ProblemError as exc:
                    log.warning("rolling evaluation of %s %s failed: %s", symbol, tf, exc.detail)
                    r = None
                if r is not None:
                    rolling = RollingScore(r["points"], r["mae"], r["mae_naive"])
            except CorruptModelError:
                corrupt = True
            reason = retrain_reason(
                trained_at=trained_at,
                now=datetime.now(UTC),
                max_age=s.max_model_age,
                rolling=rolling,
                naive_ratio=s.retrain_naive_ratio,
                min_points=1,
                corrupt=corrupt,
            )
            decision: dict[str, Any] = {
                "symbol": symbol,
                "timeframe": str(tf),
                "action": "retrain" if reason else "keep",
                "reason": reason,
                "rolling_relative_mae": rolling.relative_mae if rolling else None,
            }
            if reason:
                log.info(
                    "retraining %s %s automatically: %s (trained at %s, rolling MAE/naive %s)",
                    symbol,
                    tf,
                    reason,
                    trained_at.isoformat() if trained_at else None,
                    f"{rolling.relative_mae:.3f}" if rolling else "n/a",
                )
                self.metrics.retrains.labels(reason).inc()
                try:
                    job = await self.start_training(symbol, tf, "full", reason=reason)
                except (JobConflictError, ProblemError) as exc:
                    decision["error"] = str(getattr(exc, "detail", exc))
                else:
                    decision["job_id"] = job.id
                    await self.wait(job)
                    decision["status"] = job.status
            decisions.append(decision)
        self.last_retrain_check = {"at": datetime.now(UTC).isoformat(), "decisions": decisions}
        return decisions

    async def retrain_loop(self) -> None:
        interval = max(self.settings.retrain_interval.total_seconds(), 1.0)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.retrain_check()
            except Exception:
                log.exception("the automatic retraining check failed")
