"""iCalendar files for a booking, built with `icalendar`.

Rules kept for every file: the booking's stable UID and stored SEQUENCE, local times with a
VTIMEZONE covering only the dates needed, a fresh DTSTAMP. Text values and parameters are
escaped by `icalendar` itself (RFC 5545 text escaping, RFC 6868 parameter escaping), so no
form field can inject a line or a property.

Two kinds of file:
- `booking_calendar`: the "Ajouter à mon agenda" download, `METHOD:PUBLISH`, no
  organizer (decision 8);
- `invitation`: the iTIP message sent by e-mail, `METHOD:REQUEST` (created, moved) or
  `METHOD:CANCEL`, with the commune as ORGANIZER and the citizen as ATTENDEE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from app.db.models import AppointmentType, Booking, Commune, Site

PRODID = "-//Créneau//Prise de rendez-vous//FR"
METHODS = ("PUBLISH", "REQUEST", "CANCEL")


@dataclass(frozen=True)
class Party:
    """A calendar user: a display name and an e-mail address."""

    name: str
    email: str


def _one_line(value: str) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def _address(party: Party) -> vCalAddress:
    email = party.email.strip()
    if not email or any(ch.isspace() or not ch.isprintable() for ch in email):
        raise ValueError("unusable calendar address")
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(_one_line(party.name))
    return address


def _description(booking: Booking, appointment_type: AppointmentType) -> str:
    lines = [
        f"Référence : {booking.reference}",
        f"Personnes concernées : {booking.people}",
    ]
    if appointment_type.what_to_bring:
        lines.append(f"À apporter : {appointment_type.what_to_bring}")
    return "\n".join(lines)


def _event(
    booking: Booking, appointment_type: AppointmentType, site: Site, commune: Commune, now: datetime
) -> Event:
    tz = ZoneInfo(site.timezone)
    event = Event.new(
        uid=booking.uid,
        sequence=booking.sequence,
        stamp=now,
        start=booking.start.astimezone(tz),
        end=booking.end.astimezone(tz),
        summary=f"{appointment_type.title} — {commune.name}",
        location=f"{site.name}, {site.address}" if site.address else site.name,
        description=_description(booking, appointment_type),
    )
    event.add("status", "CANCELLED" if booking.status == "cancelled" else "CONFIRMED")
    return event


def _calendar(booking: Booking, site: Site, method: str) -> Calendar:
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(
        Timezone.from_tzid(
            site.timezone,
            first_date=(booking.start - timedelta(days=1)).date(),
            last_date=(booking.end + timedelta(days=1)).date(),
        )
    )
    return calendar


def booking_event(booking: Booking, commune: Commune, now: datetime) -> Event:
    return _event(booking, booking.type, booking.type.site, commune, now)


def booking_calendar(
    booking: Booking, commune: Commune, now: datetime, method: str = "PUBLISH"
) -> Calendar:
    """The downloadable file (its type and site must be loaded on the booking)."""
    calendar = _calendar(booking, booking.type.site, method)
    calendar.add_component(booking_event(booking, commune, now))
    return calendar


def invitation(
    booking: Booking,
    appointment_type: AppointmentType,
    site: Site,
    commune: Commune,
    now: datetime,
    *,
    method: str,
    organizer: Party,
    attendee: Party,
) -> Calendar:
    """The iTIP message for the citizen's calendar: REQUEST creates or updates the event
    (same UID, higher SEQUENCE), CANCEL removes it (the booking's status must then be
    "cancelled", which gives STATUS:CANCELLED)."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"an invitation is a REQUEST or a CANCEL, not {method!r}")
    if (method == "CANCEL") != (booking.status == "cancelled"):
        raise ValueError("METHOD:CANCEL goes with a cancelled booking, and only with it")
    calendar = _calendar(booking, site, method)
    event = _event(booking, appointment_type, site, commune, now)
    event.add("organizer", _address(organizer))
    attendee_address = _address(attendee)
    attendee_address.params["role"] = vText("REQ-PARTICIPANT")
    # The citizen booked it: the event is already accepted, no reply is expected.
    attendee_address.params["partstat"] = vText("ACCEPTED")
    attendee_address.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee_address)
    calendar.add_component(event)
    return calendar
