"""What a citizen sees when something is wrong: validation errors (422 with a summary,
marked fields and everything typed kept), refused forms (CSRF), unknown addresses, wrong
methods and unreadable bodies — always a French page, never a stack trace."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from tests.days import (
    FRIDAY,
    NOTICE,
    PARIS,
    SATURDAY,
    SUNDAY,
    TUESDAY,
    at,
    closed,
    first_free,
    french_date,
    french_week,
    monday_of,
    next_free,
    open_day,
    slot,
    window_last_day,
)
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import (
    CCAS,
    HX,
    PASSPORT,
    PATHS,
    assert_fragment,
    assert_full_page,
    assert_no_traceback,
    bookings,
    choose_type,
    draft_token,
    drafts,
    error_summary,
    input_tag,
    summary_targets_exist,
    text_of,
    value_of,
    walk_to,
)


def assert_invalid(page: str, name: str, message: str) -> None:
    """The field is marked invalid and its message is shown, once in the summary and once
    next to the field."""
    assert 'aria-invalid="true"' in input_tag(page, name)
    assert text_of(page).count(message) == 2, message
    assert message in text_of(error_summary(page))


# --- step 1: the type -------------------------------------------------------------------


@pytest.mark.parametrize("type_id", [None, "", "abc", "999", "-1", "0", "9" * 30, "1.5"])
def test_an_unknown_type_is_refused(citizen, type_id):
    data = {} if type_id is None else {"type_id": type_id}
    response = citizen.submit(PATHS[1], data)
    assert response.status_code == 422
    assert_full_page(response)
    page = response.text
    assert 'aria-invalid="true"' in input_tag(page, "type_id")
    assert "Choisissez un type de rendez-vous dans la liste." in text_of(error_summary(page))
    summary_targets_exist(page)
    assert draft_token(citizen.client) is None  # nothing was started


def test_a_refused_type_comes_back_as_a_fragment_with_htmx(citizen):
    response = citizen.submit(PATHS[1], {"type_id": "abc"}, htmx=True)
    assert response.status_code == 422
    assert_fragment(response)
    assert "HX-Push-Url" not in response.headers
    assert "Erreur : " in response.text  # the title the page takes after the swap
    summary_targets_exist(response.text)


# --- step 3: the number of people -----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Saisissez le nombre de personnes en chiffres, par exemple 2."),
        ("", "Saisissez le nombre de personnes en chiffres, par exemple 2."),
        ("0", "Le rendez-vous concerne au moins une personne."),
        ("-2", "Le rendez-vous concerne au moins une personne."),
        ("5", "Ce rendez-vous accueille au plus 4 personnes à la fois."),
        ("9" * 30, "Ce rendez-vous accueille au plus 4 personnes à la fois."),
    ],
)
def test_a_wrong_number_of_people_is_refused_and_kept(citizen, typed, message):
    walk_to(citizen, 3, title=PASSPORT)
    response = citizen.submit(PATHS[3], {"people": typed})
    assert response.status_code == 422
    page = response.text
    assert_invalid(page, "people", message)
    assert value_of(page, "people") == typed
    summary_targets_exist(page)
    # Nothing was saved: the contact step is still out of reach.
    ahead = citizen.get(PATHS[4], follow_redirects=False)
    assert ahead.headers["location"] == PATHS[3]


def test_a_one_person_type_says_so(citizen):
    walk_to(citizen, 3, title=CCAS)
    response = citizen.submit(PATHS[3], {"people": "2"})
    assert response.status_code == 422
    assert "Ce rendez-vous accueille au plus 1 personne à la fois." in text_of(response.text)


def test_the_maximum_number_of_people_is_accepted(citizen):
    walk_to(citizen, 3, title=PASSPORT)
    response = citizen.submit(PATHS[3], {"people": " 4 "}, follow=False)
    assert response.status_code == 303
    assert response.headers["location"] == PATHS[4]


# --- step 4: contact details ----------------------------------------------------------------


def test_empty_contact_details_give_four_messages(citizen):
    walk_to(citizen, 4)
    response = citizen.submit(PATHS[4], {"last_name": "", "first_name": " ", "email": ""})
    assert response.status_code == 422
    page = response.text
    assert "4 erreurs empêchent de continuer" in text_of(page)
    for name, message in {
        "last_name": "Saisissez votre nom.",
        "first_name": "Saisissez votre prénom.",
        "email": "Saisissez votre adresse électronique.",
        "phone": "Saisissez votre numéro de téléphone mobile.",
    }.items():
        assert_invalid(page, name, message)
    summary_targets_exist(page)


def test_empty_contact_details_with_htmx_give_the_fragment(citizen):
    walk_to(citizen, 4)
    response = citizen.submit(PATHS[4], {}, htmx=True)
    assert response.status_code == 422
    assert_fragment(response)
    assert "4 erreurs empêchent de continuer" in text_of(response.text)
    summary_targets_exist(response.text)


@pytest.mark.parametrize("email", ["camille", "camille@", "camille@@example.org", "a b@c.fr"])
def test_a_bad_email_is_refused_and_everything_typed_is_kept(citizen, email):
    walk_to(citizen, 4)
    response = citizen.submit(PATHS[4], {**CONTACT, "email": email})
    assert response.status_code == 422
    page = response.text
    assert_invalid(
        page, "email", "Saisissez une adresse électronique valide, par exemple nom@exemple.fr."
    )
    assert "Une erreur empêche de continuer" in text_of(page)
    assert value_of(page, "email") == email
    assert value_of(page, "last_name") == "Dupont"
    assert value_of(page, "first_name") == "Camille"
    assert value_of(page, "phone") == "06 12 34 56 78"
    assert 'aria-invalid="true"' not in input_tag(page, "last_name")


@pytest.mark.parametrize("phone", ["123", "01 23 45 67 89", "06 12 34", "téléphone"])
def test_a_phone_that_is_not_a_mobile_is_refused(citizen, phone):
    walk_to(citizen, 4)
    response = citizen.submit(PATHS[4], {**CONTACT, "phone": phone})
    assert response.status_code == 422
    page = response.text
    assert_invalid(
        page,
        "phone",
        "Saisissez un numéro de téléphone mobile valide, par exemple 06 12 34 56 78.",
    )
    assert value_of(page, "phone") == phone
    assert value_of(page, "email") == CONTACT["email"]


@pytest.mark.parametrize(
    "phone", ["0612345678", "+33 6 12 34 56 78", "06.12.34.56.78", "07 52 34 56 78"]
)
def test_mobile_numbers_in_usual_spellings_are_accepted(citizen, phone):
    walk_to(citizen, 4)
    response = citizen.submit(PATHS[4], {**CONTACT, "phone": phone})
    assert response.status_code == 200
    assert response.url.path == PATHS[5]


PREDEMANDE_WRONG = (
    "Le champ « Numéro de pré-demande » attend un numéro de dix caractères, lettres et "
    "chiffres, par exemple 2A3B4C5D6E (un numéro par personne, séparés par des virgules)."
)


@pytest.mark.parametrize("typed", ["abc!!", "Test", "2A3B4C5D6", "2A3B4C5D6E7", "2A3B4C5D6É"])
def test_a_pre_application_number_not_of_ten_letters_and_digits_is_refused(
    citizen, settings, typed
):
    walk_to(citizen, 4, title=PASSPORT, people=2)
    response = citizen.submit(PATHS[4], {**CONTACT, "extra_predemande": typed})
    assert response.status_code == 422
    page = response.text
    assert_invalid(page, "extra_predemande", PREDEMANDE_WRONG.replace("\u00a0", " "))
    assert value_of(page, "extra_predemande") == typed  # kept as typed, to correct it
    assert all("contact" not in draft.data for draft in drafts(settings))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2A3B4C5D6E", "2A3B4C5D6E"),
        (" 2a3b 4c5d 6e ", "2A3B4C5D6E"),
        ("2A3B4C5D6E, 7f8g9h0j1k", "2A3B4C5D6E, 7F8G9H0J1K"),
        ("2A3B4C5D6E ; 7F8G9H0J1K", "2A3B4C5D6E, 7F8G9H0J1K"),
        ("", ""),  # not required
    ],
)
def test_pre_application_numbers_are_normalised(citizen, settings, typed, stored):
    walk_to(citizen, 4, title=PASSPORT, people=2)
    response = citizen.submit(PATHS[4], {**CONTACT, "extra_predemande": typed})
    assert response.status_code == 200 and response.url.path == PATHS[5]
    (draft,) = drafts(settings)
    assert draft.data["contact"]["extra"]["predemande"] == stored


def test_markup_typed_in_a_name_comes_back_escaped(citizen):
    walk_to(citizen, 4)
    typed = "<script>alert(1)</script>"
    response = citizen.submit(
        PATHS[4], {**CONTACT, "last_name": typed, "first_name": '"><b>x', "email": "bad"}
    )
    assert response.status_code == 422
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<b>x" not in response.text
    assert value_of(response.text, "last_name") == typed
    assert value_of(response.text, "first_name") == '"><b>x'


def test_markup_in_accepted_names_is_escaped_on_the_recap_and_confirmation(citizen):
    walk_to(citizen, 4)
    typed = "<script>alert(1)</script>"
    slots = citizen.submit(PATHS[4], {**CONTACT, "last_name": typed})
    assert slots.url.path == PATHS[5]
    recap = citizen.submit(PATHS[5], {"creneau": slot_values(slots.text)[0]})
    assert recap.url.path == PATHS[6]
    assert "<script>alert" not in recap.text
    assert "&lt;script&gt;" in recap.text
    confirmation = citizen.submit(PATHS[6], {})
    assert confirmation.url.path == PATHS[7]
    assert "<script>alert" not in confirmation.text


# --- step 5: the slot -----------------------------------------------------------------------

CHOOSE = "Choisissez un créneau dans la liste."
GONE = "Ce créneau n'est plus disponible. Choisissez-en un autre."

FIRST = first_free()  # the first slot offered: the first opening time two hours ahead
WHOLE_TUESDAY = open_day(TUESDAY)  # a Tuesday of the window, open all day
# The first slot offered that another one follows in its week: when it is about two hours
# away, its week is the first of the window and still has free slots to show.
SOON = next(a for a, b in pairwise(next_free(30)) if monday_of(a.date()) == monday_of(b.date()))
WHEN_SOON_IS_TWO_HOURS_AWAY = SOON.astimezone(UTC) - NOTICE


def friday_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - FRIDAY - 1) % 7 + 1)


def beyond_the_horizon() -> date:
    """The first weekday the commune opens after the booking window's last day."""
    day = window_last_day() + timedelta(days=1)
    while day.weekday() >= SATURDAY or closed(day):
        day += timedelta(days=1)
    return day


