"""The back office's accounts in real Chromium: logging in with the keyboard only (a wrong
password first), every page of the accounts area and its error states audited with
axe-core (WCAG 2.1 AA, zero violation) on a desktop and a phone, logging out; and the
login without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.staff.roles import Role
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.staff import create_staff
from tests.e2e.test_booking_flow import tab_to
from tests.integration.staff_helpers import log_in_page

pytestmark = pytest.mark.e2e

WRONG = "Adresse e-mail ou mot de passe incorrect."


def type_into(page: Page, selector: str, text: str) -> None:
    field = page.locator(selector)
    tab_to(page, field)
    page.keyboard.type(text)


def test_an_administrator_with_the_keyboard_only(open_page, server_data_dir) -> None:
    admin = create_staff(server_data_dir, Role.ADMIN, name="Anne Clavier")
    watch = open_page(js=True, viewport=DESKTOP)
    page = watch.page
    page.goto("/admin/comptes")
    expect(page).to_have_url(re.compile(r"/admin/connexion\?suite=/admin/comptes$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion au back-office")
    watch.audit("staff-01-connexion")

    type_into(page, "#champ-email", admin.email)
    type_into(page, "#champ-mot_de_passe", "pas le bon mot de passe")
    page.keyboard.press("Enter")
    expect(page.locator("#probleme")).to_have_text(WRONG)
    expect(page.locator("#champ-email")).to_have_value(admin.email)
    expect(page.locator("#champ-mot_de_passe")).to_have_value("")
    watch.audit("staff-02-connexion-erreur")

    type_into(page, "#champ-mot_de_passe", admin.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/comptes$"))  # back where they wanted to go
    expect(page.get_by_role("heading", level=1)).to_have_text("Comptes du personnel")
    expect(page.locator('nav a[aria-current="page"]')).to_have_text("Comptes")
    watch.audit("staff-03-comptes")

    for path, heading, name in [
        ("/admin", "Bonjour Anne Clavier", "staff-04-tableau-de-bord"),
        ("/admin/compte", "Mon compte", "staff-05-mon-compte"),
        ("/admin/journal", "Journal des actions", "staff-06-journal"),
        ("/admin/comptes/nouveau", "Nouveau compte", "staff-07-nouveau-compte"),
        ("/admin/configuration/sites", "Sites", "staff-08-sites"),
        ("/admin/configuration/guichets", "Guichets et agents", "staff-09-guichets"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        watch.audit(name)

    page.goto("/admin/configuration/sites")
    page.get_by_role("link", name=re.compile("^Modifier, fermetures")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Site « ")
    watch.audit("staff-10-site")
    page.get_by_role("button", name="Ajouter la fermeture").click()
    expect(page.locator("#resume-erreurs")).to_be_visible()
    watch.audit("staff-11-site-fermeture-erreur")

    page.goto("/admin/configuration/guichets")
    page.get_by_role("link", name=re.compile("^Modifier")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Guichet « ")
    watch.audit("staff-12-guichet")
    page.get_by_role("link", name=re.compile("agenda", re.I)).click()
    page.locator("#champ-server_url").fill("https://agenda.invalid/")
    page.locator("#champ-username").fill("alice")
    page.locator("#champ-calendar_password").fill("secret-agenda")
    page.get_by_role("button", name="Tester et enregistrer").click()
    expect(page.get_by_role("heading", name="Connexion en échec")).to_be_visible()
    assert "secret-agenda" not in page.content()
    watch.audit("staff-13-agenda-echec")

    page.goto("/admin/comptes/nouveau")
    page.get_by_role("button", name="Créer le compte").click()
    expect(page.locator("#resume-erreurs")).to_be_visible()
    watch.audit("staff-14-nouveau-compte-erreurs")

    page.goto("/admin/compte")
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.locator("#resume-erreurs")).to_be_visible()
    watch.audit("staff-15-mon-compte-erreurs")

    logout = page.get_by_role("button", name="Se déconnecter")
    tab_to(page, logout, limit=40)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/connexion\?etat=deconnecte$"))
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté.")
    watch.audit("staff-16-deconnecte")
    page.goto("/admin")
    expect(page).to_have_url(re.compile(r"/admin/connexion$"))
    watch.assert_clean()


def test_pages_on_a_phone_and_refusals(open_page, server_data_dir) -> None:
    viewer = create_staff(server_data_dir, Role.VIEWER, name="Victor Lecture")
    watch = open_page(js=True, viewport=PHONE)
    page = watch.page
    log_in_page(page, viewer)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Victor Lecture")
    expect(page.get_by_role("link", name="Comptes")).to_have_count(0)  # not in their menu
    watch.audit("staff-telephone-01-tableau-de-bord")
    page.goto("/admin/comptes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    assert "@" not in page.locator("main").inner_text()  # no account shown
    watch.audit("staff-telephone-02-acces-refuse")
    page.goto("/admin/compte")
    watch.audit("staff-telephone-03-mon-compte")

    admin = create_staff(server_data_dir, Role.ADMIN)
    other = open_page(js=True, viewport=PHONE)
    log_in_page(other.page, admin, next_path="/admin/comptes")
    expect(other.page.get_by_role("heading", level=1)).to_have_text("Comptes du personnel")
    other.audit("staff-telephone-04-comptes")
    other.page.goto("/admin/configuration/sites")
    other.audit("staff-telephone-05-sites")

    anonymous = open_page(js=True, viewport=PHONE)
    anonymous.page.goto("/admin/mot-de-passe-oublie")
    anonymous.audit("staff-telephone-06-mot-de-passe-oublie")
    anonymous.page.locator("#champ-email").fill("quelquun@mairie.example.fr")
    anonymous.page.get_by_role("button", name="Recevoir le lien").click()
    expect(anonymous.page.get_by_role("status")).to_contain_text("Si un compte actif")
    anonymous.audit("staff-telephone-07-lien-envoye")
    anonymous.page.goto("/admin/reinitialiser/faux-jeton")
    expect(anonymous.page.get_by_role("heading", level=1)).to_have_text("Lien non valable")
    anonymous.audit("staff-telephone-08-lien-non-valable")


def test_login_without_javascript(open_page, server_data_dir) -> None:
    agent = create_staff(server_data_dir, Role.AGENT, name="Alain Sansjs", first_site=True)
    watch = open_page(js=False, viewport=PHONE)
    page = watch.page
    page.goto("/admin/connexion")
    page.locator("#champ-email").fill(agent.email)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#resume-erreurs")).to_contain_text("Saisissez votre mot de passe.")
    watch.audit("staff-sans-js-01-connexion-erreur")
    page.locator("#champ-mot_de_passe").fill("pas le bon mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#probleme")).to_have_text(WRONG)
    page.locator("#champ-mot_de_passe").fill(agent.password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Alain Sansjs")
    watch.audit("staff-sans-js-02-tableau-de-bord")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté.")
