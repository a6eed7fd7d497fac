"""The retention job: personal data of bookings whose appointment ended more than the
commune's retention period ago are anonymised (`anonymise`), a batch per transaction; then
the development mailbox's files (messages written when no SMTP server is configured) of
anonymised bookings are deleted, with those about no booking once older than the period
(`retention_pass` does both: the worker's daily job and `creneau purge-personal-data`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AppointmentType, Booking, Commune, Site
from app.db.session import Database
from app.gdpr.anonymise import anonymise, delete_delivered_messages
from app.notifications import mailbox
from app.staff.audit import record

BATCH = 200
MIN_DAYS, MAX_DAYS = 30, 3650


async def due_bookings(session: AsyncSession, now: datetime, limit: int = BATCH) -> list[int]:
    """Bookings past their commune's retention period and not yet anonymised."""
    ids: list[int] = []
    communes = (await session.execute(select(Commune.id, Commune.retention_days))).all()
    for commune_id, days in communes:
        cutoff = now - timedelta(days=max(days, MIN_DAYS))
        ids += (
            await session.execute(
                select(Booking.id)
                .join(AppointmentType, AppointmentType.id == Booking.type_id)
                .join(Site, Site.id == AppointmentType.site_id)
                .where(
                    Site.commune_id == commune_id,
                    Booking.anonymised_at.is_(None),
                    Booking.end < cutoff,
                )
                .order_by(Booking.id)
                .limit(limit - len(ids))
            )
        ).scalars()
        if len(ids) >= limit:
            break
    return ids


async def purge_personal_data(db: Database, now: datetime) -> int:
    """One pass; returns how many bookings were anonymised."""
    total = 0
    while True:
        async with db.write() as session:
            ids = await due_bookings(session, now)
            if not ids:
                await delete_delivered_messages(session)
                return total
            count = await anonymise(session, ids, now)
            total += count
            await record(
                session,
                None,
                "rgpd_conservation_auto",
                "bookings",
                f"Effacement automatique des données personnelles de {count} rendez-vous "
                "passés depuis plus que la durée de conservation",
                {"booking_ids": ids},
                now=now,
            )


async def erase_mailbox(db: Database, directory: Path, now: datetime) -> int:
    """Deletes the mailbox files of anonymised bookings, and those about no booking older
    than the shortest retention period; returns how many."""
    named = sorted(mailbox.booking_ids(directory))
    anonymised: set[int] = set()
    existing: set[int] = set()
    async with db.read() as session:
        for start in range(0, len(named), 500):
            rows = await session.execute(
                select(Booking.id, Booking.anonymised_at).where(
                    Booking.id.in_(named[start : start + 500])
                )
            )
            for booking_id, anonymised_at in rows:
                existing.add(booking_id)
                if anonymised_at is not None:
                    anonymised.add(booking_id)
        shortest = (await session.execute(select(func.min(Commune.retention_days)))).scalar()
    days = max(shortest if shortest is not None else MIN_DAYS, MIN_DAYS)
    return mailbox.erase(
        directory,
        anonymised=anonymised,
        existing=existing,
        unattached_before=now - timedelta(days=days),
    )


@dataclass(frozen=True)
class RetentionPass:
    bookings: int  # anonymised now
    mailbox_files: int  # development mailbox files deleted


async def retention_pass(db: Database, now: datetime, mailbox_dir: Path) -> RetentionPass:
    """The whole retention job: the database, then the development mailbox's files."""
    bookings = await purge_personal_data(db, now)
    return RetentionPass(bookings, await erase_mailbox(db, mailbox_dir, now))


class InvalidRetention(ValueError):
    """The retention period typed is not a whole number of days in range (French)."""


def parse_retention_days(text: str) -> int:
    value = (text or "").strip()
    if not value:
        raise InvalidRetention("Indiquez la durée de conservation en jours.")
    if not (value.isascii() and value.isdigit()):
        raise InvalidRetention("La durée de conservation est un nombre entier de jours.")
    days = int(value)
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise InvalidRetention(
            f"La durée de conservation doit être comprise entre {MIN_DAYS} et {MAX_DAYS} jours."
        )
    return days


async def current_retention(session: AsyncSession) -> tuple[int, int] | None:
    """(commune id, retention days) of this installation's commune."""
    row = (
        await session.execute(
            select(Commune.id, Commune.retention_days).order_by(Commune.id).limit(1)
        )
    ).first()
    return (row.id, row.retention_days) if row else None


async def set_retention(session: AsyncSession, commune_id: int, days: int) -> int:
    """Stores the period; returns the previous one."""
    commune = await session.get(Commune, commune_id, with_for_update=True)
    assert commune is not None
    previous, commune.retention_days = commune.retention_days, days
    return previous
