"""iCalendar text written into the CalDAV servers, dated relative to the suite's instant
(tests/instant.py), so that an absence lands where the test expects it whatever the day.

`absence` writes one event as Nextcloud does; `real_world` moves a file recorded from a real
client (tests/fixtures/calendars/) by whole weeks, keeping its local times and weekdays.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from tests.days import PARIS
from tests.instant import FIXED_NOW

FIXTURES = Path(__file__).parent.parent / "fixtures" / "calendars"

ABSENCE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//IDN nextcloud.com//Calendar app 5.0.4//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:{stamp}
DTSTART;TZID=Europe/Paris:{start}
DTEND;TZID=Europe/Paris:{end}
SUMMARY:{summary}
END:VEVENT
END:VCALENDAR
"""


def local(moment: datetime) -> str:
    """A DATE-TIME value in Paris time, as written after `TZID=Europe/Paris:`."""
    return moment.astimezone(PARIS).strftime("%Y%m%dT%H%M%S")


def absence(uid: str, start: datetime, end: datetime, summary: str = "Formation") -> str:
    """An agent's absence from `start` to `end` (aware datetimes), in Paris time."""
    stamp = FIXED_NOW.strftime("%Y%m%dT%H%M%SZ")
    return ABSENCE.format(uid=uid, stamp=stamp, start=local(start), end=local(end), summary=summary)


# The properties of an event that say when it happens (RFC 5545 §3.8.2, §3.8.4.4, §3.8.5).
_WHEN = re.compile(r"^(DTSTART|DTEND|RECURRENCE-ID|EXDATE|RDATE)([;:])(.*)$")
_UNTIL = re.compile(r"UNTIL=(\d{8})")
_DATE = re.compile(r"(?<![0-9])(\d{8})(?=T|$|,)")


def real_world(name: str, first_day: date) -> str:
    """The file `name` of tests/fixtures/calendars moved by whole weeks so that its first
    event starts on `first_day`, which must fall on the same weekday (a weekly rule's BYDAY
    keeps its meaning). The dates of every event move (DTSTART, DTEND, RECURRENCE-ID, EXDATE,
    RDATE, a rule's UNTIL) and their times of day stay; the time zone definitions and the
    stamps (DTSTAMP, CREATED, LAST-MODIFIED) stay as recorded."""
    lines = (FIXTURES / name).read_text().splitlines()
    first = _first_start(lines)
    shift = first_day - first
    if shift.days % 7:
        raise ValueError(f"{name} starts on {first:%A}, not on {first_day:%A} ({first_day})")

    def moved(match: re.Match[str]) -> str:
        return (_day(match.group(1)) + shift).strftime("%Y%m%d")

    out, in_event = [], False
    for line in lines:
        if line in ("BEGIN:VEVENT", "END:VEVENT"):
            in_event = line == "BEGIN:VEVENT"
        elif in_event and (when := _WHEN.match(line)):
            prop, separator, rest = when.groups()
            head, colon, value = rest.rpartition(":") if separator == ";" else ("", "", rest)
            line = f"{prop}{separator}{head}{colon}{_DATE.sub(moved, value)}"
        elif in_event and line.startswith("RRULE:"):
            line = _UNTIL.sub(lambda match: "UNTIL=" + moved(match), line)
        out.append(line)
    return "\r\n".join(out) + "\r\n"


def _day(value: str) -> date:
    return datetime.strptime(value[:8], "%Y%m%d").date()


def _first_start(lines: list[str]) -> date:
    """The date of the first event's DTSTART (not a time zone's)."""
    in_event = False
    for line in lines:
        if line in ("BEGIN:VEVENT", "END:VEVENT"):
            in_event = line == "BEGIN:VEVENT"
        elif in_event and line.startswith("DTSTART"):
            return _day(line.rpartition(":")[2])
    raise ValueError("no event")
