"""The outbox table's operations.

`enqueue` runs in the caller's session, so a message exists exactly when the change that
caused it is committed. A message's `dedupe_key` is unique: enqueueing it again (a replayed
request, a second worker sending reminders) does nothing.

Workers `claim` due messages: in one write transaction they take rows whose lease is free
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write lock serialises claims), count the
attempt and lease the rows for a short while, which the worker `renew`s as long as it is
still working on them (a heartbeat). A worker that dies keeps its messages only until the
last lease it wrote ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import OutboxMessage
from app.db.session import Database, changed_rows

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Delivery:
    """One claimed message, as a channel receives it."""

    id: int
    channel: str
    kind: str
    dedupe_key: str
    payload: dict[str, Any]
    attempt: int
    booking_id: int | None = None  # the booking the message is about, if any


@dataclass(frozen=True)
class Outgoing:
    """A message composed and ready to be enqueued."""

    channel: str
    kind: str
    dedupe_key: str
    payload: dict[str, Any]


async def enqueue_all(
    session: AsyncSession, messages: list[Outgoing], now: datetime, booking_id: int | None
) -> bool:
    """Enqueues each message (see `enqueue`); True when at least one was new."""
    created = False
    for message in messages:
        created = (
            await enqueue(
                session,
                channel=message.channel,
                kind=message.kind,
                dedupe_key=message.dedupe_key,
                payload=message.payload,
                now=now,
                booking_id=booking_id,
            )
            or created
        )
    return created


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    kind: str,
    dedupe_key: str,
    payload: dict[str, Any],
    now: datetime,
    booking_id: int | None = None,
) -> bool:
    """Adds a message to the outbox in the caller's transaction; False if a message with
    this dedupe key already exists (nothing is written then)."""
    values = {
        "channel": channel,
        "kind": kind,
        "booking_id": booking_id,
        "dedupe_key": dedupe_key,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    return (await session.execute(statement)).scalar() is not None


def _due(now: datetime) -> ColumnElement[bool]:
    return (
        (OutboxMessage.status == PENDING)
        & (OutboxMessage.next_attempt_at <= now)
        & or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now)
    )


async def claim(
    db: Database,
    worker_id: str,
    now: datetime,
    *,
    lease: timedelta,
    limit: int,
    max_attempts: int,
) -> list[Delivery]:
    """Leases up to `limit` due messages to this worker and counts an attempt for each.
    A message whose every attempt was interrupted (the worker died each time) fails."""
    async with db.read() as session:
        if not (await session.execute(select(exists().where(_due(now))))).scalar():
            return []  # the common case costs a read, not SQLite's write lock
    async with db.write() as session:
        rows = (
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(_due(now))
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        claimed = []
        for row in rows:
            if row.attempts >= max_attempts:
                row.status = FAILED
                row.lease_owner = row.lease_until = None
                row.last_error = "Interrompu pendant l'envoi à chaque tentative."
                continue
            row.attempts += 1
            row.lease_owner = worker_id
            row.lease_until = now + lease
            claimed.append(
                Delivery(
                    row.id,
                    row.channel,
                    row.kind,
                    row.dedupe_key,
                    row.payload,
                    row.attempts,
                    row.booking_id,
                )
            )
        return claimed


async def renew(db: Database, message_ids: list[int], worker_id: str, until: datetime) -> int:
    """Extends this worker's lease on messages it is still working on; returns how many it
    still held (a message another worker took over after a lapse is left alone)."""
    if not message_ids:
        return 0
    async with db.write() as session:
        return await changed_rows(
            session,
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(message_ids),
                OutboxMessage.status == PENDING,
                OutboxMessage.lease_owner == worker_id,
            )
            .values(lease_until=until),
        )


async def mark_sent(db: Database, message_id: int, now: datetime) -> None:
    async with db.write() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
            .values(status=SENT, sent_at=now, lease_owner=None, lease_until=None, last_error="")
        )


async def mark_attempt_failed(
    db: Database,
    message_id: int,
    worker_id: str,
    error: str,
    *,
    retry_at: datetime | None,
) -> None:
    """Records a failed attempt: retried at `retry_at`, or failed for good when None.
    Only the worker that still holds the lease records it (another may have taken over)."""
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_until": None,
        "last_error": error[:MAX_ERROR_LENGTH],
    }
    if retry_at is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = retry_at
    async with db.write() as session:
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == PENDING,
                OutboxMessage.lease_owner == worker_id,
            )
            .values(**values)
        )


async def failed_messages(db: Database) -> list[OutboxMessage]:
    """What staff must look at: messages that will not be retried."""
    async with db.read() as session:
        return list(
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.status == FAILED)
                    .order_by(OutboxMessage.created_at, OutboxMessage.id)
                )
            )
            .scalars()
            .all()
        )


async def retry_failed(db: Database, message_id: int, now: datetime) -> bool:
    """Puts a failed message back in the queue with a fresh set of attempts."""
    async with db.write() as session:
        retried = await changed_rows(
            session,
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == FAILED)
            .values(status=PENDING, attempts=0, next_attempt_at=now, last_error=""),
        )
        return retried == 1


async def purge_sent(db: Database, before: datetime) -> int:
    """Deletes messages sent before `before`: their content is personal data, and the
    booking itself keeps what staff need."""
    async with db.write() as session:
        return await changed_rows(
            session,
            delete(OutboxMessage).where(
                OutboxMessage.status == SENT, OutboxMessage.sent_at < before
            ),
        )
