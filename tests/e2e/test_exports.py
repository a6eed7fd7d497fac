"""Export, statistics and GDPR screens in real Chromium: the CSV downloaded through the
browser and parsed back, every state audited with axe-core (WCAG 2.1 AA, zero violation)
and photographed, and the same screens without JavaScript."""

from __future__ import annotations

import csv
import io
import itertools
import re
import secrets
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.staff.roles import Role
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import TODAY
from tests.e2e.staff import create_staff
from tests.integration.data_helpers import add_booking, local, write
from tests.integration.staff_helpers import log_in_page, server_settings

pytestmark = pytest.mark.e2e

SOON = TODAY + timedelta(days=3)
EVIL = '=HYPERLINK("http://evil.example";"clic")'
CCAS = "CCAS — aide sociale"
NUMBERS = itertools.count(1)
URBANISM = "Urbanisme — permis de construire"


def seed(data_dir: Path, work) -> list[str]:
    """Writes bookings straight into the server's database; returns their references.
    In a thread: Playwright's sync API runs an event loop in this one."""

    async def references(session):
        return [booking.reference for booking in await work(session)]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(write, server_settings(data_dir), references).result()


def ascii_only(name: str) -> str:
    """Zoé → zoe: the local part of an address stays ASCII (what e-mails can carry)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def someone(first_name: str, last_name: str) -> dict[str, str]:
    """A person no other test knows: an e-mail address and a mobile number of their own."""
    number = f"655{next(NUMBERS):06d}"  # a block of valid mobile numbers, one each
    token = secrets.token_hex(4)
    return {
        "first_name": first_name,
        "last_name": last_name,
        "email": f"{ascii_only(first_name)}.{ascii_only(last_name)}.{token}@example.org",
        "phone": f"+33{number}",
    }


def typed_phone(e164: str) -> str:
    """+33644332211 as a person types it: 06 44 33 22 11."""
    national = "0" + e164.removeprefix("+33")
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


def past_tuesday(weeks: int) -> date:
    day = TODAY - timedelta(weeks=weeks)
    return day - timedelta(days=day.weekday() - 1)


@pytest.fixture(scope="module")
def history(server_data_dir: Path) -> list[str]:
    """Seven past weeks of bookings, attended, missed and cancelled, for the statistics:
    read-only, and of people no test searches for or erases."""
    regular = someone("Ancien", "Usager")
    other = someone("Autre", "Usagère")

    async def work(session):
        made = []
        for weeks in range(1, 8):
            day = past_tuesday(weeks)
            made.append(
                await add_booking(
                    session,
                    "titres-identite",
                    local(day, 9),
                    people=1 + weeks % 3,
                    attendance="no_show" if weeks == 2 else "attended",
                    **regular,
                )
            )
            made.append(
                await add_booking(
                    session,
                    "ccas-aide-sociale",
                    local(day, 10),
                    status="cancelled" if weeks % 2 else "confirmed",
                    **other,
                )
            )
        return made

    return seed(server_data_dir, work)


@pytest.fixture
def viewer(server_data_dir: Path):
    return create_staff(server_data_dir, Role.VIEWER)


@pytest.fixture
def admin(server_data_dir: Path):
    return create_staff(server_data_dir, Role.ADMIN)


def parse_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "no byte order mark: Excel would misread accents"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def download_export(watch, first: date, last: date) -> list[dict[str, str]]:
    page = watch.page
    page.goto("/admin/export")
    page.locator("#champ-du").fill(first.isoformat())
    page.locator("#champ-au").fill(last.isoformat())
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger le fichier CSV").click()
    download = info.value
    assert download.suggested_filename == f"rendez-vous_{first}_{last}.csv"
    with open(download.path(), "rb") as file:
        return parse_csv(file.read())


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_the_export_downloads_a_clean_csv(open_page, server_data_dir, viewer, js):
    """Its own two bookings of a coming day (a name that is a spreadsheet formula, a name
    with accents), found by reference among whatever else that day holds."""
    formula = {**someone("Formule", "Tableur"), "last_name": EVIL}
    zoe = someone("Zoé", "Lefèvre")

    async def work(session):
        return [
            await add_booking(session, "ccas-aide-sociale", local(SOON, 9), **formula),
            await add_booking(session, "urbanisme-permis", local(SOON, 14), **zoe),
        ]

    references = seed(server_data_dir, work)
    watch = open_page(js=js)
    log_in_page(watch.page, viewer)
    watch.page.goto("/admin/export")
    expect(watch.page.get_by_role("heading", level=1)).to_have_text("Export des rendez-vous")
    watch.audit(f"donnees-export-formulaire-{'js' if js else 'sans-js'}")
    rows = download_export(watch, SOON, SOON)
    assert {row["date"] for row in rows} == {f"{SOON:%d/%m/%Y}"}, "a day outside the range"
    mine = [row for row in rows if row["référence"] in references]
    assert [row["type"] for row in mine] == [CCAS, URBANISM]  # in the order of their hours
    assert mine[0]["nom"] == "'" + EVIL, "formula not neutralised"
    assert mine[0]["téléphone"] == "'" + formula["phone"]
    assert mine[1]["prénom"] == "Zoé" and mine[1]["nom"] == "Lefèvre"

    # A bad range: a French message, the values kept, nothing downloaded.
    page = watch.page
    page.locator("#champ-du").fill(SOON.isoformat())
    page.locator("#champ-au").fill(TODAY.isoformat())
    page.get_by_role("button", name="Télécharger le fichier CSV").click()
    expect(page.locator("#resume-erreurs")).to_contain_text(
        "Le dernier jour doit être le même que le premier ou après lui."
    )
    expect(page.locator("#champ-du")).to_have_value(SOON.isoformat())
    watch.audit(f"donnees-export-erreur-{'js' if js else 'sans-js'}")


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_statistics_pages(open_page, history, viewer, js):
    suffix = "js" if js else "sans-js"
    watch = open_page(js=js)
    page = watch.page
    log_in_page(page, viewer)
    page.goto("/admin/statistiques")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistiques")
    expect(page.get_by_role("img", name="Rendez-vous par semaine")).to_be_visible()
    expect(
        page.get_by_role("table", name="Rendez-vous par semaine, tous les sites")
    ).to_be_visible()
    watch.audit(f"donnees-statistiques-{suffix}")

    page.locator("#champ-du").fill("2030-01-07")
    page.locator("#champ-au").fill("2030-01-13")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("main .bandeau")).to_contain_text("Aucun rendez-vous sur cette période.")
    watch.audit(f"donnees-statistiques-vide-{suffix}")

    page.locator("#champ-au").fill("2029-01-13")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#resume-erreurs")).to_contain_text("Le dernier jour doit être")
    watch.audit(f"donnees-statistiques-erreur-{suffix}")


def test_statistics_on_a_phone(open_page, history, viewer):
    watch = open_page(viewport=PHONE)
    log_in_page(watch.page, viewer)
    watch.page.goto("/admin/statistiques")
    watch.audit("donnees-statistiques-telephone")


def gdpr_person(data_dir: Path, js: bool) -> tuple[str, str, int]:
    """A person of this test's own, with a coming booking and past ones; returns what the
    administrator types to find them (e-mail with JavaScript, phone without), their name and
    how many bookings they have."""
    if js:
        zoe = someone("Zoé", "Lefèvre")

        async def work(session):
            made = [await add_booking(session, "urbanisme-permis", local(SOON, 14), **zoe)]
            for weeks in range(1, 8):
                status = "cancelled" if weeks % 2 else "confirmed"
                made.append(
                    await add_booking(
                        session,
                        "ccas-aide-sociale",
                        local(past_tuesday(weeks), 10),
                        status=status,
                        **zoe,
                    )
                )
            return made

        return zoe["email"], "Lefèvre", len(seed(data_dir, work))
    paul = someone("Paul", "Martin")

    async def work(session):
        return [
            await add_booking(session, "mariage-pacs", local(SOON + timedelta(days=1), 9), **paul),
            await add_booking(
                session,
                "mariage-pacs",
                local(TODAY - timedelta(days=30), 9),
                attendance="attended",
                **paul,
            ),
        ]

    return typed_phone(paul["phone"]), "Martin", len(seed(data_dir, work))


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_gdpr_search_copy_and_erase(open_page, server_data_dir, admin, js):
    suffix = "js" if js else "sans-js"
    who, name, bookings = gdpr_person(server_data_dir, js)
    assert bookings == (8 if js else 2)
    watch = open_page(js=js)
    page = watch.page
    log_in_page(page, admin)
    page.goto("/admin/rgpd")
    watch.audit(f"donnees-rgpd-{suffix}")

    page.locator("#champ-personne").fill("pas-une-adresse@")
    page.get_by_role("button", name="Rechercher ses rendez-vous").click()
    expect(page.locator("#resume-erreurs")).to_contain_text("n'est pas valide")
    expect(page.locator("#champ-personne")).to_have_value("pas-une-adresse@")
    watch.audit(f"donnees-rgpd-erreur-{suffix}")

    page.locator("#champ-conservation").fill("12")
    page.get_by_role("button", name="Enregistrer la durée").click()
    expect(page.locator("#resume-erreurs")).to_contain_text("entre 30 et 3650 jours")
    watch.audit(f"donnees-rgpd-conservation-erreur-{suffix}")

    page.locator("#champ-personne").fill(who)
    page.get_by_role("button", name="Rechercher ses rendez-vous").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendez-vous de la personne")
    assert page.url.endswith("/admin/rgpd/recherche"), "no personal data in the address"
    watch.audit(f"donnees-rgpd-resultats-{suffix}")
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger la copie (CSV)").click()
    with open(info.value.path(), "rb") as file:
        rows = parse_csv(file.read())
    assert len(rows) == bookings and {row["nom"] for row in rows} == {name}

    page.get_by_role("button", name="Effacer ses données…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer l'effacement des données")
    watch.audit(f"donnees-rgpd-confirmation-{suffix}")
    page.get_by_role("button", name=re.compile("effacer", re.I)).click()
    expect(page.locator("main .bandeau")).to_contain_text("Données effacées")
    watch.audit(f"donnees-rgpd-efface-{suffix}")
