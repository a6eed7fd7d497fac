import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.booking.availability import (
    AvailabilityQuery,
    Blocked,
    Occupation,
    Slot,
    TypeRules,
    WeeklyOpening,
    first_free_slot,
    free_slots,
    slot_fits,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 6, 1)

DEMO = tuple(
    WeeklyOpening(wd, start, end)
    for wd in range(5)
    for start, end in ((time(8, 30), time(12)), (time(13, 30), time(17)))
) + (WeeklyOpening(5, time(9), time(12)),)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def rules(**kw) -> TypeRules:
    base = dict(
        type_id=1,
        slot_minutes=30,
        capacity=1,
        duration_per_person=False,
        min_delay=timedelta(0),
        horizon=timedelta(days=3650),
    )
    return TypeRules(**{**base, **kw})


def query(first: date, last: date | None = None, **kw) -> AvailabilityQuery:
    base = dict(
        tz=PARIS,
        desk_ids=(1,),
        openings=DEMO,
        rules=rules(),
        people=1,
        now=datetime(2026, 1, 1, tzinfo=PARIS),
        first_day=first,
        last_day=last or first,
    )
    return AvailabilityQuery(**{**base, **kw})


def hhmm(slots: list[Slot]) -> list[str]:
    return [s.start.strftime("%H:%M") for s in slots]


def utc_hhmm(slots: list[Slot]) -> list[str]:
    return [s.start.astimezone(UTC).strftime("%H:%M") for s in slots]


def real_length(slot: Slot) -> timedelta:
    return slot.end.astimezone(UTC) - slot.start.astimezone(UTC)


def by_start(slots: list[Slot]) -> dict[datetime, Slot]:
    return {s.start.astimezone(UTC): s for s in slots}


# --- plain opening hours ----------------------------------------------------------------------


def test_demo_monday_gives_7_plus_7_half_hour_slots():
    slots = free_slots(query(MONDAY))
    assert hhmm(slots) == [
        *("08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"),
        *("13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"),
    ]
    assert slots[0] == Slot(at(MONDAY, 8, 30), at(MONDAY, 9), 1, (1,))
    assert slots[-1].end == at(MONDAY, 17)
    assert all(s.start.tzinfo is PARIS and s.places == 1 for s in slots)


def test_demo_saturday_six_slots_sunday_none():
    saturday, sunday = MONDAY + timedelta(days=5), MONDAY + timedelta(days=6)
    assert hhmm(free_slots(query(saturday))) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]
    assert free_slots(query(sunday)) == []
    assert len(free_slots(query(MONDAY, sunday))) == 5 * 14 + 6


def test_results_sorted_across_days():
    slots = free_slots(query(MONDAY, MONDAY + timedelta(days=2)))
    assert [s.start.date() for s in slots] == [MONDAY] * 14 + [MONDAY + timedelta(1)] * 14 + [
        MONDAY + timedelta(2)
    ] * 14
    assert slots == sorted(slots, key=lambda s: s.start.astimezone(UTC))


def test_adjacent_templates_are_merged():
    openings = (WeeklyOpening(0, time(9), time(10)), WeeklyOpening(0, time(10), time(11)))
    slots = free_slots(query(MONDAY, openings=openings, rules=rules(slot_minutes=45)))
    assert hhmm(slots) == ["09:00", "09:45"]  # 09:45-10:30 crosses the template boundary


def test_overlapping_templates_are_merged():
    openings = (WeeklyOpening(0, time(9), time(10, 30)), WeeklyOpening(0, time(10), time(11)))
    assert hhmm(free_slots(query(MONDAY, openings=openings))) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
    ]


# --- daylight-saving time ---------------------------------------------------------------------


def test_spring_change_week_keeps_local_hours():
    friday, sunday, monday = date(2027, 3, 26), date(2027, 3, 28), date(2027, 3, 29)
    before, after = free_slots(query(friday)), free_slots(query(monday))
    assert hhmm(before)[0] == hhmm(after)[0] == "08:30"
    assert utc_hhmm(before)[0] == "07:30"  # CET, UTC+1
    assert utc_hhmm(after)[0] == "06:30"  # CEST, UTC+2
    assert len(before) == len(after) == 14
    assert free_slots(query(sunday)) == []


