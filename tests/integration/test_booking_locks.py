"""What a hold or a confirmation locks, and what happens after its commit, against the real
database (SQLite, and PostgreSQL in `make test-postgres`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.catalogue import get_type
from app.booking.drafts import DraftStore
from app.booking.locking import local_days
from app.booking.planning import WeekPlanner, monday_of
from app.booking.service import Confirmed, Held, confirm, hold
from app.db.models import AppointmentType, Booking, OutboxMessage, SlotHold
from app.db.session import Database
from app.demo import load_demo
from app.notifications.events import COMPOSE, COMPOSE_GRACE, compose_channel
from app.outbox.worker import Worker
from app.settings import Settings
from tests.conftest import FIXED_NOW
from tests.days import TODAY
from tests.integration.helpers import answered_draft

URBANISM = "urbanisme-permis"  # two desks, one person per desk and slot


class DiesAfterCommit(Database):
    """A process that dies right after each commit: nothing registered to run after the
    commit runs."""

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        async with self._writer() as session:
            async with session.begin():
                yield session
            session.info.clear()


def _settings(url: str) -> Settings:
    return Settings(data_dir=Path("unused"), database_url=url, secret_key="k")


async def _type_and_first_slot(db: Database, slug: str) -> tuple[AppointmentType, str]:
    async with db.read() as session:
        appointment_type = (
            await session.execute(select(AppointmentType).where(AppointmentType.slug == slug))
        ).scalar_one()
        loaded = await get_type(session, appointment_type.id)
        assert loaded is not None
        first = await WeekPlanner(session, loaded, 1, FIXED_NOW).first_free_slot()
    assert first is not None
    return loaded, first.start.isoformat()


async def _draft(db: Database, type_id: int, slot_start: str, n: int = 1) -> int:
    _, draft = await DraftStore(db, timedelta(hours=1)).create(
        answered_draft(type_id, n, slot_start), FIXED_NOW
    )
    return draft.id


async def _confirm(db: Database, draft_id: int, url: str) -> object:
    return await confirm(
        db,
        draft_id,
        FIXED_NOW,
        uid_domain="test.invalid",
        keep_draft_until=FIXED_NOW + timedelta(hours=1),
        settings=_settings(url),
    )


async def _outbox(db: Database) -> list[tuple[str, str]]:
    async with db.read() as session:
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        return [(row.channel, row.kind) for row in rows]


def test_a_confirmation_whose_process_died_before_its_email_is_told_by_the_worker(
    database_url,
):
    async def scenario():
        db = DiesAfterCommit(database_url)
        try:
            await load_demo(db, TODAY)
            ccas, start = await _type_and_first_slot(db, "ccas-aide-sociale")
            result = await _confirm(db, await _draft(db, ccas.id, start), database_url)
            assert isinstance(result, Confirmed)
            # The booking is there, and so is the promise to tell the citizen.
            assert await _outbox(db) == [(COMPOSE, "booking_confirmed")]

            def worker_at(offset: timedelta) -> Worker:
                channels = {COMPOSE: compose_channel(db, _settings(database_url))}
                return Worker(db, channels, lambda: FIXED_NOW + offset)

            # The worker leaves it to the request for a moment…
            assert await worker_at(timedelta(0)).deliver_due() == 0
            # … then does it itself: the e-mail is composed, the promise is gone.
            assert await worker_at(COMPOSE_GRACE).deliver_due() == 1
            assert await _outbox(db) == [("email", "booking_confirmed")]
            async with db.read() as session:
                email = (await session.execute(select(OutboxMessage))).scalar_one()
            assert email.payload["to"] == "citoyen1@example.org"
            assert "Citoyen1" in email.payload["message"]
        finally:
            await db.dispose()

    asyncio.run(scenario())


def test_a_confirmation_composes_its_email_after_the_commit_in_the_same_call(database_url):
    async def scenario():
        db = Database(database_url)
        try:
            await load_demo(db, TODAY)
            ccas, start = await _type_and_first_slot(db, "ccas-aide-sociale")
            result = await _confirm(db, await _draft(db, ccas.id, start), database_url)
            assert isinstance(result, Confirmed)
            assert await _outbox(db) == [("email", "booking_confirmed")]
        finally:
            await db.dispose()

    asyncio.run(scenario())


def test_a_refused_pick_keeps_the_slot_the_draft_held(database_url):
    async def scenario():
        db = Database(database_url)
        try:
            await load_demo(db, TODAY)
            ccas, start = await _type_and_first_slot(db, "ccas-aide-sociale")
            first, second = await _draft(db, ccas.id, start, 1), await _draft(db, ccas.id, start, 2)
            async with db.read() as session:
                planner = WeekPlanner(session, ccas, 1, FIXED_NOW)
                monday = week_of(start)
                later = [
                    *(await planner.week_slots(monday)),
                    *(await planner.week_slots(monday + timedelta(days=7))),
                ]
            other_start = next(s.start for s in later if s.start.isoformat() != start)
            keep = FIXED_NOW + timedelta(hours=1)
            state = answered_draft(ccas.id, 2, other_start.isoformat())
            assert isinstance(await hold(db, second, state, FIXED_NOW, keep_draft_until=keep), Held)
            # The first citizen takes the only desk at `start`; the second then picks it too.
            assert isinstance(await _confirm(db, first, database_url), Confirmed)
            refused = await hold(
                db, second, {**state, "slot_start": start}, FIXED_NOW, keep_draft_until=keep
            )
            assert not isinstance(refused, Held)
            async with db.read() as session:
                holds = (await session.execute(select(SlotHold))).scalars().all()
            assert [(h.draft_id, h.start) for h in holds] == [(second, other_start)]
        finally:
            await db.dispose()

    asyncio.run(scenario())


def week_of(start: str) -> date:
    return monday_of(datetime.fromisoformat(start).date())


def test_a_confirmation_locks_only_the_desk_it_books(database_url):
    """While another transaction holds every other desk of the type (their rows and their
    day's locks), a confirmation on the desk its hold kept goes through."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time: there is nothing to lock")

    async def scenario():
        db = Database(database_url)
        blocker = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await load_demo(db, TODAY)
            urbanism, start = await _type_and_first_slot(db, URBANISM)
            draft_id = await _draft(db, urbanism.id, start)
            state = answered_draft(urbanism.id, 1, start)
            keep = FIXED_NOW + timedelta(hours=1)
            assert isinstance(
                await hold(db, draft_id, state, FIXED_NOW, keep_draft_until=keep), Held
            )
            async with db.read() as session:
                held_desk = (await session.execute(select(SlotHold.desk_id))).scalar_one()
            others = [desk.id for desk in urbanism.desks if desk.id != held_desk]
            assert others  # the type has two desks
            begins = datetime.fromisoformat(start)
            days = local_days(begins, begins + timedelta(minutes=30), ZoneInfo("Europe/Paris"))
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("SELECT id FROM desk WHERE id = ANY($1) FOR UPDATE", others)
            for desk_id in others:
                for day in days:
                    await blocker.execute("SELECT pg_advisory_xact_lock($1, $2)", desk_id, day)

            result = await asyncio.wait_for(_confirm(db, draft_id, database_url), timeout=30)
            await transaction.rollback()
            assert isinstance(result, Confirmed)
            async with db.read() as session:
                booked = (await session.execute(select(Booking.desk_id))).scalar_one()
            assert booked == held_desk
        finally:
            await blocker.close()
            await db.dispose()

    asyncio.run(scenario())
