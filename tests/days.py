"""Days and times relative to the suite's instant (tests/instant.py), so that a test says
« next Tuesday at 10:00 » instead of a date that is only right on one morning.

The demo commune opens Monday to Friday 8:30–12:00 and 13:30–17:00, and Saturday
9:00–12:00, in Europe/Paris; it is closed on French public holidays and 10–16 August.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from tests.instant import FIXED_NOW

PARIS = ZoneInfo("Europe/Paris")
TODAY = FIXED_NOW.astimezone(PARIS).date()
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def closed(day: date) -> bool:
    """A French public holiday or the demo commune's summer closure."""
    return day in holidays.France(years=day.year) or (day.month == 8 and 10 <= day.day <= 16)


def open_day(weekday: int, *, after: int = 2, nth: int = 1) -> date:
    """The `nth` day with this weekday (0: Monday) that is at least `after` days after
    today and on which the demo commune is open."""
    day = TODAY + timedelta(days=after)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    found = 0
    while True:
        if not closed(day):
            found += 1
            if found == nth:
                return day
        day += timedelta(days=7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """That day's local time in Paris, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def slot(day: date, hour: int, minute: int = 0) -> str:
    """A slot as the pages write it in `name="creneau"` (2026-12-01T10:00:00+01:00)."""
    return at(day, hour, minute).isoformat()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def later(**delta: float) -> datetime:
    """The suite's instant plus a duration (UTC)."""
    return FIXED_NOW + timedelta(**delta)


# --- the demo commune's free starts on an empty agenda, and French wording ----------------

# Its weekly opening hours (app/demo.py), local time, and its types' default limits.
HOURS: dict[int, tuple[tuple[time, time], ...]] = {
    **{weekday: ((time(8, 30), time(12)), (time(13, 30), time(17))) for weekday in range(5)},
    SATURDAY: ((time(9), time(12)),),
}
NOTICE = timedelta(minutes=120)  # the minimum delay before an appointment booked online
HORIZON = timedelta(days=60)  # how far ahead it can be booked


def window_last_day() -> date:
    """The last local day of the booking window, seen from the suite's instant."""
    return (FIXED_NOW + HORIZON).astimezone(PARIS).date()


def free_starts(
    day: date, minutes: int = 30, length: int | None = None, *, after: datetime | None = None
) -> list[datetime]:
    """The starts the demo commune offers on `day` while nothing is booked, for a type of
    `minutes`-long slots lasting `length` minutes (default: one slot): every `minutes` from
    each opening, ending by its close, from the suite's instant plus the notice (or from
    `after`, if later) to the end of the horizon."""
    if closed(day):
        return []
    duration = timedelta(minutes=length or minutes)
    earliest = FIXED_NOW + NOTICE if after is None else max(after, FIXED_NOW + NOTICE)
    latest = FIXED_NOW + HORIZON
    starts = []
    for opens, closes in HOURS.get(day.weekday(), ()):
        start, end = at(day, opens.hour, opens.minute), at(day, closes.hour, closes.minute)
        while start + duration <= end:
            if earliest <= start <= latest:
                starts.append(start)
            start += timedelta(minutes=minutes)
    return starts


def next_free(
    count: int, minutes: int = 30, length: int | None = None, *, after: datetime | None = None
) -> list[datetime]:
    """The first `count` starts offered while nothing is booked (see `free_starts`), from the
    suite's instant plus the notice, or from `after` if later; fewer if the window ends."""
    day = max(FIXED_NOW + NOTICE, after or FIXED_NOW).astimezone(PARIS).date()
    found: list[datetime] = []
    while len(found) < count and day <= window_last_day():
        found += free_starts(day, minutes, length, after=after)
        day += timedelta(days=1)
    return found[:count]


def first_free(minutes: int = 30, length: int | None = None, *, after: datetime | None = None):
    """The first start offered while nothing is booked: the first opening time at least the
    notice after the suite's instant (or after `after`) on a day the commune is open."""
    (start,) = next_free(1, minutes, length, after=after)
    return start


def full_week(after: date) -> date:
    """The Monday of the first week from `after` on whose six days (Monday to Saturday)
    the commune is open."""
    monday = monday_of(after + timedelta(days=6))
    while any(closed(monday + timedelta(days=n)) for n in range(6)):
        monday += timedelta(days=7)
    return monday


WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTH_NAMES = (
    *("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"),
    *("septembre", "octobre", "novembre", "décembre"),
)


def french_day(day: date) -> str:
    """« 30 novembre », « 1er décembre »."""
    return f"{'1er' if day.day == 1 else day.day} {MONTH_NAMES[day.month - 1]}"


def french_date(day: date | datetime) -> str:
    """« lundi 30 novembre 2026 », « mardi 1er décembre 2026 » (a datetime: its Paris day)."""
    if isinstance(day, datetime):
        day = day.astimezone(PARIS).date()
    return f"{WEEKDAY_NAMES[day.weekday()]} {french_day(day)} {day.year}"


def french_time(moment: datetime) -> str:
    """« 10 h », « 8 h 30 » in Paris, with plain spaces (the pages' text as read; e-mails
    use non-breaking ones)."""
    local = moment.astimezone(PARIS)
    return f"{local.hour} h {local.minute:02d}" if local.minute else f"{local.hour} h"


def local_day(moment: datetime) -> date:
    """The day in Paris of an instant (a booking's start, the suite's instant)."""
    return moment.astimezone(PARIS).date()


def next_public_holiday(*, after: int = 1) -> date:
    """The first French public holiday, Monday to Saturday (a day the demo commune would
    otherwise open), at least `after` days after today."""
    day = TODAY + timedelta(days=after)
    while day.weekday() == SUNDAY or day not in holidays.France(years=day.year):
        day += timedelta(days=1)
    return day


def french_week(monday: date) -> str:
    """The heading of the planning's week: « Semaine du lundi 30 novembre au dimanche 6
    décembre 2026 »."""
    return f"Semaine du lundi {french_day(monday)} au {french_date(monday + timedelta(days=6))}"
