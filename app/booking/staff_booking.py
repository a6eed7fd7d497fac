"""Booking on behalf of a citizen who phones or walks in.

The same rules as online (opening hours, the type's delays and window, per-citizen limits),
except that the places kept for staff are free to the agent. One write transaction, with the
locks of `service.confirm` (the desks serving the type), so an agent and a citizen cannot
take the last place together. The form carries a random token: the booking's idempotency
key, so a double click or a resubmitted form books once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.catalogue import get_type
from app.booking.contact import ContactDetails
from app.booking.limits import LimitReached, citizen_limit
from app.booking.locking import lock_citizen, lock_request
from app.booking.reference import TypeInfo
from app.booking.service import (
    Confirmed,
    SlotTaken,
    desks_to_try,
    fitting_desks,
    new_booking,
    slot_taken,
    take_desk,
)
from app.db.models import Booking
from app.db.session import Database
from app.notifications.events import booking_confirmed
from app.settings import Settings
from app.staff import audit

if TYPE_CHECKING:
    from app.db.models import StaffUser

KEY_PREFIX = "staff:"


def new_form_token() -> str:
    """The token a fresh booking form carries (it becomes the idempotency key)."""
    return secrets.token_hex(16)


def valid_form_token(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


@dataclass(frozen=True)
class StaffBookingRequest:
    type_id: int
    people: int
    start: datetime
    contact: ContactDetails
    form_token: str


@dataclass(frozen=True)
class TypeUnavailable:
    """No such active type on the agent's sites, or too many people for it."""


StaffBookingResult = Confirmed | SlotTaken | LimitReached | TypeUnavailable


async def bookable_type(
    session: AsyncSession, type_id: int | None, site_ids: set[int] | None
) -> TypeInfo | None:
    """An active type of one of the agent's sites (with its site and desks)."""
    appointment_type = await get_type(session, type_id)
    if appointment_type is None:
        return None
    if site_ids is not None and appointment_type.site_id not in site_ids:
        return None
    return appointment_type


async def book_for_citizen(
    db: Database,
    request: StaffBookingRequest,
    now: datetime,
    *,
    actor: StaffUser,
    site_ids: set[int] | None,
    settings: Settings,
) -> StaffBookingResult:
    key = KEY_PREFIX + request.form_token
    contact = request.contact
    async with db.read() as session:
        appointment_type = await bookable_type(session, request.type_id, site_ids)
        if appointment_type is None or not 0 < request.people <= appointment_type.max_people:
            return TypeUnavailable()
        done = await _booked_by(session, key)
        if done is not None:
            return Confirmed(done, replay=True)
        fitting = await fitting_desks(
            session,
            appointment_type,
            request.people,
            request.start,
            now,
            None,
            for_staff=True,
        )
    for desk_id in desks_to_try(fitting, 0):
        async with db.write() as session:
            await lock_request(session, key)
            # Looked up under that lock: a concurrent twin submit has committed by now.
            existing = await _booked_by(session, key)
            if existing is not None:
                return Confirmed(existing, replay=True)
            await lock_citizen(session, contact.email, contact.phone)
            limit = await citizen_limit(
                session, appointment_type, contact.email, contact.phone, now
            )
            if limit is not None:
                return limit
            desk = await take_desk(
                session,
                appointment_type,
                desk_id,
                request.people,
                request.start,
                now,
                None,
                for_staff=True,
            )
            if desk is None:
                continue
            booking = new_booking(
                appointment_type,
                desk,
                request.start,
                request.people,
                contact.as_dict(),
                uid_domain=settings.uid_domain,
                idempotency_key=key,
                now=now,
                by_staff=True,
            )
            session.add(booking)
            await session.flush()
            await booking_confirmed(session, booking, now, settings)
            local = request.start.astimezone(ZoneInfo(appointment_type.site.timezone))
            await audit.record(
                session,
                actor,
                "booking.created",
                f"booking:{booking.id}",
                f"Rendez-vous {booking.reference} pris pour un usager "
                f"({appointment_type.title}, {local:%d/%m/%Y %H:%M})",
                {"type_id": appointment_type.id, "start": request.start.isoformat()},
                now=now,
            )
            return Confirmed(booking.id)
    return slot_taken(appointment_type, request.start, now)


async def _booked_by(session: AsyncSession, idempotency_key: str) -> int | None:
    """The booking this form already made, if any."""
    return (
        await session.execute(select(Booking.id).where(Booking.idempotency_key == idempotency_key))
    ).scalar()
