"""Logging in to the back office, logging out, changing and resetting the
password: what a staff member sees, and what the database keeps (the delays after failed
logins: test_login_delays.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_string
from email.policy import default

from sqlalchemy import select

from app.db.models import AuditEvent, OutboxMessage, StaffSession, StaffUser
from app.staff.roles import Role
from tests.integration.helpers import fetch, text_of
from tests.integration.staff_helpers import (
    LOGIN,
    PASSWORD,
    create_staff,
    csrf_token,
    log_in,
    logged_in,
    session_token,
    use_session,
)

NEW_PASSWORD = "une phrase toute neuve et longue"


def test_login_sets_a_private_session_cookie_and_opens_the_dashboard(client, settings):
    member = create_staff(settings, Role.AGENT, first_site=True, name="Alice Agent")
    response = log_in(client, member)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("creneau_staff=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/admin" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    stored = fetch(settings, select(StaffSession.token_hash))
    assert token not in stored and len(stored) == 1  # only a hash of the token is kept
    page = client.get("/admin")
    assert page.status_code == 200
    assert "Bonjour Alice Agent" in text_of(page.text)
    assert 'aria-current="page"' in page.text


def test_the_email_is_not_case_sensitive(client, settings):
    member = create_staff(settings, Role.VIEWER, email="Claire.Dupont@Mairie.example.fr")
    assert member.email == "claire.dupont@mairie.example.fr"
    token = csrf_token(client)
    response = client.post(
        LOGIN,
        data={
            "email": "CLAIRE.DUPONT@mairie.example.fr",
            "mot_de_passe": PASSWORD,
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_wrong_password_and_an_unknown_address_get_the_same_message(client, settings):
    member = create_staff(settings, Role.ADMIN)
    wrong = log_in(client, member, password="pas le bon mot de passe")
    assert wrong.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in text_of(wrong.text)
    assert f'value="{member.email}"' in wrong.text  # what was typed is kept (not the password)
    assert "pas le bon mot de passe" not in wrong.text
    unknown = client.post(
        LOGIN,
        data={
            "email": "personne@ailleurs.fr",
            "mot_de_passe": "x" * 12,
            "_csrf_token": csrf_token(client),
        },
    )
    assert unknown.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in text_of(unknown.text)
    assert "creneau_staff" not in client.cookies


def test_empty_fields_are_explained(client, settings):
    response = client.post(
        LOGIN, data={"email": "", "mot_de_passe": "", "_csrf_token": csrf_token(client)}
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Saisissez votre adresse e-mail." in text
    assert "Saisissez votre mot de passe." in text
    assert "2 erreurs empêchent de vous connecter" in text  # nothing is being saved here


def test_return_path_is_kept_but_only_inside_the_back_office(client, settings):
    member = create_staff(settings, Role.ADMIN)
    first = client.get("/admin/compte", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/admin/connexion?suite=/admin/compte"
    for suite, expected in [
        ("/admin/compte", "/admin/compte"),
        ("https://evil.example/admin", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/rendez-vous/type", "/admin"),
        ("/admin/../rendez-vous", "/admin"),
    ]:
        client.cookies.clear()
        response = client.post(
            LOGIN,
            data={
                "email": member.email,
                "mot_de_passe": member.password,
                "suite": suite,
                "_csrf_token": csrf_token(client),
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == expected, suite


def test_logout_ends_the_session_on_the_server(client, settings):
    member = create_staff(settings, Role.VIEWER)
    logged_in(client, member)
    cookie = client.cookies.get("creneau_staff")
    token = csrf_token(client, "/admin")
    response = client.post(
        "/admin/deconnexion", data={"_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/connexion?etat=deconnecte"
    assert "Vous êtes déconnecté." in text_of(client.get(response.headers["location"]).text)
    client.cookies.set("creneau_staff", cookie, path="/admin")  # a copy of the old cookie
    assert client.get("/admin", follow_redirects=False).status_code == 303
    assert fetch(settings, select(StaffSession)) == []


def test_an_idle_session_expires(client, settings, clock):
    member = create_staff(settings, Role.VIEWER)
    logged_in(client, member)
    clock.now += timedelta(minutes=90)
    assert client.get("/admin").status_code == 200  # activity renews the idle clock
    clock.now += timedelta(minutes=90)
    assert client.get("/admin").status_code == 200
    clock.now += timedelta(hours=2, minutes=1)
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_a_deactivated_account_is_logged_out_at_once(client, settings):
    from sqlalchemy import update

    from tests.integration.helpers import execute

    member = create_staff(settings, Role.AGENT)
    logged_in(client, member)
    execute(settings, update(StaffUser).where(StaffUser.id == member.id).values(active=False))
    assert client.get("/admin", follow_redirects=False).status_code == 303
    assert log_in(client, member).status_code == 401


def test_changing_ones_password(client, settings):
    member = create_staff(settings, Role.AGENT)
    logged_in(client, member)
    token = csrf_token(client, "/admin/compte")
    short = client.post(
        "/admin/compte",
        data={
            "actuel": member.password,
            "nouveau": "court",
            "confirmation": "court",
            "_csrf_token": token,
        },
    )
    assert short.status_code == 422
    assert "au moins 12 caractères" in text_of(short.text)
    wrong = client.post(
        "/admin/compte",
        data={
            "actuel": "pas le bon du tout",
            "nouveau": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD,
            "_csrf_token": token,
        },
    )
    assert "Le mot de passe actuel n'est pas le bon." in text_of(wrong.text)
    mismatch = client.post(
        "/admin/compte",
        data={
            "actuel": member.password,
            "nouveau": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD + "x",
            "_csrf_token": token,
        },
    )
    assert "ne sont pas identiques" in text_of(mismatch.text)
    done = client.post(
        "/admin/compte",
        data={
            "actuel": member.password,
            "nouveau": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD,
            "_csrf_token": token,
        },
    )
    assert done.status_code == 200
    assert "Votre mot de passe a été changé." in text_of(done.text)
    events = fetch(settings, select(AuditEvent).where(AuditEvent.action == "account.password"))
    assert len(events) == 1 and events[0].staff_id == member.id
    client.cookies.clear()
    assert log_in(client, member).status_code == 401
    assert log_in(client, member, password=NEW_PASSWORD).status_code == 303


def test_changing_ones_password_renews_this_session_and_ends_the_others(client, settings):
    member = create_staff(settings, Role.AGENT)
    logged_in(client, member)
    other_browser = session_token(client)
    client.cookies.clear()
    logged_in(client, member)
    old = session_token(client)
    token = csrf_token(client, "/admin/compte")
    done = client.post(
        "/admin/compte",
        data={
            "actuel": member.password,
            "nouveau": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD,
            "_csrf_token": token,
        },
    )
    assert "Votre mot de passe a été changé." in text_of(done.text)  # still logged in here
    assert session_token(client) not in (old, other_browser)
    new = session_token(client)
    for stolen in (old, other_browser):  # e.g. a copy of the cookie taken earlier
        use_session(client, stolen)
        assert client.get("/admin/compte", follow_redirects=False).status_code == 303
    use_session(client, new)
    assert client.get("/admin/compte", follow_redirects=False).status_code == 200


def test_guessing_the_current_password_from_an_open_session_is_throttled(client, settings):
    member = create_staff(settings, Role.AGENT)
    logged_in(client, member)
    token = csrf_token(client, "/admin/compte")

    def change(current: str):
        return client.post(
            "/admin/compte",
            data={
                "actuel": current,
                "nouveau": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD,
                "_csrf_token": token,
            },
        )

    for attempt in range(5):
        assert "n'est pas le bon" in text_of(change(f"devinette numéro {attempt}").text)
    refused = change(member.password)  # even the right one, for a while
    assert refused.status_code == 422
    assert "réessayez dans 30 secondes" in text_of(refused.text)
    assert not fetch(settings, select(AuditEvent).where(AuditEvent.action == "account.password"))


def _emailed_link(settings, email: str) -> str:
    rows = fetch(settings, select(OutboxMessage).where(OutboxMessage.kind == "staff_reset"))
    mine = [row for row in rows if row.payload["to"] == email]
    assert mine, "no reset e-mail in the outbox"
    message = message_from_string(mine[-1].payload["message"], policy=default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S+(/admin/reinitialiser/\S+)", text)
    assert match, text
    return match.group(1)


def test_forgotten_password_by_emailed_link_works_once(client, settings, clock):
    member = create_staff(settings, Role.ADMIN)
    token = csrf_token(client, "/admin/mot-de-passe-oublie")
    answer = client.post(
        "/admin/mot-de-passe-oublie", data={"email": member.email.upper(), "_csrf_token": token}
    )
    neutral = text_of(answer.text)
    assert "Si un compte actif correspond à cette adresse" in neutral
    unknown = client.post(
        "/admin/mot-de-passe-oublie", data={"email": "qui@ailleurs.fr", "_csrf_token": token}
    )
    assert text_of(unknown.text) == neutral  # the same page whether the account exists or not
    link = _emailed_link(settings, member.email)
    form = client.get(link)
    assert form.status_code == 200
    assert "Choisir un nouveau mot de passe" in text_of(form.text)
    token = csrf_token(client, link)
    short = client.post(
        link, data={"nouveau": "court", "confirmation": "court", "_csrf_token": token}
    )
    assert short.status_code == 422
    done = client.post(
        link,
        data={"nouveau": NEW_PASSWORD, "confirmation": NEW_PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert log_in(client, member, password=NEW_PASSWORD).status_code == 303
    again = client.get(link)
    assert again.status_code == 410
    assert "déjà servi" in text_of(again.text)


def test_a_locked_out_account_can_log_in_at_once_after_a_reset(client, settings):
    member = create_staff(settings, Role.AGENT)
    for _ in range(5):
        log_in(client, member, password="mauvais mot de passe")
    assert log_in(client, member).status_code == 429  # "… ou demandez un nouveau mot de passe"
    token = csrf_token(client, "/admin/mot-de-passe-oublie")
    client.post("/admin/mot-de-passe-oublie", data={"email": member.email, "_csrf_token": token})
    link = _emailed_link(settings, member.email)
    token = csrf_token(client, link)
    client.post(
        link, data={"nouveau": NEW_PASSWORD, "confirmation": NEW_PASSWORD, "_csrf_token": token}
    )
    assert log_in(client, member, password=NEW_PASSWORD).status_code == 303


def test_a_reset_link_expires_after_an_hour(client, settings, clock):
    member = create_staff(settings, Role.ADMIN)
    token = csrf_token(client, "/admin/mot-de-passe-oublie")
    client.post("/admin/mot-de-passe-oublie", data={"email": member.email, "_csrf_token": token})
    link = _emailed_link(settings, member.email)
    clock.now += timedelta(minutes=59)
    assert client.get(link).status_code == 200
    clock.now += timedelta(minutes=2)
    expired = client.get(link)
    assert expired.status_code == 410
    assert "Ce lien a expiré." in text_of(expired.text)


def test_a_tampered_link_is_refused(client, settings):
    response = client.get("/admin/reinitialiser/WzEsImFiYyIsInJlc2V0Il0.abc.def")
    assert response.status_code == 410
    assert "n'est pas valable" in text_of(response.text)


def test_an_htmx_request_without_session_loads_the_login_page_whole(client):
    response = client.get("/admin/compte", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.headers["HX-Redirect"] == "/admin/connexion?suite=/admin/compte"
    assert response.text == ""


def test_an_unknown_back_office_page_says_so_in_back_office_words(client, settings):
    logged_in(client, create_staff(settings, Role.VIEWER))
    response = client.get("/admin/nulle-part")
    assert response.status_code == 404
    text = text_of(response.text)
    assert "Cette page du back-office n'existe pas" in text
    assert "Revenir au tableau de bord" in text
