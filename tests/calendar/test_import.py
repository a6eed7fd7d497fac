"""Busy time imported from a real CalDAV server (Radicale, then Xandikos) blocks exactly
the slots it covers, through the availability engine citizens see at step 5."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.booking.references import new_reference
from app.calendar_sync.importer import conflicts, sync_connection
from app.db.models import BlockedInterval, Booking, CalendarConnection, CalendarSource
from tests import days
from tests.calendar.conftest import connect_desk, desk_named, run, type_titled
from tests.calendar.engine import free_times
from tests.calendar.ics_text import FIXTURES, absence, real_world
from tests.days import at
from tests.instant import FIXED_NOW

# The first Tuesday and Wednesday the CCAS is open, two days or more after the suite's
# instant: their mornings are bookable from end to end.
TUESDAY = days.open_day(days.TUESDAY)
WEDNESDAY = days.open_day(days.WEDNESDAY)
MORNING = ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]

# A calendar situation of its own, with its own clock: Monday 15 March 2027, 08:00 in
# Paris, a fortnight before the spring change (Sunday 28 March); the recorded Google
# stand-up (google_standup_dst.ics) falls on the Tuesdays either side of the change.
BEFORE_SPRING_2027 = datetime(2027, 3, 15, 7, tzinfo=UTC)


def sync(settings, connection_id: int, now: datetime = FIXED_NOW):
    return run(sync_connection, settings, settings, connection_id, now)


def morning(settings, day: date = TUESDAY, now: datetime = FIXED_NOW) -> list[str]:
    return [t for t in run(free_times, settings, day, now) if t < "12:00"]


def test_an_absence_blocks_exactly_its_slots_and_its_deletion_frees_them(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    connection_id = connect_desk(settings, caldav_server, read=[calendar])
    assert morning(settings) == MORNING

    url = caldav_server.put_raw(
        calendar, "formation.ics", absence("f1", at(TUESDAY, 9), at(TUESDAY, 10))
    )
    report = sync(settings, connection_id)
    assert report.ok and report.changed == 1
    assert morning(settings) == ["08:30", "10:00", "10:30", "11:00", "11:30"]

    caldav_server.delete_raw(url)
    report = sync(settings, connection_id)
    assert report.ok and report.deleted == 1
    assert morning(settings) == MORNING


def test_a_moved_absence_moves_the_blocked_slots(calendar_settings, caldav_server):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    connection_id = connect_desk(settings, caldav_server, read=[calendar])
    caldav_server.put_raw(calendar, "a.ics", absence("m1", at(TUESDAY, 8, 30), at(TUESDAY, 9)))
    sync(settings, connection_id)
    assert morning(settings)[0] == "09:00"
    caldav_server.put_raw(calendar, "a.ics", absence("m1", at(TUESDAY, 11, 30), at(TUESDAY, 12)))
    report = sync(settings, connection_id)
    assert report.changed == 1 and not report.full
    assert morning(settings) == MORNING[:-1]


def test_real_world_files_block_across_the_daylight_saving_change(calendar_settings, caldav_server):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    for name in ("google_standup_dst.ics", "outlook_free.ics", "nextcloud_cancelled.ics"):
        caldav_server.put_raw(calendar, name, (FIXTURES / name).read_text())
    spring = BEFORE_SPRING_2027
    connection_id = connect_desk(settings, caldav_server, read=[calendar], now=spring)
    assert sync(settings, connection_id, spring).ok
    # Tuesday 09:00–09:30 in Paris, before (23 March, UTC+1) and after (30 March, UTC+2).
    for tuesday in (date(2027, 3, 23), date(2027, 3, 30)):
        assert morning(settings, tuesday, spring) == [t for t in MORNING if t != "09:00"]


def test_own_published_events_and_free_time_are_not_imported(calendar_settings, caldav_server):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    ours = absence(f"abc@{settings.uid_domain}", at(TUESDAY, 9), at(TUESDAY, 10))
    caldav_server.put_raw(calendar, "ours.ics", ours)
    # Outlook's « disponible » on Wednesday 09:00–12:00.
    caldav_server.put_raw(calendar, "free.ics", real_world("outlook_free.ics", WEDNESDAY))
    connection_id = connect_desk(settings, caldav_server, read=[calendar])
    assert sync(settings, connection_id).ok
    assert morning(settings) == MORNING
    assert morning(settings, WEDNESDAY) == MORNING


def test_the_everything_busy_switch_counts_free_time(calendar_settings, caldav_server):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    caldav_server.put_raw(calendar, "free.ics", real_world("outlook_free.ics", WEDNESDAY))
    connection_id = connect_desk(settings, caldav_server, read=[calendar], all_busy=True)
    assert sync(settings, connection_id).ok
    assert morning(settings, WEDNESDAY) == ["08:30"] + [t for t in MORNING if t >= "12:00"]


def test_incremental_sync_uses_the_stored_token_and_a_refused_token_falls_back(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    caldav_server.put_raw(calendar, "a.ics", absence("t1", at(TUESDAY, 8, 30), at(TUESDAY, 9)))
    caldav_server.put_raw(calendar, "b.ics", absence("t2", at(TUESDAY, 11), at(TUESDAY, 11, 30)))
    connection_id = connect_desk(settings, caldav_server, read=[calendar])
    first = sync(settings, connection_id)
    assert first.full and first.changed == 2

    tokens = run(lambda db: _fetch(db, select(CalendarSource.sync_token)), settings)
    assert tokens[0]
    caldav_server.put_raw(calendar, "c.ics", absence("t3", at(TUESDAY, 10), at(TUESDAY, 10, 30)))
    second = sync(settings, connection_id)
    assert not second.full and second.changed == 1
    assert morning(settings) == ["09:00", "09:30", "10:30", "11:30"]

    async def spoil(db):
        async with db.write() as session:
            source = (await session.execute(select(CalendarSource))).scalar_one()
            source.sync_token = tokens[0][:-6] + "000000"

    run(spoil, settings)
    caldav_server.delete_raw(calendar.rstrip("/") + "/a.ics")
    third = sync(settings, connection_id)
    assert third.ok and third.full and third.changed == 0 and third.deleted == 1
    assert morning(settings) == ["08:30", "09:00", "09:30", "10:30", "11:30"]


async def _fetch(db, statement):
    async with db.read() as session:
        return list((await session.execute(statement)).scalars())


def test_an_absence_over_a_booking_keeps_the_booking_and_tells_staff(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    connection_id = connect_desk(settings, caldav_server, read=[calendar])

    async def book(db):
        desk = await desk_named(db, "Accueil CCAS")
        async with db.write() as session:
            ccas = await type_titled(session, "CCAS — aide sociale")
            booking = Booking(
                reference=new_reference(), uid="b1@test", type_id=ccas.id, desk_id=desk.id,
                start=at(TUESDAY, 10), end=at(TUESDAY, 10, 30), people=1, last_name="Martin",
                first_name="Léa", email="lea@example.org", phone="+33612345678",
                idempotency_key="k1", created_at=FIXED_NOW,
            )  # fmt: skip
            session.add(booking)
        return booking.reference

    reference = run(book, settings)
    caldav_server.put_raw(calendar, "x.ics", absence("c1", at(TUESDAY, 9, 30), at(TUESDAY, 11, 30)))
    report = sync(settings, connection_id)
    assert [c.reference for c in report.conflicts] == [reference]
    assert report.conflicts[0].absence == "Formation"
    statuses = run(lambda db: _fetch(db, select(Booking.status)), settings)
    assert statuses == ["confirmed"]

    async def listed(db):
        async with db.read() as session:
            return await conflicts(session, FIXED_NOW)

    assert [c.reference for c in run(listed, settings)] == [reference]


def test_a_wrong_password_flags_the_connection_and_keeps_the_absences(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    caldav_server.put_raw(calendar, "a.ics", absence("w1", at(TUESDAY, 8, 30), at(TUESDAY, 9)))
    connection_id = connect_desk(settings, caldav_server, read=[calendar])
    assert sync(settings, connection_id).ok
    connect_desk(settings, caldav_server, read=[calendar], password="faux")
    report = sync(settings, connection_id)
    assert not report.ok
    assert "mot de passe refusé" in report.message
    connection = run(lambda db: _fetch(db, select(CalendarConnection)), settings)[0]
    assert connection.status == "failing" and "401" in connection.last_error
    blocked = run(lambda db: _fetch(db, select(BlockedInterval)), settings)
    assert len(blocked) == 1


def test_the_horizon_moves_forward_from_the_stored_objects(calendar_settings, caldav_server):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    # Outlook's weekly meeting, Tuesdays 10:00–11:30, for seventeen weeks from TUESDAY.
    weekly = real_world("outlook_weekly_meeting.ics", TUESDAY)
    caldav_server.put_raw(calendar, "weekly.ics", weekly)
    connection_id = connect_desk(settings, caldav_server, read=[calendar])
    assert sync(settings, connection_id).ok
    later = days.later(days=50)
    far_tuesday = days.open_day(days.TUESDAY, after=63)
    # Beyond the first sync's horizon (60 days and one), within the series and within the
    # booking horizon seen fifty days later.
    assert FIXED_NOW + timedelta(days=61) < at(far_tuesday, 8, 30)
    assert far_tuesday < TUESDAY + timedelta(weeks=17)
    assert far_tuesday < later.date() + timedelta(days=60)
    assert morning(settings, far_tuesday, later) == MORNING
    report = sync(settings, connection_id, later)
    assert report.ok and report.changed == 0 and not report.full
    assert morning(settings, far_tuesday, later) == ["08:30", "09:00", "09:30", "11:30"]
