"""Free appointment slots: pure interval arithmetic, no I/O and no clock.

Opening rules are local wall-clock times; everything else is compared as UTC instants, so a
slot across a daylight-saving change keeps its real length. Beware that subtracting two
datetimes sharing one tzinfo gives a wall-clock difference in Python: convert to UTC first.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from operator import itemgetter
from typing import Any, cast
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


# Occupations and absences may also come as rows of plain values, as the database adapter
# reads them (no object and no datetime per row), instants in whole seconds since the epoch:
# (desk_id, start, end, people, type_id, by_staff) and (desk_id, start, end). One occupation
# row may stand for several identical occupations, their people summed.
OccupationRow = tuple[int, int, int, int, int, bool]
BlockedRow = tuple[int, int, int]


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
    blocked: tuple[Blocked | BlockedRow, ...] = ()
    occupations: tuple[Occupation | OccupationRow, ...] = ()
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


@dataclass(frozen=True, slots=True)
class _Load:
    """Step function of people: loads[i] holds on [times[i], times[i + 1])."""

    times: list[int]
    loads: list[int]

    def peak(self, s: int, e: int) -> int:
        first = max(bisect_right(self.times, s) - 1, 0)
        last = bisect_left(self.times, e)
        return max(self.loads[first:last], default=0)


_NO_LOAD = _Load([], [])  # exclusive mode: never asked
_first, _second = itemgetter(0), itemgetter(1)


def _load(spans: Iterable[tuple[int, int, int]]) -> _Load:
    """The load of (start, end, people) spans (non-empty ones)."""
    events: list[tuple[int, int]] = []
    for s, e, people in spans:
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


@dataclass(frozen=True, slots=True)
class _Busy:
    """The intervals during which a desk cannot take the type at all, sorted by start, not
    merged: `reach[i]` is the latest end among the first i + 1. Something overlaps
    [s, e) exactly when, among the intervals starting before e, one ends after s: with
    j = bisect_left(starts, e), when j > 0 and reach[j - 1] > s. Built by a sort and a
    running maximum (both in C) rather than a merge loop in Python."""

    starts: list[int]
    reach: list[int]


def _later(a: int, b: int) -> int:
    return a if a > b else b  # for two ints, several times cheaper than the builtin max


def _busy(spans: list[tuple[int, int]]) -> _Busy:
    spans.sort()
    return _Busy(list(map(_first, spans)), list(accumulate(map(_second, spans), _later)))


@dataclass(frozen=True, slots=True)
class _Timeline:
    """What the occupations and absences make of each desk, for one type: everything of a
    query that grows with its bookings, computed once and shared (see `_timeline`)."""

    busy: dict[int, _Busy]
    loads: dict[int, _Load]  # places mode only
    # Citizens only: the staff's own bookings of this type, which use the kept places first.
    staff_load: _Load | None


class _Same:
    """A key that is its tuple itself (identity, not equality: hashing a tuple of
    thousands of occupations would cost as much as the work it saves)."""

    __slots__ = ("value",)

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


def _timeline(q: AvailabilityQuery, desk_ids: tuple[int, ...]) -> _Timeline:
    """The query's timeline, shared by the queries that hold the very same occupations and
    absences (tuples are immutable): `dataclasses.replace(query, first_day=…)` as the
    week planner does, or `free_slots` then `first_free_slot` on one query. The cache keeps
    the few last ones, and their tuples alive, so an id is never reused while it is kept."""
    r = q.rules
    exclusive = _exclusive(r)
    staff = not q.for_staff and r.staff_reserved > 0
    if type(q.occupations) is tuple and type(q.blocked) is tuple:
        return _shared_timeline(
            _Same(q.occupations), _Same(q.blocked), desk_ids, r.type_id, exclusive, staff
        )
    return _build_timeline(q.occupations, q.blocked, desk_ids, r.type_id, exclusive, staff)


@lru_cache(maxsize=8)
def _shared_timeline(
    occupations: _Same,
    blocked: _Same,
    desk_ids: tuple[int, ...],
    type_id: int,
    exclusive: bool,
    staff: bool,
) -> _Timeline:
    return _build_timeline(occupations.value, blocked.value, desk_ids, type_id, exclusive, staff)


def _build_timeline(
    occupations: Sequence[Occupation | OccupationRow],
    blocked: Sequence[Blocked | BlockedRow],
    desk_ids: tuple[int, ...],
    type_id: int,
    exclusive: bool,
    staff: bool,
) -> _Timeline:
    """Read as rows first, without a check per row; objects do not unpack (TypeError),
    and then every item is made a row before a second reading."""
    rows = cast(Sequence[OccupationRow], occupations)
    absences = cast(Sequence[BlockedRow], blocked)
    try:
        return _timeline_of_rows(rows, absences, desk_ids, type_id, exclusive, staff)
    except TypeError:
        return _timeline_of_rows(
            map(_occupation_row, occupations),
            map(_blocked_row, blocked),
            desk_ids,
            type_id,
            exclusive,
            staff,
        )


def _occupation_row(o: Occupation | OccupationRow) -> OccupationRow:
    if isinstance(o, Occupation):
        start, end = o.start, o.end
        if start.tzinfo is None or end.tzinfo is None:  # _ts inlined: thousands of them
            raise ValueError(f"naive datetime not allowed: {o!r}")
        return (
            o.desk_id,
            int(start.timestamp()),
            int(end.timestamp()),
            o.people,
            o.type_id,
            o.by_staff,
        )
    return o  # already a row


def _blocked_row(b: Blocked | BlockedRow) -> BlockedRow:
    if isinstance(b, Blocked):
        return (b.desk_id, _ts(b.start), _ts(b.end))
    return b


def _timeline_of_rows(
    occupations: Iterable[OccupationRow],
    blocked: Iterable[BlockedRow],
    desk_ids: tuple[int, ...],
    type_id: int,
    exclusive: bool,
    staff: bool,
) -> _Timeline:
    busy_by: dict[int, list[tuple[int, int]]] = {i: [] for i in desk_ids}
    busy_of = busy_by.get
    for desk, s, e in blocked:
        spans = busy_of(desk)
        if spans is not None and e > s:
            spans.append((s, e))
    # The hot loops: one row per distinct occupation of the range, kept short.
    same_by: dict[int, list[tuple[int, int, int]]] = {i: [] for i in desk_ids}
    staff_spans: list[tuple[int, int, int]] = []
    if exclusive and not staff:
        for desk, s, e, _, _, _ in occupations:
            spans = busy_of(desk)
            if spans is not None and e > s:
                spans.append((s, e))
    else:
        for desk, s, e, people, kind, by_staff in occupations:
            spans = busy_of(desk)
            if spans is None or e <= s:
                continue
            if exclusive or kind != type_id:
                spans.append((s, e))
            else:
                same_by[desk].append((s, e, people))
            if staff and by_staff and kind == type_id:
                staff_spans.append((s, e, 1 if exclusive else people))
    return _Timeline(
        busy={i: _busy(spans) for i, spans in busy_by.items()},
        loads={} if exclusive else {i: _load(spans) for i, spans in same_by.items()},
        staff_load=_load(staff_spans) if staff else None,
    )


@dataclass(frozen=True, slots=True)
class _Group:
    """Desks sharing the same opening rules: their candidate starts are enumerated once."""

    openings: tuple[WeeklyOpening, ...]
    desks: tuple[tuple[int, list[int], list[int], _Load], ...]  # id, starts, reach, load


@dataclass(frozen=True, slots=True)
class _Plan:
    query: AvailabilityQuery
    groups: tuple[_Group, ...]
    step: int  # seconds
    duration: int
    earliest: int
    latest: int
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
    ids = tuple(sorted(set(q.desk_ids)))
    timeline = _timeline(q, ids)
    by_openings: dict[tuple[WeeklyOpening, ...], list[int]] = {}
    for desk_id in ids:
        openings = tuple(o for o in q.openings if o.desk_id in (None, desk_id))
        by_openings.setdefault(openings, []).append(desk_id)
    groups = tuple(
        _Group(
            openings,
            tuple(
                (
                    i,
                    timeline.busy[i].starts,
                    timeline.busy[i].reach,
                    timeline.loads.get(i, _NO_LOAD),
                )
                for i in members
            ),
        )
        for openings, members in by_openings.items()
    )
    step = r.slot_minutes * 60
    return _Plan(
        query=q,
        groups=groups,
        step=step,
        duration=step * q.people if r.duration_per_person else step,
        earliest=now + int(r.min_delay.total_seconds()),
        latest=now + int(r.horizon.total_seconds()),
        staff_load=timeline.staff_load,
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


def _group_slots(
    plan: _Plan, group: _Group, spans: list[tuple[int, int]]
) -> list[tuple[int, int, list[int]]]:
    """(start, places, desk ids) for every start on which `query.people` fit on at least
    one desk of the group, ascending."""
    q, step, duration = plan.query, plan.step, plan.duration
    out: list[tuple[int, int, list[int]]] = []
    exclusive = _exclusive(q.rules)
    capacity, people = q.rules.capacity, q.people
    desks = group.desks
    for lo, hi in spans:
        k = -((lo - plan.earliest) // step) if plan.earliest > lo else 0  # ceil
        last = min(hi - duration, plan.latest)
        for s in range(lo + k * step, last + 1, step):
            e = s + duration
            if exclusive:  # free: nothing starting before e reaches past s
                ids = [
                    i
                    for i, starts, reach, _ in desks
                    if not (j := bisect_left(starts, e)) or reach[j - 1] <= s
                ]
                if ids:
                    out.append((s, len(ids), ids))
            else:
                total = 0
                ids = []
                for i, starts, reach, load in desks:
                    j = bisect_left(starts, e)
                    if j and reach[j - 1] > s:
                        continue
                    remaining = capacity - load.peak(s, e)
                    if remaining >= people:
                        total += remaining
                        ids.append(i)
                if ids:
                    out.append((s, total, ids))
    return out


def _closed(q: AvailabilityQuery, day: date) -> bool:
    return day in q.holidays or any(a <= day <= b for a, b in q.closures)


def _day_slots(plan: _Plan, day: date) -> list[tuple[int, int, list[int]]]:
    """(start, places, desk ids ascending) for one local day, sorted by start."""
    q = plan.query
    # Capacity counts people, unless each person lengthens the appointment instead.
    if _closed(q, day) or (not q.rules.duration_per_person and q.people > q.rules.capacity):
        return []
    found = [
        _group_slots(plan, group, _opening_spans(group.openings, day, q.tz))
        for group in plan.groups
    ]
    if len(found) == 1:
        slots = found[0]
    else:  # desks with different hours: merged by start
        merged: dict[int, tuple[int, list[int]]] = {}
        for group_slots in found:
            for s, places, ids in group_slots:
                total, before = merged.get(s, (0, []))
                merged[s] = (total + places, before + ids)
        slots = [(s, places, sorted(ids)) for s, (places, ids) in sorted(merged.items())]
    if plan.staff_load is not None:
        slots = _keep_staff_places(plan, plan.staff_load, slots)
    return slots


def _keep_staff_places(
    plan: _Plan, staff_load: _Load, slots: list[tuple[int, int, list[int]]]
) -> list[tuple[int, int, list[int]]]:
    """Citizens see a slot as full when only the places still kept for staff remain; the
    staff's own bookings of the type use those places first."""
    q = plan.query
    needed = 1 if _exclusive(q.rules) else q.people
    kept_slots = []
    for s, places, ids in slots:
        kept = max(0, q.rules.staff_reserved - staff_load.peak(s, s + plan.duration))
        if places - kept >= needed:
            kept_slots.append((s, places - kept, ids))
    return kept_slots


