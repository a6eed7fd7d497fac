"""Test databases, migrated once per test process and copied for each test.

SQLite: the migrated file is copied (a fraction of a millisecond). PostgreSQL (with
TEST_DATABASE_URL): a migrated template database is cloned with `CREATE DATABASE … TEMPLATE`
for each test and dropped after it. The database named by TEST_DATABASE_URL is only used to
run those statements, so several test processes (pytest -n) never share a database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from itertools import count
from pathlib import Path

from app.db.migrate import upgrade

TEMPLATE_PREFIX = "creneau_tpl_"
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
                    "SELECT datname FROM pg_database WHERE datname LIKE 'creneau\\_t%'"
                )
            ]
            for name in names:
                pid = name.removeprefix(TEMPLATE_PREFIX).removeprefix(DATABASE_PREFIX)
                pid = pid.split("_", 1)[0]
                if pid.isdigit() and not _process_alive(int(pid)):
                    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(run())


class PostgresDatabases:
    """A migrated template for this process, and one clone of it per test."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.pid = os.getpid()
        self.template = f"{TEMPLATE_PREFIX}{self.pid}"
        self._numbers = count(1)

    def create_template(self) -> None:
        drop_stale_postgres_databases(self.admin_url)
        _run_sql(
            self.admin_url,
            f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)',
            f'CREATE DATABASE "{self.template}"',
        )
        upgrade(_with_database(self.admin_url, self.template))

    def clone(self) -> tuple[str, str]:
        """A new database copied from the template: (its name, its URL)."""
        name = f"{DATABASE_PREFIX}{self.pid}_{next(self._numbers)}"
        _run_sql(self.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name, _with_database(self.admin_url, name)

    def empty(self) -> tuple[str, str]:
        """A new empty database: (its name, its URL)."""
        name = f"{DATABASE_PREFIX}{self.pid}_{next(self._numbers)}"
        _run_sql(self.admin_url, f'CREATE DATABASE "{name}"')
        return name, _with_database(self.admin_url, name)

    def drop(self, name: str) -> None:
        _run_sql(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_template(self) -> None:
        self.drop(self.template)
