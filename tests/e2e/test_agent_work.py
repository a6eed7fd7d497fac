"""An agent's day in real Chromium: log in, book for someone on the phone with the keyboard,
find the booking by searching, move it, mark the attendance — and the citizen's e-mails
arriving in the development mailbox. Every screen is photographed (desktop and phone) and
audited with axe-core (WCAG 2.1 AA, zero violation); one run without JavaScript.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.staff.roles import Role
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import TODAY, PageWatch, offered_slots
from tests.e2e.staff import create_staff
from tests.e2e.test_booking_flow import tab_to
from tests.e2e.test_changes import Mairie
from tests.instant import FIXED_NOW
from tests.integration.staff_helpers import log_in_page

pytestmark = pytest.mark.e2e

URBANISM = "Urbanisme — permis de construire"


@pytest.fixture
def mairie(server_data_dir: Path) -> Mairie:
    return Mairie(server_data_dir)


@pytest.fixture
def agent(server_data_dir: Path):
    """An agent of the town hall (the demo's first site), in the server's database."""
    return create_staff(server_data_dir, Role.AGENT, first_site=True)


class Agent:
    def __init__(self, watch: PageWatch, run: str) -> None:
        self.watch, self.page, self.run = watch, watch.page, run

    def audit(self, name: str) -> None:
        self.watch.audit(f"{self.run}-{name}")

    def photo(self, name: str) -> Path:
        return self.watch.screenshot(f"{self.run}-{name}")

    def submit(self, button: str, *, status: int = 303):
        with self.page.expect_response(lambda r: r.request.method == "POST") as info:
            self.page.get_by_role("button", name=button).click()
        assert info.value.status == status, f"{info.value.url}: {info.value.status} != {status}"
        return info.value

    def enter_on(self, locator, *, status: int | None = None):
        """Tab to `locator`, press Enter (checking the POST's status when one is sent)."""
        tab_to(self.page, locator, limit=60)
        if status is None:
            self.page.keyboard.press("Enter")
            return None
        with self.page.expect_response(lambda r: r.request.method == "POST") as info:
            self.page.keyboard.press("Enter")
        assert info.value.status == status, f"{info.value.url}: {info.value.status} != {status}"
        return info.value


def next_weekday(weekday: int) -> date:
    """The next such day after the suite's day (Monday = 0)."""
    return TODAY + timedelta(days=(weekday - TODAY.weekday()) % 7 or 7)


def begin_now(mairie: Mairie, reference: str) -> None:
    """Time passes: the appointment started ten minutes before the server's (frozen) now."""
    start = FIXED_NOW.astimezone(UTC).replace(tzinfo=None, microsecond=0) - timedelta(minutes=10)
    with sqlite3.connect(mairie.data_dir / "creneau.db") as connection:
        connection.execute(
            'UPDATE booking SET start = ?, "end" = ? WHERE reference = ?',
            (
                f"{start:%Y-%m-%d %H:%M:%S.%f}",
                f"{start + timedelta(minutes=30):%Y-%m-%d %H:%M:%S.%f}",
                reference,
            ),
        )


def test_an_agents_phone_booking_search_move_and_attendance_with_the_keyboard(
    open_page, agent, mairie
) -> None:
    watch = open_page(js=True, viewport=DESKTOP)
    me = Agent(watch, "agent-clavier")
    page: Page = me.page
    log_in_page(page, agent)

    # The planning: a working day, a week, and a Sunday past every booking window (nothing
    # can be booked there).
    monday = next_weekday(0)
    page.goto(f"/admin/planning?jour={monday.isoformat()}")
    expect(page.locator("h1")).to_have_text("Planning — Hôtel de ville")
    expect(page.get_by_role("heading", name="Places libres")).to_be_visible()
    me.audit("planning-jour")
    page.goto(f"/admin/planning?vue=semaine&jour={monday.isoformat()}")
    me.audit("planning-semaine")
    empty_sunday = next_weekday(6) + timedelta(weeks=60)
    page.goto(f"/admin/planning?jour={empty_sunday.isoformat()}")
    expect(page.get_by_text("Aucun rendez-vous.")).to_be_visible()
    me.audit("planning-jour-vide")

    # Phone booking, keyboard only. Step 1: the type by typing its first letters.
    page.goto("/admin/reserver")
    me.audit("reserver-1")
    tab_to(page, page.locator("#champ-type"), limit=60)
    page.keyboard.type("Urbanisme")
    expect(page.locator("#champ-type option:checked")).to_have_text(URBANISM)
    page.keyboard.press("Tab")
    expect(page.locator("#champ-personnes")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(page.locator("#resume-erreurs")).to_contain_text("une seule personne")
    me.audit("reserver-1-erreur")
    page.locator("#champ-personnes").fill("")
    page.locator("#champ-personnes").focus()
    page.keyboard.type("1")
    page.keyboard.press("Enter")

    # Step 2: the first free slot (Tab into the group, Space), then the details.
    expect(page).to_have_url(re.compile(r"/admin/reserver/creneau\?"))
    me.audit("reserver-2")
    first_slot = page.locator("input[name='creneau']").first
    tab_to(page, first_slot, limit=60)
    page.keyboard.press("Space")
    expect(first_slot).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#champ-last_name")).to_be_focused()
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.keyboard.press("Enter")  # no name yet: refused, explained
    assert info.value.status == 422
    expect(page.locator("#resume-erreurs")).to_contain_text("Saisissez le nom de la personne.")
    me.audit("reserver-2-erreurs")
    tab_to(page, page.locator("#champ-last_name"), limit=80)
    page.keyboard.type("Lemaire")
    page.keyboard.press("Tab")
    page.keyboard.type("Paulette")
    page.keyboard.press("Tab")
    page.keyboard.type("paulette.lemaire@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("06 11 22 33 44")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.keyboard.press("Enter")
    assert info.value.status == 303
    expect(page.locator(".bandeau--succes")).to_contain_text("Le rendez-vous est enregistré.")
    reference = page.locator("h1").inner_text().split()[-1]
    me.audit("detail-reserve")

    # Search by name (accents and case do not matter), then open the result.
    page.goto("/admin/rendez-vous")
    me.audit("recherche")
    tab_to(page, page.locator("#champ-recherche"), limit=60)
    page.keyboard.type("personne inconnue")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Aucun rendez-vous trouvé")).to_be_visible()
    me.audit("recherche-aucun")
    assert "inconnue" not in page.url
    page.locator("#champ-recherche").fill("")
    page.locator("#champ-recherche").focus()
    page.keyboard.type("PAULETTE lemaire")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="1 résultat")).to_be_visible()
    assert "lemaire" not in page.url.lower()
    me.audit("recherche-resultats")
    me.enter_on(page.get_by_role("link", name="LEMAIRE Paulette"))
    expect(page.locator("h1")).to_have_text(f"Rendez-vous {reference}")
    me.audit("detail")

    # Meanwhile the server's worker (every 2 s) has sent the confirmation.
    confirmation = mairie.wait_for_emails(reference, 1)[0]
    assert confirmation["Subject"].startswith("Rendez-vous confirmé")
    assert confirmation["To"].addresses[0].addr_spec == "paulette.lemaire@example.org"

    # Move it: the next free slot, with the arrow keys.
    before = mairie.booking(reference)
    me.enter_on(page.get_by_role("link", name="Déplacer le rendez-vous"))
    expect(page.locator("h1")).to_have_text(f"Déplacer le rendez-vous {reference}")
    me.audit("deplacer")
    # Two free slots are needed (the booked week may have no other, late on a Saturday).
    slots = offered_slots(page, at_least=2, follow=me.enter_on)
    tab_to(page, slots.first, limit=60)
    page.keyboard.press("ArrowRight")
    expect(page.locator("input[name='creneau']:checked")).to_have_count(1)
    me.enter_on(page.get_by_role("button", name="Déplacer à ce créneau"), status=303)
    expect(page.locator(".bandeau--succes")).to_contain_text(
        "Le rendez-vous a été déplacé. La personne est prévenue par e-mail."
    )
    after = mairie.booking(reference)
    assert after["start"] != before["start"] and after["sequence"] == before["sequence"] + 1
    me.audit("detail-deplace")

    # The citizen has come: mark it, then undo.
    begin_now(mairie, reference)
    page.reload()
    me.enter_on(page.get_by_role("button", name="Venu"), status=303)
    expect(page.locator(".bandeau--succes")).to_contain_text("La présence est enregistrée.")
    expect(page.get_by_role("button", name="Venu")).to_have_attribute("aria-pressed", "true")
    me.audit("detail-presence")
    me.enter_on(page.get_by_role("button", name="Effacer la mention"), status=303)
    expect(page.get_by_role("button", name="Effacer la mention")).to_have_count(0)

    # The same screens on a phone.
    phone = open_page(js=True, viewport=PHONE)
    small = Agent(phone, "agent-telephone")
    log_in_page(phone.page, agent)
    phone.page.goto(f"/admin/planning?jour={monday.isoformat()}")
    small.audit("planning-jour")
    phone.page.goto(f"/admin/rendez-vous/{after['id']}")
    small.audit("detail")
    phone.page.goto("/admin/reserver")
    small.audit("reserver-1")

    # The citizen was told of the move (sent by the worker meanwhile).
    moved = mairie.wait_for_emails(reference, 2)[1]
    assert moved["Subject"].startswith("Rendez-vous déplacé par la mairie")
    watch.assert_clean()
    phone.assert_clean()


def test_an_agent_without_javascript_books_finds_and_cancels(open_page, agent, mairie) -> None:
    watch = open_page(js=False, viewport=PHONE)
    me = Agent(watch, "agent-sans-js")
    page = me.page
    log_in_page(page, agent)
    page.goto("/admin/reserver")
    page.locator("#champ-type").select_option(label="Mariage / PACS — dossier")
    page.locator("#champ-personnes").fill("1")
    page.get_by_role("button", name="Voir les créneaux libres").click()
    expect(page).to_have_url(re.compile(r"/admin/reserver/creneau\?"))
    me.audit("reserver-2")
    page.locator(".horaire label").first.click()  # the slot, as shown (its radio is under it)
    expect(page.locator("input[name='creneau']").first).to_be_checked()
    page.locator("#champ-last_name").fill("Sans-Script")
    page.locator("#champ-first_name").fill("Léon")
    me.submit("Réserver ce rendez-vous")
    expect(page.locator(".bandeau--succes")).to_contain_text("prévenez-la par téléphone")
    reference = page.locator("h1").inner_text().split()[-1]
    me.audit("detail")

    page.goto("/admin/rendez-vous")
    page.locator("#champ-recherche").fill(reference.lower().replace("-", " "))
    me.submit("Chercher", status=200)
    expect(page.get_by_role("heading", name="1 résultat")).to_be_visible()
    me.audit("recherche-resultats")
    page.get_by_role("link", name="SANS-SCRIPT Léon").click()
    page.get_by_role("link", name="Annuler le rendez-vous").click()
    expect(page.locator("h1")).to_have_text(f"Annuler le rendez-vous {reference} ?")
    me.audit("annuler")
    me.submit("Oui, annuler le rendez-vous")
    expect(page.locator(".bandeau--succes")).to_contain_text("Sa place est de nouveau libre.")
    assert mairie.booking(reference)["status"] == "cancelled"
    me.audit("annule")
    page.goto(f"/admin/planning?jour={TODAY.isoformat()}")
    me.audit("planning")
    watch.assert_clean()


def test_the_dashboard_and_account_pages_line_up_on_a_wide_screen(open_page, agent) -> None:
    """Every block of <main> starts at the same left edge (the title and the tiles too)."""
    watch = open_page(viewport=DESKTOP)
    log_in_page(watch.page, agent)
    for path in ("/admin", "/admin/compte"):
        watch.page.goto(path)
        lefts = watch.page.eval_on_selector_all(
            "main > *", "blocks => blocks.map(b => Math.round(b.getBoundingClientRect().left))"
        )
        assert len(set(lefts)) == 1, f"{path}: blocks start at {lefts}"
        watch.screenshot(f"alignment{path.replace('/', '-')}")
