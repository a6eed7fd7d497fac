"""A citizen books an appointment in real Chromium: with htmx, without JavaScript, with the
keyboard only, and meets every validation error on the way.

Each step and each error state is photographed (test-artifacts/screenshots/, full page)
and audited with axe-core against WCAG 2.1 A and AA: zero violation allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Locator, Page, Response, expect

from app.french import MONTHS  # the French month names the pages show
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import PageWatch, offered_slots

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Step:
    path: str
    title: str  # in the page title and the live region
    heading: str  # the h1


STEPS = {
    1: Step(
        "/rendez-vous/type", "Choisir le type de rendez-vous", "Choisir le type de rendez-vous"
    ),
    2: Step(
        "/rendez-vous/informations",
        "Informations sur le rendez-vous",
        "Informations sur le rendez-vous",
    ),
    3: Step(
        "/rendez-vous/personnes", "Nombre de personnes concernées", "Nombre de personnes concernées"
    ),
    4: Step("/rendez-vous/coordonnees", "Vos coordonnées", "Vos coordonnées"),
    5: Step("/rendez-vous/creneau", "Choisir la date et l'heure", "Choisir la date et l'heure"),
    6: Step("/rendez-vous/recapitulatif", "Vérifier et confirmer", "Vérifier et confirmer"),
    7: Step(
        "/rendez-vous/confirmation",
        "Rendez-vous confirmé",
        "Bravo ! Vous avez pris votre rendez-vous en ligne !",
    ),
}
TOTAL = len(STEPS)
PARIS = ZoneInfo("Europe/Paris")
REFERENCE = re.compile(r"^RDV-[A-Z0-9]{4}-[A-Z0-9]{4}$")

CCAS = "CCAS — aide sociale"
PASSPORT = "Carte d'identité / passeport"
CONTACT = {
    "Nom": "Dupont",
    "Prénom": "Camille",
    "Adresse électronique": "camille.dupont@example.org",
    "Téléphone mobile": "06 12 34 56 78",
}
NOT_REPLACED = "window.__e2eSamePage === true"


class Citizen:
    """One citizen in one browser page, checking what each step must show."""

    def __init__(self, watch: PageWatch, run: str) -> None:
        self.watch = watch
        self.page: Page = watch.page
        self.js = watch.js
        self.run = run

    # --- navigation ------------------------------------------------------------------

    def open(self, path: str) -> Response | None:
        response = self.page.goto(path)
        self.mark_document()
        return response

    def mark_document(self) -> None:
        """Tags the current document, to tell an htmx swap from a full page load."""
        self.page.wait_for_load_state("load")
        self.page.evaluate("window.__e2eSamePage = true")

    def submit(self, button: str, *, status: int = 303) -> Response:
        """Clicks a submit button and checks the status of the POST."""
        with self.page.expect_response(lambda r: r.request.method == "POST") as info:
            self.page.get_by_role("button", name=button).click()
        response = info.value
        assert response.status == status, f"POST {response.url}: {response.status} != {status}"
        hx_request = response.request.header_value("hx-request")
        assert hx_request == ("true" if self.js else None), f"HX-Request: {hx_request!r}"
        if status != 303:
            body = response.text()
            if self.js:
                assert "<html" not in body.lower(), "htmx got a whole page, not the fragment"
                assert 'id="etape"' in body
            else:
                assert body.lstrip().lower().startswith("<!doctype html>")
        return response

    def field(self, name: str) -> Locator:
        return self.page.get_by_role("textbox", name=name, exact=True)

    # --- what every step must show ------------------------------------------------------

    def expect_step(self, number: int, *, errors: int = 0, swapped: bool | None = None) -> None:
        """The URL, the heading, the progress, the title; with htmx, focus and announcement.

        `swapped`: the step came by an htmx swap (default: JavaScript is on). After a full
        page load (reload, back button) focus and live region are the browser's business.
        """
        step = STEPS[number]
        page = self.page
        swapped = self.js if swapped is None else swapped
        expect(page).to_have_url(re.compile(re.escape(step.path) + r"(\?.*)?$"))
        expect(page.locator("h1")).to_have_text(step.heading)
        expect(page.locator(".progression__texte")).to_have_text(f"Étape {number} sur {TOTAL}")
        prefix = "Erreur : " if errors else ""
        expect(page).to_have_title(
            f"{prefix}{step.title} — étape {number} sur {TOTAL} — Mairie de Val-de-Lys"
        )
        summary = page.locator("#resume-erreurs")
        if errors:
            expect(summary).to_be_visible()
            expect(summary.locator("li")).to_have_count(errors)
            expect(summary.get_by_role("heading", level=2)).to_have_text(
                "Une erreur empêche de continuer"
                if errors == 1
                else f"{errors} erreurs empêchent de continuer"
            )
            for href in summary.locator("a").evaluate_all("links => links.map(a => a.hash)"):
                assert page.locator(href).count() == 1, f"summary link {href} leads nowhere"
        else:
            expect(summary).to_have_count(0)
        if swapped:
            expect(summary if errors else page.locator("h1")).to_be_focused()
            announce = f"Étape {number} sur {TOTAL}"  # the focused heading says the rest
            if errors:
                announce += ". Le formulaire contient des erreurs."
            expect(page.locator("#annonce")).to_have_text(announce)
            assert page.evaluate(NOT_REPLACED), "a full page load, not an htmx swap"
        elif errors:
            expect(summary).to_be_focused()  # its `autofocus`, without any script
        if not swapped:
            self.mark_document()

    def audit(self, name: str) -> None:
        self.watch.audit(f"{self.run}-{name}")

    # --- the steps ---------------------------------------------------------------------

    def choose_type(self, title: str) -> None:
        self.page.locator(".choix label").filter(has_text=title).click()
        expect(self.page.get_by_role("radio", name=title)).to_be_checked()

    def fill_contact(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self.field(name).fill(value)

    def choose_slot(self, index: int) -> tuple[str, str]:
        """Clicks the index-th free slot; returns its day and time as shown."""
        label = self.page.locator(".horaire label").nth(index)
        day = label.locator("xpath=ancestor::fieldset[1]/legend").inner_text().strip()
        time = label.inner_text().strip()
        label.click()
        expect(self.page.locator(f"#{label.get_attribute('for')}")).to_be_checked()
        return day, time

    def browse_weeks(self) -> None:
        """The next week and back: with htmx, focus stays on the week's heading."""
        page = self.page
        week = page.locator("#semaine")
        this_week = week.inner_text()
        for link, heading in [("Semaine suivante", None), ("Semaine précédente", this_week)]:
            page.get_by_role("link", name=link).click()
            expect(page).to_have_url(re.compile(r"/rendez-vous/creneau\?semaine=\d{4}-\d\d-\d\d$"))
            if heading is None:
                expect(week).not_to_have_text(this_week)
                expect(week).to_have_text(re.compile(r"^Semaine du lundi \d+(er)? .+ au dimanche "))
            else:
                expect(week).to_have_text(heading)
            expect(page.locator("h1")).to_have_text(STEPS[5].heading)
            if self.js:
                expect(week).to_be_focused()
                expect(page.locator("#annonce")).to_have_text(week.inner_text())
                assert page.evaluate(NOT_REPLACED), "a full page load, not an htmx swap"
            else:
                self.mark_document()
            if heading is None:
                self.audit("5-creneau-semaine-suivante")


