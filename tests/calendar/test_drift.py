"""The database is the source of truth: a booking's event moved or deleted by hand on the
calendar server is put back by the next sync, and the drift is recorded for staff."""

from __future__ import annotations

from app.calendar_sync.client import join
from app.calendar_sync.jobs import calendar_pass
from tests.calendar.bookings import get_booking, make_booking
from tests.calendar.conftest import connect_desk, run
from tests.calendar.ics_text import local
from tests.calendar.test_publish import publish, published, remote
from tests.days import TUESDAY, at, open_day
from tests.instant import FIXED_NOW

DAY = open_day(TUESDAY)


def calendar_pass_now(settings):
    return run(calendar_pass, settings, settings, FIXED_NOW)


def test_an_event_moved_on_the_server_is_put_back_at_the_next_sync(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar = caldav_server.new_calendar()
    # By default bookings are published into the calendar absences are read from.
    connect_desk(settings, caldav_server, read=[calendar], publish=calendar)
    booking_id = make_booking(settings, DAY, 10)
    assert publish(settings, booking_id).action == "created"
    [report] = calendar_pass_now(settings)
    assert report.ok and report.restored == []
    row = published(settings, booking_id)
    found, _ical = remote(caldav_server, settings, row.href)

    moved = found.data.replace(
        f"DTSTART;TZID=Europe/Paris:{local(at(DAY, 10))}",
        f"DTSTART;TZID=Europe/Paris:{local(at(DAY, 11))}",
    ).replace(
        f"DTEND;TZID=Europe/Paris:{local(at(DAY, 10, 30))}",
        f"DTEND;TZID=Europe/Paris:{local(at(DAY, 11, 30))}",
    )
    assert moved != found.data
    caldav_server.put_raw(calendar, row.href.rsplit("/", 1)[1], moved)

    [report] = calendar_pass_now(settings)
    assert report.ok
    reference = get_booking(settings, booking_id).reference
    assert [ref for ref, _drift in report.restored] == [reference]
    assert "modifié" in report.restored[0][1]
    _found, ical = remote(caldav_server, settings, row.href)
    assert ical.events[0].start == at(DAY, 10)
    assert "modifié" in published(settings, booking_id).drift
    assert get_booking(settings, booking_id).start == at(DAY, 10)

    # Restored once: the next sync finds nothing more to put back.
    [report] = calendar_pass_now(settings)
    assert report.ok and report.restored == []


def test_an_event_deleted_from_a_calendar_only_published_to_is_recreated(
    calendar_settings, caldav_server
):
    settings = calendar_settings
    calendar, absences = caldav_server.new_calendar(), caldav_server.new_calendar()
    connect_desk(settings, caldav_server, read=[absences], publish=calendar)
    booking_id = make_booking(settings, DAY, 10)
    assert publish(settings, booking_id).action == "created"
    assert calendar_pass_now(settings)[0].ok
    row = published(settings, booking_id)
    caldav_server.delete_raw(join(caldav_server.base_url, row.href.lstrip("/")))

    [report] = calendar_pass_now(settings)
    assert report.ok and len(report.restored) == 1
    assert "supprimé" in report.restored[0][1]
    found, ical = remote(caldav_server, settings, row.href)
    assert found is not None and ical.events[0].start == at(DAY, 10)
    assert "supprimé" in published(settings, booking_id).drift
    assert get_booking(settings, booking_id).status == "confirmed"
