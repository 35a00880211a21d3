"""Database plumbing: the declarative base, engine and sessionmaker, migrations."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(database_url: str, *, for_writing: bool = True) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(database_url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(
            engine.sync_engine,
            "begin",
            _sqlite_begin_immediate if for_writing else _sqlite_begin_deferred,
        )
        return engine
    return create_async_engine(database_url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # pysqlite's own transaction handling is turned off so that "begin" below decides;
    # WAL lets readers go on while one writer writes.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the
    # process loses nothing; a power cut may lose the last commits (SQLite's advice for
    # WAL). PostgreSQL is the choice where that matters.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: object) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two transactions that read then
    # write wait for each other instead of failing with "database is locked" halfway.
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def _sqlite_begin_deferred(conn: object) -> None:
    # Readers: a WAL snapshot, no lock that would hold up the writers.
    conn.exec_driver_sql("BEGIN")  # type: ignore[attr-defined]


class SplitSessions(async_sessionmaker[AsyncSession]):
    """SQLite: `sessions()` reads on a connection that takes no write lock, while
    `sessions.begin()` (every write in this code base) takes the write lock up front.
    Without the split every request, even one that only reads who is signed in, would
    queue for SQLite's single write lock."""

    def __init__(self, reader: AsyncEngine, writer: AsyncEngine) -> None:
        super().__init__(reader, expire_on_commit=False)
        self._writer: async_sessionmaker[AsyncSession] = async_sessionmaker(
            writer, expire_on_commit=False
        )

    def begin(self) -> Any:
        return self._writer.begin()


def make_sessionmaker(
    engine: AsyncEngine, reader: AsyncEngine | None = None
) -> async_sessionmaker[AsyncSession]:
    if reader is not None:
        return SplitSessions(reader, engine)
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session
