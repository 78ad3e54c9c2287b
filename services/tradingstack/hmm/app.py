"""The HMM service: market regimes and LightGBM signal scores over the data service's bars.

Routes (under /api/v1): GET /regime/{symbol}, POST /score, GET /scoring/models.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, FastAPI, Query, Request
from prometheus_client import Counter, Gauge, Histogram
from pydantic import BaseModel

from tradingstack.core.app import create_service_app, registry_of
from tradingstack.core.data_client import (
    DATA_PROBLEMS,
    DataClient,
    DataServiceError,
    data_problem,
    to_frame,
)
from tradingstack.core.errors import MODEL_NOT_TRAINED, ProblemError
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
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}
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
        self.fitting = 0

    def lock(self, *key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


def _state(request: Request) -> HmmState:
    state: HmmState = request.app.state.hmm
    return state


async def _bars(state: HmmState, symbol: str, timeframe: Timeframe) -> tuple[str, pd.DataFrame]:
    try:
        ohlcv = await state.data.ohlcv(symbol, timeframe, limit=state.settings.bars)
    except DataServiceError as exc:
        raise data_problem(exc, symbol, timeframe) from None
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


async def _regime_model(
    state: HmmState, symbol: str, timeframe: Timeframe, raw: pd.DataFrame, refit: bool
) -> tuple[RegimeModel, bool]:
    """The regime model of `symbol` `timeframe`: the saved one (GET; never fits, so a read
    changes nothing), or a new fit saved in its place (`refit`, the POST)."""
    s = state.settings
    key = (symbol, str(timeframe))
    async with state.lock("regime", *key):
        if not refit:
            model = state._regime_cache.get(key) or await asyncio.to_thread(
                state.regimes.load, *key
            )
            if model is not None and (model.vol_window, model.ma_window) == (
                s.vol_window,
                s.ma_window,
            ):
                state._regime_cache[key] = model
                return model, False
            why = "none is saved" if model is None else "the saved one uses other feature windows"
            raise ProblemError(
                404,
                f"No regime model for {symbol} {timeframe} ({why}). Fit one with "
                f"POST /api/v1/regime/{symbol}/fit?timeframe={timeframe} (about a second); "
                "an analysis fits it too.",
                title="No trained model",
                type_=MODEL_NOT_TRAINED,
                symbol=symbol,
                timeframe=str(timeframe),
            )
        previous = state._regime_cache.get(key) or await asyncio.to_thread(state.regimes.load, *key)
        if previous is not None and (previous.vol_window, previous.ma_window) != (
            s.vol_window,
            s.ma_window,
        ):
            previous = None
        state.fitting += 1
        try:
            model = await asyncio.to_thread(_fit_with_quality, s, raw, previous)
        except ValueError as exc:
            raise ProblemError(422, f"Cannot fit regimes for {symbol} {timeframe}: {exc}") from None
        finally:
            state.fitting -= 1
        state.fit_seconds.observe(model.fit_seconds)
        await asyncio.to_thread(state.regimes.save, *key, model)
        state._regime_cache[key] = model
        return model, True


def _fit_with_quality(
    s: HmmSettings, raw: pd.DataFrame, previous: RegimeModel | None
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
    model.quality = regime_quality(raw.to_numpy(), times=raw.index, **kwargs)
    return model


# --- routes ---------------------------------------------------------------------------------
@router.get(
    "/regime/{symbol}",
    response_model=RegimeResult,
    tags=["regimes"],
    responses={**DATA_PROBLEMS, 404: {"description": "unknown symbol, no data, or no model"}},
)
async def get_regime(
    request: Request, symbol: SymbolPath, timeframe: Timeframe = Timeframe.H1
) -> RegimeResult:
    """Current regime (forward-filtered), transition matrix, expected durations, history, from
    the saved model. A read never fits: without a model, a 404 `model-not-trained` that says
    how to fit one (`POST /api/v1/regime/{symbol}/fit`)."""
    return await _regime(request, symbol, timeframe, refit=False)


@router.post(
    "/regime/{symbol}/fit", response_model=RegimeResult, tags=["regimes"], responses=DATA_PROBLEMS
)
async def fit_regime(
    request: Request, symbol: SymbolPath, timeframe: Timeframe = Timeframe.H1
) -> RegimeResult:
    """Fit a new HMM now and answer as GET does (it replaces the model, so it is a POST and
    needs the token; it was `GET ?refit=true`)."""
    return await _regime(request, symbol, timeframe, refit=True)


async def _regime(request: Request, symbol: str, timeframe: Timeframe, refit: bool) -> RegimeResult:
    state = _state(request)
    s = state.settings
    name, frame = await _bars(state, symbol, timeframe)
    raw = regime_features(frame["close"], s.vol_window, s.ma_window)
    need = s.ma_window + 40
    if len(raw) < 40:
        raise ProblemError(
            422,
            f"{name} {timeframe} has {len(frame)} bars; regimes need at least {need}.",
        )
    model, refitted = await _regime_model(state, name, timeframe, raw, refit)
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
            refitted=refitted,
            stale=not _fresh(model.fitted_at, s.refit_after_seconds),
        ),
        quality=model.quality
        or unmeasured_quality("the model was saved before its quality was measured; refit it"),
    )


async def _indicators(state: HmmState, symbol: str, timeframe: Timeframe) -> Indicators:
    try:
        return await state.data.indicators(
            symbol, timeframe, names=state.settings.indicators, limit=state.settings.bars
        )
    except DataServiceError as exc:
        raise data_problem(exc, symbol, timeframe) from None


@router.post("/score", response_model=ScoreResult, tags=["scoring"], responses=DATA_PROBLEMS)
async def score(
    request: Request,
    body: ScoreRequest,
    retrain: Annotated[bool, Query(description="train the scoring model anew first")] = False,
) -> ScoreResult:
    """0-100 score of a long or short signal now, and the features that drove it (SHAP)."""
    state = _state(request)
    s = state.settings
    name, frame = await _bars(state, body.symbol, body.timeframe)
    indicators = await _indicators(state, name, body.timeframe)
    key = (name, str(body.timeframe), body.direction)
    retrained = False
    async with state.lock("score", *key):
        scorer = None if retrain else state._scorer_cache.get(key)
        if scorer is None and not retrain:
            try:
                scorer = await asyncio.to_thread(state.scorers.load, *key)
            except ScoringModelError:
                scorer = None  # unusable file: retrained below and replaced
        if scorer is None or not _fresh(scorer.meta.trained_at, s.score_max_age_seconds):
            state.fitting += 1
            try:
                scorer = await asyncio.to_thread(
                    train_scorer,
                    name,
                    str(body.timeframe),
                    body.direction,
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
                raise ProblemError(
                    422, f"Cannot train a scoring model for {name} {body.timeframe}: {exc}"
                ) from None
            finally:
                state.fitting -= 1
            await asyncio.to_thread(state.scorers.save, scorer)
            retrained = True
            if scorer.meta.auc_valid is not None:
                state.auc.labels(*key).set(scorer.meta.auc_valid)
        state._scorer_cache[key] = scorer
    table = await asyncio.to_thread(build_table, frame, indicators, scorer.meta.regime_model)
    try:
        result = await asyncio.to_thread(score_latest, scorer, table, s.top_features)
    except ValueError as exc:
        raise ProblemError(422, f"Cannot score {name} {body.timeframe}: {exc}") from None
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
        holder["state"] = state
        app.state.hmm = state
        try:
            yield
        finally:
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
        return bool(state and state.fitting > 0)

    return create_service_app(
        "hmm",
        routers=[router],
        lifespan=lifespan,
        health_check=health_check,
        training_in_progress=training_in_progress,
    )
