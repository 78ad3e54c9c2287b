"""The HMM service: market regimes and LightGBM signal scores over the data service's bars.

Routes (under /api/v1): GET /regime/{symbol}, POST /regime/{symbol}/fit, POST /score,
GET /scoring/models, GET /jobs, GET /jobs/{id}, DELETE /jobs/{id}.

Every fit is a job of the kit's JobManager (one at a time, under the stack's gate): a request
that finds no model starts (or finds) the job that fits it and answers 503
`model-being-prepared` with the job; an old model is answered (`stale`) while its refit runs.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, FastAPI, Query, Request, Response
from prometheus_client import Counter, Gauge, Histogram
from pydantic import BaseModel

from tradingstack.core.app import create_service_app, registry_of
from tradingstack.core.data_client import DATA_ERRORS, DataClient, to_frame
from tradingstack.core.errors import (
    Conflict,
    InvalidRequest,
    ModelPreparing,
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
from tradingstack.core.schemas import Indicators, SymbolPath
from tradingstack.core.settings import load_settings
from tradingstack.core.timeframes import Timeframe
from tradingstack.hmm.regime import (
    REGIMES,
    RegimeModel,
    fit_regimes,
    regime_features,
    regime_quality,
    segments,
    unmeasured_quality,
)
from tradingstack.hmm.schemas import (
    Contribution,
    Duration,
    RegimeModelInfo,
    RegimeResult,
    ScoreRequest,
    ScoreResult,
    ScoringModelInfo,
    Segment,
)
from tradingstack.hmm.scoring import (
    RegimeStore,
    ScorerStore,
    ScoringMeta,
    ScoringModelError,
    TrainedScorer,
    build_table,
    score_latest,
    score_summary,
    train_scorer,
)
from tradingstack.hmm.settings import HmmSettings

# the data service's problems, passed through as they are (core.data_client)

router = APIRouter()


# --- state ----------------------------------------------------------------------------------
class HmmState:
    def __init__(self, settings: HmmSettings, data: DataClient, registry: Any) -> None:
        self.settings = settings
        self.data = data
        self.regimes = RegimeStore(settings.dir)
        self.scorers = ScorerStore(settings.dir)
        self._regime_cache: dict[tuple[str, str], RegimeModel] = {}
        self._scorer_cache: dict[tuple[str, str, str], TrainedScorer] = {}
        self.jobs = JobManager("hmm", gate=gate_from_env())
        self.fit_seconds = Histogram(
            "tradingstack_hmm_fit_duration_seconds",
            "Time to fit a regime HMM (all restarts).",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120),
            registry=registry,
        )
        self.regime_prob = Gauge(
            "tradingstack_hmm_regime_probability",
            "Filtered probability of each regime at the newest bar.",
            ["symbol", "timeframe", "regime"],
            registry=registry,
        )
        self.scores = Counter(
            "tradingstack_hmm_scores_total", "Signals scored.", ["direction"], registry=registry
        )
        self.auc = Gauge(
            "tradingstack_hmm_scoring_auc",
            "Out-of-fold (walk-forward) ROC AUC of each scoring model.",
            ["symbol", "timeframe", "direction"],
            registry=registry,
        )

    # --- regime models --------------------------------------------------------------------
    def saved_regime(self, symbol: str, timeframe: Timeframe) -> RegimeModel | None:
        """The saved regime model with the settings' feature windows (None: none usable)."""
        key = (symbol, str(timeframe))
        model = self._regime_cache.get(key) or self.regimes.load(*key)
        s = self.settings
        if model is None or (model.vol_window, model.ma_window) != (s.vol_window, s.ma_window):
            return None
        self._regime_cache[key] = model
        return model

    def fit_regime_job(self, symbol: str, timeframe: Timeframe, reason: str) -> Job:
        """Queue the fit of `symbol` `timeframe` (JobConflictError while one is queued or
        running)."""

        def work(report: Reporter) -> dict[str, Any]:
            s = self.settings
            report("fetching bars")
            name, frame = report.run(_bars(self, symbol, timeframe))
            raw = regime_features(frame["close"], s.vol_window, s.ma_window)
            if len(raw) < 40:
                raise InvalidRequest(
                    f"{name} {timeframe} has {len(frame)} bars; regimes need at least "
                    f"{s.ma_window + 40}."
                )
            key = (name, str(timeframe))
            previous = self._regime_cache.get(key) or self.regimes.load(*key)
            if previous is not None and (previous.vol_window, previous.ma_window) != (
                s.vol_window,
                s.ma_window,
            ):
                previous = None
            report(f"fitting the regime HMM on {len(raw)} bars", done=0, total=2)
            model = _fit_with_quality(s, raw, previous, report)
            self.fit_seconds.observe(model.fit_seconds)
            report("saving", done=2)
            self.regimes.save(*key, model)
            self._regime_cache[key] = model
            return {"fitted_at": model.fitted_at.isoformat()}

        return self.jobs.submit(
            "fit-regime",
            work,
            symbol=symbol,
            timeframe=str(timeframe),
            reason=reason,
            key=("regime", symbol, str(timeframe)),
        )

    def ensure_regime_job(self, symbol: str, timeframe: Timeframe, reason: str) -> Job:
        failed = self.jobs.recent_failure(("regime", symbol, str(timeframe)))
        if failed is not None:
            return failed  # not retried by every request
        try:
            return self.fit_regime_job(symbol, timeframe, reason)
        except JobConflictError as exc:
            return exc.job

    # --- scoring models -------------------------------------------------------------------
    def saved_scorer(
        self, symbol: str, timeframe: Timeframe, direction: str
    ) -> TrainedScorer | None:
        key = (symbol, str(timeframe), direction)
        scorer = self._scorer_cache.get(key)
        if scorer is None:
            try:
                scorer = self.scorers.load(*key)
            except ScoringModelError:
                scorer = None  # unusable file: the job replaces it
        if scorer is not None:
            self._scorer_cache[key] = scorer
        return scorer

    def fit_scorers_job(self, symbol: str, timeframe: Timeframe, reason: str) -> Job:
        """Queue the training of the long and short scoring models of `symbol` `timeframe`."""

        def work(report: Reporter) -> dict[str, Any]:
            s = self.settings
            report("fetching bars and indicators")
            name, frame = report.run(_bars(self, symbol, timeframe))
            indicators = report.run(_indicators(self, name, timeframe))
            directions: tuple[Literal["long", "short"], ...] = ("long", "short")
            trained: list[TrainedScorer] = []
            for i, direction in enumerate(directions):
                report(f"training the {direction} scoring model", done=i, total=2)
                try:
                    scorer = train_scorer(
                        name,
                        str(timeframe),
                        direction,
                        frame,
                        indicators,
                        horizon=s.horizon_bars,
                        threshold_sigma=s.threshold_sigma,
                        n_folds=s.n_folds,
                        embargo=s.embargo_bars,
                        initial_train_fraction=s.initial_train_fraction,
                        max_boost_rounds=s.boost_rounds,
                        early_stopping_rounds=s.early_stopping_rounds,
                        learning_rate=s.learning_rate,
                        num_leaves=s.num_leaves,
                        min_data_in_leaf=s.min_data_in_leaf,
                        threads=s.lgbm_threads,
                        hmm_restarts=min(s.restarts, 3),
                        hmm_iter=s.n_iter,
                        vol_window=s.vol_window,
                        ma_window=s.ma_window,
                        n_boot=s.bootstrap_resamples,
                    )
                except ValueError as exc:
                    raise InvalidRequest(
                        f"Cannot train a scoring model for {name} {timeframe}: {exc}"
                    ) from None
                trained.append(scorer)
            # both saved together: an analysis asks for both, and found one while the other
            # still trained (seen in bench/first_start.py)
            report("saving", done=2)
            for scorer in trained:  # this process' readers see both at once
                direction = scorer.meta.direction
                self._scorer_cache[(name, str(timeframe), direction)] = scorer
            self.scorers.save_all(trained)
            for scorer in trained:
                direction = scorer.meta.direction
                if scorer.meta.auc_valid is not None:
                    self.auc.labels(name, str(timeframe), direction).set(scorer.meta.auc_valid)
            return {}

        return self.jobs.submit(
            "fit-scores",
            work,
            symbol=symbol,
            timeframe=str(timeframe),
            reason=reason,
            key=("score", symbol, str(timeframe)),
        )

    def ensure_scorers_job(self, symbol: str, timeframe: Timeframe, reason: str) -> Job:
        failed = self.jobs.recent_failure(("score", symbol, str(timeframe)))
        if failed is not None:
            return failed  # not retried by every request
        try:
            return self.fit_scorers_job(symbol, timeframe, reason)
        except JobConflictError as exc:
            return exc.job

    async def prepare_on_start(self, symbol: str, timeframe: Timeframe) -> Job | None:
        """First start: the jobs that fit the missing regime and scoring models (the regime's
        is answered; None when every model is saved)."""
        name = symbol.upper()
        jobs: list[Job] = []
        if await asyncio.to_thread(self.saved_regime, name, timeframe) is None:
            jobs.append(self.ensure_regime_job(name, timeframe, "first-start"))
        scorers = [
            await asyncio.to_thread(self.saved_scorer, name, timeframe, d)
            for d in ("long", "short")
        ]
        if any(sc is None for sc in scorers):
            jobs.append(self.ensure_scorers_job(name, timeframe, "first-start"))
        return jobs[0] if jobs else None


