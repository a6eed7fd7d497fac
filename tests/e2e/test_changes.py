"""The emailed *modifier* and *annuler* links in real Chromium: change the slot, then see the
banner and cancel — with the keyboard only and JavaScript on, and without JavaScript on a
phone. Every state is photographed and audited with axe-core (WCAG 2.1 AA, zero violation).
"""

from __future__ import annotations

import re
import sqlite3
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import offered_slots
from tests.e2e.test_booking_flow import CCAS, CONTACT, Citizen, tab_to

pytestmark = pytest.mark.e2e

MODIFIED = "Votre rendez-vous a été modifié"
MAIL_TIMEOUT = 20.0
QUESTION = "Êtes-vous sûr de vouloir annuler votre rendez-vous\u00a0?"


class Mairie:
    """The town hall's side: the server's database, and the e-mails its embedded worker
    wrote to the development mailbox (no SMTP server is configured for the browser tests)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def booking(self, reference: str) -> dict:
        with sqlite3.connect(self.data_dir / "creneau.db") as connection:
            connection.row_factory = sqlite3.Row
            row = connection.execute(
                "SELECT id, sequence, status, start FROM booking WHERE reference = ?",
                (reference,),
            ).fetchone()
        assert row, reference
        return dict(row)

    def undelivered(self, reference: str) -> int:
        """How many of the outbox's messages about this booking still wait to be sent."""
        with sqlite3.connect(self.data_dir / "creneau.db") as connection:
            (count,) = connection.execute(
                "SELECT count(*) FROM outbox_message JOIN booking"
                " ON booking.id = outbox_message.booking_id"
                " WHERE booking.reference = ? AND outbox_message.status = 'pending'",
                (reference,),
            ).fetchone()
        return count

    def wait_until_delivered(self, reference: str) -> None:
        """Until the server's worker has sent every message about this booking."""
        deadline = time.monotonic() + MAIL_TIMEOUT
        while self.undelivered(reference):
            assert time.monotonic() < deadline, f"messages about {reference} still pending"
            time.sleep(0.2)

    def email_files(self, reference: str) -> list[tuple[Path, EmailMessage]]:
        """The development mailbox's e-mails about this booking, oldest first."""
        found = []
        for path in (self.data_dir / "mailbox").glob("*.eml"):
            message = message_from_bytes(path.read_bytes(), policy=default)
            text = message.get_body(preferencelist=("plain",)).get_content()
            if reference in text:
                found.append((path.stat().st_mtime_ns, path, message))
        return [(path, message) for _, path, message in sorted(found, key=lambda t: t[0])]

    def emails_about(self, reference: str) -> list[EmailMessage]:
        return [message for _, message in self.email_files(reference)]

    def wait_for_emails(self, reference: str, count: int) -> list[EmailMessage]:
        deadline = time.monotonic() + MAIL_TIMEOUT
        while len(messages := self.emails_about(reference)) < count:
            assert time.monotonic() < deadline, f"no e-mail number {count} for {reference}"
            time.sleep(0.2)
        return messages

    def emailed_link(self, reference: str, purpose: str, *, emails: int) -> str:
        """The link of e-mail number `emails` about this booking, once it has arrived."""
        message = self.wait_for_emails(reference, emails)[emails - 1]
        text = message.get_body(preferencelist=("plain",)).get_content()
        word = "modifier" if purpose == "modify" else "annuler"
        match = re.search(rf"https?://\S+(/rendez-vous/{word}/[A-Za-z0-9_.\-]+)", text)
        assert match, text
        return match.group(1)


@pytest.fixture
def mairie(server_data_dir: Path) -> Mairie:
    return Mairie(server_data_dir)


def book(citizen: Citizen) -> str:
    """Books the CCAS through the pages, the last free slot of the first week that offers
    two or more (the modifications below move to the slot before the booked one); returns
    the reference."""
    citizen.open("/rendez-vous/type")
    citizen.choose_type(CCAS)
    citizen.submit("Continuer")
    citizen.expect_step(2)
    citizen.submit("Continuer")
    citizen.expect_step(3)
    citizen.field("Nombre de personnes concernées").fill("1")
    citizen.submit("Continuer")
    citizen.expect_step(4)
    citizen.fill_contact(CONTACT)
    citizen.submit("Continuer")
    citizen.expect_step(5)
    offered_slots(citizen.page, at_least=2)
    citizen.choose_slot(-1)
    citizen.submit("Choisir ce créneau")
    citizen.expect_step(6)
    citizen.submit("Confirmer le rendez-vous")
    citizen.expect_step(7)
    return citizen.page.locator(".reference").inner_text().strip()


def expect_modified(citizen: Citizen, reference: str) -> None:
    page = citizen.page
    expect(page).to_have_url(re.compile(r"/rendez-vous/confirmation$"))
    expect(page.locator("h1")).to_have_text(MODIFIED)
    expect(page.locator(".bandeau--succes")).to_contain_text(reference)
    if citizen.js:
        expect(page.locator("h1")).to_be_focused()
    citizen.audit("modifier-7-confirmation")