def _days(plan: _Plan) -> Iterator[date]:
    q = plan.query
    day = max(q.first_day, datetime.fromtimestamp(plan.earliest, q.tz).date())
    last = min(q.last_day, datetime.fromtimestamp(plan.latest, q.tz).date())
    while day <= last:
        yield day
        day += timedelta(days=1)


def _slots(plan: _Plan, day: date) -> list[Slot]:
    tz, duration = plan.query.tz, plan.duration
    made: dict[int, datetime] = {}  # a slot's end is often the next one's start

    def local(t: int) -> datetime:
        moment = made.get(t)
        if moment is None:
            moment = made[t] = datetime.fromtimestamp(t, tz)
        return moment

    return [
        Slot(local(s), local(s + duration), places, tuple(ids))
        for s, places, ids in _day_slots(plan, day)
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
    if start != datetime.fromtimestamp(start_ts, UTC):
        return ()  # a fraction of a second off a slot (`_ts` drops it) is no slot
    day = datetime.fromtimestamp(start_ts, query.tz).date()
    if not query.first_day <= day <= query.last_day:
        _check(query)
        return ()
    plan = _plan(query)
    for s, _, ids in _day_slots(plan, day):
        if s == start_ts:
            return tuple(ids)
    return ()


def opening_covers(
    openings: Iterable[WeeklyOpening], desk_id: int, start: datetime, end: datetime, tz: ZoneInfo
) -> bool:
    """Whether the desk is open from `start` to `end` under these rules (closures and
    holidays aside): used to find bookings that a change of opening hours leaves outside."""
    start_ts, end_ts = _ts(start), _ts(end)
    day = datetime.fromtimestamp(start_ts, tz).date()
    mine = tuple(o for o in openings if o.desk_id in (None, desk_id))
    return any(s <= start_ts and end_ts <= e for s, e in _opening_spans(mine, day, tz))