def test_autumn_change_week_keeps_local_hours():
    friday, monday = date(2026, 10, 23), date(2026, 10, 26)
    before, after = free_slots(query(friday)), free_slots(query(monday))
    assert hhmm(before)[0] == hhmm(after)[0] == "08:30"
    assert utc_hhmm(before)[0] == "06:30"  # CEST
    assert utc_hhmm(after)[0] == "07:30"  # CET
    assert utc_hhmm(after)[-1] == "15:30"


def test_spring_change_night_has_real_length_slots():
    sunday = date(2027, 3, 28)
    openings = (WeeklyOpening(6, time(0), time(4)),)  # only 3 real hours that night
    slots = free_slots(query(sunday, openings=openings))
    assert hhmm(slots) == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    assert all(real_length(s) == timedelta(minutes=30) for s in slots)
    assert slots[3].end.strftime("%H:%M") == "03:00"
    assert slots[-1].end == at(sunday, 4)

    hourly = free_slots(query(sunday, openings=openings, rules=rules(slot_minutes=60)))
    assert hhmm(hourly) == ["00:00", "01:00", "03:00"]
    assert [real_length(s) for s in hourly] == [timedelta(hours=1)] * 3


def test_autumn_change_night_has_real_length_slots():
    sunday = date(2026, 10, 25)
    openings = (WeeklyOpening(6, time(0), time(4)),)  # 5 real hours that night
    slots = free_slots(query(sunday, openings=openings))
    assert hhmm(slots) == [
        *("00:00", "00:30", "01:00", "01:30", "02:00", "02:30"),
        *("02:00", "02:30", "03:00", "03:30"),
    ]
    assert [s.start.utcoffset() for s in slots[4:8]] == [timedelta(hours=h) for h in (2, 2, 1, 1)]
    utc_starts = [s.start.astimezone(UTC) for s in slots]
    assert utc_starts[0] == datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert all(
        b - a == timedelta(minutes=30) for a, b in zip(utc_starts, utc_starts[1:], strict=False)
    )
    assert all(real_length(s) == timedelta(minutes=30) for s in slots)


def test_opening_until_midnight():
    openings = (WeeklyOpening(0, time(22), time(0)),)
    slots = free_slots(query(MONDAY, openings=openings, rules=rules(slot_minutes=60)))
    assert hhmm(slots) == ["22:00", "23:00"]
    assert slots[-1].end == at(MONDAY + timedelta(days=1), 0)


# --- closed days --------------------------------------------------------------------------------


def test_holiday_gives_nothing():
    christmas = date(2026, 12, 25)
    holidays = frozenset({christmas})
    slots = free_slots(query(christmas - timedelta(days=1), christmas, holidays=holidays))
    assert {s.start.date() for s in slots} == {date(2026, 12, 24)}
    assert len(slots) == 14
    assert free_slots(query(christmas, holidays=holidays)) == []


def test_closure_range_is_inclusive_on_both_ends():
    closures = ((MONDAY + timedelta(days=1), MONDAY + timedelta(days=3)),)
    slots = free_slots(query(MONDAY, MONDAY + timedelta(days=4), closures=closures))
    assert sorted({s.start.date() for s in slots}) == [MONDAY, MONDAY + timedelta(days=4)]
    assert len(slots) == 28


# --- capacity -----------------------------------------------------------------------------------


def occ(start: datetime, minutes: int = 30, people: int = 1, desk: int = 1, type_id: int = 1):
    return Occupation(desk, start, start + timedelta(minutes=minutes), people, type_id)


def test_places_mode_counts_remaining_people():
    q = query(MONDAY, rules=rules(capacity=3), occupations=(occ(at(MONDAY, 9), people=2),))
    slots = by_start(free_slots(q))
    nine = at(MONDAY, 9).astimezone(UTC)
    assert slots[nine].places == 1
    assert slots[at(MONDAY, 8, 30).astimezone(UTC)].places == 3

    two = by_start(free_slots(replace(q, people=2)))
    assert nine not in two
    assert len(two) == 13
    assert two[at(MONDAY, 9, 30).astimezone(UTC)].places == 3


