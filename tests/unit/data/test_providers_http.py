"""The REST providers against real local HTTP servers answering in the providers' formats."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pandas as pd
import pytest
from pydantic import SecretStr
from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import (
    ProviderError,
    SymbolNotSupported,
    TimeframeNotSupported,
)
from tradingstack.data.providers.easyinsight import EasyInsightProvider
from tradingstack.data.providers.http import (
    HttpProviderConfig,
    RateLimited,
    parse_retry_after,
    redact_url,
)
from tradingstack.data.providers.twelvedata import TwelveDataProvider
from tradingstack.data.providers.yahoo import YahooProvider

from tests.unit.data.provider_servers import (
    EASYINSIGHT_KEY,
    TWELVEDATA_KEY,
    FakeMarket,
    Fault,
    free_port,
    serve,
)

PRICES = ["open", "high", "low", "close"]


@pytest.fixture(scope="module")
def market() -> Iterator[FakeMarket]:
    fake = FakeMarket()
    with serve(fake):
        yield fake


@pytest.fixture(autouse=True)
def _clean(market: FakeMarket) -> None:
    market.reset()


def tiny(url: str, key: str | None = None, **overrides: object) -> HttpProviderConfig:
    """Fast settings: millisecond backoff, small breaker."""
    config = HttpProviderConfig(
        base_url=url,
        api_key=SecretStr(key) if key else None,
        connect_timeout_seconds=1.0,
        read_timeout_seconds=2.0,
        retries=2,
        backoff_initial_seconds=0.01,
        backoff_max_seconds=0.05,
        backoff_jitter_seconds=0.01,
        retry_after_max_seconds=1.0,
        breaker_fail_max=3,
        breaker_reset_seconds=0.3,
    )
    return replace(config, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def twelvedata(market: FakeMarket) -> AsyncIterator[TwelveDataProvider]:
    provider = TwelveDataProvider(tiny(market.url, TWELVEDATA_KEY))
    yield provider
    await provider.aclose()


@pytest.fixture
async def yahoo(market: FakeMarket) -> AsyncIterator[YahooProvider]:
    provider = YahooProvider(tiny(market.url))
    yield provider
    await provider.aclose()


@pytest.fixture
async def easyinsight(market: FakeMarket) -> AsyncIterator[EasyInsightProvider]:
    provider = EasyInsightProvider(tiny(market.url, EASYINSIGHT_KEY))
    yield provider
    await provider.aclose()


def assert_bars_shape(bars: pd.DataFrame) -> None:
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert bars.index.name == "time"
    assert str(bars.index.tz) == "UTC"
    assert bars.index.is_monotonic_increasing and bars.index.is_unique
    assert (bars.dtypes == "float64").all()
    assert not bars[PRICES].isna().any().any()


def assert_same_bars(got: pd.DataFrame, want: pd.DataFrame, *, volume: bool = True) -> None:
    assert list(got.index) == list(want.index)
    columns = PRICES + (["volume"] if volume else [])
    for column in columns:
        assert got[column].to_numpy() == pytest.approx(want[column].to_numpy(), abs=1e-5)


# -- TwelveData -------------------------------------------------------------------------------


async def test_twelvedata_serves_bars_oldest_first_with_the_documented_query(
    market: FakeMarket, twelvedata: TwelveDataProvider
) -> None:
    result = await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=24)
    assert result.provider == "twelvedata" and result.timeframe is Timeframe.H1
    assert_bars_shape(result.bars)
    want = market.bars("1h").iloc[-24:]
    assert_same_bars(result.bars, want, volume=False)
    # Forex has no volume on TwelveData: the fake leaves it out on every other bar -> 0.
    assert (result.bars["volume"] == 0).sum() == 12
    (hit,) = market.hits
    assert hit.path == "/time_series"
    assert hit.params["symbol"] == "EUR/USD"
    assert hit.params["interval"] == "1h"
    assert hit.params["outputsize"] == "24"
    assert hit.params["timezone"] == "UTC"
    assert hit.params["format"] == "JSON"
    assert hit.params["apikey"] == TWELVEDATA_KEY


async def test_twelvedata_daily_range(market: FakeMarket, twelvedata: TwelveDataProvider) -> None:
    daily = market.bars("1D")
    start, end = daily.index[2], daily.index[6]
    result = await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.D1, start=start, end=end)
    assert_same_bars(result.bars, daily.loc[start:end], volume=False)
    assert (result.bars.index == result.bars.index.normalize()).all()
    (hit,) = market.hits
    assert hit.params["interval"] == "1day"
    assert hit.params["start_date"] == start.strftime("%Y-%m-%d %H:%M:%S")
    assert hit.params["end_date"] == end.strftime("%Y-%m-%d %H:%M:%S")


async def test_twelvedata_no_data_in_range_is_an_empty_answer(
    twelvedata: TwelveDataProvider,
) -> None:
    start = pd.Timestamp("2001-01-01", tz="UTC")
    result = await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.H1, start=start, end=start)
    assert result.bars.empty
    assert_bars_shape(result.bars)


async def test_twelvedata_error_with_http_200_bad_key_is_not_retried(market: FakeMarket) -> None:
    provider = TwelveDataProvider(tiny(market.url, "wrong-key-123"))
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=5)
    finally:
        await provider.aclose()
    assert not caught.value.retryable
    assert "code 401" in caught.value.reason
    assert market.count("twelvedata") == 1
    assert "wrong-key-123" not in str(caught.value)


async def test_twelvedata_unknown_symbol(
    market: FakeMarket, twelvedata: TwelveDataProvider
) -> None:
    with pytest.raises(SymbolNotSupported, match="FOO/BAR"):
        await twelvedata.fetch_ohlcv("FOO/BAR", Timeframe.H1, limit=5)
    assert market.count("twelvedata") == 1


async def test_twelvedata_rate_limit_in_body_is_retried(
    market: FakeMarket, twelvedata: TwelveDataProvider
) -> None:
    market.plan(
        "twelvedata",
        Fault(
            body={
                "code": 429,
                "message": "You have run out of API credits for the current minute. 9 API "
                "credits were used, with the current limit being 8.",
                "status": "error",
            }
        ),
    )
    result = await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=3)
    assert len(result.bars) == 3
    assert market.count("twelvedata") == 2


async def test_http_429_honours_retry_after_then_succeeds(
    market: FakeMarket, twelvedata: TwelveDataProvider
) -> None:
    market.plan(
        "twelvedata", Fault(status=429, text="Too Many Requests", headers={"Retry-After": "0.4"})
    )
    began = time.monotonic()
    result = await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=3)
    elapsed = time.monotonic() - began
    assert len(result.bars) == 3
    assert market.count("twelvedata") == 2
    assert elapsed >= 0.4  # the backoff alone would wait ~0.01 s


async def test_retry_after_beyond_the_bound_fails_at_once(
    market: FakeMarket, twelvedata: TwelveDataProvider
) -> None:
    market.plan("twelvedata", Fault(status=429, text="slow down", headers={"Retry-After": "120"}))
    began = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=3)
    assert time.monotonic() - began < 1.0
    assert caught.value.retry_after == 120
    assert market.count("twelvedata") == 1


async def test_500_then_success(market: FakeMarket, twelvedata: TwelveDataProvider) -> None:
    market.plan("twelvedata", Fault(status=500, text="Internal Server Error"), Fault(status=502))
    result = await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.M15, limit=4)
    assert_same_bars(result.bars, market.m15.iloc[-4:], volume=False)
    assert market.count("twelvedata") == 3


async def test_persistent_500_opens_the_breaker_then_half_open_trial_closes_it(
    market: FakeMarket, twelvedata: TwelveDataProvider
) -> None:
    retries = twelvedata.config.retries
    fail_max = twelvedata.config.breaker_fail_max
    market.plan("twelvedata", *[Fault(status=503) for _ in range(fail_max * (1 + retries))])
    for attempt in range(fail_max):
        with pytest.raises(ProviderError) as caught:
            await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=3)
        assert caught.value.retryable
        assert "HTTP 503" in caught.value.reason
        if attempt < fail_max - 1:
            assert twelvedata.breaker_state == "closed"
    assert "circuit breaker opened" in caught.value.reason
    assert twelvedata.breaker_state == "open"
    sent = market.count("twelvedata")
    assert sent == fail_max * (1 + retries)
    # Open: fails at once, without a request.
    with pytest.raises(ProviderError, match="circuit breaker open"):
        await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=3)
    assert market.count("twelvedata") == sent
    # After the reset time one trial goes through; it succeeds and closes the breaker.
    await asyncio.sleep(twelvedata.config.breaker_reset_seconds + 0.05)
    assert twelvedata.breaker_state == "half-open"
    result = await twelvedata.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=3)
    assert len(result.bars) == 3
    assert twelvedata.breaker_state == "closed"


async def test_client_errors_do_not_open_the_breaker(
    market: FakeMarket, twelvedata: TwelveDataProvider
) -> None:
    for _ in range(twelvedata.config.breaker_fail_max + 2):
        with pytest.raises(SymbolNotSupported):
            await twelvedata.fetch_ohlcv("NOPE/NOPE", Timeframe.H1, limit=3)
    assert twelvedata.breaker_state == "closed"
    assert market.count("twelvedata") == twelvedata.config.breaker_fail_max + 2


async def test_read_timeout_is_retried_then_reported(market: FakeMarket) -> None:
    provider = TwelveDataProvider(tiny(market.url, TWELVEDATA_KEY, read_timeout_seconds=0.15))
    market.plan("twelvedata", *[Fault(delay=0.6, passthrough=True) for _ in range(3)])
    began = time.monotonic()
    try:
        with pytest.raises(ProviderError, match="timed out") as caught:
            await provider.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=3)
    finally:
        await provider.aclose()
    assert caught.value.retryable
    assert market.count("twelvedata") == 3  # first try + 2 retries
    assert time.monotonic() - began < 2.0


async def test_timeout_then_success(market: FakeMarket) -> None:
    provider = TwelveDataProvider(tiny(market.url, TWELVEDATA_KEY, read_timeout_seconds=0.15))
    market.plan("twelvedata", Fault(delay=0.6, passthrough=True))
    try:
        result = await provider.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=2)
    finally:
        await provider.aclose()
    assert len(result.bars) == 2
    assert market.count("twelvedata") == 2


async def test_connection_refused_is_retryable() -> None:
    provider = TwelveDataProvider(tiny(f"http://127.0.0.1:{free_port()}", TWELVEDATA_KEY))
    try:
        with pytest.raises(ProviderError, match="connection failed") as caught:
            await provider.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=2)
    finally:
        await provider.aclose()
    assert caught.value.retryable
    assert provider.requests_sent == 3


async def test_api_key_never_in_logs_or_errors(
    market: FakeMarket, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = TwelveDataProvider(tiny(market.url, TWELVEDATA_KEY))
    ei = EasyInsightProvider(tiny(market.url, EASYINSIGHT_KEY))
    # Error messages that echo the key back, as some APIs do.
    echo = {"code": 403, "message": f"key {TWELVEDATA_KEY} lacks access", "status": "error"}
    market.plan("easyinsight", Fault(status=401, body={"detail": f"bad key {EASYINSIGHT_KEY}"}))
    errors: list[str] = []
    try:
        market.plan("twelvedata", Fault(status=500))
        await provider.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=2)  # 500, then retried: ok
        market.plan("twelvedata", Fault(body=echo))
        with pytest.raises(ProviderError) as caught:
            await provider.fetch_ohlcv("EUR/USD", Timeframe.H1, limit=2)
        errors.append(str(caught.value))
        with pytest.raises(ProviderError) as caught_ei:
            await ei.fetch_ohlcv("EURUSD", Timeframe.H1, limit=2)
        errors.append(str(caught_ei.value))
    finally:
        await provider.aclose()
        await ei.aclose()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    # httpx itself logs each request URL: proof that the URLs were logged, and masked.
    assert "apikey=***" in logged
    assert "attempt 1 failed" in logged
    for secret in (TWELVEDATA_KEY, EASYINSIGHT_KEY):
        assert secret not in logged
        assert all(secret not in e for e in errors)
    assert "***" in errors[0] and "***" in errors[1]


def test_redact_url_and_retry_after_parsing() -> None:
    url = "https://api.twelvedata.com/time_series?symbol=EUR/USD&apikey=abc123&interval=1h"
    assert redact_url(url) == (
        "https://api.twelvedata.com/time_series?symbol=EUR/USD&apikey=***&interval=1h"
    )
    assert redact_url("http://x/y?token=t0k&a=1") == "http://x/y?token=***&a=1"
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0
    date = "Tue, 14 Nov 2023 22:13:40 GMT"  # 20 s after `now`
    assert parse_retry_after(date, now=now) == pytest.approx(20.0)


# -- Yahoo -------------------------------------------------------------------------------------


async def test_yahoo_drops_null_bars_and_the_live_off_grid_bar(
    market: FakeMarket, yahoo: YahooProvider
) -> None:
    hourly = market.bars("1h")
    holes = {hourly.index[-3], hourly.index[-7]}
    market.yahoo_null_times = holes
    market.yahoo_live_bar = True
    result = await yahoo.fetch_ohlcv("EURUSD=X", Timeframe.H1, limit=10)
    assert result.provider == "yahoo"
    assert_bars_shape(result.bars)
    want = hourly.iloc[-12:].drop(index=list(holes))
    assert_same_bars(result.bars, want)
    (hit,) = market.hits
    assert hit.path == "/v8/finance/chart/EURUSD=X"
    assert hit.params["interval"] == "60m"
    assert int(hit.params["period1"]) < int(hit.params["period2"])


async def test_yahoo_daily_bars_are_labelled_with_the_exchange_date(
    market: FakeMarket, yahoo: YahooProvider
) -> None:
    result = await yahoo.fetch_ohlcv("EURUSD=X", Timeframe.D1, limit=5)
    assert_same_bars(result.bars, market.bars("1D").iloc[-5:])
    assert market.hits[0].params["interval"] == "1d"


async def test_yahoo_range(market: FakeMarket, yahoo: YahooProvider) -> None:
    m15 = market.m15
    start, end = m15.index[-40], m15.index[-20]
    result = await yahoo.fetch_ohlcv("EURUSD=X", Timeframe.M15, start=start, end=end)
    assert_same_bars(result.bars, m15.loc[start:end])
    assert int(market.hits[0].params["period1"]) == int(start.timestamp())


async def test_yahoo_404_error_object_is_unknown_symbol(
    market: FakeMarket, yahoo: YahooProvider
) -> None:
    with pytest.raises(SymbolNotSupported, match="No data found, symbol may be delisted"):
        await yahoo.fetch_ohlcv("NOPE=X", Timeframe.H1, limit=5)
    assert market.count("yahoo") == 1


async def test_yahoo_has_no_4h_bars(market: FakeMarket, yahoo: YahooProvider) -> None:
    with pytest.raises(TimeframeNotSupported):
        await yahoo.fetch_ohlcv("EURUSD=X", Timeframe.H4, limit=5)
    assert market.count("yahoo") == 0


async def test_yahoo_plain_text_429_then_success(market: FakeMarket, yahoo: YahooProvider) -> None:
    market.plan("yahoo", Fault(status=429, text="Too Many Requests"))
    m15 = market.m15
    result = await yahoo.fetch_ohlcv("EURUSD=X", Timeframe.M15, start=m15.index[-6])
    assert_same_bars(result.bars, m15.iloc[-6:])
    assert market.count("yahoo") == 2


async def test_yahoo_bad_request_error_object(market: FakeMarket, yahoo: YahooProvider) -> None:
    market.plan(
        "yahoo",
        Fault(
            status=400,
            body={
                "chart": {
                    "result": None,
                    "error": {"code": "Bad Request", "description": "Invalid input - period"},
                }
            },
        ),
    )
    with pytest.raises(ProviderError, match="Bad Request: Invalid input") as caught:
        await yahoo.fetch_ohlcv("EURUSD=X", Timeframe.H1, limit=5)
    assert not caught.value.retryable
    assert market.count("yahoo") == 1


# -- EasyInsight -------------------------------------------------------------------------------


async def test_easyinsight_success_sends_key_header(
    market: FakeMarket, easyinsight: EasyInsightProvider
) -> None:
    result = await easyinsight.fetch_ohlcv("EURUSD", Timeframe.H4, limit=6)
    assert result.provider == "easyinsight"
    assert_same_bars(result.bars, market.bars("4h").iloc[-6:])
    (hit,) = market.hits
    assert hit.path == "/api/v1/ohlcv/EURUSD"
    assert hit.params == {"timeframe": "H4", "limit": "6"}
    assert hit.headers["x-api-key"] == EASYINSIGHT_KEY


async def test_easyinsight_errors(market: FakeMarket, easyinsight: EasyInsightProvider) -> None:
    with pytest.raises(SymbolNotSupported, match="Unknown symbol"):
        await easyinsight.fetch_ohlcv("XXXYYY", Timeframe.H1, limit=5)
    market.easyinsight_timeframes = {"M15"}
    with pytest.raises(TimeframeNotSupported, match="timeframe H1"):
        await easyinsight.fetch_ohlcv("EURUSD", Timeframe.H1, limit=5)
    market.plan("easyinsight", Fault(status=403, body={"detail": "Not allowed"}))
    with pytest.raises(ProviderError, match="HTTP 403: Not allowed") as caught:
        await easyinsight.fetch_ohlcv("EURUSD", Timeframe.M15, limit=5)
    assert not caught.value.retryable
    assert market.count("easyinsight") == 3


async def test_easyinsight_unavailable_then_success(
    market: FakeMarket, easyinsight: EasyInsightProvider
) -> None:
    market.plan(
        "easyinsight",
        Fault(status=503, body={"detail": "maintenance"}, headers={"Retry-After": "0"}),
    )
    result = await easyinsight.fetch_ohlcv(
        "EURUSD", Timeframe.M15, start=market.m15.index[-8], end=market.m15.index[-1]
    )
    assert_same_bars(result.bars, market.m15.iloc[-8:])
    assert market.count("easyinsight") == 2
    assert market.hits[-1].params["start"] == market.m15.index[-8].strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_easyinsight_without_key_is_refused(market: FakeMarket) -> None:
    provider = EasyInsightProvider(tiny(market.url))
    try:
        with pytest.raises(ProviderError, match="HTTP 401"):
            await provider.fetch_ohlcv("EURUSD", Timeframe.H1, limit=5)
    finally:
        await provider.aclose()
    assert "x-api-key" not in market.hits[0].headers
