"""Step 5's week, shared for a moment between the citizens who hold nothing.

In a rush, thousands of citizens open step 5 for the same type within seconds, and each
page would read and compute the same week again. For a citizen with no hold and no booking
being modified, the page does not depend on who asks: it is kept for
`Settings.shared_week_seconds` and given to the next ones. What it shows may then be up to
that long out of date; taking a slot re-checks it under locks (`service.hold`), and a slot
taken meanwhile is refused with a small answer (decision 69). Decision 74.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.booking.availability import Slot


@dataclass(frozen=True)
class SharedWeek:
    """What step 5 computed: the booking window, its first free slot, the week shown."""

    first_day: date
    last_day: date
    earliest: Slot | None
    week: date
    slots: tuple[Slot, ...]


# (type id, people, the week asked for: None for the one of the first free slot)
WeekKey = tuple[int, int, date | None]


class SharedWeeks:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._weeks: dict[WeekKey, tuple[float, SharedWeek]] = {}

    def get(self, key: WeekKey) -> SharedWeek | None:
        found = self._weeks.get(key)
        if found is None or found[0] <= self._clock():
            return None
        return found[1]

    def put(self, key: WeekKey, week: SharedWeek) -> None:
        now = self._clock()
        if len(self._weeks) > 1000:  # forget what has expired rather than grow
            self._weeks = {k: v for k, v in self._weeks.items() if v[0] > now}
        self._weeks[key] = (now + self.seconds, week)
