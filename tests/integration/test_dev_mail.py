"""The development mailbox page: only with debugging on, messages listed and readable,
links clickable, the message's HTML shown only after sanitising."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest
from litestar.testing import TestClient
from sqlalchemy import update

from app.asgi import create_app
from app.db.models import Commune
from app.db.session import Database
from tests.conftest import FIXED_NOW
from tests.days import first_free
from tests.integration.flow import CONTACT
from tests.integration.helpers import walk_to
from tests.integration.mail_helpers import deliver, run, sms_when

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture
def settings(settings):
    return replace(settings, debug=True, embedded_worker=False)


def test_the_mailbox_does_not_exist_without_debugging(settings, clock):
    off = replace(settings, debug=False)
    with TestClient(create_app(off, clock=clock), base_url="http://127.0.0.1") as client:
        assert client.get("/_dev/mail").status_code == 404
        assert client.get("/_dev/mail/0123456789abcdef0123456789abcdef").status_code == 404


def test_a_newcomer_reads_the_confirmation_and_its_links(citizen, settings):
    assert "Aucun message pour l'instant" in citizen.get("/_dev/mail").text
    walk_to(citizen, 7, contact={**CONTACT, "first_name": HOSTILE})
    deliver(settings, FIXED_NOW)

    listing = citizen.get("/_dev/mail")
    assert listing.status_code == 200
    (ident,) = re.findall(r'href="/_dev/mail/([0-9a-f]{32})"', listing.text)
    assert "Rendez-vous confirmé : CCAS — aide sociale" in listing.text

    page = citizen.get(f"/_dev/mail/{ident}")
    assert page.status_code == 200
    html = page.text
    # Both links, clickable, in the HTML version and in the text version.
    links = re.findall(
        r'href="(http://127\.0\.0\.1:8000/rendez-vous/(?:modifier|annuler)/[^"]+)"', html
    )
    assert len(links) == 4 and len(set(links)) == 2
    # The hostile first name is shown as text, never run.
    assert "<script>alert" not in html, html[html.find("<script>alert") - 300 :][:600]
    assert not re.search(r"<img[^>]*onerror", html)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "text/calendar; method=REQUEST" in html

    ics = citizen.get(f"/_dev/mail/{ident}/rendez-vous.ics")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert b"METHOD:REQUEST" in ics.content


def test_unknown_or_forged_message_names_are_not_found(citizen):
    for ident in ("0" * 32, "..%2Fsecret_key", "secret_key", "A" * 32):
        assert citizen.get(f"/_dev/mail/{ident}").status_code == 404


def test_sms_are_shown_next_to_the_emails(citizen, settings):
    async def subscribe(db: Database) -> None:
        async with db.write() as session:
            await session.execute(update(Commune).values(sms_enabled=True))

    asyncio.run(run(subscribe)(settings.database_url))
    _, slot = walk_to(citizen, 7)
    assert slot == first_free().isoformat()  # the first slot offered
    deliver(settings, FIXED_NOW)
    listing = citizen.get("/_dev/mail").text
    assert "<td>SMS</td>" in listing and "<td>E-mail</td>" in listing
    (sms_ident,) = re.findall(r'href="/_dev/mail/([0-9a-f]{32})">SMS</a>', listing)
    page = citizen.get(f"/_dev/mail/{sms_ident}")
    assert "SMS à +33612345678" in page.text
    # « … le 30/11/2026 a 10h00 » from Monday 30 November 2026, 08:00
    assert f"Mairie de Val-de-Lys : RDV confirme le {sms_when(first_free())}" in page.text
