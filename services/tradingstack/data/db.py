"""Database schema of the data service: symbols, strategies and the cache of bars.

SQLite by default, PostgreSQL when `TS_DATA_DATABASE_URL` says so; SQLAlchemy Core, one
schema for both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

metadata = MetaData()

symbols = Table(
    "symbols",
    metadata,
    Column("symbol", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(16), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("provider_symbols", JSON, nullable=False),
    Column("provider_order", JSON, nullable=True),
    Column("favourite", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

strategies = Table(
    "strategies",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("body", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

bars = Table(
    "bars",
    metadata,
    Column("symbol", String(32), nullable=False),
    Column("timeframe", String(4), nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("open", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("close", Float, nullable=False),
    Column("volume", Float, nullable=False),
    Column("provider", String(32), nullable=False),
    PrimaryKeyConstraint("symbol", "timeframe", "time"),
)

# One row per (symbol, timeframe): when providers last answered, and who.
fetches = Table(
    "fetches",
    metadata,
    Column("symbol", String(32), nullable=False),
    Column("timeframe", String(4), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("resampled_from", String(4), nullable=True),
    PrimaryKeyConstraint("symbol", "timeframe"),
)

Index("ix_bars_symbol_tf_time_desc", bars.c.symbol, bars.c.timeframe, bars.c.time.desc())


def make_engine(url: str, **kw: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


def upsert(engine: Engine, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT that supports ON CONFLICT (SQLite and PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    if engine.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {engine.dialect.name!r}")


def upsert_bars(engine: Engine, conn: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    insert = upsert(engine, bars)
    stmt: Insert = insert.on_conflict_do_update(
        index_elements=["symbol", "timeframe", "time"],
        set_={
            c: getattr(insert.excluded, c)
            for c in ("open", "high", "low", "close", "volume", "provider")
        },
    )
    # Chunk to stay under SQLite's bound-parameter limit.
    for i in range(0, len(rows), 2000):
        conn.execute(stmt, rows[i : i + 2000])
