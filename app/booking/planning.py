"""Loads what the availability engine needs from the database and asks it.

The engine itself (`availability.py`) is pure; this module is its database adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import ColumnElement, false, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.booking.availability import (
    AvailabilityQuery,
    BlockedRow,
    OccupationRow,
    Slot,
    TypeRules,
    WeeklyOpening,
    first_free_slot,
    free_slots,
)
from app.booking.reference import TypeLike, planning_reference
from app.db.models import (
    AppointmentType,
    BlockedInterval,
    Booking,
    SlotHold,
)
from app.db.types import epoch_seconds, epoch_seconds_up

ACTIVE_STATUSES = ("confirmed",)
CANCELLED = "cancelled"


@lru_cache(maxsize=64)
def public_holidays(subdivision: str, first_year: int, last_year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(
        "FR", subdiv=subdivision or None, years=range(first_year, last_year + 1)
    )
    return frozenset(calendar.keys())


def rules_of(appointment_type: TypeLike) -> TypeRules:
    return TypeRules(
        type_id=appointment_type.id,
        slot_minutes=appointment_type.slot_minutes,
        capacity=appointment_type.capacity,
        duration_per_person=appointment_type.duration_per_person,
        min_delay=timedelta(minutes=appointment_type.min_delay_minutes),
        horizon=timedelta(days=appointment_type.horizon_days),
        staff_reserved=appointment_type.staff_reserved_places,
    )


def booking_window(appointment_type: TypeLike, now: datetime) -> tuple[date, date]:
    """The local days on which this type can be booked at `now`."""
    tz = ZoneInfo(appointment_type.site.timezone)
    first = (now + timedelta(minutes=appointment_type.min_delay_minutes)).astimezone(tz).date()
    last = (now + timedelta(days=appointment_type.horizon_days)).astimezone(tz).date()
    return first, last


# A booking or a hold is one slot of one local day (the engine offers nothing longer):
# whatever starts earlier than this before the range cannot reach into it. The bound lets
# the (desk, start) indexes read the range alone, not every booking since the first one.
LONGEST_OCCUPATION = timedelta(days=2)


async def read_blocked(
    session: AsyncSession, desk_ids: tuple[int, ...], span_start: datetime, span_end: datetime
) -> tuple[BlockedRow, ...]:
    """Absences of these desks overlapping the span, as rows of epoch seconds."""
    rows = (
        await session.execute(
            select(
                BlockedInterval.desk_id,
                epoch_seconds(BlockedInterval.start),
                epoch_seconds(BlockedInterval.end),
            ).where(
                BlockedInterval.desk_id.in_(desk_ids),
                BlockedInterval.end > span_start,
                BlockedInterval.start < span_end,
            )
        )
    ).all()
    return tuple(rows)


async def read_occupations(
    session: AsyncSession,
    desk_ids: tuple[int, ...],
    span_start: datetime,
    span_end: datetime,
    now: datetime,
    *,
    draft_id: int | None = None,
    ignore_booking_id: int | None = None,
) -> tuple[OccupationRow, ...]:
    """Everything that takes places on these desks during the span, in one statement, as
    rows of epoch seconds: confirmed bookings, the live holds of other drafts than
    `draft_id`, and cancelled bookings whose type's cool-down has not run out. Identical
    occupations (same desk, start, end, type and staff flag) come as one row, their
    people summed: the engine's work follows the distinct occupations, not the bookings."""
    earliest_start = span_start - LONGEST_OCCUPATION

    def occupying(table: type[Booking] | type[SlotHold]) -> list[ColumnElement[bool]]:
        return [
            table.desk_id.in_(desk_ids),
            table.start > earliest_start,
            table.start < span_end,
            table.end > span_start,
        ]

    booked = (
        select(
            Booking.desk_id,
            epoch_seconds(Booking.start),
            epoch_seconds(Booking.end),
            func.sum(Booking.people),
            Booking.type_id,
            Booking.by_staff,
        )
        .where(
            *occupying(Booking),
            Booking.status.in_(ACTIVE_STATUSES),
            *([Booking.id != ignore_booking_id] if ignore_booking_id else []),
        )
        .group_by(Booking.desk_id, Booking.start, Booking.end, Booking.type_id, Booking.by_staff)
    )
    held = (
        select(
            SlotHold.desk_id,
            epoch_seconds(SlotHold.start),
            epoch_seconds(SlotHold.end),
            func.sum(SlotHold.people),
            SlotHold.type_id,
            false(),
        )
        .where(
            *occupying(SlotHold),
            SlotHold.expires_at > now,
            SlotHold.draft_id != (draft_id or 0),
        )
        .group_by(SlotHold.desk_id, SlotHold.start, SlotHold.end, SlotHold.type_id)
    )
    # To the second, never early: cancelled at 10:00:00.7 with 30 minutes of cool-down,
    # the place frees at 10:30:01 rather than 10:30:00.7.
    cooling = (
        select(
            Booking.desk_id,
            epoch_seconds(Booking.start),
            epoch_seconds(Booking.end),
            func.sum(Booking.people),
            Booking.type_id,
            false(),
        )
        .join(AppointmentType, AppointmentType.id == Booking.type_id)
        .where(
            *occupying(Booking),
            Booking.status == CANCELLED,
            Booking.cancelled_by_staff.is_(False),
            AppointmentType.cooldown_minutes > 0,
            epoch_seconds_up(Booking.cancelled_at) + AppointmentType.cooldown_minutes * 60
            > int(now.timestamp()),
        )
        .group_by(Booking.desk_id, Booking.start, Booking.end, Booking.type_id)
    )
    return tuple((await session.execute(union_all(booked, held, cooling))).all())