# Cases that need their own moment, relative to the instant (see SOON): a slot of the
# previous Friday, and a slot once it is a minute less than two hours away.
LAST_FRIDAY = "last-friday"
INSIDE_THE_NOTICE = "inside-the-notice"
# Christmas Day is a fixed calendar fact: the case runs on its own scenario instant, Monday
# 30 November 2026 at 08:00 in Paris, when Christmas is inside the booking window.
CHRISTMAS = "2026-12-25T10:00:00+01:00"
END_OF_NOVEMBER_2026 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        (None, CHOOSE),
        ("", CHOOSE),
        ("abc", CHOOSE),
        (slot(WHOLE_TUESDAY, 10)[:19], CHOOSE),  # no offset: not one of ours
        (WHOLE_TUESDAY.isoformat(), CHOOSE),
        ("9999-12-31T23:59:59-12:00", CHOOSE),
        ("0001-01-01T00:00:00+14:00", CHOOSE),
        (slot(open_day(SUNDAY), 10), GONE),  # a Sunday
        (slot(WHOLE_TUESDAY, 3), GONE),  # in the night
        (slot(WHOLE_TUESDAY, 10, 7), GONE),  # between two slots
        (slot(WHOLE_TUESDAY, 12), GONE),  # lunch time
        (LAST_FRIDAY, GONE),  # last Friday
        (INSIDE_THE_NOTICE, GONE),  # inside the notice period
        (CHRISTMAS, GONE),  # Christmas
        (slot(beyond_the_horizon(), 10), GONE),  # beyond the booking horizon
    ],
    ids=[
        "missing",
        "empty",
        "garbage",
        "no-offset",
        "a-day",
        "year-9999",
        "year-1",
        "sunday",
        "night",
        "between-two-slots",
        "lunch-time",
        "last-friday",
        "inside-the-notice",
        "christmas",
        "beyond-the-horizon",
    ],
)
def test_a_slot_that_is_not_offered_is_refused(citizen, clock, slot, message):
    if slot == LAST_FRIDAY:
        clock.now = WHEN_SOON_IS_TWO_HOURS_AWAY  # from Monday 30 November 08:00: the 27th
        slot = at(friday_before(clock.now.astimezone(PARIS).date()), 10).isoformat()
    if slot == INSIDE_THE_NOTICE:
        clock.now = WHEN_SOON_IS_TWO_HOURS_AWAY + timedelta(minutes=1)
        slot = SOON.isoformat()
    if slot == CHRISTMAS:
        clock.now = END_OF_NOVEMBER_2026
    walk_to(citizen, 5)
    response = citizen.submit(PATHS[5], {} if slot is None else {"creneau": slot})
    assert response.status_code == 422
    page = response.text
    assert message in text_of(error_summary(page))
    assert 'aria-invalid="true"' in input_tag(page, "creneau")
    summary_targets_exist(page)
    assert slot_values(page)  # the free slots are still there to choose from
    ahead = citizen.get(PATHS[6], follow_redirects=False)
    assert ahead.headers["location"] == PATHS[5]