def _state(request: Request) -> HmmState:
    state: HmmState = request.app.state.hmm
    return state


async def _bars(state: HmmState, symbol: str, timeframe: Timeframe) -> tuple[str, pd.DataFrame]:
    """The newest bars (the data service's problems pass through: unknown-symbol, no-data,
    upstream-unavailable, ...)."""
    ohlcv = await state.data.ohlcv(symbol, timeframe, limit=state.settings.bars)
    return ohlcv.symbol, to_frame(ohlcv)


def _human(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "indefinite"
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


def _fresh(fitted_at: datetime, max_age: float) -> bool:
    return datetime.now(UTC) - fitted_at <= timedelta(seconds=max_age)


async def _regime_model(state: HmmState, symbol: str, timeframe: Timeframe) -> RegimeModel:
    """The saved regime model; without one, the job that fits it is started (or found) and
    the answer is 503 `model-being-prepared`. An old one is answered, its refit queued."""
    model = await asyncio.to_thread(state.saved_regime, symbol, timeframe)
    if model is None:
        job = state.ensure_regime_job(symbol, timeframe, "on-demand")
        raise model_preparing(job, f"The regime model of {symbol} {timeframe}")
    if not _fresh(model.fitted_at, state.settings.refit_after_seconds):
        state.ensure_regime_job(symbol, timeframe, "schedule")
    return model


def _fit_with_quality(
    s: HmmSettings, raw: pd.DataFrame, previous: RegimeModel | None, report: Reporter | None = None
) -> RegimeModel:
    """A new fit, its states matched to `previous` on the bars both were fitted on, and its
    held-out quality (a second fit on the first 80 % of the bars)."""
    shared = None
    if previous is not None and previous.train_start and previous.train_end:
        shared = raw.loc[previous.train_start : previous.train_end].to_numpy()
    kwargs: dict[str, Any] = {
        "restarts": s.restarts,
        "n_iter": s.n_iter,
        "tol": s.tol,
        "vol_window": s.vol_window,
        "ma_window": s.ma_window,
    }
    model = fit_regimes(
        raw.to_numpy(), times=raw.index, previous=previous, raw_shared=shared, **kwargs
    )
    if report is not None:
        report("measuring the held-out quality (a second fit on the first 80 %)", done=1)
    model.quality = regime_quality(raw.to_numpy(), times=raw.index, **kwargs)
    return model


# --- routes ---------------------------------------------------------------------------------
@router.get(
    "/regime/{symbol}",
    response_model=RegimeResult,
    tags=["regimes"],
    responses=problems(*DATA_ERRORS, ModelPreparing),
)
async def get_regime(
    request: Request, symbol: SymbolPath, timeframe: Timeframe = Timeframe.H1
) -> RegimeResult:
    """Current regime (forward-filtered), transition matrix, expected durations, history, from
    the saved model. Never waits for a fit: without a model, the job that fits one is started
    (or found) and the answer is a 503 `model-being-prepared` with that `job`; a model older
    than TS_HMM_REFIT_AFTER_SECONDS is answered (`model.stale`) while its refit runs."""
    return await _regime(request, symbol, timeframe)


@router.post(
    "/regime/{symbol}/fit",
    response_model=Job,
    status_code=202,
    tags=["regimes"],
    responses=problems(*DATA_ERRORS, Conflict),
)
async def fit_regime(
    request: Request, response: Response, symbol: SymbolPath, timeframe: Timeframe = Timeframe.H1
) -> Job:
    """Start fitting a new HMM (202 with the job; the model replaces the saved one when it
    ends); 409 with the `job` while one is queued or running."""
    state = _state(request)
    name, _ = await _bars(state, symbol, timeframe)  # an unknown symbol is a 404 now
    try:
        job = state.fit_regime_job(name, timeframe, "user")
    except JobConflictError as exc:
        raise Conflict(
            f"The regime model of {name} {timeframe} is being fitted already (job "
            f"{exc.job.id}, {exc.job.state}).",
            job=exc.job.model_dump(mode="json"),
        ) from None
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/api/v1/jobs/{job.id}"
    return job


async def _regime(request: Request, symbol: str, timeframe: Timeframe) -> RegimeResult:
    state = _state(request)
    s = state.settings
    name, frame = await _bars(state, symbol, timeframe)
    raw = regime_features(frame["close"], s.vol_window, s.ma_window)
    need = s.ma_window + 40
    if len(raw) < 40:
        raise InvalidRequest(
            f"{name} {timeframe} has {len(frame)} bars; regimes need at least {need}."
        )
    model = await _regime_model(state, name, timeframe)
    probs = await asyncio.to_thread(model.regime_probabilities, raw.to_numpy())
    current = probs[-1]
    labels = [REGIMES[i] for i in probs.argmax(axis=1)]
    trans = model.regime_transmat()
    bar_seconds = timeframe.delta.total_seconds()
    durations: dict[str, Duration] = {}
    for regime, bars in model.expected_durations().items():
        finite = math.isfinite(bars)
        durations[regime] = Duration(
            bars=round(bars, 3) if finite else None,
            seconds=round(bars * bar_seconds, 1) if finite else None,
            human=_human(bars * bar_seconds),
        )
    for regime, p in zip(REGIMES, current, strict=True):
        state.regime_prob.labels(name, str(timeframe), regime).set(float(p))
    history = segments(raw.index, labels)[-s.history_segments :]
    return RegimeResult(
        symbol=name,
        timeframe=timeframe,
        as_of=raw.index[-1].to_pydatetime(),
        current_regime=REGIMES[int(np.argmax(current))],
        probabilities={r: round(float(p), 6) for r, p in zip(REGIMES, current, strict=True)},
        transition_matrix={
            a: {b: round(float(trans[i, j]), 6) for j, b in enumerate(REGIMES)}
            for i, a in enumerate(REGIMES)
        },
        expected_duration=durations,
        state_means=model.state_means_raw(),
        history=[Segment(**seg) for seg in history],
        model=RegimeModelInfo(
            fitted_at=model.fitted_at,
            converged=model.converged,
            log_likelihood=model.log_likelihood,
            iterations=model.iterations,
            restarts=model.restarts,
            converged_restarts=model.converged_restarts,
            n_obs=model.n_obs,
            train_start=model.train_start,
            train_end=model.train_end,
            fit_seconds=model.fit_seconds,
            refit_agreement=model.refit_agreement,
            matched_to_previous=model.matched_to_previous,
            degenerate=model.degenerate,
            refitted=False,
            stale=not _fresh(model.fitted_at, s.refit_after_seconds),
        ),
        quality=model.quality
        or unmeasured_quality("the model was saved before its quality was measured; refit it"),
    )


async def _indicators(state: HmmState, symbol: str, timeframe: Timeframe) -> Indicators:
    return await state.data.indicators(
        symbol, timeframe, names=state.settings.indicators, limit=state.settings.bars
    )


@router.post(
    "/score",
    response_model=ScoreResult,
    tags=["scoring"],
    responses=problems(*DATA_ERRORS, ModelPreparing),
)
async def score(
    request: Request,
    body: ScoreRequest,
    retrain: Annotated[
        bool,
        Query(
            description="start retraining the scoring models (a job); the answer is the 503 "
            "`model-being-prepared` with it"
        ),
    ] = False,
) -> ScoreResult:
    """0-100 score of a long or short signal now, and the features that drove it (SHAP).
    Never waits for a training: without a model, the job that trains the long and short
    models is started (or found) and the answer is a 503 `model-being-prepared` with that
    `job`; a model older than TS_HMM_SCORE_MAX_AGE_SECONDS is answered while it retrains."""
    state = _state(request)
    s = state.settings
    name, frame = await _bars(state, body.symbol, body.timeframe)
    indicators = await _indicators(state, name, body.timeframe)
    scorer = (
        None
        if retrain
        else await asyncio.to_thread(state.saved_scorer, name, body.timeframe, body.direction)
    )
    if scorer is None:
        job = state.ensure_scorers_job(name, body.timeframe, "user" if retrain else "on-demand")
        raise model_preparing(job, f"The {body.direction} scoring model of {name} {body.timeframe}")
    if not _fresh(scorer.meta.trained_at, s.score_max_age_seconds):
        state.ensure_scorers_job(name, body.timeframe, "schedule")
    retrained = False
    table = await asyncio.to_thread(build_table, frame, indicators, scorer.meta.regime_model)
    try:
        result = await asyncio.to_thread(score_latest, scorer, table, s.top_features)
    except ValueError as exc:
        raise InvalidRequest(f"Cannot score {name} {body.timeframe}: {exc}") from None
    state.scores.labels(body.direction).inc()
    m = scorer.meta
    return ScoreResult(
        symbol=name,
        timeframe=body.timeframe,
        direction=body.direction,
        score=result.score,
        probability=round(result.probability, 6),
        raw_probability=round(result.raw_probability, 6),
        as_of=result.as_of,
        horizon_bars=m.horizon_bars,
        threshold=m.threshold,
        top_features=[Contribution.model_validate(c) for c in result.contributions],
        bias=result.bias,
        model=ScoringModelInfo(
            trained_at=m.trained_at,
            auc_valid=m.auc_valid,
            base_rate_valid=m.base_rate_valid,
            n_train=m.n_train,
            n_valid=m.n_valid,
            train_start=m.train_start,
            train_end=m.train_end,
            valid_start=m.valid_start,
            valid_end=m.valid_end,
            retrained=retrained,
            folds=len(m.folds),
            metrics=m.metrics,
        ),
        quality=m.quality,
        summary=score_summary(body.direction, result.probability, m),
    )


class ScoringModelList(BaseModel):
    models: list[ScoringMeta]


@router.get("/scoring/models", response_model=ScoringModelList, tags=["scoring"])
async def scoring_models(request: Request) -> ScoringModelList:
    """Metadata (holdout AUC, split times, features) of the scoring models on disk."""
    state = _state(request)
    out: list[ScoringMeta] = []
    for path in sorted(state.scorers.directory.glob("*.json")):
        try:
            out.append(ScoringMeta.model_validate_json(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    for m in out:
        m.regime_model = m.regime_model.model_copy(update={"covars": [], "means": []})
    return ScoringModelList(models=out)


def create_app(
    settings: HmmSettings | None = None,
    *,
    data_client: DataClient | None = None,
    data_url: str | None = None,
) -> FastAPI:
    """The HMM service; tests pass `data_url` (or a client) of a real data service."""
    settings = settings or load_settings(HmmSettings)
    holder: dict[str, HmmState] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.dir.mkdir(parents=True, exist_ok=True)
        client = data_client or DataClient(data_url)
        state = HmmState(settings, client, registry_of(app))
        state.jobs.bind_loop()
        holder["state"] = state
        app.state.hmm = state
        preparing = start_preparing(
            "hmm", lambda symbol, tf: state.prepare_on_start(symbol, Timeframe(tf))
        )
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
            return "unhealthy", {"state": "service not started"}
        return "healthy", {
            "model_dir": str(settings.dir),
            "regime_models": len(list(state.regimes.directory.glob("*.json")))
            if state.regimes.directory.exists()
            else 0,
            "scoring_models": len(list(state.scorers.directory.glob("*.json")))
            if state.scorers.directory.exists()
            else 0,
        }

    def training_in_progress() -> bool:
        state = holder.get("state")
        return bool(state and state.jobs.in_progress())

    def manager(request: Request) -> JobManager:
        return _state(request).jobs

    return create_service_app(
        "hmm",
        routers=[router, jobs_router(manager)],
        lifespan=lifespan,
        health_check=health_check,
        training_in_progress=training_in_progress,
    )
