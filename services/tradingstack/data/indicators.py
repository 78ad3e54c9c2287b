"""Technical indicators, computed by TA-Lib (not by hand).

A request names indicators with optional positional parameters: `rsi`, `sma:50`,
`macd:12:26:9`, `bbands:20:2`. Each indicator answers one or more columns named after it
and its parameters, e.g. `sma_50`, `macd_12_26_9_signal`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import talib

from tradingstack.core.errors import InvalidRequest


@dataclass(frozen=True)
class Indicator:
    name: str
    description: str
    params: tuple[tuple[str, float | int], ...]
    outputs: tuple[str, ...]
    compute: Callable[[pd.DataFrame, dict[str, float | int]], tuple[np.ndarray, ...]]
    lookback: Callable[[dict[str, float | int]], int]

    def param_types(self) -> dict[str, type]:
        return {k: type(v) for k, v in self.params}


def _f(a: pd.Series) -> np.ndarray:
    return a.to_numpy(dtype=np.float64)


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator(
            "sma",
            "simple moving average of close",
            (("period", 20),),
            ("",),
            lambda d, p: (talib.SMA(_f(d.close), timeperiod=int(p["period"])),),
            lambda p: int(p["period"]),
        ),
        Indicator(
            "ema",
            "exponential moving average of close",
            (("period", 20),),
            ("",),
            lambda d, p: (talib.EMA(_f(d.close), timeperiod=int(p["period"])),),
            lambda p: 3 * int(p["period"]),
        ),
        Indicator(
            "rsi",
            "relative strength index",
            (("period", 14),),
            ("",),
            lambda d, p: (talib.RSI(_f(d.close), timeperiod=int(p["period"])),),
            lambda p: 3 * int(p["period"]),
        ),
        Indicator(
            "macd",
            "moving average convergence/divergence",
            (("fast", 12), ("slow", 26), ("signal", 9)),
            ("", "signal", "hist"),
            lambda d, p: talib.MACD(
                _f(d.close),
                fastperiod=int(p["fast"]),
                slowperiod=int(p["slow"]),
                signalperiod=int(p["signal"]),
            ),
            lambda p: 3 * int(p["slow"]) + int(p["signal"]),
        ),
        Indicator(
            "bbands",
            "Bollinger bands",
            (("period", 20), ("std", 2.0)),
            ("upper", "middle", "lower"),
            lambda d, p: talib.BBANDS(
                _f(d.close),
                timeperiod=int(p["period"]),
                nbdevup=float(p["std"]),
                nbdevdn=float(p["std"]),
                matype=talib.MA_Type.SMA,
            ),
            lambda p: int(p["period"]),
        ),
        Indicator(
            "atr",
            "average true range",
            (("period", 14),),
            ("",),
            lambda d, p: (
                talib.ATR(_f(d.high), _f(d.low), _f(d.close), timeperiod=int(p["period"])),
            ),
            lambda p: 3 * int(p["period"]),
        ),
        Indicator(
            "adx",
            "average directional index",
            (("period", 14),),
            ("",),
            lambda d, p: (
                talib.ADX(_f(d.high), _f(d.low), _f(d.close), timeperiod=int(p["period"])),
            ),
            lambda p: 4 * int(p["period"]),
        ),
        Indicator(
            "stoch",
            "stochastic oscillator (slow %K, %D)",
            (("k", 14), ("slowing", 3), ("d", 3)),
            ("k", "d"),
            lambda d, p: talib.STOCH(
                _f(d.high),
                _f(d.low),
                _f(d.close),
                fastk_period=int(p["k"]),
                slowk_period=int(p["slowing"]),
                slowk_matype=talib.MA_Type.SMA,
                slowd_period=int(p["d"]),
                slowd_matype=talib.MA_Type.SMA,
            ),
            lambda p: int(p["k"]) + int(p["slowing"]) + int(p["d"]),
        ),
        Indicator(
            "obv",
            "on-balance volume",
            (),
            ("",),
            lambda d, p: (talib.OBV(_f(d.close), _f(d.volume)),),
            lambda p: 1,
        ),
        Indicator(
            "cci",
            "commodity channel index",
            (("period", 20),),
            ("",),
            lambda d, p: (
                talib.CCI(_f(d.high), _f(d.low), _f(d.close), timeperiod=int(p["period"])),
            ),
            lambda p: int(p["period"]),
        ),
        Indicator(
            "willr",
            "Williams %R",
            (("period", 14),),
            ("",),
            lambda d, p: (
                talib.WILLR(_f(d.high), _f(d.low), _f(d.close), timeperiod=int(p["period"])),
            ),
            lambda p: int(p["period"]),
        ),
        Indicator(
            "mfi",
            "money flow index",
            (("period", 14),),
            ("",),
            lambda d, p: (
                talib.MFI(
                    _f(d.high), _f(d.low), _f(d.close), _f(d.volume), timeperiod=int(p["period"])
                ),
            ),
            lambda p: int(p["period"]) + 1,
        ),
        Indicator(
            "roc",
            "rate of change, percent",
            (("period", 10),),
            ("",),
            lambda d, p: (talib.ROC(_f(d.close), timeperiod=int(p["period"])),),
            lambda p: int(p["period"]) + 1,
        ),
    )
}

DEFAULT_NAMES = ("sma", "ema", "rsi", "macd", "bbands", "atr")


class IndicatorSpecError(InvalidRequest, ValueError):
    """A requested indicator name or parameter is not valid; the message says what to fix."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, title="Invalid indicator request")