async def build_query(
    session: AsyncSession,
    appointment_type: TypeLike,
    people: int,
    now: datetime,
    first_day: date,
    last_day: date,
    *,
    draft_id: int | None = None,
    for_staff: bool = False,
    ignore_booking_id: int | None = None,
    desk_ids: tuple[int, ...] | None = None,
) -> AvailabilityQuery:
    """What the engine needs to answer for these local days. The live holds of other
    drafts count as occupations (the hold of `draft_id`, the asker's own, does not), and so
    do cancelled bookings whose type's cool-down has not run out. `ignore_booking_id`: a
    booking being modified, which must not count against itself. `desk_ids`: only these
    desks of the type (all of them by default)."""
    site = appointment_type.site
    tz = ZoneInfo(site.timezone)
    type_desks = tuple(desk.id for desk in appointment_type.desks)
    desk_ids = type_desks if desk_ids is None else tuple(d for d in type_desks if d in desk_ids)
    span_start = datetime.combine(first_day, datetime.min.time(), tzinfo=tz) - timedelta(days=1)
    span_end = datetime.combine(last_day, datetime.min.time(), tzinfo=tz) + timedelta(days=2)

    # Opening rules, closures and the holiday subdivision: from the reference cache.
    openings, closures, subdivision = await planning_reference(
        session, appointment_type, desk_ids, first_day, last_day
    )
    blocked = await read_blocked(session, desk_ids, span_start, span_end)
    occupations = await read_occupations(
        session,
        desk_ids,
        span_start,
        span_end,
        now,
        draft_id=draft_id,
        ignore_booking_id=ignore_booking_id,
    )

    return AvailabilityQuery(
        tz=tz,
        desk_ids=desk_ids,
        openings=tuple(
            WeeklyOpening(
                weekday=rule.weekday,
                start=rule.start,
                end=rule.end,
                desk_id=rule.desk_id,
                valid_from=rule.valid_from,
                valid_until=rule.valid_until,
                every_n_weeks=rule.every_n_weeks,
            )
            for rule in openings
        ),
        rules=rules_of(appointment_type),
        people=people,
        now=now,
        first_day=first_day,
        last_day=last_day,
        closures=tuple((row.first_day, row.last_day) for row in closures),
        holidays=public_holidays(subdivision, first_day.year, last_day.year),
        blocked=blocked,
        occupations=occupations,
        for_staff=for_staff,
    )


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class WeekPlanner:
    """The booking window read as step 5 needs it: the week shown and the first free slot,
    which is nearly always in the first week, or the second. Loading the whole window
    (thousands of bookings in a busy town hall) for that would be waste; the rest of the
    window is read in one go only when the first two weeks are full."""

    session: AsyncSession
    appointment_type: TypeLike
    people: int
    now: datetime
    draft_id: int | None = None
    ignore_booking_id: int | None = None
    for_staff: bool = False  # an agent booking or moving: the places kept for staff are free
    _weeks: dict[date, AvailabilityQuery | None] = field(default_factory=dict)
    _rest: AvailabilityQuery | None = None  # the window after its first weeks, once loaded

    @property
    def window(self) -> tuple[date, date]:
        return booking_window(self.appointment_type, self.now)

    async def week(self, monday: date) -> AvailabilityQuery | None:
        """The query for the days of that week inside the window (None: none are)."""
        if monday not in self._weeks:
            first, last = self.window
            days = (max(monday, first), min(monday + timedelta(days=6), last))
            if days[0] > days[1]:
                self._weeks[monday] = None
            elif self._rest is not None and self._rest.first_day <= days[0]:
                self._weeks[monday] = replace(self._rest, first_day=days[0], last_day=days[1])
            else:
                self._weeks[monday] = await self._load(*days)
        return self._weeks[monday]

    async def week_slots(self, monday: date) -> list[Slot]:
        query = await self.week(monday)
        return free_slots(query) if query else []

    async def first_free_slot(self) -> Slot | None:
        """Searched in the first week, then in the second, then — only if both are full —
        in the rest of the window loaded at once (a full window costs three reads, not one
        per week). The second week alone: from Friday evening to Sunday the first one has
        nothing left by then, and the second is the week shown."""
        first, last = self.window
        monday = monday_of(first)
        for _ in range(2):
            query = await self.week(monday)
            slot = first_free_slot(query) if query else None
            monday += timedelta(days=7)
            if slot is not None or monday > last:
                return slot
        self._rest = await self._load(monday, last)
        return first_free_slot(self._rest)

    async def _load(self, first_day: date, last_day: date) -> AvailabilityQuery:
        return await build_query(
            self.session,
            self.appointment_type,
            self.people,
            self.now,
            first_day,
            last_day,
            draft_id=self.draft_id,
            for_staff=self.for_staff,
            ignore_booking_id=self.ignore_booking_id,
        )
