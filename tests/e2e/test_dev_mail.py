"""The development mailbox in real Chromium: a booking's confirmation, delivered by the
server's own outbox worker, is listed and read; both pages pass axe-core (JavaScript on and
off) and the message's links are real links."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Citizen
from tests.e2e.conftest import PHONE
from tests.integration.flow import book

pytestmark = pytest.mark.e2e


# Other browser tests of this server send Urbanisme messages too (a phone booking, then
# « déplacé par la mairie »): this test waits for one more confirmation than it found.
CONFIRMATION = "Rendez-vous confirmé : Urbanisme"


def confirmations(client: httpx.Client) -> int:
    return client.get("/_dev/mail").text.count(CONFIRMATION)


def wait_for_one_more(client: httpx.Client, before: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while confirmations(client) <= before:
        assert time.monotonic() < deadline, "the confirmation never reached the mailbox"
        time.sleep(0.3)


@pytest.mark.parametrize(("js", "run"), [(True, "js"), (False, "nojs")])
def test_the_development_mailbox(open_page, server_url, js, run):
    with httpx.Client(base_url=server_url, follow_redirects=True) as client:
        before = confirmations(client)
        book(Citizen(client), type_title="Urbanisme — permis de construire")
        wait_for_one_more(client, before)

    watch = open_page(js=js, viewport=PHONE if not js else None)
    page = watch.page
    page.goto("/_dev/mail")
    expect(page.get_by_role("heading", level=1)).to_have_text("Boîte de développement")
    watch.audit(f"dev-mail-list-{run}")

    page.get_by_role("link", name=re.compile(CONFIRMATION)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rendez-vous confirmé")
    modify = page.get_by_role("link", name="Modifier le rendez-vous")
    cancel = page.get_by_role("link", name="Annuler le rendez-vous")
    expect(modify).to_have_attribute("href", re.compile(rf"^{server_url}/rendez-vous/modifier/"))
    expect(cancel).to_have_attribute("href", re.compile(rf"^{server_url}/rendez-vous/annuler/"))
    expect(page.get_by_role("link", name="rendez-vous.ics")).to_be_visible()
    watch.audit(f"dev-mail-message-{run}")
