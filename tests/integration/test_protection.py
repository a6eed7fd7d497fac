"""Bots against the public flow (issue 14): requests counted per client address, slots one
address may hold, holds shortened when a type is in demand. A refused request says why in
French, with 429 and Retry-After, and changes nothing; the citizen's answers are kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from app.db.models import RateCounter, SlotHold
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import (
    PATHS,
    Citizens,
    bookings,
    choose_type,
    drafts,
    fetch,
    text_of,
    walk_to,
)

TOO_MANY = "Trop de demandes depuis votre connexion"


def protect(app, **changes) -> None:
    settings = app.state.settings
    app.state.settings = replace(settings, protection=replace(settings.protection, **changes))


def someone(n: int) -> dict[str, str]:
    return {**CONTACT, "first_name": f"Personne{n}", "email": f"personne{n}@example.org"}


def assert_too_many(response) -> None:
    assert response.status_code == 429
    assert TOO_MANY in text_of(response.text)
    assert 0 < int(response.headers["Retry-After"]) <= 600


def test_starting_bookings_is_limited_per_address_until_the_window_ends(app, clock, citizen):
    protect(app, starts_per_window=2, rate_window_minutes=10)
    citizens = Citizens(citizen)
    for n in range(2):
        with citizens.as_(f"c{n}") as person:
            assert choose_type(person).url.path == PATHS[2]
    with citizens.as_("bot") as person:
        refused = choose_type(person)
        assert_too_many(refused)
        assert "Réessayez dans" in text_of(refused.text)
    assert len(drafts(app.state.settings)) == 2  # the refusal made no draft

    clock.now += timedelta(minutes=10)  # the next window
    with citizens.as_("bot") as person:
        assert choose_type(person).url.path == PATHS[2]


def test_one_address_has_one_counter_per_window(app, citizen):
    protect(app, starts_per_window=5)
    citizens = Citizens(citizen)
    for n in range(2):
        with citizens.as_(f"c{n}") as person:
            choose_type(person)
    assert fetch(app.state.settings, select(RateCounter.hits)) == [2]


def test_holds_are_limited_and_a_refused_pick_holds_nothing(app, citizen):
    protect(app, holds_per_window=1)
    page, _ = walk_to(citizen, 5)
    first, second = slot_values(page.text)[:2]
    assert citizen.submit(PATHS[5], {"creneau": first}).url.path == PATHS[6]
    refused = citizen.submit(PATHS[5], {"creneau": second})
    assert_too_many(refused)
    holds = fetch(app.state.settings, select(SlotHold.start))
    assert holds == [datetime.fromisoformat(first)]


def test_a_confirmation_over_the_limit_is_refused_and_kept_for_later(app, clock, citizen):
    protect(app, confirmations_per_window=1)
    citizens = Citizens(citizen)
    with citizens.as_("first") as person:
        walk_to(person, 7, contact=someone(1))
    with citizens.as_("second") as person:
        walk_to(person, 6, contact=someone(2), slot_index=1)
        assert_too_many(person.submit(PATHS[6], {}))
        assert len(bookings(app.state.settings)) == 1
        clock.now += timedelta(minutes=2)  # the hold (10 min) still runs; a new window
        protect(app, confirmations_per_window=1, rate_window_minutes=1)
        done = person.submit(PATHS[6], {})
        assert done.url.path == PATHS[7]  # the answers were kept: nothing to type again
    assert len(bookings(app.state.settings)) == 2


def test_one_address_cannot_hoard_held_slots(app, clock, citizen):
    protect(app, live_holds_per_address=2)
    citizens = Citizens(citizen)
    for n in range(2):
        with citizens.as_(f"c{n}") as person:
            walk_to(person, 6, contact=someone(n), slot_index=n)
    with citizens.as_("third") as person:
        page, _ = walk_to(person, 5, contact=someone(3))
        slot = slot_values(page.text)[2]
        refused = person.submit(PATHS[5], {"creneau": slot})
        assert refused.status_code == 429
        assert "2 créneaux retenus" in text_of(refused.text)
        assert len(fetch(app.state.settings, select(SlotHold))) == 2
        # A held slot may still be changed by whoever holds it: only new holds count.
    with citizens.as_("c0") as person:
        assert person.submit(PATHS[5], {"creneau": slot}).url.path == PATHS[6]
    clock.now += timedelta(minutes=11)  # the two holds have expired
    with citizens.as_("third") as person:
        assert person.submit(PATHS[5], {"creneau": slot}).url.path == PATHS[6]


def test_holds_are_shorter_when_a_type_is_in_demand(app, citizen):
    protect(app, rush_holds=2, rush_hold_minutes=3, live_holds_per_address=0)
    citizens = Citizens(citizen)
    lengths = []
    for n in range(3):
        with citizens.as_(f"c{n}") as person:
            walk_to(person, 6, contact=someone(n), slot_index=n)
    now = app.state.clock()
    for hold in fetch(app.state.settings, select(SlotHold).order_by(SlotHold.id)):
        lengths.append(round((hold.expires_at - now).total_seconds() / 60))
    assert lengths == [10, 10, 3]
