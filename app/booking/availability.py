"""Free appointment slots: pure interval arithmetic, no I/O and no clock.

Opening rules are local wall-clock times; everything else is compared as UTC instants, so a
slot across a daylight-saving change keeps its real length. Beware that subtracting two
datetimes sharing one tzinfo gives a wall-clock difference in Python: convert to UTC first.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WeeklyOpening:
    """A weekly opening template; `end == time(0)` means midnight at the end of the day."""

    weekday: int  # 0 = Monday … 6 = Sunday
    start: time  # local wall-clock time in the site's zone
    end: time
    desk_id: int | None = None  # None = applies to every desk of the query
    valid_from: date | None = None  # inclusive
    valid_until: date | None = None  # inclusive
    every_n_weeks: int = 1  # counted from the ISO week of valid_from


@dataclass(frozen=True)
class Occupation:
    """An existing booking (or a hold) on one desk."""

    desk_id: int
    start: datetime  # aware
    end: datetime
    people: int
    type_id: int


@dataclass(frozen=True)
class Blocked:
    """An absence / blocked interval on one desk."""

    desk_id: int
    start: datetime  # aware
    end: datetime


@dataclass(frozen=True)
class TypeRules:
    type_id: int
    slot_minutes: int  # the base duration of one appointment
    capacity: int  # people per desk per slot (1 = the desk is exclusive)
    duration_per_person: bool  # True: duration = slot_minutes * people, desk exclusive
    min_delay: timedelta  # earliest start = now + min_delay
    horizon: timedelta  # latest start = now + horizon (inclusive)


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the query's zone
    end: datetime
    places: int  # places mode: people still bookable; exclusive mode: desks still free
    desk_ids: tuple[int, ...]  # ascending


@dataclass(frozen=True)
class AvailabilityQuery:
    tz: ZoneInfo
    desk_ids: tuple[int, ...]
    openings: tuple[WeeklyOpening, ...]
    rules: TypeRules
    people: int
    now: datetime  # aware
    first_day: date  # local dates, inclusive
    last_day: date
    closures: tuple[tuple[date, date], ...] = ()  # inclusive local date ranges
    holidays: frozenset[date] = frozenset()
    blocked: tuple[Blocked, ...] = ()
    occupations: tuple[Occupation, ...] = ()


# --- internal structures ------------------------------------------------------------------


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime not allowed: {dt!r}")
    return dt.astimezone(UTC)


def _exclusive(rules: TypeRules) -> bool:
    """One appointment takes the whole desk (any overlapping occupation makes it busy)."""
    return rules.capacity == 1 or rules.duration_per_person


def _merge(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sort and merge overlapping or adjacent intervals; empty ones are dropped."""
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


@dataclass(frozen=True)
class _Busy:
    """Disjoint sorted intervals during which a desk cannot take the type at all."""

    starts: list[datetime]
    ends: list[datetime]

    def overlaps(self, s: datetime, e: datetime) -> bool:
        i = bisect_left(self.starts, e) - 1  # last interval starting before e
        return i >= 0 and self.ends[i] > s


@dataclass(frozen=True)
class _Load:
    """Step function of same-type people: loads[i] holds on [times[i], times[i + 1])."""

    times: list[datetime]
    loads: list[int]

    def peak(self, s: datetime, e: datetime) -> int:
        first = max(bisect_right(self.times, s) - 1, 0)
        last = bisect_left(self.times, e)
        return max(self.loads[first:last], default=0)


def _load(occupations: Iterable[Occupation]) -> _Load:
    events: list[tuple[datetime, int]] = []
    for o in occupations:
        s, e = _utc(o.start), _utc(o.end)
        if e > s:
            events += ((s, o.people), (e, -o.people))
    times: list[datetime] = []
    loads: list[int] = []
    running = 0
    for t, delta in sorted(events):
        running += delta
        if times and times[-1] == t:
            loads[-1] = running
        else:
            times.append(t)
            loads.append(running)
    return _Load(times, loads)


@dataclass(frozen=True)
class _Desk:
    desk_id: int
    openings: tuple[WeeklyOpening, ...]
    busy: _Busy
    load: _Load | None  # None in exclusive mode


@dataclass(frozen=True)
class _Plan:
    query: AvailabilityQuery
    desks: tuple[_Desk, ...]
    step: timedelta
    duration: timedelta
    earliest: datetime  # UTC
    latest: datetime  # UTC