def expect_modification_banner(page: Page, reference: str) -> None:
    banner = page.locator("#modification")
    expect(banner).to_contain_text("Vous modifiez votre rendez-vous du")
    expect(banner).to_contain_text(reference)


def open_cancel_banner(citizen: Citizen, link: str, reference: str):
    page = citizen.page
    citizen.open(link)
    dialog = page.get_by_role("alertdialog", name=QUESTION)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(reference)
    keep = dialog.get_by_role("button", name="Non, garder mon rendez-vous")
    # Reached first: focus is on the harmless choice, inside the banner.
    expect(keep).to_be_focused()
    assert page.locator("dialog").evaluate("d => d.matches(':modal')") is citizen.js
    expect(page.get_by_role("radio", name=CCAS)).to_be_attached()  # step 1, behind
    return dialog


def test_modify_then_cancel_with_the_keyboard_and_javascript(open_page, mairie) -> None:
    watch = open_page(js=True, viewport=DESKTOP)
    citizen = Citizen(watch, "changements-clavier")
    page = citizen.page
    reference = book(citizen)
    before = mairie.booking(reference)

    # Modifier: step 1, every answer given, a reminder of what is being modified.
    citizen.open(mairie.emailed_link(reference, "modify", emails=1))
    citizen.expect_step(1, swapped=False)
    expect_modification_banner(page, reference)
    expect(page.get_by_role("radio", name=CCAS)).to_be_checked()
    citizen.audit("modifier-1-type")
    tab_to(page, page.get_by_role("button", name="Continuer"))
    page.keyboard.press("Enter")

    citizen.expect_step(6)  # every later answer is known: straight to the recap
    expect_modification_banner(page, reference)
    expect(page.get_by_role("button", name="Confirmer la modification")).to_be_visible()
    citizen.audit("modifier-6-recapitulatif")
    tab_to(page, page.get_by_role("link", name="Modifier la date et l'heure"))
    page.keyboard.press("Enter")

    citizen.expect_step(5)
    slots = page.locator("input[name='creneau']")
    booked = page.locator("input[name='creneau']:checked")
    expect(booked).to_have_count(1)  # the booked slot is offered, and chosen
    tab_to(page, booked)
    page.keyboard.press("ArrowLeft")
    new_choice = page.locator("input[name='creneau']:checked")
    new_time = page.locator(f"label[for='{new_choice.get_attribute('id')}']").inner_text()
    assert slots.count() > 1
    citizen.audit("modifier-5-creneau")
    tab_to(page, page.get_by_role("button", name="Choisir ce créneau"))
    page.keyboard.press("Enter")

    citizen.expect_step(6)
    expect(page.locator(".recapitulatif")).to_contain_text(f"à {new_time}")
    assert mairie.booking(reference) == before  # nothing moves before the confirmation
    tab_to(page, page.get_by_role("button", name="Confirmer la modification"))
    page.keyboard.press("Enter")
    expect_modified(citizen, reference)
    after = mairie.booking(reference)
    assert (after["id"], after["sequence"]) == (before["id"], before["sequence"] + 1)
    assert after["start"] != before["start"]

    # Annuler, from the second e-mail: the banner first; Escape keeps the appointment.
    link = mairie.emailed_link(reference, "cancel", emails=2)
    open_cancel_banner(citizen, link, reference)
    citizen.audit("annuler-bandeau")
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"\?etat=maintenu$"))
    kept = page.locator(".bandeau--info")
    expect(kept).to_contain_text("est maintenu")
    expect(kept).to_be_focused()
    citizen.audit("annuler-maintenu")
    assert mairie.booking(reference) == after

    # Then for real: Shift+Tab to "Oui, annuler", Enter.
    dialog = open_cancel_banner(citizen, link, reference)
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Oui, annuler le rendez-vous")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Rendez-vous annulé")
    expect(page.locator("#message-lien")).to_be_focused()
    citizen.audit("annuler-fait")
    cancelled = mairie.booking(reference)
    assert (cancelled["status"], cancelled["sequence"]) == ("cancelled", after["sequence"] + 1)

    # The same link again: a clear message, no banner.
    citizen.open(link)
    expect(page.locator("h1")).to_have_text("Rendez-vous déjà annulé")
    expect(page.locator("dialog")).to_have_count(0)
    citizen.audit("annuler-deja-fait")
    watch.assert_clean()


