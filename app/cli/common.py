"""What the sub-commands share: migrating first, running async work on a database, and the
application's clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.clock import Clock, clock_for
from app.db.session import Database
from app.settings import Settings

T = TypeVar("T")


def migrate(settings: Settings) -> None:
    """Brings the schema up to date (never inside a running event loop)."""
    from app.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)


def clock(settings: Settings) -> Clock:
    return clock_for(settings.frozen_now)


def run_with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Migrates the database, then runs `work(db)` in a new event loop."""
    migrate(settings)

    async def go() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())
