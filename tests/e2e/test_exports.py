"""Export, statistics and GDPR screens in real Chromium: the CSV downloaded through the
browser and parsed back, every state audited with axe-core (WCAG 2.1 AA, zero violation)
and photographed, and the same screens without JavaScript."""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.staff.roles import Role
from tests.e2e.conftest import PHONE
from tests.integration.data_helpers import add_booking, local, write
from tests.integration.staff_helpers import create_staff, log_in_page, server_settings

pytestmark = pytest.mark.e2e

TODAY = date.today()
SOON = TODAY + timedelta(days=3)
EVIL = '=HYPERLINK("http://evil.example";"clic")'


@pytest.fixture(scope="module")
def mairie(server_url, server_data_dir):
    """The server's database with a few bookings: this week, past weeks, a future one for
    the person who asks for erasure, and a name that is a spreadsheet formula."""
    settings = server_settings(server_data_dir)

    async def work(session):
        await add_booking(
            session,
            "ccas-aide-sociale",
            local(SOON, 9),
            last_name=EVIL,
            email="formule@example.org",
            phone="+33611223344",
        )
        await add_booking(
            session,
            "urbanisme-permis",
            local(SOON, 14),
            last_name="Lefèvre",
            first_name="Zoé",
            email="zoe.lefevre@example.org",
            phone="+33655667788",
        )
        await add_booking(
            session,
            "mariage-pacs",
            local(SOON + timedelta(days=1), 9),
            last_name="Martin",
            first_name="Paul",
            email="paul.martin@example.org",
            phone="+33644332211",
        )
        await add_booking(
            session,
            "mariage-pacs",
            local(TODAY - timedelta(days=30), 9),
            last_name="Martin",
            first_name="Paul",
            email="paul.martin@example.org",
            phone="+33644332211",
            attendance="attended",
        )
        for weeks in range(1, 8):
            day = TODAY - timedelta(weeks=weeks)
            day -= timedelta(days=day.weekday() - 1)  # a Tuesday
            await add_booking(
                session,
                "titres-identite",
                local(day, 9),
                people=1 + weeks % 3,
                attendance="no_show" if weeks == 2 else "attended",
                email="ancien@example.org",
            )
            await add_booking(
                session,
                "ccas-aide-sociale",
                local(day, 10),
                status="cancelled" if weeks % 2 else "confirmed",
                email="zoe.lefevre@example.org",
                phone="+33655667788",
                last_name="Lefèvre",
                first_name="Zoé",
            )

    def seed():
        # Playwright's sync API runs an event loop in this thread: asyncio.run() may not.
        admin = create_staff(settings, Role.ADMIN)
        viewer = create_staff(settings, Role.VIEWER)
        write(settings, work)
        return {"admin": admin, "viewer": viewer}

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(seed).result()


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
def test_the_export_downloads_a_clean_csv(open_page, mairie, js):
    watch = open_page(js=js)
    log_in_page(watch.page, mairie["viewer"])
    watch.page.goto("/admin/export")
    expect(watch.page.get_by_role("heading", level=1)).to_have_text("Export des rendez-vous")
    watch.audit(f"donnees-export-formulaire-{'js' if js else 'sans-js'}")
    rows = download_export(watch, SOON, SOON)
    assert [row["type"] for row in rows] == [
        "CCAS — aide sociale",
        "Urbanisme — permis de construire",
    ]
    assert rows[0]["nom"] == "'" + EVIL, "formula not neutralised"
    assert rows[0]["téléphone"] == "'+33611223344"
    assert rows[1]["prénom"] == "Zoé" and rows[1]["date"] == f"{SOON:%d/%m/%Y}"

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
def test_statistics_pages(open_page, mairie, js):
    suffix = "js" if js else "sans-js"
    watch = open_page(js=js)
    page = watch.page
    log_in_page(page, mairie["viewer"])
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


def test_statistics_on_a_phone(open_page, mairie):
    watch = open_page(viewport=PHONE)
    log_in_page(watch.page, mairie["viewer"])
    watch.page.goto("/admin/statistiques")
    watch.audit("donnees-statistiques-telephone")


@pytest.mark.parametrize("js", [True, False], ids=["js", "sans-js"])
def test_gdpr_search_copy_and_erase(open_page, mairie, js):
    suffix = "js" if js else "sans-js"
    watch = open_page(js=js)
    page = watch.page
    log_in_page(page, mairie["admin"])
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

    who, name = ("zoe.lefevre@example.org", "Lefèvre") if js else ("06 44 33 22 11", "Martin")
    page.locator("#champ-personne").fill(who)
    page.get_by_role("button", name="Rechercher ses rendez-vous").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendez-vous de la personne")
    assert page.url.endswith("/admin/rgpd/recherche"), "no personal data in the address"
    watch.audit(f"donnees-rgpd-resultats-{suffix}")
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger la copie (CSV)").click()
    with open(info.value.path(), "rb") as file:
        rows = parse_csv(file.read())
    assert len(rows) == (8 if js else 2) and {row["nom"] for row in rows} == {name}

    page.get_by_role("button", name="Effacer ses données…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer l'effacement des données")
    watch.audit(f"donnees-rgpd-confirmation-{suffix}")
    page.get_by_role("button", name=re.compile("effacer", re.I)).click()
    expect(page.locator("main .bandeau")).to_contain_text("Données effacées")
    watch.audit(f"donnees-rgpd-efface-{suffix}")
