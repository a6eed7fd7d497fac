"""What citizens see of the commune's identity: its colour, its logo, its legal notice and
accessibility statement — read from the database on every request."""

from __future__ import annotations

import re

from sqlalchemy import update

from app.configuration import markdown
from app.db.models import Commune
from tests.integration.helpers import execute, text_of
from tests.unit.test_configuration_texts import _png


def test_the_citizen_pages_use_the_commune_colour_at_once(client, settings):
    page = client.get("/rendez-vous/type")
    assert '<link rel="stylesheet" href="/habillage/000091.css">' in page.text
    execute(settings, update(Commune).values(primary_color="#1e6b34"))
    page = client.get("/rendez-vous/type")  # same process, no restart
    assert '<link rel="stylesheet" href="/habillage/1e6b34.css">' in page.text
    sheet = client.get("/habillage/1e6b34.css")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert "--primaire: #1e6b34;" in sheet.text
    assert "immutable" in sheet.headers["cache-control"]
    assert client.get("/habillage/url(x).css").status_code == 404
    assert client.get("/habillage/1e6b34").status_code == 404


def test_the_footer_links_the_legal_notice_and_accessibility_pages(client):
    page = client.get("/rendez-vous/type").text
    footer = page[page.index('<footer class="pied">') :]
    assert '<a href="/mentions-legales">Mentions légales</a>' in footer
    assert '<a href="/accessibilite">Accessibilité</a>' in footer


def test_the_legal_pages_show_the_sanitised_text_or_say_it_is_missing(client, settings):
    empty = client.get("/mentions-legales")
    assert empty.status_code == 200
    assert empty.headers["content-type"].startswith("text/html")
    assert "La commune n'a pas encore publié cette page" in text_of(empty.text)
    source = "# Éditeur\n\nMairie de Test <script>alert(1)</script> [x](javascript:alert(1))"
    execute(
        settings,
        update(Commune).values(
            legal_notice_md=source,
            legal_notice_html=markdown.render(source),
            accessibility_html=markdown.render("Conformité **partielle**."),
        ),
    )
    legal = client.get("/mentions-legales")
    assert "<h1" in legal.text and "<h2>Éditeur</h2>" in legal.text
    assert "<script>alert" not in legal.text
    assert 'href="javascript' not in legal.text
    accessibility = client.get("/accessibilite")
    assert "Déclaration d'accessibilité" in text_of(accessibility.text)
    assert "<strong>partielle</strong>" in accessibility.text


def test_the_communes_phone_number_reads_as_people_write_it(client, settings):
    execute(settings, update(Commune).values(contact_phone="+33123456789"))  # as the demo's
    text = text_of(client.get("/mentions-legales").text)
    assert "01 23 45 67 89" in text and "+33123456789" not in text
    execute(settings, update(Commune).values(contact_phone="01 23 45 67 89"))  # as the form's
    assert "01 23 45 67 89" in text_of(client.get("/mentions-legales").text)


def test_the_logo_is_served_with_its_type_under_its_digest(client, settings):
    assert 'class="entete__logo"' not in client.get("/rendez-vous/type").text
    data = _png()
    digest = "a" * 64
    execute(
        settings,
        update(Commune).values(logo_data=data, logo_content_type="image/png", logo_digest=digest),
    )
    page = client.get("/rendez-vous/type").text
    assert re.search(rf'<img class="entete__logo" src="/logo/{digest}" alt="">', page)
    served = client.get(f"/logo/{digest}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == data
    assert client.get("/logo/" + "b" * 64).status_code == 404
    assert client.get("/logo/").status_code == 404
