"""The periodic calendar pass (the worker runs it every `calendar_sync_minutes`;
`creneau sync-calendars` runs it once): import every calendar's busy time, then enqueue
what the desks' calendars are owed."""

from __future__ import annotations

from datetime import datetime

from app.calendar_sync.channel import owed_publications
from app.calendar_sync.importer import SyncReport, sync_all
from app.db.session import Database
from app.settings import Settings


async def calendar_pass(db: Database, settings: Settings, now: datetime) -> list[SyncReport]:
    reports = await sync_all(db, settings, now)
    for report in reports:
        if report.ok:  # the server answers again: resend what it missed
            async with db.write() as session:
                report.republished = await owed_publications(session, report.desk_id, now)
    return reports
