"""Day-before reminders.

A booking on local day D is reminded from D-1 at `settings.reminder_hour` (the site's local
time) until it starts, so a worker that was stopped at that hour still sends it. None for
cancelled bookings, none for bookings made after that hour (their confirmation is fresh),
and never twice: the reminder's outbox dedupe key (booking UID and start) is unique, and
the booking row is locked while it is enqueued, so a cancellation cannot slip in between.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db.models import AppointmentType, Booking, Site
from app.db.session import Database
from app.notifications.events import booking_reminder
from app.settings import Settings

# Reminders are looked for among bookings starting within this window.
LOOKAHEAD = timedelta(hours=49)


def reminder_due(start: datetime, timezone: str, hour: int) -> datetime:
    zone = ZoneInfo(timezone)
    day_before = start.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day_before, time(hour), zone)


async def send_reminders(db: Database, settings: Settings, now: datetime) -> int:
    """Enqueues the reminders due at `now`; returns how many this call enqueued."""
    async with db.read() as session:
        candidates = (
            await session.execute(
                select(Booking.id, Booking.start, Booking.created_at, Site.timezone)
                .join(AppointmentType, AppointmentType.id == Booking.type_id)
                .join(Site, Site.id == AppointmentType.site_id)
                .where(
                    Booking.status == "confirmed",
                    Booking.start > now,
                    Booking.start <= now + LOOKAHEAD,
                )
                .order_by(Booking.start)
            )
        ).all()
    sent = 0
    for booking_id, start, created_at, timezone in candidates:
        due = reminder_due(start, timezone, settings.reminder_hour)
        if now < due or created_at >= due:
            continue
        async with db.write() as session:
            booking = (
                await session.execute(
                    select(Booking).where(Booking.id == booking_id).with_for_update()
                )
            ).scalar_one()
            if booking.status != "confirmed" or booking.start != start:
                continue  # cancelled or moved meanwhile: the next pass decides again
            if await booking_reminder(session, booking, now, settings):
                sent += 1
    return sent
