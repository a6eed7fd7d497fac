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


# --- added by the integration tests of the back office (integ2) ---------------------------

WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_date(day: date) -> str:
    """A day as the pages write it, « lundi 30 novembre 2026 », « mardi 1er décembre 2026 »
    (spelt here, not borrowed from the application, so that the tests check its spelling)."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAY_NAMES[day.weekday()]} {number} {MONTH_NAMES[day.month - 1]} {day.year}"


def french_time(moment: datetime) -> str:
    """A time of day in Paris as the pages write it: « 8 h », « 10 h 30 » (ordinary spaces:
    compare with text whose spaces were collapsed)."""
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
