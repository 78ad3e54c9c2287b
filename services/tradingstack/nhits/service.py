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
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from tradingstack.core.data_client import DataClient
from tradingstack.core.errors import (
    DomainError,
    InvalidRequest,
    ModelCorrupt,
    ModelNotTrained,
    NoData,
)
from tradingstack.core.jobs import (
    Job,
    JobConflictError,
    JobManager,
    Reporter,
    gate_from_env,
    model_preparing,
)
from tradingstack.core.timeframes import Timeframe
from tradingstack.nhits import model as nh
from tradingstack.nhits import skill
from tradingstack.nhits.policy import RollingScore, retrain_reason
from tradingstack.nhits.registry import (
    CorruptModelError,
    ModelNotFoundError,
    Registry,
    safe_symbol,
)
from tradingstack.nhits.schemas import Mode
from tradingstack.nhits.settings import NhitsSettings

log = logging.getLogger("tradingstack.nhits")


@dataclass
class JobProgressBridge(nh.Progress):
    """The training loop's tracker (nhits.model writes `step` and `loss` into it from the
    Lightning callback, and stops when `cancel` is set) reporting each write to the job."""

    report: Reporter | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        report = self.__dict__.get("report")
        if report is not None and name in ("step", "loss"):
            loss = self.__dict__.get("loss")
            report.update(
                done=self.__dict__.get("step", 0),
                message=f"step {self.__dict__.get('step', 0)}/{self.max_steps}"
                + (f", loss {loss:.4g}" if loss is not None else ""),
            )


@dataclass
class TrainSpec:
    """What a training job trains (its Job says who asked and how far it got)."""

    symbol: str
    timeframe: Timeframe
    mode: Mode
    reason: str
    max_steps: int


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
    ensemble: nh.Ensemble
    lock: threading.Lock
    signature: tuple[Any, ...] = ()

    @property
    def serving(self) -> dict[str, Any]:
        return dict(self.meta["serving"])

    @property
    def intervals(self) -> dict[str, Any]:
        return dict(self.meta["intervals"])

    def windows(
        self, close: np.ndarray, at: np.ndarray, stride: int, with_actual: bool = True
    ) -> skill.Windows:
        """Inputs (and outcomes) of the origins `at` of `close` (the caller holds `lock`)."""
        return windows(self.ensemble, close, at, stride, with_actual)


def windows(
    ensemble: nh.Ensemble, close: np.ndarray, at: np.ndarray, stride: int, with_actual: bool = True
) -> skill.Windows:
    hyper = ensemble.hyper
    close = np.asarray(close, dtype=np.float64)
    y = skill.to_target(close, hyper.target)
    actual = skill.actuals(close, at, hyper.h) if with_actual else np.empty((len(at), hyper.h))
    return skill.Windows(
        last=close[at - 1],
        model_t=ensemble.median_at(close, at),
        sigma=skill.sigma_at(y, at, hyper.vol_window),
        actual=actual,
        target=hyper.target,
        stride=stride,
    )


def assess(
    ensemble: nh.Ensemble, close: np.ndarray, split: skill.Split, *, season: int
) -> dict[str, Any]:
    """Choose what to serve (validation + calibration windows), calibrate the intervals, and
    evaluate the result on the held-out origins."""
    hyper = ensemble.hyper
    close = np.asarray(close, dtype=np.float64)
    val = windows(ensemble, close, split.val_at(), 1)
    cal = windows(ensemble, close, split.calib_at(), 1)
    serving = skill.choose_serving(val, cal)
    intervals = skill.choose_intervals(cal, serving["alpha"], sorted(hyper.levels))
    at = split.eval_at()
    held = windows(ensemble, close, at, split.eval_stride)
    evaluation = skill.evaluate(
        held,
        serving,
        intervals,
        levels=sorted(hyper.levels),
        mase_scale=mase_scale(close[split.eval_start - 1 :]),
        snaive=np.stack([nh.seasonal_naive(close[:o], hyper.h, season) for o in at]),
    )
    return {"serving": serving, "intervals": intervals, "evaluation": evaluation}


def mase_scale(close: np.ndarray) -> float:
    """MASE's scale: the mean absolute one-bar change over the evaluated bars themselves."""
    d = np.abs(np.diff(np.asarray(close, dtype=np.float64)))
    return float(d.mean()) if len(d) else float("nan")


def evaluated_on(meta: dict[str, Any]) -> str:
    ev, data = meta.get("evaluation") or {}, meta.get("data") or {}
    if not ev:
        return "not evaluated"
    return (
        f"{ev.get('origins')} rolling origins {ev.get('stride')} bar(s) apart, "
        f"{ev.get('horizon')} bars ahead each, on {meta.get('symbol')} {meta.get('timeframe')} "
        f"bars {data.get('holdout_start')} .. {data.get('end')}, held out after the training "
        "and calibration bars (the model never saw them)"
    )


