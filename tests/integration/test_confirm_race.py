"""Booking integrity under concurrency, against the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.booking.drafts import DraftStore
from app.booking.service import Confirmed, SlotTaken, confirm
from app.db.models import AppointmentType, Booking
from app.db.session import Database
from app.demo import load_demo
from app.settings import Settings
from tests.conftest import FIXED_NOW
from tests.days import TODAY, TUESDAY, open_day, slot
from tests.integration.helpers import answered_draft

SLOT = slot(open_day(TUESDAY), 10)  # a Tuesday of the booking window, 10:00 in Paris


async def _setup(url: str, drafts_count: int) -> tuple[Database, DraftStore, list[int], int]:
    db = Database(url)
    await load_demo(db, TODAY)
    async with db.read() as session:
        ccas = (
            await session.execute(
                select(AppointmentType.id).where(AppointmentType.slug == "ccas-aide-sociale")
            )
        ).scalar_one()
    store = DraftStore(db, timedelta(hours=1))
    ids = []
    for n in range(drafts_count):
        _, draft = await store.create(answered_draft(ccas, n, SLOT), FIXED_NOW)
        ids.append(draft.id)
    return db, store, ids, ccas


async def _count_bookings(db: Database) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count(Booking.id)))).scalar_one()


def _confirm_concurrently(database_url: str, drafts: int, attempts_per_draft: int):
    """Every attempt at once, each on its own connection; returns the results and how many
    bookings the database holds afterwards."""

    async def scenario():
        db, _store, ids, _ = await _setup(database_url, drafts)
        try:
            attempts = [d for d in ids for _ in range(attempts_per_draft)]
            results = await asyncio.gather(
                *(
                    confirm(
                        db,
                        draft_id,
                        FIXED_NOW,
                        uid_domain="test.invalid",
                        keep_draft_until=FIXED_NOW + timedelta(hours=1),
                        settings=Settings(
                            data_dir=Path("unused"), database_url=database_url, secret_key="k"
                        ),
                    )
                    for draft_id in attempts
                )
            )
            return results, await _count_bookings(db)
        finally:
            await db.dispose()

    return asyncio.run(scenario())


def test_twenty_citizens_one_place_exactly_one_booking(database_url):
    results, bookings = _confirm_concurrently(database_url, drafts=20, attempts_per_draft=1)
    assert sum(isinstance(r, Confirmed) for r in results) == 1
    assert sum(isinstance(r, SlotTaken) for r in results) == 19
    assert bookings == 1


def test_replayed_confirm_makes_one_booking(database_url):
    results, bookings = _confirm_concurrently(database_url, drafts=1, attempts_per_draft=10)
    assert all(isinstance(r, Confirmed) for r in results)
    assert len({r.booking_id for r in results}) == 1
    assert sum(not r.replay for r in results) == 1
    assert bookings == 1
