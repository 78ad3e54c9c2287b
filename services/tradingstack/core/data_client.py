"""The one client every service uses to get market data from the data service.

No service other than `data` talks to a market-data provider (docs/architecture.md, data-flow
rule 1); they all call the data service's HTTP API through `DataClient`.
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
    DomainError,
    InvalidRequest,
    NoData,
    NoDataInRange,
    NotFound,
    UnknownSymbol,
    UpstreamFailed,
    UpstreamUnavailable,
    passed_on_class,
    problems,
)
from tradingstack.core.http import read_problem, segment, service_client
from tradingstack.core.schemas import OHLCV, Indicators
from tradingstack.core.settings import KitSettings, load_settings
from tradingstack.core.timeframes import Timeframe

if TYPE_CHECKING:
    import pandas as pd


class DataServiceError(DomainError):
    """What the data client raises: the data service's problem passed on as this service's own
    (the same `type` and status, `upstream="data"`), or the data service down or failing.

    Each is also a plain domain error: `except NoData` catches the data service's `no-data` and
    `no-data-in-range`, and a route that lets it through answers the same problem. Branch on
    the class (or `type`), never on `upstream_status` alone."""

    def __init__(self, detail: str, *, upstream_status: int | None = None, **ext: Any) -> None:
        super().__init__(detail, **{"upstream": "data", **ext})
        self.upstream_status = upstream_status


class DataNotFound(DataServiceError, NotFound):
    """A 404 from the data service; its subclasses say which (a 404 with no type stays this)."""


# The name the callers used before the 404s were told apart; it is `DataNotFound`.
UnknownSymbolError = DataNotFound


class DataUnknownSymbol(DataNotFound, UnknownSymbol):
    """The data service does not know the symbol."""


class DataNoData(DataNotFound, NoData):
    """The symbol exists; no provider or import has bars for it in this timeframe."""


class DataNoDataInRange(DataNoData, NoDataInRange):
    """The symbol has bars in this timeframe, none between the start and end asked for."""


class DataInvalidRequest(DataServiceError, InvalidRequest):
    """The data service refused the request's values (its detail says which)."""


class DataUnavailable(DataServiceError, UpstreamUnavailable):
    """The data service is unreachable, down, or out of providers: ask again later."""


class DataFailed(DataServiceError, UpstreamFailed):
    """The data service answered a failure (a 5xx other than 503) or broke its contract."""


# the data client's class for each domain error it passes on (core.errors.passed_on_class)
_DATA_CLASSES: dict[type[DomainError], type[DataServiceError]] = {
    UnknownSymbol: DataUnknownSymbol,
    NoData: DataNoData,
    NoDataInRange: DataNoDataInRange,
    NotFound: DataNotFound,
    InvalidRequest: DataInvalidRequest,
    UpstreamUnavailable: DataUnavailable,
    UpstreamFailed: DataFailed,
}


def data_error(status: int | None, detail: str, type_: str, what: str) -> DataServiceError:
    """The domain error for the data service's answer about `what` (e.g. `BTCUSD H1`),
    chosen by the problem's `type` (core.errors.passed_on_class): unknown symbol, no data and
    no data in range are three problems that share the status 404."""
    cls = _DATA_CLASSES.get(passed_on_class(status, type_), DataFailed)
    if cls is DataInvalidRequest:
        detail = f"The data service refused it: {detail}"
    elif cls is DataUnavailable:
        detail = f"Market data for {what} is unavailable: {detail}"
    elif cls is DataFailed:
        detail = f"The data service failed: {detail}"
    return cls(detail, upstream_status=status)


def data_problem(exc: DataServiceError, symbol: str, timeframe: Timeframe | str) -> DomainError:
    """Kept for callers not yet converted: what the client raises is already the answer, so
    `except DataServiceError: raise data_problem(...)` can go (let the error through)."""
    return exc


# What a route that fetches market data may answer because of it.
DATA_ERRORS = (UnknownSymbol, NoData, NoDataInRange, UpstreamFailed, UpstreamUnavailable)
DATA_PROBLEMS = problems(*DATA_ERRORS)


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

    async def _get(self, path: str, params: dict[str, Any] | None = None, what: str = "") -> Any:
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
            detail = f"the data service is unreachable ({type(exc).__name__}: {exc})"
            raise data_error(None, detail, "about:blank", what or path) from exc
        if resp.status_code >= 400:
            detail, type_ = read_problem(resp)
            raise data_error(resp.status_code, detail, type_, what or path)
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
        what = f"{symbol} {params['timeframe']}"
        return OHLCV.model_validate(
            await self._get(f"/api/v1/ohlcv/{segment(symbol)}", params, what)
        )

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
        what = f"{symbol} {params['timeframe']}"
        return Indicators.model_validate(
            await self._get(f"/api/v1/indicators/{segment(symbol)}", params, what)
        )

    async def symbols(self) -> list[dict[str, Any]]:
        data = await self._get("/api/v1/symbols", what="the symbol list")
        return list(data["items"] if isinstance(data, dict) else data)


def to_frame(ohlcv: OHLCV) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(
        [b.model_dump() for b in ohlcv.bars],
        columns=["time", "open", "high", "low", "close", "volume"],
    )
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame.set_index("time")