def _plan(q: AvailabilityQuery) -> _Plan:
    r = q.rules
    if q.people <= 0:
        raise ValueError("people must be positive")
    if r.slot_minutes <= 0 or r.capacity < 1:
        raise ValueError("slot_minutes and capacity must be positive")
    if any(o.every_n_weeks < 1 for o in q.openings):
        raise ValueError("every_n_weeks must be >= 1")
    now = _utc(q.now)
    ids = sorted(set(q.desk_ids))
    busy_by: dict[int, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
    same_by: dict[int, list[Occupation]] = {i: [] for i in ids}
    for b in q.blocked:
        if b.desk_id in busy_by:
            busy_by[b.desk_id].append((_utc(b.start), _utc(b.end)))
    for o in q.occupations:
        if o.desk_id not in busy_by:
            continue
        if _exclusive(r) or o.type_id != r.type_id:
            busy_by[o.desk_id].append((_utc(o.start), _utc(o.end)))
        else:
            same_by[o.desk_id].append(o)
    desks = []
    shared: dict[tuple[WeeklyOpening, ...], tuple[WeeklyOpening, ...]] = {}
    for desk_id in ids:
        busy = _merge(busy_by[desk_id])
        load = None if _exclusive(r) else _load(same_by[desk_id])
        openings = tuple(o for o in q.openings if o.desk_id in (None, desk_id))
        openings = shared.setdefault(openings, openings)  # one object per distinct set
        desks.append(
            _Desk(desk_id, openings, _Busy([s for s, _ in busy], [e for _, e in busy]), load)
        )
    step = timedelta(minutes=r.slot_minutes)
    return _Plan(
        query=q,
        desks=tuple(desks),
        step=step,
        duration=step * q.people if r.duration_per_person else step,
        earliest=now + r.min_delay,
        latest=now + r.horizon,
    )


def _applies(o: WeeklyOpening, day: date) -> bool:
    if o.weekday != day.weekday():
        return False
    if o.valid_from is not None:
        if day < o.valid_from:
            return False
        monday = o.valid_from - timedelta(days=o.valid_from.weekday())
        if (day - monday).days // 7 % o.every_n_weeks:
            return False
    return o.valid_until is None or day <= o.valid_until


def _opening_spans(
    openings: tuple[WeeklyOpening, ...], day: date, tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """Merged opening intervals of one desk on one local day, as UTC instants."""
    local = []
    for o in openings:
        if _applies(o, day):
            end_day = day + timedelta(days=1) if o.end == time(0) else day
            local.append((datetime.combine(day, o.start), datetime.combine(end_day, o.end)))
    spans = []
    for s, e in _merge(local):  # merged on naive wall-clock times
        s_utc, e_utc = s.replace(tzinfo=tz).astimezone(UTC), e.replace(tzinfo=tz).astimezone(UTC)
        if e_utc > s_utc:
            spans.append((s_utc, e_utc))
    return spans


def _candidates(
    plan: _Plan, desk: _Desk, spans: list[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, int]]:
    """(UTC start, places) for every start on which `query.people` fit on this desk."""
    q, step, duration = plan.query, plan.step, plan.duration
    for lo, hi in spans:
        k = -((lo - plan.earliest) // step) if plan.earliest > lo else 0  # ceil
        s = lo + k * step
        while s + duration <= hi and s <= plan.latest:
            e = s + duration
            if not desk.busy.overlaps(s, e):
                if desk.load is None:
                    yield s, 1
                else:
                    remaining = q.rules.capacity - desk.load.peak(s, e)
                    if remaining >= q.people:
                        yield s, remaining
            s += step


def _closed(q: AvailabilityQuery, day: date) -> bool:
    return day in q.holidays or any(a <= day <= b for a, b in q.closures)


def _day_slots(plan: _Plan, day: date) -> dict[datetime, tuple[int, list[int]]]:
    """UTC start -> (places, desk ids) for one local day, sorted by start."""
    q = plan.query
    merged: dict[datetime, tuple[int, list[int]]] = {}
    if _closed(q, day) or (not _exclusive(q.rules) and q.people > q.rules.capacity):
        return merged
    spans_by_openings: dict[int, list[tuple[datetime, datetime]]] = {}  # desks share openings
    for desk in plan.desks:
        spans = spans_by_openings.get(id(desk.openings))
        if spans is None:
            spans = _opening_spans(desk.openings, day, q.tz)
            spans_by_openings[id(desk.openings)] = spans
        for s, places in _candidates(plan, desk, spans):
            total, ids = merged.get(s, (0, []))
            merged[s] = (total + places, [*ids, desk.desk_id])
    return dict(sorted(merged.items()))


def _days(plan: _Plan) -> Iterator[date]:
    q = plan.query
    day = max(q.first_day, plan.earliest.astimezone(q.tz).date())
    last = min(q.last_day, plan.latest.astimezone(q.tz).date())
    while day <= last:
        yield day
        day += timedelta(days=1)


def _slots(plan: _Plan, day: date) -> list[Slot]:
    tz = plan.query.tz
    return [
        Slot(s.astimezone(tz), (s + plan.duration).astimezone(tz), places, tuple(ids))
        for s, (places, ids) in _day_slots(plan, day).items()
    ]


# --- public API ---------------------------------------------------------------------------


def free_slots(query: AvailabilityQuery) -> list[Slot]:
    """All free slots of the query's days, sorted by start, merged over desks."""
    plan = _plan(query)
    return [slot for day in _days(plan) for slot in _slots(plan, day)]


def first_free_slot(query: AvailabilityQuery) -> Slot | None:
    """The earliest free slot over the query's days, or None."""
    plan = _plan(query)
    for day in _days(plan):
        slots = _slots(plan, day)
        if slots:
            return slots[0]
    return None


def slot_fits(query: AvailabilityQuery, start: datetime) -> tuple[int, ...]:
    """Desk ids (ascending) on which `query.people` can start exactly at `start`, else ()."""
    plan = _plan(query)
    start_utc = _utc(start)
    day = start_utc.astimezone(query.tz).date()
    if not query.first_day <= day <= query.last_day:
        return ()
    _, ids = _day_slots(plan, day).get(start_utc, (0, []))
    return tuple(ids)
