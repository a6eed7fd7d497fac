"""The periodic calendar pass (the worker runs it every `calendar_sync_minutes`;
`creneau sync-calendars` runs it once): import every calendar's busy time, restore the
published events someone changed or removed on the server (the database is the source of
truth; the drift is recorded on the event for staff), then enqueue what the desks'
calendars are still owed."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from app.calendar_sync.channel import owed_publications
from app.calendar_sync.client import CalendarError
from app.calendar_sync.credentials import CredentialsUnreadable
from app.calendar_sync.importer import Progress, SyncReport, sync_all
from app.calendar_sync.publisher import CHANNEL, publish_booking
from app.db.models import Booking
from app.db.session import Database
from app.outbox.store import enqueue
from app.settings import Settings

log = logging.getLogger(__name__)


async def _restore(db: Database, settings: Settings, report: SyncReport, now: datetime) -> None:
    for booking_id in report.drifted:
        try:
            outcome = await publish_booking(db, settings, booking_id, now)
        except (CalendarError, CredentialsUnreadable):
            # The outbox retries it (and flags the connection if the server refuses).
            async with db.write() as session:
                booking = await session.get(Booking, booking_id)
                if booking is not None:
                    await enqueue(
                        session, channel=CHANNEL, kind="calendar_repair",
                        dedupe_key=f"{CHANNEL}:drift:{booking.uid}:{now:%Y%m%dT%H%M%S}",
                        payload={"booking_id": booking.id}, now=now, booking_id=booking.id,
                    )  # fmt: skip
            continue
        if outcome.drift:
            async with db.read() as session:
                reference = (
                    await session.execute(select(Booking.reference).where(Booking.id == booking_id))
                ).scalar_one()
            report.restored.append((reference, outcome.drift))
            log.info("calendar event of booking %s restored: %s", reference, outcome.drift)


async def calendar_pass(
    db: Database, settings: Settings, now: datetime, progress: Progress | None = None
) -> list[SyncReport]:
    reports = await sync_all(db, settings, now, progress)
    for report in reports:
        if report.ok:  # the server answers again: restore what was changed, resend the rest
            await _restore(db, settings, report, now)
            async with db.write() as session:
                report.republished = await owed_publications(session, report.desk_id, now)
    return reports
