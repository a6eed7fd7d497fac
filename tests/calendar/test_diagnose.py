"""« Tester la connexion » against real servers: what worked, and what failed, in French."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.calendar_sync.diagnose import check_connection
from tests.calendar_servers import free_port


def last(report) -> str:
    return report.lines()[-1]


def test_a_bare_host_is_discovered_and_every_step_is_reported(caldav_server):
    calendar = caldav_server.new_calendar(name="Accueil")
    bare = caldav_server.base_url.split("://")[1].rstrip("/")
    account = replace(caldav_server.account(), url=bare)
    if caldav_server.kind == "radicale":
        account = replace(account, url=f"http://{bare}")  # Radicale runs without TLS here
    report = check_connection(account, publish_url=calendar, read_urls=(calendar,))
    assert report.ok, report.lines()
    text = "\n".join(report.lines())
    assert "Nom du serveur trouvé : 127.0.0.1." in text
    assert "Identifiants acceptés" in text and "Accueil" in text
    assert f"Agenda de publication accessible : {calendar}" in text
    # Both servers answer /.well-known/caldav with a redirection to their root.
    assert report.server_url == caldav_server.base_url
    if caldav_server.kind == "xandikos":
        assert "Connexion sécurisée établie (certificat TLS valide)." in text


def test_a_wrong_password_is_a_401(caldav_server):
    report = check_connection(caldav_server.account(password="pas-le-bon"))
    assert not report.ok
    assert last(report) == "✘ Identifiant ou mot de passe refusé par le serveur (401)."
    assert "pas-le-bon" not in "\n".join(report.lines())


def test_an_unknown_user_is_refused_too(caldav_server):
    report = check_connection(replace(caldav_server.account(), username="mallory"))
    assert "(401)" in last(report)


def test_a_collection_that_is_not_a_calendar_is_named(caldav_server):
    principal = caldav_server.base_url + "alice/"
    report = check_connection(caldav_server.account(), publish_url=principal)
    assert last(report) == f"✘ « {principal} » n'est pas un agenda (agenda de publication)."


def test_a_missing_calendar_is_a_404(caldav_server):
    missing = caldav_server.base_url + "alice/agenda-disparu/"
    report = check_connection(caldav_server.account(), read_urls=(missing,))
    assert "(404)" in last(report) and missing in last(report)


def test_another_users_calendar_is_refused(caldav_server):
    if caldav_server.kind == "xandikos":
        pytest.skip("Xandikos multi-user does not separate users' rights")
    bobs = caldav_server.new_calendar("bob")
    report = check_connection(caldav_server.account("alice"), read_urls=(bobs,))
    assert not report.ok and "(403)" in last(report)


def test_an_unknown_host_is_a_dns_failure(caldav_server):
    account = replace(caldav_server.account(), url="serveur-inexistant.invalid")
    report = check_connection(account)
    assert report.lines() == [
        "✘ Le nom du serveur serveur-inexistant.invalid est introuvable (DNS) : vérifiez l'adresse."
    ]


def test_nothing_listening_is_said_so(caldav_server):
    account = replace(caldav_server.account(), url=f"http://127.0.0.1:{free_port()}/")
    report = check_connection(account)
    assert "ne répond pas" in last(report)


def test_an_untrusted_certificate_is_a_tls_failure(caldav_server):
    if caldav_server.kind != "xandikos":
        pytest.skip("Radicale runs over plain HTTP here")
    report = check_connection(replace(caldav_server.account(), ca_bundle=None))
    assert "(TLS) a échoué" in last(report)
