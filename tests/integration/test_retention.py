"""The retention job: once the commune's retention period has passed after an appointment,
nothing personal about the citizen remains anywhere in the database — while statistics
and more recent bookings are untouched."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import JSON, String, Text, select, update

from app.booking.links import modify_path
from app.db.models import (
    AuditEvent,
    Base,
    CalendarConnection,
    CalendarObject,
    CalendarSource,
    Commune,
    Desk,
    OutboxMessage,
    PushSubscription,
)
from app.gdpr.retention import purge_personal_data
from app.reports.period import Period
from app.reports.statistics import statistics
from app.wiring import build_worker
from tests.days import TODAY, monday_of
from tests.instant import FIXED_NOW
from tests.integration.data_helpers import add_booking, local, read, run_db, write
from tests.integration.flow import book
from tests.integration.helpers import bookings, execute

# What the citizen typed, in every form it may have been copied in.
PERSONAL = ("Dupont", "Camille", "camille.dupont", "612345678", "12 34 56 78")


@pytest.fixture
def settings(settings):
    return replace(settings, embedded_worker=False)


def every_text_in_the_database(settings) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text and JSON cell of every table."""

    async def work(session):
        cells = []
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in (await session.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        text = value if isinstance(value, str) else json.dumps(value)
                        cells.append((table.name, column.name, text))
        return cells

    return read(settings, work)


def personal_cells(settings, words=PERSONAL):
    return [
        (table, column)
        for table, column, text in every_text_in_the_database(settings)
        if any(word.lower() in text.lower() for word in words)
    ]


def citizen_booking_everywhere(citizen, settings, clock):
    """A real booking through the wizard (e-mail and SMS composed into the outbox), a
    modification started from its link (a draft full of answers), and a copy of its
    event imported back from the desk's calendar."""
    execute(settings, update(Commune).values(sms_enabled=True))
    book(citizen)
    booking = bookings(settings)[0]
    citizen.get(modify_path(settings.secret_key, booking))

    async def imported_copy(session):
        desk = await session.get(Desk, booking.desk_id)
        connection = CalendarConnection(
            desk_id=desk.id,
            server_url="http://127.0.0.1:1/",
            username="agent",
            password_encrypted="x",
            created_at=clock.now,
        )
        source = CalendarSource(connection=connection, url="http://127.0.0.1:1/agenda/")
        session.add_all([connection, source])
        await session.flush()
        session.add(
            PushSubscription(
                booking_id=booking.id,
                endpoint="https://push.example/abc",
                p256dh="k",
                auth="a",
                created_at=clock.now,
            )
        )
        session.add(
            AuditEvent(
                at=clock.now,
                actor_label="Agent",
                action="booking.note",
                target=f"booking:{booking.id}",
                summary=f"Appel de Camille Dupont au 06 12 34 56 78 ({booking.reference})",
                details={"email": booking.email},
            )
        )
        session.add(
            CalendarObject(
                source_id=source.id,
                href="/agenda/copie.ics",
                etag='"1"',
                data=f"BEGIN:VEVENT\r\nUID:{booking.uid}\r\nSUMMARY:CCAS — Camille Dupont\r\n",
            )
        )

    write(settings, imported_copy)
    return booking


def test_the_job_waits_for_the_retention_period_then_erases_everything(citizen, settings, clock):
    booking = citizen_booking_everywhere(citizen, settings, clock)
    within = booking.end + timedelta(days=364)
    assert run_db(settings, lambda db: purge_personal_data(db, within)) == 0
    assert personal_cells(settings)

    after = booking.end + timedelta(days=366)
    assert run_db(settings, lambda db: purge_personal_data(db, after)) == 1
    assert personal_cells(settings) == []
    assert read(settings, lambda s: _count(s, PushSubscription)) == 0
    erased = bookings(settings)[0]
    assert erased.anonymised_at == after
    assert (erased.reference, erased.type_id, erased.start, erased.people, erased.status) == (
        booking.reference,
        booking.type_id,
        booking.start,
        booking.people,
        booking.status,
    )
    assert run_db(settings, lambda db: purge_personal_data(db, after)) == 0
    trail = read(settings, lambda s: _all(s, select(AuditEvent).order_by(AuditEvent.id)))
    assert trail[0].summary == f"Appel de [effacé] au [effacé] ({booking.reference})"
    assert trail[-1].action == "rgpd_conservation_auto" and trail[-1].staff_id is None


def test_the_commune_s_retention_period_is_used(citizen, settings, clock):
    booking = citizen_booking_everywhere(citizen, settings, clock)
    execute(settings, update(Commune).values(retention_days=30))
    assert (
        run_db(settings, lambda db: purge_personal_data(db, booking.end + timedelta(days=29))) == 0
    )
    assert (
        run_db(settings, lambda db: purge_personal_data(db, booking.end + timedelta(days=31))) == 1
    )


def test_recent_bookings_and_statistics_are_kept(settings):
    from tests.integration.data_helpers import seed_demo

    seed_demo(settings)
    # A Tuesday some 21 months ago (beyond the year kept), and four weeks ago (within it).
    old_day = monday_of(TODAY) - timedelta(weeks=90) + timedelta(days=1)
    recent_day = TODAY - timedelta(weeks=4)

    async def work(session):
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(old_day, 9),
            attendance="no_show",
            last_name="Vieuxtemps",
            email="ancien@example.org",
            phone="+33611111111",
        )
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(old_day, 10),
            status="cancelled",
            last_name="Vieuxtemps",
            email="ancien@example.org",
            phone="+33611111111",
        )
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(recent_day, 9),
            last_name="Récent",
            email="recent@example.org",
            phone="+33622222222",
        )

    write(settings, work)
    period = Period(monday_of(old_day), monday_of(old_day) + timedelta(days=6))
    before = read(settings, lambda session: statistics(session, period, None))
    assert run_db(settings, lambda db: purge_personal_data(db, FIXED_NOW)) == 2
    after = read(settings, lambda session: statistics(session, period, None))
    assert after.total == before.total
    assert (after.total.bookings, after.total.cancelled, after.total.no_shows) == (1, 1, 1)
    assert personal_cells(settings, ("Vieuxtemps", "ancien@", "611111111")) == []
    assert personal_cells(settings, ("Récent",)) == [("booking", "last_name")]


