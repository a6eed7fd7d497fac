"""The event a booking puts on its desk's calendar (for the agent, not the citizen).

Same UID and SEQUENCE as the citizen's `.ics` (`calendar_sync.ics`), no METHOD (a stored
calendar object is not an iTIP message, RFC 4791 §4.1), a VTIMEZONE, a summary giving the
type and who comes, a description with the reference and the number of people, and the
marker property that keeps it from being imported back as busy time. No ORGANIZER and no
ATTENDEE: the server must not send invitations on our behalf.

The event lives on a CalDAV server and in feeds whose URL is their only secret, so it says
as little about the person as the commune chose (`Commune.calendar_details`, decision 86):
by default the first name and the initial of the last name, never the phone, e-mail or
extra fields unless the commune asks for « complet ». It is always `CLASS:PRIVATE`
(shared calendars show a busy block to those the agent did not give read rights to).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar_sync.busy import MARKER_PROPERTY
from app.calendar_sync.ics import PRODID
from app.db.models import Booking, Commune

# What agents' events say about the person, as the back office offers it.
DETAILS = {
    "initiale": "Prénom et initiale du nom, type de rendez-vous, nombre de personnes (recommandé)",
    "reference": "Référence du rendez-vous seulement, sans nom",
    "complet": "Nom complet, téléphone, adresse e-mail et champs complémentaires",
}
DEFAULT_DETAILS = "initiale"


async def chosen_details(session: AsyncSession, commune_id: int) -> str:
    """What the commune chose its agents' events to say (the default if unknown)."""
    details = (
        await session.execute(select(Commune.calendar_details).where(Commune.id == commune_id))
    ).scalar()
    return details if details in DETAILS else DEFAULT_DETAILS


def _description(booking: Booking, details: str) -> str:
    lines = [
        f"Référence : {booking.reference}",
        f"Personnes concernées : {booking.people}",
    ]
    if booking.anonymised_at is not None or details != "complet":
        return "\n".join(lines)
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


def _who(booking: Booking, details: str) -> str:
    if booking.anonymised_at is not None:
        return "données effacées (RGPD)"
    if details == "complet":
        return f"{booking.first_name} {booking.last_name}"
    if details == "reference":
        return booking.reference
    initial = booking.last_name.strip()[:1].upper()
    return f"{booking.first_name} {initial}." if initial else booking.first_name


def desk_calendar(booking: Booking, now: datetime, details: str = DEFAULT_DETAILS) -> Calendar:
    """The event for `booking`; `details` is the commune's choice (a key of `DETAILS`)."""
    site = booking.type.site
    tz = ZoneInfo(site.timezone)
    event = Event.new(
        uid=booking.uid,
        sequence=booking.sequence,
        stamp=now,
        start=booking.start.astimezone(tz),
        end=booking.end.astimezone(tz),
        summary=f"{booking.type.title} — {_who(booking, details)}",
        location=f"{site.name}, {site.address}" if site.address else site.name,
        description=_description(booking, details),
    )
    event.add("status", "CONFIRMED")
    event.add("class", "PRIVATE")
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
