"""Confirming: one booking per draft, written with the slot re-checked in one transaction;
the confirmation page and the `.ics` file; two citizens after the same last place."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from tests.conftest import FIXED_NOW
from tests.days import (
    NOTICE,
    first_free,
    free_starts,
    french_date,
    french_time,
    later,
    monday_of,
    next_free,
)
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import (
    CCAS,
    HX,
    ICS_PATH,
    PASSPORT,
    PATHS,
    URBANISM,
    Citizens,
    bookings,
    choose_type,
    drafts,
    text_of,
    walk_to,
)

TAKEN = "Ce créneau vient d'être pris par quelqu'un d'autre."
# The first slot offered: the first opening time two hours (the notice) after the instant.
FIRST = first_free()
FIRST_SLOT = FIRST.isoformat()
# A scenario about one calendar fact: Monday 30 November 2026, 08:00 in Paris, the eve of a
# 1 December that is a Tuesday.
END_OF_NOVEMBER_2026 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def someone(n: int) -> dict[str, str]:
    return {**CONTACT, "first_name": f"Personne{n}", "email": f"personne{n}@example.org"}


def week_of(slot: str) -> str:
    """Step 5 showing the week of `slot`."""
    return f"{PATHS[5]}?semaine={monday_of(datetime.fromisoformat(slot).date())}"


def offered(person, slot: str) -> list[str]:
    """The slots step 5 offers in the week of `slot`."""
    return slot_values(person.get(week_of(slot)).text)


# --- the booking row ------------------------------------------------------------------------


def test_confirming_stores_the_booking(citizen, settings):
    _, slot = walk_to(citizen, 7)
    assert slot == FIRST_SLOT
    (booking,) = bookings(settings)
    assert booking.status == "confirmed"
    assert booking.type.title == CCAS
    assert booking.desk.name == "Accueil CCAS"
    assert booking.start == FIRST
    assert booking.end - booking.start == timedelta(minutes=30)
    assert booking.people == 1
    assert (booking.last_name, booking.first_name) == ("Dupont", "Camille")
    assert booking.email == CONTACT["email"]
    assert booking.phone == "+33612345678"
    assert re.fullmatch(r"RDV-[0-9A-Z]{4}-[0-9A-Z]{4}", booking.reference)
    assert booking.uid.endswith(f"@{settings.uid_domain}")
    assert booking.sequence == 0
    assert booking.created_at == FIXED_NOW
    # The contact details now live in the booking only: the draft keeps its link alone.
    (draft,) = drafts(settings)
    assert draft.booking_id == booking.id
    assert draft.data == {}


def test_the_uid_domain_is_the_public_address_host(settings):
    assert settings.uid_domain == "creneau.invalid"  # no public address configured
    configured = replace(settings, public_url="https://rdv.val-de-lys.fr")
    assert configured.uid_domain == "rdv.val-de-lys.fr"


def test_a_replayed_confirmation_books_once(citizen, settings):
    walk_to(citizen, 6)
    token = citizen.csrf(PATHS[6])
    for headers in ({}, {}, HX):
        response = citizen.client.post(
            PATHS[6], data={"_csrf_token": token}, headers=headers, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == PATHS[7]
    assert len(bookings(settings)) == 1


def test_a_double_click_books_once(citizen, settings):
    """Two confirmations of the same draft at the same moment."""
    walk_to(citizen, 6)
    token = citizen.csrf(PATHS[6])
    cookies = "; ".join(f"{c.name}={c.value}" for c in citizen.client.cookies.jar)
    citizen.client.cookies.clear()
    form = {"_csrf_token": token}
    locations = race(citizen.client, PATHS[6], [(cookies, form), (cookies, form)])
    assert locations == [PATHS[7], PATHS[7]]
    assert len(bookings(settings)) == 1


def test_a_slot_gone_out_of_the_window_is_refused_at_confirmation(citizen, clock, settings):
    """The slot is checked again when confirming, not only when chosen."""
    clock.now = FIRST.astimezone(UTC) - NOTICE  # the first slot is exactly two hours away
    _, slot = walk_to(citizen, 6)  # chosen with two hours' notice
    assert slot == FIRST_SLOT
    token = citizen.csrf(PATHS[6])
    clock.now += timedelta(minutes=30)
    response = citizen.client.post(PATHS[6], data={"_csrf_token": token})
    assert response.url.path == PATHS[5]
    assert FIRST_SLOT not in slot_values(response.text)
    text = text_of(response.text)
    assert "Ce créneau est maintenant trop proche pour être réservé en ligne." in text
    assert TAKEN not in text  # nobody took it: the citizen is told the real reason
    assert bookings(settings) == []


# --- the confirmation page and the calendar file -----------------------------------------------


def test_the_confirmation_page_says_what_when_where_and_what_to_bring(citizen, settings):
    page, _ = walk_to(citizen, 7)
    (booking,) = bookings(settings)
    text = text_of(page.text)
    assert "Bravo ! Vous avez pris votre rendez-vous en ligne !" in text
    assert f"référence {booking.reference}" in text
    assert french_date(FIRST).capitalize() in text  # « Lundi 30 novembre 2026 »
    assert f"de {french_time(FIRST)} à {french_time(FIRST + timedelta(minutes=30))}" in text
    assert "Espace solidarité" in text
    assert "12 rue des Écoles, 59000 Val-de-Lys" in text
    assert "Vos derniers avis d'imposition et justificatifs de ressources." in text
    assert f'href="{ICS_PATH}"' in page.text
    assert "Ajouter à mon agenda" in text
    # A reload shows the same booking.
    assert booking.reference in citizen.get(PATHS[7]).text


def test_the_confirmation_writes_the_first_of_the_month_and_minutes_the_french_way(citizen, clock):
    clock.now = END_OF_NOVEMBER_2026  # the subject is a date: its own scenario instant
    walk_to(citizen, 5)
    tuesday = next(v for v in slot_values(citizen.get(PATHS[5]).text) if "12-01T08:30" in v)
    citizen.submit(PATHS[5], {"creneau": tuesday})
    page = citizen.submit(PATHS[6], {})
    text = text_of(page.text)
    assert "Mardi 1er décembre 2026" in text
    assert "de 8 h 30 à 9 h" in text


def test_the_ics_file_has_the_booking_in_local_time(citizen, settings):
    walk_to(citizen, 7)
    (booking,) = bookings(settings)
    response = citizen.get(ICS_PATH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment")
    assert ".ics" in response.headers["content-disposition"]

    calendar = Calendar.from_ical(response.content)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Paris"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == booking.uid
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    start = event.decoded("DTSTART")
    assert start.replace(tzinfo=None) == FIRST.replace(tzinfo=None)
    assert start == booking.start
    assert event["DTEND"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTEND") == booking.end
    assert int(event["SEQUENCE"]) == 0
    assert CCAS in str(event["SUMMARY"])
    assert "Espace solidarité" in str(event["LOCATION"])
    assert booking.reference in str(event["DESCRIPTION"])
    assert f"DTSTART;TZID=Europe/Paris:{FIRST:%Y%m%dT%H%M%S}".encode() in response.content
    # Downloaded again, it is the same event.
    again = Calendar.from_ical(citizen.get(ICS_PATH).content)
    assert str(again.walk("VEVENT")[0]["UID"]) == booking.uid


# --- duration and capacity --------------------------------------------------------------------


def test_a_passport_for_three_takes_45_minutes_and_hides_overlapping_starts(citizen, settings):
    citizens = Citizens(citizen)
    start = first_free(15, 45)  # the first 45 minutes free, on the passport's 15-minute grid
    end = start + timedelta(minutes=45)
    with citizens.as_("family") as family:
        page, slot = walk_to(family, 7, title=PASSPORT, people=3)
    assert slot == start.isoformat()
    assert f"de {french_time(start)} à {french_time(end)}" in text_of(page.text)
    (booking,) = bookings(settings)
    assert booking.people == 3
    assert booking.end == end

    with citizens.as_("family"):
        ics = Calendar.from_ical(citizen.get(ICS_PATH).content).walk("VEVENT")[0]
    assert ics.decoded("DTEND").replace(tzinfo=None) == end.replace(tzinfo=None)

    with citizens.as_("next") as other:
        page, _ = walk_to(other, 5, title=PASSPORT, people=1)
    same_day = [v for v in slot_values(page.text) if v.startswith(start.date().isoformat())]
    assert same_day[:2] == [s.isoformat() for s in free_starts(start.date(), 15, after=end)][:2]
    for minutes in (0, 15, 30):
        assert (start + timedelta(minutes=minutes)).isoformat() not in same_day

    with citizens.as_("pair") as pair:
        page, _ = walk_to(pair, 5, title=PASSPORT, people=2)
    assert slot_values(page.text)[0] == first_free(15, 30, after=end).isoformat()


def test_a_type_with_two_desks_takes_two_bookings_per_slot(citizen, settings):
    citizens = Citizens(citizen)
    for n in (1, 2):
        with citizens.as_(f"c{n}") as person:
            _, slot = walk_to(person, 7, title=URBANISM, contact=someone(n))
            assert slot == FIRST_SLOT
    first, second = bookings(settings)
    assert first.start == second.start
    assert first.desk_id != second.desk_id
    with citizens.as_("c3") as third:
        page, _ = walk_to(third, 5, title=URBANISM)
    assert FIRST_SLOT not in slot_values(page.text)
    assert slot_values(page.text)[0] == first_free(after=FIRST + timedelta(minutes=30)).isoformat()


# --- two citizens, one last place -------------------------------------------------------------


# Three slots an hour or more after the first one: far enough from the instant for holds to
# run out (after 10 minutes) while they are still bookable.
LATER = [start.isoformat() for start in next_free(3, after=FIRST + timedelta(hours=1))]
HELD = LATER[0]
HOLD_END = french_time(later(minutes=10))  # « 8 h 10 »: when a hold taken now runs out


def hold_slot(person, slot: str, contact: dict[str, str]):
    """Walks to step 5 and chooses `slot`: the recap, with the slot held."""
    walk_to(person, 5, contact=contact)
    response = person.submit(PATHS[5], {"creneau": slot})
    assert response.url.path == PATHS[6], response.url
    return response


def test_a_held_slot_is_not_offered_to_anyone_else(citizen, clock):
    citizens = Citizens(citizen)
    with citizens.as_("first") as person:
        recap = text_of(hold_slot(person, HELD, someone(1)).text)
        assert f"Ce créneau vous est réservé jusqu'à {HOLD_END} (encore 10 minutes)" in recap
    with citizens.as_("second") as person:
        walk_to(person, 5, contact=someone(2))
        assert HELD not in offered(person, HELD)
        refused = person.submit(PATHS[5], {"creneau": HELD})
        assert refused.status_code == 422
        assert "Ce créneau n'est plus disponible." in text_of(refused.text)
    clock.now = FIXED_NOW + timedelta(minutes=10)  # the hold ends by itself
    with citizens.as_("second") as person:
        assert HELD in offered(person, HELD)


def test_a_citizen_whose_hold_ran_out_loses_the_slot_to_a_live_hold(citizen, settings, clock):
    citizens = Citizens(citizen)
    with citizens.as_("first") as person:
        hold_slot(person, HELD, someone(1))
    clock.now = FIXED_NOW + timedelta(minutes=11)
    with citizens.as_("first") as person:
        recap = text_of(person.get(PATHS[6]).text)
        assert f"La réservation temporaire de ce créneau a pris fin à {HOLD_END}" in recap
    with citizens.as_("second") as person:
        hold_slot(person, HELD, someone(2))  # the first citizen's hold has run out
    with citizens.as_("first") as person:
        response = person.submit(PATHS[6], {}, follow=False)
        assert response.status_code == 303
        assert response.headers["location"] == PATHS[5]
        page = person.get(week_of(HELD))
        text = text_of(page.text)
        assert TAKEN in text
        shown = slot_values(page.text)
        assert HELD not in shown
        assert LATER[1] in offered(person, LATER[1])  # the other slots are still free
        # The message is said once; the recap needs a new slot.
        assert TAKEN not in text_of(person.get(PATHS[5]).text)
        assert person.get(PATHS[6], follow_redirects=False).headers["location"] == PATHS[5]
        # Choosing another slot, the first citizen books too.
        person.submit(PATHS[5], {"creneau": LATER[1]})
        assert person.submit(PATHS[6], {}).url.path == PATHS[7]
    with citizens.as_("second") as person:
        assert person.submit(PATHS[6], {}).url.path == PATHS[7]

    first, second = sorted(bookings(settings), key=lambda b: b.email)
    assert first.email == "personne1@example.org"
    assert first.start == datetime.fromisoformat(LATER[1])
    assert second.email == "personne2@example.org"
    assert second.start == datetime.fromisoformat(HELD)


def test_keeping_the_slot_longer_renews_the_hold(citizen, clock):
    hold_slot(citizen, HELD, CONTACT)
    clock.now = FIXED_NOW + timedelta(minutes=8)
    recap = citizen.get(PATHS[6]).text
    assert "encore 2 minutes" in text_of(recap)
    form = re.search(r'name="creneau" value="([^"]+)"', recap).group(1)
    response = citizen.submit(PATHS[5], {"creneau": form})
    assert response.url.path == PATHS[6]
    renewed_until = french_time(later(minutes=18))
    assert f"jusqu'à {renewed_until} (encore 10 minutes)" in text_of(response.text)


def test_the_slot_taken_message_reaches_an_htmx_citizen_too(citizen, clock):
    citizens = Citizens(citizen)
    with citizens.as_("first") as person:
        hold_slot(person, HELD, someone(1))
    clock.now = FIXED_NOW + timedelta(minutes=11)
    with citizens.as_("second") as person:
        hold_slot(person, HELD, someone(2))
        person.submit(PATHS[6], {})
    with citizens.as_("first") as person:
        response = person.submit(PATHS[6], {}, htmx=True)
    assert response.url.path == PATHS[5]
    assert response.text.lstrip().startswith('<div id="etape"')
    assert response.headers["HX-Push-Url"] == PATHS[5]
    assert TAKEN in text_of(response.text)


def race(client, path: str, senders: list[tuple[str, dict[str, str]]]) -> list[str]:
    """Posts each (cookie header, form) to `path` at the same moment; returns where each
    was sent, or the status code when the answer was not a redirect."""
    barrier = threading.Barrier(len(senders))
    outcomes: list[str] = [""] * len(senders)

    def post(index: int, cookies: str, form: dict[str, str]) -> None:
        barrier.wait()
        response = client.post(path, data=form, headers={"Cookie": cookies}, follow_redirects=False)
        outcomes[index] = response.headers.get("location") or str(response.status_code)

    threads = [
        threading.Thread(target=post, args=(i, cookies, form))
        for i, (cookies, form) in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_citizens_holding_the_same_slot_at_once_get_one_hold(citizen, settings):
    citizens = Citizens(citizen)
    names = ("one", "two")
    tokens = []
    for n, name in enumerate(names):
        with citizens.as_(name) as person:
            walk_to(person, 5, contact=someone(n))
            tokens.append(person.csrf(PATHS[5]))
    senders = [
        (citizens.cookie_header(name), {"_csrf_token": token, "creneau": FIRST_SLOT})
        for name, token in zip(names, tokens, strict=True)
    ]
    with citizens.as_("nobody"):  # an empty jar: only the Cookie headers count
        outcomes = race(citizen.client, PATHS[5], senders)
    assert sorted(outcomes) == sorted([PATHS[6], "422"]), outcomes


def test_two_citizens_confirming_the_last_place_at_once_make_one_booking(citizen, settings, clock):
    citizens = Citizens(citizen)
    for round_, slot in enumerate(LATER):
        clock.now = FIXED_NOW
        names = [f"r{round_}c{n}" for n in (1, 2)]
        tokens = []
        for n, name in enumerate(names):
            # The second citizen gets the same slot once the first one's hold has run out.
            clock.now += timedelta(minutes=11 * n)
            with citizens.as_(name) as person:
                hold_slot(person, slot, someone(10 * round_ + n))
                tokens.append(person.csrf(PATHS[6]))
        senders = [
            (citizens.cookie_header(name), {"_csrf_token": token})
            for name, token in zip(names, tokens, strict=True)
        ]
        clock.now += timedelta(minutes=11)  # both holds have run out: equal chances
        with citizens.as_("nobody"):  # an empty jar: only the Cookie headers count
            locations = race(citizen.client, PATHS[6], senders)
        assert sorted(locations) == sorted([PATHS[5], PATHS[7]]), locations
        starts = [b.start for b in bookings(settings)]
        assert len(starts) == round_ + 1
        assert len(set(starts)) == len(starts)  # never two bookings on the one CCAS desk
        loser = names[locations.index(PATHS[5])]
        with citizens.as_(loser) as person:
            page = person.get(week_of(slot)).text
        assert TAKEN in text_of(page)
        assert slot not in slot_values(page)


# --- a confirm sent from a stale page, changes made from the recap --------------------------


def test_a_confirm_from_a_stale_recap_shows_the_new_answers_first(citizen, settings):
    """Another tab changed the answers after this recap was displayed."""
    walk_to(citizen, 6)
    stale_recap = citizen.get(PATHS[6]).text
    version = re.search(r'name="version" value="([^"]+)"', stale_recap).group(1)
    citizen.submit(PATHS[3], {"people": "1"})  # unchanged: same answers, same version
    citizen.submit(PATHS[4], {**CONTACT, "first_name": "Dominique"})  # changed elsewhere
    token = citizen.csrf(PATHS[6])
    response = citizen.client.post(PATHS[6], data={"_csrf_token": token, "version": version})
    assert response.url.path == PATHS[6]
    text = text_of(response.text)
    assert "Vos réponses ont été modifiées depuis une autre page" in text
    assert "Dominique Dupont" in text
    assert bookings(settings) == []
    # Confirming from the page now shown books the answers it shows.
    assert citizen.submit(PATHS[6], {}).url.path == PATHS[7]
    assert bookings(settings)[0].first_name == "Dominique"


def test_a_change_made_from_the_recap_leads_back_to_it(citizen):
    walk_to(citizen, 6)
    assert citizen.submit(PATHS[4], {**CONTACT, "phone": "07 81 23 45 67"}).url.path == PATHS[6]
    assert citizen.submit(PATHS[3], {"people": "1"}).url.path == PATHS[6]
    assert choose_type(citizen, CCAS).url.path == PATHS[6]  # the same type again
    assert "07 81 23 45 67" in text_of(citizen.get(PATHS[6]).text)


def test_a_change_that_frees_the_slot_asks_for_a_new_one(citizen):
    walk_to(citizen, 6, title=PASSPORT)
    response = citizen.submit(PATHS[3], {"people": "2"})  # a longer appointment
    assert response.url.path == PATHS[5]
