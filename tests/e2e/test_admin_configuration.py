"""An administrator configures the commune in real Chromium — a new appointment type, its
opening hours, the commune's colour — and a citizen then books that type in the same
browser. Every configuration page and error state is photographed (desktop and phone) and
audited with axe-core (WCAG 2.1 AA, zero violation); one run has JavaScript disabled."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.staff.roles import Role
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import PageWatch
from tests.e2e.staff import create_staff
from tests.integration.staff_helpers import log_in_page
from tests.unit.test_configuration_texts import _png

pytestmark = pytest.mark.e2e

TITLE = "Recensement citoyen"
SITE = "Hôtel de ville"
DESK = "Bureau de l'état civil"
GREEN = "#1e6b34"


def admin_page(open_page, data_dir, *, js: bool, viewport: dict[str, int]) -> PageWatch:
    member = create_staff(data_dir, Role.ADMIN)
    watch = open_page(js=js, viewport=viewport)
    log_in_page(watch.page, member)
    return watch


def box(page: Page, name: str):
    """The form field with that accessible name (the required mark is hidden from it)."""
    return page.get_by_role("textbox", name=name, exact=True)


def submit(page: Page, button: str, status: int) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        page.get_by_role("button", name=button).click()
    assert info.value.status == status, f"{info.value.url}: {info.value.status} != {status}"
    page.wait_for_load_state("load")


def summary_count(page: Page, count: int) -> None:
    summary = page.locator("#resume-erreurs")
    expect(summary.locator("li")).to_have_count(count)
    expect(summary).to_be_focused()  # its autofocus, no script needed
    for href in summary.locator("a").evaluate_all("links => links.map(a => a.hash)"):
        assert page.locator(href).count() == 1, f"summary link {href} leads nowhere"


def fill_type(page: Page) -> None:
    box(page, "Titre").fill(TITLE)
    box(page, "Service").fill("Affaires générales")
    page.get_by_role("combobox", name="Lieu").select_option(label=SITE)
    box(page, "Description").fill("Recensement des jeunes de **16 ans**. <script>alert(1)</script>")
    box(page, "Mention sur les données personnelles (RGPD)").fill(
        "Données utilisées pour le *recensement* seulement."
    )
    box(page, "Durée d'un rendez-vous (minutes)").fill("30")
    box(page, "Délai minimum avant le rendez-vous (minutes)").fill("0")
    box(page, "Horizon de réservation (jours)").fill("30")
    page.get_by_role("checkbox", name=DESK).check()
    page.locator("#champ-extra_label_0").fill("Numéro de dossier")
    page.locator("#champ-extra_required_0").check()


def test_an_administrator_creates_a_type_with_hours_and_a_citizen_books_it(
    open_own_page, own_server
) -> None:
    """On a server of its own: the commune it configures is nobody else's."""
    open_page = open_own_page
    watch = admin_page(open_page, own_server.data_dir, js=True, viewport=DESKTOP)
    page = watch.page

    page.get_by_role("navigation").get_by_role("link", name="Configuration").click()
    expect(page.locator("h1")).to_have_text("Configuration")
    watch.audit("config-bureau-1-index")

    page.get_by_role("link", name="Types de rendez-vous").click()
    expect(page.locator("h1")).to_have_text("Types de rendez-vous")
    watch.audit("config-bureau-2-types")
    page.get_by_role("link", name="Créer un type de rendez-vous").click()
    expect(page.locator("h1")).to_have_text("Nouveau type de rendez-vous")
    watch.audit("config-bureau-3-type-nouveau")

    # Wrong values first: nothing is created, the form says why, what was typed stays.
    box(page, "Titre").fill(TITLE)
    box(page, "Capacité par guichet").fill("1")
    box(page, "Places réservées au personnel").fill("3")
    box(page, "Durée d'un rendez-vous (minutes)").fill("-10")
    submit(page, "Créer le type de rendez-vous", 422)
    expect(page).to_have_title(re.compile(r"^Erreur : Nouveau type de rendez-vous"))
    summary_count(page, 6)  # lieu, description, RGPD, durée, places, guichets
    expect(box(page, "Titre")).to_have_value(TITLE)
    watch.audit("config-bureau-4-type-erreurs")

    box(page, "Places réservées au personnel").fill("0")
    fill_type(page)
    submit(page, "Créer le type de rendez-vous", 303)
    expect(page.locator(".bandeau--succes")).to_contain_text("Le type de rendez-vous est créé.")
    expect(page.get_by_role("row").filter(has_text=TITLE)).to_contain_text(DESK)
    watch.audit("config-bureau-5-type-cree")

    # Its own hours: Sundays 10:00–12:00, when the town hall is otherwise closed.
    page.goto("/admin/configuration/horaires")
    watch.audit("config-bureau-6-horaires")
    page.get_by_role("link", name=f"Ajouter un horaire à {SITE}").click()
    expect(page.get_by_role("combobox", name="Lieu")).to_have_value(re.compile(r"\d+"))
    watch.audit("config-bureau-7-horaire-nouveau")
    page.get_by_role("combobox", name="Jour de la semaine").select_option(label="Dimanche")
    page.locator("#champ-start").fill("12:00")
    page.locator("#champ-end").fill("10:00")
    page.get_by_role("combobox", name="Type de rendez-vous").select_option(
        label=f"{TITLE} ({SITE})"
    )
    submit(page, "Ajouter l'horaire", 422)
    summary_count(page, 1)
    watch.audit("config-bureau-8-horaire-erreur")
    page.locator("#champ-start").fill("10:00")
    page.locator("#champ-end").fill("12:00")
    submit(page, "Ajouter l'horaire", 303)
    expect(page.locator(".bandeau--succes")).to_contain_text("L'horaire est ajouté.")
    sunday_row = page.get_by_role("row").filter(has_text="Dimanche").filter(has_text=TITLE)
    expect(sunday_row).to_have_count(1)

    # The commune's colour, refused when too pale, then saved.
    page.goto("/admin/configuration/commune")
    watch.audit("config-bureau-9-commune")
    box(page, "Couleur principale").fill("#ffcc00")
    submit(page, "Enregistrer", 422)
    expect(page.locator("#erreur-primary_color")).to_contain_text("pas assez contrastée")
    watch.audit("config-bureau-10-commune-erreur")
    box(page, "Couleur principale").fill(GREEN)
    page.get_by_label("Nouveau logo").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": _png(120, 40)}]
    )
    submit(page, "Enregistrer", 303)
    expect(page.get_by_role("img", name="Logo actuel de la commune")).to_be_visible()
    expect(page.locator(".bandeau--succes")).to_contain_text("Les changements sont enregistrés")

    # A citizen books it, in the same browser.
    citizen = open_page(js=True, viewport=DESKTOP)
    booking_reference = book_new_type(citizen)
    citizen.assert_clean()

    # Deleting the Sunday hours would leave that booking outside: it is listed, then kept.
    page.goto("/admin/configuration/horaires")
    sunday_row.get_by_role("button", name=re.compile(r"^Supprimer")).click()
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text("Des rendez-vous seraient hors des horaires")
    expect(page.get_by_role("table")).to_contain_text(booking_reference)
    watch.audit("config-bureau-11-rendez-vous-hors-horaires")
    page.set_viewport_size(PHONE)
    watch.audit("config-mobile-rendez-vous-hors-horaires")
    page.set_viewport_size(DESKTOP)
    submit(page, "Les garder comme exceptions et supprimer l'horaire", 303)
    expect(page.locator(".bandeau--succes")).to_contain_text("1 rendez-vous est gardé")
    expect(sunday_row).to_have_count(0)

    # Deactivated: no longer offered, and the booking already taken stays valid.
    page.goto("/admin/configuration/types")
    page.get_by_role("button", name=f"Désactiver « {TITLE} »").click()
    page.wait_for_load_state("load")
    expect(page.locator(".bandeau--succes")).to_contain_text(
        "1 rendez-vous déjà pris reste valable : il aura lieu comme prévu."
    )
    watch.audit("config-bureau-12-type-desactive")

    # The logo removed, the demo's colour back.
    page.goto("/admin/configuration/commune")
    box(page, "Couleur principale").fill("#000091")
    page.get_by_role("checkbox", name="Retirer le logo").check()
    submit(page, "Enregistrer", 303)
    expect(page.get_by_text("Aucun logo pour le moment.")).to_be_visible()
    watch.assert_clean()


