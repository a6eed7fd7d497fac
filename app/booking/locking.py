"""What a hold or a booking locks: the desks it lands on, for the local days it touches.

Every transaction that adds an occupation to a desk (a hold, a booking, a move) takes, before
re-checking the slot, a lock per (desk, local day) of that occupation, so two of them that
could conflict queue, and the others do not: a rush on ten desks runs ten at a time. On
PostgreSQL they are transaction-scoped advisory locks, released by the commit; SQLite needs
none, since its write transactions (`BEGIN IMMEDIATE`) run one at a time anyway.

Lock order, the same everywhere (no deadlock): the draft row, the booking row, the citizen,
then (desk, day) pairs in ascending order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

# The two-key advisory locks of (desk id, day) use desk ids, always positive; a citizen's
# lock uses these negative first keys, so the two never meet.
_EMAIL_KEY, _PHONE_KEY = -1, -2


def _locks_needed(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def local_days(start: datetime, end: datetime, tz: ZoneInfo) -> list[int]:
    """The local days (proleptic ordinals) that the interval [start, end) touches."""
    first = start.astimezone(tz).date()
    last = (max(end, start + timedelta(microseconds=1)) - timedelta(microseconds=1)).astimezone(tz)
    return list(range(first.toordinal(), last.date().toordinal() + 1))


async def lock_desk_days(
    session: AsyncSession, desk_ids: Iterable[int], start: datetime, end: datetime, tz: ZoneInfo
) -> None:
    """Waits for, then holds until the transaction ends, every (desk, day) of the interval."""
    if not _locks_needed(session):
        return
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
        key = func.hashtext(email.strip().lower())
        await session.execute(select(func.pg_advisory_xact_lock(_EMAIL_KEY, key)))
    if phone:
        await session.execute(select(func.pg_advisory_xact_lock(_PHONE_KEY, func.hashtext(phone))))
