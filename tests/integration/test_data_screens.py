"""The export, statistics and GDPR screens over HTTP, logged in through the real login
form: what each role may do, the files downloaded, errors in French with nothing lost,
and the audit trail (never the person's address)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from app.db.models import AuditEvent, Booking, Commune, Site
from app.staff.roles import Role
from tests.days import TODAY, TUESDAY, at, monday_of, open_day
from tests.integration.data_helpers import add_booking, local, read, write
from tests.integration.helpers import text_of
from tests.integration.staff_helpers import create_staff, csrf_token, logged_in

DAY = open_day(TUESDAY)  # the day of the two future bookings: an open Tuesday ahead
PAST = TODAY - timedelta(days=181)  # about six months ago: a past booking
MONDAY, SUNDAY = monday_of(DAY), monday_of(DAY) + timedelta(days=6)  # DAY's week


@pytest.fixture
def settings(settings):
    return replace(settings, embedded_worker=False)


@pytest.fixture
def data(settings, client):
    client.get("/")  # the app loads the demo commune at start-up

    async def work(session):
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(DAY, 9),
            last_name="=1+2",
            first_name="Camille",
            email="camille.dupont@example.org",
            phone="+33612345678",
        )
        await add_booking(
            session,
            "titres-identite",
            local(DAY, 10),
            last_name="Martin",
            first_name="Léa",
            email="lea.martin@example.org",
            phone="+33698765432",
        )
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(PAST, 9),
            email="camille.dupont@example.org",
            attendance="no_show",
        )
        return {s.name: s.id for s in (await session.execute(select(Site))).scalars()}

    return write(settings, work)


def as_role(settings, client, role, **kwargs):
    return logged_in(client, create_staff(settings, role, **kwargs))


def audit(settings) -> list[AuditEvent]:
    async def work(session):
        return list((await session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())

    return read(settings, work)


def post(client, path, data, page=None):
    token = csrf_token(client, page or path)
    return client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


def rows_of(response):
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


# --- export ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT, Role.ADMIN])
def test_every_role_downloads_the_export_of_its_sites(settings, client, data, role):
    as_role(settings, client, role, sites=[data["Espace solidarité"]] if role == "agent" else None)
    response = post(client, "/admin/export", {"du": f"{DAY}", "au": f"{DAY}", "site": ""})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="rendez-vous_{DAY}_{DAY}.csv"'
    )
    rows = rows_of(response)
    expected = ["'=1+2"] if role == "agent" else ["'=1+2", "Martin"]
    assert [row["nom"] for row in rows] == expected
    event = audit(settings)[-1]
    assert event.action == "export_csv" and "rendez-vous" in event.summary
    assert "camille" not in json.dumps([event.summary, event.details]).lower()


def test_an_agent_cannot_export_another_site(settings, client, data):
    as_role(settings, client, Role.AGENT, sites=[data["Espace solidarité"]])
    response = post(
        client,
        "/admin/export",
        {"du": f"{DAY}", "au": f"{DAY}", "site": str(data["Hôtel de ville"])},
    )
    assert response.status_code == 422
    assert "Choisissez un site dans la liste." in text_of(response.text)
    assert "Hôtel de ville" not in re.findall(r"<option[^>]*>([^<]*)", response.text)


def test_a_bad_range_says_why_and_keeps_what_was_typed(settings, client, data):
    as_role(settings, client, Role.VIEWER)
    response = post(client, "/admin/export", {"du": "2026-12-31", "au": "2026-12-01"})
    assert response.status_code == 422
    assert "content-disposition" not in response.headers
    page = text_of(response.text)
    assert "Le dernier jour doit être le même que le premier ou après lui." in page
    assert 'value="2026-12-31"' in response.text and 'value="2026-12-01"' in response.text
    assert response.text.count('aria-invalid="true"') == 1
    assert not [e for e in audit(settings) if e.action == "export_csv"]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_day_at_the_edge_of_the_calendar_is_refused_not_a_crash(settings, client, data, day):
    as_role(settings, client, Role.ADMIN)
    response = post(client, "/admin/export", {"du": day, "au": day})
    assert response.status_code == 422
    assert "Le premier jour n'est pas une date valide" in text_of(response.text)
    assert f'value="{day}"' in response.text
    stats = client.get(f"/admin/statistiques?du={day}&au={day}")
    assert stats.status_code == 422


def test_days_typed_the_french_way_are_understood(settings, client, data):
    as_role(settings, client, Role.ADMIN)
    # From the first of DAY's month (« 1/12/2026 », no leading zero) to DAY (« 08/12/2026 »).
    first_of_month = f"1/{DAY.month}/{DAY.year}"
    exported = post(client, "/admin/export", {"du": first_of_month, "au": f"{DAY:%d/%m/%Y}"})
    assert exported.status_code == 200
    assert len(rows_of(exported)) == 2
    stats = client.get(f"/admin/statistiques?du={MONDAY:%d/%m/%Y}&au={SUNDAY:%d/%m/%Y}")
    assert stats.status_code == 200
    assert "Rendez-vous maintenus 2" in text_of(stats.text)
    assert f'value="{MONDAY}"' in stats.text  # what a date field can show again


def test_the_journal_names_an_export_in_french(settings, client, data):
    as_role(settings, client, Role.ADMIN)
    exported = post(client, "/admin/export", {"du": f"{DAY}", "au": f"{DAY}"})
    assert exported.status_code == 200
    journal = client.get("/admin/journal")
    assert "Export CSV des rendez-vous" in text_of(journal.text)
    assert "export_csv" not in text_of(journal.text)


def test_the_export_refuses_a_post_without_csrf_token(settings, client, data):
    as_role(settings, client, Role.ADMIN)
    response = client.post("/admin/export", data={"du": f"{DAY}", "au": f"{DAY}"})
    assert response.status_code == 403
    assert "content-disposition" not in response.headers


# --- statistics -------------------------------------------------------------------------


def test_statistics_show_tables_and_charts(settings, client, data):
    as_role(settings, client, Role.VIEWER)
    page = client.get(f"/admin/statistiques?du={MONDAY}&au={SUNDAY}&site=").text
    assert page.count('role="img"') == 3
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page
    text = text_of(page)
    assert "Rendez-vous maintenus 2" in text
    assert "CCAS — aide sociale Espace solidarité 1 0 0" in text


def test_an_agent_s_statistics_cover_their_sites_only(settings, client, data):
    as_role(settings, client, Role.AGENT, sites=[data["Espace solidarité"]])
    page = client.get(f"/admin/statistiques?du={MONDAY}&au={SUNDAY}")
    assert "CCAS — aide sociale" in page.text and "passeport" not in page.text
    other = client.get(f"/admin/statistiques?du={MONDAY}&au={SUNDAY}&site={data['Hôtel de ville']}")
    assert other.status_code == 422 and "passeport" not in other.text


def test_statistics_default_to_the_last_twelve_weeks(settings, client, data):
    as_role(settings, client, Role.VIEWER)
    page = client.get("/admin/statistiques")
    assert page.status_code == 200
    first = monday_of(TODAY) - timedelta(weeks=11)  # this week and the eleven before
    last = monday_of(TODAY) + timedelta(days=6)
    assert f'value="{first}"' in page.text and f'value="{last}"' in page.text
    assert text_of(page.text).count("semaine") >= 1


def test_default_periods_follow_the_day_in_paris_even_just_after_midnight(settings, client, clock):
    """At 00:30 in Paris it is still the day before in UTC: the default periods of the
    statistics (this week and the eleven before) and of the export (from the first of the
    month) follow the day in Paris."""
    monday = monday_of(TODAY) + timedelta(weeks=1)
    clock.now = at(monday, 0, 30).astimezone(UTC)  # the clock speaks UTC, like the app's
    as_role(settings, client, Role.VIEWER)
    stats = client.get("/admin/statistiques").text
    assert f'value="{monday - timedelta(weeks=11)}"' in stats
    assert f'value="{monday + timedelta(days=6)}"' in stats
    first = (TODAY.replace(day=1) + timedelta(days=31)).replace(day=1)  # next month's
    clock.now = at(first, 0, 30).astimezone(UTC)
    as_role(settings, client, Role.VIEWER)  # a new session: the other one went idle
    export = client.get("/admin/export").text
    assert f'value="{first}"' in export
    assert f'value="{first + timedelta(days=28)}"' in export


def test_statistics_of_an_empty_period_and_of_a_bad_one(settings, client, data):
    as_role(settings, client, Role.VIEWER)
    far = monday_of(TODAY) + timedelta(weeks=160)  # three years on: nothing booked then
    empty = client.get(f"/admin/statistiques?du={far}&au={far + timedelta(days=6)}")
    assert empty.status_code == 200
    assert "Aucun rendez-vous sur cette période." in text_of(empty.text)
    bad = client.get("/admin/statistiques?du=2026-02-30&au=2026-12-06")
    assert bad.status_code == 422
    assert "Le premier jour n'est pas une date valide" in text_of(bad.text)
    assert 'value="2026-02-30"' in bad.text
    assert 'role="img"' not in bad.text


# --- GDPR -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.AGENT])
def test_only_administrators_handle_personal_data_requests(settings, client, data, role):
    as_role(settings, client, role, first_site=role == "agent")
    assert client.get("/admin/rgpd").status_code == 403
    token = csrf_token(client, "/admin/export")
    for path in (
        "/admin/rgpd/recherche",
        "/admin/rgpd/export",
        "/admin/rgpd/effacement",
        "/admin/rgpd/effacement/confirmer",
        "/admin/rgpd/conservation",
    ):
        response = client.post(
            path, data={"_csrf_token": token, "personne": "camille.dupont@example.org"}
        )
        assert response.status_code == 403, path
        assert "camille" not in response.text.lower()


def test_search_copy_and_erase_a_person(settings, client, data):
    as_role(settings, client, Role.ADMIN)
    who = {"personne": "Camille.Dupont@example.org"}
    found = post(client, "/admin/rgpd/recherche", who, page="/admin/rgpd")
    assert found.status_code == 200
    assert "2 rendez-vous trouvé(s) pour camille.dupont@example.org" in text_of(found.text)
    assert "Martin" not in found.text

    copy = post(client, "/admin/rgpd/export", {**who, "format": "json"}, page="/admin/rgpd")
    assert copy.headers["content-disposition"].startswith("attachment;")
    assert len(json.loads(copy.content)["rendez_vous"]) == 2
    table = post(client, "/admin/rgpd/export", {**who, "format": "csv"}, page="/admin/rgpd")
    assert [row["e-mail"] for row in rows_of(table)] == ["camille.dupont@example.org"] * 2

    confirm = post(client, "/admin/rgpd/effacement", who, page="/admin/rgpd")
    assert "Le rendez-vous à venir sera d'abord annulé" in text_of(confirm.text)
    done = post(client, "/admin/rgpd/effacement/confirmer", who, page="/admin/rgpd")
    assert done.status_code == 303
    assert "camille" not in done.headers["location"].lower()
    notice = client.get(done.headers["location"])
    assert "Données effacées : 2 rendez-vous anonymisé(s). Le rendez-vous à venir a été" in text_of(
        notice.text
    )
    again = post(client, "/admin/rgpd/recherche", who, page="/admin/rgpd")
    assert "Aucun rendez-vous avec des données personnelles" in text_of(again.text)

    bookings = read(settings, lambda s: _all(s, select(Booking).order_by(Booking.start)))
    assert [b.last_name for b in bookings] == ["", "", "Martin"]
    events = [e for e in audit(settings) if e.action.startswith("rgpd_")]
    assert [e.action for e in events] == [
        "rgpd_recherche",
        "rgpd_export",
        "rgpd_export",
        "rgpd_effacement",
        "rgpd_recherche",
    ]
    trail = json.dumps([[e.summary, e.target, e.details] for e in events]).lower()
    assert "camille" not in trail and "612345678" not in trail


def test_a_bad_lookup_is_explained_with_the_value_kept(settings, client, data):
    as_role(settings, client, Role.ADMIN)
    response = post(client, "/admin/rgpd/recherche", {"personne": "camille@"}, page="/admin/rgpd")
    assert response.status_code == 422
    assert "Cette adresse électronique n'est pas valide" in text_of(response.text)
    assert 'value="camille@"' in response.text


def test_the_retention_period_is_checked_then_saved_and_audited(settings, client, data):
    as_role(settings, client, Role.ADMIN)
    refused = post(client, "/admin/rgpd/conservation", {"conservation": "29"}, "/admin/rgpd")
    assert refused.status_code == 422
    assert "entre 30 et 3650 jours" in text_of(refused.text)
    assert 'value="29"' in refused.text
    squared = post(client, "/admin/rgpd/conservation", {"conservation": "²"}, "/admin/rgpd")
    assert squared.status_code == 422  # a digit to Python, not a number
    assert "nombre entier de jours" in text_of(squared.text)
    saved = post(client, "/admin/rgpd/conservation", {"conservation": "730"}, "/admin/rgpd")
    assert saved.status_code == 303
    assert "Durée de conservation enregistrée." in text_of(
        client.get(saved.headers["location"]).text
    )
    assert read(settings, lambda s: _scalar(s, select(Commune.retention_days))) == 730
    assert audit(settings)[-1].summary == "Durée de conservation des données : 365 → 730 jours"


async def _all(session, statement):
    return list((await session.execute(statement)).scalars())


async def _scalar(session, statement):
    return (await session.execute(statement)).scalar()