def book_new_type(watch: PageWatch) -> str:
    page = watch.page
    page.goto("/rendez-vous/type")
    header = page.locator(".entete")
    expect(header).to_have_css("background-color", "rgb(30, 107, 52)")  # the new colour
    logo = header.locator("img.entete__logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 120
    expect(page.get_by_role("link", name="Mentions légales")).to_be_visible()
    page.locator(".choix label").filter(has_text=TITLE).click()
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator(".texte-commune").first).to_contain_text("Recensement des jeunes de 16 ans")
    expect(page.locator(".texte-commune strong").first).to_have_text("16 ans")
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("textbox", name="Nombre de personnes concernées").fill("1")
    page.get_by_role("button", name="Continuer").click()
    for name, value in {
        "Nom": "Martin",
        "Prénom": "Léa",
        "Adresse électronique": "lea.martin@example.org",
        "Téléphone mobile": "06 98 76 54 32",
        "Numéro de dossier": "R-2026-17",
    }.items():
        page.get_by_role("textbox", name=name, exact=True).fill(value)
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator("h1")).to_have_text("Choisir la date et l'heure")
    sunday = page.locator("fieldset.jour").filter(
        has=page.locator("legend", has_text=re.compile(r"^Dimanche"))
    )
    if sunday.count() == 0:  # this week's Sunday morning is over
        page.get_by_role("link", name="Semaine suivante").click()
    expect(sunday.first.locator(".horaire label").first).to_be_visible()
    first = sunday.first.locator(".horaire label").first
    expect(first).to_have_text(re.compile(r"^1[01]\sh"))
    first.click()
    watch.screenshot("config-citoyen-creneau-dimanche")
    page.get_by_role("button", name="Choisir ce créneau").click()
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(page.locator("h1")).to_have_text("Bravo ! Vous avez pris votre rendez-vous en ligne !")
    watch.audit("config-citoyen-confirmation")
    return page.locator(".reference").first.inner_text().strip()