def book(citizen: Citizen, type_title: str, people: int) -> None:
    """The seven steps, with a back button on step 4 and a reload on step 5."""
    page = citizen.page
    citizen.open("/rendez-vous/type")
    citizen.expect_step(1, swapped=False)
    citizen.audit("1-type")
    citizen.choose_type(type_title)
    citizen.submit("Continuer")

    citizen.expect_step(2)
    expect(page.locator(".rappel")).to_contain_text(type_title)
    expect(page.get_by_role("heading", name="Vos données personnelles")).to_be_visible()
    citizen.audit("2-informations")
    citizen.submit("Continuer")

    citizen.expect_step(3)
    citizen.audit("3-personnes")
    citizen.field("Nombre de personnes concernées").fill(str(people))
    citizen.submit("Continuer")

    citizen.expect_step(4)
    expect(page.get_by_text("Les champs marqués d'un astérisque")).to_be_visible()

    # The browser's back button: step 3 again, whole and with the number given.
    page.go_back()
    if citizen.js:  # htmx keeps no history cache: it reloads the address from the server
        page.wait_for_function("window.__e2eSamePage !== true")
    citizen.expect_step(3, swapped=False)
    expect(citizen.field("Nombre de personnes concernées")).to_have_value(str(people))
    if citizen.js:  # a full page load now, not a swap; without JavaScript, audited above
        citizen.audit("3-personnes-apres-retour")
    citizen.submit("Continuer")

    citizen.expect_step(4)
    citizen.audit("4-coordonnees")
    citizen.fill_contact(CONTACT)
    if type_title == PASSPORT:
        citizen.fill_contact({"Numéro de pré-demande": "2A3B4C5D6E"})
    citizen.submit("Continuer")

    citizen.expect_step(5)
    duration = 15 * people if type_title == PASSPORT else 30
    plural = "s" if people > 1 else ""
    expect(page.locator(".rappel")).to_contain_text(
        f"{people} personne{plural} · durée {duration} minutes"
    )
    citizen.browse_weeks()
    page.reload()
    citizen.expect_step(5, swapped=False)
    citizen.audit("5-creneau")
    day, time = citizen.choose_slot(-1)  # the last of the week: far from the 2-hour notice
    citizen.watch.screenshot(f"{citizen.run}-5-creneau-choisi")
    citizen.submit("Choisir ce créneau")

    citizen.expect_step(6)
    recap = page.locator(".recapitulatif")
    expect(recap).to_contain_text(type_title)
    expect(recap).to_contain_text(f"{CONTACT['Prénom']} {CONTACT['Nom']}")
    expect(recap).to_contain_text(CONTACT["Adresse électronique"])
    expect(recap).to_contain_text(f"{day} à {time}")
    expect(page.locator(".recapitulatif__ligne").filter(has_text="Personnes")).to_contain_text(
        str(people)
    )
    citizen.audit("6-recapitulatif")
    citizen.submit("Confirmer le rendez-vous")

    citizen.expect_step(7)
    expect(page.locator(".bandeau--succes")).to_contain_text("Votre rendez-vous est enregistré")
    reference = page.locator(".reference").inner_text().strip()
    assert REFERENCE.match(reference), reference
    expect(page.locator(".recapitulatif")).to_contain_text(f"de {time} à")
    citizen.audit("7-confirmation")

    with page.expect_download() as info:
        page.get_by_role("link", name="Ajouter à mon agenda").click()
    download = info.value
    assert download.suggested_filename == "rendez-vous.ics"
    check_calendar(download.path().read_text(encoding="utf-8"), type_title, reference, day, time)
    citizen.watch.assert_clean()