@dataclass(frozen=True)
class Request:
    indicator: Indicator
    params: dict[str, float | int]

    @property
    def key(self) -> str:
        return "_".join([self.indicator.name, *(_fmt(v) for v in self.params.values())])

    def columns(self) -> list[str]:
        return [self.key if not o else f"{self.key}_{o}" for o in self.indicator.outputs]


def _fmt(v: float | int) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def parse(spec: str) -> list[Request]:
    """Parse `rsi,sma:50,bbands:20:2` into indicator requests."""
    out: list[Request] = []
    for raw in (s.strip() for s in spec.split(",")):
        if not raw:
            continue
        name, *args = raw.lower().split(":")
        ind = INDICATORS.get(name)
        if ind is None:
            raise IndicatorSpecError(
                f"unknown indicator {name!r}; known: {', '.join(sorted(INDICATORS))}"
            )
        if len(args) > len(ind.params):
            raise IndicatorSpecError(
                f"{name} takes at most {len(ind.params)} parameters "
                f"({', '.join(k for k, _ in ind.params) or 'none'}), got {len(args)}"
            )
        params: dict[str, float | int] = dict(ind.params)
        for (key, default), arg in zip(ind.params, args, strict=False):
            try:
                value: float | int = int(arg) if isinstance(default, int) else float(arg)
            except ValueError:
                raise IndicatorSpecError(
                    f"{name}: parameter {key} must be a number, got {arg!r}"
                ) from None
            if not 0 < value <= 1000:  # also refuses nan, which compares false to anything
                raise IndicatorSpecError(f"{name}: parameter {key} must be in (0, 1000], got {arg}")
            params[key] = value
        if name == "macd" and params["fast"] >= params["slow"]:
            raise IndicatorSpecError("macd: fast period must be shorter than slow period")
        out.append(Request(ind, params))
    if not out:
        raise IndicatorSpecError("no indicator named; e.g. names=rsi,macd,bbands:20:2")
    if len(out) > 30:
        raise IndicatorSpecError("at most 30 indicators per request")
    return out


def warmup(requests: list[Request]) -> int:
    """Bars needed before the first valid value of the slowest requested indicator."""
    return max((r.indicator.lookback(r.params) for r in requests), default=0)


def compute(bars: pd.DataFrame, requests: list[Request]) -> pd.DataFrame:
    """One column per indicator output, aligned with `bars` (NaN during warm-up)."""
    out = pd.DataFrame(index=bars.index)
    for req in requests:
        values = req.indicator.compute(bars, req.params)
        for col, arr in zip(req.columns(), values, strict=True):
            out[col] = arr
    return out
