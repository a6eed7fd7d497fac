"""Failed-login delays, per account and client address, and per address (decision 96).

Each failure writes two rows: one for the pair (the account typed, the client's address
group) and one for the address group alone. Their keys are hashes, never the e-mail or the
address in clear: the pair's key is the first half of SHA-256("account:<e-mail>") followed by
the first half of SHA-256("pair:<e-mail>:<group>"), so that all the pairs of one account
can be forgotten at once (a password reset) by their common prefix; the address's key is
SHA-256("address:<group>").

A key's failures of the last MEMORY count. The first few are free (PAIR_FREE for a pair,
ADDRESS_FREE for an address); from then on the next attempt waits FIRST_DELAY after the
latest failure, twice as long after each further failure, never more than CEILING. While a
key waits, no password is checked and nothing is recorded. Nobody is ever locked out: the
one who fails slows down only themselves (and, with ADDRESS_FREE failures a day, whoever
shares their address).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import LoginFailure

MEMORY = timedelta(hours=24)
PAIR_FREE = 5
ADDRESS_FREE = 100
FIRST_DELAY = timedelta(seconds=30)
CEILING = timedelta(minutes=15)

PAIR = "pair"
ADDRESS = "address"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _account_prefix(email: str) -> str:
    return _digest(f"account:{email.strip().lower()}")[:32]


def _pair_key(email: str, group: str) -> str:
    email = email.strip().lower()
    return _account_prefix(email) + _digest(f"pair:{email}:{group}")[:32]


def _address_key(group: str) -> str:
    return _digest(f"address:{group}")


def _keys(email: str, group: str) -> list[tuple[str, str, int]]:
    return [
        (PAIR, _pair_key(email, group), PAIR_FREE),
        (ADDRESS, _address_key(group), ADDRESS_FREE),
    ]


def delay_after(failures: int, free: int) -> timedelta:
    """The wait after `failures` failures of a key allowed `free` without waiting."""
    if failures < free:
        return timedelta(0)
    doublings = failures - free
    if doublings >= 16:  # far past the ceiling; no huge powers of two
        return CEILING
    return min(FIRST_DELAY * (1 << doublings), CEILING)


async def _failures(session: AsyncSession, key: str, now: datetime) -> tuple[int, datetime | None]:
    count, latest = (
        await session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(
                LoginFailure.key_hash == key, LoginFailure.at > now - MEMORY
            )
        )
    ).one()
    return count, latest


async def wait_before_retry(
    session: AsyncSession, email: str, group: str, now: datetime
) -> timedelta | None:
    """How long this account from this address group (or this address group whatever the
    account) must still wait, or None if it may try now."""
    longest: timedelta | None = None
    for _, key, free in _keys(email, group):
        count, latest = await _failures(session, key, now)
        if latest is None:
            continue
        wait = latest + delay_after(count, free) - now
        if wait > timedelta(0):
            longest = wait if longest is None else max(longest, wait)
    return longest


@dataclass(frozen=True)
class DelayStarted:
    """A key that this failure made wait for the first time in its run of failures."""

    kind: str  # PAIR or ADDRESS
    failures: int
    wait: timedelta


async def record_failure(
    session: AsyncSession, email: str, group: str, now: datetime
) -> list[DelayStarted]:
    """Counts a failure for the pair and for the address group; returns the keys that start
    waiting with it (for the journal)."""
    started: list[DelayStarted] = []
    for kind, key, free in _keys(email, group):
        await session.execute(
            delete(LoginFailure).where(
                LoginFailure.key_hash == key, LoginFailure.at <= now - MEMORY
            )
        )
        session.add(LoginFailure(key_hash=key, at=now))
        await session.flush()
        count, _ = await _failures(session, key, now)
        if count == free:
            started.append(DelayStarted(kind, count, delay_after(count, free)))
    return started


async def forget_failures(session: AsyncSession, email: str, group: str, now: datetime) -> None:
    """After a successful login this account from this address starts afresh (the address
    group's own count does not). The failures everybody made before MEMORY go too: a
    failure only cleans its own keys, so that it never scans the whole table."""
    await session.execute(
        delete(LoginFailure).where(
            (LoginFailure.key_hash == _pair_key(email, group)) | (LoginFailure.at <= now - MEMORY)
        )
    )


async def forget_account_failures(session: AsyncSession, email: str) -> None:
    """After a password reset the account starts afresh from every address."""
    prefix = _account_prefix(email)  # hexadecimal: nothing for LIKE to interpret
    await session.execute(delete(LoginFailure).where(LoginFailure.key_hash.startswith(prefix)))


def wait_words(wait: timedelta) -> str:
    """« 45 secondes », « 1 minute », « 15 minutes »: seconds under a minute, else minutes,
    always rounded up (an early retry would be refused again)."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} seconde" + ("s" if seconds > 1 else "")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute" + ("s" if minutes > 1 else "")


def retry_after(wait: timedelta) -> int:
    """The Retry-After header's whole seconds."""
    return max(1, math.ceil(wait.total_seconds()))


def wait_message(wait: timedelta) -> str:
    return (
        "Trop de tentatives de connexion ont échoué. Par sécurité, réessayez dans "
        f"{wait_words(wait)}, ou demandez un nouveau mot de passe."
    )