def slot_instant(day: str, time: str) -> datetime:
    """ "Samedi 28 novembre 2026" and "9 h 30", as shown, to an instant in Paris."""
    match = re.search(r"(\d+)(?:er)? (\w+) (\d{4})$", day)
    assert match, day
    clock = re.fullmatch(r"(\d+)\sh(?:\s(\d+))?", time)  # non-breaking spaces in "9 h 30"
    assert clock, time
    return datetime(
        int(match[3]),
        MONTHS.index(match[2]) + 1,
        int(match[1]),
        int(clock[1]),
        int(clock[2] or 0),
        tzinfo=PARIS,
    )


def check_calendar(text: str, type_title: str, reference: str, day: str, time: str) -> None:
    """The downloaded .ics: one event, at the chosen time in local time with its VTIMEZONE."""
    assert text.startswith("BEGIN:VCALENDAR"), text[:200]
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Paris" in text
    assert "DTSTART;TZID=Europe/Paris:" in text
    events = Calendar.from_ical(text).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert event.decoded("DTSTART") == slot_instant(day, time)
    assert type_title in str(event["SUMMARY"])
    assert reference in str(event["DESCRIPTION"])


def test_booking_with_htmx(open_page) -> None:
    citizen = Citizen(open_page(js=True, viewport=DESKTOP), "js-bureau")
    book(citizen, CCAS, people=1)


def test_booking_without_javascript_on_a_phone(open_page) -> None:
    citizen = Citizen(open_page(js=False, viewport=PHONE), "sans-js-mobile")
    book(citizen, PASSPORT, people=3)


