"""An administrator changes the commune's identity; citizens see it at once."""

from __future__ import annotations

import html

from sqlalchemy import select

from app.db.models import Commune
from tests.integration.config_helpers import admin, audit_actions, post_form, summary_messages
from tests.integration.helpers import fetch, text_of
from tests.unit.test_configuration_texts import _png

PAGE = "/admin/configuration/commune"
VALID = {
    "name": "Mairie de Saint-Test",
    "primary_color": "#1E6B34",
    "contact_email": "accueil@saint-test.fr",
    "contact_phone": "01 23 45 67 89",
    "legal_notice_md": "# Éditeur\n\nMairie <script>alert(1)</script> [x](javascript:alert(1))",
    "accessibility_md": "Conformité **partielle** au RGAA.",
    "sms_enabled": "1",
}


def commune(settings) -> Commune:
    return fetch(settings, select(Commune))[0]


def test_saved_identity_shows_on_the_citizen_pages_at_once(client, settings):
    admin(client, settings)
    answer = post_form(client, PAGE, VALID)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PAGE}?fait=1"
    assert "Les changements sont enregistrés" in client.get(answer.headers["location"]).text

    saved = commune(settings)
    assert (saved.name, saved.primary_color, saved.contact_phone) == (
        "Mairie de Saint-Test",
        "#1e6b34",
        "01 23 45 67 89",
    )
    assert saved.sms_enabled is True
    assert saved.legal_notice_md == VALID["legal_notice_md"]  # the source, as written

    citizen_page = client.get("/rendez-vous/type").text
    assert "Mairie de Saint-Test" in citizen_page
    assert '<link rel="stylesheet" href="/habillage/1e6b34.css">' in citizen_page
    legal = client.get("/mentions-legales").text
    assert "<h2>Éditeur</h2>" in legal
    assert "<script>alert" not in legal and 'href="javascript' not in legal
    assert "<strong>partielle</strong>" in client.get("/accessibilite").text
    assert "commune.updated" in audit_actions(settings)


def test_a_nul_character_in_a_configuration_form_is_dropped_not_a_crash(client, settings):
    admin(client, settings)
    notice = "# Éditeur\x00\n\nMairie de Saint-Test"
    answer = post_form(client, PAGE, {**VALID, "legal_notice_md": notice})
    assert answer.status_code == 303
    assert commune(settings).legal_notice_md == "# Éditeur\n\nMairie de Saint-Test"


def test_invalid_values_change_nothing_and_keep_what_was_typed(client, settings):
    admin(client, settings)
    before = commune(settings)
    answer = post_form(
        client,
        PAGE,
        {
            **VALID,
            "name": "",
            "primary_color": "#ffcc00",
            "contact_email": "pas-une-adresse",
            "contact_phone": "12",
        },
    )
    assert answer.status_code == 422
    messages = summary_messages(answer.text)
    assert messages[0] == "Saisissez le nom de la commune."
    assert any("pas assez contrastée" in m and "1,5:1" in m for m in messages)
    assert any("adresse électronique valide" in m for m in messages)
    assert any("numéro de téléphone valide" in m for m in messages)
    assert 'value="pas-une-adresse"' in answer.text
    assert html.escape(VALID["accessibility_md"], quote=False) in answer.text
    after = commune(settings)
    assert (after.name, after.primary_color, after.contact_email, after.sms_enabled) == (
        before.name,
        before.primary_color,
        before.contact_email,
        before.sms_enabled,
    )
    assert "commune.updated" not in audit_actions(settings)


def test_a_png_logo_is_stored_and_shown_an_svg_is_refused(client, settings):
    admin(client, settings)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    refused = post_form(client, PAGE, VALID, files={"logo": ("logo.svg", svg, "image/svg+xml")})
    assert refused.status_code == 422
    assert "le format SVG n'est pas accepté" in text_of(refused.text)
    assert commune(settings).logo_digest == ""
    assert commune(settings).name != VALID["name"]  # nothing saved at all

    data = _png()
    saved = post_form(client, PAGE, VALID, files={"logo": ("logo.png", data, "image/png")})
    assert saved.status_code == 303
    digest = commune(settings).logo_digest
    assert digest
    assert f'src="/logo/{digest}"' in client.get("/rendez-vous/type").text
    served = client.get(f"/logo/{digest}")
    assert served.headers["content-type"] == "image/png" and served.content == data

    removed = post_form(client, PAGE, {**VALID, "remove_logo": "1"})
    assert removed.status_code == 303
    assert commune(settings).logo_digest == ""
    assert client.get(f"/logo/{digest}").status_code == 404


def test_a_logo_near_the_limit_is_accepted_and_a_heavier_one_refused_in_french(client, settings):
    admin(client, settings)
    heavy = _png() + b"\0" * (150 * 1024)  # above the site-wide 64 kB body limit
    saved = post_form(client, PAGE, VALID, files={"logo": ("logo.png", heavy, "image/png")})
    assert saved.status_code == 303
    digest = commune(settings).logo_digest
    assert client.get(f"/logo/{digest}").content == heavy

    too_heavy = _png() + b"\0" * (300 * 1024)
    refused = post_form(client, PAGE, VALID, files={"logo": ("logo.png", too_heavy, "image/png")})
    assert refused.status_code == 422
    assert "Ce fichier pèse plus de 200 ko" in text_of(refused.text)
    assert commune(settings).logo_digest == digest
