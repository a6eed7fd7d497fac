"""The outbox worker of this installation: every channel and periodic job registered into
the outbox, which knows none of them."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.calendar_sync.channel import caldav_channel
from app.calendar_sync.jobs import calendar_pass
from app.clock import Clock
from app.db.session import Database
from app.gdpr.retention import retention_pass
from app.notifications.delivery import email_channel, sms_channel
from app.notifications.events import COMPOSE, compose_channel
from app.notifications.mailbox import mailbox_dir
from app.notifications.reminders import send_reminders
from app.outbox import store
from app.outbox.channels import Deliver
from app.outbox.worker import PeriodicJob, Worker
from app.push.channel import push_channel
from app.settings import Settings

REMINDER_PASS = timedelta(minutes=1)
PURGE_PASS = timedelta(hours=1)
# Sent messages are kept this long (to answer "did I get an e-mail?"), then deleted.
KEEP_SENT = timedelta(days=30)
# Personal data past the commune's retention period are erased once a day.
RETENTION_PASS = timedelta(days=1)


def delivery_channels(settings: Settings) -> dict[str, Deliver]:
    """The channels that need no database of their own: e-mail and SMS."""
    return {"email": email_channel(settings), "sms": sms_channel(settings)}


def build_worker(db: Database, settings: Settings, clock: Clock) -> Worker:
    async def reminders(now: datetime) -> object:
        return await send_reminders(db, settings, now)

    async def purge(now: datetime) -> object:
        return await store.purge_sent(db, now - KEEP_SENT)

    async def personal_data(now: datetime) -> object:
        return await retention_pass(db, now, mailbox_dir(settings.data_dir))

    async def calendars(now: datetime) -> object:
        return await calendar_pass(db, settings, now)

    return Worker(
        db,
        {
            **delivery_channels(settings),
            "caldav": caldav_channel(db, settings, clock),
            "push": push_channel(db, settings, clock),
            COMPOSE: compose_channel(db, settings),
        },
        clock,
        jobs=[
            PeriodicJob("rappels", REMINDER_PASS, reminders),
            PeriodicJob("purge des messages envoyés", PURGE_PASS, purge),
            PeriodicJob("effacement des données personnelles", RETENTION_PASS, personal_data),
            PeriodicJob("agendas", timedelta(minutes=settings.calendar_sync_minutes), calendars),
        ],
    )
