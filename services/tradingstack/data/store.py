"""The data service's storage: symbols, strategies and cached bars (SQLAlchemy Core).

Every method is synchronous; async routes call them through a thread pool.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, select, update

from tradingstack.core.errors import Conflict, NotFound, UnknownSymbol
from tradingstack.core.schemas import to_utc
from tradingstack.core.timeframes import Timeframe
from tradingstack.data import db
from tradingstack.data.schemas import StrategyIn, StrategyOut, SymbolIn, SymbolOut


def _unknown_symbol(symbol: str) -> UnknownSymbol:
    return UnknownSymbol(f"Unknown symbol {symbol!r}; list the symbols there are, or add it.")


def _no_strategy(sid: str) -> NotFound:
    return NotFound(f"No strategy {sid!r}.", title="Unknown strategy")


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        db.metadata.create_all(self.engine)

    # --- symbols ---------------------------------------------------------------------------
    def _symbol_out(self, row: Any) -> SymbolOut:
        m = row._mapping
        return SymbolOut(
            symbol=m["symbol"],
            name=m["name"],
            category=m["category"],
            description=m["description"] or "",
            provider_symbols=m["provider_symbols"] or {},
            provider_order=m["provider_order"],
            favourite=m["favourite"],
            created_at=to_utc(m["created_at"]),
            updated_at=to_utc(m["updated_at"]),
        )

    def list_symbols(
        self, category: str | None = None, favourite: bool | None = None, q: str | None = None
    ) -> list[SymbolOut]:
        stmt = select(db.symbols).order_by(db.symbols.c.symbol)
        if category:
            stmt = stmt.where(db.symbols.c.category == category)
        if favourite is not None:
            stmt = stmt.where(db.symbols.c.favourite == favourite)
        if q:
            # `_` and `%` in the query are letters, not wildcards (`RP_` matched MSFT's name)
            like = (
                "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            stmt = stmt.where(
                func.lower(db.symbols.c.symbol).like(like, escape="\\")
                | func.lower(db.symbols.c.name).like(like, escape="\\")
            )
        with self.engine.connect() as conn:
            return [self._symbol_out(r) for r in conn.execute(stmt)]

    def get_symbol(self, symbol: str) -> SymbolOut:
        with self.engine.connect() as conn:
            row = conn.execute(select(db.symbols).where(db.symbols.c.symbol == symbol)).first()
        if row is None:
            raise _unknown_symbol(symbol)
        return self._symbol_out(row)

    def create_symbol(self, body: SymbolIn) -> SymbolOut:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(db.symbols.c.symbol).where(db.symbols.c.symbol == body.symbol)
            ).first()
            if exists:
                raise Conflict(f"Symbol {body.symbol} exists; replace it instead.")
            conn.execute(
                db.symbols.insert().values(
                    **body.model_dump(mode="json"), created_at=now, updated_at=now
                )
            )
        return self.get_symbol(body.symbol)

    def replace_symbol(self, symbol: str, body: SymbolIn) -> SymbolOut:
        values = body.model_dump(mode="json")
        values.pop("symbol")
        with self.engine.begin() as conn:
            result = conn.execute(
                update(db.symbols)
                .where(db.symbols.c.symbol == symbol)
                .values(**values, updated_at=datetime.now(UTC))
            )
            if result.rowcount == 0:
                raise _unknown_symbol(symbol)
        return self.get_symbol(symbol)

    def set_favourite(self, symbol: str, favourite: bool) -> SymbolOut:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(db.symbols)
                .where(db.symbols.c.symbol == symbol)
                .values(favourite=favourite, updated_at=datetime.now(UTC))
            )
            if result.rowcount == 0:
                raise _unknown_symbol(symbol)
        return self.get_symbol(symbol)

    def delete_symbol(self, symbol: str) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(delete(db.symbols).where(db.symbols.c.symbol == symbol))
            if result.rowcount == 0:
                raise _unknown_symbol(symbol)
            conn.execute(delete(db.bars).where(db.bars.c.symbol == symbol))
            conn.execute(delete(db.fetches).where(db.fetches.c.symbol == symbol))

    # --- strategies ------------------------------------------------------------------------
    def _strategy_out(self, row: Any) -> StrategyOut:
        m = row._mapping
        return StrategyOut(
            **m["body"], created_at=to_utc(m["created_at"]), updated_at=to_utc(m["updated_at"])
        )

    def list_strategies(self) -> list[StrategyOut]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(db.strategies).order_by(db.strategies.c.id))
            return [self._strategy_out(r) for r in rows]

    def get_strategy(self, sid: str) -> StrategyOut:
        with self.engine.connect() as conn:
            row = conn.execute(select(db.strategies).where(db.strategies.c.id == sid)).first()
        if row is None:
            raise _no_strategy(sid)
        return self._strategy_out(row)

    def create_strategy(self, body: StrategyIn) -> StrategyOut:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            if conn.execute(
                select(db.strategies.c.id).where(db.strategies.c.id == body.id)
            ).first():
                raise Conflict(f"Strategy {body.id} exists; replace it instead.")
            conn.execute(
                db.strategies.insert().values(
                    id=body.id, body=body.model_dump(mode="json"), created_at=now, updated_at=now
                )
            )
        return self.get_strategy(body.id)

    def replace_strategy(self, sid: str, body: StrategyIn) -> StrategyOut:
        if body.id != sid:
            body = body.model_copy(update={"id": sid})
        with self.engine.begin() as conn:
            result = conn.execute(
                update(db.strategies)
                .where(db.strategies.c.id == sid)
                .values(body=body.model_dump(mode="json"), updated_at=datetime.now(UTC))
            )
            if result.rowcount == 0:
                raise _no_strategy(sid)
        return self.get_strategy(sid)

    def delete_strategy(self, sid: str) -> None:
        with self.engine.begin() as conn:
            if conn.execute(delete(db.strategies).where(db.strategies.c.id == sid)).rowcount == 0:
                raise _no_strategy(sid)

    # --- bars ------------------------------------------------------------------------------
    def save_bars(
        self,
        symbol: str,
        timeframe: Timeframe,
        frame: pd.DataFrame,
        provider: str,
        *,
        fetched_at: datetime | None = None,
        resampled_from: Timeframe | None = None,
    ) -> int:
        """Upsert bars and record the fetch; returns how many existed already."""
        rows = [
            {
                "symbol": symbol,
                "timeframe": str(timeframe),
                "time": ts.to_pydatetime(),
                "open": float(r.open),
                "high": float(r.high),
                "low": float(r.low),
                "close": float(r.close),
                "volume": float(r.volume),
                "provider": provider,
            }
            for ts, r in zip(frame.index, frame.itertuples(index=False), strict=True)
        ]
        with self.engine.begin() as conn:
            existing = 0
            if rows:
                existing = conn.execute(
                    select(func.count())
                    .select_from(db.bars)
                    .where(
                        and_(
                            db.bars.c.symbol == symbol,
                            db.bars.c.timeframe == str(timeframe),
                            db.bars.c.time >= rows[0]["time"],
                            db.bars.c.time <= rows[-1]["time"],
                        )
                    )
                ).scalar_one()
            db.upsert_bars(self.engine, conn, rows)
            if fetched_at is not None:
                stmt = db.upsert(self.engine, db.fetches).values(
                    symbol=symbol,
                    timeframe=str(timeframe),
                    provider=provider,
                    fetched_at=fetched_at,
                    resampled_from=str(resampled_from) if resampled_from else None,
                )
                stmt = stmt.on_conflict_do_update(
                    index_elements=["symbol", "timeframe"],
                    set_={
                        "provider": stmt.excluded.provider,
                        "fetched_at": stmt.excluded.fetched_at,
                        "resampled_from": stmt.excluded.resampled_from,
                    },
                )
                conn.execute(stmt)
        return int(existing)

    def last_fetch(self, symbol: str, timeframe: Timeframe) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(db.fetches).where(
                    and_(db.fetches.c.symbol == symbol, db.fetches.c.timeframe == str(timeframe))
                )
            ).first()
        if row is None:
            return None
        m = dict(row._mapping)
        m["fetched_at"] = to_utc(m["fetched_at"])
        return m

    def stored_timeframes(self, symbol: str) -> list[dict[str, Any]]:
        """Per timeframe with stored bars: how many, the first and last time, who stored them
        (a provider's name, or "import")."""
        c = db.bars.c
        stmt = (
            select(c.timeframe, c.provider, func.count(), func.min(c.time), func.max(c.time))
            .where(c.symbol == symbol)
            .group_by(c.timeframe, c.provider)
        )
        out: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for tf, provider, count, first, last in conn.execute(stmt):
                row = out.setdefault(
                    tf, {"timeframe": tf, "bars": 0, "first": None, "last": None, "from": []}
                )
                row["bars"] += int(count)
                first, last = to_utc(first), to_utc(last)
                row["first"] = first if row["first"] is None else min(row["first"], first)
                row["last"] = last if row["last"] is None else max(row["last"], last)
                row["from"].append(provider)
        return list(out.values())

    def load_bars(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """The newest `limit` bars within [start, end], ascending; also the providers used."""
        c = db.bars.c
        cond = [c.symbol == symbol, c.timeframe == str(timeframe)]
        if start is not None:
            cond.append(c.time >= start)
        if end is not None:
            cond.append(c.time <= end)
        stmt = (
            select(c.time, c.open, c.high, c.low, c.close, c.volume, c.provider)
            .where(and_(*cond))
            .order_by(c.time.desc())
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            # plain tuples: pandas probes Row objects attribute by attribute, which is slow
            rows = [tuple(r) for r in conn.execute(stmt)]
        frame = pd.DataFrame.from_records(
            rows, columns=["time", "open", "high", "low", "close", "volume", "provider"]
        )
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame.set_index("time").sort_index()
