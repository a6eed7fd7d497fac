"""Free slots of one type for one week and one month: the engine alone, then what a page
really costs (the database adapter and the engine, against SQLite).

    .venv/bin/python -m bench.bench_availability [--quick] [--engine-only] [--postgres URL]

Engine alone (`bench/scenario.py`): the query built in memory, each run from scratch (the
engine's shared timeline is forgotten before each run). Occupations are given either as
`Occupation` objects with aware datetimes, or as rows of epoch seconds with identical
occupations summed, which is what `planning.build_query` hands over.

Page (`bench/city_db.py` written into a SQLite file): `planning.build_query` then
`free_slots` over one month, and the step-5 reading of `planning.WeekPlanner` (the first
free slot, then the week shown) on a Tuesday morning and on a Saturday afternoon, each run
in a new session.

Baseline, measured in the same run: the month on an empty planning, in memory (the cost of
enumerating the candidate slots alone). Medians of CPU time (of the whole process) and of
wall time; the ratio (×) is of CPU times, to the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter, process_time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking import availability
from app.booking.availability import free_slots
from app.booking.planning import WeekPlanner, booking_window, build_query, monday_of
from app.db.migrate import upgrade
from app.db.models import AppointmentType
from app.db.session import Database
from bench.city_db import load_city, reset_postgres
from bench.scenario import FIRST_DAY, PARIS, build, query

REPEAT = 50


def forget() -> None:
    """Each run computes everything: the shared timeline (if this engine has one) is
    dropped before it, outside the timing."""
    shared = getattr(availability, "_shared_timeline", None)
    if shared is not None:
        shared.cache_clear()


class Timings:
    """Wall and CPU time (of the whole process: the SQLite driver's thread included) of
    each run, in milliseconds. On a shared machine the CPU time is the steadier one."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def start(self) -> None:
        self._wall, self._cpu = perf_counter(), process_time()

    def stop(self) -> None:
        self.wall.append((perf_counter() - self._wall) * 1000)
        self.cpu.append((process_time() - self._cpu) * 1000)

    @property
    def median(self) -> float:
        return statistics.median(self.cpu)


def measure(fn: Callable[[], object], repeat: int, *, fresh: bool = True) -> Timings:
    timings = Timings()
    for _ in range(repeat):
        if fresh:
            forget()
        timings.start()
        fn()
        timings.stop()
    return timings


def line(label: str, timings: Timings, base: float) -> float:
    wall, cpu = statistics.median(timings.wall), timings.median
    print(f"{label:<52} CPU {cpu:7.2f} ms  wall {wall:7.2f} ms   ×{cpu / base:5.1f}")
    return cpu


def growth(label: str, medians: list[float]) -> None:
    ratios = "  ".join(f"×{m / medians[0]:.1f}" for m in medians[1:])
    print(f"  growth, {label}: {ratios}")


def as_rows(q: availability.AvailabilityQuery) -> availability.AvailabilityQuery:
    """The occupations as the database adapter reads them: epoch seconds, identical ones
    summed (GROUP BY … SUM(people)), in the order of SQLite's grouping."""
    if not hasattr(availability, "OccupationRow"):
        return q  # an engine from before the rows
    people: Counter[tuple[int, int, int, int, bool]] = Counter()
    for o in q.occupations:
        key = (o.desk_id, int(o.start.timestamp()), int(o.end.timestamp()), o.type_id, o.by_staff)
        people[key] += o.people
    return replace(
        q,
        occupations=tuple(
            sorted((d, s, e, n, t, staff) for (d, s, e, t, staff), n in people.items())
        ),
        blocked=tuple(
            (b.desk_id, int(b.start.timestamp()), int(b.end.timestamp())) for b in q.blocked
        ),
    )


def engine_alone(repeat: int) -> float:
    occupations, blocked, candidates = build()
    print(
        f"scenario: 10 desks, {candidates} slot starts over 90 days, "
        f"{len(occupations)} bookings, {len(blocked)} absences"
    )
    week_end = FIRST_DAY + timedelta(days=6)
    month_end = FIRST_DAY + timedelta(days=30)
    empty_month = query(FIRST_DAY, month_end, (), ())
    baseline = measure(lambda: free_slots(empty_month), repeat)
    base = baseline.median
    line("baseline: one month, empty planning", baseline, base)
    week = query(FIRST_DAY, week_end, occupations, blocked)
    month = query(FIRST_DAY, month_end, occupations, blocked)
    line("one week, 60 % booked, 300 absences", measure(lambda: free_slots(week), repeat), base)
    rows = as_rows(week)
    if rows is not week:
        label = f"one week, rows ({len(rows.occupations)})"
        line(label, measure(lambda: free_slots(rows), repeat), base)
    cases = [("one month, 60 % booked, 300 absences", month)]
    for multiplier in (10, 100):
        more, blocked_more, _ = build(multiplier=multiplier)
        cases.append(
            (
                f"one month, {multiplier}× the bookings ({len(more)})",
                query(FIRST_DAY, month_end, more, blocked_more),
            )
        )
    by_objects, by_rows = [], []
    for label, q in cases:
        by_objects.append(line(f"{label}", measure(lambda q=q: free_slots(q), repeat), base))
        rows = as_rows(q)
        if rows is not q:
            label = f"  the same as rows ({len(rows.occupations)})"
            by_rows.append(line(label, measure(lambda rows=rows: free_slots(rows), repeat), base))
    growth("month, 10× and 100× the bookings, objects", by_objects)
    if by_rows:
        growth("month, 10× and 100× the bookings, rows", by_rows)
    # The week planner's next weeks: replace(query, first_day=…) shares the timeline.
    rows = as_rows(query(FIRST_DAY, FIRST_DAY + timedelta(days=90), occupations, blocked))
    free_slots(rows)
    second_week = replace(
        rows, first_day=FIRST_DAY + timedelta(days=7), last_day=FIRST_DAY + timedelta(days=13)
    )
    shared = measure(lambda: free_slots(second_week), repeat, fresh=False)
    line("one week of a 90-day query computed before", shared, base)
    return base


def _next(today: date, weekday: int, at: time) -> datetime:
    """The next such weekday after today (the data starts today), at that Paris time."""
    day = today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return datetime.combine(day, at, PARIS).astimezone(UTC)


async def _page_timings(url: str, type_id: int, repeat: int) -> dict[str, Timings]:
    db = Database(url)
    today = datetime.now(PARIS).date()
    # A Tuesday morning: the week shown holds the first free slot. A Saturday afternoon:
    # the rest of that week is closed, the first free slot is in the next one.
    weekday, weekend = _next(today, 1, time(8)), _next(today, 5, time(14))
    timings = {"month": Timings(), "weekday": Timings(), "weekend": Timings()}
    try:
        async with db.read() as session:
            chosen = (
                await session.execute(
                    select(AppointmentType)
                    .where(AppointmentType.id == type_id)
                    .options(
                        selectinload(AppointmentType.site), selectinload(AppointmentType.desks)
                    )
                )
            ).scalar_one()
            session.expunge_all()
        first_day, _ = booking_window(chosen, weekday)
        month_end = first_day + timedelta(days=30)

        async def month() -> None:
            async with db.read() as session:
                free_slots(await build_query(session, chosen, 1, weekday, first_day, month_end))

        async def page(now: datetime) -> None:
            async with db.read() as session:
                planner = WeekPlanner(session, chosen, 1, now)
                earliest = await planner.first_free_slot()
                assert earliest is not None
                await planner.week_slots(monday_of(earliest.start.date()))

        runs: dict[str, Callable[[], Awaitable[None]]] = {
            "month": month,
            "weekday": lambda: page(weekday),
            "weekend": lambda: page(weekend),
        }
        for _ in range(repeat):
            for name, run in runs.items():
                forget()
                timings[name].start()
                await run()
                timings[name].stop()
    finally:
        await db.dispose()
    return timings


def page_costs(repeat: int, base: float, postgres: str | None) -> None:
    where = "PostgreSQL (its CPU not counted)" if postgres else "SQLite"
    print(f"\npage: build_query + engine against {where}, bench/city_db.py, a session a run")
    medians: dict[str, list[float]] = {"month": [], "weekday": [], "weekend": []}
    labels = {
        "month": "one month",
        "weekday": "step-5 page, Tuesday 08:00",
        "weekend": "step-5 page, Saturday 14:00",
    }
    with tempfile.TemporaryDirectory(prefix="creneau-bench-") as tmp:
        for multiplier in (1, 10):
            if postgres:
                url = postgres
                asyncio.run(reset_postgres(url))
            else:
                url = f"sqlite+aiosqlite:///{Path(tmp) / f'city-{multiplier}.db'}"
            upgrade(url)
            city = asyncio.run(load_city(url, multiplier=multiplier))
            timings = asyncio.run(_page_timings(url, city.main_type_id, repeat))
            for name, label in labels.items():
                medians[name].append(
                    line(f"{multiplier}× ({city.bookings}): {label}", timings[name], base)
                )
    for name, label in labels.items():
        growth(f"10× the bookings, {label}", medians[name])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 runs of each, not 50")
    parser.add_argument("--engine-only", action="store_true", help="no database")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="the pages against this PostgreSQL database instead of SQLite: the "
        "benchmark's own, EMPTIED first (e.g. postgresql+asyncpg://postgres@127.0.0.1/mine)",
    )
    args = parser.parse_args()
    repeat = 10 if args.quick else REPEAT
    base = engine_alone(repeat)
    if not args.engine_only:
        page_costs(repeat, base, args.postgres)


if __name__ == "__main__":
    main()
