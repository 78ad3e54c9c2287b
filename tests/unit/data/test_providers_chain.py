"""The fallback chain, resampling, and the settings that build it (real local HTTP servers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from pydantic import SecretStr, ValidationError
from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import SymbolNotSupported, TimeframeNotSupported
from tradingstack.data.providers.chain import AllProvidersFailed, ProviderChain
from tradingstack.data.providers.easyinsight import EasyInsightProvider
from tradingstack.data.providers.embedded import EmbeddedProvider
from tradingstack.data.providers.resample import resample_ohlcv
from tradingstack.data.providers.settings import ProviderSettings, build_chain
from tradingstack.data.providers.twelvedata import TwelveDataProvider
from tradingstack.data.providers.yahoo import YahooProvider

from tests.unit.data.provider_servers import (
    EASYINSIGHT_KEY,
    TWELVEDATA_KEY,
    FakeMarket,
    Fault,
    aggregate,
    serve,
)

MAPPINGS = {"twelvedata": "EUR/USD", "yahoo": "EURUSD=X", "easyinsight": "EURUSD"}
PRICES = ["open", "high", "low", "close", "volume"]


@pytest.fixture(scope="module")
def market() -> Iterator[FakeMarket]:
    fake = FakeMarket()
    with serve(fake):
        yield fake


@pytest.fixture(autouse=True)
def _clean(market: FakeMarket) -> None:
    market.reset()


def fast_settings(url: str, **overrides: object) -> ProviderSettings:
    values: dict[str, object] = {
        "provider_order": "twelvedata,yahoo,easyinsight,embedded",
        "twelvedata_api_key": SecretStr(TWELVEDATA_KEY),
        "twelvedata_url": url,
        "yahoo_url": url,
        "easyinsight_url": url,
        "easyinsight_api_key": SecretStr(EASYINSIGHT_KEY),
        "provider_connect_timeout_seconds": 1.0,
        "provider_read_timeout_seconds": 2.0,
        "provider_retries": 1,
        "provider_backoff_initial_seconds": 0.01,
        "provider_backoff_max_seconds": 0.02,
        "provider_backoff_jitter_seconds": 0.01,
        "provider_retry_after_max_seconds": 0.5,
        "provider_breaker_fail_max": 2,
        "provider_breaker_reset_seconds": 30,
    }
    values.update(overrides)
    return ProviderSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def chain(market: FakeMarket) -> AsyncIterator[ProviderChain]:
    the_chain = build_chain(fast_settings(market.url))
    async with the_chain:
        yield the_chain


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.index) == list(want.index)
    for column in PRICES:
        assert got[column].to_numpy() == pytest.approx(want[column].to_numpy(), rel=1e-9)


async def test_first_provider_answers_with_its_own_spelling(
    market: FakeMarket, chain: ProviderChain
) -> None:
    result = await chain.fetch_ohlcv("EURUSD", MAPPINGS, None, Timeframe.H1, limit=5)
    assert result.provider == "twelvedata"
    assert result.symbol == "EURUSD"
    assert result.resampled_from is None
    assert len(result.bars) == 5
    assert market.hits[0].params["symbol"] == "EUR/USD"
    assert result.fetched_at <= datetime.now(UTC)


async def test_falls_back_from_a_failing_provider_to_the_next(
    market: FakeMarket, chain: ProviderChain
) -> None:
    market.plan("twelvedata", Fault(status=500), Fault(status=500))  # first try + 1 retry
    result = await chain.fetch_ohlcv("EURUSD", MAPPINGS, None, Timeframe.H1, limit=5)
    assert result.provider == "yahoo"
    assert_same(result.bars, market.bars("1h").iloc[-5:])
    assert market.count("twelvedata") == 2
    assert market.hits[-1].path == "/v8/finance/chart/EURUSD=X"
    status = {s["name"]: s for s in chain.status()}
    assert "HTTP 500" in status["twelvedata"]["last_error"]
    assert status["twelvedata"]["state"] == "closed"
    assert status["yahoo"]["last_success_at"] is not None
    assert status["embedded"]["state"] is None


async def test_per_symbol_order_and_unknown_symbol_fall_through(
    market: FakeMarket, chain: ProviderChain
) -> None:
    # EasyInsight first for this symbol; it does not know the spelling -> Yahoo.
    mappings = {**MAPPINGS, "easyinsight": "NOT-THERE"}
    result = await chain.fetch_ohlcv(
        "EURUSD", mappings, ["easyinsight", "yahoo"], Timeframe.D1, limit=3
    )
    assert result.provider == "yahoo"
    assert [h.route for h in market.hits] == ["easyinsight", "yahoo"]
    # An unknown symbol is not a provider failure.
    assert {s["name"]: s for s in chain.status()}["easyinsight"]["last_error"] is None


async def test_all_providers_failing_lists_every_reason(
    market: FakeMarket, chain: ProviderChain
) -> None:
    market.plan("twelvedata", Fault(status=503), Fault(status=503))
    market.plan("yahoo", Fault(status=404, body={"chart": {"result": None, "error": None}}))
    market.plan("easyinsight", Fault(status=401, body={"detail": "Invalid API key"}))
    with pytest.raises(AllProvidersFailed) as caught:
        await chain.fetch_ohlcv(
            "EURUSD",
            MAPPINGS,
            ["twelvedata", "yahoo", "easyinsight", "nowhere", "embedded"],
            Timeframe.H1,
            limit=5,
        )
    errors = caught.value.errors
    assert [e.provider for e in errors] == [
        "twelvedata",
        "yahoo",
        "easyinsight",
        "nowhere",
        "embedded",
    ]
    assert "HTTP 503" in errors[0].reason and errors[0].retryable
    assert isinstance(errors[1], SymbolNotSupported)
    assert "HTTP 401" in errors[2].reason
    assert "not configured" in errors[3].reason
    assert isinstance(errors[4], SymbolNotSupported)  # the embedded data has no EURUSD
    assert caught.value.reasons[0]["provider"] == "twelvedata"
    for secret in (TWELVEDATA_KEY, EASYINSIGHT_KEY):
        assert secret not in str(caught.value)


async def test_breaker_open_provider_is_skipped_without_requests(
    market: FakeMarket, chain: ProviderChain
) -> None:
    market.plan("twelvedata", *[Fault(status=500) for _ in range(4)])
    for _ in range(2):  # breaker_fail_max = 2 failed fetches
        result = await chain.fetch_ohlcv("EURUSD", MAPPINGS, None, Timeframe.M15, limit=2)
        assert result.provider == "yahoo"
        assert_same(result.bars, market.m15.iloc[-2:])
    assert {s["name"]: s for s in chain.status()}["twelvedata"]["state"] == "open"
    sent = market.count("twelvedata")
    result = await chain.fetch_ohlcv("EURUSD", MAPPINGS, None, Timeframe.M15, limit=2)
    assert result.provider == "yahoo"
    assert market.count("twelvedata") == sent


async def test_h4_resampled_from_yahoo_h1(market: FakeMarket, chain: ProviderChain) -> None:
    result = await chain.fetch_ohlcv("EURUSD", MAPPINGS, ["yahoo"], Timeframe.H4, limit=6)
    assert result.provider == "yahoo"
    assert result.timeframe is Timeframe.H4
    assert result.resampled_from is Timeframe.H1
    assert_same(result.bars, aggregate(market.m15, "4h").iloc[-6:])
    assert market.hits[0].params["interval"] == "60m"


async def test_h4_resampled_from_m15_when_h1_is_missing_too(
    market: FakeMarket, chain: ProviderChain
) -> None:
    market.easyinsight_timeframes = {"M15"}
    m15 = market.m15
    start, end = m15.index[-96 * 3], m15.index[-1]  # the last three days
    result = await chain.fetch_ohlcv(
        "EURUSD", MAPPINGS, ["easyinsight"], Timeframe.H4, start=start, end=end
    )
    assert result.resampled_from is Timeframe.M15
    want = aggregate(m15, "4h").loc[start:end]
    assert len(want) == 18
    assert_same(result.bars, want)
    asked = [h.params["timeframe"] for h in market.hits]
    assert asked == ["H4", "H1", "M15"]


async def test_d1_resampled_from_m15_drops_the_partial_edge_days() -> None:
    class NoDaily(EmbeddedProvider):
        """A provider that truly lacks D1 (real embedded data, M15 only)."""

        async def fetch_ohlcv(self, symbol, timeframe, **kwargs):  # type: ignore[no-untyped-def]
            if timeframe is Timeframe.D1:
                raise TimeframeNotSupported(self.name, "no daily bars")
            return await super().fetch_ohlcv(symbol, timeframe, **kwargs)

    only_fine = ProviderChain({"embedded": NoDaily()})
    result = await only_fine.fetch_ohlcv("BTCUSD", {}, None, Timeframe.D1)
    m15 = (await EmbeddedProvider().fetch_ohlcv("BTCUSD", Timeframe.M15)).bars
    daily = aggregate(m15, "1D")
    counts = m15.groupby(m15.index.floor("1D")).size()
    # The file starts 2021-09-27 13:45 and ends 2021-12-29 13:45: both edge days are partial.
    assert counts.iloc[0] < 96 and counts.iloc[-1] < 96
    assert result.resampled_from is Timeframe.M15
    assert_same(result.bars, daily.iloc[1:-1])


async def test_no_finer_timeframe_anywhere(chain: ProviderChain) -> None:
    with pytest.raises(AllProvidersFailed) as caught:
        await chain.fetch_ohlcv("NVDA", {}, ["embedded"], Timeframe.H4, limit=5)
    (error,) = caught.value.errors
    assert isinstance(error, TimeframeNotSupported)
    assert "tried H1, M15, M5" in error.reason


async def test_embedded_btcusd_h1_through_the_chain_matches_a_plain_groupby() -> None:
    chain = build_chain(ProviderSettings())
    async with chain:
        result = await chain.fetch_ohlcv("BTCUSD", {}, None, Timeframe.H1, limit=100)
        assert result.provider == "embedded"
        assert result.resampled_from is Timeframe.M15
        assert len(result.bars) == 100
        m15 = (await chain.providers["embedded"].fetch_ohlcv("BTCUSD", Timeframe.M15)).bars
    want = aggregate(m15, "1h")
    counts = m15.groupby(m15.index.floor("1h")).size()
    want = want[counts == 4].iloc[-100:]  # the file's last hour (13:00) is complete
    assert_same(result.bars, want)


def test_resample_edges_gaps_and_forming_bucket() -> None:
    index = pd.date_range("2024-01-01 02:00", periods=12, freq="1h", tz="UTC")  # 02:00..13:00
    bars = pd.DataFrame(
        {
            "open": range(12),
            "high": [x + 2 for x in range(12)],
            "low": [x - 1 for x in range(12)],
            "close": [x + 1 for x in range(12)],
            "volume": [1.0] * 12,
        },
        index=pd.DatetimeIndex(index, name="time"),
        dtype="float64",
    )
    bars = bars.drop(index=bars.index[4])  # a gap at 06:00
    # H4 buckets: 00 (02, 03: starts late), 04 (04, 05, 07: a gap inside, kept),
    # 08 (08..11: complete), 12 (12, 13: stops early).
    out = resample_ohlcv(bars, Timeframe.H1, Timeframe.H4)
    assert list(out.index) == [
        pd.Timestamp("2024-01-01 04:00", tz="UTC"),
        pd.Timestamp("2024-01-01 08:00", tz="UTC"),
    ]
    assert out.iloc[1].to_dict() == {
        "open": 6.0,
        "high": 11.0,
        "low": 5.0,
        "close": 10.0,
        "volume": 4.0,
    }
    assert out.iloc[0].to_dict() == {
        "open": 2.0,
        "high": 7.0,
        "low": 1.0,
        "close": 6.0,
        "volume": 3.0,
    }
    kept = resample_ohlcv(bars, Timeframe.H1, Timeframe.H4, drop_incomplete=False)
    assert len(kept) == 4
    # A bucket that has not ended yet is dropped even when it holds every bar so far.
    now = datetime(2024, 1, 1, 11, 30, tzinfo=UTC)
    assert list(
        resample_ohlcv(bars.loc[:"2024-01-01 11:00"], Timeframe.H1, Timeframe.H4, now=now).index
    ) == [pd.Timestamp("2024-01-01 04:00", tz="UTC")]
    daily = resample_ohlcv(bars, Timeframe.H1, Timeframe.D1, drop_incomplete=False)
    assert list(daily.index) == [pd.Timestamp("2024-01-01", tz="UTC")]


def test_settings_from_environment_and_secret_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TS_DATA_PROVIDER_ORDER", "Yahoo, twelvedata ,embedded")
    monkeypatch.setenv("TS_DATA_YAHOO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TS_DATA_PROVIDER_RETRIES", "0")
    (tmp_path / "TS_DATA_TWELVEDATA_API_KEY").write_text("from-a-mounted-secret\n")
    settings = ProviderSettings(_secrets_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.order() == ["yahoo", "twelvedata", "embedded"]
    assert settings.twelvedata_api_key is not None
    assert settings.twelvedata_api_key.get_secret_value() == "from-a-mounted-secret"
    assert "from-a-mounted-secret" not in repr(settings)
    assert settings.provider_retries == 0
    chain = build_chain(settings)
    assert set(chain.providers) == {"embedded", "yahoo", "twelvedata"}
    assert chain.default_order == ["yahoo", "twelvedata", "embedded"]
    with pytest.raises(ValidationError, match="unknown provider"):
        ProviderSettings(provider_order="embedded,bloomberg")


async def test_default_settings_build_only_the_embedded_provider() -> None:
    chain = build_chain(ProviderSettings())
    async with chain:
        assert list(chain.providers) == ["embedded"]
        assert chain.default_order == ["embedded"]
    # A name in the order without configuration is reported when reached.
    lonely = build_chain(ProviderSettings(provider_order="twelvedata"))
    async with lonely:
        assert "twelvedata" not in lonely.providers
        with pytest.raises(AllProvidersFailed, match="not configured"):
            await lonely.fetch_ohlcv("EURUSD", MAPPINGS, None, Timeframe.H1, limit=5)


async def test_each_http_provider_type_is_built(market: FakeMarket) -> None:
    chain = build_chain(fast_settings(market.url))
    async with chain:
        assert isinstance(chain.providers["twelvedata"], TwelveDataProvider)
        assert isinstance(chain.providers["yahoo"], YahooProvider)
        assert isinstance(chain.providers["easyinsight"], EasyInsightProvider)
        assert isinstance(chain.providers["embedded"], EmbeddedProvider)
        td = chain.providers["twelvedata"]
        assert isinstance(td, TwelveDataProvider)
        assert td.config.retries == 1
        assert td.config.breaker_fail_max == 2