# --- the keyboard only -------------------------------------------------------------------


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, locator: Locator, *, limit: int = 30) -> None:
    """Presses Tab until `locator` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if is_focused(locator):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {locator}")


def focus_ring_of(page: Page) -> str:
    """The outline drawn around the focused radio's label (the radio itself is hidden)."""
    return page.evaluate(
        """() => {
            const input = document.activeElement;
            const label = document.querySelector(`label[for="${input.id}"]`);
            const style = getComputedStyle(label);
            return `${style.outlineStyle} ${style.outlineWidth}`;
        }"""
    )


def test_booking_with_the_keyboard_only(open_page) -> None:
    watch = open_page(js=True, viewport=DESKTOP)
    citizen = Citizen(watch, "clavier")
    page = citizen.page
    citizen.open("/rendez-vous/type")
    citizen.expect_step(1, swapped=False)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0, f"the skip link stays off screen when focused: {box}"

    # The type: Tab into the radio group, arrows to move (and choose), Enter to send.
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio").first).to_be_focused()
    assert focus_ring_of(page) == "solid 3px"
    watch.screenshot("clavier-1-type-focus")
    ccas = page.get_by_role("radio", name=CCAS)
    for _ in range(page.get_by_role("radio").count()):
        if is_focused(ccas):
            break
        page.keyboard.press("ArrowDown")
    expect(ccas).to_be_focused()
    expect(ccas).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Continuer"))
    page.keyboard.press("Enter")

    citizen.expect_step(2)
    tab_to(page, page.get_by_role("button", name="Continuer"))
    page.keyboard.press("Enter")

    # The number of people: the form is sent with Enter from the field itself.
    citizen.expect_step(3)
    people = citizen.field("Nombre de personnes concernées")
    tab_to(page, people)
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("1")
    page.keyboard.press("Enter")

    citizen.expect_step(4)
    for name, value in CONTACT.items():
        tab_to(page, citizen.field(name))
        page.keyboard.type(value)
        expect(citizen.field(name)).to_have_value(value)
    tab_to(page, page.get_by_role("button", name="Continuer"))
    page.keyboard.press("Enter")

    # A slot: Tab into the group, Space to choose, an arrow to choose the next one.
    citizen.expect_step(5)

    def follow(link: Locator) -> None:
        tab_to(page, link)
        page.keyboard.press("Enter")

    # Two free slots are needed: the week shown may have one (late on a Saturday morning).
    slots = offered_slots(page, at_least=2, follow=follow)
    tab_to(page, slots.first)
    assert focus_ring_of(page) == "solid 3px"
    page.keyboard.press("Space")
    expect(slots.first).to_be_checked()
    page.keyboard.press("ArrowRight")
    expect(slots.nth(1)).to_be_focused()
    expect(slots.nth(1)).to_be_checked()
    time = page.locator(f"label[for='{slots.nth(1).get_attribute('id')}']").inner_text()
    watch.screenshot("clavier-5-creneau-focus")
    tab_to(page, page.get_by_role("button", name="Choisir ce créneau"))
    page.keyboard.press("Enter")

    citizen.expect_step(6)
    expect(page.locator(".recapitulatif")).to_contain_text(f"à {time}")
    tab_to(page, page.get_by_role("button", name="Confirmer le rendez-vous"))
    page.keyboard.press("Space")

    citizen.expect_step(7)
    assert REFERENCE.match(page.locator(".reference").inner_text().strip())
    tab_to(page, page.get_by_role("link", name="Ajouter à mon agenda"))
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == "rendez-vous.ics"
    watch.assert_clean()


# --- error states ------------------------------------------------------------------------


def invalid(locator: Locator) -> None:
    expect(locator).to_have_attribute("aria-invalid", "true")


