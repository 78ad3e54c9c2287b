"""Resampling finer bars into coarser ones (e.g. H1 -> H4, M15 -> D1).

Buckets are `Timeframe.pandas_rule` wide, aligned to the Unix epoch (so H4 buckets start at
00:00, 04:00, ... UTC and D1 buckets at midnight UTC), closed and labelled on the left (a bar's
time is its open time). Aggregation: open first, high max, low min, close last, volume sum.
Buckets without any source bar (weekends, market closures) are left out.

Incomplete edge buckets are dropped when we can tell: a bucket at either end of the frame is
dropped when it holds fewer source bars than the frame's median bucket (data that starts or stops
mid-bucket), and the trailing bucket is dropped while it has not ended yet (still forming).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from tradingstack.core.timeframes import Timeframe
from tradingstack.data.providers.frames import empty_bars, to_utc

_AGGREGATION = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def bucket_start(value: datetime | pd.Timestamp, timeframe: Timeframe) -> pd.Timestamp:
    """The open time of the `timeframe` bucket holding `value` (epoch-aligned, UTC)."""
    return to_utc(value).floor(timeframe.pandas_rule)


def ratio(source: Timeframe, target: Timeframe) -> int:
    """How many `source` bars make one `target` bar."""
    if target.delta <= source.delta or target.delta % source.delta:
        raise ValueError(f"cannot resample {source} bars into {target}")
    return target.delta // source.delta


def resample_ohlcv(
    bars: pd.DataFrame,
    source: Timeframe,
    target: Timeframe,
    *,
    drop_incomplete: bool = True,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Aggregate a bar frame of `source` bars into `target` bars (see the module docstring)."""
    ratio(source, target)  # validates the pair
    if bars.empty:
        return empty_bars()
    # Day buckets of a UTC index start at midnight UTC anyway ("start_day"); pandas ignores (and
    # warns about) origin="epoch" for them.
    origin = "start_day" if target is Timeframe.D1 else "epoch"
    bars = bars.tz_convert(UTC)
    resampler = bars.resample(target.pandas_rule, label="left", closed="left", origin=origin)
    out = resampler.agg(_AGGREGATION)
    counts = resampler["close"].count()
    keep = counts > 0
    out = out[keep]
    counts = counts[keep]
    if drop_incomplete and not out.empty:
        typical = float(counts.median())
        drop = pd.Series(False, index=out.index)
        if len(out) > 1:
            drop.iloc[0] = counts.iloc[0] < typical
            drop.iloc[-1] = counts.iloc[-1] < typical
        current = to_utc(now or datetime.now(UTC))
        if out.index[-1] + target.delta > current:
            drop.iloc[-1] = True
        out = out[~drop.to_numpy()]
    out = out.astype("float64")
    out.index.name = "time"
    return out
