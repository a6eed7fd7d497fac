"""Booking, then following the emailed modify and cancel links, in integration tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.booking import links
from app.db.models import Booking
from app.settings import Settings
from tests.conftest import CSRF_RE
from tests.days import monday_of
from tests.integration.flow import slot_values
from tests.integration.helpers import CCAS, PATHS, bookings, text_of, walk_to


def book_one(citizen: Any, settings: Settings, slot_index: int = 0, title: str = CCAS) -> Booking:
    """Books through the real flow and returns the booking as stored."""
    walk_to(citizen, 7, title=title, slot_index=slot_index)
    return bookings(settings)[-1]


def offered_in_week(citizen: Any, day: Any) -> list[str]:
    """The slots step 5 offers in the week of `day` (the citizen is at step 5 or beyond)."""
    page = citizen.get(f"{PATHS[5]}?semaine={monday_of(day).isoformat()}")
    assert page.status_code == 200 and page.url.path == PATHS[5], page.url
    return slot_values(page.text)


def book_at(
    citizen: Any,
    settings: Settings,
    wanted: str,
    title: str = CCAS,
    people: int = 1,
    contact: dict[str, str] | None = None,
) -> Booking:
    """Books through the real flow the slot `wanted` (as `tests.days.slot` writes it), which
    step 5 must offer in its week; returns the booking as stored."""
    walk_to(citizen, 5, title=title, people=people, contact=contact)
    offered = offered_in_week(citizen, datetime.fromisoformat(wanted).date())
    assert wanted in offered, f"{wanted} is not offered: {offered}"
    assert citizen.submit(PATHS[5], {"creneau": wanted}).url.path == PATHS[6]
    assert citizen.submit(PATHS[6], {}).url.path == PATHS[7]
    booking = bookings(settings)[-1]
    assert booking.start == datetime.fromisoformat(wanted)
    return booking


def the_booking(settings: Settings, booking_id: int) -> Booking:
    return next(b for b in bookings(settings) if b.id == booking_id)


def modify_link(settings: Settings, booking: Booking) -> str:
    return links.modify_path(settings.secret_key, booking)


def cancel_link(settings: Settings, booking: Booking) -> str:
    return links.cancel_path(settings.secret_key, booking)


def csrf_token(citizen: Any) -> str:
    """A valid CSRF token for this client, read from a page that always has a form."""
    match = CSRF_RE.search(citizen.get(PATHS[1]).text)
    assert match
    return match.group(1)


def post_choice(citizen: Any, path: str, choice: str, *, with_csrf: bool = True):
    data = {"choix": choice}
    if with_csrf:
        data["_csrf_token"] = csrf_token(citizen)
    return citizen.client.post(path, data=data, follow_redirects=True)


def visible(response: Any) -> str:
    return text_of(response.text)


def snapshot(booking: Booking) -> tuple:
    """What a change would alter."""
    return (
        booking.status,
        booking.sequence,
        booking.start,
        booking.end,
        booking.desk_id,
        booking.type_id,
        booking.people,
        booking.last_name,
        booking.email,
        booking.phone,
    )
