"""Day-before reminders: at the configured hour of the site's local time, never for a
cancelled booking, never twice — even with two workers at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta

import pytest
from sqlalchemy import update

from app.db.models import Booking, Commune
from app.db.session import Database
from app.notifications.reminders import send_reminders
from tests.days import TUESDAY, at, french_date, open_day
from tests.integration.flow import book
from tests.integration.mail_helpers import (
    SmtpServer,
    deliver,
    only_booking,
    outbox,
    run,
    sms_when,
    smtp_settings,
)

# The booking is made at the suite's instant, then put on a Tuesday at least two days ahead
# at 10:00 in Paris (from Monday 30 November 2026: Tuesday 1 December): its reminder is due
# the day before at ten, after the booking was made.
APPOINTMENT = at(open_day(TUESDAY), 10)
EVE_AT_TEN = at(APPOINTMENT.date() - timedelta(days=1), 10).astimezone(UTC)


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings, smtp):
    return smtp_settings(settings, smtp.port, reminder_hour=10)


def remind(settings, now) -> int:
    return asyncio.run(run(lambda db: send_reminders(db, settings, now))(settings.database_url))


def book_tomorrow(citizen, settings, clock) -> Booking:
    """A booking made at the suite's instant, then put on the appointment's day and time:
    « tomorrow » on the eve at ten."""
    book(citizen)
    booking = only_booking(settings)
    assert booking.created_at == clock.now < EVE_AT_TEN
    tuesday = APPOINTMENT.astimezone(UTC)

    async def move(db: Database) -> None:
        async with db.write() as session:
            await session.execute(
                update(Booking).values(start=tuesday, end=tuesday + (booking.end - booking.start))
            )

    asyncio.run(run(move)(settings.database_url))
    return only_booking(settings)


def test_the_reminder_leaves_at_the_configured_hour_once(citizen, settings, smtp, clock):
    booking = book_tomorrow(citizen, settings, clock)
    assert remind(settings, EVE_AT_TEN - timedelta(minutes=1)) == 0
    assert remind(settings, EVE_AT_TEN) == 1
    assert remind(settings, EVE_AT_TEN + timedelta(minutes=1)) == 0
    assert remind(settings, EVE_AT_TEN + timedelta(hours=5)) == 0
    deliver(settings, EVE_AT_TEN + timedelta(hours=6))
    subjects = [r.message["Subject"] for r in smtp.received]
    on = french_date(APPOINTMENT)  # « mardi 1er décembre 2026 »
    expected = f"Rappel : rendez-vous demain : CCAS — aide sociale le {on}"
    assert subjects.count(expected) == 1
    reminder = next(r.message for r in smtp.received if r.message["Subject"].startswith("Rappel"))
    text = reminder.get_body(("plain",)).get_content()
    assert booking.reference in text and "/rendez-vous/annuler/" in text
    assert not [p for p in reminder.walk() if p.get_content_type() == "text/calendar"]


def test_two_workers_at_once_send_one_reminder(citizen, settings, smtp, clock):
    book_tomorrow(citizen, settings, clock)

    async def together(db_url: str) -> list[int]:
        first, second = Database(db_url), Database(db_url)
        try:
            return await asyncio.gather(
                send_reminders(first, settings, EVE_AT_TEN),
                send_reminders(second, settings, EVE_AT_TEN),
            )
        finally:
            await first.dispose()
            await second.dispose()

    counts = asyncio.run(together(settings.database_url))
    assert sorted(counts) == [0, 1]
    assert [row.kind for row in outbox(settings)].count("reminder") == 1


def test_no_reminder_for_a_cancelled_booking(citizen, settings, smtp, clock):
    book_tomorrow(citizen, settings, clock)

    async def cancel(db: Database) -> None:
        async with db.write() as session:
            await session.execute(update(Booking).values(status="cancelled"))

    asyncio.run(run(cancel)(settings.database_url))
    assert remind(settings, EVE_AT_TEN) == 0
    assert "reminder" not in [row.kind for row in outbox(settings)]


def test_no_reminder_for_a_booking_made_after_the_hour(citizen, settings, smtp, clock):
    """Booked on the eve at 18:00 for the next morning: the confirmation is enough."""
    book_tomorrow(citizen, settings, clock)

    async def made_late(db: Database) -> None:
        async with db.write() as session:
            await session.execute(
                update(Booking).values(created_at=EVE_AT_TEN + timedelta(hours=8))
            )

    asyncio.run(run(made_late)(settings.database_url))
    assert remind(settings, EVE_AT_TEN + timedelta(hours=9)) == 0


def test_a_late_worker_still_reminds_before_the_appointment(citizen, settings, smtp, clock):
    booking = book_tomorrow(citizen, settings, clock)
    assert remind(settings, booking.start + timedelta(minutes=1)) == 0  # too late: it began
    assert remind(settings, booking.start - timedelta(hours=1)) == 1


def test_the_reminder_also_goes_by_sms_where_the_commune_subscribed(citizen, settings, smtp, clock):
    book_tomorrow(citizen, settings, clock)

    async def subscribe(db: Database) -> None:
        async with db.write() as session:
            await session.execute(update(Commune).values(sms_enabled=True))

    asyncio.run(run(subscribe)(settings.database_url))
    assert remind(settings, EVE_AT_TEN) == 1
    rows = [row for row in outbox(settings) if row.kind == "reminder"]
    assert sorted(row.channel for row in rows) == ["email", "sms"]
    sms = next(row for row in rows if row.channel == "sms").payload
    assert sms["to"] == "+33612345678"
    # « … RDV demain 01/12/2026 a 10h00 »
    assert sms["text"].startswith(
        f"Mairie de Val-de-Lys : rappel, RDV demain {sms_when(APPOINTMENT)}"
    )
    assert len(sms["text"]) <= 160


def test_send_reminders_command(citizen, settings, smtp, clock, capsys):
    from argparse import Namespace
    from dataclasses import replace

    from app.cli.core import cmd_send_reminders

    book_tomorrow(citizen, settings, clock)
    settings = replace(settings, frozen_now=EVE_AT_TEN)  # the command runs on the eve, at ten
    assert cmd_send_reminders(settings, Namespace()) == 0
    assert "Rappels mis en file d'envoi : 1." in capsys.readouterr().out
    assert cmd_send_reminders(settings, Namespace()) == 0
    assert "Rappels mis en file d'envoi : 0." in capsys.readouterr().out
