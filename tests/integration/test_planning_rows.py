"""The availability engine's database adapter (`planning.build_query`) on the real database,
SQLite or PostgreSQL: instants read as epoch seconds by SQL, identical occupations summed,
and the same free slots as when every row was read as objects with aware datetimes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from app.booking.availability import Blocked, Occupation, first_free_slot, free_slots
from app.booking.catalogue import get_type
from app.booking.planning import (
    ACTIVE_STATUSES,
    CANCELLED,
    WeekPlanner,
    build_query,
    read_blocked,
    read_occupations,
)
from app.db.models import (
    AppointmentType,
    BlockedInterval,
    Booking,
    Draft,
    SlotHold,
)
from app.db.session import Database
from app.db.types import epoch_seconds
from app.demo import load_demo
from tests.conftest import FIXED_NOW
from tests.days import TODAY, TUESDAY, at, open_day

DAY = open_day(TUESDAY)
URBANISM = "urbanisme-permis"  # two desks
MARRIAGE = "mariage-pacs"
CCAS = "ccas-aide-sociale"  # one desk


def booking(n: int, type_id: int, desk_id: int, start: datetime, minutes: int = 30, **kw: Any):
    return {
        "reference": f"ROWS{n:04d}",
        "uid": f"rows-{n}@test.invalid",
        "sequence": 0,
        "status": "confirmed",
        "type_id": type_id,
        "desk_id": desk_id,
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "people": 1,
        "last_name": "Martin",
        "first_name": f"Client {n}",
        "email": f"client{n}@example.org",
        "phone": "+33612345678",
        "extra": {},
        "idempotency_key": f"rows-{n}",
        "created_at": FIXED_NOW,
        "by_staff": False,
        "cancelled_by_staff": False,
        **kw,
    }


async def _fill(db: Database) -> dict[str, Any]:
    """A busy Tuesday on the two urbanism desks: duplicates, another type, staff bookings,
    cancellations cooling down or not, holds live or not, absences; some instants with a
    fraction of a second."""
    await load_demo(db, TODAY)
    async with db.write() as session:
        ids = {
            slug: (
                await session.execute(
                    select(AppointmentType.id).where(AppointmentType.slug == slug)
                )
            ).scalar_one()
            for slug in (URBANISM, MARRIAGE)
        }
        urbanism = await get_type(session, ids[URBANISM])
        desks = sorted(desk.id for desk in urbanism.desks)
        await session.execute(
            update(AppointmentType)
            .where(AppointmentType.id == urbanism.id)
            .values(cooldown_minutes=30)
        )
        u, m = urbanism.id, ids[MARRIAGE]
        odd = timedelta(microseconds=999_999)
        rows = [
            booking(1, u, desks[0], at(DAY, 9)),
            booking(2, u, desks[0], at(DAY, 9)),  # the same occupation again
            booking(3, u, desks[0], at(DAY, 9, 30), people=2, by_staff=True),
            booking(4, u, desks[1], at(DAY, 10)),
            booking(5, m, desks[1], at(DAY, 10, 30)),  # another type on the desk
            booking(6, u, desks[1], at(DAY, 14), status="cancelled", cancelled_at=FIXED_NOW),
            booking(
                7,
                u,
                desks[0],
                at(DAY, 15),
                status="cancelled",
                cancelled_at=FIXED_NOW - timedelta(minutes=30) + odd,  # cools 1 s more
            ),
            booking(
                11,
                u,
                desks[1],
                at(DAY, 15),
                status="cancelled",
                cancelled_at=FIXED_NOW - timedelta(minutes=30, microseconds=1),  # cooled
            ),
            booking(
                8,
                u,
                desks[0],
                at(DAY, 15, 30),
                status="cancelled",
                cancelled_at=FIXED_NOW,
                cancelled_by_staff=True,
            ),
            booking(9, u, desks[1], at(DAY, 16) + odd, minutes=20),
            booking(10, u, desks[0], at(DAY + timedelta(days=1), 9)),  # outside the day
        ]
        await session.execute(insert(Booking), rows)
        drafts = [
            Draft(
                token_hash=f"{n:064d}",
                data={},
                created_at=FIXED_NOW,
                expires_at=FIXED_NOW + timedelta(hours=1),
            )
            for n in range(3)
        ]
        session.add_all(drafts)
        await session.flush()
        for draft, start, expires in (
            (drafts[0], at(DAY, 11), FIXED_NOW + timedelta(minutes=5)),  # the asker's own
            (drafts[1], at(DAY, 11), FIXED_NOW + timedelta(minutes=5)),
            (drafts[2], at(DAY, 11, 30), FIXED_NOW - timedelta(seconds=1)),  # expired
        ):
            session.add(
                SlotHold(
                    draft_id=draft.id,
                    type_id=u,
                    desk_id=desks[1],
                    start=start,
                    end=start + timedelta(minutes=30),
                    people=1,
                    expires_at=expires,
                )
            )
        session.add_all(
            [
                BlockedInterval(
                    desk_id=desks[0], start=at(DAY, 13, 30) + odd, end=at(DAY, 14, 15) + odd
                ),
                BlockedInterval(desk_id=desks[1], start=at(DAY, 8), end=at(DAY, 8, 45)),
            ]
        )
    return {"type_id": urbanism.id, "desks": desks, "own_draft": drafts[0].id}


async def _as_objects(session: Any, query: Any, draft_id: int) -> Any:
    """The same query with its occupations and absences read as objects with aware
    datetimes, as the adapter did before it read rows of epoch seconds."""
    span_start = at(query.first_day, 0) - timedelta(days=1)
    span_end = at(query.last_day, 0) + timedelta(days=2)
    desks = query.desk_ids
    blocked = (
        await session.execute(
            select(BlockedInterval).where(
                BlockedInterval.desk_id.in_(desks),
                BlockedInterval.end > span_start,
                BlockedInterval.start < span_end,
            )
        )
    ).scalars()
    bookings = (
        await session.execute(
            select(Booking).where(
                Booking.desk_id.in_(desks), Booking.end > span_start, Booking.start < span_end
            )
        )
    ).scalars()
    holds = (
        await session.execute(
            select(SlotHold).where(
                SlotHold.desk_id.in_(desks),
                SlotHold.expires_at > FIXED_NOW,
                SlotHold.draft_id != draft_id,
            )
        )
    ).scalars()
    occupations = []
    for b in bookings:
        cooling = (
            b.status == CANCELLED
            and not b.cancelled_by_staff
            and b.type_id == query.rules.type_id  # the only type with a cool-down: 30 min
            and b.cancelled_at + timedelta(minutes=30) > FIXED_NOW
        )
        if b.status in ACTIVE_STATUSES or cooling:
            by_staff = b.by_staff and b.status in ACTIVE_STATUSES
            occupations.append(Occupation(b.desk_id, b.start, b.end, b.people, b.type_id, by_staff))
    occupations += [Occupation(h.desk_id, h.start, h.end, h.people, h.type_id) for h in holds]
    return replace(
        query,
        occupations=tuple(occupations),
        blocked=tuple(Blocked(b.desk_id, b.start, b.end) for b in blocked),
    )


@pytest.mark.parametrize("capacity", [1, 3])
def test_rows_of_epoch_seconds_give_the_slots_that_objects_gave(database_url, capacity):
    async def scenario() -> None:
        db = Database(database_url)
        try:
            world = await _fill(db)
            async with db.write() as session:
                await session.execute(
                    update(AppointmentType)
                    .where(AppointmentType.id == world["type_id"])
                    .values(capacity=capacity, staff_reserved_places=1)
                )
            async with db.read() as session:
                chosen = await get_type(session, world["type_id"])
                for people, for_staff in ((1, False), (2, False), (1, True)):
                    query = await build_query(
                        session,
                        chosen,
                        people,
                        FIXED_NOW,
                        DAY,
                        DAY,
                        draft_id=world["own_draft"],
                        for_staff=for_staff,
                    )
                    assert all(type(row[1]) is int for row in query.occupations)
                    objects = await _as_objects(session, query, world["own_draft"])
                    assert free_slots(query) == free_slots(objects), (people, for_staff)
                    assert free_slots(query) or people > capacity  # the day is not full
        finally:
            await db.dispose()

    asyncio.run(scenario())


def test_identical_occupations_come_as_one_row_with_their_people_summed(database_url):
    async def scenario() -> tuple[Any, Any, dict[str, Any]]:
        db = Database(database_url)
        try:
            world = await _fill(db)
            span = (at(DAY, 0) - timedelta(days=1), at(DAY, 0) + timedelta(days=2))
            async with db.read() as session:
                occupations = await read_occupations(
                    session, tuple(world["desks"]), *span, FIXED_NOW, draft_id=world["own_draft"]
                )
                blocked = await read_blocked(session, tuple(world["desks"]), *span)
            return occupations, blocked, world
        finally:
            await db.dispose()

    occupations, blocked, world = asyncio.run(scenario())
    first, second = world["desks"]
    u = world["type_id"]

    def ts(moment: datetime) -> int:
        return int(moment.timestamp())

    nine, ten, eleven = ts(at(DAY, 9)), ts(at(DAY, 10)), ts(at(DAY, 11))
    got = sorted(occupations)
    assert (first, nine, nine + 1800, 2, u, False) in got  # bookings 1 and 2
    assert (first, nine + 1800, nine + 3600, 2, u, True) in got  # booking 3, by staff
    assert (second, ten, ten + 1800, 1, u, False) in got
    assert (second, eleven, eleven + 1800, 1, u, False) in got  # the other draft's hold
    assert (second, ts(at(DAY, 14)), ts(at(DAY, 14, 30)), 1, u, False) in got  # cooling
    assert (first, ts(at(DAY, 15)), ts(at(DAY, 15, 30)), 1, u, False) in got  # one more second
    # Rounded down to the second, like int(datetime.timestamp()).
    assert (second, ts(at(DAY, 16)), ts(at(DAY, 16, 20)), 1, u, False) in got
    day_after = ts(at(DAY + timedelta(days=1), 9))
    assert (first, day_after, day_after + 1800, 1, u, False) in got  # the span's margin
    # And the other type's booking; neither the cooled cancellations, nor the asker's own
    # hold, nor the expired one.
    assert len(got) == 9
    assert sorted(blocked) == [
        (first, ts(at(DAY, 13, 30)), ts(at(DAY, 14, 15))),
        (second, ts(at(DAY, 8)), ts(at(DAY, 8, 45))),
    ]


def test_epoch_seconds_is_the_instant_rounded_down(database_url):
    moments = [
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # a change of time in Paris
        datetime(2026, 10, 25, 0, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 11, 30, 8, 30, 0, 500_000, tzinfo=UTC),
        datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),  # after 32-bit seconds
    ]

    async def scenario() -> list[tuple[datetime, int]]:
        db = Database(database_url)
        try:
            await load_demo(db, TODAY)
            async with db.write() as session:
                type_id = (
                    await session.execute(
                        select(AppointmentType.id).where(AppointmentType.slug == URBANISM)
                    )
                ).scalar_one()
                desk = (await get_type(session, type_id)).desks[0].id
                await session.execute(
                    insert(Booking),
                    [booking(n, type_id, desk, moment) for n, moment in enumerate(moments)],
                )
            async with db.read() as session:
                rows = (
                    await session.execute(
                        select(Booking.start, epoch_seconds(Booking.start)).order_by(Booking.id)
                    )
                ).all()
            return [(row[0], row[1]) for row in rows]
        finally:
            await db.dispose()

    for moment, seconds in asyncio.run(scenario()):
        assert seconds == int(moment.timestamp()), moment


# --- the week planner's reads -------------------------------------------------------------


def test_the_week_planner_finds_the_first_free_slot_without_reading_the_whole_window(
    database_url,
):
    """On a Saturday afternoon the first week has nothing left: the next week is read alone,
    and the rest of the window only when that one is full too."""
    saturday = open_day(5)
    now = at(saturday, 14).astimezone(UTC)
    monday = saturday + timedelta(days=2)

    async def first_slots(absent_weeks: int) -> tuple[Any, Any, bool]:
        db = Database(database_url)
        try:
            await load_demo(db, TODAY)
            async with db.write() as session:
                type_id = (
                    await session.execute(
                        select(AppointmentType.id).where(
                            AppointmentType.slug == "ccas-aide-sociale"
                        )
                    )
                ).scalar_one()
                desk = (await get_type(session, type_id)).desks[0].id
                await session.execute(delete(BlockedInterval))
                if absent_weeks:
                    session.add(
                        BlockedInterval(
                            desk_id=desk,
                            start=at(monday, 0),
                            end=at(monday + timedelta(days=7 * absent_weeks), 0),
                        )
                    )
            async with db.read() as session:
                chosen = await get_type(session, type_id)
                planner = WeekPlanner(session, chosen, 1, now)
                found = await planner.first_free_slot()
                first, last = planner.window
                whole = first_free_slot(await build_query(session, chosen, 1, now, first, last))
                return found, whole, planner._rest is not None
        finally:
            await db.dispose()

    found, whole, read_the_rest = asyncio.run(first_slots(0))
    assert found == whole and found.start == at(monday, 8, 30)
    assert not read_the_rest
    found, whole, read_the_rest = asyncio.run(first_slots(2))
    assert found == whole and found.start.date() >= monday + timedelta(days=14)
    assert read_the_rest
