"""Moves and cancellations at the same moment, against the real database (SQLite or
PostgreSQL): each attempt on its own connection, all at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from app.booking import changes
from app.booking.changes import Cancelled, ChangeRefused
from app.booking.drafts import DraftStore
from app.booking.links import LinkClaim, LinkState
from app.booking.service import Confirmed, SlotTaken, confirm
from app.db.models import AppointmentType
from app.db.session import Database
from app.demo import load_demo
from tests.conftest import FIXED_NOW
from tests.days import TODAY, TUESDAY, open_day, slot
from tests.integration.helpers import answered_draft

# Four CCAS slots of a Tuesday morning in the booking window (Paris time).
SLOTS = [slot(open_day(TUESDAY), hour, minute) for hour in (10, 11) for minute in (0, 30)]
LATER = FIXED_NOW + timedelta(hours=1)


async def _book(db: Database, store: DraftStore, n: int, slot: str, settings):
    async with db.read() as session:
        ccas = (
            await session.execute(
                select(AppointmentType.id).where(AppointmentType.slug == "ccas-aide-sociale")
            )
        ).scalar_one()
    _, draft = await store.create(answered_draft(ccas, n, slot), FIXED_NOW)
    result = await confirm(
        db,
        draft.id,
        FIXED_NOW,
        uid_domain="test.invalid",
        keep_draft_until=LATER,
        settings=settings,
    )
    assert isinstance(result, Confirmed)
    return await changes.find_booking(db, result.booking_id)


async def _modification(store: DraftStore, booking, slot: str) -> int:
    _, draft = await store.create(
        {**changes.modification_state(booking), "slot_start": slot}, FIXED_NOW
    )
    return draft.id


def _run(database_url, scenario):
    async def main():
        db = Database(database_url)
        await load_demo(db, TODAY)
        try:
            return await scenario(db, DraftStore(db, timedelta(hours=1)))
        finally:
            await db.dispose()

    return asyncio.run(main())


def _move(db, draft_id, settings):
    return changes.move(db, draft_id, FIXED_NOW, settings=settings, keep_draft_until=LATER)


def test_ten_tabs_moving_one_booking_move_it_once(database_url, settings):
    async def scenario(db, store):
        booking = await _book(db, store, 0, SLOTS[0], settings)
        drafts = [await _modification(store, booking, SLOTS[1 + n % 3]) for n in range(10)]
        results = await asyncio.gather(*(_move(db, d, settings) for d in drafts))
        return results, await changes.find_booking(db, booking.id)

    results, booking = _run(database_url, scenario)
    assert sum(isinstance(r, Confirmed) for r in results) == 1
    assert all(
        r == ChangeRefused(LinkState.SUPERSEDED) for r in results if not isinstance(r, Confirmed)
    )
    assert booking.sequence == 1


def test_a_move_and_a_cancel_at_once_one_wins_cleanly(database_url, settings):
    async def scenario(db, store):
        outcomes = []
        for round_ in range(4):
            booking = await _book(db, store, round_, SLOTS[round_], settings)
            draft_id = await _modification(store, booking, SLOTS[(round_ + 1) % 4])
            claim = LinkClaim(booking.id, booking.sequence, "cancel")
            moved, cancelled = await asyncio.gather(
                _move(db, draft_id, settings),
                changes.cancel(db, claim, FIXED_NOW, settings=settings),
            )
            outcomes.append((booking, moved, cancelled, await changes.find_booking(db, booking.id)))
            if isinstance(cancelled, ChangeRefused):  # free the slot for the next round
                await changes.cancel(
                    db, LinkClaim(booking.id, 1, "cancel"), FIXED_NOW, settings=settings
                )
        return outcomes

    for before, moved, cancelled, after in _run(database_url, scenario):
        assert isinstance(moved, Confirmed) != isinstance(cancelled, Cancelled)
        assert after.sequence == 1
        if isinstance(cancelled, Cancelled):
            assert moved == ChangeRefused(LinkState.CANCELLED)
            assert (after.status, after.start) == ("cancelled", before.start)
        else:
            assert cancelled == ChangeRefused(LinkState.SUPERSEDED)
            assert after.status == "confirmed"
            assert after.start != before.start


def test_a_repeated_cancel_cancels_once(database_url, settings):
    async def scenario(db, store):
        booking = await _book(db, store, 0, SLOTS[0], settings)
        claim = LinkClaim(booking.id, booking.sequence, "cancel")
        results = await asyncio.gather(
            *(changes.cancel(db, claim, FIXED_NOW, settings=settings) for _ in range(8))
        )
        return results, await changes.find_booking(db, booking.id)

    results, booking = _run(database_url, scenario)
    assert all(isinstance(r, Cancelled) for r in results)
    assert sum(not r.replay for r in results) == 1
    assert (booking.status, booking.sequence) == ("cancelled", 1)


def test_two_bookings_moving_to_the_last_place_only_one_gets_it(database_url, settings):
    async def scenario(db, store):
        first = await _book(db, store, 0, SLOTS[0], settings)
        second = await _book(db, store, 1, SLOTS[1], settings)
        drafts = [
            await _modification(store, booking, SLOTS[2])
            for booking in (first, second)
            for _ in range(3)
        ]
        results = await asyncio.gather(*(_move(db, d, settings) for d in drafts))
        return results, [await changes.find_booking(db, b.id) for b in (first, second)]

    results, after = _run(database_url, scenario)
    assert sum(isinstance(r, Confirmed) for r in results) == 1
    # The winner's other tabs find it moved; the other booking's tabs find the place gone.
    assert sum(r == ChangeRefused(LinkState.SUPERSEDED) for r in results) == 2
    assert sum(isinstance(r, SlotTaken) for r in results) == 3
    starts = [b.start for b in after]
    assert len(set(starts)) == 2  # never two bookings on the one place
    assert sorted(b.sequence for b in after) == [0, 1]
