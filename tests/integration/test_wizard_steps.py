"""Each step of the citizen flow as a real URL: whole page without htmx, only the step's
fragment with it, POST → 303 → next step, and the planning of step 5 through HTTP."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import FIXED_NOW
from tests.days import (
    NOTICE,
    PARIS,
    SATURDAY,
    TUESDAY,
    first_free,
    free_starts,
    french_date,
    french_day,
    french_time,
    french_week,
    full_week,
    later,
    monday_of,
    open_day,
    window_last_day,
)
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import (
    HX,
    PASSPORT,
    PATHS,
    assert_fragment,
    assert_full_page,
    choose_type,
    text_of,
    walk_to,
)

TITLES = {
    1: "Choisir le type de rendez-vous",
    2: "Informations sur le rendez-vous",
    3: "Nombre de personnes concernées",
    4: "Vos coordonnées",
    5: "Choisir la date et l'heure",
    6: "Vérifier et confirmer",
    7: "Rendez-vous confirmé",
}
STEPS = list(PATHS)

# The first slot offered (CCAS, 30 minutes): the first opening time two hours (the notice)
# after the instant, and the week step 5 opens on.
FIRST = first_free()
FIRST_WEEK = monday_of(FIRST.date())
# The window's first and last days, and the weeks step 5 clamps to.
WINDOW_FIRST_WEEK = monday_of((FIXED_NOW + NOTICE).astimezone(PARIS).date())
WINDOW_LAST_WEEK = monday_of(window_last_day())
# A scenario about fixed calendar facts (Christmas, New Year's Day): Monday 30 November
# 2026, 08:00 in Paris.
END_OF_NOVEMBER_2026 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def week_page(week: date) -> str:
    return f"{PATHS[5]}?semaine={week.isoformat()}"


def clamped(week: date) -> date:
    """The week step 5 shows when asked for `week`: the nearest one in the window."""
    return min(max(monday_of(week), WINDOW_FIRST_WEEK), WINDOW_LAST_WEEK)


def week_starts(monday: date, minutes: int = 30, length: int | None = None) -> list[str]:
    """What an empty agenda offers in that week (see tests/days.py)."""
    days = (monday + timedelta(days=n) for n in range(7))
    return [start.isoformat() for day in days for start in free_starts(day, minutes, length)]


def reach(citizen, step: int) -> None:
    """Leaves the citizen's draft where step `step` is the one to show."""
    if step > 1:
        walk_to(citizen, step)


# --- whole page or fragment -----------------------------------------------------------------


@pytest.mark.parametrize("step", STEPS)
def test_without_htmx_each_step_is_a_whole_page(citizen, step):
    reach(citizen, step)
    response = citizen.get(PATHS[step])
    assert response.status_code == 200
    assert_full_page(response)
    assert f"Étape {step} sur 7" in response.text
    title = re.search(r"<title>(.*?)</title>", response.text, re.S).group(1)
    assert text_of(title).startswith(f"{TITLES[step]} — étape {step} sur 7")
    assert "Mairie de Val-de-Lys" in title
    assert "hx-push-url" not in {name.lower() for name in response.headers}


@pytest.mark.parametrize("step", STEPS)
def test_with_htmx_each_step_is_only_its_fragment(citizen, step):
    reach(citizen, step)
    response = citizen.get(PATHS[step], headers=HX)
    assert response.status_code == 200
    assert_fragment(response)
    assert f"Étape {step} sur 7" in response.text
    assert response.text.rstrip().endswith("</div>")
    # The address bar follows the step shown, whatever led there.
    assert response.headers["HX-Push-Url"] == PATHS[step]


@pytest.mark.parametrize("step", STEPS)
def test_a_history_restore_gets_the_whole_page(citizen, step):
    reach(citizen, step)
    response = citizen.get(PATHS[step], headers={**HX, "HX-History-Restore-Request": "true"})
    assert response.status_code == 200
    assert_full_page(response)
    assert f"Étape {step} sur 7" in response.text


@pytest.mark.parametrize("step", [1, 3, 4, 5])
def test_the_fragment_keeps_the_form_of_the_step(citizen, step):
    """The swapped part is usable on its own: the form, its CSRF token, its htmx target."""
    reach(citizen, step)
    fragment = citizen.get(PATHS[step], headers=HX).text
    assert f'method="post" action="{PATHS[step]}"' in fragment
    assert 'hx-target="#etape"' in fragment
    assert re.search(r'name="_csrf_token" value="[^"]+"', fragment)