def test_places_mode_uses_peak_not_sum_over_the_span():
    occupations = (occ(at(MONDAY, 9), people=2), occ(at(MONDAY, 9, 30), people=2))
    q = query(MONDAY, rules=rules(capacity=3, slot_minutes=60), occupations=occupations)
    slots = by_start(free_slots(q))
    assert slots[at(MONDAY, 9, 30).astimezone(UTC)].places == 1
    assert slots[at(MONDAY, 8, 30).astimezone(UTC)].places == 1
    assert slots[at(MONDAY, 10, 30).astimezone(UTC)].places == 3


# --- places kept for staff ---------------------------------------------------------------------


def test_places_kept_for_staff_are_hidden_from_citizens_only():
    q = query(MONDAY, rules=rules(capacity=3, staff_reserved=1))
    nine = at(MONDAY, 9).astimezone(UTC)
    assert by_start(free_slots(q))[nine].places == 2
    assert by_start(free_slots(replace(q, for_staff=True)))[nine].places == 3
    assert free_slots(replace(q, people=3)) == []  # 3 people need the kept place
    assert len(free_slots(replace(q, people=3, for_staff=True))) == 14


def test_citizen_bookings_cannot_eat_the_kept_places():
    q = query(
        MONDAY,
        rules=rules(capacity=3, staff_reserved=1),
        occupations=(occ(at(MONDAY, 9), people=2),),
    )
    nine = at(MONDAY, 9).astimezone(UTC)
    assert nine not in by_start(free_slots(q))
    assert by_start(free_slots(replace(q, for_staff=True)))[nine].places == 1


def test_staff_bookings_use_the_kept_places_first():
    staff = Occupation(1, at(MONDAY, 9), at(MONDAY, 9, 30), 1, 1, by_staff=True)
    q = query(MONDAY, rules=rules(capacity=3, staff_reserved=1), occupations=(staff,))
    assert by_start(free_slots(q))[at(MONDAY, 9).astimezone(UTC)].places == 2


def test_exclusive_mode_keeps_whole_desks_for_staff():
    q = query(MONDAY, desk_ids=(1, 2), rules=rules(staff_reserved=1))
    nine = at(MONDAY, 9).astimezone(UTC)
    assert by_start(free_slots(q))[nine].places == 1
    booked = replace(q, occupations=(occ(at(MONDAY, 9), desk=2),))
    assert nine not in by_start(free_slots(booked))
    by_staff = replace(
        q, occupations=(Occupation(2, at(MONDAY, 9), at(MONDAY, 9, 30), 1, 1, by_staff=True),)
    )
    assert by_start(free_slots(by_staff))[nine].places == 1
    assert slot_fits(by_staff, at(MONDAY, 9)) == (1,)


def test_staff_bookings_of_another_type_do_not_fill_the_kept_places():
    other = Occupation(2, at(MONDAY, 9), at(MONDAY, 9, 30), 1, 7, by_staff=True)
    q = query(MONDAY, desk_ids=(1, 2), rules=rules(staff_reserved=1), occupations=(other,))
    assert at(MONDAY, 9).astimezone(UTC) not in by_start(free_slots(q))


def test_a_one_place_desk_takes_one_person_unless_each_person_lengthens_the_slot():
    assert free_slots(query(MONDAY, people=2)) == []
    assert len(free_slots(query(MONDAY, people=1))) == 14
    lengthened = query(MONDAY, people=2, rules=rules(duration_per_person=True))
    assert hhmm(free_slots(lengthened))[:2] == ["08:30", "09:00"]


def test_places_mode_more_people_than_capacity_fits_nowhere():
    assert free_slots(query(MONDAY, rules=rules(capacity=3), people=4)) == []
    assert len(free_slots(query(MONDAY, rules=rules(capacity=3), people=3))) == 14


def test_people_must_be_positive():
    with pytest.raises(ValueError):
        free_slots(query(MONDAY, people=0))
    with pytest.raises(ValueError):
        slot_fits(query(MONDAY, people=-1), at(MONDAY, 9))


