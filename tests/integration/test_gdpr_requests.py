"""A citizen's request handled by an administrator: find, export (JSON and CSV), erase —
future appointments cancelled with the person notified, nothing personal left after."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.db.models import Booking, OutboxMessage
from app.gdpr.requests import (
    InvalidLookup,
    erase,
    erasure_plan,
    export_csv,
    export_json,
    find_bookings,
    parse_lookup,
)
from app.gdpr.retention import purge_personal_data
from tests.days import TODAY
from tests.instant import FIXED_NOW
from tests.integration.data_helpers import add_booking, local, read, run_db, seed_demo, write
from tests.integration.test_retention import personal_cells

NOW = FIXED_NOW
PERSON = ("Dupont", "Camille", "camille.dupont", "612345678")


@pytest.fixture
def settings(settings):
    return replace(settings, embedded_worker=False)


@pytest.fixture
def person(settings):
    seed_demo(settings)

    async def work(session):
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(TODAY - timedelta(days=181), 9),  # about six months ago
            attendance="attended",
            email="Camille.Dupont@Example.org",
        )
        await add_booking(
            session,
            "titres-identite",
            local(TODAY + timedelta(days=8), 9),
            people=2,
            extra={"predemande": "=2A3B4C5D6E"},
        )
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(TODAY + timedelta(days=9), 9),
            last_name="Autre",
            first_name="Personne",
            email="autre@example.org",
            phone="+33699999999",
        )

    write(settings, work)


def find(settings, text):
    return read(settings, lambda session: find_bookings(session, parse_lookup(text)))


@pytest.mark.parametrize(
    "text", ["camille.dupont@example.org", " CAMILLE.DUPONT@example.org ", "06 12 34 56 78"]
)
def test_a_person_is_found_by_email_whatever_the_case_or_by_phone(settings, person, text):
    rows = find(settings, text)
    assert [row.type_title for row in rows] == [
        "CCAS — aide sociale",
        "Carte d'identité / passeport",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Indiquez"), ("camille@", "adresse électronique"), ("12", "numéro de téléphone")],
)
def test_a_bad_lookup_says_why_in_french(text, message):
    with pytest.raises(InvalidLookup, match=message):
        parse_lookup(text)


def test_exports_hold_every_booking_of_the_person_and_nobody_else(settings, person):
    rows = find(settings, "camille.dupont@example.org")
    document = json.loads(export_json(parse_lookup("camille.dupont@example.org"), rows, NOW))
    assert [b["type"] for b in document["rendez_vous"]] == [
        "CCAS — aide sociale",
        "Carte d'identité / passeport",
    ]
    assert document["rendez_vous"][1]["informations_complementaires"] == {
        "Numéro de pré-demande": "=2A3B4C5D6E"
    }
    assert "Autre" not in json.dumps(document)
    data = export_csv(rows)
    assert data.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [row["nom"] for row in table] == ["Dupont", "Dupont"]
    assert table[1]["informations complémentaires"] == "Numéro de pré-demande : =2A3B4C5D6E"


def test_erasure_cancels_future_bookings_with_notice_then_leaves_nothing(settings, person):
    lookup = parse_lookup("06 12 34 56 78")
    plan = read(settings, lambda session: erasure_plan(session, lookup, NOW))
    assert len(plan.booking_ids) == 2 and len(plan.future_ids) == 1

    erased, cancelled = write(settings, lambda session: erase(session, plan, NOW, settings))
    assert (erased, cancelled) == (2, 1)

    people = read(settings, lambda s: _all(s, select(Booking).order_by(Booking.start)))
    assert [b.status for b in people] == ["confirmed", "cancelled", "confirmed"]
    assert people[1].cancelled_by_staff  # the town hall cancelled it
    assert all(b.anonymised_at == NOW for b in people[:2])
    assert people[2].last_name == "Autre" and people[2].anonymised_at is None
    assert find(settings, "06 12 34 56 78") == []

    # The cancellation notice is the only copy left, waiting to leave.
    notices = read(settings, lambda s: _all(s, select(OutboxMessage)))
    assert {(m.channel, m.kind) for m in notices} == {("email", "booking_cancelled")}
    assert 'method="CANCEL"' in notices[0].payload["message"]
    assert {table for table, _ in personal_cells(settings, PERSON)} == {"outbox_message"}

    # Once it has left, the daily pass deletes it.
    write(settings, lambda s: s.execute(update(OutboxMessage).values(status="sent", sent_at=NOW)))
    run_db(settings, lambda db: purge_personal_data(db, NOW + timedelta(days=1)))
    assert personal_cells(settings, PERSON) == []


async def _all(session, statement):
    return list((await session.execute(statement)).scalars())
