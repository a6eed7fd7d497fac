"""Free appointment slots: pure interval arithmetic, no I/O and no clock.

Opening rules are local wall-clock times; everything else is compared as UTC instants, so a
slot across a daylight-saving change keeps its real length. Beware that subtracting two
datetimes sharing one tzinfo gives a wall-clock difference in Python: convert to UTC first.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
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
    """An existing booking, a live hold, or a recently cancelled booking still cooling down,
    on one desk."""

    desk_id: int
    start: datetime  # aware
    end: datetime
    people: int
    type_id: int
    by_staff: bool = False  # made by staff: it uses the places kept for staff first


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
    # Places of each slot (people, or desks when exclusive) kept for bookings made by staff.
    staff_reserved: int = 0


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
    for_staff: bool = False  # staff may use the places kept for them


# --- internal structures ------------------------------------------------------------------
# Inside the engine every instant is an int: seconds since the epoch. Comparing and bisecting
# ints is several times cheaper than aware datetimes, whose every comparison asks the zone.


def _ts(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime not allowed: {dt!r}")
    return int(dt.timestamp())


def _local_ts(day: date, at: time, tz: ZoneInfo) -> int:
    """The instant of a local wall-clock time (the earlier one when it happens twice)."""
    return int(datetime.combine(day, at, tzinfo=tz).timestamp())


def _exclusive(rules: TypeRules) -> bool:
    """One appointment takes the whole desk (any overlapping occupation makes it busy)."""
    return rules.capacity == 1 or rules.duration_per_person


# An interval bound: an instant (seconds) or a naive wall-clock time.
_Bound = TypeVar("_Bound", int, datetime)


def _merge(spans: Iterable[tuple[_Bound, _Bound]]) -> list[tuple[_Bound, _Bound]]:
    """Sort and merge overlapping or adjacent intervals; empty ones are dropped."""
    out: list[tuple[_Bound, _Bound]] = []
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

    starts: list[int]
    ends: list[int]  # ascending too, the intervals being disjoint


@dataclass(frozen=True)
class _Load:
    """Step function of people: loads[i] holds on [times[i], times[i + 1])."""

    times: list[int]
    loads: list[int]

    def peak(self, s: int, e: int) -> int:
        first = max(bisect_right(self.times, s) - 1, 0)
        last = bisect_left(self.times, e)
        return max(self.loads[first:last], default=0)


def _load(spans: Iterable[tuple[int, int, int]]) -> _Load:
    """The load of (start, end, people) spans."""
    events: list[tuple[int, int]] = []
    for s, e, people in spans:
        if e > s:
            events += ((s, people), (e, -people))
    times: list[int] = []
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
    step: int  # seconds
    duration: int
    earliest: int
    latest: int
    # Citizens only: the staff's own bookings of this type, which use the kept places first.
    staff_load: _Load | None


def _check(q: AvailabilityQuery) -> None:
    r = q.rules
    if q.people <= 0:
        raise ValueError("people must be positive")
    if r.slot_minutes <= 0 or r.capacity < 1 or r.staff_reserved < 0:
        raise ValueError("slot_minutes and capacity must be positive")
    if any(o.every_n_weeks < 1 for o in q.openings):
        raise ValueError("every_n_weeks must be >= 1")


def _plan(q: AvailabilityQuery) -> _Plan:
    _check(q)
    r = q.rules
    now = _ts(q.now)
    exclusive = _exclusive(r)
    # Only what touches the query's days matters (a day and a half of margin for zones).
    lo = datetime.combine(q.first_day, time(0), tzinfo=UTC) - timedelta(days=2)
    hi = datetime.combine(q.last_day, time(0), tzinfo=UTC) + timedelta(days=3)
    ids = sorted(set(q.desk_ids))
    busy_by: dict[int, list[tuple[int, int]]] = {i: [] for i in ids}
    same_by: dict[int, list[tuple[int, int, int]]] = {i: [] for i in ids}
    staff: list[tuple[int, int, int]] = []
    for b in q.blocked:
        if b.desk_id in busy_by and b.end > lo and b.start < hi:
            busy_by[b.desk_id].append((_ts(b.start), _ts(b.end)))
    for o in q.occupations:
        if o.desk_id not in busy_by or o.end <= lo or o.start >= hi:
            continue
        # Hot loop: timestamp() inlined; aware datetimes only reach here (compared above).
        span = (int(o.start.timestamp()), int(o.end.timestamp()))
        if exclusive or o.type_id != r.type_id:
            busy_by[o.desk_id].append(span)
        else:
            same_by[o.desk_id].append((*span, o.people))
        if o.by_staff and o.type_id == r.type_id:
            staff.append((*span, 1 if exclusive else o.people))
    desks = []
    shared: dict[tuple[WeeklyOpening, ...], tuple[WeeklyOpening, ...]] = {}
    for desk_id in ids:
        busy = _merge(busy_by[desk_id])
        load = None if exclusive else _load(same_by[desk_id])
        openings = tuple(o for o in q.openings if o.desk_id in (None, desk_id))
        openings = shared.setdefault(openings, openings)  # one object per distinct set
        desks.append(
            _Desk(desk_id, openings, _Busy([s for s, _ in busy], [e for _, e in busy]), load)
        )
    step = r.slot_minutes * 60
    return _Plan(
        query=q,
        desks=tuple(desks),
        step=step,
        duration=step * q.people if r.duration_per_person else step,
        earliest=now + int(r.min_delay.total_seconds()),
        latest=now + int(r.horizon.total_seconds()),
        staff_load=None if q.for_staff or not r.staff_reserved else _load(staff),
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
) -> list[tuple[int, int]]:
    """Merged opening intervals of one desk on one local day, as instants."""
    local = []
    for o in openings:
        if _applies(o, day):
            end_day = day + timedelta(days=1) if o.end == time(0) else day
            local.append((datetime.combine(day, o.start), datetime.combine(end_day, o.end)))
    spans = []
    for s, e in _merge(local):  # merged on naive wall-clock times
        s_ts, e_ts = _local_ts(s.date(), s.time(), tz), _local_ts(e.date(), e.time(), tz)
        if e_ts > s_ts:
            spans.append((s_ts, e_ts))
    return spans


def _candidates(
    plan: _Plan, desk: _Desk, spans: list[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """(start, places) for every start on which `query.people` fit on this desk."""
    q, step, duration = plan.query, plan.step, plan.duration
    starts, ends, load = desk.busy.starts, desk.busy.ends, desk.load
    for lo, hi in spans:
        k = -((lo - plan.earliest) // step) if plan.earliest > lo else 0  # ceil
        s = lo + k * step
        last = min(hi - duration, plan.latest)
        # Candidates rise, so one pointer walks the busy intervals once per span.
        i = bisect_right(ends, s)  # first busy interval ending after s
        while s <= last:
            e = s + duration
            while i < len(ends) and ends[i] <= s:
                i += 1
            if i == len(ends) or starts[i] >= e:
                if load is None:
                    yield s, 1
                else:
                    remaining = q.rules.capacity - load.peak(s, e)
                    if remaining >= q.people:
                        yield s, remaining
            s += step


def _closed(q: AvailabilityQuery, day: date) -> bool:
    return day in q.holidays or any(a <= day <= b for a, b in q.closures)


def _day_slots(plan: _Plan, day: date) -> dict[int, tuple[int, list[int]]]:
    """start -> (places, desk ids) for one local day, sorted by start."""
    q = plan.query
    merged: dict[int, tuple[int, list[int]]] = {}
    # Capacity counts people, unless each person lengthens the appointment instead.
    if _closed(q, day) or (not q.rules.duration_per_person and q.people > q.rules.capacity):
        return merged
    spans_by_openings: dict[int, list[tuple[int, int]]] = {}  # desks share openings
    for desk in plan.desks:
        spans = spans_by_openings.get(id(desk.openings))
        if spans is None:
            spans = _opening_spans(desk.openings, day, q.tz)
            spans_by_openings[id(desk.openings)] = spans
        for s, places in _candidates(plan, desk, spans):
            if s in merged:
                total, ids = merged[s]
                ids.append(desk.desk_id)
                merged[s] = (total + places, ids)
            else:
                merged[s] = (places, [desk.desk_id])
    if plan.staff_load is not None:
        _keep_staff_places(plan, plan.staff_load, merged)
    return dict(sorted(merged.items()))


def _keep_staff_places(
    plan: _Plan, staff_load: _Load, merged: dict[int, tuple[int, list[int]]]
) -> None:
    """Citizens see a slot as full when only the places still kept for staff remain; the
    staff's own bookings of the type use those places first."""
    q = plan.query
    needed = 1 if _exclusive(q.rules) else q.people
    for s, (places, ids) in list(merged.items()):
        kept = max(0, q.rules.staff_reserved - staff_load.peak(s, s + plan.duration))
        if places - kept < needed:
            del merged[s]
        else:
            merged[s] = (places - kept, ids)


