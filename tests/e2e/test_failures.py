"""When a request fails under htmx (no network, an expired form), the citizen is told so
above the form, keeps what they typed, and can try again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.test_booking_flow import CCAS, CONTACT, Citizen

pytestmark = pytest.mark.e2e

RECAP = "/rendez-vous/recapitulatif"


def walk_to_contact(citizen: Citizen) -> None:
    citizen.open("/rendez-vous/type")
    citizen.choose_type(CCAS)
    citizen.submit("Continuer")
    citizen.submit("Continuer")
    citizen.submit("Continuer")
    citizen.expect_step(4)


EXPECTED = ("net::ERR", "htmx:sendError", "htmx:afterRequest", "htmx:responseError")


def forget_expected_failures(citizen: Citizen) -> None:
    """Chromium and htmx log the failed request as console errors: expected here."""
    problems = citizen.watch.problems
    problems[:] = [p for p in problems if not any(text in p for text in EXPECTED)]


def test_a_confirm_lost_on_the_network_says_so_and_can_be_retried(open_page) -> None:
    citizen = Citizen(open_page(js=True, viewport=PHONE), "js-mobile")
    page = citizen.page
    walk_to_contact(citizen)
    citizen.fill_contact(CONTACT)
    citizen.submit("Continuer")
    citizen.choose_slot(-1)
    citizen.submit("Choisir ce créneau")
    citizen.expect_step(6)

    def drop_the_confirm(route) -> None:
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(f"**{RECAP}", drop_the_confirm)
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    banner = page.locator("#probleme")
    expect(banner).to_contain_text("La connexion au service a échoué.")
    expect(banner).to_contain_text("Votre rendez-vous ne sera pas enregistré deux fois.")
    expect(banner).to_be_focused()
    expect(page.locator("#annonce")).to_contain_text("La connexion au service a échoué.")
    citizen.audit("erreur-6-connexion-perdue")
    forget_expected_failures(citizen)

    page.unroute(f"**{RECAP}")
    citizen.submit("Confirmer le rendez-vous")
    citizen.expect_step(7)


def test_an_expired_form_keeps_what_was_typed(open_page) -> None:
    citizen = Citizen(open_page(js=True, viewport=PHONE), "js-mobile")
    page = citizen.page
    walk_to_contact(citizen)
    citizen.fill_contact(CONTACT)
    page.context.clear_cookies(name="creneau_csrf")  # as after a very long pause

    citizen.submit("Continuer", status=403)
    banner = page.locator("#probleme")
    expect(banner).to_contain_text("ce formulaire a expiré")
    expect(banner).to_be_focused()
    for name, value in CONTACT.items():
        expect(citizen.field(name)).to_have_value(value)
    citizen.audit("erreur-4-formulaire-expire")
    forget_expected_failures(citizen)

    page.reload()
    citizen.mark_document()
    citizen.fill_contact(CONTACT)
    citizen.submit("Continuer")
    citizen.expect_step(5)


def test_a_saturated_service_says_to_retry_in_a_moment(open_page) -> None:
    """The 503 of a database out of connections (or of the admission gate): with htmx the
    recap stays (not swapped for the 503 page), a banner says to try again, and trying
    again books once."""
    citizen = Citizen(open_page(js=True, viewport=PHONE), "js-mobile")
    page = citizen.page
    walk_to_contact(citizen)
    citizen.fill_contact(CONTACT)
    citizen.submit("Continuer")
    citizen.choose_slot(-1)
    citizen.submit("Choisir ce créneau")
    citizen.expect_step(6)

    def saturated(route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=503, headers={"Retry-After": "5"}, body="")
        else:
            route.continue_()

    page.route(f"**{RECAP}", saturated)
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    banner = page.locator("#probleme")
    expect(banner).to_contain_text("réessayez dans un instant")
    expect(banner).to_contain_text("Votre rendez-vous ne sera pas enregistré deux fois.")
    expect(banner).to_be_focused()
    expect(page.get_by_role("button", name="Confirmer le rendez-vous")).to_be_visible()
    citizen.audit("erreur-6-service-sature")
    forget_expected_failures(citizen)
    citizen.watch.problems[:] = [p for p in citizen.watch.problems if "503 on POST" not in p]

    page.unroute(f"**{RECAP}")
    citizen.submit("Confirmer le rendez-vous")
    citizen.expect_step(7)