def test_naive_now_is_rejected():
    with pytest.raises(ValueError):
        free_slots(query(MONDAY, now=datetime(2026, 1, 1)))


def test_exclusive_mode_any_overlap_makes_desk_busy():
    occupations = (occ(at(MONDAY, 9, 10), minutes=30),)  # 09:10-09:40, not aligned
    slots = free_slots(query(MONDAY, occupations=occupations))
    assert hhmm(slots)[:3] == ["08:30", "10:00", "10:30"]
    assert len(slots) == 12


def test_other_type_blocks_desk_in_places_mode():
    occupations = (occ(at(MONDAY, 9), people=1, type_id=2),)
    slots = free_slots(query(MONDAY, rules=rules(capacity=3), occupations=occupations))
    assert "09:00" not in hhmm(slots)
    assert len(slots) == 13


def test_occupation_on_other_desk_or_unknown_desk_is_ignored():
    occupations = (occ(at(MONDAY, 9), desk=7),)
    assert len(free_slots(query(MONDAY, occupations=occupations))) == 14


def test_duration_per_person_needs_contiguous_time_inside_one_opening():
    r = rules(slot_minutes=15, capacity=1, duration_per_person=True)
    slots = free_slots(query(MONDAY, rules=r, people=3))
    starts = hhmm(slots)
    assert "11:15" in starts and "11:30" not in starts and "11:45" not in starts
    assert starts[0] == "08:30" and starts[-1] == "16:15"
    assert len(slots) == 12 + 12  # 08:30..11:15 and 13:30..16:15 every 15 min
    eleven_fifteen = slots[starts.index("11:15")]
    assert eleven_fifteen.end == at(MONDAY, 12)
    assert eleven_fifteen.places == 1


def test_duration_per_person_is_exclusive():
    r = rules(slot_minutes=15, capacity=5, duration_per_person=True)
    occupations = (occ(at(MONDAY, 10), minutes=15, people=1),)
    starts = hhmm(free_slots(query(MONDAY, rules=r, people=2, occupations=occupations)))
    assert "09:30" in starts  # 09:30-10:00 ends exactly when the booking starts
    assert "09:45" not in starts and "10:00" not in starts
    assert "10:15" in starts


def test_two_desks_one_booked():
    q = query(MONDAY, desk_ids=(2, 1), occupations=(occ(at(MONDAY, 9), desk=1),))
    slots = by_start(free_slots(q))
    assert len(slots) == 14
    nine = slots[at(MONDAY, 9).astimezone(UTC)]
    assert (nine.places, nine.desk_ids) == (1, (2,))
    half_past = slots[at(MONDAY, 8, 30).astimezone(UTC)]
    assert (half_past.places, half_past.desk_ids) == (2, (1, 2))


def test_two_desks_places_mode_sums_remaining_places():
    occupations = (occ(at(MONDAY, 9), people=2, desk=1), occ(at(MONDAY, 9), people=1, desk=2))
    q = query(MONDAY, desk_ids=(1, 2), rules=rules(capacity=3), occupations=occupations)
    nine = by_start(free_slots(q))[at(MONDAY, 9).astimezone(UTC)]
    assert (nine.places, nine.desk_ids) == (3, (1, 2))
    nine_two = by_start(free_slots(replace(q, people=2)))[at(MONDAY, 9).astimezone(UTC)]
    assert (nine_two.places, nine_two.desk_ids) == (2, (2,))


def test_desk_specific_openings():
    openings = (
        WeeklyOpening(0, time(9), time(10)),
        WeeklyOpening(0, time(14), time(15), desk_id=2),
    )
    slots = free_slots(query(MONDAY, desk_ids=(1, 2), openings=openings))
    assert [(s, x.desk_ids) for s, x in zip(hhmm(slots), slots, strict=True)] == [
        ("09:00", (1, 2)),
        ("09:30", (1, 2)),
        ("14:00", (2,)),
        ("14:30", (2,)),
    ]


# --- booking window -----------------------------------------------------------------------------


