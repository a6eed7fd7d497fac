"""Staff sessions: an opaque random token in the cookie, only its SHA-256 in the database.

A session ends after IDLE without a request, and in any case ABSOLUTE after login.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import StaffSession, StaffUser
from app.db.session import Database

IDLE = timedelta(hours=2)
ABSOLUTE = timedelta(hours=12)
# last_seen_at is written at most this often (not one write per page).
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(session: AsyncSession, staff: StaffUser, now: datetime) -> str:
    """A new session for `staff` in the caller's transaction; returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=token_hash(token),
            staff_id=staff.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE,
        )
    )
    # Expired sessions of anyone are cleaned up as people log in.
    await session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    return token


async def staff_for_token(db: Database, token: str | None, now: datetime) -> StaffUser | None:
    """The active staff member this token logs in, or None (unknown, idle, expired,
    deactivated). Refreshes the idle clock now and then."""
    if not token or len(token) > 100:
        return None
    digest = token_hash(token)
    async with db.read() as session:
        row = (
            await session.execute(
                select(StaffSession)
                .where(StaffSession.token_hash == digest)
                .options(selectinload(StaffSession.staff).selectinload(StaffUser.sites))
            )
        ).scalar()
    if row is None or row.expires_at <= now or row.last_seen_at + IDLE <= now:
        return None
    if not row.staff.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        async with db.write() as session:
            stored = await session.get(StaffSession, row.id)
            if stored is not None:
                stored.last_seen_at = now
    return row.staff


async def close_session(session: AsyncSession, token: str | None) -> StaffUser | None:
    """Ends the session of this token; returns whose it was (None: no such session)."""
    if not token or len(token) > 100:
        return None
    row = (
        await session.execute(
            select(StaffSession)
            .where(StaffSession.token_hash == token_hash(token))
            .options(selectinload(StaffSession.staff))
        )
    ).scalar()
    if row is None:
        return None
    staff = row.staff
    await session.delete(row)
    return staff


async def close_all(session: AsyncSession, staff_id: int) -> None:
    """Logs the account out everywhere."""
    await session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))
