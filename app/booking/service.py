"""Holding and confirming a slot: each one transaction that re-checks the slot under locks.

Integrity comes from the database, not from Python: the draft row and then the desks that
serve the type are locked (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite every write
transaction is `BEGIN IMMEDIATE`, so writers are serialised by the database itself). The
slot is re-checked under those locks, with the same engine and every live hold counted, so
two holds or two confirmations for the last place cannot both succeed. A replayed confirm
waits for the draft's lock, then finds the draft already linked to its booking; the unique
idempotency key on the booking is the last line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.availability import slot_fits
from app.booking.catalogue import get_type
from app.booking.limits import LimitReached, citizen_limit
from app.booking.planning import build_query
from app.booking.reference import TypeLike
from app.booking.references import new_reference, new_uid
from app.db.models import AppointmentType, Booking, Desk, Draft, SlotHold
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


@dataclass(frozen=True)
class Held:
    until: datetime


ConfirmResult = Confirmed | SlotTaken | LimitReached | DraftUnusable
HoldResult = Held | SlotTaken | DraftUnusable


def appointment_length(slot_minutes: int, people: int, duration_per_person: bool) -> timedelta:
    return timedelta(minutes=slot_minutes * (people if duration_per_person else 1))


async def lock_draft(session: AsyncSession, draft_id: int) -> Draft | None:
    return (
        await session.execute(select(Draft).where(Draft.id == draft_id).with_for_update())
    ).scalar()


async def lock_desks(session: AsyncSession, appointment_type: TypeLike) -> None:
    """Every desk serving the type, in id order (the same order for everyone: no deadlock)."""
    desk_ids = [desk.id for desk in appointment_type.desks]
    await session.execute(
        select(Desk.id).where(Desk.id.in_(desk_ids)).order_by(Desk.id).with_for_update()
    )


async def fitting_desks(
    session: AsyncSession,
    appointment_type: TypeLike,
    people: int,
    start: datetime,
    now: datetime,
    draft_id: int | None,
    ignore_booking_id: int | None = None,
    *,
    for_staff: bool = False,
) -> tuple[int, ...]:
    """The desks on which the draft's people fit at `start`, its own hold and the booking
    it modifies (if any) not counting against it. Staff (`for_staff`) may use the places
    kept for them."""
    day = start.astimezone(ZoneInfo(appointment_type.site.timezone)).date()
    query = await build_query(
        session,
        appointment_type,
        people,
        now,
        day,
        day,
        draft_id=draft_id,
        for_staff=for_staff,
        ignore_booking_id=ignore_booking_id,
    )
    return slot_fits(query, start)


def slot_taken(appointment_type: TypeLike, start: datetime, now: datetime) -> SlotTaken:
    earliest_start = now + timedelta(minutes=appointment_type.min_delay_minutes)
    return SlotTaken(too_late=start < earliest_start)


async def take_over_hold(
    session: AsyncSession, draft_id: int, start: datetime, fitting: tuple[int, ...]
) -> int:
    """The desk to book: the one the draft's hold kept, if it still fits, else the first that
    fits. The hold is released either way (the booking now takes its place)."""
    own_hold = (
        await session.execute(select(SlotHold).where(SlotHold.draft_id == draft_id))
    ).scalar()
    desk_id = fitting[0]
    if own_hold is not None:
        if own_hold.start == start and own_hold.desk_id in fitting:
            desk_id = own_hold.desk_id
        await session.delete(own_hold)
    return desk_id


async def hold(
    db: Database,
    draft_id: int,
    state: dict[str, Any],
    now: datetime,
    *,
    keep_draft_until: datetime,
    ignore_booking_id: int | None = None,
) -> HoldResult:
    """Holds `state["slot_start"]` for the draft (its previous hold, if any, is released)
    and saves `state` with the hold's end as `hold_until`, in one transaction."""
    async with db.write() as session:
        draft = await lock_draft(session, draft_id)
        if draft is None or draft.booking_id is not None:
            return DraftUnusable()
        appointment_type = await get_type(session, state.get("type_id"))
        if appointment_type is None or not state.get("people"):
            return DraftUnusable()
        start = datetime.fromisoformat(state["slot_start"])
        people = int(state["people"])
        await lock_desks(session, appointment_type)
        await session.execute(delete(SlotHold).where(SlotHold.draft_id == draft_id))
        fitting = await fitting_desks(
            session, appointment_type, people, start, now, draft_id, ignore_booking_id
        )
        if not fitting:
            return slot_taken(appointment_type, start, now)
        until = now + timedelta(minutes=appointment_type.hold_minutes)
        session.add(
            SlotHold(
                draft_id=draft_id,
                type_id=appointment_type.id,
                desk_id=fitting[0],
                start=start,
                end=start
                + appointment_length(
                    appointment_type.slot_minutes, people, appointment_type.duration_per_person
                ),
                people=people,
                expires_at=until,
            )
        )
        draft.data = {**state, "hold_until": until.isoformat()}
        draft.expires_at = keep_draft_until
        return Held(until)


async def confirm(
    db: Database,
    draft_id: int,
    now: datetime,
    *,
    uid_domain: str,
    keep_draft_until: datetime,
    settings: Settings,
) -> ConfirmResult:
    """Books the draft's slot (taking over its hold), or says why not. The confirmed draft
    keeps only its link to the booking (the contact details now live in the booking alone)
    until `keep_draft_until`, so that the confirmation page can still be reloaded."""
    async with db.write() as session:
        draft = await lock_draft(session, draft_id)
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

        await lock_desks(session, appointment_type)
        limit = await citizen_limit(
            session, appointment_type, contact["email"], contact["phone"], now
        )
        if limit is not None:
            return limit
        fitting = await fitting_desks(session, appointment_type, people, start, now, draft.id)
        if not fitting:
            return slot_taken(appointment_type, start, now)
        desk_id = await take_over_hold(session, draft.id, start, fitting)

        booking = new_booking(
            appointment_type,
            desk_id,
            start,
            people,
            contact,
            uid_domain=uid_domain,
            idempotency_key=str(draft.id),
            now=now,
        )
        session.add(booking)
        await session.flush()
        await booking_confirmed(session, booking, now, settings)
        draft.booking_id = booking.id
        draft.data = {}
        draft.expires_at = keep_draft_until
        return Confirmed(booking.id)


def new_booking(
    appointment_type: TypeLike,
    desk_id: int,
    start: datetime,
    people: int,
    contact: dict[str, Any],
    *,
    uid_domain: str,
    idempotency_key: str,
    now: datetime,
    by_staff: bool = False,
) -> Booking:
    """A confirmed booking with a fresh reference and UID (not yet added to a session)."""
    return Booking(
        reference=new_reference(),
        uid=new_uid(uid_domain),
        sequence=0,
        status="confirmed",
        type_id=appointment_type.id,
        desk_id=desk_id,
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
        idempotency_key=idempotency_key,
        created_at=now,
        by_staff=by_staff,
    )


async def load_booking(db: Database, booking_id: int) -> Booking | None:
    async with db.read() as session:
        return (
            await session.execute(
                select(Booking)
                .where(Booking.id == booking_id)
                .options(selectinload(Booking.type).selectinload(AppointmentType.site))
            )
        ).scalar()