def _days(plan: _Plan) -> Iterator[date]:
    q = plan.query
    day = max(q.first_day, datetime.fromtimestamp(plan.earliest, q.tz).date())
    last = min(q.last_day, datetime.fromtimestamp(plan.latest, q.tz).date())
    while day <= last:
        yield day
        day += timedelta(days=1)


def _slots(plan: _Plan, day: date) -> list[Slot]:
    tz = plan.query.tz
    return [
        Slot(
            datetime.fromtimestamp(s, tz),
            datetime.fromtimestamp(s + plan.duration, tz),
            places,
            tuple(ids),
        )
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
    start_ts = _ts(start)
    day = datetime.fromtimestamp(start_ts, query.tz).date()
    if not query.first_day <= day <= query.last_day:
        _check(query)
        return ()
    plan = _plan(query)
    _, ids = _day_slots(plan, day).get(start_ts, (0, []))
    return tuple(ids)


def opening_covers(
    openings: Iterable[WeeklyOpening], desk_id: int, start: datetime, end: datetime, tz: ZoneInfo
) -> bool:
    """Whether the desk is open from `start` to `end` under these rules (closures and
    holidays aside): used to find bookings that a change of opening hours leaves outside."""
    start_ts, end_ts = _ts(start), _ts(end)
    day = datetime.fromtimestamp(start_ts, tz).date()
    mine = tuple(o for o in openings if o.desk_id in (None, desk_id))
    return any(s <= start_ts and end_ts <= e for s, e in _opening_spans(mine, day, tz))
