"""Administrators manage staff accounts (/admin/comptes) and read the journal
(/admin/journal)."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_string
from email.policy import default

from sqlalchemy import select

from app.db.models import AuditEvent, Desk, OutboxMessage, Site, StaffSession, StaffUser
from app.staff.roles import Role
from tests.integration.helpers import fetch, text_of
from tests.integration.staff_helpers import (
    create_staff,
    csrf_token,
    log_in,
    logged_in,
    session_token,
    use_session,
)

NEW = "/admin/comptes/nouveau"


def _account(settings, email: str) -> StaffUser:
    rows = fetch(settings, select(StaffUser).where(StaffUser.email == email))
    assert rows, email
    return rows[0]


def test_an_admin_creates_an_agent_who_chooses_a_password_by_email(client, settings):
    admin = create_staff(settings, Role.ADMIN, name="Anne Admin")
    logged_in(client, admin)
    site_ids = fetch(settings, select(Site.id).order_by(Site.id))
    token = csrf_token(client, NEW)
    missing = client.post(NEW, data={"_csrf_token": token, "display_name": "", "email": ""})
    assert missing.status_code == 422
    assert "Indiquez le nom de la personne." in text_of(missing.text)
    created = client.post(
        NEW,
        data={
            "_csrf_token": token,
            "display_name": "Bruno Guichet",
            "email": "Bruno@Mairie.example.fr",
            "role": "agent",
            "sites": [str(site_ids[0])],
        },
    )
    assert created.status_code == 200
    assert "Le compte est créé." in text_of(created.text)
    assert "Bruno Guichet" in text_of(created.text)
    bruno = _account(settings, "bruno@mairie.example.fr")
    assert bruno.role == "agent"
    duplicate = client.post(
        NEW,
        data={
            "_csrf_token": token,
            "display_name": "Autre",
            "email": "bruno@mairie.example.fr",
            "role": "viewer",
        },
    )
    assert "Un compte existe déjà avec cette adresse e-mail." in text_of(duplicate.text)
    assert 'value="Autre"' in duplicate.text  # what was typed is kept

    outbox = fetch(settings, select(OutboxMessage).where(OutboxMessage.kind == "staff_welcome"))
    assert len(outbox) == 1 and outbox[0].payload["to"] == "bruno@mairie.example.fr"
    message = message_from_string(outbox[0].payload["message"], policy=default)
    assert "choisissez votre mot de passe" in message["Subject"]
    link = re.search(
        r"https?://\S+(/admin/reinitialiser/\S+)",
        message.get_body(preferencelist=("plain",)).get_content(),
    ).group(1)
    client.cookies.clear()
    page = client.get(link)
    assert "Choisir votre mot de passe" in text_of(page.text)
    chosen = "le mot de passe choisi par Bruno"
    client.post(
        link,
        data={"nouveau": chosen, "confirmation": chosen, "_csrf_token": csrf_token(client, link)},
    )
    token = csrf_token(client)
    response = client.post(
        "/admin/connexion",
        data={"email": "bruno@mairie.example.fr", "mot_de_passe": chosen, "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    actions = [event.action for event in fetch(settings, select(AuditEvent))]
    assert "account.created" in actions and "account.password" in actions


def test_role_and_sites_change_and_the_last_admin_stays(client, settings):
    admin = create_staff(settings, Role.ADMIN)
    viewer = create_staff(settings, Role.VIEWER)
    logged_in(client, admin)
    site_ids = fetch(settings, select(Site.id).order_by(Site.id))
    token = csrf_token(client, f"/admin/comptes/{viewer.id}")
    client.post(
        f"/admin/comptes/{viewer.id}",
        data={"_csrf_token": token, "role": "agent", "sites": [str(site_ids[-1])]},
    )
    changed = _account(settings, viewer.email)
    assert changed.role == "agent"
    refused = client.post(
        f"/admin/comptes/{admin.id}", data={"_csrf_token": token, "role": "viewer"}
    )
    assert refused.status_code == 422
    assert "seul administrateur actif" in text_of(refused.text)
    assert _account(settings, admin.email).role == "admin"
    events = fetch(settings, select(AuditEvent).where(AuditEvent.action == "account.access"))
    assert len(events) == 1 and events[0].staff_id == admin.id


def test_deactivation_logs_out_and_is_refused_for_oneself(client, settings):
    admin = create_staff(settings, Role.ADMIN)
    agent = create_staff(settings, Role.AGENT)
    logged_in(client, agent)
    agent_session = session_token(client)
    logged_in(client, admin)
    admin_session = session_token(client)
    token = csrf_token(client, f"/admin/comptes/{agent.id}")
    done = client.post(f"/admin/comptes/{agent.id}/desactiver", data={"_csrf_token": token})
    assert "Le compte est désactivé" in text_of(done.text)
    use_session(client, agent_session)
    assert client.get("/admin", follow_redirects=False).status_code == 303
    assert fetch(settings, select(StaffSession).where(StaffSession.staff_id == agent.id)) == []
    assert log_in(client, agent).status_code == 401
    use_session(client, admin_session)
    myself = client.post(f"/admin/comptes/{admin.id}/desactiver", data={"_csrf_token": token})
    assert myself.status_code == 409
    assert "Vous ne pouvez pas désactiver votre propre compte." in text_of(myself.text)
    assert _account(settings, admin.email).active
    client.post(f"/admin/comptes/{agent.id}/reactiver", data={"_csrf_token": token})
    assert _account(settings, agent.email).active


def test_the_journal_lists_newest_first_and_filters(client, settings):
    admin = create_staff(settings, Role.ADMIN, name="Anne Admin")
    other = create_staff(settings, Role.ADMIN, name="Odile Autre")
    logged_in(client, admin)
    token = csrf_token(client, f"/admin/comptes/{other.id}")
    client.post(f"/admin/comptes/{other.id}", data={"_csrf_token": token, "role": "viewer"})
    page = client.get("/admin/journal")
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", page.text, re.S)
    assert "Rôle ou sites changés" in text_of(rows[0])  # the newest first
    assert "Anne Admin" in text_of(rows[0])
    assert f"Compte n° {other.id}" in text_of(rows[0])  # not "account:…"
    assert "rôle Consultation seule" in text_of(rows[0])  # not "viewer"
    filtered = client.get("/admin/journal", params={"action": "account.created"})
    assert "Rôle ou sites changés" not in text_of(filtered.text).split("Filtrer", 1)[1]
    by_other = client.get("/admin/journal", params={"compte": str(other.id)})
    assert "Aucune action ne correspond." in text_of(by_other.text)


def test_the_journal_has_pages_of_fifty(client, settings):
    import asyncio

    from app.db.session import Database
    from app.staff.audit import record
    from tests.days import later

    admin = create_staff(settings, Role.ADMIN)

    async def write_events() -> None:
        db = Database(settings.database_url)
        start = later(hours=-2)  # an hour of events, ending an hour before the instant
        try:
            async with db.write() as session:
                for n in range(60):
                    await record(session, None, "essai", f"objet {n}", f"Événement {n}",
                                 now=start + timedelta(minutes=n))  # fmt: skip
        finally:
            await db.dispose()

    asyncio.run(write_events())
    logged_in(client, admin)
    first = text_of(client.get("/admin/journal", params={"action": "essai"}).text)
    assert "60 actions — page 1 sur 2" in first
    assert "Événement 59" in first and "Événement 10 " in first and "Événement 9 " not in first
    assert "Système" in first
    second = client.get("/admin/journal", params={"action": "essai", "page": "2"})
    text = text_of(second.text)
    assert "Événement 9 " in text and "Événement 0 " in text and "Événement 59" not in text
    assert "Page précédente" in text


def test_the_dashboard_counts_todays_bookings_of_the_sites_one_sees(client, settings, clock):
    from zoneinfo import ZoneInfo

    from tests.conftest import Citizen
    from tests.integration.changes_helpers import book_one

    booking = book_one(Citizen(client), settings)
    clock.now = booking.start - timedelta(hours=1)
    day = booking.start.astimezone(ZoneInfo("Europe/Paris")).date()
    site_of_booking = fetch(
        settings,
        select(Site).join(Desk, Desk.site_id == Site.id).where(Desk.id == booking.desk_id),
    )[0]
    other_site = next(s for s in fetch(settings, select(Site)) if s.id != site_of_booking.id)
    agent = create_staff(settings, Role.AGENT, sites=[other_site.id])
    admin = create_staff(settings, Role.ADMIN)
    logged_in(client, admin)
    text = text_of(client.get("/admin").text)
    assert f"{site_of_booking.name} : 1 rendez-vous" in text, (day, text)
    logged_in(client, agent)
    text = text_of(client.get("/admin").text)
    assert site_of_booking.name not in text.split("Aujourd'hui", 1)[1].split("Accès rapide")[0]
    assert f"{other_site.name} : aucun rendez-vous" in text


def test_a_nul_character_typed_in_a_form_is_dropped_not_a_crash(client, settings):
    logged_in(client, create_staff(settings, Role.ADMIN))
    token = csrf_token(client, NEW)
    created = client.post(
        NEW,
        data={
            "_csrf_token": token,
            "display_name": "Nul\x00 Caractère",
            "email": "nul@mairie.example.fr",
            "role": "viewer",
        },
    )
    assert created.status_code == 200
    assert "Le compte est créé." in text_of(created.text)
    assert _account(settings, "nul@mairie.example.fr").display_name == "Nul Caractère"


def test_an_id_beyond_the_database_range_is_not_found_not_a_crash(client, settings):
    logged_in(client, create_staff(settings, Role.ADMIN))
    huge = "99999999999999999999999"
    for path in (
        f"/admin/comptes/{huge}",
        f"/admin/configuration/sites/{huge}",
        f"/admin/configuration/guichets/{huge}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in text_of(response.text)
    journal = client.get(f"/admin/journal?compte={huge}")
    assert journal.status_code == 200
    token = csrf_token(client, NEW)
    created = client.post(
        NEW,
        data={
            "_csrf_token": token,
            "display_name": "Agent Sans Site",
            "email": "sans-site@mairie.example.fr",
            "role": "agent",
            "sites": [huge, "3000000000"],
        },
    )
    assert "Le compte est créé." in text_of(created.text)