def test_modify_then_cancel_without_javascript_on_a_phone(open_page, mairie) -> None:
    watch = open_page(js=False, viewport=PHONE)
    citizen = Citizen(watch, "changements-sans-js")
    page = citizen.page
    reference = book(citizen)
    before = mairie.booking(reference)

    citizen.open(mairie.emailed_link(reference, "modify", emails=1))
    citizen.expect_step(1)
    expect_modification_banner(page, reference)
    citizen.audit("modifier-1-type")
    citizen.submit("Continuer")
    citizen.expect_step(6)
    citizen.audit("modifier-6-recapitulatif")
    page.get_by_role("link", name="Modifier la date et l'heure").click()
    citizen.expect_step(5)
    expect(page.locator("input[name='creneau']:checked")).to_have_count(1)  # the booked one
    citizen.choose_slot(0)  # another: the booked slot is the last of its week
    citizen.audit("modifier-5-creneau")
    citizen.submit("Choisir ce créneau")
    citizen.expect_step(6)
    citizen.submit("Confirmer la modification")
    expect_modified(citizen, reference)
    after = mairie.booking(reference)
    assert after["sequence"] == before["sequence"] + 1
    assert after["start"] != before["start"]

    # The banner without JavaScript: an open dialog at the top, its "keep" button focused;
    # the keyboard reaches "Oui, annuler" with Shift+Tab.
    link = mairie.emailed_link(reference, "cancel", emails=2)
    dialog = open_cancel_banner(citizen, link, reference)
    citizen.audit("annuler-bandeau")
    box = dialog.bounding_box()
    assert box and box["y"] < PHONE["height"] and box["width"] <= PHONE["width"]
    page.keyboard.press("Shift+Tab")
    confirm = dialog.get_by_role("button", name="Oui, annuler le rendez-vous")
    expect(confirm).to_be_focused()
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.keyboard.press("Enter")
    assert info.value.status == 303
    expect(page.locator("h1")).to_have_text("Rendez-vous annulé")
    expect(page.locator("#message-lien")).to_be_focused()
    citizen.audit("annuler-fait")
    assert mairie.booking(reference)["status"] == "cancelled"

    *_, cancellation = mairie.wait_for_emails(reference, 3)
    calendars = [p for p in cancellation.walk() if p.get_content_type() == "text/calendar"]
    assert [part.get_param("method") for part in calendars] == ["CANCEL", "CANCEL"]  # + .ics
    citizen.open(mairie.emailed_link(reference, "modify", emails=2))
    expect(page.locator("h1")).to_have_text("Rendez-vous déjà annulé")
    citizen.audit("modifier-annule")
    watch.assert_clean()


def test_the_server_log_holds_no_link_token(open_page, mairie) -> None:
    """The access log shows the links' pages, never the tokens that open them."""
    citizen = Citizen(open_page(js=False, viewport=DESKTOP), "journal")
    reference = book(citizen)
    link = mairie.emailed_link(reference, "cancel", emails=1)
    token = link.rsplit("/", 1)[1]
    server_log = mairie.data_dir / "server.log"
    logged = "GET /rendez-vous/annuler/[jeton] HTTP/1.1"  # other tests open such links too
    before = server_log.read_text(errors="replace").count(logged)
    citizen.open(link)
    deadline = time.monotonic() + MAIL_TIMEOUT
    while (log := server_log.read_text(errors="replace")).count(logged) == before:
        assert time.monotonic() < deadline, f"no line {logged!r} for this request in the log"
        time.sleep(0.2)
    assert token not in log


@pytest.mark.parametrize(("js", "run"), [(True, "js"), (False, "sans-js")], ids=["htmx", "no-js"])
def test_a_modification_is_left_for_another_booking(open_page, mairie, js: bool, run: str) -> None:
    """Issue 13: after a « Modifier » link, the site's address still shows the modification,
    with the way out: « Prendre un autre rendez-vous » starts a new booking, the first one
    stays as it is."""
    citizen = Citizen(open_page(js=js, viewport=PHONE), f"autre-rdv-{run}")
    page = citizen.page
    reference = book(citizen)
    before = mairie.booking(reference)
    citizen.open(mairie.emailed_link(reference, "modify", emails=1))
    citizen.open("/")
    citizen.expect_step(1, swapped=False)
    expect_modification_banner(page, reference)
    citizen.audit("modifier-1-sortie")
    citizen.submit("Prendre un autre rendez-vous")
    citizen.expect_step(1, swapped=False)  # the announcement says the notice too:
    left = "Votre rendez-vous déjà pris ne change pas"
    expect(page.locator("#modification")).to_have_count(0)
    expect(page.locator(".bandeau--info")).to_contain_text(left)
    if js:
        expect(page.locator("h1")).to_be_focused()
        announced = f"Étape 1 sur 7. Vous prenez un nouveau rendez-vous. {left}"
        expect(page.locator("#annonce")).to_contain_text(announced)
    expect(page.get_by_role("radio", name=CCAS)).not_to_be_checked()
    citizen.audit("autre-rendez-vous-1-type")
    citizen.choose_type(CCAS)
    citizen.submit("Continuer")
    citizen.expect_step(2)
    assert mairie.booking(reference) == before
    citizen.watch.assert_clean()
