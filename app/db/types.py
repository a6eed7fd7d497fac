"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as naive UTC (SQLite has no time zones) and returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class epoch_seconds(FunctionElement[int]):  # an SQL function, named like one
    """A `UTCDateTime` column as whole seconds since the epoch, computed by the database:
    rows read this way cost no `datetime` per value (the availability engine's instants).
    Rounded down, as `int(moment.timestamp())` is for instants after 1970."""

    type = BigInteger()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as the text "YYYY-MM-DD HH:MM:SS.ffffff" of the UTC instant (see above); the
    # fraction is cut off first, as strftime would round it (to milliseconds, then up).
    column = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # A `timestamp without time zone` holding UTC: its epoch is read as UTC.
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


class epoch_seconds_up(epoch_seconds):
    """`epoch_seconds`, rounded up: for a bound that must never come early."""

    name = "epoch_seconds_up"
    inherit_cache = True


@compiles(epoch_seconds_up, "sqlite")
def _epoch_seconds_up_sqlite(element: epoch_seconds_up, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    whole = f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"
    return f"({whole} + (CAST(substr({column}, 21) AS INTEGER) > 0))"


@compiles(epoch_seconds_up, "postgresql")
def _epoch_seconds_up_postgresql(
    element: epoch_seconds_up, compiler: SQLCompiler, **kw: Any
) -> str:
    return f"CAST(ceil(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"
