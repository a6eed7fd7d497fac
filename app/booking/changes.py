"""Changes to a booking: moving it (*modifier*) and cancelling it (*annuler*), by the citizen
through the emailed links, or by an agent from the back office (`staff_move`,
`staff_cancel`, at the end).

A modification is an ordinary draft whose state also carries `modifies` (the booking's id,
the sequence the link was made for, its reference and start, to remind the citizen). The
booking is not touched until the citizen confirms the recap; then `move` rewrites it in
one transaction, keeping its reference and UID and bumping its sequence.

Locks follow `service.confirm` and `locking`: the draft row, then the booking row (`FOR
UPDATE` on PostgreSQL; SQLite serialises write transactions with `BEGIN IMMEDIATE`), then
the citizen, the type and the new slot's desk and days. `cancel` locks only the booking:
freeing places cannot break anyone's booking. Staff changes lock the booking, then the
slot (they have no draft). The same order everywhere means no deadlock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.catalogue import MAX_ID, get_type, get_type_any
from app.booking.limits import LimitReached, citizen_limit
from app.booking.links import LinkClaim, LinkState, link_state
from app.booking.locking import lock_citizen, lock_slot
from app.booking.service import (
    Confirmed,
    DraftUnusable,
    SlotTaken,
    appointment_end,
    desks_to_lock,
    desks_to_try,
    fitting_desks,
    load_booking,
    lock_draft,
    own_hold_desk,
    release_hold,
    slot_taken,
    take_desk,
)
from app.db.models import Booking, Draft
from app.db.session import Database
from app.notifications.events import booking_cancelled, booking_moved
from app.settings import Settings
from app.staff import audit

if TYPE_CHECKING:
    from app.db.models import StaffUser

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
    async with db.read() as session:
        draft = await session.get(Draft, draft_id)
        if draft is None:
            return DraftUnusable()
        if draft.booking_id is not None:
            return Confirmed(draft.booking_id, replay=True)
        state = draft.data
        modifies = state.get(MODIFIES)
        if not modifies:
            return DraftUnusable()
        claim = LinkClaim(int(modifies["booking_id"]), int(modifies["sequence"]), "modify")
        appointment_type = await get_type(session, state.get("type_id"))
        contact = state.get("contact")
        if appointment_type is None or not contact or not state.get("slot_start"):
            return DraftUnusable()
        people = int(state["people"])
        start = datetime.fromisoformat(state["slot_start"])
        seen = await session.get(Booking, claim.booking_id) if claim.booking_id <= MAX_ID else None
        if seen is None:
            return ChangeRefused(LinkState.UNKNOWN)
        if (seen_state := link_state(claim, seen, now)) is not LinkState.USABLE:
            return ChangeRefused(seen_state)
        held_desk = await own_hold_desk(session, draft_id, start, now)
        fitting = await fitting_desks(
            session, appointment_type, people, start, now, draft_id, claim.booking_id
        )

    # Kept on its desk when it still fits there, else on the held (or another) desk.
    for desk_id in desks_to_try(fitting, draft_id, preferred=(seen.desk_id, held_desk)):
        async with db.write() as session:
            draft = await lock_draft(session, draft_id)
            if draft is None:
                return DraftUnusable()
            if draft.booking_id is not None:
                return Confirmed(draft.booking_id, replay=True)
            if draft.data != state:
                break  # answered again meanwhile (another tab): start over
            booking = await _locked_booking(session, claim.booking_id)
            if booking is None:
                return ChangeRefused(LinkState.UNKNOWN)
            current = link_state(claim, booking, now)
            if current is not LinkState.USABLE:
                return ChangeRefused(current)
            await lock_citizen(session, contact["email"], contact["phone"])
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
            desk = await take_desk(
                session, appointment_type, desk_id, people, start, now, draft_id, booking.id
            )
            if desk is None:
                continue  # taken meanwhile: the next desk, in a new transaction
            await release_hold(session, draft_id)
            booking.type_id = appointment_type.id
            booking.desk_id = desk
            booking.start = start
            booking.end = appointment_end(appointment_type, start, people)
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
    else:
        return slot_taken(appointment_type, start, now)
    return await move(db, draft_id, now, settings=settings, keep_draft_until=keep_draft_until)


async def cancel(
    db: Database, claim: LinkClaim, now: datetime, *, settings: Settings
) -> CancelResult:
    """Cancels the booking a genuine cancel link names. A second attempt finds it
    cancelled already and says so (`replay`), without a second email."""
    async with db.write() as session:
        booking = await _locked_booking(session, claim.booking_id)
        if booking is None:
            return ChangeRefused(LinkState.UNKNOWN)
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


# --- staff changes ---------------------------------------------------------------------------
# An agent moves or cancels a booking from the back office. Same transaction shape as the
# citizen's (the booking row, then the desks; no draft), same SEQUENCE+1 and the same
# e-mails, told they come from the town hall (`by_staff=True`), and an audit event.


class StaffRefusal(enum.Enum):
    NOT_FOUND = "not_found"  # no such booking, or on a site the agent does not work on
    CANCELLED = "cancelled"
    BEGUN = "begun"  # moving or cancelling an appointment that has begun makes no sense
    CHANGED = "changed"  # changed since the agent's page was shown (another agent, the citizen)
    SAME_SLOT = "same_slot"


@dataclass(frozen=True)
class StaffRefused:
    reason: StaffRefusal


@dataclass(frozen=True)
class Moved:
    booking_id: int
    previous_start: datetime


StaffMoveResult = Moved | SlotTaken | StaffRefused
StaffCancelResult = Cancelled | StaffRefused


def visible(booking: Booking | None, site_ids: set[int] | None) -> bool:
    """`site_ids`: the sites the member of staff works on (None: every site). The booking's
    desk must be loaded."""
    return booking is not None and (site_ids is None or booking.desk.site_id in site_ids)


async def locked_for_staff(
    session: AsyncSession, booking_id: int, site_ids: set[int] | None
) -> Booking | None:
    if not 0 < booking_id <= MAX_ID:
        return None
    booking = (
        await session.execute(
            select(Booking)
            .where(Booking.id == booking_id)
            .options(selectinload(Booking.desk))
            .with_for_update(of=Booking)
        )
    ).scalar()
    return booking if visible(booking, site_ids) else None


def _refusal(booking: Booking, sequence: int, now: datetime) -> StaffRefused | None:
    if booking.status == "cancelled":
        return StaffRefused(StaffRefusal.CANCELLED)
    if booking.start <= now:
        return StaffRefused(StaffRefusal.BEGUN)
    if booking.sequence != sequence:
        return StaffRefused(StaffRefusal.CHANGED)
    return None


async def staff_move(
    db: Database,
    booking_id: int,
    sequence: int,
    start: datetime,
    now: datetime,
    *,
    actor: StaffUser,
    site_ids: set[int] | None,
    settings: Settings,
) -> StaffMoveResult:
    """Moves the booking (as the agent saw it: `sequence`) to `start`, a slot free for
    staff (the places kept for staff count as free). Type, people and contact stay."""
    async with db.write() as session:
        booking = await locked_for_staff(session, booking_id, site_ids)
        if booking is None:
            return StaffRefused(StaffRefusal.NOT_FOUND)
        refused = _refusal(booking, sequence, now)
        if refused is not None:
            return refused
        if booking.start == start:
            return StaffRefused(StaffRefusal.SAME_SLOT)
        appointment_type = await get_type_any(session, booking.type_id)
        fitting = await fitting_desks(
            session,
            appointment_type,
            booking.people,
            start,
            now,
            None,
            booking.id,
            for_staff=True,
        )
        if fitting:  # then locked, all at once (in order), and checked again
            locked = tuple(sorted({*fitting, *desks_to_lock(appointment_type, fitting[0])}))
            end = appointment_end(appointment_type, start, booking.people)
            tz = ZoneInfo(appointment_type.site.timezone)
            await lock_slot(session, appointment_type.id, locked, start, end, tz)
            fitting = await fitting_desks(
                session,
                appointment_type,
                booking.people,
                start,
                now,
                None,
                booking.id,
                for_staff=True,
                desk_ids=locked,
            )
        if not fitting:
            return slot_taken(appointment_type, start, now)
        previous = booking.start
        booking.desk_id = booking.desk_id if booking.desk_id in fitting else fitting[0]
        booking.start = start
        booking.end = appointment_end(appointment_type, start, booking.people)
        booking.sequence += 1
        await session.flush()
        await booking_moved(session, booking, now, settings, by_staff=True)
        tz = ZoneInfo(appointment_type.site.timezone)
        await audit.record(
            session,
            actor,
            "booking.moved",
            f"booking:{booking.id}",
            f"Rendez-vous {booking.reference} déplacé du {_local(previous, tz)} "
            f"au {_local(start, tz)}",
            {"from": previous.isoformat(), "to": start.isoformat(), "desk_id": booking.desk_id},
            now=now,
        )
        return Moved(booking.id, previous)


async def staff_cancel(
    db: Database,
    booking_id: int,
    sequence: int,
    now: datetime,
    *,
    actor: StaffUser,
    site_ids: set[int] | None,
    settings: Settings,
) -> StaffCancelResult:
    """Cancels the booking for the town hall. Its place is free at once: the type's
    cool-down is against citizens trading slots, not for the town hall's decisions."""
    async with db.write() as session:
        booking = await locked_for_staff(session, booking_id, site_ids)
        if booking is None:
            return StaffRefused(StaffRefusal.NOT_FOUND)
        refused = _refusal(booking, sequence, now)
        if refused is not None:
            return refused
        booking.status = "cancelled"
        booking.cancelled_at = now
        booking.cancelled_by_staff = True
        booking.sequence += 1
        await session.flush()
        await booking_cancelled(session, booking, now, settings, by_staff=True)
        await audit.record(
            session,
            actor,
            "booking.cancelled",
            f"booking:{booking.id}",
            f"Rendez-vous {booking.reference} annulé",
            {"start": booking.start.isoformat()},
            now=now,
        )
        return Cancelled(booking.id)


def _local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%d/%m/%Y %H:%M")