def test_a_refused_slot_shows_the_week_it_was_in(citizen):
    walk_to(citizen, 5)
    week = monday_of(FIRST.date()) + timedelta(days=7)  # not the week shown first
    sunday = week + timedelta(days=6)
    response = citizen.submit(PATHS[5], {"creneau": slot(sunday, 10)})
    assert response.status_code == 422
    assert french_week(week) in text_of(response.text)


def test_the_same_instant_in_utc_is_the_same_slot(citizen):
    walk_to(citizen, 5)
    in_utc = at(WHOLE_TUESDAY, 10).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = citizen.submit(PATHS[5], {"creneau": in_utc})  # 09:00Z in winter
    assert response.url.path == PATHS[6]
    assert f"{french_date(WHOLE_TUESDAY).capitalize()} à 10 h" in text_of(response.text)


# --- CSRF ---------------------------------------------------------------------------------


def type_id_of(citizen) -> str:
    return re.search(r'name="type_id" value="(\d+)"', citizen.get(PATHS[1]).text).group(1)


@pytest.mark.parametrize("token", [None, "", "0" * 64, "forged"])
def test_a_form_without_its_token_is_refused_and_nothing_is_stored(citizen, settings, token):
    data = {"type_id": type_id_of(citizen)}
    if token is not None:
        data["_csrf_token"] = token
    response = citizen.client.post(PATHS[1], data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "Formulaire expiré" in text_of(response.text)
    assert 'href="/rendez-vous/type"' in response.text
    assert_no_traceback(response)
    assert drafts(settings) == []
    assert draft_token(citizen.client) is None


def test_a_forged_contact_form_changes_nothing(citizen, settings):
    walk_to(citizen, 4)
    response = citizen.client.post(
        PATHS[4], data={**CONTACT, "_csrf_token": "x" * 64}, follow_redirects=False
    )
    assert response.status_code == 403
    (draft,) = drafts(settings)
    assert "contact" not in draft.data
    assert citizen.get(PATHS[5], follow_redirects=False).headers["location"] == PATHS[4]


def test_a_forged_confirmation_books_nothing(citizen, settings):
    walk_to(citizen, 6)
    response = citizen.client.post(PATHS[6], data={}, headers=HX)
    assert response.status_code == 403
    assert_fragment(response)
    assert "Formulaire expiré" in text_of(response.text)
    assert bookings(settings) == []


# --- unknown pages, wrong methods, unreadable bodies --------------------------------------


@pytest.mark.parametrize("path", ["/rendez-vous/inconnu", "/nulle/part", "/rendez-vous/type/1"])
def test_an_unknown_address_gets_a_french_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_full_page(response)
    assert '<html lang="fr">' in response.text
    assert "Page introuvable" in text_of(response.text)
    assert 'href="/rendez-vous/type"' in response.text
    assert_no_traceback(response)


def test_an_unknown_address_through_htmx_gets_the_fragment(client):
    response = client.get("/rendez-vous/inconnu", headers=HX)
    assert response.status_code == 404
    assert_fragment(response)
    assert "HX-Push-Url" not in response.headers
    assert "Page introuvable" in text_of(response.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", PATHS[1]), ("PUT", PATHS[5]), ("PATCH", PATHS[4]), ("POST", PATHS[7])],
)
def test_a_wrong_method_gets_a_french_405(client, method, path):
    response = client.request(method, path)
    assert response.status_code == 405
    assert "Action impossible sur cette page" in text_of(response.text)
    assert 'href="/rendez-vous/type"' in response.text
    assert "GET" in response.headers["allow"]
    assert_no_traceback(response)


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=xyz"]
)
@pytest.mark.parametrize("with_token", [False, True])
def test_an_unreadable_form_gets_a_french_400(citizen, settings, content_type, with_token):
    token = citizen.csrf(PATHS[1])
    headers = {"Content-Type": content_type}
    if with_token:
        headers["X-CSRFToken"] = token
    response = citizen.client.post(PATHS[1], content=b"--xyz\r\ngarbage", headers=headers)
    assert response.status_code == 400
    assert "Demande incomprise" in text_of(response.text)
    assert 'href="/rendez-vous/type"' in response.text
    assert_no_traceback(response)
    assert drafts(settings) == []


def test_an_oversized_form_gets_a_french_413(citizen):
    walk_to(citizen, 4)
    token = citizen.csrf(PATHS[4])
    response = citizen.client.post(
        PATHS[4], data={**CONTACT, "last_name": "x" * 100_000, "_csrf_token": token}
    )
    assert response.status_code == 413
    assert "Envoi trop volumineux" in text_of(response.text)
    assert_no_traceback(response)


def test_an_unexpected_failure_gets_a_french_500(client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("app.web.citizen.steps.type_groups", broken)
    response = client.get(PATHS[1])
    assert response.status_code == 500
    assert "Une erreur est survenue" in text_of(response.text)
    assert "database on fire" not in response.text
    assert_no_traceback(response)


def test_a_refused_type_stores_nothing_and_the_citizen_can_go_on(citizen, settings):
    assert citizen.submit(PATHS[1], {"type_id": "abc"}).status_code == 422
    assert drafts(settings) == []
    response = choose_type(citizen)
    assert response.url.path == PATHS[2]
    assert len(drafts(settings)) == 1
