"""The event a booking puts on its desk's calendar (for the agent, not the citizen).

Same UID and SEQUENCE as the citizen's `.ics` (`calendar_sync.ics`), no METHOD (a stored
calendar object is not an iTIP message, RFC 4791 §4.1), a VTIMEZONE, a summary giving the
type and the citizen's name, a description with the reference and the contact details the
agent needs, and the marker property that keeps it from being imported back as busy time.
No ORGANIZER and no ATTENDEE: the server must not send invitations on our behalf.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from app.calendar_sync.busy import MARKER_PROPERTY
from app.calendar_sync.ics import PRODID
from app.db.models import Booking


def _description(booking: Booking) -> str:
    lines = [
        f"Référence : {booking.reference}",
        f"Personnes concernées : {booking.people}",
    ]
    # A phone or walk-in booking may come without a phone number or an e-mail address.
    lines += [
        f"{label} : {value}"
        for label, value in (("Téléphone", booking.phone), ("Courriel", booking.email))
        if value
    ]
    labels = {
        field["name"]: field.get("label", field["name"]) for field in booking.type.extra_fields
    }
    lines += [
        f"{labels.get(name, name)} : {value}" for name, value in booking.extra.items() if value
    ]
    return "\n".join(lines)


def desk_calendar(booking: Booking, now: datetime) -> Calendar:
    site = booking.type.site
    tz = ZoneInfo(site.timezone)
    event = Event.new(
        uid=booking.uid,
        sequence=booking.sequence,
        stamp=now,
        start=booking.start.astimezone(tz),
        end=booking.end.astimezone(tz),
        summary=f"{booking.type.title} — {booking.first_name} {booking.last_name}",
        location=f"{site.name}, {site.address}" if site.address else site.name,
        description=_description(booking),
    )
    event.add("status", "CONFIRMED")
    event.add(MARKER_PROPERTY, booking.reference)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(
        Timezone.from_tzid(
            site.timezone,
            first_date=(booking.start - timedelta(days=1)).date(),
            last_date=(booking.end + timedelta(days=1)).date(),
        )
    )
    calendar.add_component(event)
    return calendar


def object_name(booking: Booking) -> str:
    """The resource name on the server: the UID, restricted to safe characters."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in booking.uid)
    return f"{safe}.ics"
