"""Engines and sessions.

Reads and writes use separate engines on SQLite: write transactions start with
`BEGIN IMMEDIATE`, so two writers queue on SQLite's own lock instead of failing halfway
with "database is locked"; reads stay concurrent thanks to WAL.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Delete, Update, event
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.db.reference_version import SLOT, ReferenceSlot, TrackedSession

log = logging.getLogger("creneau.db")

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_POOL_CAPACITY = 15  # SQLAlchemy's default pool: 5 connections + 10 overflow
POSTGRES_POOL_SIZE = 10
POSTGRES_POOL_OVERFLOW = 20
# Every engine hides query parameters from its errors: they carry citizens' personal data,
# and errors end up in logs.


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def safe_concurrency(url: str) -> int:
    """How many requests may use this database at once without waiting in a pool (a few
    connections stay free for the outbox worker)."""
    if url.startswith("sqlite"):
        return SQLITE_POOL_CAPACITY - 5
    return POSTGRES_POOL_SIZE + POSTGRES_POOL_OVERFLOW - 5


async def changed_rows(session: AsyncSession, statement: Update | Delete) -> int:
    """Runs an UPDATE or DELETE and says how many rows it changed."""
    result = await session.execute(statement)
    # `Session.execute` is typed as returning a `Result`; for UPDATE and DELETE it is a
    # `CursorResult`, the one that has the count (SQLAlchemy's `Query.update` relies on it).
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no row count")
    return result.rowcount


AfterCommit = Callable[["Database"], Awaitable[None]]
_AFTER_COMMIT = "creneau.after_commit"


# Set by `after_commit_deferred`: where callbacks wait for the end of the request.
_deferred: ContextVar[list[tuple[Database, AfterCommit]] | None] = ContextVar(
    "creneau_after_commit_deferred", default=None
)


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Runs `callback` once the transaction of `Database.write()` that `session` belongs to
    has committed, after its locks are released (never when it rolls back), or, inside
    `after_commit_deferred`, when that block ends. The callback must leave a trace in the
    transaction that lets a worker redo its job (an outbox row): a process can die between
    the commit and the callback."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@asynccontextmanager
async def after_commit_deferred() -> AsyncIterator[None]:
    """Within the block, what `after_commit` registers runs when the block ends (for a
    request: once its response is sent), in order, even if the block raised."""
    pending: list[tuple[Database, AfterCommit]] = []
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
        for db, callback in pending:
            await _run_after_commit(db, callback)


async def _run_after_commit(db: Database, callback: AfterCommit) -> None:
    try:
        await callback(db)
    except Exception:
        # Committed all the same; the trace left in the transaction lets a worker redo it.
        log.exception("après validation : %s en échec", callback)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.read_engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        else:
            self.read_engine = self.write_engine = create_async_engine(
                url,
                pool_size=POSTGRES_POOL_SIZE,
                max_overflow=POSTGRES_POOL_OVERFLOW,
                pool_recycle=3600,
                # A connection is checked (one round trip) before each use: after a server
                # restart the pool's connections are all dead, and the first request must
                # not be the one to find out. A dead one found makes the pool drop the
                # older ones with it.
                pool_pre_ping=True,
                hide_parameters=True,
            )
        # What this database's sessions cached from the reference tables (one copy for
        # reads and writes); their changes are noticed by TrackedSession's events.
        self.reference_slot = ReferenceSlot()
        self._reader = self._sessions(self.read_engine)
        self._writer = self._sessions(self.write_engine)

    def _sessions(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(
            engine,
            expire_on_commit=False,
            sync_session_class=TrackedSession,
            info={SLOT: self.reference_slot},
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on any exception;
        then the callbacks registered with `after_commit`, in order."""
        async with self._writer() as session:
            async with session.begin():
                yield session
            callbacks: list[AfterCommit] = session.info.pop(_AFTER_COMMIT, [])
        pending = _deferred.get()
        for callback in callbacks:
            if pending is not None:
                pending.append((self, callback))
            else:
                await _run_after_commit(self, callback)

    async def dispose(self) -> None:
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()
