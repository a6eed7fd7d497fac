"""Statistics of a period: bookings per week and per type, fill rate, cancellations,
no-shows and the average lead time.

Every figure is read from fields anonymisation keeps (type, desk, times, people, status,
attendance, creation), so statistics of erased bookings stay right.

Fill rate = booked places / offered places. Offered places come from the availability
engine run on an empty planning for the period (openings minus closures, public holidays
and absences; places kept for staff included): in "places" mode a slot offers `capacity`
places per desk and a booking uses its number of people; when the desk is exclusive a slot
offers one place per desk, and a booking uses one place — or one per person when each
person lengthens the appointment. A desk serving several types offers its time to each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.booking.availability import free_slots
from app.booking.planning import build_query, monday_of
from app.db.models import AppointmentType, Booking, Site
from app.reports.period import Period
from app.reports.rows import local_span

CANCELLED = "cancelled"
NO_SHOW = "no_show"


@dataclass
class Figures:
    bookings: int = 0  # kept (not cancelled), whatever the attendance
    cancelled: int = 0
    no_shows: int = 0
    booked_places: int = 0
    offered_places: int = 0
    lead_total: timedelta = timedelta(0)

    @property
    def fill_rate(self) -> float | None:
        """Booked places / offered places, None when nothing was offered."""
        return self.booked_places / self.offered_places if self.offered_places else None

    @property
    def average_lead(self) -> timedelta | None:
        """How long before the appointment the kept bookings were made, on average."""
        return self.lead_total / self.bookings if self.bookings else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.bookings if self.bookings else None

    def add(self, other: Figures) -> None:
        self.bookings += other.bookings
        self.cancelled += other.cancelled
        self.no_shows += other.no_shows
        self.booked_places += other.booked_places
        self.offered_places += other.offered_places
        self.lead_total += other.lead_total


@dataclass
class TypeLine:
    type_id: int
    title: str
    site: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class Statistics:
    period: Period
    weeks: dict[date, Figures]  # by Monday, every week of the period, in order
    types: list[TypeLine]
    total: Figures

    @property
    def empty(self) -> bool:
        return not (self.total.bookings or self.total.cancelled)


def places_used(appointment_type: AppointmentType, people: int) -> int:
    if appointment_type.duration_per_person or appointment_type.capacity > 1:
        return people
    return 1


def _weeks_of(period: Period) -> dict[date, Figures]:
    weeks: dict[date, Figures] = {}
    monday = monday_of(period.first_day)
    while monday <= period.last_day:
        weeks[monday] = Figures()
        monday += timedelta(days=7)
    return weeks


async def offered_places(
    session: AsyncSession, appointment_type: AppointmentType, period: Period
) -> dict[date, int]:
    """Places the type offered, by Monday of the week, on an empty planning."""
    if not appointment_type.desks:
        return {}
    tz = ZoneInfo(appointment_type.site.timezone)
    start = datetime.combine(period.first_day, time(0), tzinfo=tz)
    query = await build_query(
        session,
        appointment_type,
        1,
        start,
        period.first_day,
        period.last_day,
        for_staff=True,
    )
    query = replace(
        query,
        now=start,
        occupations=(),
        rules=replace(query.rules, min_delay=timedelta(0), horizon=timedelta(days=period.days + 1)),
    )
    by_week: dict[date, int] = {}
    capacity = appointment_type.capacity
    exclusive = capacity == 1 or appointment_type.duration_per_person
    for slot in free_slots(query):
        monday = monday_of(slot.start.date())
        by_week[monday] = by_week.get(monday, 0) + (
            len(slot.desk_ids) if exclusive else capacity * len(slot.desk_ids)
        )
    return by_week


async def statistics(
    session: AsyncSession, period: Period, site_ids: Iterable[int] | None
) -> Statistics:
    weeks = _weeks_of(period)
    lines: list[TypeLine] = []
    types = select(AppointmentType).options(
        selectinload(AppointmentType.site), selectinload(AppointmentType.desks)
    )
    if site_ids is not None:
        types = types.where(AppointmentType.site_id.in_(list(site_ids)))
    types = types.join(Site, Site.id == AppointmentType.site_id).order_by(
        Site.position, Site.id, AppointmentType.position, AppointmentType.id
    )
    for appointment_type in (await session.execute(types)).scalars():
        line = TypeLine(appointment_type.id, appointment_type.title, appointment_type.site.name)
        tz = ZoneInfo(appointment_type.site.timezone)
        start, end = local_span(period.first_day, period.last_day, appointment_type.site.timezone)
        rows = (
            await session.execute(
                select(
                    Booking.start,
                    Booking.created_at,
                    Booking.people,
                    Booking.status,
                    Booking.attendance,
                ).where(
                    Booking.type_id == appointment_type.id,
                    Booking.start >= start,
                    Booking.start < end,
                )
            )
        ).all()
        if not (appointment_type.active or rows):
            continue
        for row in rows:
            week = weeks[monday_of(row.start.astimezone(tz).date())]
            one = Figures()
            if row.status == CANCELLED:
                one.cancelled = 1
            else:
                one.bookings = 1
                one.no_shows = int(row.attendance == NO_SHOW)
                one.booked_places = places_used(appointment_type, row.people)
                one.lead_total = max(row.start - row.created_at, timedelta(0))
            week.add(one)
            line.figures.add(one)
        for monday, places in (await offered_places(session, appointment_type, period)).items():
            if monday in weeks:
                weeks[monday].offered_places += places
            line.figures.offered_places += places
        lines.append(line)
    total = Figures()
    for line in lines:
        total.add(line.figures)
    return Statistics(period, weeks, lines, total)
