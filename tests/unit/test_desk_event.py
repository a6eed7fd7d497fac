"""The event an agent sees in their calendar: no contact details unless the commune chose
« complet », and then only those given."""

from __future__ import annotations

from app.calendar_sync.desk_event import _description
from app.db.models import AppointmentType, Booking


def _booking(**contact: str) -> Booking:
    booking = Booking(reference="ABC-123", people=2, extra={}, **contact)
    booking.type = AppointmentType(extra_fields=[])
    return booking


def test_a_walk_in_without_email_or_phone_has_no_empty_lines() -> None:
    text = _description(_booking(phone="", email=""), "complet")
    assert "Courriel" not in text
    assert "Téléphone" not in text
    assert text.splitlines() == ["Référence : ABC-123", "Personnes concernées : 2"]


def test_given_contact_details_are_listed() -> None:
    text = _description(_booking(phone="+33612345678", email="a@example.org"), "complet")
    assert "Téléphone : +33612345678" in text
    assert "Courriel : a@example.org" in text


def test_by_default_no_contact_details_are_given() -> None:
    for details in ("initiale", "reference"):
        text = _description(_booking(phone="+33612345678", email="a@example.org"), details)
        assert text.splitlines() == ["Référence : ABC-123", "Personnes concernées : 2"]
