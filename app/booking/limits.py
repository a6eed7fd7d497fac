"""Per-citizen limits: at most K active bookings of a type made within a rolling period,
the citizen being recognised by their email (case-insensitive, without a `+tag`:
camille+2@… is camille@…) or their phone number (E.164, as `contact.normalise_phone`
stores it). A booking staff made for someone who gave
neither (a phone call, a walk-in) is nobody's: empty values never match each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.reference import TypeLike
from app.db.models import Booking

COUNTED_STATUSES = ("confirmed",)


@dataclass(frozen=True)
class LimitReached:
    active: int  # how many of their bookings count
    allowed: int
    until: datetime  # when the oldest counted booking stops counting: they can book again


def limit_reached(
    counted: list[tuple[datetime, datetime]], allowed: int, period: timedelta
) -> LimitReached | None:
    """`counted`: (created_at, end) of the citizen's active bookings of the type made within
    the period. A booking stops counting when its appointment ends or when it leaves the
    period, whichever comes first."""
    if allowed <= 0 or len(counted) < allowed:
        return None
    releases = sorted(min(end, created + period) for created, end in counted)
    return LimitReached(len(counted), allowed, releases[len(counted) - allowed])


def identity_email(email: str) -> str:
    """The mailbox an address delivers to, as far as the limits know: lower case, without
    the `+tag` that most providers ignore (so a bot cannot make new citizens of one box)."""
    local, at, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if at and local else email.strip().lower()


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def same_mailbox(column: Any, email: str) -> ColumnElement[bool]:
    """`column` holds the address `email` delivers to, with or without a +tag."""
    identity = identity_email(email)
    local, _, domain = identity.rpartition("@")
    tagged = f"{_like_escaped(local)}+%@{_like_escaped(domain)}"
    stored = func.lower(column)
    return or_(stored == identity, stored.like(tagged, escape="\\"))


async def citizen_limit(
    session: AsyncSession,
    appointment_type: TypeLike,
    email: str,
    phone: str,
    now: datetime,
    *,
    ignore_booking_id: int | None = None,
) -> LimitReached | None:
    if appointment_type.limit_bookings <= 0:
        return None
    period = timedelta(days=appointment_type.limit_period_days)
    same_person = []
    if email.strip():
        same_person.append(same_mailbox(Booking.email, email))
    if phone:
        same_person.append(Booking.phone == phone)
    if not same_person:
        return None  # booked by staff with neither e-mail nor phone: nobody to recognise
    rows = (
        await session.execute(
            select(Booking.created_at, Booking.end).where(
                Booking.type_id == appointment_type.id,
                Booking.status.in_(COUNTED_STATUSES),
                Booking.end > now,
                Booking.created_at > now - period,
                Booking.id != (ignore_booking_id or 0),
                or_(*same_person),
            )
        )
    ).all()
    return limit_reached(
        [(row.created_at, row.end) for row in rows], appointment_type.limit_bookings, period
    )
