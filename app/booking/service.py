"""Confirming a booking: one transaction that re-checks the slot and writes the booking.

Integrity comes from the database, not from Python: the draft row and then the desks that
serve the type are locked (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite every write
transaction is `BEGIN IMMEDIATE`, so writers are serialised by the database itself). The
slot is re-checked under those locks, so two confirmations for the last place cannot both
succeed. A replayed confirm waits for the draft's lock, then finds the draft already linked
to its booking; the unique idempotency key on the booking is the last line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking.availability import slot_fits
from app.booking.catalogue import get_type
from app.booking.planning import build_query
from app.booking.references import new_reference, new_uid
from app.db.models import AppointmentType, Booking, Desk, Draft
from app.db.session import Database
from app.notifications.events import booking_confirmed
from app.settings import Settings


@dataclass(frozen=True)
class Confirmed:
    booking_id: int
    replay: bool = False


@dataclass(frozen=True)
class SlotTaken:
    """The chosen slot is no longer free: taken meanwhile, or now too close to book
    (`too_late`: the minimum delay before the appointment has passed since it was chosen)."""

    too_late: bool = False


@dataclass(frozen=True)
class DraftUnusable:
    """The draft vanished, or its type was withdrawn, or an answer is missing."""


ConfirmResult = Confirmed | SlotTaken | DraftUnusable


def appointment_length(slot_minutes: int, people: int, duration_per_person: bool) -> timedelta:
    return timedelta(minutes=slot_minutes * (people if duration_per_person else 1))


async def confirm(
    db: Database,
    draft_id: int,
    now: datetime,
    *,
    uid_domain: str,
    keep_draft_until: datetime,
    settings: Settings,
) -> ConfirmResult:
    """Books the draft's slot, or says why not. The confirmed draft keeps only its link to
    the booking (the contact details now live in the booking alone) until
    `keep_draft_until`, so that the confirmation page can still be reloaded."""
    async with db.write() as session:
        draft = (
            await session.execute(select(Draft).where(Draft.id == draft_id).with_for_update())
        ).scalar()
        if draft is None:
            return DraftUnusable()
        if draft.booking_id is not None:
            return Confirmed(draft.booking_id, replay=True)

        state = draft.data
        appointment_type = await get_type(session, state.get("type_id"))
        contact = state.get("contact")
        if appointment_type is None or not contact or not state.get("slot_start"):
            return DraftUnusable()
        people = int(state["people"])
        start = datetime.fromisoformat(state["slot_start"])

        desk_ids = [desk.id for desk in appointment_type.desks]
        await session.execute(
            select(Desk.id).where(Desk.id.in_(desk_ids)).order_by(Desk.id).with_for_update()
        )
        day = start.astimezone(ZoneInfo(appointment_type.site.timezone)).date()
        query = await build_query(session, appointment_type, people, now, day, day)
        fitting_desks = slot_fits(query, start)
        if not fitting_desks:
            earliest_start = now + timedelta(minutes=appointment_type.min_delay_minutes)
            return SlotTaken(too_late=start < earliest_start)

        booking = Booking(
            reference=new_reference(),
            uid=new_uid(uid_domain),
            sequence=0,
            status="confirmed",
            type_id=appointment_type.id,
            desk_id=fitting_desks[0],
            start=start,
            end=start
            + appointment_length(
                appointment_type.slot_minutes, people, appointment_type.duration_per_person
            ),
            people=people,
            last_name=contact["last_name"],
            first_name=contact["first_name"],
            email=contact["email"],
            phone=contact["phone"],
            extra=contact.get("extra", {}),
            idempotency_key=str(draft.id),
            created_at=now,
        )
        session.add(booking)
        await session.flush()
        await booking_confirmed(session, booking, now, settings)
        draft.booking_id = booking.id
        draft.data = {}
        draft.expires_at = keep_draft_until
        return Confirmed(booking.id)


async def load_booking(db: Database, booking_id: int) -> Booking | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(Booking)
                .where(Booking.id == booking_id)
                .options(selectinload(Booking.type).selectinload(AppointmentType.site))
            )
        ).scalar()
