"""The outbox channel "caldav": bookings reach the desks' calendars through the durable
outbox (`app/outbox`), so a calendar server that is down delays them but loses nothing.

A message carries only the booking's id: the publisher reads the booking as it is when the
message is delivered, so a late or repeated delivery still writes the right thing.
`owed_publications` finds what the outbox could not deliver (a server down for longer than
the retries last, a connection added or repaired later) and enqueues it again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar_sync.client import CalendarRefused, CalendarUnreachable
from app.calendar_sync.credentials import CredentialsUnreadable
from app.calendar_sync.diagnose import explain
from app.calendar_sync.importer import FAILURES_BEFORE_FLAG
from app.calendar_sync.publisher import CHANNEL, _flag, publish_booking
from app.clock import Clock
from app.db.models import Booking, CalendarConnection, OutboxMessage, PublishedEvent
from app.db.session import Database
from app.outbox.channels import Deliver, PermanentFailure
from app.outbox.store import PENDING, Delivery, enqueue
from app.settings import Settings


async def _desk_publishes(session: AsyncSession, desk_id: int) -> bool:
    return bool(
        (
            await session.execute(
                select(CalendarConnection.id).where(
                    CalendarConnection.desk_id == desk_id,
                    CalendarConnection.enabled.is_(True),
                    CalendarConnection.publish_calendar_url != "",
                )
            )
        ).scalar()
    )


async def enqueue_publication(
    session: AsyncSession, booking: Booking, now: datetime, kind: str
) -> bool:
    """In the caller's transaction: a message bringing the booking's calendar event up to
    date, if its desk publishes to a calendar or its event is on one."""
    if not await _desk_publishes(session, booking.desk_id):
        has_event = (
            await session.execute(
                select(PublishedEvent.id).where(
                    PublishedEvent.booking_id == booking.id, PublishedEvent.state == "present"
                )
            )
        ).scalar()
        if not has_event:
            return False
    return await enqueue(
        session,
        channel=CHANNEL,
        kind=kind,
        dedupe_key=f"{CHANNEL}:{kind}:{booking.uid}:{booking.sequence}",
        payload={"booking_id": booking.id},
        now=now,
        booking_id=booking.id,
    )


def caldav_channel(db: Database, settings: Settings, clock: Clock) -> Deliver:
    async def deliver(delivery: Delivery) -> None:
        booking_id = int(delivery.payload["booking_id"])
        try:
            await publish_booking(db, settings, booking_id, clock())
        except CalendarRefused as problem:
            # Credentials, rights, a vanished calendar: the connection is flagged; once it
            # is repaired, `owed_publications` sends the booking again.
            raise PermanentFailure(explain(problem)) from None
        except CredentialsUnreadable:
            raise PermanentFailure(
                "Le mot de passe de l'agenda ne peut plus être lu (la clé secrète a changé)."
            ) from None
        except CalendarUnreachable as problem:
            if delivery.attempt >= FAILURES_BEFORE_FLAG:
                await _flag_booking_connection(db, booking_id, explain(problem))
            raise

    return deliver


async def _flag_booking_connection(db: Database, booking_id: int, message: str) -> None:
    async with db.read() as session:
        connection_id = (
            await session.execute(
                select(CalendarConnection.id)
                .join(Booking, Booking.desk_id == CalendarConnection.desk_id)
                .where(Booking.id == booking_id)
            )
        ).scalar()
    if connection_id is not None:
        await _flag(db, connection_id, message)


async def owed_publications(session: AsyncSession, desk_id: int, now: datetime) -> int:
    """Enqueues a publication for every booking of the desk whose calendar event is not
    what the booking says (missing, older SEQUENCE, on another calendar, or still there
    after a cancellation) and has no message on its way. Returns how many."""
    connection_id = (
        await session.execute(
            select(CalendarConnection.id).where(
                CalendarConnection.desk_id == desk_id,
                CalendarConnection.enabled.is_(True),
                CalendarConnection.publish_calendar_url != "",
            )
        )
    ).scalar()
    if connection_id is None:
        return 0
    pending = exists().where(
        OutboxMessage.booking_id == Booking.id,
        OutboxMessage.channel == CHANNEL,
        OutboxMessage.status == PENDING,
    )
    event = PublishedEvent
    rows = (
        await session.execute(
            select(Booking)
            .outerjoin(event, event.booking_id == Booking.id)
            .where(
                Booking.desk_id == desk_id,
                Booking.end > now,
                ~pending,
                or_(
                    and_(
                        Booking.status == "confirmed",
                        or_(
                            event.id.is_(None),
                            event.state != "present",
                            event.sequence != Booking.sequence,
                            event.connection_id != connection_id,
                        ),
                    ),
                    and_(Booking.status != "confirmed", event.state == "present"),
                ),
            )
        )
    ).scalars()
    count = 0
    stamp = now.strftime("%Y%m%dT%H%M%S")
    for booking in rows:
        count += await enqueue(
            session,
            channel=CHANNEL,
            kind="calendar_repair",
            dedupe_key=f"{CHANNEL}:repair:{booking.uid}:{booking.sequence}:{stamp}",
            payload={"booking_id": booking.id},
            now=now,
            booking_id=booking.id,
        )
    return count
