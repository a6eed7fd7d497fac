"""What a person sees when their connection asked too often (issue 14): a French page
with a way back, or their step with the reason, with and without JavaScript, on a phone;
no axe violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, Server, _pages, _serve
from tests.e2e.test_booking_flow import CCAS, CONTACT, Citizen, walk_to_slots

pytestmark = pytest.mark.e2e

STRICT = {"CRENEAU_RATE_STARTS": "2", "CRENEAU_HOLDS_PER_ADDRESS": "1"}


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with very low limits: two starts and one live hold an address."""
    yield from _serve(tmp_path_factory.mktemp("creneau-strict"), STRICT)


@pytest.fixture
def open_strict_page(request, browser, strict_server: Server, axe_source: str):
    yield from _pages(request, browser, strict_server.url, axe_source)


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_one_connection_over_its_limits_is_told_why_and_when(open_strict_page, js):
    citizen = Citizen(open_strict_page(js=js, viewport=PHONE), "js" if js else "sans-js")
    walk_to_slots(citizen, CONTACT)
    citizen.choose_slot(0)
    citizen.submit("Choisir ce créneau")
    citizen.expect_step(6)

    # Someone else on the same connection (or a bot) starts a second booking: the slot
    # they pick is refused while the first one is held, with the reason on their step.
    citizen.page.context.clear_cookies()
    walk_to_slots(citizen, {**CONTACT, "Prénom": "Dominique"})
    citizen.choose_slot(1)
    citizen.submit("Choisir ce créneau", status=429)
    citizen.expect_step(5, errors=1)
    expect(citizen.page.locator("main")).to_contain_text("un créneau retenu")
    citizen.audit("erreur-5-trop-de-creneaux-retenus")

    # A third start from that connection within the window: a page that says when.
    citizen.page.context.clear_cookies()
    citizen.open("/rendez-vous/type")
    citizen.choose_type(CCAS)
    citizen.submit("Continuer", status=429)
    heading = citizen.page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Trop de demandes depuis votre connexion")
    expect(citizen.page.locator("main")).to_contain_text("Réessayez dans 10 minutes")
    citizen.audit("erreur-429-demarrage")
    citizen.page.get_by_role("link", name="Revenir à la prise de rendez-vous").click()
    expect(heading).to_have_text("Choisir le type de rendez-vous")
