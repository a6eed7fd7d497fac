"""Importing busy time: each read calendar's changes become the desk's absences.

Network first, database after: the changes are fetched (RFC 6578 sync-collection from
the stored token, or a full listing compared by ETag) outside any transaction, then one
write transaction stores the raw objects by href and ETag and replaces the absences
expanded from each changed object. The stored objects are re-expanded without asking the
server when the booking horizon moves on (daily).

Absences never cancel bookings: those now under an imported absence are reported
(`conflicts`) so staff can call the citizen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.calendar_sync import busy
from app.calendar_sync.client import (
    CalendarError,
    CalendarRefused,
    Changes,
    TokenRefused,
    fetch_changes,
)
from app.calendar_sync.connections import account_of
from app.calendar_sync.credentials import CredentialsUnreadable
from app.calendar_sync.diagnose import explain
from app.db.models import (
    AppointmentType,
    BlockedInterval,
    Booking,
    CalendarConnection,
    CalendarObject,
    CalendarSource,
    Desk,
    DeskType,
)
from app.db.session import Database
from app.settings import Settings

log = logging.getLogger(__name__)

SOURCE = "calendar"
DEFAULT_HORIZON_DAYS = 60
# Unreachable this many times in a row: the connection is flagged to staff.
FAILURES_BEFORE_FLAG = 3


@dataclass(frozen=True)
class Conflict:
    booking_id: int
    reference: str
    desk_name: str
    start: datetime
    end: datetime
    absence: str


@dataclass
class SyncReport:
    desk_id: int
    ok: bool = True
    message: str = ""
    changed: int = 0
    deleted: int = 0
    full: bool = False
    conflicts: list[Conflict] = field(default_factory=list)
    # Bookings whose calendar event was enqueued again (`channel.owed_publications`).
    republished: int = 0


async def horizon_days(session: AsyncSession, desk_id: int) -> int:
    days = (
        await session.execute(
            select(func.max(AppointmentType.horizon_days))
            .join(DeskType, DeskType.type_id == AppointmentType.id)
            .where(DeskType.desk_id == desk_id)
        )
    ).scalar()
    return days or DEFAULT_HORIZON_DAYS


def _window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """From yesterday (past absences matter to no one) to the end of the horizon and a
    day, so the daily move needs a re-expansion only once a day."""
    return now - timedelta(days=1), now + timedelta(days=days + 1)


def _own_uid(settings: Settings) -> Callable[[str], bool]:
    suffix = "@" + settings.uid_domain
    return lambda uid: uid.endswith(suffix)


def _absences(
    obj: CalendarObject,
    connection: CalendarConnection,
    tz: ZoneInfo,
    window: tuple[datetime, datetime],
    settings: Settings,
) -> list[BlockedInterval]:
    try:
        calendar = busy.parse(obj.data)
        periods = busy.busy_periods(
            calendar,
            tz=tz,
            window_start=window[0],
            window_end=window[1],
            all_busy=connection.all_busy,
            agent_emails=[connection.agent_email, connection.username],
            own_uid=_own_uid(settings),
        )
    except Exception:  # one unreadable object must not stop the others
        log.warning("calendar object %s could not be read; ignored", obj.href)
        return []
    return [
        BlockedInterval(
            desk_id=connection.desk_id,
            start=period.start,
            end=period.end,
            label=period.label,
            source=SOURCE,
            calendar_object_id=obj.id,
        )
        for period in periods
    ]


async def _apply(
    session: AsyncSession,
    connection: CalendarConnection,
    source: CalendarSource,
    changes: Changes,
    tz: ZoneInfo,
    window: tuple[datetime, datetime],
    settings: Settings,
) -> tuple[int, int]:
    reexpand_all = source.expanded_until is None or source.expanded_until < window[1] - timedelta(
        days=1
    )
    # Only the objects this sync touches are loaded, unless the horizon moved (then all):
    # an incremental sync costs in proportion to the changes.
    query = select(CalendarObject).where(CalendarObject.source_id == source.id)
    if not reexpand_all:
        touched_hrefs = [obj.href for obj in changes.upserts] + list(changes.deleted)
        query = query.where(CalendarObject.href.in_(touched_hrefs))
    stored = {obj.href: obj for obj in (await session.execute(query)).scalars()}
    gone_ids = [stored.pop(href).id for href in changes.deleted if href in stored]
    if gone_ids:
        await session.execute(
            delete(BlockedInterval).where(BlockedInterval.calendar_object_id.in_(gone_ids))
        )
        await session.execute(delete(CalendarObject).where(CalendarObject.id.in_(gone_ids)))

    touched: list[CalendarObject] = []
    for remote in changes.upserts:
        obj = stored.get(remote.href)
        if obj is None:
            obj = CalendarObject(source_id=source.id, href=remote.href)
            session.add(obj)
            stored[remote.href] = obj
        obj.etag, obj.data = remote.etag, remote.data
        touched.append(obj)
    await session.flush()

    to_expand = list(stored.values()) if reexpand_all else touched
    if to_expand:
        await session.execute(
            delete(BlockedInterval).where(
                BlockedInterval.calendar_object_id.in_([obj.id for obj in to_expand])
            )
        )
        for obj in to_expand:
            session.add_all(_absences(obj, connection, tz, window, settings))
    source.sync_token = changes.sync_token
    source.expanded_until = window[1]
    return len(touched), len(gone_ids)


async def conflicts(
    session: AsyncSession, now: datetime, desk_id: int | None = None
) -> list[Conflict]:
    """Confirmed future bookings that an imported absence now overlaps."""
    query = (
        select(Booking, BlockedInterval.label, Desk.name)
        .join(
            BlockedInterval,
            (BlockedInterval.desk_id == Booking.desk_id)
            & (BlockedInterval.start < Booking.end)
            & (BlockedInterval.end > Booking.start),
        )
        .join(Desk, Desk.id == Booking.desk_id)
        .where(
            BlockedInterval.source == SOURCE,
            Booking.status == "confirmed",
            Booking.end > now,
        )
        .order_by(Booking.start, Booking.id)
    )
    if desk_id is not None:
        query = query.where(Booking.desk_id == desk_id)
    found: dict[int, Conflict] = {}
    for booking, label, desk_name in (await session.execute(query)).all():
        found.setdefault(
            booking.id,
            Conflict(booking.id, booking.reference, desk_name, booking.start, booking.end, label),
        )
    return list(found.values())


async def _record_failure(
    db: Database, connection_id: int, message: str, *, permanent: bool
) -> None:
    async with db.write() as session:
        connection = await session.get(CalendarConnection, connection_id)
        if connection is None:  # deleted with its desk meanwhile
            return
        connection.consecutive_failures += 1
        connection.last_error = message
        if permanent or connection.consecutive_failures >= FAILURES_BEFORE_FLAG:
            connection.status = "failing"


async def _known_etags(db: Database, source_id: int) -> dict[str, str]:
    async with db.read() as session:
        rows = await session.execute(
            select(CalendarObject.href, CalendarObject.etag).where(
                CalendarObject.source_id == source_id
            )
        )
        return dict(rows.all())


async def sync_connection(
    db: Database, settings: Settings, connection_id: int, now: datetime
) -> SyncReport:
    async with db.read() as session:
        connection = (
            await session.execute(
                select(CalendarConnection)
                .where(CalendarConnection.id == connection_id)
                .options(
                    selectinload(CalendarConnection.sources),
                    selectinload(CalendarConnection.desk).selectinload(Desk.site),
                )
            )
        ).scalar_one()
        days = await horizon_days(session, connection.desk_id)
    report = SyncReport(desk_id=connection.desk_id)
    tz = ZoneInfo(connection.desk.site.timezone)
    window = _window(now, days)
    try:
        account = account_of(connection, settings)
    except CredentialsUnreadable:
        report.ok, report.message = (
            False,
            (
                "Le mot de passe enregistré ne peut plus être lu (la clé secrète a changé) : "
                "saisissez-le à nouveau."
            ),
        )
        await _record_failure(db, connection.id, report.message, permanent=True)
        return report

    fetched: list[tuple[int, Changes]] = []
    try:
        for source in connection.sources:
            try:
                known = None if source.sync_token else await _known_etags(db, source.id)
                changes = await asyncio.to_thread(
                    fetch_changes, account, source.url, source.sync_token, known
                )
            except TokenRefused:
                # A full listing compares ETags with what we hold: read them only now.
                known = await _known_etags(db, source.id)
                changes = await asyncio.to_thread(fetch_changes, account, source.url, None, known)
            fetched.append((source.id, changes))
    except CalendarError as problem:
        report.ok, report.message = False, explain(problem)
        await _record_failure(
            db, connection.id, report.message, permanent=isinstance(problem, CalendarRefused)
        )
        return report

    async with db.write() as session:
        live = await session.get(CalendarConnection, connection.id)
        if live is None:  # deleted with its desk meanwhile: nothing left to update
            return report
        for source_id, changes in fetched:
            stored = await session.get(CalendarSource, source_id)
            if stored is None:  # removed meanwhile
                continue
            changed, deleted = await _apply(session, live, stored, changes, tz, window, settings)
            report.changed += changed
            report.deleted += deleted
            report.full = report.full or changes.complete
        live.status, live.last_error, live.consecutive_failures = "ok", "", 0
        live.last_sync_at = now
        report.conflicts = await conflicts(session, now, connection.desk_id)
    return report


async def sync_all(db: Database, settings: Settings, now: datetime) -> list[SyncReport]:
    async with db.read() as session:
        ids = list(
            (
                await session.execute(
                    select(CalendarConnection.id)
                    .where(CalendarConnection.enabled.is_(True))
                    .order_by(CalendarConnection.id)
                )
            ).scalars()
        )
    return [await sync_connection(db, settings, connection_id, now) for connection_id in ids]
