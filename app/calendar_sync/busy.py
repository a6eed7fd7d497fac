"""Busy time of one calendar object: pure code, no I/O.

An object (one `.ics` resource: a VEVENT, its recurrence rule, its overridden instances)
is expanded with `recurring-ical-events` over a window and turned into the periods when
the agent is busy. What counts as busy:

- cancelled events (`STATUS:CANCELLED`) and events the agent declined (their ATTENDEE line
  has `PARTSTAT=DECLINED`) never do;
- events marked free (`TRANSP:TRANSPARENT`, or Outlook's `X-MICROSOFT-CDO-BUSYSTATUS:FREE`)
  do only when the connection says "everything is busy";
- our own published bookings (marker property, or a UID we gave) never do: they are
  already bookings.

Times: zones named by TZID (Olson or Windows names as Outlook writes them, with or without
a VTIMEZONE) are resolved by `icalendar`; floating times and all-day dates are the
agent's local time (the site's zone), so an all-day absence covers the agent's whole local
days, across a daylight-saving change too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar, Event, vCalAddress

# Written on every event we publish; never imported back as busy time.
MARKER_PROPERTY = "X-CRENEAU-BOOKING"
LABEL_LENGTH = 200
PRIVATE_LABEL = "Occupé"


@dataclass(frozen=True)
class BusyPeriod:
    start: datetime
    end: datetime
    label: str


class UnreadableObject(Exception):
    """The server gave something that is not iCalendar."""


def parse(data: str | bytes) -> Calendar:
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as error:
        raise UnreadableObject(str(error)) from error
    # Google writes X-WR-TIMEZONE on the calendar and UTC times on the events.
    standard: Calendar = x_wr_timezone.to_standard(calendar)
    return standard


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC)
    return datetime.combine(value, time.min, tzinfo=tz).astimezone(UTC)


def _addresses(value: vCalAddress | list[vCalAddress] | None) -> list[vCalAddress]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def declined_by(event: Event, agent_emails: frozenset[str]) -> bool:
    for attendee in _addresses(event.get("attendee")):
        address = str(attendee).lower().removeprefix("mailto:")
        if address in agent_emails:
            partstat = str(attendee.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
            return partstat == "DECLINED"
    return False


def marked_free(event: Event) -> bool:
    if str(event.get("transp", "OPAQUE")).upper() == "TRANSPARENT":
        return True
    return str(event.get("x-microsoft-cdo-busystatus", "")).upper() == "FREE"


def is_ours(event: Event, own_uid: Callable[[str], bool]) -> bool:
    return MARKER_PROPERTY in event or own_uid(str(event.get("uid", "")))


def counts_as_busy(
    event: Event, *, all_busy: bool, agent_emails: frozenset[str], own_uid: Callable[[str], bool]
) -> bool:
    if is_ours(event, own_uid):
        return False
    if str(event.get("status", "")).upper() == "CANCELLED":
        return False
    if declined_by(event, agent_emails):
        return False
    return all_busy or not marked_free(event)


def _label(event: Event) -> str:
    if str(event.get("class", "PUBLIC")).upper() in {"PRIVATE", "CONFIDENTIAL"}:
        return PRIVATE_LABEL
    summary = " ".join(str(event.get("summary", "")).split())
    return (summary or PRIVATE_LABEL)[:LABEL_LENGTH]


def _end_of(event: Event, start: date | datetime) -> date | datetime:
    if "dtend" in event:
        end: date | datetime = event.decoded("dtend")
        return end
    if "duration" in event:
        duration: timedelta = event.decoded("duration")
        return start + duration
    # RFC 5545 §3.6.1: a DATE start without end lasts one day, a DATE-TIME start no time.
    return start + timedelta(days=1) if not isinstance(start, datetime) else start


def busy_periods(
    calendar: Calendar,
    *,
    tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    all_busy: bool = False,
    agent_emails: Iterable[str] = (),
    own_uid: Callable[[str], bool] = lambda _uid: False,
) -> list[BusyPeriod]:
    emails = frozenset(address.lower() for address in agent_emails if address)
    periods = []
    query = recurring_ical_events.of(calendar, components=["VEVENT"])
    for event in query.between(window_start, window_end):
        if not counts_as_busy(event, all_busy=all_busy, agent_emails=emails, own_uid=own_uid):
            continue
        start = event.decoded("dtstart")
        start_instant = _instant(start, tz)
        end_instant = _instant(_end_of(event, start), tz)
        if end_instant <= start_instant:
            continue
        periods.append(BusyPeriod(start_instant, end_instant, _label(event)))
    periods.sort(key=lambda period: (period.start, period.end))
    return periods
