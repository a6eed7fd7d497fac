"""Requests of one kind per client address group, counted in fixed windows of time in the
database, so that every process of an installation sees the same counts. One statement
per counted request: an upsert that returns the new count (docs/DECISIONS.md §98)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from app.db.models import RateCounter
from app.db.session import Database


@dataclass(frozen=True)
class RateRefused:
    """Over the limit: may try again in `retry_after`."""

    retry_after: timedelta

    @property
    def seconds(self) -> int:
        return max(1, int(self.retry_after.total_seconds() + 0.999))


def client_key(secret_key: str, kind: str, address_group: str) -> str:
    """A keyed hash: the table never shows an address (an unkeyed hash of an IPv4 address
    is reversed by trying the four billion of them)."""
    message = f"{kind}:{address_group}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


async def count_request(
    db: Database, key: str, allowed: int, window: timedelta, now: datetime
) -> RateRefused | None:
    """Counts one request for `key`; refuses it when it is over `allowed` in the current
    window (0: no limit, nothing counted). Refused requests count too: a client that keeps
    hammering stays refused until the window ends."""
    if allowed <= 0:
        return None
    length = max(1, int(window.total_seconds()))
    instant = now.timestamp()
    current = int(instant) // length * length  # when this window began, epoch seconds
    async with db.write() as session:
        upsert: Any = (
            postgresql.insert(RateCounter)
            if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(RateCounter)
        )
        statement = (
            upsert.values(key_hash=key, window=current, hits=1)
            .on_conflict_do_update(
                index_elements=["key_hash", "window"], set_={"hits": RateCounter.hits + 1}
            )
            .returning(RateCounter.hits)
        )
        hits = (await session.execute(statement)).scalar_one()
        if hits == 1:  # the first request of a new window: forget the windows before
            await session.execute(delete(RateCounter).where(RateCounter.window < current - length))
    if hits <= allowed:
        return None
    return RateRefused(timedelta(seconds=current + length - instant))
