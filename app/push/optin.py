"""A citizen opting in, on the confirmation page, to notifications about their booking."""

from __future__ import annotations

from datetime import datetime

from app.db.models import Booking
from app.db.session import Database
from app.notifications.facts import booking_facts, load_scene
from app.push.channel import enqueue_push
from app.push.subscriptions import SubscriptionData, subscribe
from app.settings import Settings


async def opt_in(
    db: Database, booking_id: int, data: SubscriptionData, now: datetime, settings: Settings
) -> bool:
    """Stores the subscription for this booking and, in the same transaction, the first
    notification: the confirmation the citizen has just read on screen, now on the device
    (once per browser and booking state). False when the booking is no longer confirmed."""
    async with db.write() as session:
        booking = await session.get(Booking, booking_id, with_for_update=True)
        if booking is None or booking.status != "confirmed":
            return False
        await subscribe(session, booking.id, data, now)
        await session.flush()
        facts = booking_facts(await load_scene(session, booking), settings)
        await enqueue_push(
            session, booking, now, "booking_confirmed", f"{booking.uid}:{booking.sequence}", facts
        )
        return True
