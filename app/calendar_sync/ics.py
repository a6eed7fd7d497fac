"""iCalendar files for a booking, built with `icalendar`.

Rules kept for every file: the booking's stable UID and stored SEQUENCE, local times with a
VTIMEZONE covering only the dates needed, a fresh DTSTAMP. Text values are escaped by
`icalendar` itself, so no form field can inject a line or a property.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from app.db.models import Booking, Commune

PRODID = "-//Créneau//Prise de rendez-vous//FR"


def _description(booking: Booking) -> str:
    lines = [
        f"Référence : {booking.reference}",
        f"Personnes concernées : {booking.people}",
    ]
    if booking.type.what_to_bring:
        lines.append(f"À apporter : {booking.type.what_to_bring}")
    return "\n".join(lines)


def booking_event(booking: Booking, commune: Commune, now: datetime) -> Event:
    site = booking.type.site
    tz = ZoneInfo(site.timezone)
    event = Event.new(
        uid=booking.uid,
        sequence=booking.sequence,
        stamp=now,
        start=booking.start.astimezone(tz),
        end=booking.end.astimezone(tz),
        summary=f"{booking.type.title} — {commune.name}",
        location=f"{site.name}, {site.address}" if site.address else site.name,
        description=_description(booking),
    )
    if booking.status == "cancelled":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def booking_calendar(
    booking: Booking, commune: Commune, now: datetime, method: str = "PUBLISH"
) -> Calendar:
    site_zone = booking.type.site.timezone
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(
        Timezone.from_tzid(
            site_zone,
            first_date=(booking.start - timedelta(days=1)).date(),
            last_date=(booking.end + timedelta(days=1)).date(),
        )
    )
    calendar.add_component(booking_event(booking, commune, now))
    return calendar
