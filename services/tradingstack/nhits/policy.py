"""When to retrain a model automatically (a pure function, tested on its own).

On a schedule (`age`), when its files are broken (`corrupt`), and on measured drift on bars
that arrived after training, judged over at least `min_origins` forecast origins, never on one
bad window:

- `underperforms_naive`: the whole 95 % interval of the served forecast's relative MAE vs the
  naive forecast lies above `naive_ratio` (significantly worse than "no change");
- `coverage_drift`: an interval's coverage is significantly below its level (one-sided
  binomial z test at 1 %, on the number of non-overlapping windows the origins span).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

RetrainReason = Literal["corrupt", "age", "underperforms_naive", "coverage_drift"]
COVERAGE_Z = 2.326  # one-sided 1 %


@dataclass(frozen=True)
class RollingScore:
    """The served forecast's scores on bars that arrived after the model was trained."""

    origins: int
    relative_mae: float
    ci_low: float
    ci_high: float
    coverage: dict[str, float] = field(default_factory=dict)
    windows: float = 0.0
    """Non-overlapping horizons the origins span (the sample size of a coverage test)."""

    def coverage_shortfall(self) -> list[str]:
        """Levels whose coverage is significantly below the level."""
        out = []
        n = max(self.windows, 1.0)
        for key, cov in self.coverage.items():
            p = int(key) / 100
            if (p - cov) / math.sqrt(p * (1 - p) / n) > COVERAGE_Z:
                out.append(key)
        return out


def retrain_reason(
    *,
    trained_at: datetime | None,
    now: datetime,
    max_age: timedelta,
    rolling: RollingScore | None,
    naive_ratio: float = 1.0,
    min_origins: int = 20,
    corrupt: bool = False,
) -> RetrainReason | None:
    """Why the model should be retrained now, or None to keep it."""
    if corrupt or trained_at is None:
        return "corrupt"
    if now - trained_at > max_age:
        return "age"
    if rolling is None or rolling.origins < max(min_origins, 20):
        return None
    if rolling.ci_low > naive_ratio:
        return "underperforms_naive"
    if rolling.coverage_shortfall():
        return "coverage_drift"
    return None
