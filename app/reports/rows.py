"""Bookings as staff read them: one flat row each, times in the site's local zone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import AppointmentType, Booking, Desk, Site

STATUS_LABELS = {"confirmed": "Confirmé", "cancelled": "Annulé"}
ATTENDANCE_LABELS = {"attended": "Présent", "no_show": "Absent", None: ""}


@dataclass(frozen=True)
class BookingRow:
    reference: str
    start: datetime  # aware, in the site's zone
    end: datetime
    site: str
    desk: str
    type_title: str
    people: int
    last_name: str
    first_name: str
    email: str
    phone: str
    extra: tuple[tuple[str, str], ...]  # (label, value) of the type's extra fields
    status: str  # French label
    attendance: str  # French label, "" when not marked
    by_staff: bool
    created_at: datetime  # aware, in the site's zone
    cancelled_at: datetime | None
    cancelled_by: str  # "personnel", "usager", or "" when not cancelled
    anonymised: bool


def _extra(booking: Booking) -> tuple[tuple[str, str], ...]:
    labels = {
        field["name"]: field.get("label") or field["name"]
        for field in booking.type.extra_fields or []
    }
    return tuple(
        (labels.get(name, name), str(value))
        for name, value in (booking.extra or {}).items()
        if value
    )


def row_of(booking: Booking) -> BookingRow:
    site = booking.desk.site
    tz = ZoneInfo(site.timezone)
    return BookingRow(
        reference=booking.reference,
        start=booking.start.astimezone(tz),
        end=booking.end.astimezone(tz),
        site=site.name,
        desk=booking.desk.name,
        type_title=booking.type.title,
        people=booking.people,
        last_name=booking.last_name,
        first_name=booking.first_name,
        email=booking.email,
        phone=booking.phone,
        extra=_extra(booking),
        status=STATUS_LABELS.get(booking.status, booking.status),
        attendance=ATTENDANCE_LABELS.get(booking.attendance, booking.attendance or ""),
        by_staff=booking.by_staff,
        created_at=booking.created_at.astimezone(tz),
        cancelled_at=booking.cancelled_at.astimezone(tz) if booking.cancelled_at else None,
        cancelled_by=(
            ("personnel" if booking.cancelled_by_staff else "usager")
            if booking.status == "cancelled"
            else ""
        ),
        anonymised=booking.anonymised_at is not None,
    )


def _with_places(statement: Select[Booking]) -> Select[Booking]:
    return statement.options(
        selectinload(Booking.type),
        selectinload(Booking.desk).selectinload(Desk.site),
    ).order_by(Booking.start, Booking.id)


def local_span(first_day: date, last_day: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants from the start of `first_day` to the end of `last_day` in that zone."""
    tz = ZoneInfo(timezone)
    return (
        datetime.combine(first_day, time(0), tzinfo=tz),
        datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz),
    )


async def bookings_between(
    session: AsyncSession, first_day: date, last_day: date, site_ids: Iterable[int] | None
) -> list[BookingRow]:
    """Every booking (any status) whose appointment starts on those local days of its
    site, in the given sites (None: all), ordered by start."""
    sites = select(Site)
    if site_ids is not None:
        sites = sites.where(Site.id.in_(list(site_ids)))
    rows: list[BookingRow] = []
    for site in (await session.execute(sites.order_by(Site.position, Site.id))).scalars():
        start, end = local_span(first_day, last_day, site.timezone)
        statement = (
            select(Booking)
            .join(AppointmentType, AppointmentType.id == Booking.type_id)
            .where(AppointmentType.site_id == site.id, Booking.start >= start, Booking.start < end)
        )
        rows += [row_of(b) for b in (await session.execute(_with_places(statement))).scalars()]
    return sorted(rows, key=lambda row: (row.start, row.reference))


async def bookings_by_id(session: AsyncSession, ids: Iterable[int]) -> list[BookingRow]:
    statement = select(Booking).where(Booking.id.in_(list(ids)))
    return [row_of(b) for b in (await session.execute(_with_places(statement))).scalars()]
