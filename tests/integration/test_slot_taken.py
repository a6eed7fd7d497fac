"""Step 5 when the slot a citizen picks was taken since their week was drawn: the whole
page again, on the week the citizen was on."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.days import (
    PARIS,
    first_free,
    french_week,
    monday_of,
    next_free,
)
from tests.integration.flow import CONTACT, slot_values
from tests.integration.helpers import (
    HX,
    PATHS,
    Citizens,
    assert_fragment,
    assert_full_page,
    error_summary,
    summary_targets_exist,
    text_of,
    walk_to,
)

# A week that is not the one step 5 opens on (that is the first free slot's): keeping it is
# then something the server does, not a coincidence.
FIRST = first_free()
WEEK = monday_of(FIRST.astimezone(PARIS).date()) + timedelta(days=14)
TAKEN, NEIGHBOUR = next_free(2, after=datetime.combine(WEEK, datetime.min.time(), PARIS))
GONE = "Ce créneau n'est plus disponible. Choisissez-en un autre."


def someone(n: int) -> dict[str, str]:
    return {**CONTACT, "first_name": f"Personne{n}", "email": f"personne{n}@example.org"}


def week_page(person) -> str:
    return person.get(f"{PATHS[5]}?semaine={WEEK.isoformat()}").text


def taken_meanwhile(citizen) -> tuple[Citizens, str]:
    """`late` has the week of TAKEN on screen (TAKEN offered), then `quick` holds TAKEN:
    the citizens, and the page `late` still has on screen."""
    citizens = Citizens(citizen)
    with citizens.as_("late") as person:
        walk_to(person, 5, contact=someone(1))
        page = week_page(person)
        assert TAKEN.isoformat() in slot_values(page)
    with citizens.as_("quick") as person:
        walk_to(person, 5, contact=someone(2))
        recap = person.submit(PATHS[5], {"creneau": TAKEN.isoformat()})
        assert recap.url.path == PATHS[6]
    return citizens, page


def pick(person, slot: datetime, *, htmx: bool, week: str | None = WEEK.isoformat()):
    form = {"creneau": slot.isoformat()}
    if week is not None:
        form["semaine"] = week
    return person.submit(PATHS[5], form, htmx=htmx, follow=False)


def test_a_pick_refused_without_javascript_shows_the_whole_page_on_the_same_week(citizen):
    citizens, _ = taken_meanwhile(citizen)
    with citizens.as_("late") as person:
        response = pick(person, TAKEN, htmx=False)
    assert response.status_code == 422
    assert_full_page(response)
    text = text_of(response.text)
    assert french_week(WEEK) in text  # the week the citizen was on, not the first one
    assert GONE in text_of(error_summary(response.text))
    summary_targets_exist(response.text)
    offered = slot_values(response.text)
    assert TAKEN.isoformat() not in offered
    assert NEIGHBOUR.isoformat() in offered


def test_no_slot_chosen_keeps_the_week_shown(citizen):
    walk_to(citizen, 5)
    for htmx in (False, True):
        token = citizen.csrf(f"{PATHS[5]}?semaine={WEEK.isoformat()}")
        response = citizen.client.post(
            PATHS[5],
            data={"_csrf_token": token, "semaine": WEEK.isoformat()},
            headers=HX if htmx else {},
        )
        assert response.status_code == 422
        (assert_fragment if htmx else assert_full_page)(response)
        assert french_week(WEEK) in text_of(response.text)
        assert "Choisissez un créneau dans la liste." in text_of(response.text)
