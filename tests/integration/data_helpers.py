"""Bookings written straight into the database for the export, statistics and GDPR tests:
the demo commune plus bookings at chosen times, with chosen people and outcomes."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import AppointmentType, Booking
from app.db.session import Database
from app.demo import load_demo
from app.settings import Settings
from tests.days import TODAY

PARIS = ZoneInfo("Europe/Paris")
T = TypeVar("T")


def run_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def go() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def seed_demo(settings: Settings, today: date = TODAY) -> None:
    """The demo commune as the application loads it on a first start at the suite's
    instant."""
    run_db(settings, lambda db: load_demo(db, today))


async def type_by_slug(session: AsyncSession, slug: str) -> AppointmentType:
    return (
        await session.execute(
            select(AppointmentType)
            .where(AppointmentType.slug == slug)
            .options(selectinload(AppointmentType.desks), selectinload(AppointmentType.site))
        )
    ).scalar_one()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


async def add_booking(
    session: AsyncSession,
    slug: str,
    start: datetime,
    *,
    people: int = 1,
    last_name: str = "Dupont",
    first_name: str = "Camille",
    email: str = "camille.dupont@example.org",
    phone: str = "+33612345678",
    extra: dict[str, str] | None = None,
    status: str = "confirmed",
    attendance: str | None = None,
    by_staff: bool = False,
    created_at: datetime | None = None,
) -> Booking:
    appointment_type = await type_by_slug(session, slug)
    minutes = appointment_type.slot_minutes * (
        people if appointment_type.duration_per_person else 1
    )
    created = created_at or start - timedelta(days=7)
    booking = Booking(
        reference=f"RDV-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
        uid=f"{secrets.token_hex(16)}@creneau.invalid",
        sequence=0,
        status=status,
        type_id=appointment_type.id,
        desk_id=appointment_type.desks[0].id,
        start=start.astimezone(UTC),
        end=(start + timedelta(minutes=minutes)).astimezone(UTC),
        people=people,
        last_name=last_name,
        first_name=first_name,
        email=email,
        phone=phone,
        extra=extra or {},
        idempotency_key=secrets.token_hex(16),
        created_at=created.astimezone(UTC),
        by_staff=by_staff,
        cancelled_at=created.astimezone(UTC) + timedelta(hours=1)
        if status == "cancelled"
        else None,
        attendance=attendance,
    )
    session.add(booking)
    await session.flush()
    return booking


def write(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def go(db: Database) -> T:
        async with db.write() as session:
            return await work(session)

    return run_db(settings, go)


def read(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def go(db: Database) -> T:
        async with db.read() as session:
            return await work(session)

    return run_db(settings, go)


def one_booking(settings: Settings, **fields: Any) -> int:
    async def work(session: AsyncSession) -> int:
        return (await add_booking(session, **fields)).id

    return write(settings, work)
