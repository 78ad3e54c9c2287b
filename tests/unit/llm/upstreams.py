"""Local HTTP servers for the LLM tests.

- nhits, tcn and hmm answer instances of their services' own response models
  (`tradingstack.<service>.schemas`, the contracts the llm service parses with), so a field
  renamed in a producer breaks these doubles and the llm's tests with them. They stand in for
  the real services, which need trained models (minutes of training) before they answer a
  forecast or a detection; their numbers are derived from the real bars of the data service.
  The hmm double, like the real service, answers `model-not-trained` until a fit when it is
  created with `fitted=False`.
- An Ollama server implementing the parts of the Ollama API the `ollama` client uses:
  /api/chat (streaming NDJSON and not), /api/tags, /api/version, and its errors (404 for a
  model that is not pulled). Its "model" answers from a script when one is queued, else echoes;
  an answer longer than `num_predict` words is cut there with `done_reason: length`.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from tradingstack.core.errors import (
    MODEL_NOT_TRAINED,
    MODEL_PREPARING,
    UNKNOWN_SYMBOL,
    problem_response,
)
from tradingstack.core.jobs import Job
from tradingstack.core.timeframes import Timeframe
from tradingstack.hmm.regime import REGIMES
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
from tradingstack.nhits.schemas import Forecast, ForecastModelInfo, Interval, LastBar
from tradingstack.tcn.schemas import DetectionOut, DetectResult, ModelInfo

TRAINED_AT = datetime(2026, 1, 1, tzinfo=UTC)


async def _last_close(data_url: str, symbol: str, timeframe: str) -> tuple[float, datetime] | None:
    async with httpx.AsyncClient(base_url=data_url, timeout=10) as c:
        r = await c.get(f"/api/v1/ohlcv/{symbol}", params={"timeframe": timeframe, "limit": 1})
        if r.status_code != 200:
            return None
        bar = r.json()["bars"][-1]
        return float(bar["close"]), datetime.fromisoformat(bar["time"])


def _unknown(symbol: str) -> JSONResponse:
    return problem_response(404, f"unknown symbol {symbol}", type_=UNKNOWN_SYMBOL)


def create_nhits(data_url: str) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/forecast/{symbol}")
    async def forecast(symbol: str, timeframe: Timeframe = Timeframe.H1, horizon: int = 24) -> Any:
        last = await _last_close(data_url, symbol, timeframe)
        if last is None:
            return _unknown(symbol)
        close, t0 = last
        median = [close * (1 + 0.0005 * (i + 1)) for i in range(horizon)]
        return Forecast(
            symbol=symbol,
            timeframe=timeframe,
            horizon=horizon,
            target="close",
            last_bar=LastBar(time=t0, close=close),
            timestamps=[t0 + timeframe.delta * (i + 1) for i in range(horizon)],
            median=median,
            intervals=[
                Interval(
                    level=80, lower=[m * 0.99 for m in median], upper=[m * 1.01 for m in median]
                ),
                Interval(
                    level=95, lower=[m * 0.98 for m in median], upper=[m * 1.02 for m in median]
                ),
            ],
            model=ForecastModelInfo(
                version="20260101T000000Z",
                trained_at=TRAINED_AT,
                age_seconds=(datetime.now(UTC) - TRAINED_AT).total_seconds(),
                mode="full",
                data_end=t0,
                beats_naive=True,
                trained_on_demand=False,
                served="nhits",
                alpha=1.0,
                served_reason="the model beat 'no change' on the calibration windows",
            ),
            quality={
                "metric": "relative MAE vs naive",
                "value": 0.95,
                "ci_low": 0.9,
                "ci_high": 0.99,
                "baseline": 1.0,
                "higher_is_better": False,
                "has_edge": True,
                "evaluated_on": "200 held-out origins",
                "summary": "beats no change: relative MAE 0.950 [0.900, 0.990]",
            },
            provider="embedded",
        )

    return app


def create_tcn(data_url: str) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/detect/{symbol}")
    async def detect(symbol: str, timeframe: Timeframe = Timeframe.H1) -> Any:
        last = await _last_close(data_url, symbol, timeframe)
        if last is None:
            return _unknown(symbol)
        end = last[1]
        start = end - timeframe.delta * 29
        return DetectResult(
            symbol=symbol,
            timeframe=timeframe,
            min_confidence=0.6,
            bars_scanned=500,
            first_bar=end - timeframe.delta * 499,
            last_bar=end,
            windows_scanned=60,
            candidates=3,
            detections=[
                DetectionOut(
                    pattern="ascending_triangle",
                    description="flat resistance, rising support",
                    confidence=0.72,
                    start_time=start,
                    end_time=end,
                    bars=30,
                )
            ],
            model=ModelInfo(
                trained_at=TRAINED_AT,
                age_seconds=(datetime.now(UTC) - TRAINED_AT).total_seconds(),
                device="cpu",
            ),
            quality={
                "metric": "macro-F1 on held-out real windows (served patterns + none)",
                "value": 0.62,
                "ci_low": 0.41,
                "ci_high": 0.8,
                "baseline": 0.5,
                "higher_is_better": True,
                "has_edge": False,
                "evaluated_on": "414 windows of 64 bars from the last 20% of 7 series",
                "summary": "no demonstrated edge: macro-F1 0.62 (95 % CI 0.41-0.80) vs 0.50",
            },
            data_provider="embedded",
        )

    return app


def regime_result(
    symbol: str, timeframe: Timeframe, as_of: datetime, refitted: bool
) -> RegimeResult:
    probabilities = dict(zip(REGIMES, (0.62, 0.08, 0.22, 0.08), strict=True))
    stay = dict(zip(REGIMES, (0.95, 0.9, 0.93, 0.8), strict=True))
    hours = timeframe.delta.total_seconds()
    return RegimeResult(
        symbol=symbol,
        timeframe=timeframe,
        as_of=as_of,
        current_regime="bull_trend",
        probabilities=probabilities,
        transition_matrix={
            a: {b: stay[a] if a == b else (1 - stay[a]) / 3 for b in REGIMES} for a in REGIMES
        },
        expected_duration={
            r: Duration(bars=1 / (1 - p), seconds=hours / (1 - p), human=f"{1 / (1 - p):.0f} bars")
            for r, p in stay.items()
        },
        state_means={r: {"log_return": 0.0, "realised_vol": 0.01} for r in REGIMES},
        history=[
            Segment(start=as_of - timeframe.delta * 40, end=as_of, regime="bull_trend", bars=41)
        ],
        model=RegimeModelInfo(
            fitted_at=TRAINED_AT,
            converged=True,
            log_likelihood=1234.5,
            iterations=40,
            restarts=2,
            converged_restarts=2,
            n_obs=650,
            train_start=as_of - timeframe.delta * 649,
            train_end=as_of,
            fit_seconds=0.5,
            refitted=refitted,
            stale=False,
        ),
        quality={
            "metric": "one-step log score of the next bar's log return vs one Gaussian",
            "value": 0.08,
            "ci_low": 0.04,
            "ci_high": 0.12,
            "baseline": 0.0,
            "higher_is_better": True,
            "has_edge": True,
            "evaluated_on": "the last 130 of 650 bars",
            "summary": "the regimes forecast the spread of the next bar's return better",
        },
    )


def create_hmm(
    data_url: str, delay: float = 0.0, *, fitted: bool = True, preparing: Job | None = None
) -> FastAPI:
    """`app.state.fits`: how many fits were asked for (POST .../fit); `app.state.calls`: regime
    and score requests. With `preparing` (while `app.state.preparing` is set), regime and score
    answer 503 model-being-prepared with that job, as the real service does while it trains."""
    app = FastAPI()
    app.state.fitted = fitted
    app.state.fits = 0
    app.state.calls = 0
    app.state.preparing = preparing

    def being_prepared(symbol: str) -> Any:
        job: Job = app.state.preparing
        return problem_response(
            503,
            f"The model for {symbol} is being trained ({job.progress.percent:.0f} %).",
            type_=MODEL_PREPARING,
            headers={"Retry-After": "30"},
            job=job.model_dump(mode="json"),
        )

    @app.get("/api/v1/regime/{symbol}")
    async def regime(symbol: str, timeframe: Timeframe = Timeframe.H1) -> Any:
        await asyncio.sleep(delay)
        app.state.calls += 1
        last = await _last_close(data_url, symbol, timeframe)
        if last is None:
            return _unknown(symbol)
        if app.state.preparing is not None:
            return being_prepared(symbol)
        if not app.state.fitted:
            return problem_response(
                404, f"No regime model for {symbol} {timeframe}.", type_=MODEL_NOT_TRAINED
            )
        return regime_result(symbol, timeframe, last[1], refitted=False)

    @app.post("/api/v1/regime/{symbol}/fit")
    async def fit(symbol: str, timeframe: Timeframe = Timeframe.H1) -> Any:
        last = await _last_close(data_url, symbol, timeframe)
        if last is None:
            return _unknown(symbol)
        app.state.fits += 1
        app.state.fitted = True
        return regime_result(symbol, timeframe, last[1], refitted=True)

    @app.post("/api/v1/score")
    async def score(body: ScoreRequest) -> Any:
        await asyncio.sleep(delay)
        app.state.calls += 1
        last = await _last_close(data_url, body.symbol, body.timeframe)
        if last is None:
            return _unknown(body.symbol)
        if app.state.preparing is not None:
            return being_prepared(body.symbol)
        as_of = last[1]
        value = 64.0 if body.direction == "long" else 31.0
        return ScoreResult(
            symbol=body.symbol,
            timeframe=body.timeframe,
            direction=body.direction,
            score=value,
            probability=value / 100,
            as_of=as_of,
            horizon_bars=12,
            threshold=0.002,
            top_features=[Contribution(feature="rsi_14", value=58.0, contribution=0.12)],
            bias=-0.4,
            model=ScoringModelInfo(
                trained_at=TRAINED_AT,
                auc_valid=0.55,
                base_rate_valid=0.3,
                n_train=400,
                n_valid=100,
                train_start=as_of - body.timeframe.delta * 600,
                train_end=as_of - body.timeframe.delta * 112,
                valid_start=as_of - body.timeframe.delta * 100,
                valid_end=as_of,
                retrained=False,
            ),
            quality={
                "metric": "out-of-fold ROC AUC, 6 purged walk-forward folds",
                "value": 0.55,
                "ci_low": 0.48,
                "ci_high": 0.62,
                "baseline": 0.5,
                "higher_is_better": True,
                "has_edge": False,
                "evaluated_on": "300 out-of-fold bars",
                "summary": "no demonstrated edge: out-of-fold AUC 0.550 (95 % CI 0.480-0.620) "
                "includes 0.5 (chance)",
            },
            summary=f"{body.direction} {value:.0f}/100 (base rate 30/100): not a signal, no "
            "demonstrated edge",
        )

    return app


# --- Ollama ------------------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_ollama(models: tuple[str, ...] = ("llama3.1:70b",)) -> FastAPI:
    """`app.state.script`: replies to give, in order; `app.state.requests`: the /api/chat bodies."""
    app = FastAPI()
    app.state.script = deque()
    app.state.requests = []

    @app.get("/api/version")
    async def version() -> dict[str, str]:
        return {"version": "0.5.7"}

    @app.get("/api/tags")
    async def tags() -> dict[str, Any]:
        return {
            "models": [
                {
                    "name": m,
                    "model": m,
                    "modified_at": "2026-01-01T00:00:00Z",
                    "size": 1 << 30,
                    "digest": "sha256:" + "0" * 64,
                    "details": {
                        "format": "gguf",
                        "family": "llama",
                        "parameter_size": "70B",
                        "quantization_level": "Q4_K_M",
                    },
                }
                for m in models
            ]
        }

    @app.post("/api/chat")
    async def chat(request: Request) -> Any:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return JSONResponse({"error": "invalid JSON body"}, status_code=400)
        app.state.requests.append(body)
        model = body.get("model")
        if model not in models:
            return JSONResponse(
                {"error": f'model "{model}" not found, try pulling it first'}, status_code=404
            )
        messages = body.get("messages") or []
        if app.state.script:
            content = app.state.script.popleft()
        else:
            last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
            content = f"echo ({len(messages)} messages): {last}"
        reason = "stop"
        cap = (body.get("options") or {}).get("num_predict")
        if cap and len(content.split(" ")) > cap:  # the token cap, a word for a token here
            content, reason = " ".join(content.split(" ")[:cap]), "length"
        if not body.get("stream", True):
            return {
                "model": model,
                "created_at": _now(),
                "done": True,
                "done_reason": reason,
                "message": {"role": "assistant", "content": content},
                "total_duration": 1000,
                "eval_count": len(content.split()),
            }

        async def lines() -> AsyncIterator[bytes]:
            for i in range(0, len(content), 5):
                part = {
                    "model": model,
                    "created_at": _now(),
                    "done": False,
                    "message": {"role": "assistant", "content": content[i : i + 5]},
                }
                yield (json.dumps(part) + "\n").encode()
            end = {
                "model": model,
                "created_at": _now(),
                "done": True,
                "done_reason": reason,
                "message": {"role": "assistant", "content": ""},
                "eval_count": 1,
            }
            yield (json.dumps(end) + "\n").encode()

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    return app
