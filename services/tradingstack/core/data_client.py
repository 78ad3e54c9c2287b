"""The one client every service uses to get market data from the data service.

No service other than `data` talks to a market-data provider (DESIGN.md, rule 1); they all
call the data service's HTTP API through `DataClient`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from tradingstack.core.errors import (
    NO_DATA,
    UNKNOWN_SYMBOL,
    UPSTREAM_FAILED,
    ProblemError,
    problems,
    upstream_unavailable,
)
from tradingstack.core.http import read_problem, segment, service_client
from tradingstack.core.schemas import OHLCV, Indicators
from tradingstack.core.settings import KitSettings, load_settings
from tradingstack.core.timeframes import Timeframe

if TYPE_CHECKING:
    import pandas as pd


class DataServiceError(Exception):
    """The data service answered an error (its problem+json detail and type are kept) or was
    unreachable (status None)."""

    def __init__(self, status: int | None, detail: str, type_: str = "about:blank") -> None:
        super().__init__(f"data service: {detail}" + (f" (HTTP {status})" if status else ""))
        self.status = status
        self.detail = detail
        self.type = type_


class UnknownSymbolError(DataServiceError):
    """404 from the data service: it does not know the symbol, or (type `no-data`) it has no
    bars for it in that timeframe or range."""


def data_problem(exc: DataServiceError, symbol: str, timeframe: Timeframe | str) -> ProblemError:
    """The answer for a request whose market data the data service could not give, with the
    data service's problem type kept, so a client sees the same problem at every hop.

    Unknown symbol or no data: 404; any other refusal: 422 with the data service's reason; the
    data service down, unreachable or out of providers: 503 with Retry-After; an answer that
    is itself a failure (500): 502.
    """
    if isinstance(exc, UnknownSymbolError):
        if exc.type == NO_DATA:
            return ProblemError(404, exc.detail, title="No data", type_=NO_DATA, upstream="data")
        return ProblemError(
            404,
            f"Unknown symbol {symbol!r}: {exc.detail}. The data service lists symbols at "
            "/data/api/v1/symbols.",
            title="Unknown symbol",
            type_=UNKNOWN_SYMBOL,
            upstream="data",
        )
    if exc.status is not None and 400 <= exc.status < 500:
        return ProblemError(
            422, f"The data service refused the request: {exc.detail}", upstream="data"
        )
    if exc.status is None or exc.status == 503:
        return upstream_unavailable(
            f"Market data for {symbol} {timeframe} is unavailable: {exc.detail}. Retry later.",
            "data",
        )
    return ProblemError(
        502,
        f"The data service failed: {exc.detail}",
        type_=UPSTREAM_FAILED,
        upstream="data",
    )


# What a route that fetches market data may answer because of it (see `data_problem`).
DATA_PROBLEMS = problems(404, 502, 503)


class DataClient:
    """Async client of the data service (`TS_DATA_URL`)."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float | None = None,
        attempts: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = load_settings(KitSettings)
        self.base_url = (base_url or settings.data_url).rstrip("/")
        self.attempts = attempts
        self._client = service_client(
            self.base_url,
            timeout=timeout or settings.data_timeout_seconds,
            transport=transport,
            settings=settings,
        )

    async def __aenter__(self) -> DataClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential_jitter(initial=0.2, max=2.0),
                retry=retry_if_exception_type((httpx.TransportError,)),
                reraise=True,
            ):
                with attempt:
                    resp = await self._client.get(path, params=params)
        except httpx.TransportError as exc:
            raise DataServiceError(None, f"unreachable at {self.base_url}: {exc!r}") from exc
        if resp.status_code >= 400:
            detail, type_ = read_problem(resp)
            cls = UnknownSymbolError if resp.status_code == 404 else DataServiceError
            raise cls(resp.status_code, detail, type_)
        return resp.json()

    async def ohlcv(
        self,
        symbol: str,
        timeframe: Timeframe | str = Timeframe.H1,
        *,
        limit: int | None = 500,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> OHLCV:
        params: dict[str, Any] = {"timeframe": str(Timeframe(timeframe))}
        if limit is not None:
            params["limit"] = limit
        if start is not None:
            params["start"] = start.isoformat()
        if end is not None:
            params["end"] = end.isoformat()
        return OHLCV.model_validate(await self._get(f"/api/v1/ohlcv/{segment(symbol)}", params))

    async def ohlcv_frame(
        self, symbol: str, timeframe: Timeframe | str = Timeframe.H1, **kw: Any
    ) -> pd.DataFrame:
        """Bars as a DataFrame indexed by UTC time with open, high, low, close, volume."""
        return to_frame(await self.ohlcv(symbol, timeframe, **kw))

    async def indicators(
        self,
        symbol: str,
        timeframe: Timeframe | str = Timeframe.H1,
        names: Iterable[str] = ("rsi", "macd", "bbands", "atr"),
        *,
        limit: int | None = 500,
    ) -> Indicators:
        params: dict[str, Any] = {"timeframe": str(Timeframe(timeframe)), "names": ",".join(names)}
        if limit is not None:
            params["limit"] = limit
        return Indicators.model_validate(
            await self._get(f"/api/v1/indicators/{segment(symbol)}", params)
        )

    async def symbols(self) -> list[dict[str, Any]]:
        data = await self._get("/api/v1/symbols")
        return list(data["items"] if isinstance(data, dict) else data)


def to_frame(ohlcv: OHLCV) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(
        [b.model_dump() for b in ohlcv.bars],
        columns=["time", "open", "high", "low", "close", "volume"],
    )
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame.set_index("time")
