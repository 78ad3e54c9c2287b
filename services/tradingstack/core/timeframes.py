"""Bar timeframes shared by every service."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class Timeframe(StrEnum):
    """A bar size. Values are the API spelling (`?timeframe=H1`)."""

    M5 = "M5"
    M15 = "M15"
    H1 = "H1"
    H4 = "H4"
    D1 = "D1"

    @property
    def delta(self) -> timedelta:
        return _DELTAS[self]

    @property
    def pandas_rule(self) -> str:
        """The pandas resample rule for this bar size."""
        return _RULES[self]

    def finer(self) -> list[Timeframe]:
        """Timeframes whose bars can be resampled into this one, coarsest first."""
        return [
            t
            for t in reversed(list(Timeframe))
            if t.delta < self.delta and self.delta % t.delta == timedelta(0)
        ]


_DELTAS = {
    Timeframe.M5: timedelta(minutes=5),
    Timeframe.M15: timedelta(minutes=15),
    Timeframe.H1: timedelta(hours=1),
    Timeframe.H4: timedelta(hours=4),
    Timeframe.D1: timedelta(days=1),
}
_RULES = {
    Timeframe.M5: "5min",
    Timeframe.M15: "15min",
    Timeframe.H1: "1h",
    Timeframe.H4: "4h",
    Timeframe.D1: "1D",
}
