"""Publishing bookings to the desk's calendar.

`publish_booking` brings the calendar in line with the booking as the database has it now,
whatever happened before (so a message delivered twice, late, or out of order does the
right thing):

- a confirmed booking without an event: create it (`PUT` + `If-None-Match: *`);
- a confirmed booking with an event: rewrite it (`PUT` + `If-Match` with the stored ETag) —
  a move, or a change of desk (then the old event is removed and a new one created);
- a cancelled booking with an event: remove it (`DELETE` + `If-Match`).

A 412 means someone changed or removed the event on the server: it is read again and
overwritten or re-created from the booking, and the drift is recorded for staff. The
database is the source of truth: nothing found on the server ever changes a booking.
Network calls happen outside any transaction; the href and ETag are stored after.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.calendar_sync import client
from app.calendar_sync.client import Account, CalendarRefused, PreconditionFailed
from app.calendar_sync.connections import account_of
from app.calendar_sync.desk_event import desk_calendar, object_name
from app.calendar_sync.diagnose import explain
from app.db.models import AppointmentType, Booking, CalendarConnection, PublishedEvent
from app.db.session import Database
from app.settings import Settings

CHANNEL = "caldav"


@dataclass(frozen=True)
class Outcome:
    action: str  # "created", "updated", "deleted", "nothing"
    drift: str = ""


async def _state(db: Database, booking_id: int):
    async with db.read() as session:
        booking = (
            await session.execute(
                select(Booking)
                .where(Booking.id == booking_id)
                .options(selectinload(Booking.type).selectinload(AppointmentType.site))
            )
        ).scalar()
        if booking is None:
            return None, None, None, None
        published = (
            await session.execute(
                select(PublishedEvent).where(PublishedEvent.booking_id == booking_id)
            )
        ).scalar()
        target = (
            await session.execute(
                select(CalendarConnection).where(
                    CalendarConnection.desk_id == booking.desk_id,
                    CalendarConnection.enabled.is_(True),
                )
            )
        ).scalar()
        previous = (
            await session.get(CalendarConnection, published.connection_id) if published else None
        )
        return booking, published, target, previous


def _url(account: Account, href: str) -> str:
    return client.join(account.url, href) if href.startswith("/") else href


def _create(account: Account, url: str, body: str) -> tuple[client.WriteResult, str]:
    try:
        return client.put_object(account, url, body, create=True), ""
    except PreconditionFailed:
        # Already there: an earlier attempt succeeded before we could record it, or the
        # name is taken. Either way the booking's version replaces it.
        remote = client.get_object(account, url)
        etag = remote.etag if remote else None
        result = client.put_object(account, url, body, etag=etag, create=etag is None)
        return result, ""


def _update(account: Account, url: str, body: str, etag: str) -> tuple[client.WriteResult, str]:
    try:
        return client.put_object(account, url, body, etag=etag), ""
    except PreconditionFailed:
        remote = client.get_object(account, url)
        if remote is None:
            drift = "L'évènement avait été supprimé de l'agenda ; il a été recréé."
            return client.put_object(account, url, body, create=True), drift
        drift = "L'évènement avait été modifié dans l'agenda ; il a été rétabli."
        return client.put_object(account, url, body, etag=remote.etag), drift


def _delete(account: Account, url: str, etag: str) -> str:
    try:
        if not client.delete_object(account, url, etag=etag):
            return "L'évènement avait déjà été supprimé de l'agenda."
        return ""
    except PreconditionFailed:
        remote = client.get_object(account, url)
        if remote is None:
            return "L'évènement avait déjà été supprimé de l'agenda."
        client.delete_object(account, url, etag=remote.etag)
        return "L'évènement avait été modifié dans l'agenda avant d'être supprimé."


async def _record(
    db: Database,
    booking_id: int,
    connection_id: int,
    now: datetime,
    *,
    href: str,
    etag: str,
    state: str,
    drift: str,
    sequence: int,
) -> None:
    async with db.write() as session:
        published = (
            await session.execute(
                select(PublishedEvent).where(PublishedEvent.booking_id == booking_id)
            )
        ).scalar()
        if published is None:
            published = PublishedEvent(booking_id=booking_id)
            session.add(published)
        published.connection_id = connection_id
        published.href, published.etag, published.state = href, etag, state
        published.sequence = sequence
        if drift:
            published.drift = f"{now:%d/%m/%Y %H:%M} UTC — {drift}"
        published.updated_at = now


async def _flag(db: Database, connection_id: int, message: str) -> None:
    async with db.write() as session:
        connection = await session.get(CalendarConnection, connection_id)
        if connection is not None:
            connection.status, connection.last_error = "failing", message


async def publish_booking(
    db: Database, settings: Settings, booking_id: int, now: datetime
) -> Outcome:
    """Makes the desk's calendar show the booking as it is now. Raises
    `CalendarUnreachable` (retry later) or `CalendarRefused` (the connection is flagged)."""
    booking, published, target, previous = await _state(db, booking_id)
    if booking is None:
        return Outcome("nothing")
    live = published is not None and published.state == "present"
    wanted = booking.status == "confirmed" and target is not None and target.publish_calendar_url
    try:
        # An event on another connection (the booking changed desk, or the desk's
        # calendar changed) is removed first.
        elsewhere = (
            live
            and wanted
            and (
                previous is None
                or previous.id != target.id
                or not published.href.startswith(client.href_of(target.publish_calendar_url))
            )
        )
        if live and (not wanted or elsewhere):
            if previous is not None:
                account = account_of(previous, settings)
                drift = await asyncio.to_thread(
                    _delete, account, _url(account, published.href), published.etag
                )
                await _record(
                    db, booking.id, previous.id, now,
                    href=published.href, etag="", state="deleted", drift=drift,
                    sequence=booking.sequence,
                )  # fmt: skip
            live = False
            if not wanted:
                return Outcome("deleted", drift if previous is not None else "")
        if not wanted:
            return Outcome("nothing")

        account = account_of(target, settings)
        body = desk_calendar(booking, now).to_ical().decode()
        if live:
            url = _url(account, published.href)
            result, drift = await asyncio.to_thread(_update, account, url, body, published.etag)
            action = "updated"
        else:
            url = client.join(target.publish_calendar_url, object_name(booking))
            result, drift = await asyncio.to_thread(_create, account, url, body)
            action = "created"
    except CalendarRefused as problem:
        await _flag(db, (target or previous).id, explain(problem))
        raise
    await _record(
        db, booking.id, target.id, now, href=result.href, etag=result.etag, state="present",
        drift=drift, sequence=booking.sequence,
    )  # fmt: skip
    return Outcome(action, drift)
