"""A large calendar is imported without making citizens wait: it is parsed and expanded
outside any write transaction and written in short batches, so a booking written while an
import parses goes through at once (SQLite has one writer at a time)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.calendar_sync import busy, importer
from app.calendar_sync.importer import sync_connection
from app.db.models import BlockedInterval, CalendarObject
from tests.calendar.bookings import make_booking
from tests.calendar.conftest import connect_desk, run
from tests.calendar.ics_text import absence
from tests.calendar.test_import import TUESDAY
from tests.days import at
from tests.instant import FIXED_NOW


def sqlite_path(settings) -> str:
    prefix = "sqlite+aiosqlite:///"
    if not settings.database_url.startswith(prefix):
        pytest.skip("SQLite's single writer is what this checks (PostgreSQL locks rows)")
    return settings.database_url.removeprefix(prefix)


async def _count(db, model) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count(model.id)))).scalar_one()


def test_a_booking_is_written_while_a_large_calendar_is_being_parsed(
    calendar_settings, caldav_server, monkeypatch
):
    settings = calendar_settings
    path = sqlite_path(settings)
    calendar = caldav_server.new_calendar()
    # Batches of two objects stand for batches of 200, so that a few events make several.
    monkeypatch.setattr(importer, "WRITE_BATCH", 2, raising=False)
    monkeypatch.setattr(importer, "MULTIGET_BATCH", 2, raising=False)
    events = 5
    for n in range(events):
        start = at(TUESDAY, 8) + timedelta(days=7 * n)
        event = absence(f"e{n}", start, start + timedelta(minutes=10))
        caldav_server.put_raw(calendar, f"e{n}.ics", event)
    connection_id = connect_desk(settings, caldav_server, read=[calendar])
    booking_id = make_booking(settings, TUESDAY, 15)

    real_periods = busy.busy_periods
    written: list[str] = []

    def a_citizen_books_meanwhile(*args, **kwargs):
        if not written:  # the first object being parsed: a citizen's booking is written now
            with sqlite3.connect(path, timeout=0.5, isolation_level=None) as connection:
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    connection.execute(
                        "UPDATE booking SET phone = '+33600000000' WHERE id = ?", (booking_id,)
                    )
                    connection.execute("COMMIT")
                    written.append("ok")
                except sqlite3.OperationalError as problem:  # "database is locked"
                    written.append(str(problem))
        return real_periods(*args, **kwargs)

    monkeypatch.setattr(busy, "busy_periods", a_citizen_books_meanwhile)
    report = run(sync_connection, settings, settings, connection_id, FIXED_NOW)
    assert report.ok and report.changed == events
    assert written == ["ok"]
    assert run(_count, settings, CalendarObject) == events
    assert run(_count, settings, BlockedInterval) == events
