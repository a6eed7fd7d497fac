"""Without an SMTP server, messages are files in the data folder (the development mailbox):
the retention job and an erasure request delete them like the rest of the person's data,
and a start outside debugging says loudly where the messages go (issue 13, point 19)."""

from __future__ import annotations

from argparse import Namespace
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import pytest
from sqlalchemy import update

from app.cli.gdpr import cmd_purge_personal_data
from app.db.models import Commune
from app.gdpr.requests import erase, erasure_plan, parse_lookup
from app.notifications import mailbox
from app.notifications.delivery import mailbox_warning
from app.wiring import build_worker
from tests.days import TODAY
from tests.instant import FIXED_NOW
from tests.integration.data_helpers import add_booking, local, read, run_db, seed_demo, write
from tests.integration.helpers import bookings, execute, walk_to
from tests.integration.mail_helpers import deliver
from tests.server import running_server


@pytest.fixture
def settings(settings):
    return replace(settings, embedded_worker=False)


def mailbox_entries(settings) -> list[tuple[str, str, str]]:
    """(kind, recipient, subject) of every message in the mailbox, as a mail client sees it."""
    return sorted(
        (entry.kind, entry.to, entry.subject)
        for entry in mailbox.entries(mailbox.mailbox_dir(settings.data_dir))
    )


def to_the_person(entries) -> list[tuple[str, str, str]]:
    return [e for e in entries if "camille.dupont" in e[1] or "612345678" in e[1]]


STAFF = "agent@val-de-lys.example.fr"


def staff_mail(settings, subject: str, when) -> None:
    """A message about no booking (a staff password link, say), written as the e-mail
    channel writes it."""
    message = EmailMessage(policy=SMTP)
    message["From"] = "rendez-vous@val-de-lys.example.fr"
    message["To"] = STAFF
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<{subject}@test.invalid>"
    message.set_content("Lien personnel de l'agent.")
    mailbox.write_email(
        mailbox.mailbox_dir(settings.data_dir), message.as_bytes(), message["Message-ID"]
    )


def test_the_retention_job_erases_the_mailbox_files_with_the_booking(citizen, settings):
    execute(settings, update(Commune).values(sms_enabled=True))
    walk_to(citizen, 7)
    deliver(settings, FIXED_NOW)
    (booking,) = bookings(settings)
    staff_mail(settings, "ancien", FIXED_NOW)
    entries = mailbox_entries(settings)
    assert len(entries) == 3  # the confirmation, its SMS, the staff message
    assert [kind for kind, _, _ in to_the_person(entries)] == ["email", "sms"]

    # Within the retention period (365 days after the appointment) nothing goes…
    within = booking.end + timedelta(days=364)

    async def daily_jobs(db, now):
        await build_worker(db, settings, lambda: now).run_jobs()

    run_db(settings, lambda db: daily_jobs(db, within))
    assert mailbox_entries(settings) == entries

    # …after it, `creneau purge-personal-data` erases the booking's files, and the message
    # about no booking once older than the period; a recent one stays.
    after = booking.end + timedelta(days=366)
    staff_mail(settings, "recent", after - timedelta(days=1))
    assert cmd_purge_personal_data(replace(settings, frozen_now=after), Namespace()) == 0
    assert mailbox_entries(settings) == [("email", STAFF, "recent")]


def test_the_daily_job_of_the_worker_erases_them_too(citizen, settings):
    walk_to(citizen, 7)
    deliver(settings, FIXED_NOW)
    (booking,) = bookings(settings)
    execute(settings, update(Commune).values(retention_days=30))

    async def daily_jobs(db, now):
        await build_worker(db, settings, lambda: now).run_jobs()

    assert len(mailbox_entries(settings)) == 1
    run_db(settings, lambda db: daily_jobs(db, booking.end + timedelta(days=29)))
    assert len(mailbox_entries(settings)) == 1
    run_db(settings, lambda db: daily_jobs(db, booking.end + timedelta(days=31)))
    assert mailbox_entries(settings) == []


def test_an_erasure_request_deletes_the_person_s_files_then_their_last_message(settings):
    seed_demo(settings)

    async def two_bookings(session):
        past = await add_booking(session, "ccas-aide-sociale", local(TODAY - timedelta(days=40), 9))
        future = await add_booking(
            session, "titres-identite", local(TODAY + timedelta(days=8), 9), people=2
        )
        return past.id, future.id

    past_id, future_id = write(settings, two_bookings)
    directory = mailbox.mailbox_dir(settings.data_dir)
    for booking_id in (past_id, future_id):  # what they were sent earlier
        mailbox.write_sms(
            directory, "+33612345678", "RDV Dupont", f"sms:{booking_id}", FIXED_NOW, booking_id
        )
    staff_mail(settings, "agent", FIXED_NOW)

    plan = read(
        settings, lambda session: erasure_plan(session, parse_lookup("0612345678"), FIXED_NOW)
    )
    assert len(to_the_person(mailbox_entries(settings))) == 2
    write(settings, lambda session: erase(session, plan, FIXED_NOW, settings))
    assert mailbox_entries(settings) == [("email", STAFF, "agent")]

    # The cancellation notice leaves (into the mailbox), then the next pass deletes it.
    deliver(settings, FIXED_NOW)
    (notice,) = to_the_person(mailbox_entries(settings))
    assert notice[2].startswith("Rendez-vous annulé")
    cmd_purge_personal_data(
        replace(settings, frozen_now=FIXED_NOW + timedelta(days=1)), Namespace()
    )
    assert mailbox_entries(settings) == [("email", STAFF, "agent")]


def test_a_start_without_smtp_outside_debugging_says_where_the_messages_go(settings, tmp_path):
    with running_server(
        tmp_path,
        DATABASE_URL=settings.database_url,  # migrated already
        CRENEAU_SECRET_KEY=settings.secret_key,
        CRENEAU_DEMO="false",
        CRENEAU_DEBUG="0",
        CRENEAU_SMTP_HOST="",
    ):
        pass
    log = (tmp_path / "server.log").read_text()
    assert "AUCUN E-MAIL N'EST ENVOYÉ" in log
    assert str((tmp_path / "mailbox").resolve()) in log


def test_no_warning_when_debugging_or_with_an_smtp_server(settings):
    assert mailbox_warning(replace(settings, debug=False)) is not None
    assert mailbox_warning(replace(settings, debug=True)) is None
    with_smtp = replace(settings.mail, host="smtp.example.fr")
    assert mailbox_warning(replace(settings, debug=False, mail=with_smtp)) is None
