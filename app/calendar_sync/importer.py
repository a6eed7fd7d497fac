"""Importing busy time: each read calendar's changes become the desk's absences.

Network first, database after, in short steps so that a large calendar never holds the
database's write lock for long (SQLite has one writer at a time, and citizens booking
are writers too): the changes are listed (RFC 6578 sync-collection from the stored token,
or a full listing compared by ETag) and downloaded by batches of `MULTIGET_BATCH` objects;
each batch is parsed and expanded outside any transaction, then written in one short
transaction (the raw objects by href and ETag, the absences they expand to). Deletions
follow, then the new sync token, last: a sync cut short keeps what it wrote, and the next
one resumes (a full listing skips the objects already stored with the same ETag). The
stored objects are re-expanded without asking the server when the booking horizon moves on
(daily), the same way.

Absences never cancel bookings: those now under an imported absence are reported
(`conflicts`) so staff can call the citizen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.calendar_sync import busy
from app.calendar_sync.client import (
    MULTIGET_BATCH,
    Account,
    CalendarError,
    CalendarRefused,
    Listing,
    RemoteObject,
    TokenRefused,
    download,
    href_of,
    list_changes,
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
    PublishedEvent,
)
from app.db.session import Database
from app.settings import Settings

log = logging.getLogger(__name__)

SOURCE = "calendar"
DEFAULT_HORIZON_DAYS = 60
# Unreachable this many times in a row: the connection is flagged to staff.
FAILURES_BEFORE_FLAG = 3
# Stored objects re-expanded (or deleted) per write transaction.
WRITE_BATCH = MULTIGET_BATCH

# What a sync is doing, in French, for whoever waits for it (`creneau sync-calendars`).
Progress = Callable[[str], None]


def _silent(_message: str) -> None:
    return None


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
    # Published events found changed or removed on the server since the last sync:
    # (booking id, what was found); `jobs.calendar_pass` restores them.
    drifted: list[int] = field(default_factory=list)
    # (booking reference, the drift recorded) once restored.
    restored: list[tuple[str, str]] = field(default_factory=list)


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


@dataclass(frozen=True)
class _Expansion:
    """What an object's busy time is computed from (all plain values: it runs in a
    thread, outside any transaction)."""

    tz: ZoneInfo
    window: tuple[datetime, datetime]
    all_busy: bool
    agent_emails: tuple[str, ...]
    own_uid: Callable[[str], bool]

    def periods(self, href: str, data: str) -> list[busy.BusyPeriod]:
        try:
            return busy.busy_periods(
                busy.parse(data),
                tz=self.tz,
                window_start=self.window[0],
                window_end=self.window[1],
                all_busy=self.all_busy,
                agent_emails=list(self.agent_emails),
                own_uid=self.own_uid,
            )
        except Exception:  # one unreadable object must not stop the others
            log.warning("calendar object %s could not be read; ignored", href)
            return []

    def expand(self, objects: Sequence[tuple[str, str]]) -> dict[str, list[busy.BusyPeriod]]:
        return {href: self.periods(href, data) for href, data in objects}


def _intervals(
    desk_id: int, object_id: int, periods: list[busy.BusyPeriod]
) -> list[BlockedInterval]:
    return [
        BlockedInterval(
            desk_id=desk_id,
            start=period.start,
            end=period.end,
            label=period.label,
            source=SOURCE,
            calendar_object_id=object_id,
        )  # fmt: skip
        for period in periods
    ]


async def _store_batch(
    db: Database, desk_id: int, source_id: int, batch: list[RemoteObject],
    periods: dict[str, list[busy.BusyPeriod]],
) -> bool:  # fmt: skip
    """One short write: the batch's objects (created or replaced) and their absences.
    False when the calendar was removed from the connection meanwhile."""
    async with db.write() as session:
        if await session.get(CalendarSource, source_id) is None:
            return False
        stored = {
            obj.href: obj
            for obj in (
                await session.execute(
                    select(CalendarObject).where(
                        CalendarObject.source_id == source_id,
                        CalendarObject.href.in_([remote.href for remote in batch]),
                    )
                )
            ).scalars()
        }
        for remote in batch:
            obj = stored.get(remote.href)
            if obj is None:
                obj = CalendarObject(source_id=source_id, href=remote.href)
                session.add(obj)
                stored[remote.href] = obj
            obj.etag, obj.data = remote.etag, remote.data
        await session.flush()
        ids = [obj.id for obj in stored.values()]
        await session.execute(
            delete(BlockedInterval).where(BlockedInterval.calendar_object_id.in_(ids))
        )
        for remote in batch:
            session.add_all(_intervals(desk_id, stored[remote.href].id, periods[remote.href]))
    return True


async def _delete_gone(db: Database, source_id: int, hrefs: list[str]) -> int:
    gone = 0
    for offset in range(0, len(hrefs), WRITE_BATCH):
        async with db.write() as session:
            ids = list(
                (
                    await session.execute(
                        select(CalendarObject.id).where(
                            CalendarObject.source_id == source_id,
                            CalendarObject.href.in_(hrefs[offset : offset + WRITE_BATCH]),
                        )
                    )
                ).scalars()
            )
            if ids:
                await session.execute(
                    delete(BlockedInterval).where(BlockedInterval.calendar_object_id.in_(ids))
                )
                await session.execute(delete(CalendarObject).where(CalendarObject.id.in_(ids)))
            gone += len(ids)
    return gone


async def _reexpand(
    db: Database, desk_id: int, source_id: int, expansion: _Expansion, skip: set[str]
) -> None:
    """Expands the stored objects again for a new window: read a page, expand it outside
    any transaction, write it in one short transaction."""
    last_id = 0
    while True:
        async with db.read() as session:
            rows = (
                await session.execute(
                    select(CalendarObject.id, CalendarObject.href, CalendarObject.data)
                    .where(CalendarObject.source_id == source_id, CalendarObject.id > last_id)
                    .order_by(CalendarObject.id)
                    .limit(WRITE_BATCH)
                )
            ).all()
        if not rows:
            return
        last_id = rows[-1].id
        page = [(row.id, row.href, row.data) for row in rows if row.href not in skip]
        periods = await asyncio.to_thread(
            expansion.expand, [(href, data) for _id, href, data in page]
        )
        async with db.write() as session:
            ids = [object_id for object_id, _href, _data in page]
            await session.execute(
                delete(BlockedInterval).where(BlockedInterval.calendar_object_id.in_(ids))
            )
            for object_id, href, _data in page:
                session.add_all(_intervals(desk_id, object_id, periods[href]))


async def _sync_source(
    db: Database, account: Account, desk_id: int, source: CalendarSource,
    expansion: _Expansion, report: SyncReport, say: Progress,
) -> Listing:  # fmt: skip
    """Brings one read calendar's stored objects and absences in line with the server."""
    known = None if source.sync_token else await _known_etags(db, source.id)
    if known is not None:
        say(f"Lecture complète de l'agenda {source.url} (la première fois, un grand agenda "
            "peut prendre plusieurs minutes)…")  # fmt: skip
    try:
        listing = await asyncio.to_thread(
            list_changes, account, source.url, source.sync_token, known
        )
    except TokenRefused:
        # A full listing compares ETags with what we hold: read them only now.
        known = await _known_etags(db, source.id)
        say(f"Jeton de synchronisation refusé : lecture complète de l'agenda {source.url}…")
        listing = await asyncio.to_thread(list_changes, account, source.url, None, known)
    report.full = report.full or listing.complete

    # What the listing already carried, then what has to be downloaded, batch by batch.
    loaded = [
        obj
        for href, obj in listing.loaded.items()
        if not listing.complete or (known or {}).get(href) != obj.etag or not obj.etag
    ]
    hrefs = listing.to_download(known)
    total, done = len(loaded) + len(hrefs), 0
    if total > 1:
        say(f"{total} évènement(s) à lire.")
    touched: set[str] = set()

    async def store(remote: list[RemoteObject], count: int) -> bool:
        nonlocal done
        periods = await asyncio.to_thread(
            expansion.expand, [(obj.href, obj.data) for obj in remote]
        )
        if remote and not await _store_batch(db, desk_id, source.id, remote, periods):
            return False  # the calendar was removed from the connection meanwhile
        touched.update(obj.href for obj in remote)
        done += count
        report.changed += len(remote)
        if total > MULTIGET_BATCH:
            say(f"{done}/{total} évènements lus et enregistrés.")
        return True

    for offset in range(0, len(loaded), WRITE_BATCH):
        if not await store(
            loaded[offset : offset + WRITE_BATCH], len(loaded[offset : offset + WRITE_BATCH])
        ):
            return listing
    for offset in range(0, len(hrefs), MULTIGET_BATCH):
        wanted = hrefs[offset : offset + MULTIGET_BATCH]
        remote = await asyncio.to_thread(download, account, source.url, wanted)
        if not await store(remote, len(wanted)):
            return listing
    report.deleted += await _delete_gone(db, source.id, listing.deleted)

    window_end = expansion.window[1]
    if source.expanded_until is None or source.expanded_until < window_end - timedelta(days=1):
        await _reexpand(db, desk_id, source.id, expansion, touched)
    async with db.write() as session:
        stored = await session.get(CalendarSource, source.id)
        if stored is not None:  # removed meanwhile
            stored.sync_token = listing.sync_token
            stored.expanded_until = window_end
    return listing


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