def _data_meta(index: pd.Index, split: skill.Split, h: int, provider: str) -> dict[str, Any]:
    """The saved model's `data` record: which bars it was fitted, validated, calibrated and
    evaluated on."""
    return {
        "provider": provider,
        "bars": len(index),
        "start": index[0].isoformat(),
        "end": index[-1].isoformat(),
        "train_start": index[0].isoformat(),
        "train_end": index[split.calib_start - 1].isoformat(),
        "validation_start": index[split.fit_bars].isoformat(),
        "validation_windows": split.val_windows,
        "calibration_start": index[split.calib_start].isoformat(),
        "calibration_windows": split.calib_windows,
        "calibration_bars": split.calib_windows * h,
        "holdout_start": index[split.eval_start].isoformat(),
        "holdout_bars": split.eval_bars,
        "holdout_origins": split.eval_origins,
        "holdout_stride": split.eval_stride,
    }


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


class Windows(TypedDict):
    """The sizes of a train | validation | calibration | held-out split (skill.plan's keywords)."""

    h: int
    min_fit: int
    val_windows: int
    calib_windows: int
    eval_origins: int
    eval_stride: int | None


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
        self.jobs = JobManager("nhits", workers=settings.max_concurrent_jobs, gate=gate_from_env())
        self._cache: OrderedDict[tuple[str, Timeframe], Loaded] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.last_retrain_check: dict[str, Any] | None = None

    # --- inputs -------------------------------------------------------------------------
    @staticmethod
    def symbol(symbol: str) -> str:
        try:
            return safe_symbol(symbol)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None

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
            dropout=s.dropout,
            seeds=s.seeds,
            vol_window=s.vol_window(timeframe),
            vol_input=s.vol_input,
            target=s.target,
        )

    def min_fit(self, hyper: nh.Hyper) -> int:
        """Fewest bars the networks are fitted on (before the validation block)."""
        return 2 * (hyper.input_size + hyper.h) + hyper.vol_window

    def windows(self, hyper: nh.Hyper) -> Windows:
        """The split's sizes from the settings: what plan() and bars_wanted() are given."""
        s = self.settings
        return {
            "h": hyper.h,
            "min_fit": self.min_fit(hyper),
            "val_windows": s.val_windows,
            "calib_windows": s.calib_windows,
            "eval_origins": s.eval_origins,
            "eval_stride": s.eval_stride,
        }

    def plan(self, hyper: nh.Hyper, bars: int) -> skill.Split | None:
        return skill.plan(bars, **self.windows(hyper))

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
        except NoData:
            # paging back past the first bar ends the series (no-data-in-range, a kind of
            # NoData); any other data problem passes through as the answer
            if not frames:
                raise
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
        reason: str = "user",
    ) -> Job:
        symbol = self.symbol(symbol)
        running = self.jobs.active((symbol, timeframe))
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
        wanted = skill.bars_wanted(**self.windows(hyper))
        series, provider = await self.closes(symbol, timeframe, max(bars, wanted))
        split = self.plan(hyper, len(series))
        if split is None:
            need = self.min_fit(hyper) + (3 * skill.MIN_WINDOWS + 1) * hyper.h
            raise InvalidRequest(
                f"{symbol} {timeframe} has {len(series)} bars; training needs at least {need} "
                f"({self.min_fit(hyper)} to fit on, then {skill.MIN_WINDOWS} validation and "
                f"{skill.MIN_WINDOWS} calibration horizons of {hyper.h} bars and "
                f"{skill.MIN_WINDOWS} held-out origins). Use a longer history or smaller "
                "TS_NHITS_INPUT_SIZES/HORIZONS."
            )
        init_states = nh.clone_states(base.ensemble) if base is not None else None

        total = steps * hyper.seeds  # the job's steps: every seed's
        spec = TrainSpec(symbol, timeframe, mode, reason, total)

        def work(report: Reporter) -> dict[str, Any]:
            return self._train(report, spec, series, provider, hyper, split, init_states, base)

        kind = "finetune" if mode == "finetune" else "train"
        return self.jobs.submit(
            kind,
            work,
            symbol=symbol,
            timeframe=str(timeframe),
            reason=reason,
            key=(symbol, timeframe),
            step=f"{bars} bars fetched; waiting for a worker",
        )

    def _train(
        self,
        report: Reporter,
        job: TrainSpec,
        series: pd.Series,
        provider: str,
        hyper: nh.Hyper,
        split: skill.Split,
        init_states: list[dict[str, Any]] | None,
        base: Loaded | None,
    ) -> dict[str, Any]:
        s = self.settings
        close = series.to_numpy()
        train = close[: split.calib_start]
        lr = s.finetune_learning_rate if job.mode == "finetune" else hyper.learning_rate
        per_seed = max(1, job.max_steps // hyper.seeds)
        report("loading the forecasting library")
        nh.preload()
        report(f"training {hyper.seeds} network(s)", done=0, total=job.max_steps)
        progress = JobProgressBridge(
            max_steps=job.max_steps, cancel=report.cancel_event, report=report
        )
        started = time.monotonic()
        status = "failed"
        try:
            trained = nh.fit(
                hyper,
                train,
                max_steps=per_seed,
                val_windows=split.val_windows,
                learning_rate=lr,
                accelerator=s.accelerator,
                val_check_steps=s.val_check_steps,
                patience=s.early_stop_patience,
                progress=progress,
                init_states=init_states,
            )
            duration = time.monotonic() - started
            report("evaluating on held-out bars", done=job.max_steps)
            weights = nh.state_bytes(trained.nets)
            ensemble = nh.rebuild(hyper, nh.states_from_bytes(weights, hyper.seeds), s.accelerator)
            result = assess(ensemble, close, split, season=s.season(job.timeframe))
            meta = {
                "symbol": job.symbol,
                "timeframe": str(job.timeframe),
                "trained_at": datetime.now(UTC).isoformat(),
                "mode": job.mode,
                "reason": job.reason,
                "job_id": report.job_id,
                "base_version": base.version if base else None,
                "hyper": hyper.to_json(),
                "training": self._training_meta(
                    job, hyper, trained, split, base, lr=lr, loss=progress.loss, duration=duration
                ),
                "data": _data_meta(series.index, split, hyper.h, provider),
                "serving": _finite(result["serving"]),
                "intervals": _finite(result["intervals"]),
                "evaluation": _finite(result["evaluation"]),
            }
            report("saving the model")
            meta = self.registry.save(job.symbol, job.timeframe, weights, meta)
            self.metrics.training_duration.labels(job.mode).observe(duration)
            status = "succeeded"
            log.info(
                "trained %s %s in %.1fs (%d steps, %d seeds): serves %s; %s",
                job.symbol,
                job.timeframe,
                duration,
                trained.steps,
                hyper.seeds,
                result["serving"]["served"],
                result["evaluation"]["verdict"],
            )
            return meta
        finally:
            if status != "succeeded" and report.cancelled:
                status = "cancelled"
            self.metrics.jobs.labels(job.mode, status).inc()

    def _training_meta(
        self,
        job: TrainSpec,
        hyper: nh.Hyper,
        trained: nh.Trained,
        split: skill.Split,
        base: Loaded | None,
        *,
        lr: float,
        loss: float | None,
        duration: float,
    ) -> dict[str, Any]:
        """The saved model's `training` record: steps (the base model's included), seeds,
        early stopping, learning rate, time and device."""
        s = self.settings
        base_steps = int(base.meta.get("training", {}).get("total_steps", 0)) if base else 0
        return {
            "steps": trained.steps,
            "max_steps": job.max_steps,
            "max_steps_per_seed": max(1, job.max_steps // hyper.seeds),
            "total_steps": base_steps + trained.steps,
            "seeds": hyper.seed_list,
            "best_steps": trained.best_steps,
            "best_val_losses": _finite(trained.val_losses),
            "early_stopping": f"patience {s.early_stop_patience} checks of "
            f"{s.val_check_steps} steps on {split.val_windows} validation horizons",
            "learning_rate": lr,
            "final_loss": loss,
            "duration_seconds": round(duration, 3),
            "device": nh.device() if s.accelerator != "cpu" else "cpu",
        }

    async def wait(self, job: Job) -> Job:
        done = await self.jobs.wait_async(job.id)
        return done or job

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
            states = nh.states_from_bytes(stored.weights, hyper.seeds)
            ensemble = nh.rebuild(hyper, states, self.settings.accelerator)
            for key in ("serving", "intervals"):
                if not isinstance(stored.meta.get(key), dict):
                    raise ValueError(f"the metadata has no {key}")
        except Exception as exc:  # safetensors, shape or hyper-parameter errors alike
            msg = f"the weights do not load: {type(exc).__name__}: {exc}"
            raise CorruptModelError(msg) from exc
        loaded = Loaded(stored.meta["version"], stored.meta, hyper, ensemble, threading.Lock())
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
            raise ModelNotTrained(
                f"No NHITS model for {symbol} {timeframe} yet: a forecast request starts "
                "training a small one in the background, a training request a full one; the "
                "jobs list shows their progress.",
                symbol=symbol,
                timeframe=str(timeframe),
            ) from None
        except CorruptModelError as exc:
            raise ModelCorrupt(
                f"The NHITS model for {symbol} {timeframe} is corrupt ({exc}); training it "
                "again replaces it.",
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
                    "calibration": meta.get("intervals"),
                    "beats_naive": ev.get("beats_naive"),
                    "mase": ev.get("mase"),
                    "served": (meta.get("serving") or {}).get("served"),
                    "relative_mae": ev.get("relative_mae"),
                }
            )
        return out

    # --- forecasts ----------------------------------------------------------------------
    async def forecast(
        self, symbol: str, timeframe: Timeframe, horizon: int | None
    ) -> dict[str, Any]:
        """The forecast of the saved model; without one, the job that trains a small one is
        started (or found) and the answer is 503 `model-being-prepared` with that job."""
        started = time.perf_counter()
        symbol = self.symbol(symbol)
        if not self._exists(symbol, timeframe):
            job = await self.prepare(symbol, timeframe, "on-demand")
            raise model_preparing(job, f"The NHITS forecast model of {symbol} {timeframe}")
        loaded = await self.model(symbol, timeframe)
        h = loaded.hyper.h
        horizon = horizon or h
        if horizon > h:
            raise InvalidRequest(
                f"horizon {horizon} is longer than this model's {h} bars; ask for at most {h}, "
                f"or retrain with a longer horizon (TS_NHITS_HORIZONS)."
            )
        hyper = loaded.hyper
        need = hyper.input_size + hyper.vol_window + 1
        series, provider = await self.closes(symbol, timeframe, need)
        if len(series) < hyper.input_size:
            raise InvalidRequest(
                f"{symbol} {timeframe} has {len(series)} bars; the model needs the last "
                f"{hyper.input_size} to forecast."
            )
        close = series.to_numpy()

        def infer() -> tuple[skill.Paths, np.ndarray]:
            with loaded.lock:
                w = loaded.windows(close, np.array([len(close)]), hyper.h, with_actual=False)
            paths = skill.serve(w, loaded.serving, loaded.intervals)
            return paths, skill.from_target(w.model_t, hyper.target)

        q, raw = await run_in_threadpool(infer)
        times = future_times(pd.DatetimeIndex(series.index), timeframe, horizon)
        methods = {k: v["method"] for k, v in loaded.intervals["levels"].items()}
        intervals = [
            {
                "level": lv,
                "lower": q.lower[lv][0, :horizon].tolist(),
                "upper": q.upper[lv][0, :horizon].tolist(),
                "method": methods.get(str(lv)),
            }
            for lv in sorted(q.lower)
        ]
        meta = loaded.meta
        ev = meta.get("evaluation") or {}
        serving = loaded.serving
        self.metrics.forecast_latency.labels("nhits").observe(time.perf_counter() - started)
        return {
            "symbol": symbol,
            "timeframe": str(timeframe),
            "horizon": horizon,
            "target": hyper.target,
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
                "trained_on_demand": meta.get("reason") in ("on-demand", "first-start"),
                "served": serving["served"],
                "alpha": serving["alpha"],
                "served_reason": serving["reason"],
            },
            "nhits_median": raw[0, :horizon].tolist(),
            "quality": skill.quality(ev, evaluated_on(meta)),
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

    async def prepare(self, symbol: str, timeframe: Timeframe, reason: str) -> Job:
        """The job that trains `symbol` `timeframe`: the queued or running one, else a new one
        of the small on-demand size (TS_NHITS_ON_DEMAND_STEPS per seed)."""
        key = (symbol, timeframe)
        found = self.jobs.active(key) or self.jobs.recent_failure(key)
        if found is not None:
            return found  # running, or failed a moment ago (not retried by every request)
        try:
            return await self.start_training(
                symbol,
                timeframe,
                "full",
                max_steps=self.settings.on_demand_steps,
                reason=reason,
            )
        except JobConflictError as exc:
            return exc.job  # started by another request meanwhile

    async def prepare_on_start(self, symbol: str, timeframe: Timeframe) -> Job | None:
        """First start: the job that trains a missing model (None when one is saved; then it
        is loaded now, so the first forecast does not wait for torch and neuralforecast)."""
        symbol = self.symbol(symbol)
        if self._exists(symbol, timeframe):
            try:
                await run_in_threadpool(self._load, symbol, timeframe)
            except (CorruptModelError, ModelNotFoundError) as exc:
                log.warning("the saved %s %s model does not load: %s", symbol, timeframe, exc)
            return None
        return await self.prepare(symbol, timeframe, "first-start")

    # --- evaluation ---------------------------------------------------------------------
    async def evaluation(self, symbol: str, timeframe: Timeframe) -> dict[str, Any]:
        symbol = self.symbol(symbol)
        loaded = await self.model(symbol, timeframe)
        meta = loaded.meta
        ev = meta.get("evaluation") or {}
        data = meta.get("data") or {}
        rolling = await self.rolling(symbol, timeframe, loaded)
        return {
            "symbol": symbol,
            "timeframe": str(timeframe),
            "model_version": loaded.version,
            "trained_at": meta["trained_at"],
            "evaluated_on": {
                "bars": data.get("holdout_bars"),
                "from": data.get("holdout_start"),
                "until": data.get("end"),
                "note": evaluated_on(meta),
            },
            "holdout": ev,
            "beats_naive": ev.get("beats_naive"),
            "verdict": ev.get("verdict"),
            "served": loaded.serving["served"],
            "served_reason": loaded.serving["reason"],
            "quality": skill.quality(ev, evaluated_on(meta)),
            "rolling": rolling,
        }

    async def rolling(
        self, symbol: str, timeframe: Timeframe, loaded: Loaded
    ) -> dict[str, Any] | None:
        """The served forecast's scores on origins whose bars all arrived after the model's
        data ended (None before there is a full horizon of new bars)."""
        hyper = loaded.hyper
        s = self.settings
        end = datetime.fromisoformat((loaded.meta.get("data") or {})["end"])
        lookback = hyper.input_size + hyper.vol_window + 1
        wanted = lookback + (s.eval_origins - 1) * hyper.h + hyper.h
        series, _ = await self.closes(symbol, timeframe, wanted)
        new = int((series.index > pd.Timestamp(end)).sum())
        if new < hyper.h:
            return None
        close = series.to_numpy()
        first = len(close) - new  # the first new bar: the earliest origin
        stride = max(1, min(hyper.h, (new - hyper.h) // max(s.retrain_min_origins - 1, 1)))
        count = min(s.eval_origins, (new - hyper.h) // stride + 1)
        if first < lookback or count < 1:
            return None
        at = skill.origins(len(close), count, stride, hyper.h)

        def run() -> dict[str, Any]:
            with loaded.lock:
                w = loaded.windows(close, at, stride)
            return skill.evaluate(
                w,
                loaded.serving,
                loaded.intervals,
                levels=sorted(hyper.levels),
                mase_scale=mase_scale(close[first - 1 :]),
            )

        out: dict[str, Any] = _finite(await run_in_threadpool(run))
        out["new_bars"] = new
        out["windows"] = (count - 1) * stride / hyper.h + 1
        return out

    # --- automatic retraining -----------------------------------------------------------
    async def retrain_check(self) -> list[dict[str, Any]]:
        """Apply the retrain policy to every model; start (and wait for) one job at a time."""
        s = self.settings
        decisions: list[dict[str, Any]] = []
        for symbol, tf in self.registry.entries():
            if self.jobs.active((symbol, tf)) is not None:
                decisions.append({"symbol": symbol, "timeframe": str(tf), "action": "busy"})
                continue
            corrupt, trained_at, rolling = False, None, None
            try:
                loaded = await run_in_threadpool(self._load, symbol, tf)
                trained_at = datetime.fromisoformat(loaded.meta["trained_at"])
                try:
                    r = await self.rolling(symbol, tf, loaded)
                except DomainError as exc:  # e.g. the data service down: keep the decision
                    log.warning("rolling evaluation of %s %s failed: %s", symbol, tf, exc.detail)
                    r = None
                if r is not None:
                    lo, hi = r["relative_mae_ci"]
                    rolling = RollingScore(
                        origins=r["origins"],
                        relative_mae=r["relative_mae"],
                        ci_low=lo,
                        ci_high=hi,
                        coverage=r["coverage"],
                        windows=r["windows"],
                    )
            except CorruptModelError:
                corrupt = True
            reason = retrain_reason(
                trained_at=trained_at,
                now=datetime.now(UTC),
                max_age=s.max_model_age,
                rolling=rolling,
                naive_ratio=s.retrain_naive_ratio,
                min_origins=s.retrain_min_origins,
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
                except (JobConflictError, DomainError) as exc:
                    decision["error"] = str(getattr(exc, "detail", exc))
                else:
                    decision["job_id"] = job.id
                    decision["status"] = (await self.wait(job)).state
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
