"""Server-side drafts: the wizard's answers, found again through an opaque random token.

Only a hash of the token is stored, so a copy of the database does not let anyone resume
somebody else's draft.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Delete, delete, select, update

from app.db.models import Draft, SlotHold
from app.db.session import Database, changed_rows


def _expired(now: datetime) -> Delete:
    return delete(Draft).where(Draft.expires_at <= now)


def _expired_holds(now: datetime) -> Delete:
    return delete(SlotHold).where(SlotHold.expires_at <= now)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoadedDraft:
    id: int
    state: dict[str, Any]
    booking_id: int | None


class DraftStore:
    def __init__(self, db: Database, lifetime: timedelta) -> None:
        self.db = db
        self.lifetime = lifetime

    async def load(self, token: str | None, now: datetime) -> LoadedDraft | None:
        """The live draft behind this token, or None when missing, expired or made up."""
        if not token or len(token) > 100:
            return None
        async with self.db.read() as session:
            draft = (
                await session.execute(select(Draft).where(Draft.token_hash == _hash(token)))
            ).scalar()
        if draft is None or draft.expires_at <= now:
            return None
        return LoadedDraft(id=draft.id, state=dict(draft.data), booking_id=draft.booking_id)

    async def create(self, state: dict[str, Any], now: datetime) -> tuple[str, LoadedDraft]:
        token = secrets.token_urlsafe(32)
        async with self.db.write() as session:
            # Abandoned drafts hold personal data: each new draft sweeps the expired ones
            # (holds expire by themselves: sweeping them only keeps the table small).
            await session.execute(_expired(now))
            await session.execute(_expired_holds(now))
            draft = Draft(
                token_hash=_hash(token),
                data=state,
                created_at=now,
                expires_at=now + self.lifetime,
            )
            session.add(draft)
            await session.flush()
            return token, LoadedDraft(id=draft.id, state=state, booking_id=None)

    async def save(self, draft_id: int, state: dict[str, Any], now: datetime) -> None:
        """Stores the new answers and gives the draft a new lifetime. Answers without a
        slot (the type or the number of people changed) release the draft's hold."""
        async with self.db.write() as session:
            await session.execute(
                update(Draft)
                .where(Draft.id == draft_id, Draft.booking_id.is_(None))
                .values(data=state, expires_at=now + self.lifetime)
            )
            if "slot_start" not in state:
                await session.execute(delete(SlotHold).where(SlotHold.draft_id == draft_id))

    async def discard(self, draft_id: int) -> None:
        """Forgets a draft not confirmed, and its hold; a confirmed draft (the link to its
        booking, which holds nothing) is kept."""
        async with self.db.write() as session:
            await session.execute(delete(SlotHold).where(SlotHold.draft_id == draft_id))
            await session.execute(
                delete(Draft).where(Draft.id == draft_id, Draft.booking_id.is_(None))
            )

    async def purge_expired(self, now: datetime) -> int:
        async with self.db.write() as session:
            await session.execute(_expired_holds(now))
            return await changed_rows(session, _expired(now))
