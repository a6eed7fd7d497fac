"""What a hold or a booking locks: the desks it lands on, for the local days it touches.

Every transaction that adds an occupation to a desk (a hold, a booking, a move) takes, before
re-checking the slot, a lock per (desk, local day) of that occupation, so two of them that
could conflict queue, and the others do not: a rush on ten desks runs ten at a time. On
PostgreSQL they are transaction-scoped advisory locks, released by the commit; SQLite needs
none, since its write transactions (`BEGIN IMMEDIATE`) run one at a time anyway.

A change to a type's desks must not interleave with a booking landing on a desk it removes:
every occupation writer holds the type's lock shared (`lock_slot`), its editor holds it
exclusively (`lock_type`).

Lock order, the same everywhere (no deadlock): the draft row (or the staff form's key), the
booking row, the citizen, the type, then (desk, day) pairs in ascending order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.limits import identity_email

# The two-key advisory locks of (desk id, day) use desk ids, always positive; a citizen's
# lock uses these negative first keys, so the two never meet.
_EMAIL_KEY, _PHONE_KEY, _TYPE_KEY, _REQUEST_KEY, _HOLDER_KEY = -1, -2, -3, -4, -5


def _locks_needed(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def local_days(start: datetime, end: datetime, tz: ZoneInfo) -> list[int]:
    """The local days (proleptic ordinals) that the interval [start, end) touches."""
    first = start.astimezone(tz).date()
    last = (max(end, start + timedelta(microseconds=1)) - timedelta(microseconds=1)).astimezone(tz)
    return list(range(first.toordinal(), last.date().toordinal() + 1))


async def lock_slot(
    session: AsyncSession,
    type_id: int,
    desk_ids: Iterable[int],
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
) -> None:
    """Waits for, then holds until the transaction ends, the type (shared) and every
    (desk, day) of the interval: what a new occupation of these desks needs."""
    if not _locks_needed(session):
        return
    await session.execute(select(func.pg_advisory_xact_lock_shared(_TYPE_KEY, type_id)))
    days = local_days(start, end, tz)
    for desk_id in sorted(set(desk_ids)):
        for day in days:
            await session.execute(select(func.pg_advisory_xact_lock(desk_id, day)))


async def lock_citizen(session: AsyncSession, email: str, phone: str) -> None:
    """Serialises the bookings of one citizen (recognised by e-mail or phone, as the
    per-citizen limit recognises them), so that two at once cannot both pass the limit."""
    if not _locks_needed(session):
        return
    if email.strip():
        key = func.hashtext(identity_email(email))
        await session.execute(select(func.pg_advisory_xact_lock(_EMAIL_KEY, key)))
    if phone:
        await session.execute(select(func.pg_advisory_xact_lock(_PHONE_KEY, func.hashtext(phone))))


async def lock_type(session: AsyncSession, type_id: int) -> None:
    """Waits for every hold and booking of the type in progress, and keeps new ones out
    until the transaction ends (to change which desks serve the type)."""
    if _locks_needed(session):
        await session.execute(select(func.pg_advisory_xact_lock(_TYPE_KEY, type_id)))


async def lock_request(session: AsyncSession, idempotency_key: str) -> None:
    """Serialises the twin submissions of one form (a double click), so that the second
    finds the first's booking."""
    if _locks_needed(session):
        key = func.hashtext(idempotency_key)
        await session.execute(select(func.pg_advisory_xact_lock(_REQUEST_KEY, key)))


async def lock_holder(session: AsyncSession, holder: str) -> None:
    """Serialises the holds of one client address group, so that parallel requests cannot
    all pass the cap on its live holds. Taken before the slot's locks."""
    if _locks_needed(session):
        key = func.hashtext(holder)
        await session.execute(select(func.pg_advisory_xact_lock(_HOLDER_KEY, key)))
