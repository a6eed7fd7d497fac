"""Failed staff logins slow down the one who fails, not their colleagues: delays per account
and client address that grow with each failure (no hard lock-out), a much higher guard per
address against trying one password on many accounts, X-Forwarded-For believed only from
CRENEAU_TRUSTED_PROXIES, and the journal telling who logged in, out, and who was slowed down
(docs/DECISIONS.md §95 and §96)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from app.db.models import AuditEvent
from app.settings import Settings
from app.staff.roles import Role
from tests.integration.helpers import fetch, text_of
from tests.integration.staff_helpers import (
    LOGIN,
    PASSWORD,
    create_staff,
    csrf_token,
    log_in,
    logged_in,
    server_settings,
)
from tests.server import running_server

WRONG = "mauvais mot de passe"


def fail(client: Any, member: Any) -> Any:
    return log_in(client, member, password=WRONG)


def events(settings: Settings, action: str) -> list[AuditEvent]:
    return fetch(
        settings, select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    )


def test_the_wait_doubles_with_each_failure_up_to_fifteen_minutes(client, settings, clock):
    member = create_staff(settings, Role.AGENT)
    for _ in range(5):  # the first five are free: a forgotten caps lock costs nothing
        assert fail(client, member).status_code == 401
    for seconds, words in [
        (30, "30 secondes"),
        (60, "1 minute"),
        (120, "2 minutes"),
        (240, "4 minutes"),
        (480, "8 minutes"),
        (900, "15 minutes"),
        (900, "15 minutes"),  # the ceiling
    ]:
        refused = log_in(client, member)  # even the right password waits its turn
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(seconds)
        assert f"réessayez dans {words}," in text_of(refused.text)
        assert "Adresse e-mail ou mot de passe incorrect" not in text_of(refused.text)
        clock.now += timedelta(seconds=seconds - 1)
        assert log_in(client, member).status_code == 429  # a second early is still early
        clock.now += timedelta(seconds=1)
        assert fail(client, member).status_code == 401  # checked again, and wrong again
    clock.now += timedelta(minutes=10)
    counting_down = log_in(client, member)
    assert counting_down.headers["retry-after"] == "300"
    assert "réessayez dans 5 minutes," in text_of(counting_down.text)
    clock.now += timedelta(minutes=5)
    assert log_in(client, member).status_code == 303
    client.cookies.clear()
    for _ in range(5):  # a success starts afresh
        assert fail(client, member).status_code == 401


def test_a_wait_under_a_minute_is_said_in_seconds(client, settings, clock):
    member = create_staff(settings, Role.AGENT)
    for _ in range(5):
        fail(client, member)
    clock.now += timedelta(seconds=18)
    refused = log_in(client, member)
    assert refused.headers["retry-after"] == "12"
    assert "réessayez dans 12 secondes," in text_of(refused.text)
    clock.now += timedelta(seconds=11)
    assert "réessayez dans 1 seconde," in text_of(log_in(client, member).text)


def test_unknown_addresses_are_delayed_like_accounts(client):
    def attempt() -> Any:
        return client.post(
            LOGIN,
            data={
                "email": "inconnu@ailleurs.fr",
                "mot_de_passe": "x" * 12,
                "_csrf_token": csrf_token(client),
            },
        )

    for _ in range(5):
        assert attempt().status_code == 401
    refused = attempt()
    assert refused.status_code == 429  # the same answers as for an account that exists
    assert refused.headers["retry-after"] == "30"


def test_one_address_trying_many_accounts_is_slowed_down_too(client, settings, clock):
    member = create_staff(settings, Role.AGENT)
    token = csrf_token(client)
    for number in range(100):  # one guess per account: no account is delayed by itself
        response = client.post(
            LOGIN,
            data={
                "email": f"personne{number}@ailleurs.example.fr",
                "mot_de_passe": PASSWORD,
                "_csrf_token": token,
            },
        )
        assert response.status_code == 401, number
    refused = log_in(client, member)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    (delayed,) = events(settings, "login.delayed")
    assert delayed.target == "connexion"
    assert delayed.details["adresse"] == "testclient"
    assert "100 échecs" in delayed.summary
    clock.now += timedelta(seconds=30)
    assert log_in(client, member).status_code == 303


def test_logins_logouts_and_delays_are_written_to_the_journal(client, settings):
    admin = create_staff(settings, Role.ADMIN, name="Anne Admin")
    agent = create_staff(settings, Role.AGENT, name="Bruno Agent")
    for _ in range(7):
        fail(client, agent)
    (delayed,) = events(settings, "login.delayed")  # once, when the delay starts
    assert delayed.staff_id is None and delayed.target == f"account:{agent.id}"
    assert delayed.summary == (
        f"Connexion retardée pour Bruno Agent ({agent.email}) depuis l'adresse testclient "
        "après 5 échecs."
    )
    assert delayed.details == {"adresse": "testclient", "echecs": 5, "attente_secondes": 30}
    logged_in(client, admin)
    client.post("/admin/deconnexion", data={"_csrf_token": csrf_token(client, "/admin")})
    logged_in(client, admin)
    login, _ = events(settings, "account.login")
    assert login.staff_id == admin.id and login.target == f"account:{admin.id}"
    assert login.summary == f"Connexion de Anne Admin ({admin.email}) depuis l'adresse testclient."
    (logout,) = events(settings, "account.logout")
    assert logout.staff_id == admin.id
    assert logout.summary == (
        f"Déconnexion de Anne Admin ({admin.email}) depuis l'adresse testclient."
    )
    everything = fetch(settings, select(AuditEvent))
    assert not [event for event in everything if WRONG in str(event.__dict__)]
    assert not [event for event in everything if PASSWORD in str(event.__dict__)]

    journal = text_of(client.get("/admin/journal").text)
    assert "Connexion retardée" in journal
    assert "Connexion de Anne Admin" in journal and "Déconnexion de Anne Admin" in journal
    only_logins = text_of(client.get("/admin/journal?action=account.login").text)
    assert "2 actions" in only_logins and "Déconnexion de Anne Admin" not in only_logins


# --- over a real socket: `creneau serve` behind a reverse proxy it trusts ------------------

STRANGER = "203.0.113.66"
OFFICE = "198.51.100.20"


def forwarded_for(base_url: str, address: str) -> httpx.Client:
    """A client as the proxy relays it: X-Forwarded-For names it."""
    return httpx.Client(base_url=base_url, headers={"X-Forwarded-For": address})


def delay_event(settings: Settings, member: Any) -> AuditEvent:
    (event,) = [e for e in events(settings, "login.delayed") if e.target == f"account:{member.id}"]
    return event


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(tmp_path):
    """`creneau serve` told that the reverse proxy is 127.0.0.1, where the tests connect
    from (its clock is frozen: nothing here waits). One server for the three cases: starting
    one costs seconds."""
    with running_server(tmp_path, CRENEAU_TRUSTED_PROXIES="127.0.0.1") as base_url:
        settings = server_settings(tmp_path)

        # A stranger failing on a colleague's account does not delay the colleague.
        colleague = create_staff(settings, Role.AGENT, name="Chloé Collègue")
        with forwarded_for(base_url, STRANGER) as stranger:
            for _ in range(5):
                assert fail(stranger, colleague).status_code == 401
            refused = log_in(stranger, colleague)
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "30"
        with forwarded_for(base_url, OFFICE) as office:
            assert log_in(office, colleague).status_code == 303  # at once, from the town hall
        assert delay_event(settings, colleague).details["adresse"] == STRANGER
        (login,) = [e for e in events(settings, "account.login") if e.staff_id == colleague.id]
        assert login.details == {"adresse": OFFICE}

        # The addresses of one IPv6 /64 are one client's.
        member = create_staff(settings, Role.AGENT)
        for host in range(1, 6):
            with forwarded_for(base_url, f"2001:db8:7:8::{host}") as client:
                assert fail(client, member).status_code == 401
        with forwarded_for(base_url, "2001:db8:7:8:ffff::1") as client:
            assert log_in(client, member).status_code == 429
        assert delay_event(settings, member).details["adresse"] == "2001:db8:7:8::/64"

        # 127.0.0.2 is not the proxy: whatever it writes in the header, it is 127.0.0.2.
        member = create_staff(settings, Role.AGENT)
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=base_url, transport=transport) as direct:
            for number in range(5):
                direct.headers["X-Forwarded-For"] = f"192.0.2.{number}"  # a new one each time
                assert fail(direct, member).status_code == 401
            direct.headers["X-Forwarded-For"] = "192.0.2.99"
            assert log_in(direct, member).status_code == 429
        assert delay_event(settings, member).details["adresse"] == "127.0.0.2"