def test_min_delay_edge_is_inclusive():
    now = at(MONDAY, 7)
    exact = query(MONDAY, now=now, rules=rules(min_delay=timedelta(hours=1, minutes=30)))
    assert hhmm(free_slots(exact))[0] == "08:30"
    late = replace(exact, rules=rules(min_delay=timedelta(hours=1, minutes=31)))
    assert hhmm(free_slots(late))[0] == "09:00"
    assert len(free_slots(late)) == 13


def test_min_delay_skips_whole_days():
    now = at(MONDAY, 12)
    q = query(MONDAY, MONDAY + timedelta(days=2), now=now, rules=rules(min_delay=timedelta(days=1)))
    slots = free_slots(q)
    assert slots[0].start == at(MONDAY + timedelta(days=1), 13, 30)
    assert len(slots) == 7 + 14


def test_horizon_edge_is_inclusive():
    now = at(MONDAY, 8)
    exact = query(MONDAY, now=now, rules=rules(horizon=timedelta(hours=2)))
    assert hhmm(free_slots(exact)) == ["08:30", "09:00", "09:30", "10:00"]
    short = replace(exact, rules=rules(horizon=timedelta(hours=1, minutes=59)))
    assert hhmm(free_slots(short)) == ["08:30", "09:00", "09:30"]


def test_now_in_another_zone_is_compared_as_instant():
    now = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # 09:00 in Paris
    assert hhmm(free_slots(query(MONDAY, now=now)))[0] == "09:00"


# --- blocked intervals --------------------------------------------------------------------------


def test_partly_blocked_slots_are_not_offered():
    blocked = (Blocked(1, at(MONDAY, 9, 15), at(MONDAY, 9, 45)),)
    starts = hhmm(free_slots(query(MONDAY, blocked=blocked)))
    assert "09:00" not in starts and "09:30" not in starts
    assert starts[:2] == ["08:30", "10:00"]
    assert len(starts) == 12


def test_blocked_is_half_open():
    blocked = (
        Blocked(1, at(MONDAY, 8), at(MONDAY, 9)),
        Blocked(1, at(MONDAY, 11, 30), at(MONDAY, 13)),
    )
    starts = hhmm(free_slots(query(MONDAY, blocked=blocked)))
    assert starts[0] == "09:00"
    assert starts[4] == "11:00"  # 11:00-11:30 ends exactly when the block starts
    assert starts[5] == "13:30"


def test_long_blocked_interval_on_one_desk_only():
    blocked = (Blocked(2, at(MONDAY, 0), at(MONDAY + timedelta(days=3), 0)),)
    q = query(MONDAY, MONDAY + timedelta(days=3), desk_ids=(1, 2), blocked=blocked)
    slots = free_slots(q)
    assert {s.desk_ids for s in slots if s.start.date() < MONDAY + timedelta(days=3)} == {(1,)}
    assert {s.desk_ids for s in slots if s.start.date() == MONDAY + timedelta(days=3)} == {(1, 2)}


# --- recurrence ---------------------------------------------------------------------------------


def test_every_two_weeks_counted_from_iso_week_of_valid_from():
    wednesday = date(2026, 6, 3)
    openings = (WeeklyOpening(4, time(9), time(10), valid_from=wednesday, every_n_weeks=2),)
    q = query(date(2026, 5, 25), date(2026, 7, 5), openings=openings)
    days = sorted({s.start.date() for s in free_slots(q)})
    assert days == [date(2026, 6, 5), date(2026, 6, 19), date(2026, 7, 3)]

    mondays = (WeeklyOpening(0, time(9), time(10), valid_from=wednesday, every_n_weeks=2),)
    days = sorted({s.start.date() for s in free_slots(replace(q, openings=mondays))})
    assert days == [date(2026, 6, 15), date(2026, 6, 29)]  # 1 June is before valid_from


def test_successive_templates():
    openings = (
        WeeklyOpening(0, time(8, 30), time(12), valid_until=date(2026, 6, 30)),
        WeeklyOpening(0, time(9), time(11), valid_from=date(2026, 7, 1)),
    )
    slots = free_slots(query(date(2026, 6, 29), date(2026, 7, 6), openings=openings))
    june = [s for s in slots if s.start.date() == date(2026, 6, 29)]
    july = [s for s in slots if s.start.date() == date(2026, 7, 6)]
    assert len(slots) == len(june) + len(july)
    assert (hhmm(june)[0], hhmm(june)[-1], len(june)) == ("08:30", "11:30", 7)
    assert hhmm(july) == ["09:00", "09:30", "10:00", "10:30"]