def test_configuration_pages_without_javascript_on_a_phone(open_page, server_data_dir) -> None:
    watch = admin_page(open_page, server_data_dir, js=False, viewport=PHONE)
    page = watch.page
    for path, name in [
        ("/admin/configuration", "index"),
        ("/admin/configuration/types", "types"),
        ("/admin/configuration/horaires", "horaires"),
        ("/admin/configuration/commune", "commune"),
    ]:
        page.goto(path)
        watch.audit(f"config-sans-js-mobile-{name}")

    page.goto("/admin/configuration/types/nouveau")
    watch.audit("config-sans-js-mobile-type-nouveau")
    submit(page, "Créer le type de rendez-vous", 422)
    summary_count(page, 5)  # titre, description, RGPD, lieu, guichets
    watch.audit("config-sans-js-mobile-type-erreurs")

    page.goto("/admin/configuration/horaires/nouveau")
    page.locator("#champ-start").fill("09:00")
    page.locator("#champ-end").fill("08:00")
    submit(page, "Ajouter l'horaire", 422)
    expect(page.locator("#erreur-end")).to_contain_text("L'heure de fin doit suivre")
    watch.audit("config-sans-js-mobile-horaire-erreur")

    page.goto("/mentions-legales")
    expect(page.locator("h1")).to_have_text("Mentions légales")
    watch.audit("config-sans-js-mobile-mentions-legales")
    page.goto("/accessibilite")
    watch.audit("config-sans-js-mobile-accessibilite")
    watch.assert_clean()
