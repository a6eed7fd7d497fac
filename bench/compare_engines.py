"""The month computation by an older engine and the current one, alternating in one
process on the same query (CPU time), so that machine noise hits both alike.

    .venv/bin/python -m bench.compare_engines [REVISION] [MULTIPLIER]
    # default: f2e7356 (issue 2), the scenario's bookings once

The older `availability.py` is read from git history; all must give the same slots. The
current engine is timed twice: with `Occupation` objects, as the older one, and with the
rows of epoch seconds that `planning.build_query` now hands over (identical occupations
summed); each run builds its timeline anew.
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from app.booking import availability as current
from bench.bench_availability import as_rows, forget
from bench.scenario import FIRST_DAY, build, query

RUNS = 60


def _load_engine(revision: str):
    source = subprocess.run(
        ["git", "show", f"{revision}:app/booking/availability.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "older_availability.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("older_availability", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _same_query(engine, q):
    """The query rebuilt with the given engine's own classes (fields both versions know)."""
    rules = q.rules
    return engine.AvailabilityQuery(
        tz=q.tz,
        desk_ids=q.desk_ids,
        openings=tuple(engine.WeeklyOpening(o.weekday, o.start, o.end) for o in q.openings),
        rules=engine.TypeRules(
            rules.type_id,
            rules.slot_minutes,
            rules.capacity,
            rules.duration_per_person,
            rules.min_delay,
            rules.horizon,
        ),
        people=q.people,
        now=q.now,
        first_day=q.first_day,
        last_day=q.last_day,
        occupations=tuple(
            engine.Occupation(o.desk_id, o.start, o.end, o.people, o.type_id) for o in q.occupations
        ),
        blocked=tuple(engine.Blocked(b.desk_id, b.start, b.end) for b in q.blocked),
    )


def main() -> None:
    revision = sys.argv[1] if len(sys.argv) > 1 else "f2e7356"
    multiplier = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    older = _load_engine(revision)
    occupations, blocked, _ = build(multiplier=multiplier)
    month = query(FIRST_DAY, FIRST_DAY + timedelta(days=30), occupations, blocked)
    engines = {
        revision: (older, _same_query(older, month)),
        "current": (current, month),
        "rows": (current, as_rows(month)),
    }
    results = {
        name: [(s.start, s.places, s.desk_ids) for s in e.free_slots(q)]
        for name, (e, q) in engines.items()
    }
    assert results[revision] == results["current"], "the two engines disagree"
    timings: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(RUNS):
        for name, (engine, q) in engines.items():
            forget()
            started = time.process_time()
            engine.free_slots(q)
            timings[name].append((time.process_time() - started) * 1000)
    base = statistics.median(timings[revision])
    print(f"one month, {len(month.occupations)} bookings, {len(month.blocked)} absences")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:<10} one month: median {median:6.2f} ms CPU   ×{median / base:4.2f}")


if __name__ == "__main__":
    main()
