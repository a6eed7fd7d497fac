"""When a citizen at their limit can book again."""

from datetime import UTC, datetime, timedelta

from app.booking.limits import limit_reached

DAY = timedelta(days=1)
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_no_limit_or_under_it():
    assert limit_reached([(T0, T0 + DAY)], allowed=0, period=30 * DAY) is None
    assert limit_reached([(T0, T0 + DAY)], allowed=2, period=30 * DAY) is None


def test_at_the_limit_the_first_booking_to_stop_counting_frees_a_place():
    counted = [(T0, T0 + 40 * DAY), (T0 + DAY, T0 + 3 * DAY)]
    reached = limit_reached(counted, allowed=2, period=30 * DAY)
    assert reached.active == 2
    assert reached.until == T0 + 3 * DAY  # the second appointment ends first


def test_a_booking_leaves_the_period_before_its_appointment():
    reached = limit_reached([(T0, T0 + 90 * DAY)], allowed=1, period=30 * DAY)
    assert reached.until == T0 + 30 * DAY


def test_over_the_limit_enough_bookings_must_stop_counting():
    counted = [(T0, T0 + n * DAY) for n in (5, 2, 9)]
    assert limit_reached(counted, allowed=1, period=30 * DAY).until == T0 + 9 * DAY
    assert limit_reached(counted, allowed=2, period=30 * DAY).until == T0 + 5 * DAY
