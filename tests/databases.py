"""Test databases, migrated once per test process, fresh for each test.

SQLite: the migrated file is copied for each test (a fraction of a millisecond).
PostgreSQL (with TEST_DATABASE_URL): each test process migrates a database of its own once,
and empties it before each test. The database named by TEST_DATABASE_URL is only used to
create and drop those, so several test processes (pytest -n) never share a database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from itertools import count
from pathlib import Path

from app.db.migrate import upgrade

DATABASE_PREFIX = "creneau_t_"


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def migrated_sqlite_file(folder: Path) -> Path:
    """A database file migrated to head, its write-ahead log folded in (copyable alone)."""
    path = folder / "template.db"
    upgrade(sqlite_url(path))
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    return path


def copy_sqlite(template: Path, folder: Path) -> str:
    target = folder / "creneau.db"
    shutil.copyfile(template, target)
    return sqlite_url(target)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _run_sql(url: str, *statements: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(_dsn(url))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale_postgres_databases(admin_url: str) -> None:
    """Databases left by test processes that died (a killed run): their pid is in the name."""
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(_dsn(admin_url))
        try:
            names = [
                row["datname"]
                for row in await connection.fetch(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'creneau\\_t\\_%'"
                )
            ]
            for name in names:
                pid = name.removeprefix(DATABASE_PREFIX).split("_", 1)[0]
                if pid.isdigit() and not _process_alive(int(pid)):
                    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(run())


class PostgresDatabases:
    """One database for this test process, migrated once and emptied before each test.

    Emptying (every row deleted, every sequence restarted, in one transaction) takes a few
    tens of milliseconds; cloning a template costs ten times more, because PostgreSQL copies
    the whole database, system catalogues included, through its write-ahead log."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.pid = os.getpid()
        self.name = f"{DATABASE_PREFIX}{self.pid}"
        self.url = _with_database(admin_url, self.name)
        self._numbers = count(1)
        self._empty_all = ""

    def create(self) -> None:
        drop_stale_postgres_databases(self.admin_url)
        _run_sql(
            self.admin_url,
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
            f'CREATE DATABASE "{self.name}"',
        )
        upgrade(self.url)
        self._empty_all = asyncio.run(self._emptying_statement())

    async def _emptying_statement(self) -> str:
        import asyncpg

        connection = await asyncpg.connect(_dsn(self.url))
        try:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
            sequences = await connection.fetch(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
            )
        finally:
            await connection.close()
        return "; ".join(
            [
                # Foreign keys are enforced by triggers, which the replica role skips: the
                # rows can go in any order.
                "SET LOCAL session_replication_role = replica",
                *(f'DELETE FROM "{row["tablename"]}"' for row in tables),
                *(f'ALTER SEQUENCE "{row["sequencename"]}" RESTART' for row in sequences),
                # The one row the migrations put there (app.db.reference_version), with a
                # token of its own.
                "INSERT INTO reference_version (id, version) VALUES (1, md5(random()::text))",
            ]
        )

    def fresh(self) -> str:
        """The process's database, emptied (its schema at head), for the next test. The
        connections a previous test left open are closed first."""
        import asyncpg

        async def run() -> None:
            connection = await asyncpg.connect(_dsn(self.url))
            try:
                await connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                async with connection.transaction():
                    await connection.execute(self._empty_all)
            finally:
                await connection.close()

        asyncio.run(run())
        return self.url

    def empty(self) -> tuple[str, str]:
        """A new database without any table: (its name, its URL)."""
        name = f"{DATABASE_PREFIX}{self.pid}_{next(self._numbers)}"
        _run_sql(self.admin_url, f'CREATE DATABASE "{name}"')
        return name, _with_database(self.admin_url, name)

    def drop(self, name: str | None = None) -> None:
        _run_sql(self.admin_url, f'DROP DATABASE IF EXISTS "{name or self.name}" WITH (FORCE)')
