"""Holding and confirming a slot: each read first, then written in one short transaction
that re-checks the slot under locks.

Integrity comes from the database, not from Python. What can be read without a lock is
read first (the type, the desks on which the slot is free); a slot that is not free is
refused without writing anything. Then one desk is tried at a time, each in its own short
transaction: the draft row is locked, then the type (shared) and that desk for the days
the appointment touches (`locking.lock_slot`: advisory locks on PostgreSQL; on SQLite
every write transaction is `BEGIN IMMEDIATE`, so writers are serialised by the database
itself); the desk is re-checked under those locks with the same engine and every live hold
counted, so two holds or two confirmations for its last place cannot both succeed, while
confirmations on other desks go on in parallel. Different drafts try the desks in
different orders, so a rush on one slot does not queue on one desk. A replayed confirm
waits for the draft's lock, then finds the draft already linked to its booking; the unique
idempotency key on the booking is the last line of defence. The e-mail and its
attachments are composed after the commit (`notifications.events`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.availability import slot_fits
from app.booking.catalogue import get_type
from app.booking.limits import LimitReached, citizen_limit
from app.booking.locking import lock_citizen, lock_holder, lock_slot
from app.booking.planning import build_query
from app.booking.reference import TypeLike
from app.booking.references import new_reference, new_uid
from app.db.models import AppointmentType, Booking, Draft, SlotHold
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


@dataclass(frozen=True)
class TooManyHolds:
    """The address already holds `allowed` slots in other bookings in progress."""

    allowed: int


@dataclass(frozen=True)
class HoldPolicy:
    """What keeps holds from being hoarded (docs/DECISIONS.md §98). The default: none of
    it (the staff, and the domain's own tests)."""

    holder: str = ""  # who asks: a keyed hash of the client's address group
    live_per_holder: int = 0  # slots one holder may hold at once (0: no cap)
    rush_holds: int = 0  # from this many live holds of the type (0: never)…
    rush_minutes: int = 3  # …new holds last at most this long

    @classmethod
    def of(cls, settings: Settings, holder: str) -> HoldPolicy:
        protection = settings.protection
        return cls(
            holder=holder,
            live_per_holder=protection.live_holds_per_address,
            rush_holds=protection.rush_holds,
            rush_minutes=protection.rush_hold_minutes,
        )


ConfirmResult = Confirmed | SlotTaken | LimitReached | DraftUnusable
HoldResult = Held | SlotTaken | TooManyHolds | DraftUnusable


def appointment_length(slot_minutes: int, people: int, duration_per_person: bool) -> timedelta:
    return timedelta(minutes=slot_minutes * (people if duration_per_person else 1))


def appointment_end(appointment_type: TypeLike, start: datetime, people: int) -> datetime:
    """When an appointment of this type for `people` starting at `start` ends."""
    return start + appointment_length(
        appointment_type.slot_minutes, people, appointment_type.duration_per_person
    )


async def lock_draft(session: AsyncSession, draft_id: int) -> Draft | None:
    return (
        await session.execute(select(Draft).where(Draft.id == draft_id).with_for_update())
    ).scalar()


def desks_to_try(
    fitting: tuple[int, ...], spread_by: int, preferred: tuple[int | None, ...] = ()
) -> list[int]:
    """The desks on which to try a slot, in an order that differs from one draft to the
    next (`spread_by`), so that a rush on one slot spreads over its desks; the `preferred`
    ones that fit (the desk a moved booking is on, the desk the draft holds) first."""
    if not fitting:
        return []
    shift = spread_by % len(fitting)
    order = [*fitting[shift:], *fitting[:shift]]
    first = [desk for desk in dict.fromkeys(preferred) if desk in order]
    return first + [desk for desk in order if desk not in first]


def desks_to_lock(appointment_type: TypeLike, desk_id: int) -> tuple[int, ...]:
    """The desk itself; every desk of the type when places are kept for staff, since those
    are counted over all the type's desks."""
    if appointment_type.staff_reserved_places:
        return tuple(sorted(desk.id for desk in appointment_type.desks))
    return (desk_id,)


async def take_desk(
    session: AsyncSession,
    appointment_type: TypeLike,
    desk_id: int,
    people: int,
    start: datetime,
    now: datetime,
    draft_id: int | None,
    ignore_booking_id: int | None = None,
    *,
    for_staff: bool = False,
) -> int | None:
    """Locks the slot on `desk_id` (see `locking.lock_slot`) and re-checks it: the desk to
    use (`desk_id`, or another desk locked with it), or None when it is no longer free."""
    locked = desks_to_lock(appointment_type, desk_id)
    end = appointment_end(appointment_type, start, people)
    tz = ZoneInfo(appointment_type.site.timezone)
    await lock_slot(session, appointment_type.id, locked, start, end, tz)
    free = await fitting_desks(
        session,
        appointment_type,
        people,
        start,
        now,
        draft_id,
        ignore_booking_id,
        for_staff=for_staff,
        desk_ids=locked,
    )
    if not free:
        return None
    return desk_id if desk_id in free else free[0]


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
    desk_ids: tuple[int, ...] | None = None,
) -> tuple[int, ...]:
    """The desks (of `desk_ids`, by default all the type's) on which the draft's people fit
    at `start`, its own hold and the booking it modifies (if any) not counting against it.
    Staff (`for_staff`) may use the places kept for them."""
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
        desk_ids=desk_ids,
    )
    return slot_fits(query, start)


