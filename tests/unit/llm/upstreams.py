"""Local HTTP servers for the LLM tests.

- nhits, tcn and hmm answer in their services' API shapes (issue 6; the NHITS forecast shape as
  in tradingstack.nhits.service). They stand in for the real services, which need trained
  models (minutes of training) before they answer a forecast, a detection or a regime; their
  numbers are derived from the real bars of the data service.
- An Ollama server implementing the parts of the Ollama API the `ollama` client uses:
  /api/chat (streaming NDJSON and not), /api/tags, /api/version, and its errors (404 for a
  model that is not pulled). Its "model" answers from a script when one is queued, else echoes.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


async def _last_close(data_url: str, symbol: str, timeframe: str) -> tuple[float, str] | None:
    async with httpx.AsyncClient(base_url=data_url, timeout=10) as c:
        r = await c.get(f"/api/v1/ohlcv/{symbol}", params={"timeframe": timeframe, "limit": 1})
        if r.status_code != 200:
            return None
        bar = r.json()["bars"][-1]
        return float(bar["close"]), str(bar["time"])


def _unknown(symbol: str) -> JSONResponse:
    return JSONResponse({"status": 404, "detail": f"unknown symbol {symbol}"}, status_code=404)


def create_nhits(data_url: str) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/forecast/{symbol}")
    async def forecast(symbol: str, timeframe: str = "H1", horizon: int = 24) -> Any:
        last = await _last_close(data_url, symbol, timeframe)
        if last is None:
            return _unknown(symbol)
        close, time = last
        t0 = datetime.fromisoformat(time)
        median = [close * (1 + 0.0005 * (i + 1)) for i in range(horizon)]
        return {
            "symbol": symbol,
            "timeframe": timeframe,
            "horizon": horizon,
            "target": "close",
            "last_bar": {"time": time, "close": close},
            "timestamps": [(t0 + timedelta(hours=i + 1)).isoformat() for i in range(horizon)],
            "median": median,
            "intervals": [
                {
                    "level": 80,
                    "lower": [m * 0.99 for m in median],
                    "upper": [m * 1.01 for m in median],
                },
                {
                    "level": 95,
                    "lower": [m * 0.98 for m in median],
                    "upper": [m * 1.02 for m in median],
                },
            ],
            "model": {"version": 1, "trained_at": "2026-01-01T00:00:00Z", "beats_naive": True},
        }

    return app


def create_tcn(data_url: str) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/detect/{symbol}")
    async def detect(symbol: str, timeframe: str = "H1") -> Any:
        last = await _last_close(data_url, symbol, timeframe)
        if last is None:
            return _unknown(symbol)
        return {
            "symbol": symbol,
            "timeframe": timeframe,
            "patterns": [
                {
                    "type": "ascending_triangle",
                    "direction": "bullish",
                    "confidence": 0.72,
                    "start": "2021-12-20T00:00:00Z",
                    "end": last[1],
                },
            ],
        }

    return app


def create_hmm(data_url: str, delay: float = 0.0) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/regime/{symbol}")
    async def regime(symbol: str, timeframe: str = "H1") -> Any:
        await asyncio.sleep(delay)
        if await _last_close(data_url, symbol, timeframe) is None:
            return _unknown(symbol)
        return {
            "symbol": symbol,
            "timeframe": timeframe,
            "current": "bull",
            "probabilities": {"bull": 0.62, "bear": 0.08, "sideways": 0.22, "volatile": 0.08},
            "transition_matrix": [[0.9, 0.05, 0.03, 0.02]] * 4,
            "expected_duration": {"bull": 20.0, "bear": 12.0, "sideways": 15.0, "volatile": 5.0},
        }

    @app.post("/api/v1/score")
    async def score(body: dict[str, Any]) -> Any:
        await asyncio.sleep(delay)
        if body.get("direction") not in ("long", "short"):
            return JSONResponse({"detail": "direction must be long or short"}, status_code=422)
        return {
            **body,
            "score": 64.0 if body["direction"] == "long" else 31.0,
            "top_features": [{"name": "rsi_14", "contribution": 0.12}],
        }

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
        if not body.get("stream", True):
            return {
                "model": model,
                "created_at": _now(),
                "done": True,
                "done_reason": "stop",
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
                "done_reason": "stop",
                "message": {"role": "assistant", "content": ""},
                "eval_count": 1,
            }
            yield (json.dumps(end) + "\n").encode()

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    return app
