"""Administrators edit desks and their calendar connection; a desk with bookings is never
removed (bookings to come are listed, to be moved first)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from app.calendar_sync.connections import save_connection
from app.db.models import (
    AppointmentType,
    AuditEvent,
    Booking,
    CalendarConnection,
    Commune,
    Desk,
    PublishedEvent,
    Site,
)
from app.staff.roles import Role
from tests.calendar.bookings import make_booking
from tests.calendar.conftest import run
from tests.calendar.test_import import TUESDAY
from tests.calendar_servers import USERS, CalendarServer
from tests.instant import FIXED_NOW
from tests.integration.changes_helpers import book_one
from tests.integration.helpers import fetch, text_of
from tests.integration.staff_helpers import create_staff, csrf_token, logged_in

BASE = "/admin/configuration/guichets"


@contextmanager
def _recording_server():
    """A local HTTP server noting every request it gets (an attacker's « calendar »)."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_any(self) -> None:
            received.append(self.headers.get("Authorization") or self.path)
            self.send_response(401)
            self.end_headers()

        do_GET = do_PROPFIND = do_OPTIONS = do_any

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", received
    finally:
        server.shutdown()


@pytest.fixture
def admin_client(client, settings):
    """The citizen's client, logged in as an administrator too (the cookies' paths differ;
    one client keeps one event loop, as PostgreSQL's connection pool requires)."""
    return logged_in(client, create_staff(settings, Role.ADMIN))


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    server = CalendarServer("radicale", tmp_path_factory.mktemp("radicale")).start()
    yield server
    server.stop()


def test_a_desk_serves_only_types_of_its_site(admin_client, settings):
    sites = fetch(settings, select(Site).order_by(Site.id))
    types = fetch(settings, select(AppointmentType).order_by(AppointmentType.id))
    own = next(t for t in types if t.site_id == sites[0].id)
    foreign = next(t for t in types if t.site_id != sites[0].id)
    token = csrf_token(admin_client, f"{BASE}/nouveau")
    refused = admin_client.post(
        f"{BASE}/nouveau",
        data={
            "_csrf_token": token,
            "name": "Guichet 3",
            "site_id": str(sites[0].id),
            "types": [str(own.id), str(foreign.id)],
        },
    )
    assert refused.status_code == 422
    assert f"décochez : {foreign.title}" in text_of(refused.text)
    assert 'value="Guichet 3"' in refused.text
    created = admin_client.post(
        f"{BASE}/nouveau",
        data={
            "_csrf_token": token,
            "name": "Guichet 3",
            "site_id": str(sites[0].id),
            "types": [str(own.id)],
        },
    )
    assert "Le guichet est créé." in text_of(created.text)
    desk = fetch(settings, select(Desk).where(Desk.name == "Guichet 3"))[0]
    listing = text_of(admin_client.get(BASE).text)
    assert "Guichet 3" in listing and own.title in listing
    removed = admin_client.post(f"{BASE}/{desk.id}/supprimer", data={"_csrf_token": token})
    assert "Le guichet est supprimé." in text_of(removed.text)
    assert fetch(settings, select(Desk).where(Desk.id == desk.id)) == []
    actions = fetch(settings, select(AuditEvent.action))
    assert "desk.created" in actions and "desk.deleted" in actions


def test_a_desk_with_a_booking_to_come_is_not_removed(admin_client, citizen, settings):
    booking = book_one(citizen, settings)
    token = csrf_token(admin_client, f"{BASE}/{booking.desk_id}")
    refused = admin_client.post(f"{BASE}/{booking.desk_id}/supprimer", data={"_csrf_token": token})
    assert refused.status_code == 409
    page = text_of(refused.text)
    assert booking.reference in page and "rien n'a été changé" in page
    assert 'class="tableau-defilant" role="region"' in refused.text
    assert 'tabindex="0"' in refused.text  # the table scrolls sideways on a phone
    assert fetch(settings, select(Desk).where(Desk.id == booking.desk_id))


def test_connecting_a_calendar_tests_it_first_and_never_shows_the_password(
    admin_client, settings, radicale
):
    desk = fetch(settings, select(Desk).order_by(Desk.id))[0]
    page = f"{BASE}/{desk.id}/agenda"
    token = csrf_token(admin_client, page)
    wrong = admin_client.post(
        page,
        data={
            "_csrf_token": token,
            "server_url": radicale.base_url,
            "username": "alice",
            "calendar_password": "pas-le-bon-mot-de-passe",
        },
    )
    assert wrong.status_code == 422
    assert "Identifiant ou mot de passe refusé par le serveur (401)." in text_of(wrong.text)
    assert "pas-le-bon-mot-de-passe" not in wrong.text
    assert fetch(settings, select(CalendarConnection)) == []
    saved = admin_client.post(
        page,
        data={
            "_csrf_token": token,
            "server_url": radicale.base_url,
            "username": "alice",
            "calendar_password": USERS["alice"],
        },
    )
    assert "L'agenda est connecté" in text_of(saved.text)
    assert USERS["alice"] not in saved.text
    connection = fetch(settings, select(CalendarConnection))[0]
    assert connection.desk_id == desk.id and USERS["alice"] not in connection.password_encrypted
    tested = admin_client.post(f"{page}/tester", data={"_csrf_token": token})
    text = text_of(tested.text)
    assert "Connexion réussie" in text and "Identifiants acceptés" in text
    # Saved again with the password field left empty: the stored one is kept.
    again = admin_client.post(
        page,
        data={
            "_csrf_token": token,
            "server_url": radicale.base_url,
            "username": "alice",
            "calendar_password": "",
            "all_busy": "oui",
        },
    )
    assert "L'agenda est connecté" in text_of(again.text)
    assert fetch(settings, select(CalendarConnection.all_busy)) == [True]
    # Another server with the field left empty: the stored password is not sent there.
    with _recording_server() as (elsewhere, received):
        moved = admin_client.post(
            page,
            data={
                "_csrf_token": token,
                "server_url": elsewhere,
                "username": "alice",
                "calendar_password": "",
            },
        )
    assert moved.status_code == 422
    assert "Le serveur ou l'identifiant a changé" in text_of(moved.text)
    assert received == []
    assert fetch(settings, select(CalendarConnection.server_url)) != [elsewhere]
    admin_client.post(f"{page}/deconnecter", data={"_csrf_token": token})
    assert fetch(settings, select(CalendarConnection)) == []


def test_the_calendar_page_shows_the_connection_state_and_the_drifts_restored(
    admin_client, settings
):
    admin_client.get("/")
    booking_id = make_booking(settings, TUESDAY, 10)
    desk = fetch(settings, select(Desk).where(Desk.name == "Accueil CCAS"))[0]
    drift = "L'évènement avait été modifié dans l'agenda ; il a été rétabli."

    async def connected_with_a_drift(db):
        async with db.write() as session:
            connection = await save_connection(
                session,
                settings,
                desk_id=desk.id,
                server_url="https://agenda.invalid/",
                username="accueil",
                password="secret",
                publish_calendar_url="https://agenda.invalid/rdv/",
                read_calendar_urls=[],
                all_busy=False,
                agent_email="",
                now=FIXED_NOW,
            )
            connection.status, connection.last_error = "failing", "Le serveur ne répond pas."
            session.add(
                PublishedEvent(
                    booking_id=booking_id,
                    connection_id=connection.id,
                    href="/rdv/a.ics",
                    drift=f"30/11/2026 07:00 UTC — {drift}",
                    updated_at=FIXED_NOW,
                )  # fmt: skip
            )

    run(connected_with_a_drift, settings)
    text = text_of(admin_client.get(f"{BASE}/{desk.id}/agenda").text)
    reference = fetch(settings, select(Booking.reference))[0]
    assert "En échec" in text and "Le serveur ne répond pas." in text
    assert f"Rendez-vous {reference} du" in text and drift in text
    assert "est un secret" in text


def test_the_commune_chooses_what_agents_calendars_show_of_citizens(admin_client, settings):
    desk = fetch(settings, select(Desk).order_by(Desk.id))[0]
    page = f"{BASE}/{desk.id}/agenda"
    form = text_of(admin_client.get(page).text)
    assert "Prénom et initiale du nom" in form
    assert fetch(settings, select(Commune.calendar_details)) == ["initiale"]
    token = csrf_token(admin_client, page)

    forged = admin_client.post(f"{page}/confidentialite", data={"calendar_details": "complet"})
    assert forged.status_code == 403
    invented = admin_client.post(
        f"{page}/confidentialite", data={"_csrf_token": token, "calendar_details": "tout"}
    )
    assert invented.status_code == 422
    assert "Choisissez ce que les agendas des agents montrent" in text_of(invented.text)
    assert fetch(settings, select(Commune.calendar_details)) == ["initiale"]

    chosen = admin_client.post(
        f"{page}/confidentialite", data={"_csrf_token": token, "calendar_details": "reference"}
    )
    assert "Le choix est enregistré" in text_of(chosen.text)
    assert fetch(settings, select(Commune.calendar_details)) == ["reference"]
    audited = select(AuditEvent.action).where(AuditEvent.action == "commune.calendar_details")
    assert fetch(settings, audited) == ["commune.calendar_details"]
