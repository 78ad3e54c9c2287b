"""When to retrain a model automatically (a pure function, tested on its own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

RetrainReason = Literal["corrupt", "age", "underperforms_naive"]


@dataclass(frozen=True)
class RollingScore:
    """The model's scores on bars that arrived after it was trained."""

    points: int
    mae: float
    mae_naive: float

    @property
    def relative_mae(self) -> float:
        return self.mae / self.mae_naive if self.mae_naive > 0 else float("inf")


def retrain_reason(
    *,
    trained_at: datetime | None,
    now: datetime,
    max_age: timedelta,
    rolling: RollingScore | None,
    naive_ratio: float = 1.0,
    min_points: int = 1,
    corrupt: bool = False,
) -> RetrainReason | None:
    """Why the model should be retrained now, or None to keep it.

    - `corrupt`: its files cannot be loaded;
    - `age`: it was trained longer than `max_age` ago;
    - `underperforms_naive`: on at least `min_points` new bars its MAE is above `naive_ratio`
      times the naive (last close) forecast's.
    """
    if corrupt or trained_at is None:
        return "corrupt"
    if now - trained_at > max_age:
        return "age"
    if rolling is not None and rolling.points >= min_points and rolling.relative_mae > naive_ratio:
        return "underperforms_naive"
    return None
