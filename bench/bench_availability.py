"""Free slots of one type for one week and one month, in-process.

    .venv/bin/python -m bench.bench_availability

Baseline, measured in the same run: the same computation on an empty planning (no
bookings, no absences), i.e. the cost of enumerating the candidate slots alone.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from app.booking.availability import free_slots
from bench.scenario import FIRST_DAY, build, query

REPEAT = 50


def measure(fn, repeat: int = REPEAT) -> tuple[float, float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def report(label: str, fn, baseline_median: float) -> None:
    median, p95 = measure(fn)
    ratio = median / baseline_median
    print(f"{label:<44} median {median:7.2f} ms   p95 {p95:7.2f} ms   ×{ratio:5.1f}")


def main() -> None:
    occupations, blocked, candidates = build()
    print(
        f"scenario: 10 desks, {candidates} slot starts over 90 days, "
        f"{len(occupations)} bookings, {len(blocked)} absences"
    )
    week_end = FIRST_DAY + timedelta(days=6)
    month_end = FIRST_DAY + timedelta(days=30)
    empty_month = query(FIRST_DAY, month_end, (), ())
    base_median, base_p95 = measure(lambda: free_slots(empty_month))
    label = "baseline: one month, empty planning"
    print(f"{label:<44} median {base_median:7.2f} ms   p95 {base_p95:7.2f} ms   ×  1.0")
    week = query(FIRST_DAY, week_end, occupations, blocked)
    month = query(FIRST_DAY, month_end, occupations, blocked)
    report("one week, 60 % booked, 300 absences", lambda: free_slots(week), base_median)
    report("one month, 60 % booked, 300 absences", lambda: free_slots(month), base_median)
    for multiplier in (10, 100):
        more, blocked_more, _ = build(multiplier=multiplier)
        month_more = query(FIRST_DAY, month_end, more, blocked_more)
        report(
            f"one month, {multiplier}× the bookings ({len(more)})",
            lambda q=month_more: free_slots(q),
            base_median,
        )


if __name__ == "__main__":
    main()
