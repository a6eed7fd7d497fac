"""The worker of this installation: its channels and its periodic jobs."""

from __future__ import annotations

from datetime import timedelta

from app.calendar_sync.channel import caldav_channel
from app.calendar_sync.jobs import calendar_pass
from app.db.session import Database
from app.notifications.reminders import send_reminders
from app.outbox import store
from app.outbox.channels import default_channels
from app.outbox.worker import Clock, PeriodicJob, Worker
from app.push.channel import push_channel
from app.settings import Settings

REMINDER_PASS = timedelta(minutes=1)
PURGE_PASS = timedelta(hours=1)
# Sent messages are kept this long (to answer "did I get an e-mail?"), then deleted.
KEEP_SENT = timedelta(days=30)


def build_worker(db: Database, settings: Settings, clock: Clock) -> Worker:
    async def reminders(now):
        return await send_reminders(db, settings, now)

    async def purge(now):
        return await store.purge_sent(db, now - KEEP_SENT)

    async def calendars(now):
        return await calendar_pass(db, settings, now)

    return Worker(
        db,
        {
            **default_channels(settings),
            "caldav": caldav_channel(db, settings, clock),
            "push": push_channel(db, settings),
        },
        clock,
        jobs=[
            PeriodicJob("rappels", REMINDER_PASS, reminders),
            PeriodicJob("purge des messages envoyés", PURGE_PASS, purge),
            PeriodicJob("agendas", timedelta(minutes=settings.calendar_sync_minutes), calendars),
        ],
    )
