"""Hostile values — in the citizen's names (through the real form) and in the commune's own
configuration — come out inert in the e-mail's headers, HTML and text, in the calendar
file and in the SMS."""

from __future__ import annotations

import asyncio
import re

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from app.db.models import AppointmentType, Booking, Commune, Site
from app.db.session import Database
from app.email_headers import display_name
from app.notifications.events import booking_moved
from tests.conftest import FIXED_NOW
from tests.days import first_free, french_date
from tests.integration.flow import CONTACT
from tests.integration.helpers import walk_to
from tests.integration.mail_helpers import SmtpServer, deliver, outbox, run, smtp_settings

EVIL = '<script>alert("x")</script>; a, b\r\nBcc: victim@example.org\nX-INJECTED:1\r\nEND:VEVENT'
EVIL_LINE = '<script>alert("x")</script>; a, b Bcc: victim@example.org X-INJECTED:1 END:VEVENT'


def check_email(message, *, first_name: str, last_name: str):
    assert message.get_all("Bcc") is None
    assert [a.addr_spec for a in message["To"].addresses] == [CONTACT["email"]]
    # The display name keeps no address syntax at all (see email.display_name).
    shown = message["To"].addresses[0].display_name
    assert shown == display_name(f"{first_name} {last_name}")
    assert not set(shown) & set('<>@,;:"')
    for name, value in message.items():
        assert "\r" not in str(value) and "\n" not in str(value), name
    assert message.get_all("X-INJECTED") is None

    html = message.get_body(("html",)).get_content()
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html

    text = message.get_body(("plain",)).get_content()
    for line in text.splitlines():
        assert not line.startswith(("Bcc", "X-INJECTED", "END:VEVENT")), line

    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    raw = calendar_part.get_payload(decode=True).decode()
    assert not re.search(r"^X-INJECTED", raw, re.M)
    assert raw.count("\r\nEND:VEVENT\r\n") == 1
    # The event's own lines (folded continuation lines start with a space).
    lines = raw.split("\r\nBEGIN:VEVENT\r\n", 1)[1].split("\r\n")
    for name in ("DTSTART", "DTEND", "UID", "ORGANIZER", "ATTENDEE", "LOCATION", "SUMMARY"):
        assert len([line for line in lines if re.match(rf"{name}[;:]", line)]) == 1, name
    calendar = Calendar.from_ical(raw)
    (event,) = calendar.walk("VEVENT")
    assert event["ATTENDEE"].params["CN"] == f"{first_name} {last_name}"
    return event


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings, smtp):
    return smtp_settings(settings, smtp.port)


def test_hostile_names_from_the_form(citizen, settings, smtp):
    contact = {**CONTACT, "first_name": EVIL, "last_name": 'Dupont"; DROP TABLE booking'}
    walk_to(citizen, 7, contact=contact)
    deliver(settings, FIXED_NOW)
    (received,) = smtp.received
    first = EVIL_LINE  # the form turns line breaks into spaces
    event = check_email(received.message, first_name=first, last_name='Dupont"; DROP TABLE booking')
    assert first in str(event["ATTENDEE"].params["CN"])


def test_hostile_configuration_and_stored_values(citizen, settings, smtp, clock):
    _, slot = walk_to(citizen, 7)
    assert slot == first_free().isoformat()  # the first slot offered

    async def poison(db: Database) -> None:
        async with db.write() as session:
            await session.execute(update(Commune).values(name=EVIL, sms_enabled=True))
            await session.execute(update(Site).values(name=EVIL, address=EVIL))
            await session.execute(update(AppointmentType).values(title=EVIL, what_to_bring=EVIL))
            booking = (await session.execute(select(Booking))).scalar_one()
            booking.first_name, booking.last_name = EVIL, EVIL  # past any validation
            booking.sequence += 1
            await booking_moved(session, booking, clock.now, settings)

    asyncio.run(run(poison)(settings.database_url))
    deliver(settings, clock.now)
    assert len(smtp.received) == 2
    moved = smtp.received[-1].message

    event = check_email(moved, first_name=EVIL_LINE, last_name=EVIL_LINE)
    assert str(event["LOCATION"]) == f"{EVIL_LINE}, {EVIL_LINE}"
    assert str(event["SUMMARY"]) == f"{EVIL_LINE} — {EVIL_LINE}"
    assert event["ORGANIZER"].params["CN"] == EVIL_LINE
    on = french_date(first_free())  # « lundi 30 novembre 2026 »
    assert moved["Subject"] == f"Rendez-vous modifié : {EVIL_LINE} le {on}"

    sms = next(row for row in outbox(settings) if row.channel == "sms").payload["text"]
    assert sms.isascii() and "\n" not in sms and "\r" not in sms and len(sms) <= 160
    assert "RDV deplace" in sms
