"""The citizen's own changes to a booking: moving it (*modifier*) and cancelling it (*annuler*).

A modification is an ordinary draft whose state also carries `modifies` (the booking's id,
the sequence the link was made for, its reference and start, to remind the citizen). The
booking is not touched until the citizen confirms the recap; then `move` rewrites it in
one transaction, keeping its reference and UID and bumping its sequence.

Locks follow `service.confirm` (docs/DECISIONS.md §2): the draft row, then the booking row,
then the desks serving the new type in id order, all `FOR UPDATE` on PostgreSQL (SQLite
serialises write transactions with `BEGIN IMMEDIATE`). `cancel` locks only the booking:
freeing places cannot break anyone's booking. The same order everywhere means no deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.catalogue import MAX_ID, get_type
from app.booking.limits import LimitReached, citizen_limit
from app.booking.links import LinkClaim, LinkState, link_state
from app.booking.service import (
    Confirmed,
    DraftUnusable,
    SlotTaken,
    appointment_length,
    fitting_desks,
    load_booking,
    lock_desks,
    slot_taken,
    take_over_hold,
)
from app.db.models import Booking, Draft
from app.db.session import Database
from app.notifications.events import booking_cancelled, booking_moved
from app.settings import Settings

MODIFIES = "modifies"


@dataclass(frozen=True)
class ChangeRefused:
    """The booking can no longer be changed this way (cancelled, begun, changed since)."""

    state: LinkState


@dataclass(frozen=True)
class Cancelled:
    booking_id: int
    replay: bool = False


MoveResult = Confirmed | SlotTaken | LimitReached | DraftUnusable | ChangeRefused
CancelResult = Cancelled | ChangeRefused


def modified_booking_id(state: dict[str, Any]) -> int | None:
    """The booking this draft modifies, if it is a modification."""
    modifies = state.get(MODIFIES)
    return int(modifies["booking_id"]) if modifies else None


def modification_state(booking: Booking) -> dict[str, Any]:
    """A draft holding every answer the booking was made with, ready to be changed (the
    booking's type and site must be loaded)."""
    return {
        "type_id": booking.type_id,
        "info_seen": True,
        "people": booking.people,
        "contact": {
            "last_name": booking.last_name,
            "first_name": booking.first_name,
            "email": booking.email,
            "phone": booking.phone,
            "extra": dict(booking.extra or {}),
        },
        "contact_type_id": booking.type_id,
        "slot_start": booking.start.isoformat(),
        MODIFIES: {
            "booking_id": booking.id,
            "sequence": booking.sequence,
            "reference": booking.reference,
            "start": booking.start.astimezone(ZoneInfo(booking.type.site.timezone)).isoformat(),
        },
    }


async def find_booking(db: Database, booking_id: int) -> Booking | None:
    """The booking a link names (any id the database cannot hold names none)."""
    if not 0 < booking_id <= MAX_ID:
        return None
    return await load_booking(db, booking_id)


async def _locked_booking(session: AsyncSession, booking_id: int) -> Booking | None:
    if not 0 < booking_id <= MAX_ID:
        return None
    return (
        await session.execute(select(Booking).where(Booking.id == booking_id).with_for_update())
    ).scalar()


async def move(
    db: Database, draft_id: int, now: datetime, *, settings: Settings, keep_draft_until: datetime
) -> MoveResult:
    """Moves the booking the draft modifies to the draft's answers, or says why not. Like a
    confirmed draft, the draft then keeps only its link to the booking (and the
    modification's reminder) until `keep_draft_until`."""
    async with db.write() as session:
        draft = (
            await session.execute(select(Draft).where(Draft.id == draft_id).with_for_update())
        ).scalar()
        if draft is None:
            return DraftUnusable()
        if draft.booking_id is not None:
            return Confirmed(draft.booking_id, replay=True)
        state = draft.data
        modifies = state.get(MODIFIES)
        if not modifies:
            return DraftUnusable()
        claim = LinkClaim(int(modifies["booking_id"]), int(modifies["sequence"]), "modify")
        booking = await _locked_booking(session, claim.booking_id)
        current = link_state(claim, booking, now)
        if current is not LinkState.USABLE:
            return ChangeRefused(current)

        appointment_type = await get_type(session, state.get("type_id"))
        contact = state.get("contact")
        if appointment_type is None or not contact or not state.get("slot_start"):
            return DraftUnusable()
        people = int(state["people"])
        start = datetime.fromisoformat(state["slot_start"])
        await lock_desks(session, appointment_type)
        limit = await citizen_limit(
            session,
            appointment_type,
            contact["email"],
            contact["phone"],
            now,
            ignore_booking_id=booking.id,
        )
        if limit is not None:
            return limit
        fitting = await fitting_desks(
            session, appointment_type, people, start, now, draft.id, booking.id
        )
        if not fitting:
            return slot_taken(appointment_type, start, now)
        # Kept on its desk when it still fits there, else on the held (or first) desk.
        held_desk = await take_over_hold(session, draft.id, start, fitting)
        booking.type_id = appointment_type.id
        booking.desk_id = booking.desk_id if booking.desk_id in fitting else held_desk
        booking.start = start
        booking.end = start + appointment_length(
            appointment_type.slot_minutes, people, appointment_type.duration_per_person
        )
        booking.people = people
        booking.last_name = contact["last_name"]
        booking.first_name = contact["first_name"]
        booking.email = contact["email"]
        booking.phone = contact["phone"]
        booking.extra = contact.get("extra", {})
        booking.sequence += 1
        await session.flush()
        await booking_moved(session, booking, now, settings)  # e-mail METHOD:REQUEST
        draft.booking_id = booking.id
        draft.data = {MODIFIES: modifies}
        draft.expires_at = keep_draft_until
        return Confirmed(booking.id)


async def cancel(
    db: Database, claim: LinkClaim, now: datetime, *, settings: Settings
) -> CancelResult:
    """Cancels the booking a genuine cancel link names. A second attempt finds it
    cancelled already and says so (`replay`), without a second email."""
    async with db.write() as session:
        booking = await _locked_booking(session, claim.booking_id)
        current = link_state(claim, booking, now)
        if current is LinkState.CANCELLED and booking.sequence == claim.sequence + 1:
            return Cancelled(booking.id, replay=True)
        if current is not LinkState.USABLE:
            return ChangeRefused(current)
        booking.status = "cancelled"
        booking.cancelled_at = now  # a type's cool-down counts from here
        booking.sequence += 1
        await session.flush()
        await booking_cancelled(session, booking, now, settings)  # e-mail METHOD:CANCEL
        return Cancelled(booking.id)
