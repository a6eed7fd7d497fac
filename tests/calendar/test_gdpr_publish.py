"""Anonymisation reaches the desks' calendars: the published event of an erased booking is
rewritten on the real server without the person (name, phone, e-mail)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.calendar_sync.publisher import publish_booking
from app.db.models import OutboxMessage
from app.gdpr.retention import purge_personal_data
from tests.calendar.bookings import get_booking, make_booking
from tests.calendar.conftest import connect_desk, run
from tests.calendar.test_publish import published, remote
from tests.days import TUESDAY, at, open_day
from tests.instant import FIXED_NOW

DAY = open_day(TUESDAY)  # the first open Tuesday two days or more after the instant


def test_the_event_of_an_erased_booking_names_nobody(calendar_settings, caldav_server):
    settings = calendar_settings
    connect_desk(settings, caldav_server, read=[], publish=caldav_server.new_calendar())
    booking_id = make_booking(settings, DAY, 10)
    run(publish_booking, settings, settings, booking_id, FIXED_NOW)
    href = published(settings, booking_id).href
    assert "Léa M." in str(remote(caldav_server, settings, href)[1].events[0]["SUMMARY"])

    # A day past the commune's retention period (365 days) after the appointment.
    later = at(DAY, 10, 30) + timedelta(days=366)
    assert run(purge_personal_data, settings, later) == 1

    async def queued(db):
        async with db.read() as session:
            statement = select(OutboxMessage.channel).where(OutboxMessage.booking_id == booking_id)
            return list((await session.execute(statement)).scalars())

    assert run(queued, settings) == ["caldav"]  # delivered by the worker; done by hand here
    assert run(publish_booking, settings, settings, booking_id, later).action == "updated"
    event = remote(caldav_server, settings, href)[1].events[0]
    text = event.to_ical().decode()
    assert str(event["SUMMARY"]) == "CCAS — aide sociale — données effacées (RGPD)"
    assert (
        "Martin" not in text
        and "33612345678" not in text
        and "@" not in str(event.get("DESCRIPTION", ""))
    )
    assert int(event["SEQUENCE"]) == get_booking(settings, booking_id).sequence
    assert published(settings, booking_id).sequence == get_booking(settings, booking_id).sequence