def test_valid_until_is_inclusive():
    openings = (WeeklyOpening(0, time(9), time(10), valid_from=MONDAY, valid_until=MONDAY),)
    q = query(MONDAY - timedelta(days=7), MONDAY + timedelta(days=7), openings=openings)
    assert {s.start.date() for s in free_slots(q)} == {MONDAY}


# --- slot_fits and first_free_slot --------------------------------------------------------------


def busy_query() -> AvailabilityQuery:
    return query(
        MONDAY,
        MONDAY + timedelta(days=1),
        desk_ids=(1, 2),
        rules=rules(capacity=3),
        people=2,
        occupations=(
            occ(at(MONDAY, 9), people=2, desk=1),
            occ(at(MONDAY, 9, 15), people=2, desk=2),
            occ(at(MONDAY, 14), type_id=9, desk=2),
        ),
        blocked=(Blocked(1, at(MONDAY, 15), at(MONDAY, 16)),),
    )


def test_slot_fits_agrees_with_free_slots():
    q = busy_query()
    slots = by_start(free_slots(q))
    t = at(MONDAY, 8)
    checked = 0
    while t < at(MONDAY + timedelta(days=1), 18):
        expected = slots[t.astimezone(UTC)].desk_ids if t.astimezone(UTC) in slots else ()
        assert slot_fits(q, t) == expected
        checked += bool(expected)
        t += timedelta(minutes=15)
    assert checked == len(slots) == 2 * 14 - 1  # only Monday 09:00 is full on both desks
    assert slot_fits(q, at(MONDAY, 9, 30)) == (1,)
    assert slot_fits(q, at(MONDAY, 15)) == (2,)
    assert slot_fits(q, at(MONDAY, 14)) == (1,)  # other type on desk 2
    assert slot_fits(q, at(MONDAY, 8, 30)) == (1, 2)


def test_slot_fits_misaligned_outside_or_other_zone():
    q = busy_query()
    assert slot_fits(q, at(MONDAY, 8, 45)) == ()
    assert slot_fits(q, at(MONDAY, 12)) == ()
    assert slot_fits(q, at(MONDAY + timedelta(days=2), 8, 30)) == ()  # after last_day
    assert slot_fits(q, datetime(2026, 6, 1, 6, 30, tzinfo=UTC)) == (1, 2)
    # A microsecond off a free slot, either way, is no slot (issue 13).
    assert slot_fits(q, at(MONDAY, 8, 30) + timedelta(microseconds=1)) == ()
    assert slot_fits(q, at(MONDAY, 8, 30) - timedelta(microseconds=1)) == ()


def test_slot_fits_in_repeated_autumn_hour():
    sunday = date(2026, 10, 25)
    q = query(sunday, openings=(WeeklyOpening(6, time(0), time(4)),))
    second_two = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 CET, after the change
    assert slot_fits(q, second_two) == (1,)
    assert slot_fits(q, datetime(2026, 10, 25, 1, 10, tzinfo=UTC)) == ()


def test_first_free_slot_finds_earliest_across_days():
    occupations = tuple(occ(at(MONDAY, 8, 30) + timedelta(minutes=30 * i)) for i in range(16))
    q = query(MONDAY, MONDAY + timedelta(days=6), occupations=occupations)
    first = first_free_slot(q)
    assert first == Slot(at(MONDAY, 16, 30), at(MONDAY, 17), 1, (1,))
    assert first == free_slots(q)[0]
    holidays = frozenset({MONDAY + timedelta(days=1)})
    full_monday = replace(q, occupations=(occ(at(MONDAY, 0), minutes=24 * 60),), holidays=holidays)
    assert first_free_slot(full_monday) == free_slots(full_monday)[0]
    assert first_free_slot(full_monday).start == at(MONDAY + timedelta(days=2), 8, 30)


def test_first_free_slot_none():
    assert first_free_slot(query(MONDAY + timedelta(days=6))) is None  # Sunday
    assert first_free_slot(query(MONDAY, now=at(MONDAY, 17))) is None