def valid(locator: Locator) -> None:
    expect(locator).not_to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize(
    ("js", "viewport", "run"),
    [(True, PHONE, "js-mobile"), (False, DESKTOP, "sans-js-bureau")],
    ids=["htmx-phone", "no-js-desktop"],
)
def test_error_states(open_page, js: bool, viewport: dict[str, int], run: str) -> None:
    watch = open_page(js=js, viewport=viewport)
    citizen = Citizen(watch, run)
    page = citizen.page
    citizen.open("/rendez-vous/type")

    # Step 1, nothing chosen.
    citizen.submit("Continuer", status=422)
    citizen.expect_step(1, errors=1)
    expect(page.locator("#erreur-type_id")).to_have_text(
        "Erreur : Choisissez un type de rendez-vous dans la liste."
    )
    radios = page.get_by_role("radio")
    for index in range(radios.count()):
        invalid(radios.nth(index))
    citizen.audit("erreur-1-aucun-type")
    if js:  # the summary's link leads the keyboard to the field
        page.keyboard.press("Tab")
        expect(page.locator("#resume-erreurs a")).to_be_focused()
        page.keyboard.press("Enter")
        expect(radios.first).to_be_focused()

    citizen.choose_type(CCAS)
    citizen.submit("Continuer")
    citizen.expect_step(2)
    citizen.submit("Continuer")
    citizen.expect_step(3)

    # Step 3, too many people, then no number at all.
    people = citizen.field("Nombre de personnes concernées")
    for typed, message, name in [
        ("12", "au plus 1 personne à la fois", "trop"),
        ("abc", "Saisissez le nombre de personnes en chiffres", "lettres"),
    ]:
        people.fill(typed)
        citizen.submit("Continuer", status=422)
        citizen.expect_step(3, errors=1)
        people = citizen.field("Nombre de personnes concernées")
        expect(people).to_have_value(typed)
        invalid(people)
        expect(people).to_have_attribute("aria-describedby", re.compile(r"\berreur-people\b"))
        expect(page.locator("#erreur-people")).to_contain_text(message)
        citizen.audit(f"erreur-3-personnes-{name}")
    people.fill("1")
    citizen.submit("Continuer")
    citizen.expect_step(4)

    # Step 4, nothing given, then an address and a number that cannot be right.
    citizen.submit("Continuer", status=422)
    citizen.expect_step(4, errors=4)
    for name in CONTACT:
        invalid(citizen.field(name))
    citizen.audit("erreur-4-coordonnees-vides")

    typed = {**CONTACT, "Adresse électronique": "camille.dupont@", "Téléphone mobile": "12 34"}
    citizen.fill_contact(typed)
    citizen.submit("Continuer", status=422)
    citizen.expect_step(4, errors=2)
    for name, value in typed.items():
        expect(citizen.field(name)).to_have_value(value)
    valid(citizen.field("Nom"))
    valid(citizen.field("Prénom"))
    invalid(citizen.field("Adresse électronique"))
    invalid(citizen.field("Téléphone mobile"))
    citizen.audit("erreur-4-courriel-telephone")

    citizen.fill_contact(CONTACT)
    citizen.submit("Continuer")
    citizen.expect_step(5)

    # Step 5, no slot chosen.
    citizen.submit("Choisir ce créneau", status=422)
    citizen.expect_step(5, errors=1)
    invalid(page.locator("input[name='creneau']").first)
    citizen.audit("erreur-5-aucun-creneau")
    watch.assert_clean()


@pytest.mark.parametrize(("js", "run"), [(True, "js"), (False, "sans-js")], ids=["htmx", "no-js"])
def test_not_found_page(open_page, js: bool, run: str) -> None:
    watch = open_page(js=js, viewport=DESKTOP)
    response = watch.page.goto("/rendez-vous/cette-page-n-existe-pas")
    assert response is not None and response.status == 404
    expect(watch.page.locator("h1")).to_have_text("Page introuvable")
    expect(watch.page).to_have_title(re.compile("^Page introuvable"))
    expect(watch.page.get_by_role("link", name="Revenir à la prise de rendez-vous")).to_be_visible()
    watch.audit(f"{run}-404")
    watch.assert_clean()


# --- a slot taken meanwhile (decision 69) ----------------------------------------------------

SMALL_PHONE = {"width": 375, "height": 812}


def walk_to_slots(citizen: Citizen, contact: dict[str, str]) -> None:
    """Steps 1 to 4 for the CCAS (one person): step 5 on screen."""
    citizen.open("/rendez-vous/type")
    citizen.choose_type(CCAS)
    citizen.submit("Continuer")
    citizen.expect_step(2)
    citizen.submit("Continuer")
    citizen.expect_step(3)
    citizen.field("Nombre de personnes concernées").fill("1")
    citizen.submit("Continuer")
    citizen.expect_step(4)
    citizen.fill_contact(contact)
    citizen.submit("Continuer")
    citizen.expect_step(5)