async def _published(db: Database, connection_id: int, now: datetime) -> dict[str, tuple[int, str]]:
    """href → (booking id, ETag we last wrote) of the events of bookings still to come
    that this connection published."""
    async with db.read() as session:
        rows = await session.execute(
            select(PublishedEvent.href, PublishedEvent.booking_id, PublishedEvent.etag)
            .join(Booking, Booking.id == PublishedEvent.booking_id)
            .where(
                PublishedEvent.connection_id == connection_id,
                PublishedEvent.state == "present",
                Booking.end > now,
            )
        )
        return {href: (booking_id, etag) for href, booking_id, etag in rows.all()}


def _drifted(published: dict[str, tuple[int, str]], listing: Listing) -> list[int]:
    """The bookings whose event the listing shows changed (another ETag than the one we
    wrote) or removed by someone else."""
    deleted = set(listing.deleted)
    found = []
    for href, (booking_id, etag) in published.items():
        removed = href in deleted or (listing.complete and href not in listing.etags)
        changed = bool(listing.etags.get(href)) and listing.etags[href] != etag
        if removed or changed:
            found.append(booking_id)
    return sorted(found)


async def _publish_listing(
    db: Database, account: Account, connection: CalendarConnection, now: datetime
) -> tuple[Listing, dict[str, tuple[int, str]]]:
    """The changes of the publishing calendar when it is not also read for absences (hrefs
    and ETags only: nothing is downloaded), from its own sync token."""
    published = await _published(db, connection.id, now)
    known = {href: etag for href, (_booking, etag) in published.items()}
    url, token = connection.publish_calendar_url, connection.publish_sync_token
    try:
        listing = await asyncio.to_thread(list_changes, account, url, token, None)
    except TokenRefused:
        listing = await asyncio.to_thread(list_changes, account, url, None, known)
    return listing, published