def slot_taken(appointment_type: TypeLike, start: datetime, now: datetime) -> SlotTaken:
    earliest_start = now + timedelta(minutes=appointment_type.min_delay_minutes)
    return SlotTaken(too_late=start < earliest_start)


async def own_hold_desk(
    session: AsyncSession, draft_id: int, start: datetime, now: datetime
) -> int | None:
    """The desk the draft's live hold keeps at `start`, if it has one."""
    return (
        await session.execute(
            select(SlotHold.desk_id).where(
                SlotHold.draft_id == draft_id, SlotHold.start == start, SlotHold.expires_at > now
            )
        )
    ).scalar()


async def live_holds(
    session: AsyncSession,
    now: datetime,
    *,
    type_id: int | None = None,
    holder: str | None = None,
    other_than: int | None = None,
) -> int:
    """How many slots are held now, of a type or by a holder (other than a draft's own)."""
    query = select(func.count()).select_from(SlotHold).where(SlotHold.expires_at > now)
    if type_id is not None:
        query = query.where(SlotHold.type_id == type_id)
    if holder is not None:
        query = query.where(SlotHold.holder == holder)
    if other_than is not None:
        query = query.where(SlotHold.draft_id != other_than)
    return (await session.execute(query)).scalar_one()


async def release_hold(session: AsyncSession, draft_id: int) -> None:
    await session.execute(delete(SlotHold).where(SlotHold.draft_id == draft_id))


async def hold(
    db: Database,
    draft_id: int,
    state: dict[str, Any],
    now: datetime,
    *,
    keep_draft_until: datetime,
    ignore_booking_id: int | None = None,
    policy: HoldPolicy = HoldPolicy(),
) -> HoldResult:
    """Holds `state["slot_start"]` for the draft (its previous hold, if any, is released)
    and saves `state` with the hold's end as `hold_until`, in one transaction. A refusal
    changes nothing."""
    if not state.get("people") or not state.get("slot_start"):
        return DraftUnusable()
    start = datetime.fromisoformat(state["slot_start"])
    people = int(state["people"])
    async with db.read() as session:
        appointment_type = await get_type(session, state.get("type_id"))
        if appointment_type is None:
            return DraftUnusable()
        fitting = await fitting_desks(
            session, appointment_type, people, start, now, draft_id, ignore_booking_id
        )
        minutes = appointment_type.hold_minutes
        if policy.rush_holds and await live_holds(session, now, type_id=appointment_type.id) >= (
            policy.rush_holds
        ):
            minutes = min(minutes, policy.rush_minutes)
    for desk_id in desks_to_try(fitting, draft_id):
        async with db.write() as session:
            draft = await lock_draft(session, draft_id)
            if draft is None or draft.booking_id is not None:
                return DraftUnusable()
            if policy.holder and policy.live_per_holder:
                await lock_holder(session, policy.holder)
                held = await live_holds(session, now, holder=policy.holder, other_than=draft_id)
                if held >= policy.live_per_holder:
                    return TooManyHolds(policy.live_per_holder)
            desk = await take_desk(
                session, appointment_type, desk_id, people, start, now, draft_id, ignore_booking_id
            )
            if desk is None:
                continue  # taken meanwhile: the next desk, in a new transaction
            await release_hold(session, draft_id)
            until = now + timedelta(minutes=minutes)
            session.add(
                SlotHold(
                    draft_id=draft_id,
                    type_id=appointment_type.id,
                    desk_id=desk,
                    start=start,
                    end=appointment_end(appointment_type, start, people),
                    people=people,
                    expires_at=until,
                    holder=policy.holder,
                )
            )
            draft.data = {**state, "hold_until": until.isoformat()}
            draft.expires_at = keep_draft_until
            return Held(until)
    return slot_taken(appointment_type, start, now)


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
    async with db.read() as session:
        draft = await session.get(Draft, draft_id)
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
        held_desk = await own_hold_desk(session, draft_id, start, now)
        fitting = await fitting_desks(session, appointment_type, people, start, now, draft_id)

    for desk_id in desks_to_try(fitting, draft_id, preferred=(held_desk,)):
        async with db.write() as session:
            draft = await lock_draft(session, draft_id)
            if draft is None:
                return DraftUnusable()
            if draft.booking_id is not None:
                return Confirmed(draft.booking_id, replay=True)
            if draft.data != state:
                break  # answered again meanwhile (another tab): start over
            await lock_citizen(session, contact["email"], contact["phone"])
            limit = await citizen_limit(
                session, appointment_type, contact["email"], contact["phone"], now
            )
            if limit is not None:
                return limit
            desk = await take_desk(session, appointment_type, desk_id, people, start, now, draft_id)
            if desk is None:
                continue  # taken meanwhile: the next desk, in a new transaction
            await release_hold(session, draft_id)
            booking = new_booking(
                appointment_type,
                desk,
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
    else:
        return slot_taken(appointment_type, start, now)
    return await confirm(
        db,
        draft_id,
        now,
        uid_domain=uid_domain,
        keep_draft_until=keep_draft_until,
        settings=settings,
    )


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
        end=appointment_end(appointment_type, start, people),
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
