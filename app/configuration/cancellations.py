"""What becomes of bookings a configuration change leaves stranded (outside the new opening
hours, on a desk that no longer serves their type): the administrator decides, the
bookings are never dropped silently."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Booking
from app.notifications.events import booking_cancelled
from app.settings import Settings


class Decision(StrEnum):
    KEEP = "garder"  # the bookings stay, as exceptions, and take place as planned
    CANCEL = "annuler"  # cancelled, each citizen notified


def decision_from(value: str) -> Decision | None:
    try:
        return Decision(value)
    except ValueError:
        return None


def shown_ids(value: str) -> set[int]:
    """The booking ids a decision was made about ("12,15")."""
    return {int(part) for part in value.split(",") if part.isdecimal() and len(part) < 10}


async def cancel_for_configuration(
    session: AsyncSession, booking: Booking, now: datetime, settings: Settings
) -> bool:
    """Cancels one stranded booking; the citizen receives the cancellation staff send (e-mail
    with METHOD:CANCEL, SMS where subscribed, web push where opted in) and the calendars
    follow. False if it was no longer confirmed."""
    locked = (
        await session.execute(select(Booking).where(Booking.id == booking.id).with_for_update())
    ).scalar_one()
    if locked.status != "confirmed":
        return False
    locked.status = "cancelled"
    locked.cancelled_at = now
    locked.sequence += 1
    await session.flush()
    await booking_cancelled(session, locked, now, settings, by_staff=True)
    return True
