"""The event left on a desk's calendar once the person's data were erased."""

from __future__ import annotations


def test_the_desk_event_of_an_anonymised_booking_names_nobody():
    from datetime import UTC, datetime

    from app.calendar_sync.desk_event import desk_calendar
    from app.db.models import AppointmentType, Booking, Site

    site = Site(name="Hôtel de ville", address="", timezone="Europe/Paris")
    kind = AppointmentType(title="CCAS", site=site, extra_fields=[])
    start = datetime(2025, 3, 4, 8, tzinfo=UTC)
    booking = Booking(
        reference="RDV-AAAA-BBBB",
        uid="u@x",
        sequence=2,
        start=start,
        end=start.replace(hour=9),
        people=1,
        last_name="",
        first_name="",
        email="",
        phone="",
        extra={},
        anonymised_at=start,
        type=kind,
    )
    text = desk_calendar(booking, start).to_ical().decode()
    assert "SUMMARY:CCAS — données effacées (RGPD)" in text
    assert "Courriel" not in text and "Téléphone" not in text
