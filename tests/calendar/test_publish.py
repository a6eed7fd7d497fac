"""Bookings published to the desk's calendar on a real server (Radicale, then Xandikos):
created, moved, cancelled, and reconciled when someone edited the calendar meanwhile."""

from __future__ import annotations

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.calendar_sync.client import CalendarRefused, get_object, join
from app.calendar_sync.importer import sync_connection
from app.calendar_sync.publisher import publish_booking
from app.db.models import BlockedInterval, CalendarConnection, PublishedEvent
from tests.calendar.bookings import change_booking, get_booking, make_booking, moved_to
from tests.calendar.conftest import connect_desk, run
from tests.calendar.ics_text import local
from tests.days import TUESDAY, at, open_day
from tests.instant import FIXED_NOW

DAY = open_day(TUESDAY)  # the first open Tuesday two days or more after the instant


def publish(settings, booking_id: int):
    return run(publish_booking, settings, settings, booking_id, FIXED_NOW)


def published(settings, booking_id: int) -> PublishedEvent:
    async def go(db):
        async with db.read() as session:
            return (
                await session.execute(
                    select(PublishedEvent).where(PublishedEvent.booking_id == booking_id)
                )
            ).scalar()

    return run(go, settings)


def remote(server, settings, href: str):
    account = server.account()
    found = get_object(account, join(server.base_url, href.lstrip("/")))
    return found, (Calendar.from_ical(found.data) if found else None)


def test_a_booking_appears_moves_and_disappears_with_the_booking(calendar_settings, caldav_server):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    connect_desk(settings, caldav_server, read=[], publish=calendar)
    booking_id = make_booking(settings, DAY, 10)
    booking = get_booking(settings, booking_id)

    assert publish(settings, booking_id).action == "created"
    row = published(settings, booking_id)
    assert row.etag and row.href.endswith(".ics")
    found, ical = remote(caldav_server, settings, row.href)
    event = ical.events[0]
    assert "METHOD" not in ical and ical.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"
    assert str(event["UID"]) == booking.uid
    assert event.start == at(DAY, 10)
    assert event.start.tzinfo.key == "Europe/Paris"
    # As little about the person as the agent needs (decision 86), and private.
    assert str(event["SUMMARY"]) == "CCAS — aide sociale — Léa M."
    assert booking.reference in str(event["DESCRIPTION"])
    assert "Personnes concernées : 1" in str(event["DESCRIPTION"])
    assert "Martin" not in found.data and "+33612345678" not in found.data
    assert "lea@example.org" not in found.data
    assert str(event["CLASS"]) == "PRIVATE"
    assert str(event["X-CRENEAU-BOOKING"]) == booking.reference
    assert "ATTENDEE" not in event and "ORGANIZER" not in event

    change_booking(settings, booking_id, **moved_to(DAY, 14))
    assert publish(settings, booking_id).action == "updated"
    moved = published(settings, booking_id)
    assert moved.href == row.href and moved.etag != row.etag
    _found, ical = remote(caldav_server, settings, row.href)
    assert ical.events[0].start == at(DAY, 14)
    assert int(ical.events[0]["SEQUENCE"]) == 1

    change_booking(settings, booking_id, status="cancelled")
    assert publish(settings, booking_id).action == "deleted"
    assert remote(caldav_server, settings, row.href)[0] is None
    assert published(settings, booking_id).state == "deleted"
    # A second delivery of the same message changes nothing.
    assert publish(settings, booking_id).action == "nothing"


def test_a_second_delivery_of_a_create_does_not_duplicate(calendar_settings, caldav_server):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    connect_desk(settings, caldav_server, read=[calendar], publish=calendar)
    booking_id = make_booking(settings, DAY, 10)
    publish(settings, booking_id)

    async def forget(db):  # the worker died after the PUT, before recording it
        async with db.write() as session:
            row = (await session.execute(select(PublishedEvent))).scalar_one()
            await session.delete(row)

    run(forget, settings)
    assert publish(settings, booking_id).action == "created"
    report = run(sync_connection, settings, settings, 1, FIXED_NOW)
    assert report.ok and report.changed == 1  # one object on the server, ours
    blocked = run(lambda db: _all(db, BlockedInterval), settings)
    assert blocked == []  # and never imported back as busy time


