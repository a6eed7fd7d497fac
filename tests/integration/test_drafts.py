"""The draft booking: found again through an opaque cookie, guarded on every step, never a
carrier of personal data; a missing, expired or tampered draft restarts at step 1 with a
message, never an error page."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from urllib.parse import quote, quote_plus

import pytest

from tests.conftest import FIXED_NOW
from tests.days import at, first_free, french_day, monday_of, next_free
from tests.integration.flow import CONTACT, slot_values, type_ids
from tests.integration.helpers import (
    DRAFT_COOKIE,
    HX,
    ICS_PATH,
    PASSPORT,
    PATHS,
    RESTART,
    assert_fragment,
    bookings,
    checked_values,
    choose_type,
    draft_token,
    drafts,
    set_draft_token,
    text_of,
    value_of,
    walk_to,
)

EXPIRED = "Votre demande a expiré ou n'a pas été retrouvée."
GUARDED = [PATHS[n] for n in range(2, 8)] + [ICS_PATH]


def assert_restarted(citizen, path: str, **kwargs) -> None:
    response = citizen.get(path, follow_redirects=False, **kwargs)
    assert response.status_code == 303, (path, response.status_code)
    assert response.headers["location"] == RESTART
    page = citizen.get(RESTART)
    assert page.status_code == 200
    assert EXPIRED in text_of(page.text)
    assert "Étape 1 sur 7" in page.text


# --- missing, made up, expired ------------------------------------------------------------


@pytest.mark.parametrize("path", GUARDED)
def test_without_a_draft_every_later_step_restarts(citizen, path):
    assert_restarted(citizen, path)


@pytest.mark.parametrize("path", GUARDED)
def test_without_a_draft_htmx_gets_step_one_with_the_message(citizen, path):
    response = citizen.get(path, headers=HX)  # follows the 303 like the browser's XHR
    assert response.status_code == 200
    assert_fragment(response)
    assert EXPIRED in text_of(response.text)
    assert response.headers["HX-Push-Url"] == RESTART


@pytest.mark.parametrize("step", [2, 3, 4, 5, 6])
def test_without_a_draft_posting_a_step_restarts(citizen, step):
    token = citizen.csrf(PATHS[1])
    response = citizen.client.post(
        PATHS[step], data={"_csrf_token": token, "people": "1"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == RESTART


def test_step_one_without_a_reason_shows_no_message(citizen):
    assert EXPIRED not in text_of(citizen.get(PATHS[1]).text)
    assert EXPIRED not in text_of(citizen.get(f"{PATHS[1]}?motif=nimportequoi").text)


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: secrets.token_urlsafe(32),
        lambda token: token + "x",
        lambda token: token * 4,
        lambda token: "",
    ],
    ids=["one-char-changed", "random", "longer", "very-long", "empty"],
)
def test_a_tampered_cookie_restarts(citizen, forge):
    walk_to(citizen, 5)
    token = draft_token(citizen.client)
    set_draft_token(citizen.client, forge(token))
    assert_restarted(citizen, PATHS[5])
    # The same way of setting the cookie, with the real value, finds the draft again.
    set_draft_token(citizen.client, token)
    assert citizen.get(PATHS[5], follow_redirects=False).status_code == 200


def test_the_hash_stored_in_the_database_is_not_a_key(citizen, settings):
    """A copy of the database does not let anyone resume a draft."""
    walk_to(citizen, 5)
    (draft,) = drafts(settings)
    set_draft_token(citizen.client, draft.token_hash)
    assert_restarted(citizen, PATHS[5])


def test_the_default_lifetime_outlasts_a_long_pause(settings):
    """WCAG 2.2.1: a time limit over 20 hours needs no way to extend it."""
    assert settings.draft_lifetime_minutes >= 20 * 60


def test_a_draft_lives_its_lifetime_after_the_last_answer(citizen, clock, settings):
    lifetime = timedelta(minutes=settings.draft_lifetime_minutes)
    walk_to(citizen, 5)
    clock.now = FIXED_NOW + lifetime - timedelta(minutes=1)
    assert citizen.get(PATHS[5], follow_redirects=False).status_code == 200
    clock.now = FIXED_NOW + lifetime + timedelta(minutes=1)
    assert_restarted(citizen, PATHS[5])


def test_each_answer_gives_the_draft_a_new_lifetime(citizen, clock, settings):
    lifetime = timedelta(minutes=settings.draft_lifetime_minutes)
    walk_to(citizen, 4)
    answered = FIXED_NOW + lifetime - timedelta(minutes=10)
    clock.now = answered
    assert citizen.submit(PATHS[4], CONTACT).url.path == PATHS[5]
    clock.now = answered + lifetime - timedelta(minutes=1)
    assert citizen.get(PATHS[5], follow_redirects=False).status_code == 200
    clock.now = answered + lifetime + timedelta(minutes=1)
    assert_restarted(citizen, PATHS[5])


def test_an_expired_draft_cannot_be_confirmed(citizen, clock, settings):
    walk_to(citizen, 6)
    token = citizen.csrf(PATHS[6])
    clock.now = FIXED_NOW + timedelta(minutes=settings.draft_lifetime_minutes + 1)
    response = citizen.client.post(PATHS[6], data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == RESTART
    assert bookings(settings) == []


def test_after_a_restart_a_new_draft_starts(citizen, clock, settings):
    walk_to(citizen, 5)
    old = draft_token(citizen.client)
    clock.now = FIXED_NOW + timedelta(minutes=settings.draft_lifetime_minutes + 1)
    response = choose_type(citizen)
    assert response.url.path == PATHS[2]
    assert draft_token(citizen.client) not in (None, old)


# --- order of the steps ---------------------------------------------------------------------


def test_jumping_ahead_lands_on_the_first_unanswered_step(citizen):
    walk_to(citizen, 4)  # type, information and people answered
    for path in (PATHS[5], PATHS[6], PATHS[7], ICS_PATH):
        response = citizen.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == PATHS[4], path


def test_posting_ahead_lands_on_the_first_unanswered_step(citizen, settings):
    walk_to(citizen, 4)
    token = citizen.csrf(PATHS[4])
    response = citizen.client.post(PATHS[6], data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == PATHS[4]
    assert bookings(settings) == []


def test_a_fresh_draft_starts_with_the_information(citizen):
    choose_type(citizen)
    response = citizen.get(PATHS[4], follow_redirects=False)
    assert response.headers["location"] == PATHS[2]


@pytest.mark.parametrize("path", [PATHS[n] for n in range(2, 7)])
def test_after_confirmation_earlier_steps_lead_to_the_confirmation(citizen, path):
    walk_to(citizen, 7)
    response = citizen.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == PATHS[7]


def test_after_confirmation_answers_cannot_be_changed(citizen, settings):
    walk_to(citizen, 7)
    token = citizen.csrf(PATHS[1])
    for path, data in ((PATHS[3], {"people": "1"}), (PATHS[4], CONTACT)):
        response = citizen.client.post(
            path, data={**data, "_csrf_token": token}, follow_redirects=False
        )
        assert response.headers["location"] == PATHS[7]
    (booking,) = bookings(settings)
    assert booking.email == CONTACT["email"]


def test_after_confirmation_step_one_starts_another_booking(citizen, settings):
    walk_to(citizen, 7)
    first = draft_token(citizen.client)
    page = citizen.get(PATHS[1])
    assert checked_values(page.text, "type_id") == []
    walk_to(citizen, 7, slot_index=1)
    assert draft_token(citizen.client) != first
    assert len(bookings(settings)) == 2


# --- a reload keeps the answers -----------------------------------------------------------


def test_a_reload_keeps_every_answer(citizen):
    walk_to(citizen, 4, title=PASSPORT, people=3)
    page = citizen.get(PATHS[1]).text
    assert checked_values(page, "type_id") == [str(type_ids(page)[PASSPORT])]
    assert value_of(citizen.get(PATHS[3]).text, "people") == "3"

    slots = citizen.submit(PATHS[4], {**CONTACT, "phone": "+33612345678"})
    contact = citizen.get(PATHS[4]).text
    assert value_of(contact, "last_name") == "Dupont"
    assert value_of(contact, "first_name") == "Camille"
    assert value_of(contact, "email") == CONTACT["email"]
    assert value_of(contact, "phone") == "06 12 34 56 78"

    # The week after the first slot's; its fourth start for 45 minutes on the 15-minute grid.
    week = monday_of(first_free(15, 45).date()) + timedelta(days=7)
    later = citizen.get(f"{PATHS[5]}?semaine={week}")
    chosen = slot_values(later.text)[3]
    assert chosen == next_free(4, 15, 45, after=at(week, 0))[3].isoformat()
    assert slot_values(slots.text)[3] != chosen
    citizen.submit(PATHS[5], {"creneau": chosen})
    reloaded = citizen.get(PATHS[5])  # no week asked: the week of the chosen slot
    assert f"Semaine du lundi {french_day(week)}" in text_of(reloaded.text)
    assert checked_values(reloaded.text, "creneau") == [chosen]


def test_changing_the_number_of_people_asks_for_a_slot_again(citizen):
    walk_to(citizen, 6, title=PASSPORT, people=2)
    citizen.submit(PATHS[3], {"people": "2"})  # same answer: the slot is kept
    assert citizen.get(PATHS[6], follow_redirects=False).status_code == 200
    citizen.submit(PATHS[3], {"people": "3"})  # longer appointment: choose again
    response = citizen.get(PATHS[6], follow_redirects=False)
    assert response.headers["location"] == PATHS[5]


# --- privacy ------------------------------------------------------------------------------


def test_the_draft_cookie_is_http_only_lax_and_scoped(citizen, settings):
    response = choose_type(citizen, follow=False)
    (header,) = [
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith(f"{DRAFT_COOKIE}=")
    ]
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/rendez-vous" in attributes
    assert f"max-age={settings.draft_lifetime_minutes * 60}" in attributes


PERSONAL = [
    CONTACT["last_name"],
    CONTACT["first_name"],
    CONTACT["email"],
    "camille.dupont",
    "612345678",
    "6 12 34 56 78",
]


def leaks(value: str) -> list[str]:
    forms = {item for p in PERSONAL for item in (p, quote(p), quote_plus(p), p.lower())}
    return [item for item in forms if item.lower() in value.lower()]


def test_no_personal_data_in_cookies_or_addresses(citizen, settings):
    seen_urls: list[str] = []
    set_cookies: list[str] = []

    def record(response):
        response.read()
        seen_urls.append(str(response.request.url))
        if "location" in response.headers:
            seen_urls.append(response.headers["location"])
        if "hx-push-url" in response.headers:
            seen_urls.append(response.headers["hx-push-url"])
        set_cookies.extend(response.headers.get_list("set-cookie"))
        seen_urls.extend(re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', response.text))

    citizen.client.event_hooks = {"request": [], "response": [record]}
    walk_to(citizen, 7)
    citizen.get(PATHS[6], headers=HX)
    citizen.get(ICS_PATH)

    assert len(seen_urls) > 50
    for url in seen_urls:
        assert not leaks(url), url
    assert set_cookies
    for header in set_cookies:
        assert not leaks(header), header
    # The draft cookie keeps one token, re-sent with each answer so that the browser keeps
    # it as long as the server keeps the draft.
    token = draft_token(citizen.client)
    draft_cookies = [h for h in set_cookies if h.startswith(f"{DRAFT_COOKIE}=")]
    assert len(draft_cookies) >= 6
    assert {h.split(";")[0] for h in draft_cookies} == {f"{DRAFT_COOKIE}={token}"}
    assert not leaks(token)
    # The server keeps only a hash of it.
    (draft,) = drafts(settings)
    assert draft.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(draft.data)


def test_the_confirmation_is_for_the_draft_s_owner_only(citizen):
    walk_to(citizen, 7)
    citizen.client.cookies.delete(DRAFT_COOKIE)
    assert_restarted(citizen, PATHS[7])
    assert_restarted(citizen, ICS_PATH)