# --- cross-check against a naive implementation, and speed --------------------------------------


def naive_fit(q: AvailabilityQuery, desk: int, start: datetime, end: datetime) -> int:
    r = q.rules
    exclusive = r.capacity == 1 or r.duration_per_person
    s, e = start.astimezone(UTC), end.astimezone(UTC)
    for b in q.blocked:
        if b.desk_id == desk and b.start < e and b.end > s:
            return 0
    overlapping = [o for o in q.occupations if o.desk_id == desk and o.start < e and o.end > s]
    if any(exclusive or o.type_id != r.type_id for o in overlapping):
        return 0
    if exclusive:
        return 1 if r.duration_per_person or q.people <= r.capacity else 0
    points = [s] + [o.start for o in overlapping if o.start > s]
    peak = max(
        (sum(o.people for o in overlapping if o.start <= p < o.end) for p in points), default=0
    )
    remaining = r.capacity - peak
    return remaining if remaining >= q.people else 0


@pytest.mark.parametrize("seed", range(6))
def test_matches_naive_implementation(seed):
    rng = random.Random(seed)
    desks = (1, 2, 3)
    exclusive = seed % 3 == 0
    r = rules(slot_minutes=20, capacity=1 if exclusive else 4, duration_per_person=seed % 3 == 1)
    people = rng.randint(1, 2) if r.duration_per_person else rng.randint(1, r.capacity - 1 or 1)
    occupations = tuple(
        occ(
            at(MONDAY + timedelta(days=rng.randint(0, 4)), rng.randint(8, 16), rng.randint(0, 59)),
            minutes=rng.choice([10, 20, 40, 90]),
            people=rng.randint(1, 3),
            desk=rng.choice(desks),
            type_id=rng.choice([1, 1, 1, 2]),
        )
        for _ in range(120)
    )
    blocked = tuple(
        Blocked(d, s, s + timedelta(minutes=rng.randint(5, 120)))
        for d, s in (
            (rng.choice(desks), at(MONDAY + timedelta(days=rng.randint(0, 4)), rng.randint(8, 16)))
            for _ in range(10)
        )
    )
    q = query(
        MONDAY,
        MONDAY + timedelta(days=4),
        desk_ids=desks,
        rules=r,
        people=people,
        occupations=occupations,
        blocked=blocked,
    )
    expected: dict[datetime, tuple[int, list[int]]] = {}
    for desk in desks:
        for c in free_slots(replace(q, desk_ids=(desk,), occupations=(), blocked=())):
            places = naive_fit(q, desk, c.start, c.end)
            if places:
                total, ids = expected.get(c.start.astimezone(UTC), (0, []))
                expected[c.start.astimezone(UTC)] = (total + places, [*ids, desk])
    got = {s.start.astimezone(UTC): (s.places, list(s.desk_ids)) for s in free_slots(q)}
    assert got == expected
    assert len(got) > 0


# --- occupations as rows of epoch seconds, and the timeline shared between queries ---------


def random_week(seed: int) -> AvailabilityQuery:
    """A week of random occupations (some identical, some by staff) and absences on three
    desks; exclusive, lengthened by people, or in places, by seed."""
    rng = random.Random(seed)
    desks = (1, 2, 3)
    mode = seed % 3
    r = rules(
        slot_minutes=20,
        capacity=1 if mode == 0 else 4,
        duration_per_person=mode == 1,
        staff_reserved=seed % 2,
    )
    occupations = []
    for _ in range(60):
        start = at(MONDAY + timedelta(days=rng.randint(0, 4)), rng.randint(8, 16))
        start += timedelta(minutes=rng.choice([0, 20, 40, 7]))
        o = Occupation(
            rng.choice(desks),
            start,
            start + timedelta(minutes=rng.choice([10, 20, 40, 90])),
            rng.randint(1, 2),
            rng.choice([1, 1, 1, 2]),
            by_staff=rng.random() < 0.3,
        )
        occupations += [o] * rng.choice([1, 1, 2])  # sometimes the same one twice
    blocked = tuple(
        Blocked(d, s, s + timedelta(minutes=rng.randint(5, 120)))
        for d, s in (
            (rng.choice(desks), at(MONDAY + timedelta(days=rng.randint(0, 4)), rng.randint(8, 16)))
            for _ in range(10)
        )
    )
    return query(
        MONDAY,
        MONDAY + timedelta(days=6),
        desk_ids=desks,
        rules=r,
        people=1 if mode == 0 else rng.randint(1, 2),
        occupations=tuple(occupations),
        blocked=blocked,
    )


