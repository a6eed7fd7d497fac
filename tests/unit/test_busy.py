"""Busy time read from real-world calendar files (Outlook/Exchange, Google, Thunderbird,
Nextcloud): what the agent's calendar says, in the agent's local time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.calendar_sync.busy import BusyPeriod, UnreadableObject, busy_periods, parse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "calendars"
PARIS = ZoneInfo("Europe/Paris")
AGENT = "accueil@mairie-exemple.fr"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


def busy(name: str, *, all_busy: bool = False, until=(2027, 6, 1), own=lambda _uid: False):
    calendar = parse((FIXTURES / name).read_bytes())
    return busy_periods(
        calendar,
        tz=PARIS,
        window_start=paris(2026, 11, 30),
        window_end=paris(*until),
        all_busy=all_busy,
        agent_emails=[AGENT],
        own_uid=own,
    )


def spans(periods: list[BusyPeriod]) -> list[tuple[datetime, datetime]]:
    return [(period.start, period.end) for period in periods]


def test_outlook_weekly_meeting_skips_its_exdate_and_follows_its_moved_instance():
    periods = busy("outlook_weekly_meeting.ics", until=(2026, 12, 31))
    assert spans(periods) == [
        (paris(2026, 12, 1, 10), paris(2026, 12, 1, 11, 30)),
        (paris(2026, 12, 8, 14), paris(2026, 12, 8, 15)),  # moved from 10:00
        # 15 December is an EXDATE
        (paris(2026, 12, 22, 10), paris(2026, 12, 22, 11, 30)),
        (paris(2026, 12, 29, 10), paris(2026, 12, 29, 11, 30)),
    ]
    assert periods[1].label == "Réunion de service (décalée)"


def test_outlook_weekly_meeting_keeps_ten_o_clock_local_after_the_spring_change():
    periods = busy("outlook_weekly_meeting.ics")
    march = [p for p in periods if p.start >= paris(2027, 3, 20)]
    # 23 March (CET, 09:00 UTC) and 30 March (CEST, 08:00 UTC): both at 10:00 in Paris.
    assert spans(march) == [
        (paris(2027, 3, 23, 10), paris(2027, 3, 23, 11, 30)),
        (paris(2027, 3, 30, 10), paris(2027, 3, 30, 11, 30)),
    ]
    assert march[0].start.hour == 9 and march[1].start.hour == 8


def test_windows_zone_name_without_vtimezone_is_paris_time():
    assert spans(busy("outlook_no_vtimezone.ics")) == [
        (paris(2026, 12, 3, 14), paris(2026, 12, 3, 17))
    ]


def test_outlook_free_time_is_not_busy_unless_everything_is():
    assert busy("outlook_free.ics") == []
    assert spans(busy("outlook_free.ics", all_busy=True)) == [
        (paris(2026, 12, 2, 9), paris(2026, 12, 2, 12))
    ]


def test_google_recurrence_across_daylight_saving_stays_at_nine_local():
    assert spans(busy("google_standup_dst.ics")) == [
        (paris(2027, 3, 23, 9), paris(2027, 3, 23, 9, 30)),
        (paris(2027, 3, 30, 9), paris(2027, 3, 30, 9, 30)),
        (paris(2027, 4, 6, 9), paris(2027, 4, 6, 9, 30)),
    ]


def test_an_event_the_agent_declined_is_not_busy_an_accepted_one_is():
    assert busy("google_utc_declined.ics") == []
    assert busy("google_utc_declined.ics", all_busy=True) == []
    assert spans(busy("google_utc_accepted.ics")) == [
        (paris(2026, 12, 7, 9), paris(2026, 12, 7, 10))
    ]


def test_thunderbird_all_day_leave_covers_whole_local_days_when_everything_is_busy():
    # Thunderbird marks all-day events free by default: the switch makes them count.
    assert busy("thunderbird_leave_allday.ics") == []
    assert spans(busy("thunderbird_leave_allday.ics", all_busy=True)) == [
        (paris(2026, 12, 21), paris(2026, 12, 24))
    ]


def test_floating_time_is_the_agents_local_time_and_private_titles_stay_private():
    periods = busy("thunderbird_floating.ics")
    assert spans(periods) == [(paris(2026, 12, 9, 8, 30), paris(2026, 12, 9, 10))]
    assert periods[0].label == "Occupé"


def test_cancelled_event_is_never_busy():
    assert busy("nextcloud_cancelled.ics") == []
    assert busy("nextcloud_cancelled.ics", all_busy=True) == []


def test_multi_day_event_is_one_period():
    assert spans(busy("nextcloud_multiday.ics")) == [
        (paris(2026, 12, 14, 14), paris(2026, 12, 16, 12))
    ]


def test_our_own_events_are_never_busy():
    uid = "5t1o0d9b8r3q2p1n0m9l8k7j6h@google.com"
    assert busy("google_standup_dst.ics", own=lambda candidate: candidate == uid) == []


def test_the_window_limits_the_expansion():
    assert len(busy("outlook_weekly_meeting.ics", until=(2026, 12, 2))) == 1


def test_garbage_is_refused():
    with pytest.raises(UnreadableObject):
        parse(b"<html>not a calendar</html>")


def test_a_cancelled_instance_of_a_google_series_is_not_busy():
    assert spans(busy("google_cancelled_instance.ics")) == [
        (paris(2026, 12, 2, 14), paris(2026, 12, 2, 15)),
        (paris(2026, 12, 16, 14), paris(2026, 12, 16, 15)),
    ]
