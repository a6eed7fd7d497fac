"""The installable app over HTTP: the service worker and the manifest as browsers need them,
the icons, the device pages (no personal data in them), refreshing what a device
remembers, the VAPID key kept across restarts, and a replayed cancellation answered as
already done."""

from __future__ import annotations

import asyncio
import json
import struct
from dataclasses import replace

import pytest
from sqlalchemy import select, update

from app.db.models import Booking, Commune, OutboxMessage
from app.push.vapid import load_or_create_keys
from app.settings import PROJECT_ROOT
from app.web.static_files import static_url
from tests.conftest import CSRF_RE
from tests.integration.changes_helpers import book_one, cancel_link, csrf_token, the_booking
from tests.integration.helpers import execute, fetch
from tests.integration.mail_helpers import run

ICONS = PROJECT_ROOT / "static" / "icons"


@pytest.fixture
def settings(settings):
    return replace(settings, embedded_worker=False)


def test_the_service_worker_is_served_for_the_whole_site(client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert "__VERSION__" not in response.text and "__SHELL__" not in response.text
    for path in (static_url("css/creneau.css"), "/hors-ligne", "/mes-rendez-vous"):
        assert json.dumps(path) in response.text
    # Every precached address answers, or the worker would never install.
    shell = json.loads(response.text.split("var SHELL = ", 1)[1].split(";\n", 1)[0])
    for path in shell:
        assert client.get(path).status_code == 200, path


def test_the_manifest_follows_the_communes_settings(client, settings) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["lang"] == "fr" and data["display"] == "standalone"
    assert data["name"] == "Rendez-vous en mairie — Mairie de Val-de-Lys"
    assert data["start_url"] == "/mes-rendez-vous" and data["scope"] == "/"
    assert data["theme_color"] == "#000091"
    assert {icon.get("purpose", "any") for icon in data["icons"]} == {"any", "maskable"}
    execute(settings, update(Commune).values(primary_color="#6a1b9a"))
    assert client.get("/manifest.webmanifest").json()["theme_color"] == "#6a1b9a"
    assert '<meta name="theme-color" content="#6a1b9a">' in client.get("/mes-rendez-vous").text


@pytest.mark.parametrize(
    ("name", "size"),
    [("icon-192.png", 192), ("icon-512.png", 512), ("icon-maskable-512.png", 512)],
)
def test_the_icons_are_pngs_of_their_stated_size(name: str, size: int) -> None:
    data = (ICONS / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (size, size)


def test_the_device_pages_hold_no_personal_data_and_say_what_they_need(citizen, settings):
    book_one(citizen, settings)
    for path in ("/mes-rendez-vous", "/mes-rendez-vous/rendez-vous"):
        page = citizen.get(path)
        assert page.status_code == 200
        assert "Dupont" not in page.text and "example.org" not in page.text
        assert "demande JavaScript" in page.text
    offline = citizen.get("/hors-ligne/modification").text
    assert "Modifier un rendez-vous demande une connexion" in offline


def test_the_confirmation_hands_the_device_its_links_and_nothing_personal(citizen, settings):
    booking = book_one(citizen, settings)
    page = citizen.get("/rendez-vous/confirmation").text
    memo = json.loads(page.split("data-appareil-rdv='", 1)[1].split("'", 1)[0])
    assert memo["reference"] == booking.reference
    assert memo["cancel"] == cancel_link(settings, booking)
    assert memo["status"] == "confirme"
    assert not {"Dupont", "Camille"} & set(json.dumps(memo, ensure_ascii=False).split('"'))
    assert booking.email not in json.dumps(memo)


def refresh(citizen, links: list[str], token: str):
    return citizen.client.post(
        "/mes-rendez-vous/etat", json={"liens": links}, headers={"X-CSRFToken": token}
    )


def test_refreshing_what_the_device_remembers(citizen, settings) -> None:
    booking = book_one(citizen, settings)
    link = cancel_link(settings, booking)
    token = csrf_token(citizen)
    answer = refresh(citizen, [link, "/rendez-vous/annuler/faux", "/ailleurs"], token).json()
    assert [item["etat"] for item in answer["rendez_vous"]] == ["confirme", "inconnu"]
    assert answer["rendez_vous"][0]["rendez_vous"]["reference"] == booking.reference

    # Changed since (by the town hall): the old link does not fetch the new ones.
    execute(settings, update(Booking).values(sequence=Booking.sequence + 1))
    [state] = refresh(citizen, [link], token).json()["rendez_vous"]
    assert state == {"lien": link, "etat": "remplace"}
    execute(settings, update(Booking).values(sequence=Booking.sequence - 1))

    citizen.client.post(link, data={"choix": "annuler", "_csrf_token": token})
    [state] = refresh(citizen, [link], token).json()["rendez_vous"]
    assert state["etat"] == "annule" and state["rendez_vous"]["status"] == "annule"
    assert citizen.client.post("/mes-rendez-vous/etat", json={"liens": [link]}).status_code == 403
    assert refresh(citizen, "pas une liste", token).status_code == 400


def test_a_replayed_cancellation_is_answered_as_already_done(citizen, settings) -> None:
    """What the service worker sends again when the network comes back: the same form (the
    signed link names the booking and its version: it is the idempotency key)."""
    booking = book_one(citizen, settings)
    link = cancel_link(settings, booking)
    token = CSRF_RE.search(citizen.get(link).text).group(1)
    form = {"choix": "annuler", "_csrf_token": token}
    answers = [citizen.client.post(link, data=form, follow_redirects=True) for _ in range(3)]
    for answer in answers:
        assert str(answer.url).endswith("?etat=annule")
        assert "Rendez-vous annulé" in answer.text
    after = the_booking(settings, booking.id)
    assert (after.status, after.sequence) == ("cancelled", booking.sequence + 1)
    kinds = [row.kind for row in fetch(settings, select(OutboxMessage))]
    assert kinds.count("booking_cancelled") == 1  # one e-mail


def test_the_vapid_key_is_made_once_and_kept(client, settings) -> None:
    first = client.app.state.vapid

    async def again(db):
        return await asyncio.gather(
            load_or_create_keys(db, "", None), load_or_create_keys(db, "", None)
        )

    assert asyncio.run(run(again)(settings.database_url)) == [first, first]
    assert "PRIVATE" not in repr(first)
