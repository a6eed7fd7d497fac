"""What a device may remember about a booking: its signed links and what its pages show
(type, date, place, reference, status) — never the citizen's name or contact details."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo

from app.booking import links
from app.db.models import Booking
from app.french import long_date, time_of_day

Status = Literal["confirme", "annule"]


def device_memo(booking: Booking, secret_key: str, status: Status = "confirme") -> dict[str, Any]:
    """The booking as the device keeps it (the type and site must be loaded). The links are
    those of the booking's current sequence, like the last e-mail's."""
    site = booking.type.site
    zone = ZoneInfo(site.timezone)
    start, end = booking.start.astimezone(zone), booking.end.astimezone(zone)
    return {
        "reference": booking.reference,
        "type": booking.type.title,
        "site": site.name,
        "address": site.address,
        "date": long_date(start).capitalize(),
        "hours": f"de {time_of_day(start)} à {time_of_day(end)}",
        "people": booking.people,
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "cancel": links.cancel_path(secret_key, booking),
        "modify": links.modify_path(secret_key, booking),
        "status": status,
    }
