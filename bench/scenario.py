"""The "ville moyenne" scenario: 10 desks, the demo opening hours, 20-minute slots, a
90-day horizon, about 60 % of the places booked, 300 absences."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking.availability import (
    AvailabilityQuery,
    Blocked,
    Occupation,
    TypeRules,
    WeeklyOpening,
    free_slots,
)
from app.demo import WEEKLY_HOURS

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
DESKS = tuple(range(1, 11))
OPENINGS = tuple(WeeklyOpening(weekday=w, start=s, end=e) for w, s, e in WEEKLY_HOURS)
RULES = TypeRules(
    type_id=1,
    slot_minutes=20,
    capacity=1,
    duration_per_person=False,
    min_delay=timedelta(hours=2),
    horizon=timedelta(days=90),
)
FIRST_DAY = date(2026, 11, 30)
LAST_DAY = FIRST_DAY + timedelta(days=90)


def _empty_query(first: date, last: date, occupations=(), blocked=()) -> AvailabilityQuery:
    return AvailabilityQuery(
        tz=PARIS,
        desk_ids=DESKS,
        openings=OPENINGS,
        rules=RULES,
        people=1,
        now=NOW - timedelta(days=1),  # every slot of the horizon is in the window
        first_day=first,
        last_day=last,
        occupations=tuple(occupations),
        blocked=tuple(blocked),
    )


def _utc(moment: datetime) -> datetime:
    """Instants as the database adapter hands them to the engine (UTC, see db/types.py)."""
    return moment.astimezone(UTC)


def build(fill: float = 0.6, absences: int = 300, seed: int = 7, multiplier: int = 1):
    """Occupations and absences over the horizon. `multiplier` > 1 adds bookings of other
    types on the same desks outside opening hours, to grow the data without changing what
    is free (the cost-growth benchmark)."""
    rng = random.Random(seed)
    every = free_slots(_empty_query(FIRST_DAY, LAST_DAY))
    occupations = []
    for slot in every:
        for desk in slot.desk_ids:
            if rng.random() < fill:
                occupations.append(
                    Occupation(desk, _utc(slot.start), _utc(slot.end), 1, RULES.type_id)
                )
    for n in range(len(occupations) * (multiplier - 1)):
        day = FIRST_DAY + timedelta(days=n % 90)
        start = datetime.combine(day, datetime.min.time(), tzinfo=PARIS) + timedelta(
            minutes=(n // 90) % 400
        )
        start = _utc(start)
        occupations.append(Occupation(DESKS[n % 10], start, start + timedelta(minutes=1), 1, 2))
    blocked = []
    for _ in range(absences):
        day = FIRST_DAY + timedelta(days=rng.randrange(90))
        start = datetime.combine(day, datetime.min.time(), tzinfo=PARIS) + timedelta(
            hours=rng.choice([8, 9, 10, 13, 14, 15])
        )
        start = _utc(start)
        blocked.append(
            Blocked(rng.choice(DESKS), start, start + timedelta(hours=rng.choice([1, 2, 4])))
        )
    return occupations, blocked, len(every)


def query(first: date, last: date, occupations, blocked) -> AvailabilityQuery:
    """Like `planning.build_query`, only what overlaps the days asked for is passed in."""
    span_start = datetime.combine(first, datetime.min.time(), tzinfo=PARIS) - timedelta(days=1)
    span_end = datetime.combine(last, datetime.min.time(), tzinfo=PARIS) + timedelta(days=2)

    def overlaps(item) -> bool:
        return item.end > span_start and item.start < span_end

    return _empty_query(
        first,
        last,
        [o for o in occupations if overlaps(o)],
        [b for b in blocked if overlaps(b)],
    )
