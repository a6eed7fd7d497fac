"""The availability rules as the citizen meets them through the real flow and database:
per-citizen limits, places kept for staff, the cool-down after a cancellation, holds
released by a change of answers, public holidays of Alsace-Moselle, type-specific hours."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

from sqlalchemy import insert, select, update

from app.db.models import AppointmentType, Booking, Commune, OpeningRule
from tests.conftest import FIXED_NOW
from tests.days import (
    MONDAY,
    SUNDAY,
    at,
    french_date,
    french_time,
    later,
    local_day,
    open_day,
    slot,
)
from tests.integration.changes_helpers import (
    book_at,
    book_one,
    modify_link,
    offered_in_week,
    the_booking,
)
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import (
    CCAS,
    PASSPORT,
    PATHS,
    URBANISM,
    Citizens,
    bookings,
    choose_type,
    execute,
    fetch,
    text_of,
    walk_to,
)

DAY = open_day(MONDAY)  # an open Monday ahead
MONDAY_10H, MONDAY_14H = slot(DAY, 10, 0), slot(DAY, 14, 0)


def set_type(settings, title: str, **values) -> None:
    execute(
        settings, update(AppointmentType).where(AppointmentType.title == title).values(**values)
    )


# --- per-citizen limits -------------------------------------------------------------------


LIMIT = "Vous avez déjà un rendez-vous de ce type en cours"


def test_a_citizen_at_the_limit_is_told_at_step_4_when_they_can_book_again(citizen, settings):
    set_type(settings, CCAS, limit_bookings=1, limit_period_days=30)
    book_at(citizen, settings, MONDAY_10H)
    citizens = Citizens(citizen)
    with citizens.as_("again") as person:
        # The same person, recognised by the email whatever its case, from another device.
        walk_to(person, 4)
        contact = {**CONTACT, "email": CONTACT["email"].upper(), "phone": "06 98 76 54 31"}
        response = person.submit(PATHS[4], contact)
        assert response.status_code == 422
        text = text_of(response.text)
        assert LIMIT in text
        # The booking stops counting when its appointment ends (before the 30 days run out).
        assert f"à partir du {french_date(DAY)} à 10 h 30" in text
        assert person.get(PATHS[5], follow_redirects=False).headers["location"] == PATHS[4]
    with citizens.as_("by phone") as person:
        walk_to(person, 4)
        response = person.submit(PATHS[4], {**CONTACT, "email": "autre@example.org"})
        assert LIMIT in text_of(response.text)
    with citizens.as_("someone else") as person:
        walk_to(person, 4)
        other = {**CONTACT, "email": "autre@example.org", "phone": "06 98 76 54 32"}
        assert person.submit(PATHS[4], other).url.path == PATHS[5]
    assert len(bookings(settings)) == 1


def test_a_plus_tag_does_not_make_a_new_citizen(citizen, settings):
    # Issue 14: a bot booked again and again with camille+1@…, camille+2@…, one mailbox.
    set_type(settings, CCAS, limit_bookings=1, limit_period_days=30)
    tagged = {**CONTACT, "email": "Camille.Dupont+mairie@Example.org"}
    book_at(citizen, settings, MONDAY_10H, contact=tagged)
    citizens = Citizens(citizen)
    for n, email in enumerate(["camille.dupont@example.org", "camille.dupont+2@example.org"]):
        with citizens.as_(f"again {n}") as person:
            walk_to(person, 4)
            other_phone = {**CONTACT, "email": email, "phone": f"06 98 76 54 3{n}"}
            assert LIMIT in text_of(person.submit(PATHS[4], other_phone).text)
    with citizens.as_("a lookalike") as person:
        # « _ » and « % » are letters here, not wildcards.
        walk_to(person, 4)
        lookalike = {**CONTACT, "email": "camille_dupont@example.org", "phone": "06 98 76 54 39"}
        assert person.submit(PATHS[4], lookalike).url.path == PATHS[5]


def test_the_limit_counts_only_bookings_made_within_the_period(citizen, settings, clock):
    set_type(settings, CCAS, limit_bookings=1, limit_period_days=1, horizon_days=60)
    book_at(citizen, settings, slot(open_day(MONDAY, after=14), 10, 0))  # ends after a day
    clock.now = FIXED_NOW + timedelta(hours=23)
    with Citizens(citizen).as_("soon") as person:
        walk_to(person, 4)
        text = text_of(person.submit(PATHS[4], CONTACT).text)
        made_and_a_day = later(days=1)  # a rolling period: 24 hours, even over a DST change
        expected = (
            f"à partir du {french_date(local_day(made_and_a_day))} à {french_time(made_and_a_day)}"
        )
        assert expected in text
    clock.now = FIXED_NOW + timedelta(days=1)
    with Citizens(citizen).as_("next day") as person:
        walk_to(person, 4)
        assert person.submit(PATHS[4], CONTACT).url.path == PATHS[5]


def test_a_second_booking_made_meanwhile_is_refused_at_confirmation(citizen, settings):
    citizens = Citizens(citizen)
    with citizens.as_("tab 1") as person:
        walk_to(person, 6)
    with citizens.as_("tab 2") as person:
        walk_to(person, 6, slot_index=1)
    set_type(settings, CCAS, limit_bookings=1)
    with citizens.as_("tab 2") as person:
        assert person.submit(PATHS[6], {}).url.path == PATHS[7]
    with citizens.as_("tab 1") as person:
        response = person.submit(PATHS[6], {})
        assert response.url.path == PATHS[6]
        assert LIMIT in text_of(response.text)
    assert len(bookings(settings)) == 1


# --- places kept for staff ----------------------------------------------------------------


def test_places_kept_for_staff_are_not_offered_to_citizens(citizen, settings):
    set_type(settings, CCAS, capacity=2, staff_reserved_places=1)
    book_at(citizen, settings, MONDAY_10H)  # takes the one place citizens have at 10:00
    with Citizens(citizen).as_("second") as person:
        walk_to(person, 5, contact={**CONTACT, "email": "b@example.org"})
        offered = offered_in_week(person, DAY)
        assert MONDAY_10H not in offered and slot(DAY, 10, 30) in offered


def test_a_staff_booking_uses_the_kept_place_first(citizen, settings):
    set_type(settings, CCAS, capacity=2, staff_reserved_places=1)
    booked = book_at(citizen, settings, MONDAY_10H)  # a citizen at 10:00
    execute(settings, update(Booking).where(Booking.id == booked.id).values(by_staff=True))
    with Citizens(citizen).as_("second") as person:
        walk_to(person, 5, contact={**CONTACT, "email": "b@example.org"})
        assert MONDAY_10H in offered_in_week(person, DAY)


# --- cool-down after a cancellation --------------------------------------------------------


def cancel_all(settings, when) -> None:
    execute(
        settings,
        update(Booking).values(
            status="cancelled", cancelled_at=when, sequence=Booking.sequence + 1
        ),
    )


def test_a_cancelled_slot_reopens_after_the_cool_down(citizen, settings, clock):
    set_type(settings, CCAS, cooldown_minutes=30)
    book_at(citizen, settings, MONDAY_14H)
    cancel_all(settings, FIXED_NOW)
    with Citizens(citizen).as_("trader") as person:
        walk_to(person, 5, contact={**CONTACT, "email": "b@example.org"})
        offered = offered_in_week(person, DAY)
        assert MONDAY_14H not in offered and slot(DAY, 14, 30) in offered
        clock.now = FIXED_NOW + timedelta(minutes=30)
        assert MONDAY_14H in offered_in_week(person, DAY)


def test_without_cool_down_a_cancelled_slot_reopens_at_once(citizen, settings):
    book_at(citizen, settings, MONDAY_14H)
    cancel_all(settings, FIXED_NOW)
    with Citizens(citizen).as_("next") as person:
        walk_to(person, 5, contact={**CONTACT, "email": "b@example.org"})
        assert MONDAY_14H in offered_in_week(person, DAY)


# --- holds and changed answers ----------------------------------------------------------------


def test_changing_the_number_of_people_releases_the_hold(citizen):
    citizens = Citizens(citizen)
    with citizens.as_("first") as person:
        _, held = walk_to(person, 6, title=PASSPORT)  # holds the first passport slot
    with citizens.as_("second") as person:
        page, _ = walk_to(person, 5, title=PASSPORT, contact={**CONTACT, "email": "b@example.org"})
        assert held not in slot_values(page.text)
    with citizens.as_("first") as person:
        person.submit(PATHS[3], {"people": "2"})  # the slot must be chosen again
        assert person.get(PATHS[6], follow_redirects=False).headers["location"] == PATHS[5]
    with citizens.as_("second") as person:
        assert held in slot_values(person.get(PATHS[5]).text)


# --- public holidays and hours ----------------------------------------------------------------


SAINT_STEPHEN = "2026-12-26T09:00:00+01:00"  # a Saturday: the demo opens 9:00–12:00


def test_alsace_moselle_communes_close_on_saint_stephens_day(citizen, settings, clock):
    # A scenario of its own: early December 2026, when Saint Stephen's day (26 December,
    # a public holiday in Alsace-Moselle only) is a Saturday within the booking horizon.
    clock.now = at(date(2026, 12, 1), 8, 0).astimezone(UTC)
    set_type(settings, CCAS, horizon_days=60)
    page, _ = walk_to(citizen, 5)
    saturday = citizen.get(f"{PATHS[5]}?semaine=2026-12-21").text
    assert SAINT_STEPHEN in slot_values(saturday)
    execute(settings, update(Commune).values(holiday_subdivision="57"))
    assert SAINT_STEPHEN not in slot_values(citizen.get(f"{PATHS[5]}?semaine=2026-12-21").text)


def test_hours_given_to_one_type_open_only_that_type(citizen, settings):
    (passport_id,) = fetch(
        settings, select(AppointmentType.id).where(AppointmentType.title == PASSPORT)
    )
    (site_id,) = fetch(
        settings, select(AppointmentType.site_id).where(AppointmentType.title == PASSPORT)
    )
    execute(
        settings,
        insert(OpeningRule).values(
            site_id=site_id, type_id=passport_id, weekday=6, start=time(10), end=time(11)
        ),
    )
    day = open_day(SUNDAY)  # a Sunday ahead that is no public holiday
    sunday = slot(day, 10, 0)
    passport_week, _ = walk_to(citizen, 5, title=PASSPORT)
    assert sunday in offered_in_week(citizen, day)
    with Citizens(citizen).as_("urbanism") as person:
        walk_to(person, 5, title="Urbanisme — permis de construire")
        offered = offered_in_week(person, day)
        assert offered and sunday not in offered
    assert passport_week


# --- limits and modifications -------------------------------------------------------------


def test_a_modification_does_not_count_the_booking_it_moves(citizen, settings):
    set_type(settings, CCAS, limit_bookings=1)
    booking = book_one(citizen, settings)
    assert citizen.get(modify_link(settings, booking)).url.path == PATHS[1]
    assert citizen.submit(PATHS[4], CONTACT).url.path == PATHS[6]  # details given again
    later = slot_values(citizen.get(PATHS[5]).text)[2]
    citizen.submit(PATHS[5], {"creneau": later})
    assert citizen.submit(PATHS[6], {}).url.path == PATHS[7]
    (moved,) = bookings(settings)
    assert moved.sequence == 1


def test_a_modification_into_a_type_at_its_limit_is_refused(citizen, settings):
    set_type(settings, CCAS, limit_bookings=1)
    walk_to(citizen, 7)  # a CCAS booking
    with Citizens(citizen).as_("same person, other type") as person:
        booking = book_one(person, settings, title=URBANISM)
        assert person.get(modify_link(settings, booking)).url.path == PATHS[1]
        choose_type(person, CCAS)
        person.submit(PATHS[2], {})
        person.submit(PATHS[3], {"people": "1"})
        refused = person.submit(PATHS[4], {**CONTACT, "email": "autre@example.org"})
        assert LIMIT in text_of(refused.text)  # the same phone: the same person
    assert the_booking(settings, booking.id).type.title == URBANISM
