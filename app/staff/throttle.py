"""Failed-login throttling, per account and per client address.

Each failure is a row keyed by the SHA-256 of "account:<e-mail>" or "address:<ip>" (no
address or e-mail in clear). Over a sliding WINDOW, an account is refused after
ACCOUNT_LIMIT failures and an address after ADDRESS_LIMIT (a town hall's staff often share
one address, so it gets more room). While refused, no password is checked at all.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import LoginFailure

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20


def _keys(email: str, address: str) -> list[tuple[str, int]]:
    def digest(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()

    return [
        (digest(f"account:{email.strip().lower()}"), ACCOUNT_LIMIT),
        (digest(f"address:{address}"), ADDRESS_LIMIT),
    ]


async def wait_before_retry(
    session: AsyncSession, email: str, address: str, now: datetime
) -> timedelta | None:
    """How long this account or address must wait, or None if it may try now."""
    longest: timedelta | None = None
    for key, limit in _keys(email, address):
        rows = (
            await session.execute(
                select(LoginFailure.at)
                .where(LoginFailure.key_hash == key, LoginFailure.at > now - WINDOW)
                .order_by(LoginFailure.at.desc())
                .limit(limit)
            )
        ).scalars()
        recent = list(rows)
        if len(recent) >= limit:
            # Free again when the oldest of the last `limit` failures leaves the window.
            wait = recent[-1] + WINDOW - now
            longest = wait if longest is None else max(longest, wait)
    return longest


async def record_failure(session: AsyncSession, email: str, address: str, now: datetime) -> None:
    for key, _ in _keys(email, address):
        session.add(LoginFailure(key_hash=key, at=now))
    await session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))


async def forget_account_failures(session: AsyncSession, email: str) -> None:
    """After a successful login the account starts afresh (the address does not)."""
    key, _ = _keys(email, "")[0]
    await session.execute(delete(LoginFailure).where(LoginFailure.key_hash == key))


async def failure_count(session: AsyncSession, email: str, address: str, now: datetime) -> int:
    key, _ = _keys(email, address)[0]
    return (
        await session.execute(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key_hash == key, LoginFailure.at > now - WINDOW)
        )
    ).scalar_one()


def wait_message(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Trop de tentatives de connexion ont échoué. Par sécurité, réessayez dans "
        f"{minutes} {unit}, ou demandez un nouveau mot de passe."
    )