async def _all(db, model):
    async with db.read() as session:
        return list((await session.execute(select(model))).scalars())


def test_an_event_edited_in_the_calendar_is_restored_from_the_booking(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    connect_desk(settings, caldav_server, read=[], publish=calendar)
    booking_id = make_booking(settings, DAY, 10)
    publish(settings, booking_id)
    row = published(settings, booking_id)
    found, ical = remote(caldav_server, settings, row.href)
    edited = found.data.replace(f"DTSTART;TZID=Europe/Paris:{local(at(DAY, 10))}",
                                f"DTSTART;TZID=Europe/Paris:{local(at(DAY, 9))}")  # fmt: skip
    assert edited != found.data
    caldav_server.put_raw(calendar, row.href.rsplit("/", 1)[1], edited)

    change_booking(settings, booking_id, **moved_to(DAY, 15))
    outcome = publish(settings, booking_id)
    assert outcome.action == "updated" and "modifié" in outcome.drift
    assert "modifié" in published(settings, booking_id).drift
    _found, ical = remote(caldav_server, settings, row.href)
    assert ical.events[0].start == at(DAY, 15)
    assert get_booking(settings, booking_id).start == at(DAY, 15)


def test_an_event_deleted_in_the_calendar_is_recreated_and_the_booking_kept(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    connect_desk(settings, caldav_server, read=[], publish=calendar)
    booking_id = make_booking(settings, DAY, 10)
    publish(settings, booking_id)
    row = published(settings, booking_id)
    caldav_server.delete_raw(join(caldav_server.base_url, row.href.lstrip("/")))

    change_booking(settings, booking_id, **moved_to(DAY, 11))
    outcome = publish(settings, booking_id)
    assert "supprimé" in outcome.drift
    _found, ical = remote(caldav_server, settings, row.href)
    assert ical.events[0].start == at(DAY, 11)
    assert get_booking(settings, booking_id).status == "confirmed"


def test_a_refused_password_flags_the_connection_and_leaves_the_booking(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    connect_desk(settings, caldav_server, read=[], publish=calendar, password="faux")
    booking_id = make_booking(settings, DAY, 10)
    with pytest.raises(CalendarRefused):
        publish(settings, booking_id)
    connection = run(lambda db: _all(db, CalendarConnection), settings)[0]
    assert connection.status == "failing" and "mot de passe" in connection.last_error
    assert get_booking(settings, booking_id).status == "confirmed"
    assert published(settings, booking_id) is None


def test_bob_cannot_publish_into_alices_calendar(calendar_settings, caldav_server):
    if caldav_server.kind == "xandikos":
        # Checked: Xandikos 0.4.10's experimental multi-user mode lets any signed-in user
        # write into another's calendar, so there is nothing to refuse there.
        pytest.skip("Xandikos multi-user does not separate users' rights")
    settings = calendar_settings
    calendar = caldav_server.new_calendar("alice")
    connect_desk(settings, caldav_server, read=[], publish=calendar, user="bob")
    booking_id = make_booking(settings, DAY, 10)
    with pytest.raises(CalendarRefused):
        publish(settings, booking_id)


def test_a_new_publish_calendar_takes_the_event_from_the_old_one(calendar_settings, caldav_server):
    settings = calendar_settings
    old, new = caldav_server.new_calendar(), caldav_server.new_calendar()
    connect_desk(settings, caldav_server, read=[], publish=old)
    booking_id = make_booking(settings, DAY, 10)
    publish(settings, booking_id)
    first = published(settings, booking_id)
    connect_desk(settings, caldav_server, read=[], publish=new)
    assert publish(settings, booking_id).action == "created"
    moved = published(settings, booking_id)
    assert moved.href != first.href and moved.href.startswith(join("/", new.split("/", 3)[3]))
    assert remote(caldav_server, settings, first.href)[0] is None
    assert remote(caldav_server, settings, moved.href)[0] is not None
