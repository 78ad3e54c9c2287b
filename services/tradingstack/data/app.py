"""The data service: symbols, strategies, OHLCV, indicators and CSV import.

The only service that talks to market-data providers (docs/architecture.md, data-flow rule 1).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response, UploadFile
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from tradingstack.core.app import create_service_app
from tradingstack.core.errors import (
    Conflict,
    InvalidRequest,
    NoData,
    NoDataInRange,
    NotFound,
    TooLarge,
    UnknownSymbol,
    UpstreamUnavailable,
    problems,
)
from tradingstack.core.schemas import OHLCV, Indicators, IndicatorSeries, Instant, SymbolPath
from tradingstack.core.settings import load_settings
from tradingstack.core.timeframes import Timeframe
from tradingstack.data import indicators as ind
from tradingstack.data import seeds
from tradingstack.data.db import make_engine
from tradingstack.data.importer import parse_csv
from tradingstack.data.market import MarketData
from tradingstack.data.providers.chain import ProviderChain
from tradingstack.data.providers.embedded import EMBEDDED_DATASETS, EmbeddedProvider
from tradingstack.data.providers.settings import ProviderSettings, build_chain
from tradingstack.data.schemas import (
    Category,
    ImportResult,
    IndicatorInfo,
    ProviderStatus,
    StrategyIn,
    StrategyOut,
    SymbolIn,
    SymbolList,
    SymbolOut,
    SymbolTimeframes,
    TimeframeAvailability,
)
from tradingstack.data.settings import DataSettings
from tradingstack.data.store import Store

symbols_router = APIRouter(prefix="/symbols", tags=["symbols"])
strategies_router = APIRouter(prefix="/strategies", tags=["strategies"])
market_router = APIRouter(tags=["market data"])


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _market(request: Request) -> MarketData:
    market: MarketData = request.app.state.market
    return market


# --- symbols --------------------------------------------------------------------------------
@symbols_router.get("", response_model=SymbolList)
def list_symbols(
    request: Request,
    category: Category | None = None,
    favourite: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=64, description="substring of symbol or name")
    ] = None,
) -> SymbolList:
    items = _store(request).list_symbols(category.value if category else None, favourite, q)
    return SymbolList(items=items, total=len(items))


# Domain errors (core.errors) answer for themselves through the kit's handler: a route lets
# the store's UnknownSymbol, NotFound and Conflict through instead of catching them.
SYMBOL_PROBLEMS = problems(UnknownSymbol)
BARS_PROBLEMS = problems(UnknownSymbol, NoData, NoDataInRange, UpstreamUnavailable)


@symbols_router.post("", response_model=SymbolOut, status_code=201, responses=problems(Conflict))
def create_symbol(request: Request, body: SymbolIn, response: Response) -> SymbolOut:
    out = _store(request).create_symbol(body)
    response.headers["Location"] = (
        f"{request.scope.get('root_path', '')}/api/v1/symbols/{out.symbol}"
    )
    return out


@symbols_router.get("/{symbol}", response_model=SymbolOut, responses=SYMBOL_PROBLEMS)
def get_symbol(request: Request, symbol: SymbolPath) -> SymbolOut:
    return _store(request).get_symbol(symbol)


@symbols_router.get(
    "/{symbol}/timeframes", response_model=SymbolTimeframes, responses=SYMBOL_PROBLEMS
)
async def symbol_timeframes(request: Request, symbol: SymbolPath) -> SymbolTimeframes:
    """The timeframes a symbol has data for: stored bars (cached or imported), the embedded
    data (and what it resamples), and the configured online providers of its order."""
    market = _market(request)
    sym = await market.symbol(symbol)
    stored = {
        r["timeframe"]: r
        for r in await run_in_threadpool(market.store.stored_timeframes, sym.symbol)
    }
    order = sym.provider_order if sym.provider_order is not None else market.default_order
    rows: list[TimeframeAvailability] = []
    for tf in Timeframe:
        providers: list[str] = []
        resampled: Timeframe | None = None
        for name in order:
            provider = market.chain.providers.get(name)
            if provider is None:
                continue  # not configured: it serves nothing
            if isinstance(provider, EmbeddedProvider):
                key = (sym.provider_symbols.get(name) or sym.symbol).upper()
                files = EMBEDDED_DATASETS[key]["files"] if key in EMBEDDED_DATASETS else {}
                finer = next((f for f in tf.finer() if f in files), None)
                if tf not in files and finer is None:
                    continue
                if tf not in files:
                    resampled = finer
            providers.append(name)
        row = stored.get(str(tf))
        if row is None and not providers:
            continue
        rows.append(
            TimeframeAvailability(
                timeframe=tf,
                stored_bars=row["bars"] if row else 0,
                first=row["first"] if row else None,
                last=row["last"] if row else None,
                stored_from=sorted(row["from"]) if row else [],
                providers=providers,
                resampled_from=resampled,
            )
        )
    if rows:
        summary = ", ".join(f"{r.timeframe} ({_source_words(r)})" for r in rows)
    else:
        summary = (
            f"No data for {sym.symbol}: no bars were imported and no configured provider "
            f"in its order ({', '.join(order) or 'none'}) serves it."
        )
    return SymbolTimeframes(symbol=sym.symbol, timeframes=rows, summary=summary)


def _source_words(r: TimeframeAvailability) -> str:
    words = []
    if r.stored_bars:
        who = "imported" if r.stored_from == ["import"] else "stored"
        words.append(f"{r.stored_bars} bars {who}")
    for p in r.providers:
        resampled = p == "embedded" and r.resampled_from
        words.append(f"{p}, resampled from {r.resampled_from}" if resampled else p)
    return "; ".join(words)


@symbols_router.put("/{symbol}", response_model=SymbolOut, responses=SYMBOL_PROBLEMS)
def replace_symbol(request: Request, symbol: SymbolPath, body: SymbolIn) -> SymbolOut:
    if body.symbol != symbol:
        raise InvalidRequest(f"The body names {body.symbol}, the path {symbol}; they must agree.")
    return _store(request).replace_symbol(symbol, body)


@symbols_router.put("/{symbol}/favourite", response_model=SymbolOut, responses=SYMBOL_PROBLEMS)
def add_favourite(request: Request, symbol: SymbolPath) -> SymbolOut:
    return _store(request).set_favourite(symbol, True)


@symbols_router.delete("/{symbol}/favourite", response_model=SymbolOut, responses=SYMBOL_PROBLEMS)
def remove_favourite(request: Request, symbol: SymbolPath) -> SymbolOut:
    return _store(request).set_favourite(symbol, False)


@symbols_router.delete("/{symbol}", status_code=204, responses=SYMBOL_PROBLEMS)
def delete_symbol(request: Request, symbol: SymbolPath) -> Response:
    _store(request).delete_symbol(symbol)
    return Response(status_code=204)


# --- strategies -----------------------------------------------------------------------------
@strategies_router.get("", response_model=list[StrategyOut])
def list_strategies(request: Request) -> list[StrategyOut]:
    return _store(request).list_strategies()


STRATEGY_PROBLEMS = problems(NotFound)


@strategies_router.post(
    "", response_model=StrategyOut, status_code=201, responses=problems(Conflict)
)
def create_strategy(request: Request, body: StrategyIn) -> StrategyOut:
    return _store(request).create_strategy(body)


@strategies_router.get("/{sid}", response_model=StrategyOut, responses=STRATEGY_PROBLEMS)
def get_strategy(request: Request, sid: str) -> StrategyOut:
    return _store(request).get_strategy(sid)


@strategies_router.put("/{sid}", response_model=StrategyOut, responses=STRATEGY_PROBLEMS)
def replace_strategy(request: Request, sid: str, body: StrategyIn) -> StrategyOut:
    if body.id != sid:
        raise InvalidRequest(f"The body names {body.id}, the path {sid}; they must agree.")
    return _store(request).replace_strategy(sid, body)


@strategies_router.delete("/{sid}", status_code=204, responses=STRATEGY_PROBLEMS)
def delete_strategy(request: Request, sid: str) -> Response:
    _store(request).delete_strategy(sid)
    return Response(status_code=204)


# --- market data ----------------------------------------------------------------------------
Limit = Annotated[int | None, Query(ge=1, description="newest N bars (default 500)")]


@market_router.get("/ohlcv/{symbol}", response_model=OHLCV, responses=BARS_PROBLEMS)
async def get_ohlcv(
    request: Request,
    symbol: SymbolPath,
    timeframe: Timeframe = Timeframe.H1,
    limit: Limit = None,
    start: Instant | None = None,
    end: Instant | None = None,
) -> OHLCV:
    """Bars for a symbol; says which provider served them, how fresh, and whether stale."""
    ohlcv = await _market(request).ohlcv(symbol, timeframe, start=start, end=end, limit=limit)
    # Serialised once here; returning the model would make FastAPI validate every bar again.
    return Response(ohlcv.model_dump_json(), media_type="application/json")  # type: ignore[return-value]


@market_router.post(
    "/ohlcv/{symbol}/import",
    response_model=ImportResult,
    responses=problems(UnknownSymbol, TooLarge),
)
async def import_ohlcv(
    request: Request,
    symbol: SymbolPath,
    timeframe: Timeframe,
    file: UploadFile | None = None,
) -> ImportResult:
    """Import bars from CSV (multipart field `file`, or a text/csv body). All or nothing."""
    market = _market(request)
    sym = await market.symbol(symbol)
    limit = market.settings.max_import_bytes
    if file is not None:
        raw = await file.read(limit + 1)
    elif request.headers.get("content-type", "").startswith("multipart/"):
        # the form was parsed (and the body consumed) looking for `file`; it was not there
        form = await request.form()
        raise InvalidRequest(
            "A multipart import needs the CSV in the field `file`; got "
            + (", ".join(f"`{k}`" for k in form) or "no field")
            + ". Or send the CSV as the body with Content-Type: text/csv.",
        )
    else:
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                break
    if len(raw) > limit:
        raise TooLarge(f"The file is larger than {limit} bytes (TS_DATA_MAX_IMPORT_BYTES).")
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("The file is not UTF-8 text.", title="Invalid CSV") from None
    parsed = await run_in_threadpool(parse_csv, content, timeframe)  # CsvImportError: a 422
    replaced = await run_in_threadpool(
        market.store.save_bars, sym.symbol, timeframe, parsed.bars, "import"
    )
    return ImportResult(
        symbol=sym.symbol,
        timeframe=timeframe,
        rows=len(parsed.bars),
        first=parsed.bars.index[0].to_pydatetime(),
        last=parsed.bars.index[-1].to_pydatetime(),
        replaced=replaced,
    )


@market_router.get("/indicators", tags=["market data"], response_model=list[IndicatorInfo])
def list_indicators() -> list[dict[str, Any]]:
    """Every indicator this service computes (with TA-Lib), its parameters and outputs."""
    return [
        {
            "name": i.name,
            "description": i.description,
            "params": dict(i.params),
            "columns": [i.name if not o else f"{i.name}_..._{o}" for o in i.outputs],
        }
        for i in ind.INDICATORS.values()
    ]


@market_router.get("/indicators/{symbol}", response_model=Indicators, responses=BARS_PROBLEMS)
async def get_indicators(
    request: Request,
    symbol: SymbolPath,
    timeframe: Timeframe = Timeframe.H1,
    names: Annotated[
        str,
        Query(description="comma list, optional parameters after colons: rsi,sma:50,bbands:20:2"),
    ] = ",".join(ind.DEFAULT_NAMES),
    limit: Limit = None,
) -> Indicators:
    requests = ind.parse(names)  # an IndicatorSpecError is the client's 422
    market = _market(request)
    limit = limit or market.settings.default_limit
    warm = max(ind.warmup(requests), market.settings.indicator_warmup_bars)
    frame, meta = await market.bars(
        symbol, timeframe, limit=min(limit + warm, market.settings.max_limit)
    )
    values = await run_in_threadpool(ind.compute, frame, requests)
    values = values.iloc[-limit:]
    return Indicators(
        symbol=meta.symbol,
        timeframe=timeframe,
        provider=meta.provider,
        stale=meta.stale,
        indicators=[
            IndicatorSeries(name=r.indicator.name, columns=r.columns(), params=r.params)
            for r in requests
        ],
        times=[t.to_pydatetime() for t in values.index],
        values={
            col: [None if (v is None or not math.isfinite(v)) else float(v) for v in values[col]]
            for col in values.columns
        },
    )


@market_router.get("/providers", tags=["market data"], response_model=list[ProviderStatus])
def providers(request: Request) -> list[dict[str, Any]]:
    """Configured providers, the default fallback order, and each circuit breaker's state."""
    market = _market(request)
    return [
        {**s, "default_order_position": market.default_order.index(s["name"])}
        if s.get("name") in market.default_order
        else s
        for s in market.chain.status()
    ]