async def sync_connection(
    db: Database,
    settings: Settings,
    connection_id: int,
    now: datetime,
    progress: Progress | None = None,
) -> SyncReport:
    """Imports the connection's read calendars, and finds the published events someone
    changed or removed on the server (`SyncReport.drifted`, restored by the caller)."""
    say = progress or _silent
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
    expansion = _Expansion(
        tz=ZoneInfo(connection.desk.site.timezone),
        window=_window(now, days),
        all_busy=connection.all_busy,
        agent_emails=(connection.agent_email, connection.username),
        own_uid=_own_uid(settings),
    )
    publish_href = href_of(connection.publish_calendar_url)
    try:
        for source in connection.sources:
            publishes = (
                bool(connection.publish_calendar_url) and href_of(source.url) == publish_href
            )
            published = await _published(db, connection.id, now) if publishes else {}
            listing = await _sync_source(db, account, connection.desk_id, source, expansion,
                                         report, say)  # fmt: skip
            if publishes:
                report.drifted = _drifted(published, listing)
                publish_href = ""  # done
        publish_token = connection.publish_sync_token
        if connection.publish_calendar_url and publish_href:
            listing, published = await _publish_listing(db, account, connection, now)
            report.drifted = _drifted(published, listing)
            publish_token = listing.sync_token
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
        live.status, live.last_error, live.consecutive_failures = "ok", "", 0
        live.last_sync_at = now
        if live.publish_calendar_url == connection.publish_calendar_url:
            live.publish_sync_token = publish_token
    async with db.read() as session:
        report.conflicts = await conflicts(session, now, connection.desk_id)
    return report


async def sync_all(
    db: Database, settings: Settings, now: datetime, progress: Progress | None = None
) -> list[SyncReport]:
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
    return [
        await sync_connection(db, settings, connection_id, now, progress) for connection_id in ids
    ]