@pytest.mark.parametrize(
    ("viewport", "run"),
    [(DESKTOP, "pris-bureau"), (SMALL_PHONE, "pris-mobile")],
    ids=["desktop", "phone-375"],
)
def test_a_slot_taken_meanwhile_is_marked_where_the_citizen_is(
    open_page, viewport: dict[str, int], run: str
) -> None:
    late = Citizen(open_page(js=True, viewport=viewport), run)
    quick = Citizen(open_page(js=True, viewport=DESKTOP), f"{run}-rapide")
    page = late.page
    walk_to_slots(late, CONTACT)
    late.page.get_by_role("link", name="Semaine suivante").click()  # not the first week
    week = page.locator("#semaine")
    expect(week).to_be_focused()
    slots = offered_slots(page, at_least=6)
    heading = week.inner_text()
    offered = slots.count()
    wanted, after = slots.nth(offered // 2), slots.nth(offered // 2 + 1)  # mid-week
    value, key, next_id = (
        wanted.get_attribute("value"),
        wanted.get_attribute("id"),
        after.get_attribute("id"),
    )
    page.locator(f"label[for='{key}']").click()
    expect(wanted).to_be_checked()
    # The citizen scrolled the slot down to just above the bar at the bottom of the screen,
    # the bar that grows with the message.
    page.evaluate(
        """key => {
            const label = document.querySelector(`label[for='${key}']`).getBoundingClientRect();
            const bar = document.querySelector('.formulaire--creneaux .actions');
            window.scrollBy(0, label.bottom - bar.getBoundingClientRect().top + 10);
        }""",
        key,
    )

    # Meanwhile another citizen, on the same week, takes that slot.
    walk_to_slots(quick, {**CONTACT, "Prénom": "Dominique"})
    quick.open(page.url)
    quick.page.locator(f"label[for='{key}']").click()
    quick.submit("Choisir ce créneau")
    quick.expect_step(6)

    # A tap where the button is: Playwright's own click would first scroll the sticky bar's
    # button "into view", moving the page as no citizen's tap does.
    button = page.get_by_role("button", name="Choisir ce créneau").bounding_box()
    assert button is not None
    scrolled = page.evaluate("window.scrollY")
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.mouse.click(button["x"] + button["width"] / 2, button["y"] + button["height"] / 2)
    response = info.value
    assert response.status == 422
    assert response.headers["hx-retarget"] == "#creneau-refus"
    assert "<html" not in response.text() and 'id="etape"' not in response.text()

    # The message, in the bar under the week, said by the live region.
    message = page.locator("#creneau-refus")
    when = slot_instant(
        page.locator(f"#horaire-{key.removeprefix('creneau-')}")
        .locator("xpath=ancestor::fieldset[1]/legend")
        .inner_text()
        .strip(),
        page.locator(f"label[for='{key}'] .horaire__heure").inner_text().strip(),
    )
    assert when == datetime.fromisoformat(value)
    expect(message).to_contain_text("vient d'être pris. Choisissez-en un autre.")
    expect(message).to_be_in_viewport()
    expect(page.locator("#annonce")).to_have_text(re.compile(r"vient d'être pris\."))
    # The slot: taken, no longer a choice; the rest of the week as it was, same page.
    taken = page.locator(f"#{key}")
    expect(taken).to_be_disabled()
    expect(taken).not_to_be_checked()
    expect(page.locator(f"label[for='{key}']")).to_contain_text("pris")
    # The place is kept: that slot and the next are in view, not under the (sticky) bar.
    bar = page.locator(".formulaire--creneaux .actions").bounding_box()
    assert bar is not None
    for label in (f"label[for='{key}']", f"label[for='{next_id}']"):
        expect(page.locator(label)).to_be_in_viewport()
        box = page.locator(label).bounding_box()
        assert box and box["y"] + box["height"] <= bar["y"], f"{label} under the bar: {box}"
    assert page.evaluate("window.scrollY") >= scrolled  # never back to the top of the page
    expect(page.locator("input[name='creneau']")).to_have_count(offered - 1)
    expect(week).to_have_text(heading)
    expect(page).to_have_url(re.compile(r"/rendez-vous/creneau\?semaine=\d{4}-\d\d-\d\d$"))
    assert page.evaluate(NOT_REPLACED), "a full page load, not an htmx swap"
    # Focus on the next free slot: Space chooses it, and the flow goes on.
    expect(page.locator(f"#{next_id}")).to_be_focused()
    late.audit("5-creneau-pris")
    page.keyboard.press("Space")
    expect(page.locator(f"#{next_id}")).to_be_checked()
    late.submit("Choisir ce créneau")
    late.expect_step(6)
    late.watch.assert_clean()
    quick.watch.assert_clean()


# --- step 5 on a small phone: the bar hides no slot (issue 13) --------------------------------


def bar_box(page: Page) -> dict[str, float]:
    box = page.locator(".formulaire--creneaux .actions").bounding_box()
    assert box is not None
    return box


def assert_not_under_bar(page: Page, label: Locator, what: str) -> None:
    """The slot's box and the button's bar do not overlap (the bar is sticky: wherever it is
    drawn, on top)."""
    box, bar = label.bounding_box(), bar_box(page)
    assert box is not None
    overlap = box["y"] < bar["y"] + bar["height"] and box["y"] + box["height"] > bar["y"]
    assert not overlap, f"{what} {box} under the bar {bar}"


@pytest.mark.parametrize(("js", "run"), [(True, "js"), (False, "sans-js")], ids=["htmx", "no-js"])
def test_on_a_small_phone_the_bar_hides_no_slot(open_page, js: bool, run: str) -> None:
    """375×812: an empty submission on a later week keeps that week and shows its first row
    uncovered; a slot tapped at the bottom of the screen is not left under the bar; a slot
    reached with the keyboard is never under it (WCAG 2.2 « focus not obscured »)."""
    citizen = Citizen(open_page(js=js, viewport=SMALL_PHONE), f"telephone-375-{run}")
    page = citizen.page
    walk_to_slots(citizen, CONTACT)
    week = page.locator("#semaine")
    first_week = week.inner_text()
    page.get_by_role("link", name="Semaine suivante").click()
    expect(week).not_to_have_text(first_week)
    offered_slots(page, at_least=8)
    shown = week.inner_text()

    # Nothing chosen: refused, on the same week, its first row in view and uncovered.
    citizen.submit("Choisir ce créneau", status=422)
    citizen.expect_step(5, errors=1)
    expect(week).to_have_text(shown)
    first_row = page.locator(".jour").first.locator(".horaire label")
    top = first_row.first.bounding_box()
    assert top is not None
    for index in range(first_row.count()):
        label = first_row.nth(index)
        box = label.bounding_box()
        if box is None or box["y"] != top["y"]:
            break
        assert_not_under_bar(page, label, f"first row, slot {index}")
    citizen.audit("erreur-5-aucun-creneau-telephone")

    # A tap on a slot at the very bottom of the screen, nothing chosen yet: once chosen, it
    # is scrolled above the bar that now follows (the browser's own focus scrolling).
    slots = page.locator("input[name='creneau']")
    tapped = slots.nth(slots.count() // 3)
    label = page.locator(f"label[for='{tapped.get_attribute('id')}']")
    label.evaluate(
        "label => window.scrollBy(0, label.getBoundingClientRect().bottom - innerHeight + 4)"
    )
    box = label.bounding_box()
    assert box is not None and box["y"] + box["height"] > 812 - 50
    page.mouse.click(box["x"] + 10, box["y"] + 10)  # where the finger is, no auto-scrolling
    expect(tapped).to_be_checked()
    expect(label).to_be_in_viewport(ratio=1)
    assert_not_under_bar(page, label, "tapped slot")
    citizen.watch.screenshot(f"telephone-375-{run}-touche")

    # On with the keyboard, down the week (each arrow also chooses the slot it reaches).
    expect(tapped).to_be_focused()
    for _ in range(min(slots.count() - slots.count() // 3, 24)):
        focused = page.evaluate("document.activeElement.id")
        label = page.locator(f"label[for='{focused}']")
        expect(label).to_be_in_viewport(ratio=1)
        assert_not_under_bar(page, label, f"focused slot {focused}")
        page.keyboard.press("ArrowRight")
    expect(page.locator(".formulaire--creneaux .actions")).to_be_in_viewport()  # it follows
    citizen.watch.screenshot(f"telephone-375-{run}-clavier")
    citizen.submit("Choisir ce créneau")
    citizen.expect_step(6)
    citizen.watch.assert_clean()
