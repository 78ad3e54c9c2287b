"""CSV import of OHLCV bars: users bring their own data.

The header names the columns; common spellings are accepted (`Date`, `Datetime`, `timestamp`,
`Open`, `o`, `Vol.` ...). Every row is checked; any bad row rejects the whole file, and the
error lists the bad rows by their line number in the file (a quoted field may span lines).
Prices must be positive and below MAX_PRICE, volumes below MAX_VOLUME, and times from 1900 to
a day from now. Nothing is written on error.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradingstack.core.errors import InvalidRequest
from tradingstack.core.schemas import EARLIEST
from tradingstack.core.timeframes import Timeframe

ALIASES: dict[str, tuple[str, ...]] = {
    "time": (
        "time",
        "date",
        "datetime",
        "timestamp",
        "date_time",
        "open_time",
        "opentime",
        "ts",
        "t",
    ),
    "open": ("open", "o", "open_price", "opening_price"),
    "high": ("high", "h", "high_price", "max"),
    "low": ("low", "l", "low_price", "min"),
    "close": ("close", "c", "close_price", "last", "price"),
    "volume": ("volume", "vol", "v", "vol.", "volume_traded", "tick_volume", "tickvol"),
}
if TYPE_CHECKING:
    from _csv import Reader

MAX_REPORTED = 20
# Beyond any quote in any currency (Berkshire A is ~7e5 USD; rupiah quotes ~1e8): a unit slip.
MAX_PRICE = 1e12
MAX_VOLUME = 1e18


class CsvImportError(InvalidRequest, ValueError):
    """The CSV cannot be imported; `errors` lists the bad rows (the problem's `errors`)."""

    def __init__(self, message: str, errors: list[dict[str, object]] | None = None) -> None:
        super().__init__(message, title="Invalid CSV", errors=errors or [])
        self.errors = errors or []


@dataclass
class ParsedCsv:
    bars: pd.DataFrame
    warnings: list[str]


def _norm(name: str) -> str:
    return name.strip().strip('"').strip().lower().replace(" ", "_").replace("-", "_")


def _map_header(header: list[str]) -> dict[str, int]:
    normalized = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for field, aliases in ALIASES.items():
        for alias in aliases:
            if alias in normalized:
                found[field] = normalized.index(alias)
                break
    missing = [f for f in ("time", "open", "high", "low", "close") if f not in found]
    if missing:
        raise CsvImportError(
            f"the header lacks {', '.join(missing)}; it must name time, open, high, low, close "
            f"(and optionally volume); got: {', '.join(h.strip() for h in header) or '(empty)'}"
        )
    return found


def _parse_times(raw: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(raw, errors="coerce")
    if numeric.notna().all():
        unit = "ms" if numeric.abs().max() > 1e11 else "s"
        return pd.to_datetime(numeric, unit=unit, utc=True, errors="coerce")
    return pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")


def _rows_with_lines(reader: Reader) -> Iterator[tuple[int, list[str]]]:
    """Each row with the file line it starts on; `line_num` counts the lines a row spans."""
    while True:
        first = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        yield first, row


def parse_csv(text: str, timeframe: Timeframe) -> ParsedCsv:
    """Parse and check a CSV of bars; raise CsvImportError listing every bad row."""
    if not text.strip():
        raise CsvImportError("the file is empty")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvImportError("the file is empty") from None
    cols = _map_header(header)
    warnings: list[str] = []
    if "volume" not in cols:
        warnings.append("no volume column: volume set to 0")

    errors: list[dict[str, object]] = []
    lines: list[int] = []
    records: list[list[str]] = []
    for lineno, row in _rows_with_lines(reader):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < len(header):
            errors.append(
                {"line": lineno, "error": f"{len(row)} fields, the header has {len(header)}"}
            )
            continue
        lines.append(lineno)
        records.append([row[cols[f]].strip() if f in cols else "0" for f in ALIASES])
    if not records and not errors:
        raise CsvImportError("the file has a header but no rows")

    frame = pd.DataFrame(records, columns=list(ALIASES))
    frame["line"] = lines
    times = _parse_times(frame["time"])
    earliest, latest = pd.Timestamp(EARLIEST), pd.Timestamp(datetime.now(UTC) + timedelta(days=1))
    numbers = {
        f: pd.to_numeric(frame[f].str.replace(",", "", regex=False), errors="coerce")
        for f in ALIASES
        if f != "time"
    }
    for i, line in enumerate(lines):
        problems = []
        if pd.isna(times.iloc[i]):
            problems.append(f"time {frame['time'].iloc[i]!r} is not a date/time")
        vals = {f: numbers[f].iloc[i] for f in numbers}
        bad = [f for f, v in vals.items() if pd.isna(v) or not math.isfinite(v)]
        for f in bad:
            problems.append(f"{f} {frame[f].iloc[i]!r} is not a number")
        if not bad:
            o, h, lo, c, v = vals["open"], vals["high"], vals["low"], vals["close"], vals["volume"]
            if h < max(o, c, lo):
                problems.append(f"high {h:g} is below open/close/low")
            if lo > min(o, c, h):
                problems.append(f"low {lo:g} is above open/close/high")
            if v < 0:
                problems.append(f"volume {v:g} is negative")
            elif v > MAX_VOLUME:
                problems.append(f"volume {v:g} is above {MAX_VOLUME:g}")
            for f in ("open", "high", "low", "close"):
                if not 0 < vals[f] <= MAX_PRICE:
                    problems.append(f"{f} {vals[f]:g} is not a price (0 < price <= {MAX_PRICE:g})")
        t = times.iloc[i]
        if not pd.isna(t) and not earliest <= t <= latest:
            problems.append(
                f"time {t.isoformat()} is "
                + ("before 1900" if t < earliest else "more than a day in the future")
            )
        if problems:
            errors.append({"line": line, "error": "; ".join(problems)})
    if not errors:
        dup = times[times.duplicated(keep=False)]
        if not dup.empty:
            for t in sorted(set(dup)):
                at = [lines[i] for i in np.flatnonzero((times == t).to_numpy())]
                errors.append(
                    {"line": at[1], "error": f"time {t.isoformat()} repeats line {at[0]}"}
                )
    if not errors:
        order = np.argsort(times.to_numpy(), kind="stable")
        sorted_times = times.iloc[order]
        gaps = sorted_times.diff().iloc[1:]
        too_close = gaps < pd.Timedelta(timeframe.delta)
        if too_close.any():
            j = int(np.flatnonzero(too_close.to_numpy())[0]) + 1
            a, b = lines[order[j - 1]], lines[order[j]]
            errors.append(
                {
                    "line": b,
                    "error": f"lines {a} and {b} are {gaps.iloc[j - 1]} apart, "
                    f"finer than {timeframe} "
                    f"bars ({timeframe.delta}); import with the right ?timeframe=",
                }
            )
    if errors:
        errors.sort(key=lambda e: int(e["line"]))  # type: ignore[call-overload]
        shown = "; ".join(f"line {e['line']}: {e['error']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise CsvImportError(
            f"{len(errors)} bad row(s), nothing imported: {shown}{more}", errors[:MAX_REPORTED]
        )
    bars = pd.DataFrame(
        {f: numbers[f].to_numpy(dtype=float) for f in ("open", "high", "low", "close", "volume")},
        index=pd.DatetimeIndex(times, name="time"),
    ).sort_index()
    return ParsedCsv(bars=bars, warnings=warnings)
