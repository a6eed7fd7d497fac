"""The agents' planning: a site's (or one desk's) bookings, absences, closures and free
places, day by day. Free places come from the availability engine, as staff see them (the
places kept for staff count as free), one query per appointment type of the site."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.availability import free_slots
from app.booking.planning import build_query, public_holidays
from app.db.models import (
    AppointmentType,
    BlockedInterval,
    Booking,
    Closure,
    Commune,
    Desk,
    Site,
)

HOLIDAY = "Jour férié"


@dataclass(frozen=True)
class Absence:
    desk_name: str
    start: datetime  # local
    end: datetime
    label: str


@dataclass(frozen=True)
class FreeSlot:
    start: datetime  # local
    end: datetime
    places: int  # people (or desks, when one appointment takes a whole desk)


@dataclass(frozen=True)
class TypeFreeSlots:
    title: str
    slots: tuple[FreeSlot, ...]

    @property
    def places(self) -> int:
        return sum(slot.places for slot in self.slots)


@dataclass
class AgendaDay:
    day: date
    closed: str = ""  # why the site is closed that day ("" when open)
    bookings: list[Booking] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)
    free: list[TypeFreeSlots] = field(default_factory=list)

    @property
    def active_bookings(self) -> list[Booking]:
        return [booking for booking in self.bookings if booking.status == "confirmed"]


async def visible_sites(session: AsyncSession, site_ids: set[int] | None) -> list[Site]:
    """The sites a member of staff may see (None: all), with their desks, in the commune's
    order."""
    query = select(Site).options(selectinload(Site.desks)).order_by(Site.position, Site.id)
    if site_ids is not None:
        query = query.where(Site.id.in_(site_ids or {0}))
    return list((await session.execute(query)).scalars())


def local_span(first_day: date, last_day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """From the first day's local midnight to the midnight after the last day."""
    return (
        datetime.combine(first_day, time(0), tzinfo=tz),
        datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz),
    )


async def load_agenda(
    session: AsyncSession,
    site: Site,
    desk: Desk | None,
    first_day: date,
    last_day: date,
    now: datetime,
) -> list[AgendaDay]:
    """One AgendaDay per local day from `first_day` to `last_day`, for the site's desks or
    for `desk` alone (one of the site's)."""
    tz = ZoneInfo(site.timezone)
    desks = [desk] if desk is not None else list(site.desks)
    desk_ids = [d.id for d in desks]
    names = {d.id: d.name for d in desks}
    span_start, span_end = local_span(first_day, last_day, tz)
    days = {
        first_day + timedelta(days=n): AgendaDay(first_day + timedelta(days=n))
        for n in range((last_day - first_day).days + 1)
    }

    subdivision = (
        await session.execute(
            select(Commune.holiday_subdivision).where(Commune.id == site.commune_id)
        )
    ).scalar() or ""
    holidays = public_holidays(subdivision, first_day.year, last_day.year)
    closures = (
        await session.execute(
            select(Closure).where(
                Closure.site_id == site.id,
                Closure.last_day >= first_day,
                Closure.first_day <= last_day,
            )
        )
    ).scalars()
    for closure in closures:
        for day, agenda_day in days.items():
            if closure.first_day <= day <= closure.last_day:
                agenda_day.closed = closure.label or "Fermé"
    for day, agenda_day in days.items():
        if day in holidays and not agenda_day.closed:
            agenda_day.closed = HOLIDAY

    bookings = (
        await session.execute(
            select(Booking)
            .where(
                Booking.desk_id.in_(desk_ids or [0]),
                Booking.start >= span_start,
                Booking.start < span_end,
            )
            .options(selectinload(Booking.type), selectinload(Booking.desk))
            .order_by(Booking.start, Booking.desk_id, Booking.id)
        )
    ).scalars()
    for booking in bookings:
        days[booking.start.astimezone(tz).date()].bookings.append(booking)

    absences = (
        await session.execute(
            select(BlockedInterval)
            .where(
                BlockedInterval.desk_id.in_(desk_ids or [0]),
                BlockedInterval.end > span_start,
                BlockedInterval.start < span_end,
            )
            .order_by(BlockedInterval.start, BlockedInterval.desk_id)
        )
    ).scalars()
    for absence in absences:
        for day, agenda_day in days.items():
            day_start, day_end = local_span(day, day, tz)
            if absence.start < day_end and absence.end > day_start:
                agenda_day.absences.append(
                    Absence(
                        names[absence.desk_id],
                        absence.start.astimezone(tz),
                        absence.end.astimezone(tz),
                        absence.label,
                    )
                )

    for appointment_type in await _types_served(session, site, desk_ids):
        query = await build_query(
            session, appointment_type, 1, now, first_day, last_day, for_staff=True
        )
        if desk is not None:
            query = replace(query, desk_ids=(desk.id,))
        by_day: dict[date, list[FreeSlot]] = {}
        for slot in free_slots(query):
            start = slot.start.astimezone(tz)
            by_day.setdefault(start.date(), []).append(
                FreeSlot(start, slot.end.astimezone(tz), slot.places)
            )
        for day, slots in by_day.items():
            if day in days:
                days[day].free.append(TypeFreeSlots(appointment_type.title, tuple(slots)))
    return list(days.values())


async def _types_served(
    session: AsyncSession, site: Site, desk_ids: list[int]
) -> list[AppointmentType]:
    """The site's active types that at least one of these desks serves."""
    types = (
        await session.execute(
            select(AppointmentType)
            .where(AppointmentType.site_id == site.id, AppointmentType.active.is_(True))
            .options(selectinload(AppointmentType.site), selectinload(AppointmentType.desks))
            .order_by(AppointmentType.position, AppointmentType.id)
        )
    ).scalars()
    return [t for t in types if any(d.id in desk_ids for d in t.desks)]
