"""The confirmation, move and cancel e-mails, received by a real SMTP server (aiosmtpd on
127.0.0.1) after a booking made through the real HTTP flow and a pass of the outbox worker.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.booking.links import read_token
from app.db.models import Booking
from app.notifications.events import booking_cancelled, booking_moved
from tests.days import first_free, french_date, french_time
from tests.integration.flow import CONTACT, book
from tests.integration.mail_helpers import (
    SmtpServer,
    deliver,
    only_booking,
    outbox,
    run,
    smtp_settings,
)
from tests.integration.test_confirm_race import _confirm_concurrently

PARIS = ZoneInfo("Europe/Paris")
SENDER = "rendez-vous@val-de-lys.example.fr"


def in_words(moment: datetime) -> tuple[str, str]:
    """The day and the time as the e-mails write them: « Lundi 30 novembre 2026 », « 10 h »
    (with a non-breaking space)."""
    return french_date(moment).capitalize(), french_time(moment).replace(" ", "\u00a0")


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings, smtp):
    return smtp_settings(settings, smtp.port)


def change_booking(settings, now, change):
    """What the modify/cancel service does: change the booking, SEQUENCE+1, and fan out,
    in one transaction."""

    async def go(db):
        async with db.write() as session:
            booking = (await session.execute(select(Booking))).scalar_one()
            await change(session, booking)

    asyncio.run(run(go)(settings.database_url))


def move_to(settings, now, new_start):
    async def change(session, booking):
        length = booking.end - booking.start
        booking.start, booking.end = new_start, new_start + length
        booking.sequence += 1
        await booking_moved(session, booking, now, settings)

    change_booking(settings, now, change)


def cancel(settings, now):
    async def change(session, booking):
        booking.status = "cancelled"
        booking.sequence += 1
        await booking_cancelled(session, booking, now, settings)

    change_booking(settings, now, change)


def structure(message) -> list[str]:
    """The MIME tree as "depth:type" lines."""
    lines = []

    def walk(part, depth):
        lines.append(f"{depth}:{part.get_content_type()}")
        if part.is_multipart():
            for child in part.iter_parts():
                walk(child, depth + 1)

    walk(message, 0)
    return lines


def calendar_parts(message):
    inline = [
        p
        for p in message.walk()
        if p.get_content_type() == "text/calendar" and not p.get_content_disposition()
    ]
    attached = [p for p in message.iter_attachments() if p.get_filename() == "rendez-vous.ics"]
    assert len(inline) == 1 and len(attached) == 1
    return inline[0], attached[0]


def the_event(message, method):
    inline, attached = calendar_parts(message)
    for part in (inline, attached):  # the attachment's type too: text/calendar (issue 13)
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == method
        assert part.get_content_charset() == "utf-8"
    assert attached.get_content_disposition() == "attachment"
    data = inline.get_payload(decode=True)
    assert data == attached.get_payload(decode=True)  # the same file, twice
    calendar = Calendar.from_ical(data)
    assert calendar["METHOD"] == method  # MIME method= is the file's METHOD
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_the_confirmation_email_arrives_with_every_part(citizen, settings, smtp, clock):
    slot, page = book(citizen)
    assert page.status_code == 200
    booking = only_booking(settings)
    assert smtp.received == []  # nothing leaves before the worker runs

    assert deliver(settings, clock.now) == 1
    assert len(smtp.received) == 1
    received = smtp.received[0]
    assert received.sender == SENDER
    assert received.recipients == [CONTACT["email"]]

    message = received.message
    assert structure(message) == [
        "0:multipart/mixed",
        "1:multipart/alternative",
        "2:text/plain",
        "2:text/html",
        "2:text/calendar",
        "1:text/calendar",
    ]
    assert message["To"].addresses[0].addr_spec == CONTACT["email"]
    assert message["To"].addresses[0].display_name == "Camille Dupont"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["Reply-To"].addresses[0].addr_spec == "accueil@val-de-lys.example.fr"
    start = datetime.fromisoformat(slot).astimezone(PARIS)
    assert start == first_free()  # the first slot offered
    assert (
        message["Subject"] == f"Rendez-vous confirmé : CCAS — aide sociale le {french_date(start)}"
    )
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(">")
    assert message["Content-Language"] == "fr"

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    day, time = in_words(start)
    for expected in (
        "Mairie de Val-de-Lys",
        "CCAS — aide sociale",
        day,
        time,
        "Espace solidarité",
        "12 rue des Écoles, 59000 Val-de-Lys",
        "Personnes concernées : 1",
        "Vos derniers avis d'imposition",
        booking.reference,
        "01 23 45 67 89",  # the town hall's number as people write it (issue 13)
    ):
        assert expected in text, expected
    assert "+33123456789" not in text and "+33123456789" not in html
    assert "Vos derniers avis d&#39;imposition" in html
    assert booking.reference in html

    # The two links: absolute, signed, naming this booking at this sequence, no personal data.
    base = "http://127.0.0.1:8000"
    modify = [w for w in text.split() if w.startswith(f"{base}/rendez-vous/modifier/")]
    cancel_link = [w for w in text.split() if w.startswith(f"{base}/rendez-vous/annuler/")]
    assert len(modify) == 1 and len(cancel_link) == 1
    assert f'href="{modify[0]}"' in html and f'href="{cancel_link[0]}"' in html
    claim = read_token(settings.secret_key, modify[0].rsplit("/", 1)[1], "modify")
    assert (claim.booking_id, claim.sequence) == (booking.id, 0)
    assert read_token(settings.secret_key, cancel_link[0].rsplit("/", 1)[1], "cancel")
    for private in ("Dupont", "camille", "0612", booking.reference):
        assert private.lower() not in (modify[0] + cancel_link[0]).lower()

    calendar, event = the_event(message, "REQUEST")
    assert str(event["UID"]) == booking.uid
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTAMP") == clock.now
    assert event.decoded("DTSTART") == start
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Paris"
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTEND") == start + timedelta(minutes=30)
    assert str(event["SUMMARY"]) == "CCAS — aide sociale — Mairie de Val-de-Lys"
    assert str(event["LOCATION"]) == "Espace solidarité, 12 rue des Écoles, 59000 Val-de-Lys"
    assert booking.reference in str(event["DESCRIPTION"])
    # The address the e-mail comes from (a different one is flagged by some clients);
    # people's replies still reach the town hall (Reply-To).
    assert str(event["ORGANIZER"]) == f"mailto:{SENDER}"
    assert event["ORGANIZER"].params["CN"] == "Mairie de Val-de-Lys"
    assert str(event["ATTENDEE"]) == f"mailto:{CONTACT['email']}"
    assert event["ATTENDEE"].params["CN"] == "Camille Dupont"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    zones = calendar.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Paris"]

    # Sent once: a second pass has nothing to do.
    assert deliver(settings, clock.now + timedelta(hours=1)) == 0
    assert len(smtp.received) == 1
    assert [m.status for m in outbox(settings)] == ["sent"]


def test_move_then_cancel_update_the_same_event(citizen, settings, smtp, clock):
    book(citizen)
    booking = only_booking(settings)
    deliver(settings, clock.now)
    new_start = booking.start + timedelta(days=1, hours=2)
    clock.now += timedelta(minutes=5)
    move_to(settings, clock.now, new_start)
    deliver(settings, clock.now)
    clock.now += timedelta(minutes=5)
    cancel(settings, clock.now)
    deliver(settings, clock.now)

    first, moved, cancelled = (r.message for r in smtp.wait_for(3))
    assert moved["Subject"].startswith("Rendez-vous modifié")
    assert cancelled["Subject"].startswith("Rendez-vous annulé")
    assert len({first["Message-ID"], moved["Message-ID"], cancelled["Message-ID"]}) == 3

    _, event = the_event(moved, "REQUEST")
    assert str(event["UID"]) == booking.uid
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == new_start.astimezone(PARIS)
    assert event.decoded("DTSTAMP") == clock.now - timedelta(minutes=5)
    moved_text = moved.get_body(("plain",)).get_content()
    day, time = in_words(new_start)  # from Monday 30 November 10:00: « Mardi 1er décembre… », 12 h
    assert day in moved_text and time in moved_text
    claim = read_token(
        settings.secret_key,
        [w for w in moved_text.split() if "/rendez-vous/modifier/" in w][0].rsplit("/", 1)[1],
        "modify",
    )
    assert claim.sequence == 1  # the new e-mail's links supersede the first ones

    calendar, event = the_event(cancelled, "CANCEL")
    assert str(event["UID"]) == booking.uid
    assert event["SEQUENCE"] == 2
    assert event["STATUS"] == "CANCELLED"
    assert event.decoded("DTSTAMP") == clock.now
    cancelled_text = cancelled.get_body(("plain",)).get_content()
    assert "/rendez-vous/annuler/" not in cancelled_text  # nothing left to cancel
    assert "/rendez-vous/type" in cancelled_text


def test_times_stay_right_across_the_change_to_summer_time(citizen, settings, smtp, clock):
    # Monday 22 March 2027: clocks go forward on Sunday 28 March in Paris.
    clock.now = datetime(2027, 3, 22, 7, 0, tzinfo=UTC)
    slot, _ = book(citizen)
    winter = datetime.fromisoformat(slot)
    assert winter.utcoffset() == timedelta(hours=1)
    # The same wall-clock time one week later is one hour earlier in UTC.
    summer_local = (winter.astimezone(PARIS).replace(tzinfo=None) + timedelta(days=7)).replace(
        tzinfo=PARIS
    )
    assert summer_local.utcoffset() == timedelta(hours=2)
    move_to(settings, clock.now, summer_local.astimezone(UTC))
    deliver(settings, clock.now)

    first, moved = (r.message for r in smtp.wait_for(2))
    calendar, event = the_event(first, "REQUEST")
    assert event.decoded("DTSTART") == winter
    assert event["DTSTART"].to_ical().decode() == winter.astimezone(PARIS).strftime("%Y%m%dT%H%M%S")
    calendar, event = the_event(moved, "REQUEST")
    start = event.decoded("DTSTART")
    assert start == summer_local
    assert (start.hour, start.minute) == (winter.astimezone(PARIS).hour, winter.minute)
    assert start.utcoffset() == timedelta(hours=2)
    # The VTIMEZONE carries the offset in force that day; calendars use it to place the event.
    offsets = {
        sub.decoded("TZOFFSETTO")
        for zone in calendar.walk("VTIMEZONE")
        for sub in zone.subcomponents
    }
    assert timedelta(hours=2) in offsets and timedelta(hours=1) in offsets
    text = moved.get_body(("plain",)).get_content()
    assert f"{start.hour}\u00a0h" in text and "29 mars 2027" in text


def test_twenty_confirms_for_one_place_queue_one_email(database_url, settings):
    """The message is written in the booking's transaction: the 19 citizens who lost the
    race, and the replayed confirms, leave no message behind."""
    results, bookings = _confirm_concurrently(database_url, drafts=20, attempts_per_draft=2)
    assert bookings == 1
    rows = outbox(settings)
    assert [(row.kind, row.channel) for row in rows] == [("booking_confirmed", "email")]