@pytest.mark.parametrize("path", ["/", "/rendez-vous/", "/rendez-vous"])
def test_the_entrance_leads_to_step_one(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == PATHS[1]


# --- POST → 303 → next step -------------------------------------------------------------------


def valid_answer(citizen, step: int) -> dict[str, str]:
    if step == 1:
        page = citizen.get(PATHS[1]).text
        return {"type_id": re.search(r'name="type_id" value="(\d+)"', page).group(1)}
    if step == 3:
        return {"people": "1"}
    if step == 4:
        return CONTACT
    if step == 5:
        return {"creneau": slot_values(citizen.get(PATHS[5]).text)[0]}
    return {}


@pytest.mark.parametrize("htmx", [False, True], ids=["no-js", "htmx"])
@pytest.mark.parametrize("step", [1, 2, 3, 4, 5, 6])
def test_a_valid_answer_is_a_303_to_the_next_step(citizen, step, htmx):
    reach(citizen, step)
    response = citizen.submit(PATHS[step], valid_answer(citizen, step), follow=False, htmx=htmx)
    assert response.status_code == 303
    assert response.headers["location"] == PATHS[step + 1]


def test_the_whole_flow_through_htmx_swaps_fragments_and_moves_the_address(citizen):
    """POST (htmx) → 303 → GET (htmx, the header is kept on redirect) → next fragment, with
    the URL to show in the address bar."""
    choose = citizen.get(PATHS[1]).text
    type_id = re.search(r'name="type_id" value="(\d+)"', choose).group(1)
    answers = {1: {"type_id": type_id}, 2: {}, 3: {"people": "1"}, 4: CONTACT}
    for step in range(1, 7):
        data = answers.get(step, {})
        if step == 5:
            data = {"creneau": slot_values(citizen.get(PATHS[5]).text)[0]}
        response = citizen.submit(PATHS[step], data, htmx=True)
        assert response.status_code == 200
        assert response.url.path == PATHS[step + 1]
        assert_fragment(response)
        assert f"Étape {step + 1} sur 7" in response.text
        assert response.headers["HX-Push-Url"] == PATHS[step + 1]
    assert "Bravo ! Vous avez pris votre rendez-vous en ligne !" in text_of(response.text)


def test_every_step_links_back_to_the_previous_one(citizen):
    walk_to(citizen, 5)
    for step, back in {2: PATHS[1], 3: PATHS[2], 4: PATHS[3], 5: PATHS[4]}.items():
        assert f'href="{back}"' in citizen.get(PATHS[step]).text, step


def test_the_recap_shows_every_answer_with_a_link_to_change_it(citizen):
    page, slot = walk_to(citizen, 6, title=PASSPORT, people=2)
    start = first_free(15, 30)
    text = text_of(page.text)
    assert PASSPORT in text
    assert "Hôtel de ville" in text
    assert "Camille Dupont" in text
    assert CONTACT["email"] in text
    assert "06 12 34 56 78" in text
    assert slot == start.isoformat()
    assert f"{french_date(start).capitalize()} à {french_time(start)}" in text
    for step in (1, 3, 4, 5):
        assert f'href="{PATHS[step]}"' in page.text
    assert "Confirmer le rendez-vous" in text


# --- the planning (step 5) ------------------------------------------------------------------


def days_of(values: list[str]) -> set[str]:
    return {value[:10] for value in values}


def test_the_first_week_starts_at_the_first_bookable_time(citizen):
    page, _ = walk_to(citizen, 5)
    text = text_of(page.text)
    assert french_week(FIRST_WEEK) in text
    values = slot_values(page.text)
    # The CCAS needs two hours' notice: nothing before the first opening time two hours
    # ahead (Monday 30 November 08:00 → 10:00; Saturday 11:55 → Monday 08:30).
    assert values[0] == FIRST.isoformat()
    assert values == week_starts(FIRST_WEEK)
    assert days_of(values) <= {(FIRST_WEEK + timedelta(days=n)).isoformat() for n in range(6)}
    assert (FIRST_WEEK + timedelta(days=6)).isoformat() not in days_of(values)  # Sunday
    # A previous week is offered only when the window starts in it (Saturday afternoon).
    assert ("Semaine précédente" in text) == (WINDOW_FIRST_WEEK < FIRST_WEEK)
    assert f'href="{week_page(FIRST_WEEK + timedelta(days=7))}"' in page.text


def test_opening_hours_bound_the_slots_of_a_day(citizen):
    walk_to(citizen, 5)
    day = open_day(TUESDAY)  # a whole Tuesday in the window
    page = citizen.get(week_page(monday_of(day)))
    tuesday = [v[11:16] for v in slot_values(page.text) if v.startswith(day.isoformat())]
    assert tuesday[0] == "08:30"
    assert "11:30" in tuesday and "12:00" not in tuesday  # 30 minutes end at 12:00
    assert "13:00" not in tuesday and "13:30" in tuesday
    assert tuesday[-1] == "16:30"
    day = open_day(SATURDAY)
    page = citizen.get(week_page(monday_of(day)))
    saturday = [v[11:16] for v in slot_values(page.text) if v.startswith(day.isoformat())]
    assert saturday == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


def test_a_week_link_shows_that_week(citizen):
    walk_to(citizen, 5)
    week = full_week(FIRST_WEEK + timedelta(days=7))  # after the first, open all six days
    wednesday = week + timedelta(days=2)
    page = citizen.get(week_page(wednesday))  # a Wednesday: its whole week
    assert page.status_code == 200
    text = text_of(page.text)
    assert french_week(week) in text
    assert days_of(slot_values(page.text)) == {
        (week + timedelta(days=n)).isoformat() for n in range(6)
    }
    assert f'href="{week_page(week - timedelta(days=7))}"' in page.text
    assert "Semaine précédente" in text
    assert f'href="{week_page(week + timedelta(days=7))}"' in page.text
    assert "Semaine suivante" in text
    # Away from the first free slot, a link jumps back to it.
    assert "Premier créneau disponible" in text
    assert f'href="{week_page(FIRST_WEEK)}"' in page.text
    assert french_date(FIRST) in text


def test_a_week_link_through_htmx_pushes_that_week_s_address(citizen):
    walk_to(citizen, 5)
    week = FIRST_WEEK + timedelta(days=7)
    response = citizen.get(week_page(week), headers=HX)
    assert_fragment(response)
    assert response.headers["HX-Push-Url"] == week_page(week)
    assert f"Semaine du lundi {french_day(week)}" in text_of(response.text)


@pytest.mark.parametrize("week", ["garbage", "2026-13-45", "", "2026-W50", "9999-12-31"])
def test_a_strange_week_does_not_crash(citizen, week):
    walk_to(citizen, 5)
    response = citizen.get(PATHS[5], params={"semaine": week})
    assert response.status_code == 200
    # Unreadable: the first free slot's week. A date, even an ISO week (2026-W50): its week,
    # kept inside the window (the last week for 9999).
    try:
        shown = clamped(date.fromisoformat(week))
    except ValueError:
        shown = FIRST_WEEK
    values = slot_values(response.text)
    assert values == week_starts(shown)
    if shown == FIRST_WEEK:
        assert values
    else:  # a clamped week may have no free slot (the window's first week, on a weekend)
        text = text_of(response.text)
        assert values or "Aucun créneau libre cette semaine" in text
        assert f'href="{week_page(FIRST_WEEK)}"' in response.text  # the first free slot
    assert "Étape 5 sur 7" in response.text


def test_weeks_outside_the_booking_window_are_clamped(citizen):
    walk_to(citizen, 5)
    before = citizen.get(f"{PATHS[5]}?semaine=2020-01-06")
    # The week of the window's first day (now plus the notice).
    assert french_week(WINDOW_FIRST_WEEK) in text_of(before.text)
    assert "Semaine précédente" not in text_of(before.text)
    after = citizen.get(f"{PATHS[5]}?semaine=2030-01-07")
    text = text_of(after.text)
    # The week of the window's last day, 60 days after now (from Monday 30 November 2026:
    # Friday 29 January 2027).
    assert french_week(WINDOW_LAST_WEEK) in text
    assert "Semaine suivante" not in text
    values = slot_values(after.text)
    assert values == week_starts(WINDOW_LAST_WEEK)
    last = window_last_day() + timedelta(days=1)
    assert all(datetime.fromisoformat(v) <= later(days=60) for v in values)
    assert values and max(values) < last.isoformat()


def test_christmas_day_offers_no_slot(citizen, clock):
    clock.now = END_OF_NOVEMBER_2026  # the subject is two holidays: their own scenario instant
    walk_to(citizen, 5)
    page = citizen.get(f"{PATHS[5]}?semaine=2026-12-21")
    days = days_of(slot_values(page.text))
    assert "2026-12-25" not in days
    assert {"2026-12-24", "2026-12-26"} <= days
    assert "Vendredi 25 décembre 2026" not in text_of(page.text)
    new_year = citizen.get(f"{PATHS[5]}?semaine=2026-12-28")
    assert "2027-01-01" not in days_of(slot_values(new_year.text))
    assert "2026-12-31" in days_of(slot_values(new_year.text))


def test_the_duration_follows_the_number_of_people(citizen):
    page, _ = walk_to(citizen, 5, title=PASSPORT, people=3)
    assert "3 personnes · durée 45 minutes" in text_of(page.text)
    day = open_day(TUESDAY)  # a whole weekday in the window
    page = citizen.get(week_page(monday_of(day)))
    tuesday = [v[11:16] for v in slot_values(page.text) if v.startswith(day.isoformat())]
    # 45 minutes must end by 12:00 and by 17:00.
    assert "11:15" in tuesday and "11:30" not in tuesday
    assert "16:15" in tuesday and "16:30" not in tuesday


def test_changing_the_type_on_the_way_back_restarts_what_depended_on_it(citizen):
    walk_to(citizen, 6)
    choose_type(citizen, PASSPORT)
    # The new type's information must be read again, the slot chosen again.
    response = citizen.get(PATHS[6], follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == PATHS[2]
