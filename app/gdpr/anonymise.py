"""Erasing a citizen's personal data from bookings while keeping what statistics need.

A booking keeps its reference, type, desk, times, number of people, status, attendance,
who made it and when; its names, e-mail, phone and extra answers become empty and
`anonymised_at` is set. Every other copy of those data in the database goes too:

- drafts that produced or modify the booking (their answers are the contact details),
  with their slot holds;
- outbox messages of the booking (composed e-mails and SMS carry the address and the
  name) — except, when asked, those still waiting to leave (a cancellation notice being
  sent to the person who asked for erasure): the daily pass deletes them once delivered;
- calendar objects imported back from a staff calendar that are copies of the booking's
  published event; the event itself is rewritten on the desk's calendar without the
  person (its SEQUENCE goes up and a publication is enqueued);
- the booking's web push subscriptions (a device's endpoint and keys), once no message
  waits for them;
- the audit trail's entries about the booking (target `booking:<id>`): they should name
  it by reference only, but any of the person's values found in them are masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.changes import modified_booking_id
from app.booking.contact import display_phone
from app.calendar_sync.channel import enqueue_publication
from app.db.models import (
    AuditEvent,
    Booking,
    CalendarObject,
    Draft,
    OutboxMessage,
    PublishedEvent,
    PushSubscription,
    SlotHold,
)
from app.db.session import changed_rows
from app.outbox.store import PENDING

MASK = "[effacé]"


def personal_values(booking: Booking) -> list[str]:
    """The person's values as they may have been copied into text, longest first."""
    values = {booking.last_name, booking.first_name, booking.email, booking.phone}
    if booking.first_name and booking.last_name:
        values.add(f"{booking.first_name} {booking.last_name}")
    if booking.phone:
        values.add(display_phone(booking.phone))
    values.update(str(v) for v in (booking.extra or {}).values())
    return sorted((v for v in values if v and len(v.strip()) >= 2), key=len, reverse=True)


def _mask(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = re.sub(re.escape(secret), MASK, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, dict):
        return {key: _mask(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, secrets) for item in value]
    return value


async def _mask_audit(session: AsyncSession, booking: Booking) -> None:
    secrets = personal_values(booking)
    if not secrets:
        return
    events = (
        await session.execute(
            select(AuditEvent).where(AuditEvent.target == f"booking:{booking.id}")
        )
    ).scalars()
    for event in events:
        summary, details = _mask(event.summary, secrets), _mask(event.details, secrets)
        if summary != event.summary or details != event.details:
            event.summary, event.details = summary, details


async def _drop_drafts(session: AsyncSession, ids: set[int], now: datetime) -> None:
    doomed = set(
        (
            await session.execute(
                select(Draft.id).where(or_(Draft.booking_id.in_(ids), Draft.expires_at <= now))
            )
        ).scalars()
    )
    for draft_id, data in (await session.execute(select(Draft.id, Draft.data))).all():
        if modified_booking_id(data or {}) in ids:
            doomed.add(draft_id)
    if doomed:
        await session.execute(delete(SlotHold).where(SlotHold.draft_id.in_(doomed)))
        await session.execute(delete(Draft).where(Draft.id.in_(doomed)))


async def anonymise(
    session: AsyncSession,
    booking_ids: Iterable[int],
    now: datetime,
    *,
    keep_pending_messages: bool = False,
) -> int:
    """Anonymises these bookings in the caller's transaction. Returns how many changed."""
    ids = set(booking_ids)
    if not ids:
        return 0
    bookings = (
        (
            await session.execute(
                select(Booking)
                .where(Booking.id.in_(ids), Booking.anonymised_at.is_(None))
                .options(selectinload(Booking.type))
                .with_for_update(of=Booking)
            )
        )
        .scalars()
        .all()
    )
    messages = delete(OutboxMessage).where(OutboxMessage.booking_id.in_(ids))
    if keep_pending_messages:
        messages = messages.where(OutboxMessage.status != PENDING)
    await session.execute(messages)
    await session.execute(
        delete(PushSubscription).where(
            PushSubscription.booking_id.in_(ids),
            PushSubscription.booking_id.not_in(_waiting_messages()),
        )
    )
    await _drop_drafts(session, ids, now)
    await session.execute(
        update(PublishedEvent).where(PublishedEvent.booking_id.in_(ids)).values(drift="")
    )
    for booking in bookings:
        await session.execute(
            delete(CalendarObject).where(CalendarObject.data.contains(booking.uid))
        )
        await _mask_audit(session, booking)
        booking.last_name = ""
        booking.first_name = ""
        booking.email = ""
        booking.phone = ""
        booking.extra = {}
        booking.anonymised_at = now
        booking.sequence += 1
    await session.flush()
    for booking in bookings:
        await enqueue_publication(session, booking, now, "anonymised")
    return len(bookings)


def _waiting_messages() -> Select[int | None]:
    return select(OutboxMessage.booking_id).where(
        OutboxMessage.status == PENDING, OutboxMessage.booking_id.is_not(None)
    )


async def delete_delivered_messages(session: AsyncSession) -> int:
    """Messages of anonymised bookings kept only until they left (see `anonymise`), and
    the push subscriptions they needed."""
    anonymised = select(Booking.id).where(Booking.anonymised_at.is_not(None))
    deleted = await changed_rows(
        session,
        delete(OutboxMessage).where(
            OutboxMessage.booking_id.in_(anonymised),
            OutboxMessage.status != PENDING,
        ),
    )
    await session.execute(
        delete(PushSubscription).where(
            PushSubscription.booking_id.in_(anonymised),
            PushSubscription.booking_id.not_in(_waiting_messages()),
        )
    )
    return deleted
