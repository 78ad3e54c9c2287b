"""Values from requests go into other services' URLs as one quoted path segment.

A symbol from a request body (hmm /score, tcn /scan, llm /analyze, the embedder) used to go
into the data service's URL as it came: `../symbols/BTCUSD` made hmm call data's
`/api/v1/symbols/BTCUSD`, and a control character made httpx raise (a 500).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from tradingstack.core.data_client import DataClient, UnknownSymbolError
from tradingstack.core.http import segment
from tradingstack.core.schemas import OHLCV, Bar
from tradingstack.core.timeframes import Timeframe
from tradingstack.llm.analyze import Gatherer, UnknownSymbol
from tradingstack.llm.settings import LlmSettings

HOSTILE = ["../symbols/BTCUSD", "X/../../strategies", "..", ".", "a?b#c", "50%", "\x07\x00"]


@pytest.mark.parametrize("value", [*HOSTILE, "BTCUSD", "BRK.B", "^GSPC"])
def test_a_segment_is_one_segment_that_decodes_to_the_value(value: str) -> None:
    quoted = segment(value)
    assert "/" not in quoted and "?" not in quoted and "#" not in quoted
    assert quoted not in (".", "..")
    assert all(0x20 < ord(ch) < 0x7F for ch in quoted)
    url = httpx.URL(f"http://data:8001/api/v1/ohlcv/{quoted}")
    assert url.path == f"/api/v1/ohlcv/{value}"  # decoded once, the value itself
    assert url.raw_path.startswith(b"/api/v1/ohlcv/")  # no dot segment resolved away


def _recording(bars_for: str | None = None) -> tuple[list[bytes], httpx.MockTransport]:
    """A transport that records each path; 404 for all, except the data service's bars of
    `bars_for` (the analyst asks for the bars first and the other inputs only when there are
    some)."""
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.split(b"?")[0])
        if bars_for is not None and request.url.path == f"/api/v1/ohlcv/{bars_for}":
            bar = Bar(time=datetime(2024, 1, 2, tzinfo=UTC), open=1, high=2, low=0.5, close=1.5,
                      volume=1)  # fmt: skip
            ohlcv = OHLCV(symbol=bars_for, timeframe=Timeframe.H1, provider="embedded",
                          fetched_at=datetime.now(UTC), age_seconds=0, stale=False,
                          bars=[bar])  # fmt: skip
            return httpx.Response(200, content=ohlcv.model_dump_json())
        return httpx.Response(404, json={"detail": "unknown symbol"})

    return seen, httpx.MockTransport(answer)


@pytest.mark.parametrize("symbol", HOSTILE)
def test_the_data_client_keeps_a_symbol_inside_its_segment(symbol: str) -> None:
    seen, transport = _recording()

    async def calls() -> None:
        async with DataClient("http://data:8001", transport=transport, attempts=1) as data:
            for call in (data.ohlcv, data.indicators):
                with pytest.raises(UnknownSymbolError):
                    await call(symbol, Timeframe.H1)

    asyncio.run(calls())
    expected = segment(symbol).encode()
    assert seen == [b"/api/v1/ohlcv/" + expected, b"/api/v1/indicators/" + expected]


def test_the_analyst_keeps_a_symbol_inside_its_segment() -> None:
    symbol = "../symbols/BTCUSD"
    seen, transport = _recording(bars_for=symbol)
    settings = LlmSettings(
        nhits_url="http://nhits", tcn_url="http://tcn", hmm_url="http://hmm", rag_url="http://rag"
    )

    async def gather() -> None:
        async with httpx.AsyncClient(transport=transport) as http:
            gatherer = Gatherer(settings, DataClient("http://data", transport=transport), http)
            # the bars first, then every other input at once; the indicators' 404 then ends it
            with pytest.raises(UnknownSymbol):
                await gatherer.gather(symbol, Timeframe.H1, "q")

    asyncio.run(gather())
    quoted = segment(symbol).encode()
    for route in (b"/api/v1/ohlcv/", b"/api/v1/forecast/", b"/api/v1/detect/", b"/api/v1/regime/"):
        assert route + quoted in seen, seen
    assert not any(path.startswith(b"/api/v1/symbols") for path in seen), seen