def test_the_worker_runs_the_job_daily(settings):
    from tests.conftest import Clock

    worker = build_worker(None, settings, Clock(FIXED_NOW))  # type: ignore[arg-type]
    job = next(job for job in worker.jobs if "données personnelles" in job.name)
    assert job.every == timedelta(days=1)


def test_the_command_runs_one_pass(settings, monkeypatch, capsys):
    from app.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CRENEAU_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CRENEAU_SECRET_KEY", settings.secret_key)
    assert main(["purge-personal-data"]) == 0
    assert "données personnelles ont été effacées : 0" in capsys.readouterr().out


def test_pending_messages_of_an_old_booking_go_too(settings):
    from tests.integration.data_helpers import seed_demo

    seed_demo(settings)

    async def work(session):
        two_years_ago = TODAY - timedelta(days=2 * 365)
        booking = await add_booking(session, "ccas-aide-sociale", local(two_years_ago, 9))
        session.add(
            OutboxMessage(
                channel="email",
                kind="reminder",
                booking_id=booking.id,
                dedupe_key="k",
                payload={"to": booking.email},
                next_attempt_at=booking.start,
                created_at=booking.start,
            )
        )

    write(settings, work)
    run_db(settings, lambda db: purge_personal_data(db, FIXED_NOW))
    assert read(settings, lambda s: _count(s, OutboxMessage)) == 0
    assert personal_cells(settings) == []


async def _all(session, statement):
    return list((await session.execute(statement)).scalars())


async def _count(session, model):
    from sqlalchemy import func

    return (await session.execute(select(func.count()).select_from(model))).scalar()
