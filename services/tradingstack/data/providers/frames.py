"""Helpers that build and slice bar frames in the shape `ProviderResult.bars` promises.

A bar frame is indexed by a tz-aware UTC `DatetimeIndex` named "time" (bar open time), sorted
ascending, unique, with float columns open, high, low, close, volume and no NaN prices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from tradingstack.data.providers.base import OHLCV_COLUMNS

PRICE_COLUMNS = ("open", "high", "low", "close")


def empty_bars() -> pd.DataFrame:
    """A bar frame with no rows."""
    index = pd.DatetimeIndex([], tz=UTC, name="time")
    return pd.DataFrame({c: pd.Series([], dtype="float64") for c in OHLCV_COLUMNS}, index=index)


def to_utc(value: datetime | pd.Timestamp) -> pd.Timestamp:
    """A UTC `Timestamp`; naive values are taken to be UTC already."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        return ts.tz_localize(UTC)
    return ts.tz_convert(UTC)


def normalize_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce a frame with a datetime-like index and OHLCV columns into a bar frame.

    Prices that do not parse become NaN and those rows are dropped; a missing or unparsable
    volume becomes 0 (forex feeds have none). Duplicate times keep the last row.
    """
    if frame.empty:
        return empty_bars()
    out = pd.DataFrame(index=frame.index)
    for column in OHLCV_COLUMNS:
        if column in frame.columns:
            out[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        else:
            out[column] = np.nan
    out["volume"] = out["volume"].fillna(0.0)
    index = pd.DatetimeIndex(pd.to_datetime(out.index, utc=True), name="time")
    out.index = index
    out = out.dropna(subset=list(PRICE_COLUMNS))
    out = out[~out.index.isna()]
    out = out[~out.index.duplicated(keep="last")].sort_index()
    return out


def bars_from_records(
    records: Iterable[Mapping[str, Any]], time_keys: tuple[str, ...] = ("time",)
) -> pd.DataFrame:
    """A bar frame from dict rows; the bar time is the first present key of `time_keys`."""
    times: list[Any] = []
    rows: list[dict[str, Any]] = []
    for record in records:
        stamp = next((record[k] for k in time_keys if record.get(k) not in (None, "")), None)
        if stamp is None:
            continue
        times.append(stamp)
        rows.append({c: record.get(c) for c in OHLCV_COLUMNS})
    if not rows:
        return empty_bars()
    index = pd.to_datetime(pd.Series(times), utc=True, errors="coerce")
    return normalize_bars(pd.DataFrame(rows, index=pd.DatetimeIndex(index)))


def select_window(
    bars: pd.DataFrame,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Bars with `start <= time <= end` (both inclusive), then the newest `limit` of them."""
    out = bars
    if start is not None:
        out = out[out.index >= to_utc(start)]
    if end is not None:
        out = out[out.index <= to_utc(end)]
    if limit is not None:
        out = out.iloc[-limit:] if limit > 0 else out.iloc[0:0]
    return out
