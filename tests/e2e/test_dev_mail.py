"""The development mailbox in real Chromium: a booking's confirmation, delivered by the
server's own outbox worker, is listed and read; both pages pass axe-core (JavaScript on and
off) and the message's links are real links."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Citizen
from tests.e2e.conftest import PHONE
from tests.e2e.test_changes import Mairie
from tests.integration.flow import book

pytestmark = pytest.mark.e2e

CONFIRMATION = "Rendez-vous confirmé : Urbanisme"
REFERENCE = re.compile(r'class="reference">(RDV-[A-Z0-9]{4}-[A-Z0-9]{4})<')


@pytest.mark.parametrize(("js", "run"), [(True, "js"), (False, "nojs")])
def test_the_development_mailbox(open_page, server_url, server_data_dir, js, run):
    """Its own booking's confirmation (other tests of this server send e-mails too)."""
    with httpx.Client(base_url=server_url, follow_redirects=True) as client:
        _, confirmed = book(Citizen(client), type_title="Urbanisme — permis de construire")
    found = REFERENCE.search(confirmed.text)
    assert found, confirmed.text[:500]
    reference = found.group(1)
    mairie = Mairie(server_data_dir)
    mairie.wait_for_emails(reference, 1)
    path, _ = mairie.email_files(reference)[0]
    ident = path.name.split(".", 1)[0]

    watch = open_page(js=js, viewport=PHONE if not js else None)
    page = watch.page
    page.goto("/_dev/mail")
    expect(page.get_by_role("heading", level=1)).to_have_text("Boîte de développement")
    watch.audit(f"dev-mail-list-{run}")

    listed = page.locator(f"a[href='/_dev/mail/{ident}']")
    expect(listed).to_have_text(re.compile(CONFIRMATION))
    listed.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rendez-vous confirmé")
    expect(page.locator("main")).to_contain_text(reference)
    modify = page.get_by_role("link", name="Modifier le rendez-vous")
    cancel = page.get_by_role("link", name="Annuler le rendez-vous")
    expect(modify).to_have_attribute("href", re.compile(rf"^{server_url}/rendez-vous/modifier/"))
    expect(cancel).to_have_attribute("href", re.compile(rf"^{server_url}/rendez-vous/annuler/"))
    expect(page.get_by_role("link", name="rendez-vous.ics")).to_be_visible()
    watch.audit(f"dev-mail-message-{run}")
