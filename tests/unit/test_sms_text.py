"""SMS text: GSM-7-safe ASCII, one SMS (160 characters) where possible."""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.notifications.facts import BookingFacts
from app.notifications.sms import SMS_LENGTH, gsm_safe, sms_text

FACTS = BookingFacts(
    commune="Mairie de Val-de-Lys",
    commune_email="accueil@val-de-lys.example.fr",
    commune_phone="+33123456789",
    type_title="Carte d'identité / passeport",
    site_name="Hôtel de ville",
    address="1 place de la Mairie, 59000 Val-de-Lys",
    day="mardi 1er décembre 2026",
    start_time="9\u00a0h\u00a005",
    end_time="9\u00a0h\u00a035",
    start_local=datetime(2026, 12, 1, 9, 5, tzinfo=ZoneInfo("Europe/Paris")),
    people=2,
    what_to_bring="",
    reference="RDV-7K3M-Q9P2",
    first_name="Camille",
    last_name="Dupont",
    modify_url="https://x/rendez-vous/modifier/t",
    cancel_url="https://x/rendez-vous/annuler/t",
    new_booking_url="https://x/rendez-vous/type",
)


def test_accents_and_typography_become_plain_gsm_characters():
    assert gsm_safe("Hôtel de ville — « Cœur » l’été") == 'Hotel de ville - " Coeur " l\'ete'
    assert gsm_safe("a\r\nb\tc\x00d {[x]} ~^|\\ 😀") == "a b c d ((x))"


def test_the_confirmation_fits_one_sms():
    text = sms_text("booking_confirmed", FACTS)
    assert text == (
        "Mairie de Val-de-Lys : RDV confirme le 01/12/2026 a 9h05, Hotel de ville "
        "(Carte d'identite / passeport). Ref RDV-7K3M-Q9P2. Modifier/annuler : voir e-mail."
    )
    assert len(text) <= SMS_LENGTH


@pytest.mark.parametrize(
    "kind", ["booking_confirmed", "booking_moved", "booking_cancelled", "reminder"]
)
def test_long_names_are_shortened_never_the_date_time_or_reference(kind):
    facts = replace(
        FACTS,
        commune="Communauté de communes du Pays de la Haute Vallée " * 2,
        type_title="Demande de carte nationale d'identité et de passeport biométrique " * 2,
        site_name="Maison France Services de la place du Marché couvert " * 2,
    )
    text = sms_text(kind, facts)
    assert len(text) <= SMS_LENGTH
    assert "01/12/2026" in text and "9h05" in text and "RDV-7K3M-Q9P2" in text
    assert text.isascii() and "\n" not in text