def _seed(store: Store) -> None:
    if store.list_symbols():
        return
    for sym in [*seeds.embedded_symbols(), *seeds.PROVIDER_SYMBOLS]:
        try:
            store.create_symbol(sym)
        except Conflict:
            pass
    for strategy in seeds.STRATEGIES:
        try:
            store.create_strategy(strategy)
        except Conflict:
            pass


def create_app(
    settings: DataSettings | None = None,
    provider_settings: ProviderSettings | None = None,
    chain: ProviderChain | None = None,
) -> FastAPI:
    settings = settings or load_settings(DataSettings)
    provider_settings = provider_settings or load_settings(ProviderSettings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.database_url is None:
            settings.dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.sqlalchemy_url())
        store = Store(engine)
        await run_in_threadpool(store.create_schema)
        if settings.seed_defaults:
            await run_in_threadpool(_seed, store)
        the_chain = chain or build_chain(provider_settings)
        app.state.store = store
        app.state.market = MarketData(store, the_chain, settings, list(provider_settings.order()))
        try:
            yield
        finally:
            await the_chain.aclose()
            engine.dispose()

    async def health_check() -> tuple[Any, dict[str, Any]]:
        store: Store | None = getattr(app.state, "store", None)
        if store is None:
            return "unhealthy", {"database": "not started"}

        def ping() -> None:
            with store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(ping)
        except Exception as exc:
            return "unhealthy", {"database": f"unreachable: {type(exc).__name__}"}
        states = app.state.market.chain.status()
        open_ = [s["name"] for s in states if s.get("state") == "open"]
        details = {"database": store.engine.dialect.name, "providers": states}
        if states and len(open_) == len(states):
            return "degraded", {**details, "reason": "every provider's circuit breaker is open"}
        return "healthy", details

    app = create_service_app(
        "data",
        routers=[symbols_router, strategies_router, market_router],
        lifespan=lifespan,
        health_check=health_check,
    )
    return app
