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
from app.calendar_sync.desk_event import chosen_details, desk_calendar, object_name
from app.calendar_sync.diagnose import explain
from app.db.models import AppointmentType, Booking, CalendarConnection, PublishedEvent
from app.db.session import Database
from app.settings import Settings

CHANNEL = "caldav"


@dataclass(frozen=True)
class Outcome:
    action: str  # "created", "updated", "deleted", "nothing"
    drift: str = ""


@dataclass(frozen=True)
class _State:
    booking: Booking
    published: PublishedEvent | None
    # The desk's enabled connection, and the one the event was published through.
    target: CalendarConnection | None
    previous: CalendarConnection | None
    # What the commune chose the agents' events to say about the person.
    details: str


async def _state(db: Database, booking_id: int) -> _State | None:
    async with db.read() as session:
        booking = (
            await session.execute(
                select(Booking)
                .where(Booking.id == booking_id)
                .options(selectinload(Booking.type).selectinload(AppointmentType.site))
            )
        ).scalar()
        if booking is None:
            return None
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
        details = await chosen_details(session, booking.type.site.commune_id)
        return _State(booking, published, target, previous, details)


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
        # The server took the write: a connection flagged « en échec » by earlier
        # publishing failures is in service again (an import that fails flags it again).
        connection = await session.get(CalendarConnection, connection_id)
        if connection is not None and connection.status == "failing":
            connection.status, connection.last_error = "ok", ""


async def _flag(db: Database, connection_id: int, message: str) -> None:
    async with db.write() as session:
        connection = await session.get(CalendarConnection, connection_id)
        if connection is not None:
            connection.status, connection.last_error = "failing", message


def _destination(
    booking: Booking, connection: CalendarConnection | None
) -> CalendarConnection | None:
    """The connection whose calendar should show the booking: the desk's, while the
    booking stands and the desk publishes."""
    if booking.status != "confirmed" or connection is None or not connection.publish_calendar_url:
        return None
    return connection


def _elsewhere(
    live: PublishedEvent, previous: CalendarConnection | None, target: CalendarConnection
) -> bool:
    """Whether the event lives on another connection or calendar than the desk's."""
    return (
        previous is None
        or previous.id != target.id
        or not live.href.startswith(client.href_of(target.publish_calendar_url))
    )


async def _remove(
    db: Database,
    settings: Settings,
    booking: Booking,
    live: PublishedEvent,
    connection: CalendarConnection,
    now: datetime,
) -> str:
    """Deletes the event from the connection it was published through; returns the drift."""
    account = account_of(connection, settings)
    try:
        drift = await asyncio.to_thread(_delete, account, _url(account, live.href), live.etag)
    except CalendarRefused as problem:
        await _flag(db, connection.id, explain(problem))
        raise
    await _record(
        db, booking.id, connection.id, now,
        href=live.href, etag="", state="deleted", drift=drift, sequence=booking.sequence,
    )  # fmt: skip
    return drift


async def _write(
    db: Database,
    settings: Settings,
    booking: Booking,
    live: PublishedEvent | None,
    target: CalendarConnection,
    now: datetime,
    details: str,
) -> Outcome:
    """Creates the event on the desk's calendar, or rewrites the one already there."""
    account = account_of(target, settings)
    body = desk_calendar(booking, now, details).to_ical().decode()
    try:
        if live is not None:
            url = _url(account, live.href)
            result, drift = await asyncio.to_thread(_update, account, url, body, live.etag)
            action = "updated"
        else:
            url = client.join(target.publish_calendar_url, object_name(booking))
            result, drift = await asyncio.to_thread(_create, account, url, body)
            action = "created"
    except CalendarRefused as problem:
        await _flag(db, target.id, explain(problem))
        raise
    await _record(
        db, booking.id, target.id, now, href=result.href, etag=result.etag, state="present",
        drift=drift, sequence=booking.sequence,
    )  # fmt: skip
    return Outcome(action, drift)


async def publish_booking(
    db: Database, settings: Settings, booking_id: int, now: datetime
) -> Outcome:
    """Makes the desk's calendar show the booking as it is now. Raises
    `CalendarUnreachable` (retry later) or `CalendarRefused` (the connection whose server
    refused is flagged)."""
    state = await _state(db, booking_id)
    if state is None:
        return Outcome("nothing")
    booking, published, previous = state.booking, state.published, state.previous
    live = published if published is not None and published.state == "present" else None
    target = _destination(booking, state.target)
    # An event on another connection (the booking changed desk, or the desk's calendar
    # changed) is removed first.
    if live is not None and (target is None or _elsewhere(live, previous, target)):
        drift = ""
        if previous is not None:
            drift = await _remove(db, settings, booking, live, previous, now)
        live = None
        if target is None:
            return Outcome("deleted", drift)
    if target is None:
        return Outcome("nothing")
    return await _write(db, settings, booking, live, target, now, state.details)
