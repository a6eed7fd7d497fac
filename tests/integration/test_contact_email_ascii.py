"""An e-mail address whose name part (before the @) has accented letters is refused at the
contact step with a French message: it cannot be written into an e-mail's headers, and
the confirmation composed with it made the booking fail with a 500 (found by the browser
tests' own data, a « zoé.lefèvre@… »)."""

from __future__ import annotations

from tests.integration.flow import CONTACT, slot_values, type_ids
from tests.integration.helpers import bookings, error_summary

ACCENTED = "zoé.lefèvre@example.org"


def walk_to_contact(citizen) -> None:
    ids = type_ids(citizen.get("/rendez-vous/type").text)
    citizen.submit("/rendez-vous/type", {"type_id": str(ids["CCAS — aide sociale"])})
    citizen.submit("/rendez-vous/informations", {})
    citizen.submit("/rendez-vous/personnes", {"people": "1"})


def test_an_accented_name_part_is_refused_at_the_contact_step(citizen, settings) -> None:
    walk_to_contact(citizen)
    page = citizen.submit("/rendez-vous/coordonnees", {**CONTACT, "email": ACCENTED})
    assert page.status_code == 422
    assert "Saisissez une adresse électronique valide" in error_summary(page.text)
    assert ACCENTED in page.text  # what was typed stays in the field

    page = citizen.submit("/rendez-vous/coordonnees", {**CONTACT, "email": "zoe@example.org"})
    assert page.status_code == 200 and "/rendez-vous/creneau" in str(page.url)
    citizen.submit("/rendez-vous/creneau", {"creneau": slot_values(page.text)[0]})
    confirmed = citizen.submit("/rendez-vous/recapitulatif", {})
    assert confirmed.status_code == 200, confirmed.text[:300]
    assert [booking.email for booking in bookings(settings)] == ["zoe@example.org"]