def row(o: Occupation) -> tuple[int, int, int, int, int, bool]:
    return (
        o.desk_id,
        int(o.start.timestamp()),
        int(o.end.timestamp()),
        o.people,
        o.type_id,
        o.by_staff,
    )


def as_rows(q: AvailabilityQuery, *, summed: bool) -> AvailabilityQuery:
    """The query as the database adapter builds it: rows of epoch seconds, identical
    occupations as one row with their people summed (`summed`)."""
    rows = [row(o) for o in q.occupations]
    if summed:
        people: dict[tuple[int, int, int, int, bool], int] = {}
        for d, s, e, n, t, staff in rows:
            people[(d, s, e, t, staff)] = people.get((d, s, e, t, staff), 0) + n
        rows = [(d, s, e, n, t, staff) for (d, s, e, t, staff), n in people.items()]
    random.Random(len(rows)).shuffle(rows)  # in no particular order
    blocked = tuple(
        (b.desk_id, int(b.start.timestamp()), int(b.end.timestamp())) for b in q.blocked
    )
    return replace(q, occupations=tuple(rows), blocked=blocked)


@pytest.mark.parametrize("seed", range(12))
def test_rows_of_epoch_seconds_give_the_slots_that_objects_give(seed):
    q = random_week(seed)
    for variant in (q, replace(q, for_staff=True)):
        expected = free_slots(variant)
        assert expected
        assert free_slots(as_rows(variant, summed=False)) == expected
        summed = as_rows(variant, summed=True)
        assert free_slots(summed) == expected
        mixed = tuple(row(o) if n % 2 else o for n, o in enumerate(variant.occupations))
        assert free_slots(replace(variant, occupations=mixed)) == expected
        for slot in expected[::7]:
            assert slot_fits(summed, slot.start) == slot.desk_ids
        day = MONDAY + timedelta(days=seed % 5)
        assert first_free_slot(replace(summed, first_day=day)) == first_free_slot(
            replace(variant, first_day=day)
        )


def test_queries_sharing_their_occupations_share_the_work_not_the_answers():
    q = as_rows(random_week(0), summed=True)
    week = free_slots(q)
    # The days of the week one by one, from the same tuples: the same slots.
    by_day = [
        slot
        for n in range(7)
        for slot in free_slots(
            replace(q, first_day=MONDAY + timedelta(days=n), last_day=MONDAY + timedelta(days=n))
        )
    ]
    assert by_day == week
    # Other occupations, other desks, other rules: never the answer of another query.
    assert free_slots(replace(q, occupations=())) == free_slots(
        replace(random_week(0), occupations=(), blocked=q.blocked)
    )
    assert free_slots(replace(q, occupations=tuple(q.occupations))) == week  # the same tuple
    assert free_slots(replace(q, occupations=tuple(list(q.occupations)))) == week  # a copy
    assert {s.desk_ids for s in free_slots(replace(q, desk_ids=(2,)))} == {(2,)}
    places = random_week(2)  # in places: the type's own occupations count people
    shared = as_rows(places, summed=True)
    assert free_slots(shared) == free_slots(places)
    other_type = replace(places.rules, type_id=2)
    assert free_slots(replace(shared, rules=other_type)) == free_slots(
        replace(places, rules=other_type)
    )
    assert free_slots(replace(shared, rules=other_type)) != free_slots(shared)


def test_occupations_in_a_list_are_read_again_each_time():
    occupations = [occ(at(MONDAY, 9))]
    q = query(MONDAY, occupations=occupations)  # not a tuple: it could change
    assert "09:00" not in hhmm(free_slots(q))
    occupations.clear()
    assert "09:00" in hhmm(free_slots(q))
